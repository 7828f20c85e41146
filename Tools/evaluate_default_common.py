#!/usr/bin/env python3
"""A default common-tuple list on text of domains it did not see: one key's false-positive rate
over many keys, and what the list costs in power.

Input: the held-out part of Tools/make_default_common.py's split (JSON Lines with "text" and
"domain"), a list per tokenizer (Tools/common-tuples/<name>.json), and for the power cost
watermarked texts from `watermark embed --json` with their key.

Null check, for each tokenizer: the held-out text is tokenized once (`watermark tokenize
--jsonl`, normalised as detection does) and every key scores the ids in one `detect --jsonl
--json` process, without the list and with it (`--skip-common`). For all held-out documents
pooled and for each group of domains it prints evaluate_null.py's table (pooled rate, Clopper–
Pearson and t-over-keys bounds, exact size, one key's rate at the 10th/50th/90th percentile and
the maximum over keys), then one line per tokenizer with the spread (90th − 10th percentile of
one key's rate) with and without the list, and the spread independent documents would give
(Binomial(n, exact size) / n).

Power cost (the default tokenizer only: the texts come from its model): evaluate_common.py's
per-token re-scoring of the same texts with and without the list, median tokens of text to
detect at p ≤ 1e-3 and 1e-5.

  python3 Tools/evaluate_default_common.py --watermark .build/release/watermark --keys 200 \
      --heldout CACHE/default-common/heldout.jsonl \
      --tokenizer smollm2=MODEL.gguf --list smollm2=Tools/common-tuples/smollm2.json \
      --positives watermarked.jsonl --key-file power.key > default-common.md
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate_common  # noqa: E402
import evaluate_null  # noqa: E402

GROUPS = [("en-fiction", lambda d: d == "en-fiction"),
          ("en-debian", lambda d: d == "en-debian"),
          ("other languages", lambda d: d.startswith(("reference-", "maint-guide-"))),
          ("code", lambda d: d.startswith("code-"))]


def run(cmd: list[str], out_path: str) -> None:
    with open(out_path + ".part", "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"evaluate_default_common.py: {' '.join(cmd[:2])} failed: {r.stderr.strip()}")
    os.replace(out_path + ".part", out_path)


def independent_spread(per_key: list[list[dict]], alpha: float) -> tuple[float, float]:
    """10th and 90th percentile of one key's rate if documents were independent: Binomial(n, s)/n
    with n the usable documents and s the exact test's mean size at their lengths."""
    rows = [r for r in per_key[0] if r["verdict"] != "too-short"]
    n = len(rows)
    if n == 0:
        return 0.0, 0.0
    s = sum(evaluate_null.exact_size(int(r["scored"]), float(r["effectiveGamma"]), alpha) for r in rows) / n
    return float(stats.binom.ppf(0.1, n, s) / n), float(stats.binom.ppf(0.9, n, s) / n)


def per_key_rates(per_key: list[list[dict]], alpha: float) -> np.ndarray:
    """One key's false-positive rate, for each key (as evaluate_null.analyse counts it)."""
    out = []
    for rs in per_key:
        usable = [r for r in rs if r["verdict"] != "too-short"]
        out.append(sum(r["log10p"] <= np.log10(alpha) for r in usable) / max(1, len(usable)))
    return np.array(out)


