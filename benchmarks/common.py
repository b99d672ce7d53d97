"""Shared helpers for the benchmark scripts: machine description, sample data, timing."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
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
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


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
