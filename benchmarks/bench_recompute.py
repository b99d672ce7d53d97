"""Full vs incremental recompute of the stored indicator table after an import.

The store holds the sample data without the last month's events of one
municipality (Borås, 1490); importing that month is the typical monthly
delivery. Timed: ``recompute_store()`` (full) and ``recompute_store(touched=…)``
with what the import touched (incremental; before each run the stored table
is put back as it was before the import, outside the timing).

    python benchmarks/bench_recompute.py --scale 1 [--scale 10] [--runs 3] [--backend SQLite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from io import StringIO
from pathlib import Path

import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from benchmarks.common import median_time, sample_dir, scratch_engine  # noqa: E402
from data_access.contract import TABLES  # noqa: E402
from data_access.db import upgrade  # noqa: E402
from data_access.importer import import_paths  # noqa: E402
from data_access.models import IndicatorResult  # noqa: E402
from data_access.queries import EVENT_TIME  # noqa: E402
from data_access.recompute import RESULT_COLUMNS, recompute_store, write_results  # noqa: E402

MUNICIPALITY = "1490"


def _read(path: Path) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    head = content.split("\n", 1)[0]
    sep = ";" if head.count(";") > head.count(",") else ","
    return pd.read_csv(StringIO(content), sep=sep, dtype=str, keep_default_na=False), sep


def split_last_month(folder: Path, out: Path) -> tuple[Path, Path]:
    """``out/base`` (everything but the last month of MUNICIPALITY's events) and ``out/append`` (that month)."""
    frames = {p.stem: _read(p)[0] for p in folder.glob("*.csv") if p.stem in TABLES}
    last = max(pd.to_datetime(f[EVENT_TIME[t]]).max() for t, f in frames.items() if t in EVENT_TIME)
    month = pd.Timestamp(last.year, last.month, 1)
    base, append = out / "base", out / "append"
    base.mkdir(parents=True, exist_ok=True)
    append.mkdir(parents=True, exist_ok=True)
    for t, f in frames.items():
        if t in EVENT_TIME:
            new = (pd.to_datetime(f[EVENT_TIME[t]]) >= month) & (f["municipality_code"] == MUNICIPALITY)
            f.loc[new].to_csv(append / f"{t}.csv", index=False)
            f = f.loc[~new]
        f.to_csv(base / f"{t}.csv", index=False)
    return base, append


def _measure(engine, base: Path, append: Path, runs: int, scale, backend: str) -> list[dict]:
    upgrade(engine)
    assert import_paths([base], engine=engine, user="bench").ok
    recompute_store(engine=engine)
    with engine.connect() as conn:
        cols = [getattr(IndicatorResult, c) for c in RESULT_COLUMNS]
        before = pd.DataFrame(conn.execute(select(*cols)).all(), columns=RESULT_COLUMNS)
    result = import_paths([append], engine=engine, user="bench")
    assert result.ok and result.changed
    touched = result.touched
    summaries = []

    def incremental():
        summaries.append(recompute_store(engine=engine, touched=touched, incremental=True))

    def restore():
        write_results(engine, before)

    inc_times = []
    for _ in range(runs):
        restore()
        t, _ = median_time(incremental, 1)
        inc_times.append(t)
    full, _ = median_time(lambda: recompute_store(engine=engine), runs)
    inc = sorted(inc_times)[len(inc_times) // 2]
    print(f"recompute scale {scale} {backend}: full {full:.2f} s, incremental {inc:.2f} s ({summaries[-1]})")
    return [
        {"benchmark": "full recompute (all periods)", "scale": scale, "backend": backend, "runs": runs,
         "median_s": full},
        {"benchmark": "incremental recompute after importing one municipality's last month", "scale": scale,
         "backend": backend, "runs": runs, "median_s": inc},
    ]


def _measure_full(engine, folder: Path, scale, backend: str) -> dict:
    """One full recompute of a store holding all of ``folder`` (the nation-sized scale: no incremental run)."""
    upgrade(engine)
    assert import_paths([folder], engine=engine, user="bench").ok
    full, _ = median_time(lambda: recompute_store(engine=engine), 1)
    print(f"recompute scale {scale} {backend}: full {full:.2f} s")
    return {"benchmark": "full recompute (all periods)", "scale": scale, "backend": backend, "runs": 1,
            "median_s": full}


def run(scales=(1, 10), backends=("SQLite", "PostgreSQL"), runs: int = 3, full_scales=()) -> list[dict]:
    """Full against incremental at ``scales``; a full recompute alone at ``full_scales``."""
    results: list[dict] = []
    for scale in full_scales:
        with tempfile.TemporaryDirectory() as tmp:
            for backend in backends:
                with scratch_engine(backend, Path(tmp)) as engine:
                    results.append(_measure_full(engine, sample_dir(scale), scale, backend))
    for scale in scales:
        n = runs if scale <= 1 else 1
        with tempfile.TemporaryDirectory() as tmp:
            base, append = split_last_month(sample_dir(scale), Path(tmp) / "data")
            for backend in backends:
                with scratch_engine(backend, Path(tmp)) as engine:
                    results += _measure(engine, base, append, n, scale, backend)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="data scale (repeatable; default 1)")
    parser.add_argument("--backend", action="append", choices=("SQLite", "PostgreSQL"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    scales = tuple(int(s) if s == int(s) else s for s in (args.scale or [1]))
    for row in run(scales, tuple(args.backend or ("SQLite", "PostgreSQL")), runs=args.runs):
        print(row)
