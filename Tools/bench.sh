#!/usr/bin/env bash
# Release-build benchmarks of the watermark core and the detector; prints Markdown for
# docs/BENCHMARKS.md with the machine it ran on. Every figure is a ratio to a floor measured in the
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

# Tokenizer encode throughput, single thread, same text and definition as the references.
if python3 -c "import tokenizers, tiktoken, gguf" 2>/dev/null || python3 -m pip install -q -r Tools/requirements.txt >/dev/null 2>&1; then
    Tools/fetch-tokenizers.sh >/dev/null 2>&1 || true
    cache="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
    python3 Tools/bench_tokenizers.py --make-corpus code "$work/code.txt" --size 3000000 >/dev/null 2>&1
    python3 Tools/bench_tokenizers.py --make-corpus english "$work/english3.txt" --size 3000000 >/dev/null 2>&1
    echo
    echo "## Tokenizer encode throughput (single thread, MB/s of UTF-8 input)"
    echo
    echo "Same text (3 MB, cut at line ends into ≤ 64 KiB calls), same definition, in the same run."
    echo
    echo "| definition | text | tokens | Swift (ours) | HF tokenizers | tiktoken | ours ÷ tokenizers | ours ÷ tiktoken |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for spec in "smollm2:$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf" "gpt2:Vectors/tokenizer/gpt2/gpt2.tiktoken" \
                "llama3:$cache/tokenizers/llama3/tokenizer.model" "qwen2:Vectors/tokenizer/qwen2/qwen.tiktoken"; do
        name=${spec%%:*}; path=${spec#*:}
        [[ -s "$path" ]] || continue
        for kind in english3 code; do
            ours=$(.build/release/WatermarkBench --tokenizer-bench "$work/$kind.txt" --tokenizer "$path")
            ref=$(python3 Tools/bench_tokenizers.py "$work/$kind.txt" --tokenizer "$name")
            python3 - "$name" "${kind%3}" "$ours" "$ref" <<'PY'
import json, sys
name, kind, ours, ref = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
o, h, t = ours["swift_mb_s"], ref["tokenizers_mb_s"], ref["tiktoken_mb_s"]
agree = "" if ours["tokens"] == ref["tokens"] else f" (token counts differ: {ours['tokens']} vs {ref['tokens']})"
print(f"| {name} | {kind} | {ours['tokens']}{agree} | {o:.1f} | {h:.1f} | {t:.1f} |" if t else f"| {name} | {kind} | {ours['tokens']}{agree} | {o:.1f} | {h:.1f} | – |", end="")
print(f" {o / h:.1f}× | {o / t:.2f}× |" if t else f" {o / h:.1f}× | – |")
PY
        done
    done
fi
