#!/usr/bin/env bash
# Builds the wheel for machines without a Swift toolchain: dist/swift_watermark-*.whl, with
# libSwiftWatermark.so inside (the Swift runtime linked in statically). The wheel needs
# Linux x86_64 with glibc and the system's OpenSSL 3 (libcrypto.so.3: apt-get install libssl3).
#   Tools/python/build_wheel.sh            build from the repository (swift build, release)
#   SWIFT_WATERMARK_LIB=path build_wheel.sh  bundle a library already built
set -euo pipefail
cd "$(dirname "$0")"
rm -rf build dist
"${PYTHON:-python3}" -m pip wheel --no-deps -w dist . >&2
ls dist/*.whl
