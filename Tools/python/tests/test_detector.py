"""The Python Detector against the `watermark` CLI: the same fields, the same values."""
import json
import os
import stat
import threading

import numpy as np
import pytest

from swift_watermark import Detector, DetectionResult, DocumentError, Key, Partition, WatermarkError

from conftest import CACHE, REPO, run_cli

CORPUS = CACHE / "corpus" / "en-small"


def human_documents(n):
    """n human documents: the small English corpus, each document also split in two halves."""
    docs = []
    for name in ("heldout.jsonl", "train.jsonl"):
        path = CORPUS / name
        if not path.is_file():
            pytest.fail(f"{path} is missing: run Tools/fetch-corpus.sh --small")
        for line in path.read_text().splitlines():
            text = json.loads(line)["text"]
            docs.append(text)
            half = len(text) // 2
            docs.extend([text[:half], text[half:]])
    assert len(docs) >= n, f"only {len(docs)} documents"
    return docs[:n]


def cli_results(args, docs, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"text": d, "id": i}) + "\n" for i, d in enumerate(docs)))
    out = run_cli("detect", "--jsonl", "--json", "--quiet", *args, path, check=False)
    assert out.returncode in (0, 1), out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == len(docs)
    for i, row in enumerate(rows):
        assert row.pop("index") == i and row.pop("id") == i
        row.pop("source")
    return rows


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    return [d / "a.key", d / "b.key"], [Key.generate(d / "a.key"), Key.generate(d / "b.key")]


