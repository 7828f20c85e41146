#!/usr/bin/env python3
"""What a common-tuple list costs in power: the same watermarked texts detected with and
without `--skip-common`, compared at the same number of tokens of text.

For each positives file (JSON Lines with "text" and "keyID", e.g. from `watermark embed --json`)
it runs the release CLI (`detect --jsonl --json --attribution`) twice and, from the per-token
statuses, re-scores the first L tokens of each document (L counts tokens of text, not scored
tuples, since the list makes fewer tuples count) at the nominal thresholds 1e-3 and 1e-5. It
prints Markdown: TPR with 95% Clopper–Pearson intervals, the median tokens of text needed to
cross each threshold, and the share of positions the list leaves out.

  python3 Tools/evaluate_common.py --watermark .build/release/watermark --key-file K \
      --skip-common "2%=common-en.json" --positives NAME=embedded.jsonl > common.md
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
from scipy import stats

LENGTHS = [25, 50, 100, 200]
RATES = [1e-3, 1e-5]


def cp(k: int, n: int) -> tuple[float, float]:
    lo = 0.0 if k == 0 else float(stats.beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def detect(args, key: str, path: str, extra: list[str]) -> list[dict]:
    out = subprocess.run([args.watermark, "detect", "--jsonl", "--json", "--attribution", "--key-file", key, *extra, path],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"evaluate_common.py: detect failed on {path}: {out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def log10_tail(green: int, scored: int, gamma: float) -> float:
    if scored == 0:
        return 0.0
    return float(stats.binom.logsf(green - 1, scored, gamma) / np.log(10))


def running_counts(statuses: list[int]) -> list[tuple[int, int]]:
    """(scored, green) after each token of the text."""
    out, scored, green = [], 0, 0
    for s in statuses:
        if s in (1, 2):
            scored += 1
            green += s == 1
        out.append((scored, green))
    return out


def analyse(results: list[dict], minimum: int = 16) -> dict:
    gamma = results[0]["effectiveGamma"]
    row: dict = {"n": len(results)}
    skipped = sum(r.get("commonSkipped") or 0 for r in results)
    positions = sum(max(0, r["tokens"] - r["contextWidth"]) for r in results)
    row["left_out"] = skipped / positions if positions else 0.0
    counts = [running_counts(r["attribution"]) for r in results]
    for rate in RATES:
        need = -np.log10(rate)
        for length in LENGTHS:
            eligible = [c for c in counts if len(c) >= length]
            hits = 0
            for c in eligible:
                scored, green = c[length - 1]
                hits += scored >= minimum and -log10_tail(green, scored, gamma) >= need
            row[(rate, length)] = (hits, len(eligible))
        # Tokens of text until the running test first crosses the threshold.
        firsts = []
        for c in counts:
            first = None
            for i, (scored, green) in enumerate(c):
                if scored >= minimum and -log10_tail(green, scored, gamma) >= need:
                    first = i + 1
                    break
            firsts.append(first if first is not None else float("inf"))
        median = float(np.median(firsts))
        row[("median", rate)] = median
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watermark", default=".build/release/watermark")
    ap.add_argument("--key-file", required=True, action="append", help="the key of the positives (repeat for several files, in order)")
    ap.add_argument("--skip-common", required=True, action="append", help="LABEL=LIST.json (repeatable)")
    ap.add_argument("--positives", action="append", required=True, help="NAME=FILE.jsonl")
    args = ap.parse_args()
    if len(args.key_file) not in (1, len(args.positives)):
        sys.exit("evaluate_common.py: give one --key-file, or one per --positives")
    print("| texts | list | documents | positions left out | "
          + " | ".join(f"TPR@{r:g}, {n} tokens" for r in RATES for n in LENGTHS)
          + " | median tokens to detect (1e-3 / 1e-5) |")
    print("|---|---|---:|---:|" + "---|" * (len(RATES) * len(LENGTHS)) + "---|")
    for i, spec in enumerate(args.positives):
        name, path = spec.split("=", 1)
        key = args.key_file[i if len(args.key_file) > 1 else 0]
        lists = [("none", [])] + [(spec.split("=", 1)[0], ["--skip-common", spec.split("=", 1)[1]]) for spec in args.skip_common]
        for label, extra in lists:
            r = analyse(detect(args, key, path, extra))
            cells = [name, label, str(r["n"]), f"{100 * r['left_out']:.1f}%"]
            for rate in RATES:
                for length in LENGTHS:
                    k, n = r[(rate, length)]
                    lo, hi = cp(k, n) if n else (0, 1)
                    cells.append(f"{k / n:.2f} [{lo:.2f}, {hi:.2f}] (n={n})" if n else "–")
            medians = [r[("median", rate)] for rate in RATES]
            cells.append(" / ".join("never" if m == float("inf") else f"{m:.0f}" for m in medians))
            print("| " + " | ".join(cells) + " |", flush=True)
    print("\nTokens count tokens of text (positions after the first h), so a list that leaves tuples out "
          "is compared with no list on the same text. Thresholds are nominal (p ≤ rate, exact binomial); "
          "a document needs 16 scored tuples for a verdict.")


if __name__ == "__main__":
    main()
