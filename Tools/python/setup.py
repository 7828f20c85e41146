"""Builds the Swift library into the package.

`pip install ./Tools/python` (or `pip wheel`) runs `swift build -c release` for the
SwiftWatermark product with the Swift runtime linked in statically, so the installed package
needs no Swift toolchain, only the system's OpenSSL 3 (libcrypto.so.3). With
SWIFT_WATERMARK_LIB=/path/to/libSwiftWatermark.so set, that prebuilt file is bundled instead.
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
HEADER = REPO / "Sources" / "CSwiftWatermark" / "include" / "swift_watermark.h"


def built_library() -> Path:
    prebuilt = os.environ.get("SWIFT_WATERMARK_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise SystemExit(f"SWIFT_WATERMARK_LIB={prebuilt}: no such file")
        return path
    if not (REPO / "Package.swift").is_file():
        raise SystemExit(f"{REPO}: not the swift-watermark repository; set SWIFT_WATERMARK_LIB to a built library")
    scratch = REPO / ".build-python"
    command = ["swift", "build", "-c", "release", "--product", "SwiftWatermark", "--scratch-path", str(scratch),
               "-Xswiftc", "-static-stdlib", "-Xlinker", "-s"]
    print("swift-watermark: " + " ".join(command), flush=True)
    subprocess.run(command, cwd=REPO, check=True)
    return scratch / "release" / "libSwiftWatermark.so"


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "swift_watermark"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built_library(), target / "libSwiftWatermark.so")
        if HEADER.is_file():
            shutil.copy2(HEADER, target / "swift_watermark.h")


try:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        """The wheel holds a native library but no CPython extension: any Python 3, this platform."""

        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    commands = {"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel}
except ImportError:  # pragma: no cover
    commands = {"build_py": BuildWithLibrary}

setup(cmdclass=commands)
