#!/usr/bin/env bash
# Release-build benchmarks of the watermark core and the detector; prints Markdown for
# BENCHMARKS.md with the machine it ran on. Every figure is a ratio to a floor measured in the
# same run. Usage: Tools/bench.sh [--quick] > /tmp/bench.md
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build -c release --product WatermarkBench >&2
swift build -c release --product watermark >&2
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "Measured $(date -u +%Y-%m-%d) on ${cpu}, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, Swift $(swift --version 2>&1 | grep -o 'version [0-9.]*' | head -1 | cut -d' ' -f2), OpenSSL $(pkg-config --modversion libcrypto)."
echo
args=("$@")
# Real text for the seed-cache figure: English prose from the Python standard library's
# documentation (Tools/bench_tokenizers.py), tokenized with the default model's tokenizer.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if model=$(Tools/fetch-model.sh 2>/dev/null) \
    && python3 Tools/bench_tokenizers.py --make-corpus english "$work/english.txt" --size 1000000 >/dev/null 2>&1 \
    && .build/release/watermark tokenize --tokenizer "$model" "$work/english.txt" > "$work/english.ids" 2>/dev/null \
    && [[ -s "$work/english.ids" ]]; then
    args+=(--ids-file "$work/english.ids")
fi
.build/release/WatermarkBench "${args[@]}"
