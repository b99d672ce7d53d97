"""``python -m data_access health``: ok only when the app can serve pages (Streamlit's own /_stcore/health says ok
even while every page refuses to start)."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading

import pytest

import data_access.__main__ as cli
import data_access.health as checks
from data_access.db import make_engine, upgrade
from tests.auth.conftest import COOKIE_KEY, ROOT, set_app_env

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"
SECRETS_TOML_KEY = "Q2vJ8rLk-w3Tz7YpN4bHd6FmG9cRs5GuA1eKo0VhWjPq"  # as from secrets.token_urlsafe(33)


@pytest.fixture(autouse=True)
def no_secrets_files(tmp_path, monkeypatch):
    """Only the test's own secrets.toml counts (never a developer's real one)."""
    secrets = tmp_path / "secrets" / ".streamlit" / "secrets.toml"
    monkeypatch.setattr(checks, "_secrets_files", lambda: [secrets])
    return secrets


def health(capsys, *args: str) -> tuple[int, list[str]]:
    code = cli.main(["health", *args])
    return code, capsys.readouterr().out.splitlines()


def test_ok_when_the_app_can_serve(app_env, capsys):
    assert health(capsys) == (0, ["ok"])


def test_ok_in_demo_mode_without_a_key(sample_url, monkeypatch, capsys):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=None, DEMO="1")
    assert health(capsys) == (0, ["ok"])


@pytest.mark.parametrize(("key", "says"), [(None, "saknas"), ("change-me", "platshållare"),
                                           ("kort-nyckel", "för kort")])
def test_unhealthy_when_every_page_refuses_to_start(sample_url, monkeypatch, capsys, key, says):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=key)
    code, lines = health(capsys)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("fel: Nyckeln för inloggningscookien") and says in lines[0]


def test_the_key_may_come_from_secrets_toml(sample_url, monkeypatch, capsys, no_secrets_files):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=None)
    no_secrets_files.parent.mkdir(parents=True)
    no_secrets_files.write_text(f'[auth]\ncookie_key = "{SECRETS_TOML_KEY}"\n', encoding="utf-8")
    assert health(capsys) == (0, ["ok"])
    no_secrets_files.write_text('[auth]\ncookie_key = "change-me"\n', encoding="utf-8")
    assert health(capsys)[0] == 1
    no_secrets_files.write_text("[auth\ncookie_key = broken", encoding="utf-8")  # the app ignores a broken file
    assert health(capsys)[0] == 1


def test_unhealthy_when_the_settings_cannot_be_read(sample_url, monkeypatch, capsys):
    set_app_env(monkeypatch, sample_url, SUPPRESSION_MAX="fyra")
    code, lines = health(capsys)
    assert code == 1 and lines[0].startswith("fel: Inställningarna går inte att läsa")


def test_unhealthy_when_the_store_is_unreachable(monkeypatch, capsys):
    set_app_env(monkeypatch, UNREACHABLE)
    code, lines = health(capsys, "--timeout", "2")
    assert code == 1 and lines == [lines[0]] and lines[0].startswith("fel: Databasen postgresql://nobody@127.0.0.1:1")
    assert "svarar inte" in lines[0]


def test_unhealthy_without_a_store_and_creates_none(tmp_path, monkeypatch, capsys):
    path = tmp_path / "saknas" / "naravard.db"
    set_app_env(monkeypatch, f"sqlite:///{path}")
    code, lines = health(capsys)
    assert code == 1 and "finns inte" in lines[0] and "python -m data_access migrate" in lines[0]
    assert not path.exists() and not path.parent.exists()  # a health check changes nothing


def test_unhealthy_when_the_schema_is_behind(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    set_app_env(monkeypatch, url)
    code, lines = health(capsys)
    assert code == 1 and "schema har version 0001" in lines[0] and "python -m data_access migrate" in lines[0]
    engine = make_engine(url)
    upgrade(engine)  # after the migration: healthy, and the check itself did not upgrade anything
    engine.dispose()
    assert health(capsys) == (0, ["ok"])


def test_unhealthy_with_an_empty_database(tmp_path, monkeypatch, capsys):
    (tmp_path / "empty.db").write_bytes(b"")
    set_app_env(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    code, lines = health(capsys)
    assert code == 1 and "saknar schema" in lines[0]


class _Health(http.server.BaseHTTPRequestHandler):
    status, body = 200, b"ok"

    def do_GET(self):  # noqa: N802 - http.server's name
        code, body = (self.status, self.body) if self.path == "/_stcore/health" else (404, b"")
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def streamlit_stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_url_checks_the_streamlit_process_too(app_env, capsys, streamlit_stub, monkeypatch):
    url = f"http://127.0.0.1:{streamlit_stub.server_address[1]}"
    assert health(capsys, "--url", url) == (0, ["ok"])
    monkeypatch.setattr(_Health, "status", 503)
    monkeypatch.setattr(_Health, "body", b"unavailable")
    code, lines = health(capsys, "--url", url + "/")
    assert code == 1 and lines[0].startswith(f"fel: Streamlit-processen på {url}/ svarar 503")
    streamlit_stub.shutdown()
    streamlit_stub.server_close()
    code, lines = health(capsys, "--url", url, "--timeout", "2")
    assert code == 1 and "svarar inte" in lines[0]


def test_a_refused_start_and_a_dead_process_are_both_reported(capsys, monkeypatch, sample_url):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=None)
    code, lines = health(capsys, "--url", "http://127.0.0.1:1", "--timeout", "2")
    assert code == 1 and len(lines) == 2 and "Nyckeln" in lines[0] and "Streamlit-processen" in lines[1]


def test_the_command_line_exit_codes(sample_url, tmp_path):
    """The real command, as systemd runs it: exit 0 and "ok", or exit 1 and "fel: …"."""
    if (ROOT / ".streamlit" / "secrets.toml").exists():
        pytest.skip("this checkout has a .streamlit/secrets.toml, which the command reads")
    env = {k: v for k, v in os.environ.items() if k not in {"DEMO", "COOKIE_KEY", "PUBLIC_VIEW"}}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=sample_url, HOME=str(tmp_path))
    command = [sys.executable, "-m", "data_access", "health"]
    refused = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and refused.stdout.startswith("fel: Nyckeln för inloggningscookien")
    ok = subprocess.run(command, env={**env, "COOKIE_KEY": COOKIE_KEY}, cwd=tmp_path, capture_output=True,
                        text=True, timeout=120)
    assert (ok.returncode, ok.stdout) == (0, "ok\n")


def test_the_http_probe_answers_200_or_503_with_the_problems(app_env, monkeypatch):
    """``health --serve PORT``: a health page of our own for a proxy that polls a URL (Streamlit's own
    /_stcore/health says ok even when every page refuses to start)."""
    import urllib.error
    import urllib.request

    server = checks.make_server(port=0)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/halsa", timeout=5) as answer:
            assert (answer.status, answer.read().decode()) == (200, "ok\n")
        monkeypatch.setattr(checks, "CACHE_SECONDS", 0.0)
        monkeypatch.setattr(checks, "health_problems", lambda **kw: ["Databasen svarar inte."])
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/halsa", timeout=5)
        assert failed.value.code == 503 and failed.value.read().decode() == "fel: Databasen svarar inte.\n"
        with pytest.raises(urllib.error.HTTPError) as elsewhere:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
        assert elsewhere.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
