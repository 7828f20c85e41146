#!/usr/bin/env bash
# Regenerates the man pages in docs/man from the CLI's own argument parser (swift-argument-parser's
# generate-manual plugin), so they say exactly what `watermark help COMMAND` says.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product watermark >/dev/null
# The plugin builds its generator tool; run it once, then call the tool directly on our binary.
tool=$(find .build -path '*release/generate-manual-tool' -type f -perm -u+x 2>/dev/null | head -n 1)
if [[ -z "$tool" ]]; then
    mkdir -p docs/man
    swift package --allow-writing-to-package-directory generate-manual --output-directory docs/man -c release >/dev/null 2>&1 || true
    tool=$(find .build -path '*release/generate-manual-tool' -type f -perm -u+x | head -n 1)
fi
rm -rf docs/man && mkdir -p docs/man
"$tool" .build/release/watermark --multi-page --date 2026-12-01 --authors "the swift-watermark authors" --output-directory docs/man
echo "man.sh: wrote $(ls docs/man | wc -l) pages to docs/man (read one with: man -l docs/man/watermark.detect.1)"
