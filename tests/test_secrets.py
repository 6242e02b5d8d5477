"""Secrets and exposure: a password never shows in output, errors or logs; docker-compose
will not start without a password the user chose; the local Neo4j listens on 127.0.0.1
only. (The embedded server's owner-only unix socket is tested in tests/test_embedded.py.)

The Neo4j here is the tests' own, with authentication on (`local_neo4j` in tests/test_faults.py).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import kb
from kb.config import Settings, mask
from kb.errors import KBError
from tests import test_faults

local_neo4j = test_faults.local_neo4j  # the session fixture, shared with the fault tests

ROOT = Path(__file__).resolve().parent.parent
SECRET = "hunter2-Sup3r-secret"


def run_kb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, **(env or {})}
    for name in ("KB_URI", "KB_PASSWORD", "NEO4J_PASSWORD", "KB_USER"):
        if env is None or name not in env:
            full.pop(name, None)
    return subprocess.run([sys.executable, "-m", "kb", *args], capture_output=True, text=True, env=full,
                          timeout=120)


@pytest.mark.slow
def test_doctor_and_stats_never_print_the_password(local_neo4j):
    pw = local_neo4j.password
    port = local_neo4j.port
    runs = {
        "password in the URI": run_kb("--uri", f"bolt://neo4j:{pw}@127.0.0.1:{port}", "doctor", "--format", "json"),
        "password in KB_PASSWORD": run_kb("--uri", f"bolt://127.0.0.1:{port}", "doctor", "--format", "json",
                                          env={"KB_USER": "neo4j", "KB_PASSWORD": pw}),
        "password in NEO4J_PASSWORD": run_kb("doctor", "--format", "json",
                                             env={"KB_URI": f"bolt://127.0.0.1:{port}", "NEO4J_PASSWORD": pw}),
        "stats, table": run_kb("--uri", f"bolt://neo4j:{pw}@127.0.0.1:{port}", "stats"),
        "a question": run_kb("--uri", f"bolt://neo4j:{pw}@127.0.0.1:{port}", "query", "search", "-p", f"text={pw}x"),
    }
    for what, res in runs.items():
        assert pw not in res.stdout + res.stderr, what
        assert "Traceback" not in res.stderr, (what, res.stderr)
    doctor = json.loads(runs["password in the URI"].stdout)[0]
    assert doctor["password"] == "set" and doctor["engine"] == "neo4j", doctor
    assert "***" in doctor["backend"] and pw not in doctor["backend"]
    assert json.loads(runs["password in KB_PASSWORD"].stdout)[0]["password"] == "set"


@pytest.mark.slow
def test_a_wrong_password_is_refused_without_echoing_it(local_neo4j):
    wrong = SECRET + "-wrong"
    res = run_kb("--uri", f"bolt://neo4j:{wrong}@127.0.0.1:{local_neo4j.port}", "doctor")
    assert wrong not in res.stdout + res.stderr
    assert "refused the credentials" in res.stdout + res.stderr
    with pytest.raises(KBError) as exc:
        kb.connect(f"bolt://127.0.0.1:{local_neo4j.port}", user="neo4j", password=wrong)
    assert wrong not in str(exc.value) and "refused the credentials" in str(exc.value)
    assert len(str(exc.value).splitlines()) == 1


@pytest.mark.parametrize("uri", [
    f"bolt://neo4j:{SECRET}@127.0.0.1:1",
    f"neo4j+s://neo4j:{SECRET}@127.0.0.1:1",
    f"falkordb://user:{SECRET}@127.0.0.1:1",
    f"ftp://user:{SECRET}@example.org",
    f"bolt://neo4j:{SECRET}@[not a host",
])
def test_errors_mask_passwords_in_uris(uri):
    with pytest.raises(KBError) as exc:
        kb.connect(uri)
    assert SECRET not in str(exc.value)
    assert len(str(exc.value).splitlines()) == 1
    assert SECRET not in Settings.from_env(uri).describe()


def test_mask():
    assert mask(f"bolt://neo4j:{SECRET}@host:7687") == "bolt://neo4j:***@host:7687"
    assert mask(f"see bolt://u:{SECRET}@h and redis://:{SECRET}@h2").count(SECRET) == 0
    assert mask(f"bolt://u:{SECRET}@x@host") == "bolt://u:***@host"  # an @ inside the password


@pytest.mark.slow
def test_driver_logs_hold_no_password(local_neo4j, caplog):
    caplog.set_level(logging.DEBUG)  # the neo4j driver logs every message it sends at DEBUG
    with local_neo4j.connect() as k:
        assert k.read("RETURN 1 AS x") == [{"x": 1}]
        assert local_neo4j.password not in repr(k) + k.backend.location
    assert "C: LOGON" in caplog.text  # the message that carries the credentials was logged ...
    assert local_neo4j.password not in caplog.text  # ... without them


@pytest.mark.slow
def test_local_neo4j_keeps_the_password_out_of_logs_files_and_command_line(local_neo4j):
    pw = local_neo4j.password.encode()
    pid = local_neo4j.pid()
    assert pw not in Path(f"/proc/{pid}/cmdline").read_bytes()
    checked = []
    for folder in (local_neo4j.data_dir / "logs", local_neo4j.home / "run"):
        for f in folder.rglob("*"):
            if f.is_file():
                checked.append(f.name)
                assert pw not in f.read_bytes(), f
    assert "launcher.log" in checked and any(n.endswith(".json") for n in checked), checked


@pytest.mark.slow
def test_local_neo4j_listens_on_127_0_0_1_only(local_neo4j):
    pid = local_neo4j.pid()
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    mine = [ln.split() for ln in listening.splitlines() if f"pid={pid}," in ln]
    # Java shows IPv4 loopback as the IPv4-mapped IPv6 address: the same thing
    addresses = {cols[3].replace("[::ffff:127.0.0.1]", "127.0.0.1") for cols in mine}
    assert f"127.0.0.1:{local_neo4j.port}" in addresses, listening
    assert f"127.0.0.1:{local_neo4j.http_port}" in addresses, listening
    for a in addresses:
        assert re.fullmatch(r"127\.0\.0\.1:\d+", a), f"listens beyond loopback: {a}"


def test_docker_compose_refuses_to_start_without_a_password():
    text = (ROOT / "docker-compose.yml").read_text()
    doc = yaml.safe_load(text)
    env = doc["services"]["neo4j"]["environment"]
    auth = env["NEO4J_AUTH"] if isinstance(env, dict) else dict(e.split("=", 1) for e in env)["NEO4J_AUTH"]
    # ${VAR:?message} makes compose stop with the message when VAR is unset or empty
    assert re.fullmatch(r"neo4j/\$\{KB_NEO4J_PASSWORD:\?[^}]+\}", auth), auth
    assert not re.search(r"\$\{KB_NEO4J_PASSWORD:?-", text), "no default password"
    assert not re.search(r"NEO4J_AUTH\s*:\s*[\"']?none", text, re.IGNORECASE)
    for port in doc["services"]["neo4j"]["ports"]:
        assert str(port).startswith("127.0.0.1:"), f"{port} publishes beyond loopback"