def test_key_file_mode_and_no_secret_in_repr(tmp_path):
    path = tmp_path / "k.key"
    key = Key.generate(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text().strip()
    for text in (repr(key), str(key), repr(Partition(key)), repr(Detector(key))):
        assert secret not in text and secret[:16] not in text
        assert key.key_id in text
    assert Key.from_file(path).key_id == key.key_id
    with pytest.raises(WatermarkError) as e:
        Key.generate(path)  # never overwrites
    assert "already exists" in str(e.value) and secret not in str(e.value)
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(key)


def test_errors_are_one_line_and_typed(tmp_path):
    bad = tmp_path / "bad\nname.key"
    bad.write_text("zz")
    with pytest.raises(WatermarkError) as e:
        Key.from_file(bad)
    assert e.value.kind == "key" and "\n" not in str(e.value)
    with pytest.raises(WatermarkError) as e:
        Key.from_bytes(b"short")
    assert e.value.kind == "key"
    key = Key.from_bytes(bytes(range(32)))
    with pytest.raises(WatermarkError) as e:
        Partition(key, gamma=1.5)
    assert e.value.kind == "parameters"
    with pytest.raises(WatermarkError) as e:
        Detector(key).detect(text="needs a tokenizer")
    assert e.value.kind == "input"
    with pytest.raises(WatermarkError) as e:
        Detector(key, tokenizer=tmp_path / "missing.gguf")
    assert e.value.kind == "file" and "missing.gguf" in str(e.value)
    with pytest.raises(WatermarkError):
        Partition(key).scores([1, 2], 10)  # context of the wrong width


def test_invalid_utf8_and_batch_goes_on(model, keys):
    det = Detector(keys[1][0], tokenizer=model)
    with pytest.raises(WatermarkError) as e:
        det.detect(text=b"abc\xff")
    assert e.value.kind == "input" and "UTF-8" in str(e.value)
    out = det.detect_batch([b"a fine text " * 10, b"\xff\xfe", "", "another fine text " * 10])
    assert isinstance(out[1], DocumentError) and out[1].index == 1 and "UTF-8" in out[1].error
    assert [type(r) for r in out] == [DetectionResult, DocumentError, DetectionResult, DetectionResult]
    assert out[2].verdict == "too-short"


def test_thousand_human_documents_agree_with_cli(model, keys, tmp_path):
    paths, loaded = keys
    docs = human_documents(1000)
    # one key, the defaults
    det = Detector(loaded[0], tokenizer=model)
    expected = cli_results(["--key-file", paths[0], "--tokenizer", model], docs, tmp_path)
    got = det.detect_batch(docs, threads=2)
    assert [r.to_dict() for r in got] == expected
    # every dataclass field is the JSON field of the same name
    for r, e in zip(got[:50], expected[:50]):
        for k, v in e.items():
            name = "key_id" if k == "keyID" else "".join("_" + c.lower() if c.isupper() else c for c in k)
            assert getattr(r, name) == v, k
    # Human text at alpha 1e-4. A document and its two halves are one sample, not three (a human
    # text that looks watermarked under this run's random key usually does in its halves too),
    # so flagged documents are counted by the document they come from: ~333 samples, and more
    # than 2 of them flagged has probability ~6e-6 when the p-values are honest. (100 random keys
    # over these 1000 documents flagged 6 documents in all; counted one by one, two documents and
    # a half of one of them, under one key, once made 3 and failed a bound of 2.)
    flagged = {i // 3 for i, r in enumerate(got) if r.verdict == "watermarked"}
    assert len(flagged) <= 2, sorted(flagged)
    # two keys, the scan and attribution, other parameters: one document at a time
    det2 = Detector(loaded, gamma=0.5, context_width=2, tokenizer=model, windowed_scan=True, attribution=True,
                    false_positive_rate=1e-3, min_tokens=24)
    expected2 = cli_results(["--key-file", paths[0], "--key-file", paths[1], "--gamma", "0.5", "--context-width", "2",
                             "--scan", "--attribution", "--fpr", "1e-3", "--min-tokens", "24", "--tokenizer", model],
                            docs[:200], tmp_path)
    assert [det2.detect(text=d).to_dict() for d in docs[:200]] == expected2


def test_ids_agree_with_cli_and_tokenize(model, keys, tmp_path):
    paths, loaded = keys
    det = Detector(loaded[0], tokenizer=model)
    docs = human_documents(40)
    ids = [det.tokenize(d) for d in docs]
    path = tmp_path / "ids.jsonl"
    path.write_text("".join(json.dumps({"ids": i}) + "\n" for i in ids if i))
    out = run_cli("detect", "--jsonl", "--json", "--key-file", paths[0], path, check=False)
    expected = [json.loads(line) for line in out.stdout.splitlines()]
    for e in expected:
        for k in ("source", "index"):
            e.pop(k)
    ids_only = Detector(loaded[0])
    assert [ids_only.detect(ids=i).to_dict() for i in ids if i] == expected
    assert [r.to_dict() for r in ids_only.detect_batch(ids=[i for i in ids if i])] == expected


def test_threads_share_one_detector(model, keys):
    det = Detector(keys[1][0], tokenizer=model)
    docs = human_documents(60)
    reference = [det.detect(text=d).json for d in docs]
    results = {}

    def work(t):
        results[t] = [det.detect(text=d).json for d in docs]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == reference for r in results.values())


def test_jsonl_lines_are_read_as_the_cli_reads_them(model, keys, tmp_path):
    """detect_jsonl_json: the library reads each line itself; every document's line is the
    CLI's --json line for it, byte for byte, less "source" and "index"; lines that are not
    documents get an error entry that still names their id; a pyarrow array (sliced, string or
    large_string) gives the same lines as a list."""
    import re
    paths, loaded = keys
    docs = human_documents(300)
    lines = [json.dumps({"id": f"d{i}", "text": d}, ensure_ascii=False) for i, d in enumerate(docs)]
    lines += ['{"ids": [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], "id": 7}',
              '{"text": "no id, a short \\u00e9 text\\n with escapes \\ud83d\\ude00"}', '{"id": true, "ids": []}',
              '{"id": "n1", "note": "neither text nor ids"}', "not json", '{"text": 3, "id": null}']
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = run_cli("detect", "--jsonl", "--json", "--quiet", "--key-file", paths[0], "--tokenizer", model, path, check=False)
    assert out.returncode == 2, out.stderr  # the refused lines
    cli_lines = out.stdout.splitlines()
    assert len(cli_lines) == len(lines)
    det = Detector(loaded[0], tokenizer=model)
    statuses, got = det.detect_jsonl_json(lines, threads=2)
    assert len(got) == len(lines)
    for i, (mine, theirs) in enumerate(zip(got, cli_lines)):
        record = json.loads(theirs)
        if "error" in record:
            assert statuses[i] != 0
            entry = json.loads(mine)
            assert set(entry) <= {"error", "id"} and record["error"].endswith(entry["error"]), (mine, theirs)
        else:
            assert statuses[i] == 0
            assert mine == re.sub(r',"index":\d+', "", re.sub(r',"source":"[^"]*"', "", theirs), count=1), i
    assert [json.loads(l).get("id") for l in got[-4:]] == [True, "n1", None, None]
    assert det.detect_jsonl_json([]) == ([], [])
    assert det.detect_jsonl_json([l.encode() for l in lines[:20]], threads=1) == (statuses[:20], got[:20])


def test_jsonl_lines_from_arrow_buffers(model, keys):
    """The Spark job's path: a pyarrow array's buffers go to the library as they are."""
    pa = pytest.importorskip("pyarrow", reason="pyarrow is in the Spark environment, whose tests run this path on 50 MB")
    det = Detector(keys[1][0], tokenizer=model)
    lines = [json.dumps({"id": i, "text": d}, ensure_ascii=False) for i, d in enumerate(human_documents(100))] + ["x"]
    expected = det.detect_jsonl_json(lines, threads=2)
    for arrow_type in (pa.string(), pa.large_string()):
        array = pa.array(["skipped"] + lines, type=arrow_type).slice(1)
        assert det.detect_jsonl_json(array, threads=1) == expected
    with pytest.raises(WatermarkError):
        det.detect_jsonl_json(pa.array(["{}", None]))
