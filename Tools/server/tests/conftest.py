"""The service's tests: binaries, keys, API tokens, documents, and servers started on free
loopback ports (port 0; the server prints the port it got)."""
import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]
CACHE = Path(os.environ.get("WATERMARK_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "swift-watermark")
MODEL = CACHE / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
CORPUS = CACHE / "corpus" / "en-small" / "train.jsonl"
BIN = Path(os.environ.get("WATERMARK_BIN") or REPO / ".build" / "release")

# Fixed keys: the tests sample nothing, but fixed keys keep any failure reproducible.
KEY_BYTES = [hashlib.sha256(f"watermark-server test key {i}".encode()).digest() for i in (1, 2)]

# Every response body and header the tests see, for the scan for key material.
SEEN: list[str] = []


def binary(name):
    path = BIN / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with `swift build -c release --product {name}`")
    return path


def run(name, *args, input=None, check=True):
    return subprocess.run([str(binary(name)), *map(str, args)], input=input, capture_output=True, text=True, check=check)


class Server:
    """One `watermark-server serve` process; its stderr (the log) goes to a file."""

    def __init__(self, workdir: Path, *args, env=None, name="server"):
        self.log_path = workdir / f"{name}-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        environment = dict(os.environ, **(env or {}))
        self.process = subprocess.Popen([str(binary("watermark-server")), "serve", "--host", "127.0.0.1", "--port", "0", *map(str, args)],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True, env=environment)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", line)
        if not match:
            self.process.wait(timeout=10)
            raise RuntimeError(f"server did not start (exit {self.process.returncode}): {self.log_path.read_text()[-2000:]}")
        self.url = match.group(1)
        self.port = int(match.group(2))
        self.session = requests.Session()

    def request(self, method, path, token=None, json_body=None, data=None, headers=None, session=True):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        sender = self.session if session else requests
        r = sender.request(method, self.url + path, json=json_body, data=data, headers=h, timeout=60)
        SEEN.append(f"{r.status_code} {dict(r.headers)} {r.text}")
        return r

    def post(self, path, body, token, **kw):
        return self.request("POST", path, token=token, json_body=body, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self.log.close()
        return code

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="session")
def key_files(workdir):
    paths = []
    for i, key in enumerate(KEY_BYTES):
        path = workdir / f"key{i + 1}.hex"
        path.write_text(key.hex() + "\n")
        path.chmod(0o600)
        paths.append(path)
    return paths


def make_token(name, scope, rpm=100000, per_day=10**12):
    out = run("watermark-server", "token", "--name", name, "--scope", scope, "--requests-per-minute", rpm, "--tokens-per-day", per_day)
    secret, line = out.stdout.strip().split("\n")
    return secret, json.loads(line)


@pytest.fixture(scope="session")
def api_tokens(workdir):
    """name -> secret; the tokens file has their lines."""
    specs = {"full": ("full", 100000, 10**12), "verdict": ("verdict", 100000, 10**12), "slow": ("full", 3, 10**12),
             "budget": ("full", 100000, 2000), "shared": ("full", 100000, 3000)}
    secrets, lines = {}, []
    for name, (scope, rpm, per_day) in specs.items():
        secret, entry = make_token(name, scope, rpm, per_day)
        assert entry["name"] == name and entry["scope"] == scope
        assert entry["sha256"] == hashlib.sha256(secret.encode()).hexdigest()
        secrets[name] = secret
        lines.append(json.dumps(entry))
    path = workdir / "tokens.jsonl"
    path.write_text("# API tokens for the tests\n" + "\n".join(lines) + "\n")
    return {"path": path, **secrets}


@pytest.fixture(scope="session")
def documents(workdir, key_files):
    """200 documents (text and ids): 170 human texts and halves, 30 watermarked under key 1."""
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} is missing: run Tools/fetch-model.sh")
    if not CORPUS.is_file():
        pytest.fail(f"{CORPUS} is missing: run Tools/fetch-corpus.sh --small")
    human = [json.loads(l)["text"] for l in CORPUS.read_text().splitlines()[:85]]
    texts = []
    for t in human:
        texts.append(t[:1500])
        texts.append(t[: max(1, len(t[:1500]) // 3)])
    prompts = workdir / "prompts.jsonl"
    topics = ["the history of tea", "why the sky is blue", "how bridges are built", "a day at the sea", "learning to cook",
              "the life of bees", "city gardens", "old maps", "trains at night", "winter in the mountains"]
    prompts.write_text("".join(json.dumps({"prompt": f"Write a short paragraph about {t}.", "id": i}) + "\n" for i, t in enumerate(topics)))
    out = run("watermark", "embed", "--key-file", key_files[0], "--prompts", prompts, "--json", "-n", "96", "--seed", "7")
    generated = [json.loads(l)["text"] for l in out.stdout.splitlines()]
    assert len(generated) == 10
    for t in generated:
        texts += [t, t[: len(t) // 2], t[len(t) // 4:]]
    assert len(texts) == 200
    ids_out = run("watermark", "tokenize", "--jsonl", input="".join(json.dumps({"text": t}) + "\n" for t in texts))
    ids = [json.loads(l)["ids"] for l in ids_out.stdout.splitlines()]
    assert len(ids) == 200
    return [{"id": f"doc-{i}", "text": t} for i, t in enumerate(texts)], [{"id": i, "ids": x} for i, x in enumerate(ids) if x]


def cli_answers(docs, key_files, *extra):
    """`watermark detect --jsonl --json` on the documents, less source and index."""
    out = run("watermark", "detect", "--jsonl", "--json", *[a for k in key_files for a in ("--key-file", k)], *extra,
              input="".join(json.dumps(d) + "\n" for d in docs), check=False)
    assert out.returncode in (0, 1), out.stderr
    answers = [json.loads(l) for l in out.stdout.splitlines()]
    for a in answers:
        a.pop("source"), a.pop("index")
    assert len(answers) == len(docs)
    return answers


@pytest.fixture(scope="session")
def openapi():
    return json.loads((REPO / "docs" / "openapi.json").read_text())
