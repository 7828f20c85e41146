"""The README's "Use it from Python" blocks, run on the default model (vLLM's compiled only)."""
import hashlib
import os
import re

import pytest

from conftest import REPO


def blocks():
    text = (REPO / "README.md").read_text()
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_blocks(model, tmp_path, monkeypatch):
    found = blocks()
    assert len(found) == 4, "the README's Python section should have four python blocks"
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("llama_cpp")
    import torch
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    os.symlink(model, tmp_path / model.name)
    # The blocks generate a random key, and a key decides what the model writes: with some
    # keys this prompt sends the small model into a loop of one word, whose repeated tuples
    # detection rightly counts once (CI hit one such key: p = 0.07). A fixed key makes the
    # run the same on every machine; Key.generate itself is tested in test_detector.
    from swift_watermark import Key
    fixed = hashlib.sha256(b"README blocks key").hexdigest()

    def generate(cls, path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(fixed + "\n")
        return cls.from_file(path)

    monkeypatch.setattr(Key, "generate", classmethod(generate))
    torch.manual_seed(3)
    scope = {"print": lambda *a, **k: None}
    for code in found[:3]:
        exec(compile(code, "README.md", "exec"), scope)
    assert scope["result"].verdict in ("not-watermarked", "too-short")
    assert scope["detector"].detect(text=scope["text"]).p < 1e-3  # the transformers block's text
    assert scope["out"]["choices"][0]["message"]["content"]
    compile(found[3], "README.md (vLLM)", "exec")
