#!/usr/bin/env python3
"""Load on watermark-server (docs/BENCHMARKS.md, "Detection service"), in one run:

1. documents of about 300 tokens (held-out human text from the small corpus, cut to length);
2. `watermark detect --jsonl --json` on them: documents/s with --threads 1, and with one
   thread per core (the same cores the service gets);
3. the service (`--threads` = cores) under wrk on loopback at 1, 16 and 64 connections, each
   request one document to `POST /v1/detect`: requests/s, p50 and p99 latency; then the same
   with each request a batch of --batch documents (16, then 64) to `POST /v1/detect/batch`
   (documents/s is then requests/s times the batch); and GET /healthz under the same wrk, the
   HTTP floor, from which the most that one document a request could reach is derived; the
   CLI on all cores is measured again after every row, and each row's ratio is to the mean of
   the CLI measured just before and after it (this machine's speed drifts by tens of percent);
4. with --soak SECONDS, wrk at 16 connections for that long, the server's RSS sampled every
   10 s.

Needs release builds of both binaries, wrk (Debian's), the default model and the corpus.
Uses only the standard library: python3 Tools/server/bench.py [--seconds 20] [--batch 16 --batch 64] [--soak 600]
"""
import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".build" / "release"
CACHE = Path(os.environ.get("WATERMARK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
CORPUS = CACHE / "corpus" / "en-small"

LUA = r"""
local bodies = {}
local n = 0
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
init = function(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do n = n + 1; bodies[n] = line end
end
local i = 0
request = function()
  i = i % n + 1
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50=%d p99=%d requests=%d non2xx=%d errors=%d\n", latency:percentile(50), latency:percentile(99),
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def documents(work, target=300):
    texts = []
    for name in ("heldout.jsonl", "train.jsonl"):
        texts += [json.loads(l)["text"] for l in (CORPUS / name).read_text().splitlines()]
    ids = [json.loads(l)["ids"] for l in run(BIN / "watermark", "tokenize", "--jsonl",
                                             input="".join(json.dumps({"text": t}) + "\n" for t in texts)).stdout.splitlines()]
    cut = []
    for text, tokens in zip(texts, ids):
        if len(tokens) < target:
            continue
        end = int(len(text) * target / len(tokens))
        cut.append(text[:end].rsplit(" ", 1)[0])
    counts = [len(json.loads(l)["ids"]) for l in run(BIN / "watermark", "tokenize", "--jsonl",
                                                    input="".join(json.dumps({"text": t}) + "\n" for t in cut)).stdout.splitlines()]
    return cut, counts


def cli_rate(key, docs, threads, repeat):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "docs.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in docs * repeat))
        start = time.perf_counter()
        proc = subprocess.run([str(BIN / "watermark"), "detect", "--jsonl", "--json", "--threads", str(threads), "--key-file", str(key),
                               str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert proc.returncode in (0, 1)
        return len(docs) * repeat / (time.perf_counter() - start)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wrk(url, connections, seconds, env, batch=1):
    threads = min(2, connections)
    env = dict(env, BENCH_PATH="/v1/detect" if batch == 1 else "/v1/detect/batch",
               BENCH_BODIES=env["BENCH_BODIES"] if batch == 1 else env["BENCH_BATCHES"])
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", env["BENCH_LUA"], url], capture_output=True, text=True, env=env, check=True).stdout
    m = re.search(r"BENCH p50=(\d+) p99=(\d+) requests=(\d+) non2xx=(\d+) errors=(\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"connections": connections, "batch": batch, "rps": rps, "docs": rps * batch, "p50_ms": int(m.group(1)) / 1000, "p99_ms": int(m.group(2)) / 1000,
            "requests": int(m.group(3)), "non2xx": int(m.group(4)), "errors": int(m.group(5))}


def wrk_healthz(url, connections, seconds):
    """GET /healthz under wrk: what HTTP alone costs here (wrk's share of the cores included)."""
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          url + "/healthz"], capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--soak", type=int, default=0)
    parser.add_argument("--batch", type=int, action="append",
                        help="documents per request in a set of batch rows (repeatable; default 16 and 64; 0: none)")
    args = parser.parse_args()
    cores = os.cpu_count()
    work = Path(tempfile.mkdtemp(prefix="server-bench-"))
    key = work / "key.hex"
    key.write_text(hashlib.sha256(b"server bench key").hexdigest() + "\n")
    key.chmod(0o600)
    docs, counts = documents(work)
    print(f"documents: {len(docs)}, tokens each: mean {statistics.mean(counts):.0f}, min {min(counts)}, max {max(counts)}; "
          f"mean {statistics.mean(len(d.encode()) for d in docs):.0f} bytes; {cores} cores")

    cli1 = cli_rate(key, docs, 1, 40)
    clin = cli_rate(key, docs, cores, 40)
    print(f"CLI watermark detect --jsonl --json: {cli1:.0f} documents/s (--threads 1), {clin:.0f} documents/s (--threads {cores})")

    secret, line = run(BIN / "watermark-server", "token", "--name", "bench", "--scope", "full", "--requests-per-minute", 1000000,
                       "--tokens-per-day", 10**12).stdout.strip().split("\n")
    (work / "tokens.jsonl").write_text(line + "\n")
    (work / "bodies.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in docs))
    (work / "bench.lua").write_text(LUA)
    server = subprocess.Popen([str(BIN / "watermark-server"), "serve", "--port", "0", "--key-file", str(key), "--tokens", str(work / "tokens.jsonl"),
                               "--database", str(work / "bench.sqlite"), "--threads", str(cores), "--log-level", "warning"],
                              stdout=subprocess.PIPE, stderr=open(work / "server.log", "w"), text=True)
    url = re.search(r"(http://\S+)", server.stdout.readline()).group(1)
    env = dict(os.environ, BENCH_TOKEN=secret, BENCH_BODIES=str(work / "bodies.jsonl"), BENCH_LUA=str(work / "bench.lua"))
    wrk(url, 16, 5, env)  # warm-up
    # This machine's speed drifts by tens of percent over minutes, so the CLI (on all cores) is
    # measured again after every row, while the server idles, and each row is compared with
    # the mean of the CLI measured just before and just after it.
    baseline = [clin]
    def beside(measure):
        value = measure()
        baseline.append(cli_rate(key, docs, cores, 40))
        return value, (baseline[-2] + baseline[-1]) / 2
    rows = []
    for c in (1, 16, 64):
        r, cli = beside(lambda: wrk(url, c, args.seconds, env))
        rows.append(dict(r, cli=cli))
    # The HTTP floor: with wrk on the same cores, each request costs the machine at least what
    # a GET /healthz costs plus what detecting its document costs the CLI, so one document a
    # request can reach at most h / (h + cli) of the CLI's documents/s (h = /healthz requests/s).
    floor = {c: beside(lambda: wrk_healthz(url, c, max(5, args.seconds // 2))) for c in (1, 16, 64)}
    for size in [b for b in (args.batch or [16, 64]) if b > 1]:
        # Batches: consecutive runs of the documents, wrapping around, so every batch is full.
        batches = [[docs[(start + j) % len(docs)] for j in range(size)] for start in range(0, len(docs), size)]
        (work / f"batches-{size}.jsonl").write_text("".join(json.dumps({"documents": [{"text": t} for t in b]}) + "\n" for b in batches))
        env["BENCH_BATCHES"] = str(work / f"batches-{size}.jsonl")
        for c in (1, 16, 64):
            r, cli = beside(lambda: wrk(url, c, args.seconds, env, batch=size))
            rows.append(dict(r, cli=cli))
    print(f"service, {cores} detection threads, wrk on the same machine ({args.seconds} s each):")
    print(f"CLI --threads {cores}, measured after each row: " + ", ".join(f"{b:.0f}" for b in baseline) + " documents/s")
    print(f"| request | connections | requests/s | documents/s | vs CLI (1 thread, at the start) | vs CLI ({cores} threads, beside the row) | p50 ms | p99 ms | non-2xx | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        what = "1 document" if r["batch"] == 1 else f"batch of {r['batch']}"
        print(f"| {what} | {r['connections']} | {r['rps']:.0f} | {r['docs']:.0f} | {r['docs'] / cli1:.2f} | {r['docs'] / r['cli']:.2f} | "
              f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['non2xx']} | {r['errors']} |")
    print(f"HTTP floor, GET /healthz under the same wrk: " + ", ".join(f"{floor[c][0]:.0f} requests/s at {c}" for c in (1, 16, 64)))
    print("most one document a request can reach, h / (h + CLI): " +
          ", ".join(f"{h / (h + cli):.2f} of the CLI ({cores} threads) at {c}" for c, (h, cli) in floor.items()))
    print(f"server RSS after the runs: {rss_kib(server.pid) / 1024:.1f} MiB")

    if args.soak:
        samples = []
        # Single documents to /v1/detect, as the first rows (the path must be set here too: without
        # it the script posts to "/" and the soak would measure 404s).
        soak_env = dict(env, BENCH_PATH="/v1/detect")
        proc = subprocess.Popen(["wrk", "-t", "2", "-c", "16", "-d", f"{args.soak}s", "--timeout", "10s", "-s", env["BENCH_LUA"], url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=soak_env)
        start = time.monotonic()
        while proc.poll() is None:
            samples.append((time.monotonic() - start, rss_kib(server.pid)))
            time.sleep(10)
        out = proc.stdout.read()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        m = re.search(r"BENCH p50=(\d+) p99=(\d+) requests=(\d+) non2xx=(\d+) errors=(\d+)", out)
        print(f"soak: {m.group(3)} requests, {m.group(4)} non-2xx, {m.group(5)} errors; p50 {int(m.group(1)) / 1000:.2f} ms, "
              f"p99 {int(m.group(2)) / 1000:.2f} ms")
        assert int(m.group(4)) == 0 and int(m.group(5)) == 0, "the soak's requests must all succeed"
        mib = [s / 1024 for _, s in samples]
        third = max(1, len(mib) // 3)
        print(f"soak: {args.soak} s at 16 connections, {rps:.0f} requests/s; RSS MiB first {mib[0]:.1f}, "
              f"mean of the first third {statistics.mean(mib[:third]):.1f}, of the last third {statistics.mean(mib[-third:]):.1f}, "
              f"max {max(mib):.1f} ({len(mib)} samples)")
        print("soak RSS samples (s, MiB): " + ", ".join(f"{t:.0f}:{s / 1024:.1f}" for t, s in samples))
    server.terminate()
    assert server.wait(timeout=60) == 0


if __name__ == "__main__":
    main()