def spread(rates: np.ndarray) -> float:
    """90th − 10th percentile, with evaluate_null.analyse's order statistics."""
    r = np.sort(rates)
    return float(r[-1 - len(r) // 10] - r[len(r) // 10])


def narrowing_interval(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval (keys resampled, paired: the same keys score both ways) of
    1 − spread(with list) / spread(without)."""
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(a), len(a))
        sa = spread(a[i])
        if sa > 0:
            vals.append(1 - spread(b[i]) / sa)
    return (float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))) if vals else (float("nan"), float("nan"))


def null_check(args, name: str, tokenizer: str, common: str, keys: list[str], heldout: str, domains: list[str],
               work: str, rng: np.random.Generator) -> dict:
    ids = os.path.join(work, f"{name}.ids.jsonl")
    run([args.watermark, "tokenize", "--jsonl", "--tokenizer", tokenizer, heldout], ids)
    results = {}
    for label, extra in (("no list", []), ("default list", ["--skip-common", common])):
        per_key = [evaluate_null.detect(args.watermark, key, ids, ["--tokenizer", tokenizer, *extra]) for key in keys]
        for rs in per_key:
            if len(rs) != len(domains):
                sys.exit(f"evaluate_default_common.py: {len(rs)} results for {len(domains)} documents")
        results[label] = per_key
    out = {}
    for group, member in [("all held-out", lambda d: True)] + GROUPS:
        for label, per_key in results.items():
            sub = [[r for r in rs if member(domains[r["index"]])] for rs in per_key]
            if not sub[0]:
                continue
            r = evaluate_null.analyse([x for rs in sub for x in rs], rng, sub)
            r["independent_0.01"] = independent_spread(sub, 1e-2)
            r["independent_0.001"] = independent_spread(sub, 1e-3)
            r["rates_0.01"] = per_key_rates(sub, 1e-2)
            r["rates_0.001"] = per_key_rates(sub, 1e-3)
            out[(group, label)] = r
    return out


def firsts(results: list[dict], rate: float, minimum: int = 16) -> np.ndarray:
    """Tokens of text until the running test first reaches p ≤ rate (inf: never), per text, as
    evaluate_common.analyse counts them."""
    need = -np.log10(rate)
    out = []
    for r in results:
        first = float("inf")
        for i, (scored, green) in enumerate(evaluate_common.running_counts(r["attribution"])):
            if scored >= minimum and -evaluate_common.log10_tail(green, scored, r["effectiveGamma"]) >= need:
                first = i + 1
                break
        out.append(first)
    return np.array(out)


def median_difference_interval(fa: np.ndarray, fb: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval (texts resampled, paired) of median(with list) − median(without)."""
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(fa), len(fa))
        vals.append(float(np.median(fb[i]) - np.median(fa[i])))
    vals = np.array(vals)
    vals = vals[np.isfinite(vals)]
    return (float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))) if vals.size else (float("nan"), float("nan"))


