#!/usr/bin/env bash
# The main job on a fresh machine: installs system packages, fetches the default model, builds
# the release CLI, makes a key, generates watermarked text with the default model, and detects
# the watermark in it; then does the same without the watermark, as a control.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
model=$(Tools/fetch-model.sh)
swift build -c release --product watermark >&2
W=.build/release/watermark
cache="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
key="$cache/demo.key"
[[ -s "$key" ]] || $W keygen --out "$key"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prompt="Write a short paragraph about why lighthouses were built on rocky coasts."

echo "== watermarked generation (key $key, model $model)"
$W embed --key-file "$key" --prompt "$prompt" --max-tokens 96 --seed 1 | tee "$work/watermarked.txt"
echo
echo "== detection on the watermarked text"
$W detect --key-file "$key" "$work/watermarked.txt" || true

echo
echo "== control: the same prompt without the watermark"
$W embed --no-watermark --prompt "$prompt" --max-tokens 96 --seed 1 | tee "$work/plain.txt"
echo
echo "== detection on the control text"
$W detect --key-file "$key" "$work/plain.txt" || true
