#!/usr/bin/env bash
# The Python package's tests (run by Tools/test.sh after the Swift tests, so by CI):
#  1. the cached test environment (Tools/python-env.sh: torch CPU, transformers, llama-cpp-python);
#  2. the wheel (Tools/python/build_wheel.sh: the Swift library built in release with the
#     Swift runtime linked in statically), installed into a new, empty virtual environment
#     with nothing but numpy, imported, and the greenlist-v1 vectors run there;
#  3. the same wheel installed into the test environment, and every test in Tools/python/tests
#     (vectors, C ABI, Detector against the CLI, processors, transformers / llama-cpp-python
#     generation on the default model, vLLM as far as it installs here).
# Needs the release CLI (.build/release/watermark, from `swift build -c release`) and the
# default model (Tools/fetch-model.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
log() { echo "python/test.sh: $*" >&2; }

[[ -x "$REPO/.build/release/watermark" ]] || (cd "$REPO" && swift build -c release --product watermark >&2)
VENV="$("$REPO/Tools/python-env.sh")"

start=$(date +%s)
log "building the wheel"
WHEEL="$PWD/$(PYTHON="$VENV/bin/python" ./build_wheel.sh | tail -n 1)"
log "built $(basename "$WHEEL") in $(( $(date +%s) - start )) s ($(du -h "$WHEEL" | cut -f1))"

# A new environment without a Swift toolchain on its library path: only the wheel and numpy.
FRESH="$(mktemp -d "${TMPDIR:-/tmp}/swift-watermark-wheel.XXXXXX")"
trap 'rm -rf "$FRESH"' EXIT
"$VENV/bin/python" -m venv "$FRESH/venv"
NUMPY="$("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)')"
"$FRESH/venv/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL" "numpy==$NUMPY" >&2
env -i PATH=/usr/bin:/bin HOME="$FRESH" "$FRESH/venv/bin/python" - "$REPO" <<'PY'
import json, pathlib, sys
import swift_watermark as sw
from swift_watermark import Key, Partition
lib = sw.library_path()
assert "site-packages" in str(lib), lib
maps = open("/proc/self/maps").read()
assert "libswiftCore" not in maps, "the wheel's library must carry the Swift runtime itself"
cases = json.loads((pathlib.Path(sys.argv[1]) / "Vectors/greenlist-v1/partition.json").read_text())["cases"]
for c in cases:
    p = Partition(Key.from_bytes(bytes.fromhex(c["key"])), gamma=c["gamma"], context_width=c["contextWidth"])
    assert p.scores(c["context"], len(c["firstScores"])).tolist() == c["firstScores"], c["id"]
print(f"wheel: {sw.library_version} from {lib}: {len(cases)} partition vectors bit-exact in a fresh venv")
PY

"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
cd tests
WATERMARK_CLI="$REPO/.build/release/watermark" "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider "$@"

# vLLM pins its own torch and transformers, so its processor is tested in an environment of
# its own (import-only: vLLM's engine needs CUDA, which this machine does not have).
VLLM="$("$REPO/Tools/python/vllm-env.sh")"
"$VLLM/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
"$VLLM/bin/python" -m pytest -q -rs -p no:cacheprovider test_vllm.py
