"""watermark-server against the CLI, its own OpenAPI document, and every refusal path."""
import base64
import json
import math
import re
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import jsonschema
import pytest
import requests

from conftest import KEY_BYTES, SEEN, REPO, Server, binary, cli_answers, run


def schema_check(openapi, name, instance):
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]},
                        cls=jsonschema.Draft202012Validator)


@pytest.fixture(scope="module")
def one_key(workdir, key_files, api_tokens):
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir / "one.sqlite",
                    "--log-level", "debug", "--max-documents", 300, name="one")
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def two_keys(workdir, key_files, api_tokens):
    server = Server(workdir, "--key-file", key_files[0], "--key-file", key_files[1], "--tokens", api_tokens["path"],
                    "--database", workdir / "two.sqlite", "--log-level", "debug", "--max-documents", 300, name="two")
    yield server
    assert server.stop() == 0


def batch(server, docs, token, chunk=50, **extra):
    out = []
    for i in range(0, len(docs), chunk):
        r = server.post("/v1/detect/batch", {"documents": [dict(d, **extra) for d in docs[i:i + chunk]]}, token)
        assert r.status_code == 200, r.text
        out += r.json()["results"]
    return out


# --- the same answers as the CLI -----------------------------------------------------------

def test_one_key_text_and_ids_equal_the_cli(one_key, documents, key_files, api_tokens, openapi):
    texts, ids = documents
    expected_text = cli_answers(texts, key_files[:1])
    expected_ids = cli_answers(ids, key_files[:1])
    single = []
    for d in texts:
        r = one_key.post("/v1/detect", d, api_tokens["full"])
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        single.append(r.json())
    assert single == expected_text
    assert batch(one_key, texts, api_tokens["full"]) == expected_text
    assert batch(one_key, ids, api_tokens["full"]) == expected_ids
    for a in single[:20] + expected_ids[:20]:
        schema_check(openapi, "FullResult", a)
    verdicts = [a["verdict"] for a in expected_text]
    assert verdicts.count("watermarked") >= 20 and verdicts.count("not-watermarked") >= 100, verdicts


def test_several_keys_and_scan_equal_the_cli(two_keys, documents, key_files, api_tokens):
    texts, ids = documents
    assert batch(two_keys, texts, api_tokens["full"]) == cli_answers(texts, key_files)
    assert batch(two_keys, ids, api_tokens["full"]) == cli_answers(ids, key_files)
    scanned = batch(two_keys, texts[:60] + texts[-30:], api_tokens["full"], scan=True)
    expected = cli_answers(texts[:60] + texts[-30:], key_files, "--scan")
    assert scanned == expected
    assert all(a["keysTried"] == 2 and len(a["keys"]) == 2 for a in expected)
    assert any("window" in a for a in expected)
    matched = {a["keyID"] for a in expected if a["verdict"] == "watermarked"}
    assert len(matched) == 1  # the texts were written under key 1 only


def test_attribution_equals_the_cli_for_scope_full(one_key, documents, key_files, api_tokens):
    texts, _ = documents
    got = batch(one_key, texts[-30:], api_tokens["full"], attribution=True)
    assert got == cli_answers(texts[-30:], key_files[:1], "--attribution")
    assert all(len(a["attribution"]) == a["tokens"] for a in got)


def test_scope_verdict_sees_only_the_verdict_and_a_rounded_p(one_key, documents, key_files, api_tokens, openapi):
    texts, _ = documents
    expected = cli_answers(texts, key_files[:1])
    got = batch(one_key, texts, api_tokens["verdict"])
    for g, e in zip(got, expected):
        assert set(g) == {"id", "verdict", "p"}, g
        assert g["verdict"] == e["verdict"] and g["id"] == e["id"]
        assert g["p"] == float(f"{e['pAdjusted']:.1e}")
        schema_check(openapi, "VerdictResult", g)
    r = one_key.post("/v1/detect", dict(texts[0], attribution=True), api_tokens["verdict"])
    assert r.status_code == 403 and r.json()["reason"] == "forbidden"
    r = one_key.post("/v1/detect/batch", {"documents": [texts[0], dict(texts[1], attribution=True)]}, api_tokens["verdict"])
    assert r.status_code == 200
    assert r.json()["results"][1]["reason"] == "forbidden" and r.json()["results"][1]["id"] == texts[1]["id"]
    assert r.json()["results"][0] == got[0]


