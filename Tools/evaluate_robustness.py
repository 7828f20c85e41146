#!/usr/bin/env python3
"""Robustness: detection after the edits people make, at a fixed false-positive rate.

Takes watermarked documents (JSON Lines with "text", e.g. from `watermark embed --json`) and
human documents (for copy-paste), applies every attack of `watermark attack` at several
strengths, detects with the release CLI, and prints Markdown: TPR at p ≤ --fpr (default 1e-3)
with 95% Clopper–Pearson intervals, overall and by the watermarked text's length in tokens.
Character tricks are also run with normalisation off, to show what it buys; copy-paste is run
with and without the windowed scan (`--scan`).

  python3 Tools/evaluate_robustness.py --watermark .build/release/watermark --key-file K \
      --positives embedded.jsonl --human CACHE/corpus/en/heldout.jsonl > robustness.md
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from scipy import stats

WORD_ATTACKS = ["delete", "insert", "substitute"]
WORD_RATES = [0.05, 0.1, 0.2, 0.3, 0.4]
CHAR_ATTACKS = ["zero-width", "whitespace", "homoglyph", "emoji"]
LENGTH_BUCKETS = [(0, 64), (64, 128), (128, 256), (256, 100000)]


def cp(k: int, n: int) -> tuple[float, float]:
    lo = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def run(cmd: list[str], stdin: str | None = None) -> str:
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"evaluate_robustness.py: {' '.join(cmd[:3])} failed: {out.stderr.strip()}")
    return out.stdout


def detect(args, path: str, extra: list[str]) -> list[dict]:
    stdout = run([args.watermark, "detect", "--jsonl", "--json", "--key-file", args.key_file,
                  "--fpr", str(args.fpr), *extra, path])
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def row(label: str, results: list[dict], lengths: list[int], fpr: float) -> str:
    hits = [r["verdict"] == "watermarked" for r in results]
    n, k = len(hits), sum(hits)
    lo, hi = cp(k, n) if n else (0, 1)
    cells = [f"{label}", f"{k}/{n}", f"{k / n:.3f} [{lo:.3f}, {hi:.3f}]" if n else "–"]
    for a, b in LENGTH_BUCKETS:
        sel = [h for h, length in zip(hits, lengths) if a <= length < b]
        cells.append(f"{sum(sel) / len(sel):.2f} (n={len(sel)})" if sel else "–")
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watermark", default=".build/release/watermark")
    ap.add_argument("--key-file", required=True)
    ap.add_argument("--positives", required=True)
    ap.add_argument("--human", required=True)
    ap.add_argument("--fpr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--paraphrase", action="store_true",
                    help="also paraphrase every text with the default model (unwatermarked) and detect that")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="evaluate-robustness-")

    clean = detect(args, args.positives, [])
    lengths = [r["tokens"] for r in clean]
    header = "| attack | detected | TPR [95% CI] | " + " | ".join(
        f"{a}–{b if b < 100000 else '∞'} tokens" for a, b in LENGTH_BUCKETS) + " |"
    print(f"TPR at p ≤ {args.fpr:g} (nominal, exact binomial), by the watermarked text's length before the edit.\n")
    print(header)
    print("|" + "---|" * (3 + len(LENGTH_BUCKETS)))
    print(row("none", clean, lengths, args.fpr), flush=True)

    def attacked(kind: str, rate: float, extra: list[str] | None = None) -> str:
        path = f"{work}/{kind}-{rate}.jsonl"
        with open(path, "w") as f:
            f.write(run([args.watermark, "attack", "--kind", kind, "--rate", str(rate), "--seed", str(args.seed),
                         *(extra or []), args.positives]))
        return path

    for kind in WORD_ATTACKS:
        for rate in WORD_RATES:
            print(row(f"{kind} {rate:.0%} of words", detect(args, attacked(kind, rate), []), lengths, args.fpr), flush=True)
    print(row("case change, 50% of words", detect(args, attacked("case", 0.5), []), lengths, args.fpr), flush=True)
    for kind in CHAR_ATTACKS:
        path = attacked(kind, 0.5)
        print(row(f"{kind} 50% (normalised)", detect(args, path, []), lengths, args.fpr), flush=True)
        print(row(f"{kind} 50% (--no-normalize)", detect(args, path, ["--no-normalize"]), lengths, args.fpr), flush=True)
    if args.paraphrase:
        # The model rewrites each watermarked text without the watermark: the strongest edit
        # the toolkit can make on its own, since nearly every tuple changes.
        prompts = f"{work}/paraphrase-prompts.jsonl"
        with open(args.positives) as src, open(prompts, "w") as dst:
            for line in src:
                if line.strip():
                    text = json.loads(line)["text"]
                    dst.write(json.dumps({"prompt": "Paraphrase the following text, keeping its meaning:\n\n" + text}) + "\n")
        path = f"{work}/paraphrased.jsonl"
        with open(path, "w") as f:
            f.write(run([args.watermark, "embed", "--no-watermark", "--prompts", prompts, "--max-tokens", "256",
                         "--seed", str(args.seed), "--json"]))
        print(row("paraphrase by the default model", detect(args, path, []), lengths, args.fpr), flush=True)
        print(row("paraphrase by the default model, --scan", detect(args, path, ["--scan"]), lengths, args.fpr), flush=True)
    for fraction in [0.1, 0.25, 0.5]:
        path = attacked("copy-paste", fraction, ["--human", args.human])
        print(row(f"copy-paste, {fraction:.0%} of the document", detect(args, path, []), lengths, args.fpr), flush=True)
        print(row(f"copy-paste, {fraction:.0%}, --scan", detect(args, path, ["--scan"]), lengths, args.fpr), flush=True)


if __name__ == "__main__":
    main()
