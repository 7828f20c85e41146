"""The C header compiles strictly, and the ABI behaves from C: errors not crashes, threads."""
import os
import shutil
import subprocess

import pytest

from swift_watermark import library_path

from conftest import REPO


def test_c_smoke(tmp_path, model):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (apt-get install gcc)")
    lib = library_path()
    exe = tmp_path / "abi_smoke"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                    "-I", str(REPO / "Sources" / "CSwiftWatermark" / "include"), str(REPO / "Tests" / "CABI" / "abi_smoke.c"),
                    str(lib), f"-Wl,-rpath,{lib.parent}", "-lpthread", "-o", str(exe)], check=True)
    out = subprocess.run([str(exe), str(model)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.strip().endswith("OK")
    assert "greenlist-v1" in out.stdout.splitlines()[0]
