"""Import throughput (rows/s, validation included) on SQLite and PostgreSQL at scale 1 and 10.

Each run imports the whole sample data set into a fresh, migrated store
(a new SQLite file, or a new PostgreSQL schema) and times parse + validate +
store. Recompute is switched off: it is measured separately.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.common import PG_URL, median_time, sample_dir
from data_access.db import make_engine, upgrade
from data_access.importer import import_paths


def _count_rows(folder: Path) -> int:
    total = 0
    for f in folder.glob("*.csv"):
        with open(f, "rb") as fh:
            total += sum(1 for _ in fh) - 1
    return total


def _run_sqlite(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        result = import_paths([folder], engine=engine, user="bench")
        assert result.ok, result.summary()
        engine.dispose()


def _run_postgres(folder: Path) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        engine = create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        upgrade(engine)
        result = import_paths([folder], engine=engine, user="bench")
        assert result.ok, result.summary()
        engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def run(scales=(1, 10), runs: int = 3) -> list[dict]:
    results = []
    for scale in scales:
        folder = sample_dir(scale)
        rows = _count_rows(folder)
        for backend, fn in (("SQLite", _run_sqlite), ("PostgreSQL", _run_postgres)):
            n = runs if scale <= 1 else 1
            med, times = median_time(lambda f=fn, d=folder: f(d), n)
            results.append(
                {"benchmark": "import", "scale": scale, "backend": backend, "rows": rows, "runs": n,
                 "median_s": med, "rows_per_s": rows / med}
            )
            print(f"import scale {scale} {backend}: {rows} rows, median {med:.2f} s over {n} → {rows / med:,.0f} rows/s")
    return results


if __name__ == "__main__":
    run()
