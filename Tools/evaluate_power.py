#!/usr/bin/env python3
"""Power and quality cost of the watermark on the default model, over δ and γ.

For each (δ, γ) it generates watermarked continuations of held-out human text with
`watermark embed` (multinomial sampling), calibrates against human training text with
`watermark calibrate` (which gives TPR by length at each rate and the median tokens to
detect), and reads the perplexity of the generated text under the model itself from
`embed --json` (mean negative log-likelihood of the sampled tokens under the unbiased
distribution). An unwatermarked run with the same prompts and seed is the quality baseline.

  python3 Tools/evaluate_power.py --watermark .build/release/watermark --prompts P.jsonl \
      --negatives CACHE/corpus/en/train.jsonl --out DIR > power.md
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys


def run(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"evaluate_power.py: {' '.join(cmd[:2])} failed: {out.stderr.strip()}")
    return out.stdout


# Plain multinomial sampling from the model's distribution, as the scheme's paper evaluates it.
MULTINOMIAL = ["--temperature", "1", "--top-p", "1", "--min-p", "0", "--top-k", "0", "--repetition-penalty", "1"]


def generate(path: str, cmd: list[str], reuse: bool) -> None:
    """Writes the output of an `embed` run to path (kept as is with --reuse, if there)."""
    if reuse and os.path.exists(path):
        return
    text = run(cmd)
    with open(path, "w") as f:
        f.write(text)


def perplexity(rows: list[dict]) -> float | None:
    values = [r["perplexity"] for r in rows if isinstance(r.get("perplexity"), (int, float))]
    if not values:
        return None
    # Geometric mean over documents: exp of the mean log perplexity.
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watermark", default=".build/release/watermark")
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--negatives", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-tokens", type=int, default=256)  # 200-token points need 201+ new tokens
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deltas", default="1,2,4")
    ap.add_argument("--gammas", default="0.25,0.5")
    ap.add_argument("--reuse", action="store_true", help="keep generated files already in --out; only re-analyse them")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    W = args.watermark
    key = os.path.join(args.out, "power.key")
    if not os.path.exists(key):
        run([W, "keygen", "--out", key])

    plain_path = os.path.join(args.out, "plain.jsonl")
    generate(plain_path, [W, "embed", "--no-watermark", "--prompts", args.prompts, "--max-tokens", str(args.max_tokens),
                          "--seed", str(args.seed), "--json", "--perplexity", *MULTINOMIAL], args.reuse)
    plain = [json.loads(l) for l in open(plain_path) if l.strip()]
    base = perplexity(plain)

    print(f"Default model, multinomial sampling (temperature 1), {len(plain)} prompts, up to {args.max_tokens} new tokens; "
          f"thresholds are the calibrated ones (never looser than nominal). Unwatermarked perplexity: "
          f"{base:.2f}\n" if base else "\n")
    print("| δ | γ | TPR@1e-3, 50 tok | 100 tok | 200 tok | TPR@1e-5, 50 tok | 100 tok | 200 tok "
          "| median tokens to detect (1e-3 / 1e-5) | perplexity (× unwatermarked) |")
    print("|---:|---:|---|---|---|---|---|---|---|---|")
    for delta in args.deltas.split(","):
        for gamma in args.gammas.split(","):
            tag = f"d{delta}-g{gamma}"
            wm_path = os.path.join(args.out, f"watermarked-{tag}.jsonl")
            generate(wm_path, [W, "embed", "--key-file", key, "--prompts", args.prompts, "--max-tokens",
                               str(args.max_tokens), "--seed", str(args.seed), "--delta", delta, "--gamma", gamma, "--json",
                               "--perplexity", *MULTINOMIAL], args.reuse)
            rows = [json.loads(l) for l in open(wm_path) if l.strip()]
            cal_path = os.path.join(args.out, f"calibration-{tag}.json")
            run([W, "calibrate", "--key-file", key, "--gamma", gamma, "--negatives", args.negatives,
                 "--positives", wm_path, "--fpr", "1e-3", "--fpr", "1e-5", "--out", cal_path, "--force"])
            cal = json.load(open(cal_path))
            curves = {c["targetFPR"]: {p["tokens"]: p for p in c["points"]} for c in cal.get("tprByLength") or []}

            def cell(rate: float, length: int) -> str:
                p = curves.get(rate, {}).get(length)
                if not p:
                    return "–"
                lo, hi = p["interval95"]
                return f"{p['tpr']:.2f} [{lo:.2f}, {hi:.2f}] (n={p['documents']})"

            med = {t["targetFPR"]: t.get("medianTokensToDetect") for t in cal["thresholds"]}
            ppl = perplexity(rows)
            ppl_cell = f"{ppl:.2f} ({ppl / base:.2f}×)" if ppl and base else "–"
            print(f"| {delta} | {gamma} | {cell(1e-3, 50)} | {cell(1e-3, 100)} | {cell(1e-3, 200)} | {cell(1e-5, 50)} "
                  f"| {cell(1e-5, 100)} | {cell(1e-5, 200)} | {med.get(1e-3)} / {med.get(1e-5)} | {ppl_cell} |", flush=True)


if __name__ == "__main__":
    main()
