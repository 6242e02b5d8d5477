"""`kb bench --web` against a desk served in this process (uvicorn in a thread), and `kb users`."""

from __future__ import annotations

import os
import threading

import pytest

from tests.engines import run_kb


@pytest.fixture
def served_app(loaded_kb):  # noqa: ANN001, ANN201
    import uvicorn

    from kb.engines.base import free_port
    from kb.web.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(loaded_kb), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the desk did not start"
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.slow
def test_web_bench_reports_levels_errors_and_memory(served_app):
    from kb.bench.web import MIX, render_markdown, run_web_bench

    report = run_web_bench(served_app, [1, 4], 40, pid=os.getpid(), log=lambda _: None)
    assert [lv["clients"] for lv in report["levels"]] == [1, 4]
    for lv in report["levels"]:
        assert lv["requests"] == 40 and lv["errors"] == 0, lv["error_examples"]
        assert 0 < lv["p50_ms"] <= lv["p95_ms"] <= lv["p99_ms"] <= lv["max_ms"]
        assert lv["rss_mb"] and min(lv["rss_mb"]) > 10 and lv["server_cpu_ms"] is not None
    assert report["mix"] == MIX and "no level of 50 clients" in report["verdict"]
    assert "| 4 | 40 |" in render_markdown(report)
    # a page that fails is counted, and named
    bad = run_web_bench(served_app, [2], 10, log=lambda _: None, warmup=0, mix=["/", "/q/no_such_question.json"])
    assert bad["levels"][0]["errors"] == 5 and "no_such_question" in bad["levels"][0]["error_examples"][0]


def test_bench_web_without_a_desk_is_one_line(engine):
    from kb.engines.base import free_port

    res = run_kb(engine, "bench", "--web", f"http://127.0.0.1:{free_port()}", check=False, timeout=60)
    assert res.returncode == 1 and "no desk answers there" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow
def test_kb_users(tmp_path):
    import subprocess
    import sys

    from kb.web.auth import Users

    path = tmp_path / "users.yaml"

    def kb(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kb", "users", *args, "--file", str(path)], input=stdin,
                              capture_output=True, text=True, timeout=60)

    assert kb("add", "carol", "--editor", "--password-stdin", stdin="a good password\n").returncode == 0
    short = kb("add", "dave", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr and "Traceback" not in short.stderr
    again = kb("add", "carol", "--password-stdin", stdin="another password\n")
    assert again.returncode == 1 and "exists" in again.stderr
    token = kb("token", "carol").stdout.strip()
    users = Users(path)
    by_token = users.by_token(token)
    assert by_token is not None and by_token.name == "carol" and users.by_token(token + "x") is None
    carol = users.check_password("carol", "a good password")
    assert carol is not None and carol.editor
    assert users.check_password("carol", "a wrong password") is None
    assert "$argon2id$" in path.read_text() and "a good password" not in path.read_text() and token not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert kb("list").stdout.split() == ["carol", "editor", "1", "token(s)"]
