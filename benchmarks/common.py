"""Shared helpers for the benchmark scripts: machine description, sample data, timing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    try:
        load = f", load average {os.getloadavg()[0]:.1f} at the start"
    except OSError:
        load = ""
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{load}"


def sample_dir(scale: float, months: int = 36) -> Path:
    """Generated sample data for a scale, cached under var/bench (scale 1 = the committed default)."""
    if scale == 1 and months == 36:
        return ROOT / "sample_data" / "default"
    out = CACHE / f"scale{scale:g}_m{months}"
    if not (out / "population.csv").exists():
        subprocess.run(
            [sys.executable, "-m", "sample_data", "--out", str(out), "--scale", str(scale), "--months", str(months)],
            check=True,
            cwd=ROOT,
        )
    return out


def median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


@contextmanager
def scratch_engine(backend: str, folder: Path) -> Iterator:
    """An engine on an empty, throwaway store: a SQLite file in ``folder``, or a PostgreSQL schema dropped after."""
    if backend == "SQLite":
        from data_access.db import make_engine

        engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def fresh_store(folder: Path, backend: str, name: str = "bench") -> Iterator[str]:
    """The URL of an empty store: a SQLite file in ``folder``, or a PostgreSQL database dropped afterwards.

    A URL rather than an engine, because the app under test runs in its own process.
    """
    if backend == "SQLite":
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(PG_URL)
    db = f"indikator_{name}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield server.set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # FORCE: the benchmark's own pooled connections may still be open
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/PID/stat, Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory a process has had, in MB (/proc/PID/status, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat: everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]
    return busy / os.sysconf("SC_CLK_TCK")


class AppURL(str):
    """The app's base URL, with the server process's ``pid`` (for CPU accounting)."""

    pid: int


@contextmanager
def sample_app(*, scale: float = 1, backend: str = "SQLite", wait_tries: int = 600) -> Iterator[AppURL]:
    """`streamlit run app.py` in demo mode on a free local port, against a fresh store; yields its URL.

    Shared by the browser and load benchmarks. The URL carries the server's ``pid``.
    """
    with sample_apps(1, scale=scale, backend=backend, wait_tries=wait_tries) as apps:
        yield apps[0]


@contextmanager
def sample_apps(n: int, *, scale: float = 1, backend: str = "SQLite", wait_tries: int = 600) -> Iterator[list[AppURL]]:
    """``n`` Streamlit processes on one fresh store, each on its own free local port (as behind the proxy)."""
    import socket
    import tempfile
    import urllib.request

    from benchmarks.bench_pages import prepare_store

    with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp), backend, f"app_s{scale:g}") as url:
        prepare_store(url, scale)
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "DEMO": "1"}
        procs, apps = [], []
        try:
            for _ in range(n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]
                proc = subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                     "--server.address", "127.0.0.1", "--server.headless", "true"],
                    env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                procs.append(proc)
                base = AppURL(f"http://127.0.0.1:{port}")
                base.pid = proc.pid
                apps.append(base)
            for base in apps:
                for _ in range(wait_tries):
                    try:
                        if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                            break
                    except OSError:
                        time.sleep(0.2)
            yield apps
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=20)
