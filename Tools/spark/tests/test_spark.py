"""detect_job.py in local[2] mode: every document of a 50 MB corpus answered as the CLI does."""
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("WATERMARK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
MODEL = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
SMALL = CACHE / "corpus" / "en-small"
CLI = REPO / ".build" / "release" / "watermark"
JOB = REPO / "Tools" / "spark" / "detect_job.py"
KEY = hashlib.sha256(b"spark test key").digest()
TARGET_BYTES = 50 << 20


def cli(*args, input=None):
    out = subprocess.run([str(CLI), *map(str, args)], input=input, capture_output=True, text=True)
    assert out.returncode in (0, 1, 2), out.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    for path in (CLI, MODEL, SMALL / "train.jsonl"):
        if not path.exists():
            pytest.fail(f"{path} is missing (swift build -c release; Tools/fetch-model.sh; Tools/fetch-corpus.sh --small)")
    d = tmp_path_factory.mktemp("spark")
    (d / "key.hex").write_text(KEY.hex() + "\n")
    (d / "key.hex").chmod(0o600)
    return d


@pytest.fixture(scope="session")
def corpus(work):
    """50 MB of JSON Lines: seeded windows of the small corpus, watermarked texts, token-id
    documents, and a few rows that are not documents."""
    texts = [json.loads(l)["text"] for name in ("train.jsonl", "heldout.jsonl") for l in (SMALL / name).read_text().splitlines()]
    whole = "\n\n".join(texts)
    prompts = work / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": f"Write a short paragraph about {t}."}) + "\n"
                               for t in ["rivers", "bread", "old clocks", "the moon", "chess", "glass", "rain", "maps"]))
    marked = [json.loads(l)["text"] for l in cli("embed", "--key-file", work / "key.hex", "--prompts", prompts, "--json", "-n", "96",
                                                   "--seed", "3").stdout.splitlines()]
    assert len(marked) == 8
    tokenized = [json.loads(l)["ids"] for l in cli("tokenize", "--jsonl", input="".join(json.dumps({"text": t}) + "\n"
                                                                                         for t in texts[:300])).stdout.splitlines()]
    rng = random.Random(14)
    path = work / "corpus.jsonl"
    size, n = 0, 0
    with open(path, "w") as f:
        def write(obj):
            nonlocal size, n
            line = json.dumps(dict(obj, id=f"doc-{n}"), ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode())
            n += 1
        for t in marked:
            write({"text": t})
        for ids in tokenized:
            write({"ids": ids})
        write({"note": "no text"})
        write({"ids": []})
        while size < TARGET_BYTES:
            start = rng.randrange(len(whole))
            write({"text": whole[start:start + rng.randint(100, 6000)]})
            if n % 5000 == 0:
                write({"text": marked[n % len(marked)][rng.randint(0, 40):]})
    return path, n


def cli_answers(path, work):
    """The CLI's answer per id (source and index dropped; failures keyed by the line's id)."""
    lines = path.read_text().splitlines()
    ids = [json.loads(l)["id"] for l in lines]
    out = cli("detect", "--jsonl", "--json", "--key-file", work / "key.hex", "--threads", 2, path)
    answers, raw_answers = {}, {}
    for raw in out.stdout.splitlines():
        a = json.loads(raw)
        index = a.pop("index")
        source = a.pop("source")
        answers[ids[index]] = a
        # The line itself less those two fields: what the job's "result" must be, byte for byte.
        raw_answers[ids[index]] = raw.replace(f',"index":{index}', "", 1).replace(',"source":' + json.dumps(source, ensure_ascii=False), "", 1)
    assert len(answers) == len(lines)
    return answers, raw_answers


def run_job(work, input_path, out, *extra):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    submit = Path(sys.executable).with_name("spark-submit")
    start = time.monotonic()
    proc = subprocess.run([str(submit), "--master", "local[2]", "--driver-memory", "2g", "--conf", "spark.ui.enabled=false",
                           str(JOB), "--input", str(input_path), "--output", str(out), "--key-file", str(work / "key.hex"),
                           "--tokenizer", str(MODEL), *extra], capture_output=True, text=True, env=env, timeout=1800)
    elapsed = time.monotonic() - start
    (work / f"{out.name}.log").write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    results, raw_results = {}, {}
    for part in sorted((out / "jsonl").glob("part-*")):
        for raw in part.read_text().splitlines():
            r = json.loads(raw)
            results[r["id"]] = r
            raw_results[r["id"]] = raw
    run_job.raw = raw_results
    return results, summary, elapsed


