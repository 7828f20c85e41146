#!/usr/bin/env bash
# Creates (or reuses) the cached Python environment for the service's tests and prints its
# path on stdout; progress goes to stderr.
#
# Pins:  Tools/server/requirements.txt (schemathesis, requests, jsonschema, pytest)
# Venv:  <cache>/python/server-<KEY>, KEY = first 16 hex digits of sha256(requirements.txt)
# Wheels only (nothing compiles); about 30 s to build on a new machine.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/requirements.txt"
source "$HERE/../python/venv-lib.sh"
venv_begin server-env.sh server "$REQ"
read -r -a need <<<"$(python_packages_needed)"
if [[ ${#need[@]} -gt 0 ]]; then
    apt_install "${need[@]}"
fi
log "creating $VENV ..."
venv_create
"$VENV/bin/python" -m pip install --progress-bar off --only-binary=:all: -r "$REQ" >&2
"$VENV/bin/python" -c 'import schemathesis, requests, jsonschema, pytest' >&2
venv_finish
