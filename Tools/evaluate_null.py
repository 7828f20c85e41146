#!/usr/bin/env python3
"""Null check: false-positive rates and score distributions on held-out human text.

For every (document collection, key) pair it runs the release CLI
(`watermark detect --jsonl --json`) with fresh keys and measures, pooled over the keys:
  - the empirical false-positive rate at p ≤ 1e-2 and p ≤ 1e-3, with the one-sided 95%
    Clopper–Pearson upper bound, against the nominal rate and the exact test's true size;
  - whether scores are calibrated: a KS test of the randomised probability-integral transform
    u = P[X > s] + V·P[X = s] (V uniform), which is exactly Uniform(0, 1) under the null even
    though the binomial is discrete; plus mean and sd of z and a KS test of z against N(0, 1)
    for reference (z is discrete, so that KS is only indicative);
  - the same with de-duplication off, and with a common-tuple list (`--skip-common`) if given.
Documents below the minimum scored count (16) are left out, as detection calls them too-short.

  python3 Tools/evaluate_null.py --watermark .build/release/watermark --keys 5 \
      --collection en=CACHE/corpus/en/heldout.jsonl --collection de=... > null.md
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats


def clopper_pearson_upper(k: int, n: int, confidence: float = 0.95) -> float:
    if k >= n:
        return 1.0
    return float(stats.beta.ppf(confidence, k + 1, n - k))


def detect(binary: str, key: str, path: str, extra: list[str]) -> list[dict]:
    out = subprocess.run([binary, "detect", "--jsonl", "--json", "--key-file", key, *extra, path],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"evaluate_null.py: detect failed on {path}: {out.stderr.strip()}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


_halves: dict[str, tuple[str, str, str, str]] = {}


def detect_common(binary: str, key: str, path: str, common: str, work: str) -> list[dict]:
    """Detection with a common-tuple list: `common` is a list file, or `auto` for two-fold
    cross-fitting (each half scored with the list from the other), so no document is scored
    with a list counted on itself."""
    if common != "auto":
        return detect(binary, key, path, ["--skip-common", common])
    if path not in _halves:
        lines = [l for l in open(path) if l.strip()]
        tag = os.path.join(work, f"half{len(_halves)}")
        parts = []
        for h in (0, 1):
            with open(f"{tag}-{h}.jsonl", "w") as f:
                f.writelines(lines[h::2])
            out = subprocess.run([binary, "common-tuples", f"{tag}-{h}.jsonl", "--out", f"{tag}-{h}.common.json", "--force"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"evaluate_null.py: common-tuples failed on {path}: {out.stderr.strip()}")
            parts += [f"{tag}-{h}.jsonl", f"{tag}-{h}.common.json"]
        _halves[path] = tuple(parts)
    a, list_a, b, list_b = _halves[path]
    return (detect(binary, key, a, ["--skip-common", list_b]) + detect(binary, key, b, ["--skip-common", list_a]))


_size_cache: dict[tuple[int, float, float], float] = {}


def exact_size(t: int, g: float, alpha: float) -> float:
    """The exact test's size at length t: the largest binomial upper tail that is ≤ alpha."""
    key = (t, g, alpha)
    if key not in _size_cache:
        tails = stats.binom.sf(np.arange(0, t + 1) - 1, t, g)
        ok = tails[tails <= alpha]
        _size_cache[key] = float(ok.max()) if ok.size else 0.0
    return _size_cache[key]


