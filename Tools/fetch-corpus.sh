#!/usr/bin/env bash
# Fetch the human-text corpus (calibration, null checks) into the cache folder.
#
# Real human-written text from Debian 12 packages, downloaded with `apt-get download` (no
# install, no root needed once apt's package lists exist) and unpacked with `dpkg-deb -x` into
# a temporary folder that is deleted afterwards; Tools/make_corpus.py (Python stdlib only)
# turns them into JSON Lines. The corpus is never committed.
#
# Sources and licences:
#   English prose  python3.11-doc (Python docs, PSF License), r-cran-janeaustenr (Jane Austen's
#                  six novels, public domain; package MIT), sword-comm-mhcc (Matthew Henry's
#                  Concise Commentary, public domain), debian-handbook (en-US; GPL-2+ or
#                  CC-BY-SA-3.0), debian-reference-en (GPL-2+).
#   Other languages  debian-handbook translations (GPL-2+ or CC-BY-SA-3.0),
#                  debian-reference-{de,fr,es,it,pt,ja,zh-cn} and
#                  maint-guide-{de,fr,es,it,ru,ja,zh-cn} (GPL-2+).
#   Repetitive text  libpython3.11-stdlib (*.py, PSF), base-files (common-licenses), tzdata
#                  (*.tab, public domain), the Debian changelogs and CPython's changelog.
#
# Usage:  Tools/fetch-corpus.sh [--small] [--force]
#   --small  only en-small/{train,heldout}.jsonl (300 + 300 documents, ~55 MB download): for CI
#   --force  rebuild even if the corpus is already there
# Cache:   ${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}/corpus/
# Result:  en/train.jsonl en/heldout.jsonl {de,fr,es,it,pt,ru,ja,zh,code}/heldout.jsonl
#          (or en-small/...), stats.json, README.txt; word counts printed on stdout.
# Idempotent: does nothing but print the counts when the same recipe already built it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
OUT="$CACHE/corpus"

SMALL=0
FORCE=0
for arg in "$@"; do
    case "$arg" in
        --small) SMALL=1 ;;
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch-corpus.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

RECIPE="$(sed -n 's/^RECIPE_VERSION = "\(.*\)"$/\1/p' "$HERE/make_corpus.py")"
if [[ $SMALL == 1 ]]; then
    MODE=small; STATS="$OUT/stats-small.json"; FILES=(en-small/train.jsonl en-small/heldout.jsonl)
else
    MODE=full; STATS="$OUT/stats.json"
    FILES=(en/train.jsonl en/heldout.jsonl de/heldout.jsonl fr/heldout.jsonl es/heldout.jsonl
           it/heldout.jsonl pt/heldout.jsonl ru/heldout.jsonl ja/heldout.jsonl zh/heldout.jsonl
           code/heldout.jsonl)
fi
STAMP="$OUT/.done-$MODE"

print_counts() {
    python3 - "$STATS" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
w = max(len(f["file"]) for f in s["files"])
for f in s["files"]:
    unit = "words" if f["unit"] == "words" else "units (CJK chars + words)"
    flag = "" if f.get("meets_minimum", True) else "  (below the 100k-word / 300k-char target)"
    print(f"{f['file']:<{w}}  {f['documents']:6d} docs  {f['units']:9d} {unit}{flag}")
PY
}

complete=1
for f in "${FILES[@]}"; do [[ -s "$OUT/$f" ]] || complete=0; done
if [[ $FORCE == 0 && $complete == 1 && -f "$STAMP" && "$(cat "$STAMP")" == "$RECIPE" && -s "$STATS" ]]; then
    echo "fetch-corpus.sh: corpus ($MODE, $RECIPE) already in $OUT" >&2
    print_counts
    exit 0
fi

for tool in apt-get dpkg-deb python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "fetch-corpus.sh: '$tool' is needed (a Debian/Ubuntu system with python3)" >&2
        exit 2
    fi
done

ENGLISH=(python3.11-doc r-cran-janeaustenr sword-comm-mhcc debian-handbook debian-reference-en)
OTHER=(debian-reference-de debian-reference-fr debian-reference-es debian-reference-it
       debian-reference-pt debian-reference-ja debian-reference-zh-cn
       maint-guide-de maint-guide-fr maint-guide-es maint-guide-it maint-guide-ru
       maint-guide-ja maint-guide-zh-cn
       libpython3.11-stdlib base-files tzdata)
if [[ $SMALL == 1 ]]; then PKGS=("${ENGLISH[@]}"); else PKGS=("${ENGLISH[@]}" "${OTHER[@]}"); fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fetch-corpus.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/debs" "$TMP/pkgs" "$OUT"
START=$(date +%s)

APT_OPTS=(-q)
# As root, apt drops privileges to _apt, which cannot write into our private temporary folder.
[[ $(id -u) == 0 ]] && APT_OPTS+=(-o APT::Sandbox::User=root)

download() { (cd "$TMP/debs" && apt-get "${APT_OPTS[@]}" download "${PKGS[@]}" >&2); }
echo "fetch-corpus.sh: downloading ${#PKGS[@]} Debian packages ..." >&2
if ! download; then
    if [[ $(id -u) == 0 ]]; then
        echo "fetch-corpus.sh: apt-get download failed; running apt-get update and retrying" >&2
        apt-get -q update >&2
        download
    else
        echo "fetch-corpus.sh: apt-get download failed (run 'sudo apt-get update' first?)" >&2
        exit 2
    fi
fi

: > "$TMP/packages.tsv"
for deb in "$TMP"/debs/*.deb; do
    name="$(dpkg-deb -f "$deb" Package)"
    version="$(dpkg-deb -f "$deb" Version)"
    size="$(stat -c %s "$deb")"
    printf '%s\t%s\t%s\n' "$name" "$version" "$size" >> "$TMP/packages.tsv"
    dpkg-deb -x "$deb" "$TMP/pkgs/$name"
done
DL_BYTES=$(awk -F'\t' '{s += $3} END {print s}' "$TMP/packages.tsv")
echo "fetch-corpus.sh: $(wc -l < "$TMP/packages.tsv") packages, $((DL_BYTES / 1000000)) MB downloaded" >&2

rm -f "$STAMP"
EXTRA=()
[[ $SMALL == 1 ]] && EXTRA+=(--small)
python3 "$HERE/make_corpus.py" --packages "$TMP/pkgs" --out "$OUT" \
    --manifest "$TMP/packages.tsv" "${EXTRA[@]}" >/dev/null
echo "$RECIPE" > "$STAMP"

echo "fetch-corpus.sh: made in $OUT ($(( $(date +%s) - START )) s):" >&2
print_counts
