#!/usr/bin/env python3
"""Side-by-side speed of the Swift runtime (`watermark embed`) and llama.cpp on the same GGUF.

llama.cpp comes from PyPI's `llama-cpp-python` (it compiles llama.cpp on install; about
6 minutes on 2 cores):  python3 -m venv /tmp/llama && /tmp/llama/bin/pip install llama-cpp-python
then run this script with that interpreter (it also needs `tokenizers`, or falls back to the
token ids in Vectors/runtime/smollm2.json).

Usage:
  python3 Tools/bench_runtime.py [--threads 2] [--prompt-tokens 128] [--gen-tokens 128] [--runs 3]
         [--watermark .build/release/watermark] [--model PATH]

Both sides: the same prompt ids (raw text, no chat format), greedy, end-of-turn ignored;
prompt processing = one batched evaluation of the prompt; generation = tokens/s of single
steps after it. Prints a Markdown table; best of --runs for each figure. Also reports how far
llama.cpp's own logits are from the NumPy reference in Vectors/runtime/smollm2.json (it
quantises activations to 8 bits), for comparison with the Swift runtime's parity error.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("WATERMARK_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "swift-watermark")
DEFAULT_MODEL = os.path.join(CACHE, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
TEXT = ("The history of the printing press begins in the fifteenth century, when Johannes Gutenberg "
        "combined movable metal type, oil-based ink and a screw press adapted from wine making. "
        "Within a few decades, presses had spread across Europe, and the number of books grew from "
        "thousands to millions. Scholars, merchants and reformers used the new technology to share "
        "ideas quickly, and literacy slowly rose in towns and cities. Historians still debate how much "
        "the press changed religion, science and politics, but few doubt that it altered how people "
        "learned, argued and remembered. In the centuries that followed, printing became faster and "
        "cheaper, and newspapers, pamphlets and novels reached readers who had never owned a book.")


def prompt_text(n_tokens: int, tokenizer_json: str) -> tuple[str, list[int]]:
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_json)
    words = TEXT.split(" ")
    for k in range(len(words), 0, -1):
        text = " ".join(words[:k])
        ids = tok.encode(text, add_special_tokens=False).ids
        if len(ids) <= n_tokens:
            return text, ids
    raise SystemExit("prompt too short")


def swift_side(binary, model, text, threads, gen, runs):
    best_pp = best_tg = 0.0
    wm_ms = None
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "key")
        subprocess.run([binary, "keygen", "--out", key], check=True, capture_output=True)
        for watermark in (False, True):
            for _ in range(runs):
                cmd = [binary, "embed", "--model", model, "--prompt", text, "--raw", "--greedy", "--ignore-eos",
                       "--max-tokens", str(gen), "--threads", str(threads), "--json"]
                cmd += ["--key-file", key] if watermark else ["--no-watermark"]
                out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                if watermark:
                    wm_ms = out["watermarkMillisecondsPerToken"] if wm_ms is None else min(wm_ms, out["watermarkMillisecondsPerToken"])
                else:
                    best_pp = max(best_pp, out["promptTokensPerSecond"])
                    best_tg = max(best_tg, out["tokensPerSecond"])
                    prompt_tokens = out["promptTokens"]
    return best_pp, best_tg, wm_ms, prompt_tokens


def last_logits(llm):
    # `Llama.scores` is not filled by every version; read the context's last row directly.
    import llama_cpp
    row = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(row, shape=(llm.n_vocab(),))


def llama_side(model, ids, threads, gen, runs):
    from llama_cpp import Llama
    llm = Llama(model_path=model, n_ctx=1024, n_threads=threads, n_threads_batch=threads, n_batch=512,
                verbose=False)
    best_pp = best_tg = 0.0
    for _ in range(runs):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        pp = len(ids) / (time.perf_counter() - t0)
        tok = int(np.argmax(last_logits(llm)))
        t0 = time.perf_counter()
        for _ in range(gen):
            llm.eval([tok])
            tok = int(np.argmax(last_logits(llm)))
        tg = gen / (time.perf_counter() - t0)
        best_pp, best_tg = max(best_pp, pp), max(best_tg, tg)
    return llm, best_pp, best_tg


def llama_parity(llm):
    vectors = json.load(open(os.path.join(ROOT, "Vectors", "runtime", "smollm2.json")))
    worst, agree, total = 0.0, 0, 0
    for p in vectors["prompts"]:
        llm.reset()
        llm.eval(p["ids"])
        logits = last_logits(llm)
        top = p["positions"][-1]["top"]
        assert p["positions"][-1]["index"] == len(p["ids"]) - 1
        total += 1
        agree += int(np.argmax(logits)) == top[0][0]
        worst = max(worst, max(abs(float(logits[i]) - v) for i, v in top))
    return worst, agree, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=128)
    ap.add_argument("--gen-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--watermark", default=os.path.join(ROOT, ".build", "release", "watermark"))
    ap.add_argument("--model", default=DEFAULT_MODEL)
    args = ap.parse_args()
    text, ids = prompt_text(args.prompt_tokens, os.path.join(ROOT, "Vectors", "tokenizer", "smollm2", "tokenizer.json"))
    s_pp, s_tg, wm_ms, n = swift_side(args.watermark, args.model, text, args.threads, args.gen_tokens, args.runs)
    assert n == len(ids), (n, len(ids))
    rows = [("Swift runtime (`watermark embed`)", s_pp, s_tg)]
    try:
        llm, l_pp, l_tg = llama_side(args.model, ids, args.threads, args.gen_tokens, args.runs)
        rows.append(("llama.cpp (llama-cpp-python)", l_pp, l_tg))
        parity = llama_parity(llm)
    except ImportError:
        llm, parity = None, None
        print("llama_cpp is not installed: Swift side only", file=sys.stderr)
    print(f"{len(ids)}-token prompt, {args.gen_tokens} generated tokens, {args.threads} threads, best of {args.runs}\n")
    print("| engine | prompt tok/s | generation tok/s |")
    print("|---|---:|---:|")
    for name, pp, tg in rows:
        print(f"| {name} | {pp:.1f} | {tg:.1f} |")
    if len(rows) == 2:
        print(f"\nSwift / llama.cpp: prompt {rows[0][1] / rows[1][1]:.0%}, generation {rows[0][2] / rows[1][2]:.0%}")
    step_ms = 1000 / s_tg
    print(f"\nwatermark processor: {wm_ms:.3f} ms per token = {wm_ms / step_ms:.2%} of a {step_ms:.2f} ms step")
    if parity:
        print(f"llama.cpp vs NumPy reference (last position of each prompt): max abs top-20 logit error "
              f"{parity[0]:.4f}, top-1 {parity[1]}/{parity[2]}")


if __name__ == "__main__":
    main()
