#!/usr/bin/env bash
# Creates (or reuses) the cached Python environment for the Spark job and its tests and prints
# its path on stdout; progress goes to stderr. Installs Java 17 (Debian's
# openjdk-17-jre-headless) when no java is on the PATH.
#
# Pins:  Tools/spark/requirements.txt (pyspark, pyarrow, numpy, pytest)
# Venv:  <cache>/python/spark-<KEY>, KEY = first 16 hex digits of sha256(requirements.txt)
# Wheels only but PySpark (an sdist of Python and jars; nothing compiles); about 600 MB. swift_watermark itself is installed by Tools/spark/test.sh (the
# wheel of this checkout), not here, so the cached environment never holds a stale copy.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REQ="$HERE/requirements.txt"
source "$HERE/../python/venv-lib.sh"
if ! command -v java >/dev/null 2>&1; then
    VENV_TOOL=spark-env.sh apt_install openjdk-17-jre-headless
fi
venv_begin spark-env.sh spark "$REQ"
read -r -a need <<<"$(python_packages_needed)"
if [[ ${#need[@]} -gt 0 ]]; then
    apt_install "${need[@]}"
fi
log "creating $VENV ..."
venv_create
# PySpark is published as an sdist only (pure Python, with its jars): it is the one exception.
"$VENV/bin/python" -m pip install --progress-bar off --only-binary=:all: --no-binary=pyspark -r "$REQ" >&2
"$VENV/bin/python" -c 'import pyspark, pyarrow, numpy, pytest' >&2
venv_finish
