#!/usr/bin/env bash
# Creates (or reuses) the cached Python virtual environment for the vLLM logits-processor
# tests and prints its path on stdout; progress goes to stderr.
#
#   VENV="$(Tools/python/vllm-env.sh)" && "$VENV/bin/python" -m pytest ...
#
# Pins:  Tools/python/requirements-vllm.txt (torch CPU, vllm 0.33.0, xgrammar, their Python deps)
# Venv:  <cache>/python/vllm-<KEY>, KEY = first 16 hex digits of sha256(requirements-vllm.txt)
#        cache = ${WATERMARK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-watermark}
#
# The venv only imports vLLM, on CPU: its compiled extensions do not load without CUDA, and
# nothing runs a model. vllm and xgrammar are installed with --no-deps (their declared
# dependencies are CUDA torch 2.14.0, triton and CUDA kernels, several GB); everything the
# imports need is pinned in the first section of the requirements file. pip's complaints about
# the unmet vllm requirements are expected and silenced (--no-warn-conflicts).
#
# A venv counts only once its .complete marker exists (written last, after the vLLM imports
# have been checked once). Venvs are not relocatable, so the venv is built in place at its
# final path; a folder without .complete (an interrupted build) is deleted and built again.
# Venvs of other keys (older pins) are kept; delete <cache>/python/ by hand to reclaim the
# space (~2.2 GB per venv).
#
# Wheels only, nothing is compiled. First build: 3 to 4 minutes on 2 cores (~420 MB of
# downloads, vllm alone is a 336 MB wheel; unpacking; the import check).
#
# On a fresh Debian/Ubuntu machine, a missing venv module is installed with apt-get, as root
# or with sudo. Non-interactive (CI=true is fine). Environment: PYTHON (default python3; must
# be 3.11).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/requirements-vllm.txt"
source "$HERE/venv-lib.sh"
venv_begin vllm-env.sh vllm "$REQ"

# --- system packages: only the venv module (everything else comes as a wheel) -----------
read -r -a need <<<"$(python_packages_needed)"
if [[ ${#need[@]} -gt 0 ]]; then
    apt_install "${need[@]}"
fi
need_python_311

# --- the venv -------------------------------------------------------------------------
log "creating $VENV (first build: 3 to 4 minutes, ~2.2 GB) ..."
venv_create

# The two sections of the requirements file, split at the --no-deps header.
marker='# --- installed with --no-deps'
awk -v m="$marker" 'index($0, m) == 1 { exit } { print }' "$REQ" >"$VENV/requirements-deps.txt"
awk -v m="$marker" 'f { print } index($0, m) == 1 { f = 1 }' "$REQ" >"$VENV/requirements-nodeps.txt"
if ! grep -q '^vllm==' "$VENV/requirements-nodeps.txt"; then
    log "$REQ: no vllm pin after the line starting with '$marker'"
    exit 1
fi

pip_install() {
    nice -n 10 "$VENV/bin/python" -m pip install --progress-bar off --only-binary=:all: \
        --no-warn-conflicts "$@" >&2
}
# Wheels only: nothing is ever compiled.
# torch==2.13.0+cpu is found through pip's find-links (/opt/wheels), not on PyPI.
log "installing torch and vLLM's Python dependencies ..."
if ! pip_install -r "$VENV/requirements-deps.txt"; then
    log "pip install failed (torch==2.13.0+cpu must be in pip's find-links, e.g. /opt/wheels)"
    exit 1
fi
log "installing vllm and xgrammar (--no-deps) ..."
if ! pip_install --no-deps -r "$VENV/requirements-nodeps.txt"; then
    log "pip install --no-deps failed"
    exit 1
fi

# The imports the tests use, once (~15 s); a reused venv is not checked again.
log "checking the vLLM imports ..."
if ! "$VENV/bin/python" -I - >&2 <<'EOF'
from vllm import SamplingParams, LLM
from vllm.v1.sample.logits_processor import (
    LogitsProcessor, BatchUpdate, MoveDirectionality,
    _load_custom_logitsprocs, validate_logits_processors_parameters)
from vllm.config import VllmConfig
EOF
then
    log "the vLLM imports fail in $VENV (a dependency missing from requirements-vllm.txt?); not marking it complete"
    exit 1
fi

venv_finish
