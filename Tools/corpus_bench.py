#!/usr/bin/env python3
"""Detection at corpus scale (docs/BENCHMARKS.md, "Corpus scale"), in one run, same text:

1. the held-out text of every language of the corpus (Tools/fetch-corpus.sh), JSON Lines;
2. the floor, tokenizing alone (the library on the texts in memory, WatermarkBench), and the
   library's whole detection on the same texts in the same process;
3. `watermark detect --jsonl --json` with --threads 1 and 2, with the shared tuple cache and
   without (--no-tuple-cache), and the cache's hit rate (--cache-stats); 2 and 3 in --rounds
   rounds (default 5), the floor measured before and after every CLI row and each row's ratio
   taken against the mean of those two, reported as medians of times and of those ratios;
   `watermark tokenize --jsonl --count` in the rounds too (the CLI tokenizing alone: detect
   against it is scoring's own cost in the CLI), and `watermark tokenize --jsonl` once;
4. Hugging Face `tokenizers` (the default model's tokenizer, from its GGUF through
   transformers) alone, and `tokenizers` + transformers' WatermarkDetector on a sample of the
   documents (it is too slow for all of them);
5. with --spark, Tools/spark/detect_job.py in local[2] on the same file, and with
   --spark-repeat N (repeatable) also on the file repeated N times (Spark's start-up is fixed),
   each against `detect --threads 2` on the same file;
6. with --stream-gib N, the streaming check: detect on N GiB of JSON Lines (the corpus
   repeated) against 1/8 of it, peak RSS of each.

Run in the Python test environment (transformers, tokenizers): 
    $(Tools/python-env.sh)/bin/python Tools/corpus_bench.py [--spark [--spark-repeat 16 --spark-repeat 150]] [--stream-gib 1]
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLI = REPO / ".build" / "release" / "watermark"
CACHE = Path(os.environ.get("WATERMARK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
MODEL = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def timed(cmd, **kw):
    """Wall seconds, standard error and exit status of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
    _, err = proc.communicate()
    return time.perf_counter() - start, err, proc.returncode


