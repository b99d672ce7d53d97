"""Can the app serve? The checks behind ``python -m data_access health``, as a list and as an HTTP probe.

Streamlit's own ``/_stcore/health`` answers "ok" as soon as its server runs,
even when every page refuses to start (settings refused, no cookie key
outside demo mode, no store). :func:`health_problems` checks those, with the
same rules as the app's start-up, and never changes anything. :func:`serve`
answers ``GET /halsa`` with 200 ``ok`` or 503 and the problems (Swedish, one
per line) for a proxy or orchestrator that polls a URL; the answer is cached
for a few seconds so that polling cannot load the store.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HEALTH_PATH = "/halsa"
CACHE_SECONDS = 5.0


def health_problems(*, url: str | None = None, timeout: float = 5.0) -> list[str]:
    """Why the app cannot serve (Swedish, one line each); empty when it can. Never raises, changes nothing.

    The same rules as the app's start-up (``ui.auth.startup_problem``): settings that cannot be read, no
    usable cookie key outside demo mode (``COOKIE_KEY`` or ``[auth] cookie_key`` in a
    ``.streamlit/secrets.toml``), a store that does not answer; and a schema that is not at the code's
    version (the app would try to upgrade it, which its database user should not be allowed to do).
    """
    from data_access.settings import get_settings, resolve_cookie_key

    try:
        settings = get_settings()
    except Exception as exc:  # noqa: BLE001 - refused settings are the answer, not a crash
        return [f"Inställningarna går inte att läsa: {_first_line(exc)}"]
    problems = []
    _, key_problem = resolve_cookie_key(settings.cookie_key or _secrets_cookie_key(), demo=settings.demo)
    if key_problem:
        problems.append(key_problem)
    problems += _store_problems(settings.database_url, timeout)
    if url:
        problems += _server_problems(url, timeout)
    return problems


def _secrets_files() -> list[Path]:
    """Where Streamlit looks for secrets.toml (later files win): the user's, the working folder's, app.py's."""
    from data_access.settings import PROJECT_ROOT

    found: list[Path] = []
    for folder in (Path.home(), Path.cwd(), PROJECT_ROOT):
        path = (folder / ".streamlit" / "secrets.toml").resolve()
        if path not in found:
            found.append(path)
    return found


def _secrets_cookie_key() -> str | None:
    """``[auth] cookie_key`` as the app reads it; a broken file counts as no key, as in the app."""
    import tomllib

    key = None
    try:
        for path in _secrets_files():
            if path.is_file():
                value = (tomllib.loads(path.read_text(encoding="utf-8")).get("auth") or {}).get("cookie_key")
                key = str(value) if value else key
    except Exception:  # noqa: BLE001
        return None
    return key


def _first_line(exc: BaseException, limit: int = 300) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text[:limit]


def _store_problems(database_url: str, timeout: float) -> list[str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text
    from sqlalchemy.engine import make_url

    from data_access.db import alembic_config, make_engine

    try:
        parsed = make_url(database_url)
    except Exception:  # noqa: BLE001
        return ["DATABASE_URL går inte att tolka."]
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not Path(parsed.database).is_file():
            return [f"Databasen {shown} finns inte. Skapa den med `python -m data_access migrate`."]
    elif "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(max(1, round(timeout)))})
    engine = None
    try:
        engine = make_engine(parsed.render_as_string(hide_password=False))
        with engine.connect() as conn:
            conn.execute(text("select 1"))
            if not inspect(conn).has_table("alembic_version"):
                return [f"Databasen {shown} saknar schema. Kör `python -m data_access migrate`."]
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        if current != head:
            return [
                f"Databasens schema har version {current or 'ingen'}, appen behöver {head}. "
                "Kör `python -m data_access migrate` (se docs/drift.md om uppgradering)."
            ]
        return []
    except Exception as exc:  # noqa: BLE001
        return [f"Databasen {shown} svarar inte: {_first_line(exc)}"]
    finally:
        if engine is not None:
            engine.dispose()


def _server_problems(url: str, timeout: float) -> list[str]:
    import urllib.error
    import urllib.request

    health_url = url.rstrip("/") + "/_stcore/health"
    try:
        with urllib.request.urlopen(health_url, timeout=timeout) as response:
            status, body = response.status, response.read(100).decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, ""
    except Exception as exc:  # noqa: BLE001
        return [f"Streamlit-processen på {url} svarar inte: {_first_line(exc)}"]
    if status == 200 and body == "ok":
        return []
    return [f"Streamlit-processen på {url} svarar {status} {body!r} på /_stcore/health."]




class _Probe:
    """The latest answer, recomputed at most every ``CACHE_SECONDS``."""

    def __init__(self, *, url: str | None, timeout: float) -> None:
        self.url, self.timeout = url, timeout
        self._lock = threading.Lock()
        self._at = -CACHE_SECONDS
        self._problems: list[str] = []

    def problems(self) -> list[str]:
        with self._lock:
            if time.monotonic() - self._at >= CACHE_SECONDS:
                self._problems = health_problems(url=self.url, timeout=self.timeout)
                self._at = time.monotonic()
            return list(self._problems)


def make_server(*, port: int, host: str = "127.0.0.1", url: str | None = None, timeout: float = 5.0):
    """An HTTP server answering ``GET /halsa`` (200 ok / 503 problems) and 404 elsewhere; not started."""
    probe = _Probe(url=url, timeout=timeout)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                self._answer(404, "finns inte")
                return
            problems = probe.problems()
            self._answer(503 if problems else 200, "\n".join(f"fel: {p}" for p in problems) if problems else "ok")

        def _answer(self, status: int, text: str) -> None:
            body = (text + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # polled every few seconds: no line per request
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve(*, port: int, host: str = "127.0.0.1", url: str | None = None, timeout: float = 5.0) -> int:
    """Answer ``GET /halsa`` until stopped (Ctrl-C / SIGTERM)."""
    server = make_server(port=port, host=host, url=url, timeout=timeout)
    print(f"Hälsokontroll på http://{host}:{server.server_address[1]}{HEALTH_PATH}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
