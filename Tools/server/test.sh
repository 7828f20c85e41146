#!/usr/bin/env bash
# The service's tests (run by Tools/test.sh after the Swift tests, so by CI): watermark-server
# started on free loopback ports against the release CLI's answers on 200 documents (text and
# ids, one and two keys, scan, attribution, both scopes), every auth, quota, limit and
# bad-input path, schemathesis against the served OpenAPI document, two replicas behind
# nginx, SIGTERM under load, a restart keeping the day's budget, and a scan of every answer,
# log and state file for the keys. Installs nginx (Debian's nginx-light) when missing.
# Needs the default model and the small corpus (Tools/fetch-model.sh, Tools/fetch-corpus.sh
# --small). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd ../.. && pwd)"
log() { echo "server/test.sh: $*" >&2; }
source ../python/venv-lib.sh
VENV_TOOL=server/test.sh
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    apt_install nginx-light
fi
# Debian starts the nginx it installs on port 80; the tests run their own, on a free port.
if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
for product in watermark watermark-server; do
    # The same flags as the test build, so nothing is rebuilt when it already ran.
    [[ -x "$REPO/.build/release/$product" ]] || (cd "$REPO" && swift build -c release -Xswiftc -enable-testing --product "$product" >&2)
done
VENV="$(./server-env.sh)"
cd tests
"$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider "$@"
