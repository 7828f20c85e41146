#!/usr/bin/env bash
# Creates (or reuses) the cached Python virtual environment for the project's Python tests
# and prints its path on stdout; progress goes to stderr.
#
#   VENV="$(Tools/python-env.sh)" && "$VENV/bin/python" -m pytest ...
#
# Pins:  Tools/python/requirements-test.txt (torch CPU, transformers, gguf, llama-cpp-python, ...)
# Venv:  <cache>/python/venv-<KEY>, KEY = first 16 hex digits of sha256(requirements-test.txt)
#        cache = ${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}
#
# A venv counts only once its .complete marker exists (written last; Tools/python/venv-lib.sh
# has the steps this shares with vllm-env.sh); a folder without .complete (an interrupted
# build) is deleted and built again. Venvs of other keys (older pins) are
# kept: they are cheap to leave, and a checkout of an older commit finds its venv again.
# Delete <cache>/python/ by hand to reclaim the space.
#
# llama-cpp-python has no Linux wheel on PyPI and builds from its sdist (several minutes on
# 2 cores): CPU only, no -march=native (so the wheel runs on any x86-64 with AVX2), without
# the multimodal library, two compile jobs. pip keeps the built wheel in its own cache
# (~/.cache/pip/wheels), so a later venv with the same llama-cpp-python pin installs in
# seconds. That cache is keyed by the sdist alone: after changing CMAKE_ARGS, run
# `pip cache remove llama_cpp_python` to force a rebuild.
#
# On a fresh Debian/Ubuntu machine, missing system packages (C/C++ compiler, cmake, the venv
# module) are installed with apt-get, as root or with sudo. Non-interactive (CI=true is fine).
# Environment: PYTHON (default python3; must be 3.11), CMAKE_ARGS, CMAKE_BUILD_PARALLEL_LEVEL.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/python/requirements-test.txt"
source "$HERE/python/venv-lib.sh"
venv_begin python-env.sh venv "$REQ"

# --- system packages ------------------------------------------------------------------
read -r -a need <<<"$(python_packages_needed)"
command -v cc >/dev/null 2>&1 && command -v c++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 \
    || need+=(build-essential)
# llama-cpp-python needs CMake >= 3.21 (Debian 12 has 3.25).
if ! command -v cmake >/dev/null 2>&1 \
    || ! cmake --version | awk 'NR==1 { split($3, v, "."); exit !(v[1] > 3 || (v[1] == 3 && v[2] >= 21)) }'; then
    need+=(cmake)
fi
if [[ ${#need[@]} -gt 0 ]]; then
    apt_install "${need[@]}"
fi
need_python_311

# --- the venv -------------------------------------------------------------------------
log "creating $VENV (first build: llama-cpp-python compiles for several minutes) ..."
venv_create

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF -DLLAVA_BUILD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
# Wheels only, except llama-cpp-python (sdist only): nothing else is ever compiled.
# torch==2.13.0+cpu is found through pip's find-links (/opt/wheels), not on PyPI.
if ! nice -n 10 "$VENV/bin/python" -m pip install --progress-bar off \
        --only-binary=:all: --no-binary=llama-cpp-python -r "$REQ" >&2; then
    log "pip install failed (torch==2.13.0+cpu must be in pip's find-links, e.g. /opt/wheels)"
    exit 1
fi

"$VENV/bin/python" -c 'import torch, transformers, gguf, numpy, pytest, llama_cpp' >&2
venv_finish