# --- who may ask ---------------------------------------------------------------------------

def test_missing_and_bad_tokens_get_401(one_key, api_tokens, openapi):
    doc = {"text": "hello"}
    for headers in [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}, {"Authorization": "Bearer wmk_not-a-token"},
                    {"Authorization": "Bearer " + api_tokens["full"] + "x"}]:
        for path in ["/v1/detect", "/v1/detect/batch"]:
            r = one_key.request("POST", path, json_body=doc, headers=headers)
            assert r.status_code == 401, (headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            schema_check(openapi, "Error", r.json())
            assert r.json()["reason"] == "unauthorized"
    # Lower-case scheme is the same scheme.
    assert one_key.request("POST", "/v1/detect", json_body=doc, headers={"Authorization": "bearer " + api_tokens["full"]}).status_code == 200
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"]:
        assert one_key.request("GET", path).status_code == 200


def test_requests_per_minute_give_429_with_retry_after(one_key, api_tokens):
    codes = [one_key.post("/v1/detect", {"text": "a short text"}, api_tokens["slow"]) for _ in range(5)]
    assert [c.status_code for c in codes] == [200, 200, 200, 429, 429]
    assert codes[3].json()["reason"] == "rate-limited"
    assert 1 <= int(codes[3].headers["retry-after"]) <= 20  # 3 a minute: one every 20 s


def test_the_days_budget_is_kept_and_survives_a_restart(workdir, key_files, api_tokens, documents):
    texts, _ = documents
    db = workdir / "budget.sqlite"
    args = ["--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", db]
    server = Server(workdir, *args, name="budget")
    used, statuses = 0, []
    for d in texts[:40]:
        r = server.post("/v1/detect", d, api_tokens["budget"])
        statuses.append(r.status_code)
        if r.status_code == 200:
            used += r.json()["tokens"]
        else:
            assert r.status_code == 429 and r.json()["reason"] == "daily-budget", r.text
            assert int(r.headers["retry-after"]) >= 1
    assert 200 in statuses and 429 in statuses
    assert used <= 2000
    assert server.stop() == 0
    again = Server(workdir, *args, name="budget-again")
    r = again.post("/v1/detect", {"text": texts[0]["text"]}, api_tokens["budget"])
    assert r.status_code == 429 and r.json()["reason"] == "daily-budget"
    assert again.post("/v1/detect", {"text": "another token still has its budget"}, api_tokens["full"]).status_code == 200
    assert again.stop() == 0
    with sqlite3.connect(db) as c:
        (spent,) = c.execute("SELECT tokens FROM usage WHERE token = 'budget'").fetchone()
    assert spent == used


# --- limits and bad input --------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_limits(workdir, key_files, api_tokens):
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir / "limits.sqlite",
                    "--max-body-bytes", 20000, "--max-documents", 4, "--max-tokens", 100, name="limits")
    yield server
    assert server.stop() == 0


