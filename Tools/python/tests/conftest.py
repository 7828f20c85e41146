"""Paths shared by the tests: the repository, the CLI, the default model and the cache."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("WATERMARK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
MODEL = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def cli() -> Path:
    """The release `watermark` binary (WATERMARK_CLI overrides)."""
    path = Path(os.environ.get("WATERMARK_CLI") or REPO / ".build" / "release" / "watermark")
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with `swift build -c release --product watermark`")
    return path


def run_cli(*args, input=None, check=True):
    return subprocess.run([str(cli()), *map(str, args)], input=input, capture_output=True, text=True, check=check)


@pytest.fixture(scope="session")
def model() -> Path:
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run Tools/fetch-model.sh")
    return MODEL