def analyse(rows: list[dict], rng: np.random.Generator, per_key: list[list[dict]]) -> dict:
    usable = [r for r in rows if r["verdict"] != "too-short"]
    n = len(usable)
    z = np.array([r["z"] for r in usable])
    log10p = np.array([r["log10p"] for r in usable])
    s = np.array([r["green"] for r in usable])
    t = np.array([r["scored"] for r in usable])
    g = np.array([r["effectiveGamma"] for r in usable])
    # Randomised PIT: exactly uniform under Binomial(t, g).
    upper = stats.binom.sf(s, t, g)          # P[X > s]
    point = stats.binom.pmf(s, t, g)         # P[X = s]
    u = upper + rng.random(n) * point
    result = {"documents": len(rows), "usable": n, "mean_scored": float(t.mean()) if n else 0,
              "mean_z": float(z.mean()) if n else 0, "sd_z": float(z.std(ddof=1)) if n > 1 else 0,
              "ks_pit_p": float(stats.kstest(u, "uniform").pvalue) if n else 1,
              "ks_z_p": float(stats.kstest(z, "norm").pvalue) if n else 1}
    for alpha in (1e-2, 1e-3):
        k = int((log10p <= np.log10(alpha)).sum())
        size = sum(exact_size(int(ti), float(gi), alpha) for ti, gi in zip(t, g))
        result[f"fp_{alpha:g}"] = k
        result[f"fpr_{alpha:g}"] = k / n if n else 0
        result[f"fpr_upper_{alpha:g}"] = clopper_pearson_upper(k, n) if n else 1
        result[f"size_{alpha:g}"] = size / n if n else 0
        # A deployment has one key: how far one key's rate on this collection strays.
        rates = sorted(sum(r["log10p"] <= np.log10(alpha) for r in rs if r["verdict"] != "too-short")
                       / max(1, sum(r["verdict"] != "too-short" for r in rs)) for rs in per_key)
        result[f"per_key_{alpha:g}"] = (rates[len(rates) // 10], rates[len(rates) // 2], rates[-1 - len(rates) // 10], rates[-1])
        # Keys are the independent draws (documents share tuples, so pairs are not): a one-sided
        # 95% t bound on the mean of the per-key rates is the honest interval for the pooled rate.
        k_count = len(rates)
        result[f"fpr_upper_keys_{alpha:g}"] = (float(np.mean(rates) + stats.t.ppf(0.95, k_count - 1) * np.std(rates, ddof=1) / np.sqrt(k_count))
                                              if k_count > 1 else 1.0)
    return result


TABLE_HEADER = ("| collection | dedup | documents × keys (usable) | mean scored | mean z | sd z | KS p (PIT) | KS p (z vs N) "
                "| FP at p≤1e-2 | FPR [95% upper: pairs; keys] | exact size | one key's FPR: 10% / 50% / 90% / max "
                "| FP at p≤1e-3 | FPR [95% upper: pairs; keys] | exact size | one key's FPR: 10% / 50% / 90% / max |\n"
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")


def format_row(name: str, label: str, r: dict) -> str:
    """One Markdown row of the table, from analyse()."""
    return (f"| {name} | {label} | {r['documents']} ({r['usable']}) | {r['mean_scored']:.0f} "
            f"| {r['mean_z']:+.3f} | {r['sd_z']:.3f} | {r['ks_pit_p']:.3g} | {r['ks_z_p']:.3g} "
            f"| {r['fp_0.01']} | {r['fpr_0.01']:.4f} [{r['fpr_upper_0.01']:.4f}; {r['fpr_upper_keys_0.01']:.4f}] | {r['size_0.01']:.4f} "
            f"| {' / '.join(f'{x:.4f}' for x in r['per_key_0.01'])} "
            f"| {r['fp_0.001']} | {r['fpr_0.001']:.5f} [{r['fpr_upper_0.001']:.5f}; {r['fpr_upper_keys_0.001']:.5f}] | {r['size_0.001']:.5f} "
            f"| {' / '.join(f'{x:.4f}' for x in r['per_key_0.001'])} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watermark", default=".build/release/watermark")
    ap.add_argument("--keys", type=int, default=5)
    ap.add_argument("--collection", action="append", required=True, help="NAME=FILE.jsonl")
    ap.add_argument("--skip-common", action="append", default=[], help="NAME=LIST.json from 'watermark common-tuples'")
    ap.add_argument("--modes", default="on,off", help="comma-separated: on (dedup), common (dedup + list), off (no dedup)")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    work = tempfile.mkdtemp(prefix="evaluate-null-")
    keys = []
    for i in range(args.keys):
        path = os.path.join(work, f"key{i}.hex")
        subprocess.run([args.watermark, "keygen", "--out", path], check=True, capture_output=True)
        keys.append(path)
    print(TABLE_HEADER)
    lists = dict(spec.split("=", 1) for spec in args.skip_common)
    for spec in args.collection:
        name, path = spec.split("=", 1)
        for mode in args.modes.split(","):
            extra = {"on": [], "off": ["--no-dedup"]}.get(mode)
            if mode == "common":
                if name not in lists:
                    continue
                per_key = [detect_common(args.watermark, key, path, lists[name], work) for key in keys]
            else:
                per_key = [detect(args.watermark, key, path, extra) for key in keys]
            rows = [r for rs in per_key for r in rs]
            r = analyse(rows, rng, per_key)
            label = {"on": "on", "off": "off", "common": "on, common skipped"}[mode]
            print(format_row(name, label, r), flush=True)
    if lists:
        print("\nCommon tuples: a list from `watermark common-tuples` (default cut: tuples in 2% or more of the "
              "reference documents). A named list file was built from other text (English: the training split); "
              "`auto` means two-fold: each half of the collection is scored with the list built from the other half.")
    print(f"\n{args.keys} fresh keys per collection; each document is scored once per key "
          f"(documents × keys rows pooled). Rows of one key share the collection's common tuples, so "
          f"they are not independent trials: the Clopper–Pearson bound treats them as if they were, "
          f"and the per-key quantiles show the spread a single deployed key sees.")


if __name__ == "__main__":
    main()
