#!/usr/bin/env bash
# The Spark job's tests (run by Tools/test.sh, so by CI): Tools/spark/detect_job.py in
# local[2] mode over a 50 MB JSON Lines corpus (and a Parquet copy of part of it), every
# document's answer compared with `watermark detect --jsonl --json`. Needs the release CLI, the
# default model and the small corpus; installs Java 17 when missing (spark-env.sh). Uses the
# wheel Tools/python/test.sh built in this run (Tools/python/dist), or builds it.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
log() { echo "spark/test.sh: $*" >&2; }
[[ -x "$REPO/.build/release/watermark" ]] || (cd "$REPO" && swift build -c release -Xswiftc -enable-testing --product watermark >&2)
VENV="$(./spark-env.sh)"
WHEEL="$(ls -t ../python/dist/swift_watermark-*.whl 2>/dev/null | head -n 1 || true)"
if [[ -z "$WHEEL" ]]; then
    log "building the wheel"
    WHEEL="../python/$(cd ../python && PYTHON="$VENV/bin/python" ./build_wheel.sh | tail -n 1)"
fi
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$WHEEL"
cd tests
"$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider "$@"