def power(args, common: str) -> dict:
    ns = SimpleNamespace(watermark=args.watermark)
    rows = {}
    for label, extra in (("no list", []), ("default list", ["--skip-common", common])):
        results = evaluate_common.detect(ns, args.key_file, args.positives, extra)
        rows[label] = (evaluate_common.analyse(results), results)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watermark", default=".build/release/watermark")
    ap.add_argument("--heldout", required=True, help="held-out JSON Lines with \"text\" and \"domain\"")
    ap.add_argument("--tokenizer", action="append", required=True, help="NAME=PATH (the first is the default's)")
    ap.add_argument("--list", action="append", required=True, help="NAME=LIST.json from 'watermark common-tuples'")
    ap.add_argument("--keys", type=int, default=200, help="keys for the first tokenizer")
    ap.add_argument("--keys-other", type=int, default=50, help="keys for the other tokenizers")
    ap.add_argument("--every-other", type=int, default=1,
                    help="the other tokenizers score every Nth held-out document only (1: all), to save time")
    ap.add_argument("--positives", help="watermarked JSON Lines (embed --json) for the power cost")
    ap.add_argument("--key-file", help="the positives' key")
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    tokenizers = [spec.split("=", 1) for spec in args.tokenizer]
    lists = dict(spec.split("=", 1) for spec in args.list)
    lines = [line for line in open(args.heldout, encoding="utf-8") if line.strip()]
    domains = [json.loads(line)["domain"] for line in lines]
    work = tempfile.mkdtemp(prefix="evaluate-default-common-")
    subsample = os.path.join(work, "heldout-subsample.jsonl")
    with open(subsample, "w", encoding="utf-8") as f:
        f.writelines(lines[::args.every_other])
    keys = []
    for i in range(max(args.keys, args.keys_other)):
        path = os.path.join(work, f"key{i}.hex")
        subprocess.run([args.watermark, "keygen", "--out", path], check=True, capture_output=True)
        keys.append(path)
    counts = {}
    for d in domains:
        counts[d] = counts.get(d, 0) + 1
    print(f"Held-out documents: {len(domains)} (" + ", ".join(f"{d} {n}" for d, n in counts.items()) + ").\n")

    spreads = []
    for i, (name, tokenizer) in enumerate(tokenizers):
        common = lists[name]
        meta = json.load(open(common))
        n_keys = args.keys if i == 0 else args.keys_other
        every = 1 if i == 0 else args.every_other
        t0 = time.time()
        out = null_check(args, name, tokenizer, common, keys[:n_keys], args.heldout if every == 1 else subsample,
                         domains[::every], work, rng)
        sample = "all held-out documents" if every == 1 else f"every {every}th held-out document ({len(domains[::every])})"
        print(f"### {name}: {n_keys} keys, {sample}; list {os.path.basename(common)} ({len(meta['tuples'])} tuples in ≥ "
              f"{100 * meta['minimumDocumentFraction']:g}% of {meta['documents']} documents, {os.path.getsize(common) // 1000} KB, "
              f"fingerprint {meta['fingerprint']})\n")
        print(evaluate_null.TABLE_HEADER)
        for (group, label), r in out.items():
            print(evaluate_null.format_row(group, label, r))
        print(f"\n({time.time() - t0:.0f} s)\n", flush=True)
        for group in ["all held-out"] + [g for g, _ in GROUPS]:
            if (group, "no list") not in out:
                continue
            a, b = out[(group, "no list")], out[(group, "default list")]
            row = [name, group, str(n_keys), str(a["usable"] // n_keys)]
            for alpha in ("0.01", "0.001"):
                sa = a[f"per_key_{alpha}"][2] - a[f"per_key_{alpha}"][0]
                sb = b[f"per_key_{alpha}"][2] - b[f"per_key_{alpha}"][0]
                lo, hi = a[f"independent_{alpha}"]
                lo_n, hi_n = narrowing_interval(a[f"rates_{alpha}"], b[f"rates_{alpha}"], rng)
                row += [f"{100 * a[f'per_key_{alpha}'][0]:.2f}–{100 * a[f'per_key_{alpha}'][2]:.2f}% ({100 * sa:.2f})",
                        f"{100 * b[f'per_key_{alpha}'][0]:.2f}–{100 * b[f'per_key_{alpha}'][2]:.2f}% ({100 * sb:.2f})",
                        f"{100 * (1 - sb / sa):+.0f}% [{100 * lo_n:+.0f}, {100 * hi_n:+.0f}]" if sa > 0 else "–",
                        f"{100 * lo:.2f}–{100 * hi:.2f}% ({100 * (hi - lo):.2f})"]
            spreads.append(row)

    print("### One key's rate, 10th–90th percentile over keys (spread in points); narrowing = 1 − spread with / spread without "
          "[95% bootstrap interval over keys]\n")
    print("| tokenizer | held-out text | keys | usable per key | 1e-2: no list | 1e-2: default list | narrowing | 1e-2: independent documents "
          "| 1e-3: no list | 1e-3: default list | narrowing | 1e-3: independent documents |")
    print("|---|---|---:|---:|---|---|---:|---|---|---|---:|---|")
    for row in spreads:
        print("| " + " | ".join(row[:1] + [row[1]] + row[2:]) + " |")

    if args.positives:
        name, _ = tokenizers[0]
        rows = power(args, lists[name])
        print(f"\n### Power cost ({name}): {args.positives}\n")
        print("| list | documents | positions left out | TPR@1e-3, 25 / 50 / 100 tokens | TPR@1e-5, 25 / 50 / 100 tokens "
              "| median tokens to detect (1e-3 / 1e-5) |")
        print("|---|---:|---:|---|---|---|")
        for label, (r, _) in rows.items():
            cells = [label, str(r["n"]), f"{100 * r['left_out']:.1f}%"]
            for rate in evaluate_common.RATES:
                parts = []
                for length in (25, 50, 100):
                    k, n = r[(rate, length)]
                    parts.append(f"{k / n:.2f} (n={n})" if n else "–")
                cells.append(" / ".join(parts))
            cells.append(" / ".join("never" if r[("median", rate)] == float("inf") else f"{r[('median', rate)]:.0f}"
                                    for rate in evaluate_common.RATES))
            print("| " + " | ".join(cells) + " |")
        a, b = rows["no list"][0], rows["default list"][0]
        parts = []
        for rate in evaluate_common.RATES:
            fa, fb = firsts(rows["no list"][1], rate), firsts(rows["default list"][1], rate)
            lo, hi = median_difference_interval(fa, fb, rng)
            parts.append(f"{b[('median', rate)] - a[('median', rate)]:+.0f} tokens at {rate:g} "
                         f"(95% bootstrap interval over texts [{lo:+.1f}, {hi:+.1f}]; median of the per-text "
                         f"differences {float(np.nanmedian(fb - fa)):+.0f})")
        print("\nCost at the median (median with the list − median without): " + "; ".join(parts))


if __name__ == "__main__":
    main()