def test_size_limits_give_413(small_limits, api_tokens, openapi):
    t = api_tokens["full"]
    r = small_limits.post("/v1/detect", {"text": "x" * 30000}, t)
    assert r.status_code == 413 and r.json()["reason"] == "body-too-large"
    r = small_limits.post("/v1/detect/batch", {"documents": [{"text": "a"}] * 5}, t)
    assert r.status_code == 413 and r.json()["reason"] == "too-many-documents"
    long = "word " * 400
    r = small_limits.post("/v1/detect", {"text": long}, t)
    assert r.status_code == 413 and r.json()["reason"] == "too-many-tokens"
    r = small_limits.post("/v1/detect", {"ids": list(range(101))}, t)
    assert r.status_code == 413 and r.json()["reason"] == "too-many-tokens"
    r = small_limits.post("/v1/detect/batch", {"documents": [{"text": long, "id": "long"}, {"text": "short", "id": "short"}]}, t)
    assert r.status_code == 200
    long_answer, short_answer = r.json()["results"]
    assert long_answer == {"error": long_answer["error"], "reason": "too-many-tokens", "id": "long"}
    assert short_answer["id"] == "short" and "verdict" in short_answer
    schema_check(openapi, "BatchAnswer", r.json())
    # A body that is larger than it says is cut off at the cap too (no Content-Length trust).
    def chunks():
        for _ in range(30):
            yield b"x" * 1000
    r = requests.post(small_limits.url + "/v1/detect", data=chunks(), headers={"Authorization": "Bearer " + t}, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize("body,fragment", [
    (b"{", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"[]", "must be a JSON object"),
    (b'{"text": 5}', '"text": must be a string'),
    (b'{"ids": [1, -1]}', '"ids[1]": must be an array of integers'),
    (b'{"ids": [1.5]}', "must be an array of integers"),
    (b'{"ids": []}', '"ids" is empty'),
    (b'{"text": "a", "ids": [1]}', "not both"),
    (b'{"txt": "a"}', 'unknown field "txt"'),
    (b'{"text": "a", "scan": 1}', '"scan": must be true or false'),
    (b'{"text": "a", "id": {"x": 1}}', '"id" must be a string or an integer'),
    (b'\xff\xfe', "not valid JSON"),
])
def test_malformed_bodies_get_400_with_one_line(one_key, api_tokens, openapi, body, fragment):
    r = one_key.request("POST", "/v1/detect", token=api_tokens["full"], data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert fragment in r.json()["error"], r.json()
    assert "\n" not in r.json()["error"]
    schema_check(openapi, "Error", r.json())


def test_a_bad_document_does_not_fail_its_batch(one_key, api_tokens):
    docs = [{"text": "fine", "id": 1}, {"ids": "x", "id": 2}, 7, {"ids": [5, 6, 7], "id": 4}, {"bad": True}]
    r = one_key.post("/v1/detect/batch", {"documents": docs}, api_tokens["full"])
    assert r.status_code == 200
    results = r.json()["results"]
    assert [("verdict" in x, "error" in x) for x in results] == [(True, False), (False, True), (False, True), (True, False), (False, True)]
    assert results[1]["error"].startswith('"documents[1].ids"')
    for body in [{"documents": {}}, {"docs": []}, [], {"documents": [1], "extra": 1}]:
        assert one_key.post("/v1/detect/batch", body, api_tokens["full"]).status_code == 400
    assert one_key.post("/v1/detect/batch", {"documents": []}, api_tokens["full"]).json() == {"results": []}


def test_unknown_routes_and_methods(one_key, api_tokens):
    r = one_key.request("GET", "/v1/nothing", token=api_tokens["full"])
    assert r.status_code == 404 and r.json()["reason"] == "not-found"
    r = one_key.request("GET", "/v1/detect", token=api_tokens["full"])
    assert r.status_code == 405 and "allow" in r.headers
    r = one_key.request("DELETE", "/healthz")
    assert r.status_code == 405


def test_a_full_queue_gives_503_not_memory(workdir, key_files, api_tokens, documents):
    texts, _ = documents
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir / "queue.sqlite",
                    "--threads", 1, "--queue", 1, "--max-documents", 300, name="queue")
    body = {"documents": texts * 1}
    results = []

    def hit():
        r = requests.post(server.url + "/v1/detect/batch", json=body, headers={"Authorization": "Bearer " + api_tokens["full"]}, timeout=120)
        SEEN.append(r.text)
        results.append((r.status_code, r.headers.get("retry-after"), r.json().get("reason")))

    threads = [threading.Thread(target=hit) for _ in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    codes = [c for c, _, _ in results]
    assert set(codes) <= {200, 503} and codes.count(200) >= 1 and codes.count(503) >= 1, results
    assert all(r == "1" and reason == "overloaded" for c, r, reason in results if c == 503)
    metrics = server.request("GET", "/metrics").text
    assert re.search(r'watermark_rejections_total\{reason="overloaded"\} [1-9]', metrics)
    assert server.stop() == 0


def test_a_slow_body_times_out(workdir, key_files, api_tokens):
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir / "slow.sqlite",
                    "--request-timeout", 1, "--idle-timeout", 2, name="timeout")
    head = (b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + api_tokens["full"].encode() +
            b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\":")
    # A body that trickles in past the request timeout: refused as the late bytes arrive.
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(head)
        time.sleep(1.5)
        s.sendall(b'"more')
        s.settimeout(10)
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 503") and '"reason":"timeout"' in answer, answer
    # A body that stops: the connection is closed at the idle timeout.
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(head)
        s.settimeout(10)
        start = time.monotonic()
        try:
            rest = s.recv(4096)
        except ConnectionResetError:
            rest = b""
        assert time.monotonic() - start < 6
    assert rest == b"" or rest.startswith(b"HTTP/1.1 5"), rest
    assert server.request("GET", "/healthz").status_code == 200
    assert server.stop() == 0


# --- metrics, the document, the log ----------------------------------------------------------

def test_metrics_count_routes_documents_tokens_and_rejections(one_key, api_tokens):
    one_key.post("/v1/detect", {"text": "count me"}, api_tokens["full"])
    one_key.request("POST", "/v1/detect", json_body={"text": "x"})
    text = one_key.request("GET", "/metrics").text
    assert re.search(r'watermark_requests_total\{route="/v1/detect",status="200"\} [1-9]', text)
    assert re.search(r'watermark_requests_total\{route="/v1/detect",status="401"\} [1-9]', text)
    assert re.search(r'watermark_request_duration_seconds_bucket\{route="/v1/detect",le="0.05"\} [1-9]', text)
    assert re.search(r"watermark_documents_scored_total [1-9]", text)
    assert re.search(r"watermark_tokens_scored_total [1-9]", text)
    assert re.search(r'watermark_rejections_total\{reason="unauthorized"\} [1-9]', text)
    assert re.search(r'watermark_verdicts_total\{verdict="not-watermarked"\} [1-9]', text)
    assert "watermark_queue_depth" in text


def test_the_served_document_is_the_repositorys(one_key, openapi):
    assert one_key.request("GET", "/openapi.json").json() == openapi
    assert json.loads(run("watermark-server", "openapi").stdout) == openapi


def test_the_audit_log_has_digests_never_text(one_key, workdir, documents, api_tokens):
    texts, _ = documents
    one_key.post("/v1/detect", {"text": "an audited sentence that must not be stored"}, api_tokens["full"])
    with sqlite3.connect(workdir / "one.sqlite") as c:
        rows = c.execute("SELECT time, token, route, status, documents, tokens, verdicts, sha256 FROM audit").fetchall()
        dump = "\n".join(c.iterdump())
    assert "an audited sentence" not in dump and texts[0]["text"][:40] not in dump
    import hashlib
    digest = hashlib.sha256(b"an audited sentence that must not be stored").hexdigest()
    assert any(json.loads(r[7]) == [digest] and r[1] == "full" and r[2] == "/v1/detect" and r[3] == 200 for r in rows)
    assert any(r[3] == 429 for r in rows)  # the rate-limited requests are there too


def test_schemathesis_finds_no_server_error_and_nothing_outside_the_spec(workdir, key_files, api_tokens):
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir / "fuzz.sqlite",
                    "--max-documents", 64, "--log-level", "debug", name="schemathesis")
    import sys
    from pathlib import Path
    st = Path(sys.executable).with_name("schemathesis")
    out = subprocess.run([str(st), "run", server.url + "/openapi.json", "--checks", "all", "--max-examples", "100",
                          "--header", f"Authorization: Bearer {api_tokens['full']}", "--seed", "1", "--workers", "1",
                          "--request-timeout", "30", "--suppress-health-check", "all", "--no-color"],
                         capture_output=True, text=True, timeout=900)
    (workdir / "schemathesis.txt").write_text(out.stdout + out.stderr)
    SEEN.append(out.stdout)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert server.stop() == 0
    SEEN.append(server.log_text())