def test_every_document_of_a_50_mb_corpus_equals_the_cli(work, corpus):
    path, n = corpus
    assert path.stat().st_size >= TARGET_BYTES
    expected, expected_raw = cli_answers(path, work)
    results, summary, elapsed = run_job(work, path, work / "out-jsonl", "--id-type", "string")
    assert len(results) == n
    errors = 0
    for doc_id, e in expected.items():
        got = results[doc_id]
        if "error" in e:
            errors += 1
            assert set(got) == {"id", "error"}, got
        else:
            assert got == e, doc_id
            assert run_job.raw[doc_id] == expected_raw[doc_id], doc_id
    watermarked = sum(1 for e in expected.values() if e.get("verdict") == "watermarked")
    assert errors == 2 and watermarked >= 8
    assert summary == {"documents": n, "watermarked": watermarked, "errors": errors,
                       "tooShort": sum(1 for e in expected.values() if e.get("verdict") == "too-short"),
                       "watermarkedShare": watermarked / (n - errors)}
    summary_files = list((work / "out-jsonl" / "summary").glob("part-*"))
    assert json.loads(summary_files[0].read_text()) == summary
    # The key is read on the executors and goes nowhere else: not into the log, not into the output.
    import base64
    secrets = [KEY.hex(), base64.b64encode(KEY).decode(), base64.b64encode(KEY).decode().rstrip("=")]
    for f in [work / "out-jsonl.log", *(work / "out-jsonl").rglob("*")]:
        if f.is_file():
            data = f.read_bytes().decode("latin-1")
            assert not any(s in data for s in secrets), f
    print(f"\nspark local[2]: {n} documents, {path.stat().st_size / 2**20:.1f} MiB in {elapsed:.1f} s "
          f"({path.stat().st_size / 2**20 / elapsed:.2f} MiB/s, job start included)")


def test_parquet_in_and_out(work, corpus):
    import pyarrow as pa
    import pyarrow.parquet as pq
    path, _ = corpus
    rows = [json.loads(l) for l in path.read_text().splitlines()[:4000]]
    table = pa.Table.from_pylist([{"id": r["id"], "text": r.get("text"), "ids": r.get("ids")} for r in rows])
    pq.write_table(table, work / "part.parquet")
    subset = work / "part.jsonl"
    subset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    expected, _ = cli_answers(subset, work)
    results, summary, _ = run_job(work, work / "part.parquet", work / "out-parquet")
    assert summary["documents"] == 4000
    for doc_id, e in expected.items():
        if "error" in e:
            assert "error" in results[doc_id]
        else:
            assert results[doc_id] == e, doc_id
    out = pq.read_table(work / "out-parquet" / "parquet").to_pylist()
    assert len(out) == 4000
    by_id = {r["id"]: r for r in out}
    for doc_id, e in list(expected.items())[:500]:
        r = by_id[doc_id]
        assert json.loads(r["result"]) == results[doc_id]
        if "error" not in e:
            assert (r["verdict"], r["tokens"], r["green"], r["p"], r["keyID"]) == (e["verdict"], e["tokens"], e["green"], e["p"], e["keyID"])


def test_bad_arguments_are_one_line(work):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    bad = work / "noid.jsonl"
    bad.write_text('{"text": "no id here"}\n')
    submit = Path(sys.executable).with_name("spark-submit")
    proc = subprocess.run([str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false", str(JOB), "--input", str(bad),
                           "--output", str(work / "out-bad"), "--key-file", str(work / "key.hex"), "--tokenizer", str(MODEL)],
                          capture_output=True, text=True, env=env, timeout=600)
    # spark-submit runs the Python driver with its standard error joined to standard output.
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f'detect_job.py: error: {bad}: no "id" column (name it with --id-column)' in output
    assert KEY.hex() not in output
