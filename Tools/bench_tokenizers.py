#!/usr/bin/env python3
"""Single-thread encode throughput of the reference tokenizers (the Swift port's yardstick).

  python3 Tools/bench_tokenizers.py TEXTFILE [--tokenizer NAME] [--repeat N] [--chunk BYTES]
      Prints one JSON object:
        {"tokenizer": NAME, "bytes": B, "tokens": T, "tokenizers_mb_s": X, "tiktoken_mb_s": Y|null,
         "chunks": C, "repeat": N, "tokenizers_version": ..., "tiktoken_version": ...}
      MB = 10^6 bytes of UTF-8 input; the best of N timed passes is reported.  The text is cut
      at line ends into chunks of at most --chunk bytes (default 65536), and every chunk is
      encoded with one call: HF `Tokenizer.encode(chunk, add_special_tokens=False)` (never
      encode_batch) and tiktoken `Encoding.encode_ordinary(chunk)`.  HF runs single-threaded
      (RAYON_NUM_THREADS=1, TOKENIZERS_PARALLELISM=false, set before the import).
      NAME is one of the definitions in gen_tokenizer_vectors.py (default smollm2).  For a
      "gguf" definition tiktoken_mb_s is null (there is no rank file); for a "tiktoken"
      definition the HF tokenizer is built from the rank file (merges recovered from the ranks)
      and its ids are checked against tiktoken's on the benchmark text.

  python3 Tools/bench_tokenizers.py --make-corpus english|code OUT [--size BYTES]
      Writes a deterministic benchmark text (~5 MB by default) built from this Python's
      standard library: `english` = pydoc topics and docstrings (prose); `code` = module
      sources.
"""
from __future__ import annotations

import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import textsources  # noqa: E402


# --------------------------------------------------------------------------- corpus
def make_corpus(kind: str, size: int) -> str:
    rng = random.Random({"english": 5101, "code": 5102}[kind])
    if kind == "english":
        units = textsources.paragraphs(textsources.pydoc_topics() + textsources.docstrings())
        sep = "\n\n"
    else:
        units = [src for _, src in textsources.sources()]
        sep = "\n\n"
    out, n = [], 0
    order = list(range(len(units)))
    while n < size:
        rng.shuffle(order)
        for i in order:
            u = units[i]
            out.append(u)
            n += len(u.encode("utf-8")) + len(sep)
            if n >= size:
                break
    text = sep.join(out)
    # trim to the size at a line end
    b = text.encode("utf-8")
    if len(b) > size:
        cut = b.rfind(b"\n", 0, size)
        b = b[:cut + 1 if cut > 0 else size]
    return b.decode("utf-8", errors="ignore")


# --------------------------------------------------------------------------- tokenizers
def load(name: str, cache: str | None):
    import gen_tokenizer_vectors as g
    d = g.DEFINITIONS[name]
    base = g.cache_dir(cache) if d["pathBase"] == "cache" else g.REPO
    path = os.path.join(base, d["path"])
    if not os.path.exists(path):
        sys.exit("bench_tokenizers.py: %s is missing (run Tools/fetch-model.sh / Tools/fetch-tokenizers.sh)" % path)
    if d["kind"] == "gguf":
        from tokenizers import Tokenizer
        tj = os.path.join(g.REPO, "Vectors", "tokenizer", name, "tokenizer.json")
        hf = Tokenizer.from_file(tj) if os.path.exists(tj) else g.hf_from_gguf(g.read_gguf_tokenizer(path))
        return hf, None
    ranks = g.load_ranks(path)
    enc = g.tiktoken_encoding(name, ranks, d["pattern"], d["specials"])
    return g.hf_from_ranks(ranks, d["pattern"], d["specials"]), enc


# --------------------------------------------------------------------------- timing
def chunks_of(text: str, limit: int) -> list[str]:
    out, cur, n = [], [], 0
    for line in text.splitlines(keepends=True):
        ln = len(line.encode("utf-8"))
        if cur and n + ln > limit:
            out.append("".join(cur))
            cur, n = [], 0
        cur.append(line)
        n += ln
    if cur:
        out.append("".join(cur))
    return out


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description="Single-thread tokenizer encode throughput.")
    ap.add_argument("textfile", nargs="?")
    ap.add_argument("--make-corpus", nargs=2, metavar=("KIND", "OUT"))
    ap.add_argument("--size", type=int, default=5_000_000)
    ap.add_argument("--tokenizer", default="smollm2")
    ap.add_argument("--cache")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=65536)
    args = ap.parse_args()

    if args.make_corpus:
        kind, out = args.make_corpus
        if kind not in ("english", "code"):
            ap.error("--make-corpus KIND must be english or code")
        text = make_corpus(kind, args.size)
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(json.dumps({"corpus": kind, "path": out, "bytes": len(text.encode("utf-8"))}))
        return
    if not args.textfile:
        ap.error("a text file (or --make-corpus) is required")

    with open(args.textfile, encoding="utf-8", newline="") as f:
        text = f.read()
    nbytes = len(text.encode("utf-8"))
    chunks = chunks_of(text, args.chunk)
    hf, enc = load(args.tokenizer, args.cache)

    # warm-up (and parity check where both exist)
    hf_ids = [hf.encode(c, add_special_tokens=False).ids for c in chunks]
    ntok = sum(len(x) for x in hf_ids)
    result = {"tokenizer": args.tokenizer, "bytes": nbytes, "tokens": ntok, "chunks": len(chunks),
              "repeat": args.repeat}
    t_hf = best_time(lambda: [hf.encode(c, add_special_tokens=False) for c in chunks], args.repeat)
    result["tokenizers_mb_s"] = round(nbytes / t_hf / 1e6, 3)
    if enc is not None:
        tt_ids = [enc.encode_ordinary(c) for c in chunks]
        t_tt = best_time(lambda: [enc.encode_ordinary(c) for c in chunks], args.repeat)
        result["tiktoken_mb_s"] = round(nbytes / t_tt / 1e6, 3)
        result["ids_agree"] = tt_ids == hf_ids
    else:
        result["tiktoken_mb_s"] = None
    import tokenizers
    result["tokenizers_version"] = tokenizers.__version__
    try:
        import tiktoken
        result["tiktoken_version"] = tiktoken.__version__
    except ImportError:
        result["tiktoken_version"] = None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
