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
# A venv counts only once its .complete marker exists (written last). Venvs are not
# relocatable, so the venv is built in place at its final path; a folder without .complete
# (an interrupted build) is deleted and built again. Venvs of other keys (older pins) are
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
PY="${PYTHON:-python3}"

CACHE="${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}"
KEY="$(sha256sum "$REQ" | cut -c1-16)"
VENV="$CACHE/python/venv-$KEY"

log() { echo "python-env.sh: $*" >&2; }

venv_ok() { [[ -f "$VENV/.complete" ]] && "$VENV/bin/python" -c '' >/dev/null 2>&1; }

if venv_ok; then
    echo "$VENV"
    exit 0
fi

mkdir -p "$CACHE/python"
# One build at a time per key: a second caller waits, then finds the finished venv.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/python/.venv-$KEY.lock"
    if ! flock -n 9; then
        log "waiting for another build of $VENV ..."
        flock 9
    fi
    if venv_ok; then
        echo "$VENV"
        exit 0
    fi
fi

# --- system packages ------------------------------------------------------------------
apt_install() {
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            log "need root (or sudo) to install: $*"
            exit 2
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "no apt-get: install these by hand: $*"
        exit 2
    fi
    log "installing system packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}

need=()
if ! command -v "$PY" >/dev/null 2>&1; then
    need+=(python3 python3-venv)
elif ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    # Debian's python3 ships venv's ensurepip separately.
    need+=(python3-venv)
fi
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

if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    log "$PY is Python $("$PY" -c 'import sys; print(sys.version.split()[0])'); the pins need 3.11 (set PYTHON=...)"
    exit 2
fi

# --- the venv -------------------------------------------------------------------------
if [[ -e "$VENV" ]]; then
    log "removing unfinished venv $VENV"
    rm -rf "$VENV"
fi
cleanup() { [[ -f "$VENV/.complete" ]] || rm -rf "$VENV"; }
trap cleanup EXIT

log "creating $VENV (first build: llama-cpp-python compiles for several minutes) ..."
start=$SECONDS
"$PY" -m venv "$VENV"

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF -DLLAVA_BUILD=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Wheels only, except llama-cpp-python (sdist only): nothing else is ever compiled.
# torch==2.13.0+cpu is found through pip's find-links (/opt/wheels), not on PyPI.
if ! nice -n 10 "$VENV/bin/python" -m pip install --progress-bar off \
        --only-binary=:all: --no-binary=llama-cpp-python -r "$REQ" >&2; then
    log "pip install failed (torch==2.13.0+cpu must be in pip's find-links, e.g. /opt/wheels)"
    exit 1
fi

"$VENV/bin/python" -c 'import torch, transformers, gguf, numpy, pytest, llama_cpp' >&2
"$VENV/bin/python" -m pip freeze --all >"$VENV/pip-freeze.txt"
echo "$KEY" >"$VENV/.complete"
log "ready in $((SECONDS - start)) s: $VENV"
echo "$VENV"