# --- replicas, shutdown, secrets -------------------------------------------------------------

def test_two_replicas_behind_nginx_answer_as_one(workdir, key_files, api_tokens, documents, one_key):
    import shutil
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    texts, ids = documents
    db = workdir / "replicas.sqlite"
    replicas = [Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", db, "--max-documents", 300,
                       name=f"replica{i}") for i in range(2)]
    prefix = workdir / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
daemon off; worker_processes 1; pid {prefix}/nginx.pid; error_log {prefix}/logs/error.log;
events {{ worker_connections 256; }}
http {{
  access_log {prefix}/logs/access.log;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  upstream watermark {{ server 127.0.0.1:{replicas[0].port}; server 127.0.0.1:{replicas[1].port}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{port};
    # Bodies and answers stay in memory: nginx's workers (user nobody under root) cannot
    # write into the test's private temporary folder.
    client_max_body_size 8m; client_body_buffer_size 8m; proxy_max_temp_file_size 0;
    location / {{ proxy_pass http://watermark; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
""")
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        class Front:
            url = f"http://127.0.0.1:{port}"
            session = requests.Session()
            post = Server.post
            request = Server.request
        front = Front()
        single = [front.post("/v1/detect", d, api_tokens["full"]).json() for d in texts[:100]]
        assert single == batch(one_key, texts[:100], api_tokens["full"])
        assert batch(front, ids, api_tokens["full"], chunk=20) == batch(one_key, ids, api_tokens["full"])
        # Both replicas answered, and they share one budget (the SQLite file).
        logs = (prefix / "logs" / "access.log").read_text()
        assert logs.count("\n") >= 100
        spent, statuses = 0, []
        for d in texts[:60]:
            r = front.post("/v1/detect", d, api_tokens["shared"])
            statuses.append(r.status_code)
            spent += r.json()["tokens"] if r.status_code == 200 else 0
        assert 429 in statuses and spent <= 3000
        with sqlite3.connect(db) as c:
            assert c.execute("SELECT tokens FROM usage WHERE token = 'shared'").fetchone()[0] == spent
        counts = [int(re.search(r'watermark_requests_total\{route="/v1/detect",status="200"\} (\d+)', r.request("GET", "/metrics").text).group(1))
                  for r in replicas]
        assert all(c >= 20 for c in counts), counts
    finally:
        proc.send_signal(signal.SIGQUIT)
        proc.wait(timeout=20)
        for r in replicas:
            assert r.stop() == 0


def test_sigterm_under_load_loses_no_accepted_request(workdir, key_files, api_tokens, documents):
    texts, _ = documents
    db = workdir / "sigterm.sqlite"
    server = Server(workdir, "--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", db, name="sigterm")
    outcomes, stop = [], threading.Event()

    def client(k):
        i = k
        while not stop.is_set():
            try:
                r = requests.post(server.url + "/v1/detect", json=texts[i % len(texts)], headers={"Authorization": "Bearer " + api_tokens["full"],
                                  "Connection": "close"}, timeout=30)
                outcomes.append(r.status_code)
            except requests.ConnectionError:
                outcomes.append("refused")
                time.sleep(0.01)
            i += 8

    clients = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    [c.start() for c in clients]
    time.sleep(2)
    before = len(outcomes)
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=30)
    time.sleep(0.3)
    stop.set()
    [c.join() for c in clients]
    assert code == 0
    answered = [o for o in outcomes if o != "refused"]
    assert before > 50 and set(answered) == {200}, set(outcomes)
    assert "refused" in outcomes
    with sqlite3.connect(db) as c:
        (rows,) = c.execute("SELECT count(*) FROM audit WHERE status = 200").fetchone()
    assert rows == len(answered)
    assert "stopped" in server.log_text()


def test_start_up_errors_are_one_line(workdir, key_files, api_tokens):
    cases = [
        (["--tokens", api_tokens["path"]], "no key given"),
        (["--key-file", workdir / "missing.hex", "--tokens", api_tokens["path"]], "missing.hex"),
        (["--key-file", key_files[0]], "no tokens file"),
        (["--key-file", key_files[0], "--tokens", workdir / "none.jsonl"], "none.jsonl"),
        (["--key-file", key_files[0], "--tokens", api_tokens["path"], "--tokenizer", workdir / "tok.gguf"], "tok.gguf"),
        (["--key-file", key_files[0], "--tokens", api_tokens["path"], "--calibration", key_files[1]], str(key_files[1])),
        (["--key-file", key_files[0], "--tokens", api_tokens["path"], "--threads", 0], "--threads"),
        (["--key-file", key_files[0], "--tokens", api_tokens["path"], "--database", workdir], str(workdir)),
    ]
    for args, fragment in cases:
        out = subprocess.run([str(binary("watermark-server")), "serve", "--port", "0", *map(str, args)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith("watermark-server: error: "), (args, out.stderr)
        SEEN.append(out.stderr + out.stdout)
    out = subprocess.run([str(binary("watermark-server")), "token", "--name", "x", "--scope", "admin"], capture_output=True, text=True)
    assert out.returncode != 0 and "verdict or full" in out.stderr


def test_no_key_material_anywhere(workdir, key_files):
    """Last: every response, log, metric and state file the tests made, scanned for the keys."""
    secrets = []
    for key in KEY_BYTES:
        secrets += [key.hex(), key.hex().upper(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode().rstrip("="),
                    base64.b64encode(key).decode().rstrip("=")]
    haystack = "\n".join(SEEN)
    for path in workdir.rglob("*"):
        if path.is_file() and path not in key_files and path.suffix != ".hex":
            haystack += "\n" + path.read_bytes().decode("latin-1")
    assert len(SEEN) > 500
    for s in secrets:
        assert s not in haystack, "key material found"


def test_the_readmes_service_block_runs(tmp_path, key_files):
    """The README's shell block, verbatim but for the binary's path and a free port."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Run it as a service"):]
    block = section[section.index("```sh\n") + 6:section.index("\n```", section.index("```sh\n"))]
    lines = block.split("\n")
    assert lines[0].startswith("swift build -c release --product watermark-server && S=")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = "set -e\nS=" + str(binary("watermark-server")) + "\n" + "\n".join(lines[1:]).replace("8080", str(port)) + "\nwait\n"
    (tmp_path / "my.key").write_text(KEY_BYTES[0].hex() + "\n")
    (tmp_path / "my.key").chmod(0o600)
    out = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env=dict(__import__("os").environ, WATERMARK_CACHE=str(__import__("conftest").CACHE)))
    SEEN.append(out.stdout + out.stderr)
    assert out.returncode == 0, out.stderr[-3000:]
    answers = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    assert answers[0] == {"id": "post-17", "verdict": answers[0]["verdict"], "p": answers[0]["p"]}
    assert len(answers[1]["results"]) == 2 and set(answers[1]["results"][0]) == {"verdict", "p"}
    assert re.search(r'watermark_requests_total\{route="/v1/detect",status="200"\} 1', out.stdout)
    assert "stopped" in out.stderr