def peak_rss(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", *map(str, cmd)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(re.search(r"MAXRSS (\d+)", out.stderr).group(1)) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spark", action="store_true")
    parser.add_argument("--stream-gib", type=float, default=0)
    parser.add_argument("--hf-docs", type=int, default=40, help="documents for the Hugging Face WatermarkDetector row (0: no Hugging Face rows)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the floor and the detection rows")
    parser.add_argument("--spark-repeat", type=int, action="append", default=[],
                        help="also run Spark (and the CLI with 2 threads, for the ratio) on the corpus repeated this many times "
                             "(repeatable)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    key = work / "key.hex"
    key.write_text(hashlib.sha256(b"corpus bench key").hexdigest() + "\n")
    key.chmod(0o600)
    corpus = work / "heldout.jsonl"
    langs = sorted(p.name for p in (CACHE / "corpus").iterdir() if (p / "heldout.jsonl").is_file() and p.name != "en-small")
    with open(corpus, "w") as f:
        for lang in langs:
            for i, line in enumerate((CACHE / "corpus" / lang / "heldout.jsonl").read_text().splitlines()):
                f.write(json.dumps({"id": f"{lang}-{i}", "text": json.loads(line)["text"]}, ensure_ascii=False) + "\n")
    texts = [json.loads(l)["text"] for l in corpus.read_text().splitlines()]
    mb = corpus.stat().st_size / 1e6
    docs = len(texts)
    print(f"corpus: {docs} documents, {mb:.1f} MB, languages: {', '.join(langs)}")

    # Rows measured in rounds: this machine's speed drifts by 30% within minutes, so each CLI row
    # is timed between two measurements of the floor, its ratio is taken against their mean, and
    # the table shows the medians over the rounds.
    rounds = {}
    def measured(name, seconds):
        rounds.setdefault(name, []).append(seconds)
    FLOOR = "tokenize alone, 1 thread (the floor; library, normalised)"
    adjacent = {FLOOR: None}  # each row's ratios to the floor measured beside it, per round
    stats = ""
    def floor_seconds(with_detect=False):
        extra = ["--with-detect", str(key)] if with_detect else ["--floor-only"]
        bench = json.loads(subprocess.run([str(REPO / ".build" / "release" / "WatermarkBench"), "--corpus-tokenize", str(corpus),
                                           "--tokenizer", str(MODEL), "--passes", "2", *extra],
                                          capture_output=True, text=True, check=True).stdout)
        # Best of 2 passes: the floor warm (its second pass), so that it is never flattered by
        # a cold first pass. Seconds from the texts' bytes, which the figures are rates of.
        text_mb = bench["bytes"] / 1e6
        return text_mb / bench["normalized_mb_s"], (text_mb / bench["detect_cached_mb_s"] if with_detect else None)

    LIBRARY = "detect in the library, 1 thread, shared tuple cache (texts in memory)"
    # The CLI rows of every round: detect with 1 and 2 threads, with and without the tuple
    # cache, and the CLI tokenizing alone (counts written, not ids), which pays what detect pays
    # for reading, JSON, the tokenizer's load and the process, so that detect against it is
    # scoring's own cost in the CLI.
    COUNT = "watermark tokenize --jsonl --count, 1 thread (the CLI tokenizing alone)"
    cli_rows = [(f"detect, {threads} thread{'s' if threads > 1 else ''}, {'shared tuple cache' if cache else 'no tuple cache'}",
                 ["detect", "--jsonl", "--json", "--key-file", str(key), "--threads", str(threads), "--cache-stats",
                  *([] if cache else ["--no-tuple-cache"])])
                for threads in (1, 2) for cache in (True, False)]
    cli_rows.append((COUNT, ["tokenize", "--jsonl", "--count"]))
    for _ in range(args.rounds):
        # The floor is measured before and after each CLI row, and the row's ratio uses the mean
        # of the two: adjacent runs drift least from each other.
        floors = [floor_seconds()[0]]
        cli_times = []
        for name, arguments in cli_rows:
            t, err, code = timed([str(CLI), *arguments, str(corpus)])
            assert code in (0, 1), err[-1000:]
            m = re.search(r"tuple cache: (\d+) hits of (\d+) lookups", err)
            if m and "shared" in name:
                stats = f"{int(m.group(1)) / int(m.group(2)):.1%} of {int(m.group(2))} lookups"
            cli_times.append(t)
            floor, library = floor_seconds(with_detect=name == cli_rows[-1][0])
            floors.append(floor)
        measured(FLOOR, sum(floors) / len(floors))
        measured(LIBRARY, library)  # same process as the last floor
        adjacent.setdefault(LIBRARY, []).append(floors[-1] / library)
        for i, ((name, _), t) in enumerate(zip(cli_rows, cli_times)):
            measured(name, t)
            adjacent.setdefault(name, []).append((floors[i] + floors[i + 1]) / 2 / t)

    def median(values):
        v = sorted(values)
        return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    TWO = "detect, 2 threads, shared tuple cache"
    ONE = "detect, 1 thread, shared tuple cache"
    # name -> (median seconds, median per-round ratio to the floor, to 2 threads)
    rows = {name: (median(times), 1.0 if name == FLOOR else median(adjacent[name]),
                   median([w / t for w, t in zip(rounds[TWO], times)]))
            for name, times in rounds.items()}
    one_vs_two = median([o / w for o, w in zip(rounds[ONE], rounds[TWO])])
    def row(name, seconds):
        # Measured once, outside the rounds: ratios to the rounds' median floor and two threads.
        rows[name] = (seconds, rows[FLOOR][0] / seconds, rows[TWO][0] / seconds)
    t, _, _ = timed([str(CLI), "tokenize", "--jsonl", str(corpus)])
    row("watermark tokenize --jsonl, 1 thread (ids written out)", t)

    # Hugging Face tokenizers alone, on every document; WatermarkDetector on a sample (none: skipped).
    if args.hf_docs > 0:
        os.environ["HF_HUB_OFFLINE"] = "1"
        from transformers import AutoConfig, AutoTokenizer, WatermarkDetector, WatermarkingConfig
        import torch
        torch.set_num_threads(1)
        tok = AutoTokenizer.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name)
        start = time.perf_counter()
        encoded = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
        hf_tok = time.perf_counter() - start
        row("Hugging Face tokenizers alone (1 thread)", hf_tok)
        config = AutoConfig.from_pretrained(str(MODEL.parent), gguf_file=MODEL.name)
        hf = WatermarkDetector(model_config=config, device="cpu",
                               watermarking_config=WatermarkingConfig(greenlist_ratio=0.25, bias=2.0, context_width=1, seeding_scheme="lefthash"))
        sample = list(range(0, docs, max(1, docs // args.hf_docs)))[:args.hf_docs]
        sample_bytes = sum(len(texts[i].encode()) for i in sample)
        start = time.perf_counter()
        for i in sample:
            ids = tok(texts[i], add_special_tokens=False)["input_ids"]
            if len(ids) > 2:
                hf(torch.tensor([ids]))
        hf_det = time.perf_counter() - start
        hf_det_full = hf_det * mb * 1e6 / sample_bytes
        row(f"Hugging Face tokenizers + WatermarkDetector (1 thread; {len(sample)} documents, scaled)", hf_det_full)

    if args.spark:
        spark_py = REPO / "Tools" / "spark"
        venv = subprocess.run([str(spark_py / "spark-env.sh")], capture_output=True, text=True, check=True).stdout.strip()
        submit = Path(venv) / "bin" / "spark-submit"
        py = str(Path(venv) / "bin" / "python")
        wheels = sorted((REPO / "Tools" / "python" / "dist").glob("swift_watermark-*.whl"), key=lambda p: p.stat().st_mtime)
        assert wheels, "build the wheel first: Tools/python/build_wheel.sh"
        subprocess.run([py, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheels[-1])], check=True)
        env = dict(os.environ, PYSPARK_PYTHON=py, PYSPARK_DRIVER_PYTHON=py, SPARK_LOCAL_IP="127.0.0.1")
        spark_rows = []
        for repeat in sorted({1, *args.spark_repeat}):
            path = corpus
            if repeat > 1:
                path = work / f"heldout-x{repeat}.jsonl"
                data = corpus.read_bytes()
                with open(path, "wb") as f:
                    for _ in range(repeat):
                        f.write(data)
            size = path.stat().st_size / 1e6
            cli_t, err, code = timed([str(CLI), "detect", "--jsonl", "--json", "--key-file", str(key), "--threads", "2", str(path)])
            assert code in (0, 1), err[-1000:]
            # C1 only: on two cores the JVM's optimising compiler took the cores scoring needs.
            t, err, code = timed([str(submit), "--master", "local[2]", "--driver-memory", "2g", "--conf", "spark.ui.enabled=false",
                                  "--driver-java-options", "-XX:TieredStopAtLevel=1",
                                  str(spark_py / "detect_job.py"), "--input", str(path), "--output", str(work / f"spark-out-{repeat}"),
                                  "--id-type", "string", "--key-file", str(key), "--tokenizer", str(MODEL)], env=env)
            assert code == 0, err[-2000:]
            if repeat == 1:
                row("Spark local[2], detect_job.py (JVM start and output writing included)", t)
            spark_rows.append((size, cli_t, t))
            shutil.rmtree(work / f"spark-out-{repeat}", ignore_errors=True)
            if repeat > 1:
                path.unlink()

    print(f"tuple cache hit rate: {stats}")
    print(f"rounds: {args.rounds} (median of each row's seconds and of its per-round ratios)")
    print("| run | s | MB/s | documents/s | vs tokenize alone | vs detect, 2 threads |")
    print("|---|---|---|---|---|---|")
    for name, (seconds, vs_floor, vs_two) in rows.items():
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.2f} | {docs / seconds:.0f} | {vs_floor:.2f} | {vs_two:.2f} |")
    print(f"two threads vs one: {one_vs_two:.2f}x (median of per-round ratios)")
    one_vs_count = median([c / o for o, c in zip(rounds[ONE], rounds[COUNT])])
    print(f"detect, 1 thread, vs the CLI tokenizing alone: {one_vs_count:.2f}x (median of per-round ratios; "
          + " ".join(f"{c / o:.2f}" for o, c in zip(rounds[ONE], rounds[COUNT])) + ")")
    # The spread, so that one lucky or unlucky round is visible for what it is.
    for name in rounds:
        if name != FLOOR:
            print(f"per-round ratio to the floor, {name}: " + " ".join(f"{r:.2f}" for r in adjacent[name]))
    print("per-round two threads vs one: " + " ".join(f"{o / w:.2f}" for o, w in zip(rounds[ONE], rounds[TWO])))
    if args.spark:
        print("| corpus MB | CLI --threads 2 s | Spark local[2] s | Spark vs CLI |")
        print("|---|---|---|---|")
        for size, cli_t, t in spark_rows:
            print(f"| {size:.1f} | {cli_t:.2f} | {t:.2f} | {cli_t / t:.2f} |")

    if args.stream_gib:
        big = work / "big.jsonl"
        small = work / "small.jsonl"
        data = corpus.read_bytes()
        target = int(args.stream_gib * (1 << 30))
        with open(big, "wb") as f:
            written = 0
            while written < target:
                f.write(data)
                written += len(data)
        with open(small, "wb") as f:
            written = 0
            while written < target // 8:
                f.write(data)
                written += len(data)
        for path in (small, big):
            rss = peak_rss([CLI, "detect", "--jsonl", "--json", "--key-file", key, "--threads", 2, path])
            print(f"streaming: {path.stat().st_size / 2**30:.3f} GiB -> peak RSS {rss:.1f} MiB")
        big.unlink()
        small.unlink()


if __name__ == "__main__":
    main()
