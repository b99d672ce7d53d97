"""Import throughput (rows/s, validation included) on SQLite and PostgreSQL at scale 1 and 10.

Each run imports the whole sample data set into a fresh, migrated store
(a new SQLite file, or a new PostgreSQL schema) and times parse + validate +
store. Recompute is switched off: it is measured separately.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import median_time, sample_dir, scratch_engine
from data_access.db import upgrade
from data_access.importer import import_paths


def _count_rows(folder: Path) -> int:
    total = 0
    for f in folder.glob("*.csv"):
        with open(f, "rb") as fh:
            total += sum(1 for _ in fh) - 1
    return total


def _import_into_fresh_store(folder: Path, backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, scratch_engine(backend, Path(tmp)) as engine:
        upgrade(engine)
        result = import_paths([folder], engine=engine, user="bench")
        assert result.ok, result.summary()


def run(scales=(1, 10), runs: int = 3) -> list[dict]:
    results = []
    for scale in scales:
        folder = sample_dir(scale)
        rows = _count_rows(folder)
        for backend in ("SQLite", "PostgreSQL"):
            n = runs if scale <= 1 else 1
            med, times = median_time(lambda b=backend, d=folder: _import_into_fresh_store(d, b), n)
            results.append(
                {"benchmark": "import", "scale": scale, "backend": backend, "rows": rows, "runs": n,
                 "median_s": med, "rows_per_s": rows / med}
            )
            print(f"import scale {scale} {backend}: {rows} rows, median {med:.2f} s over {n} → {rows / med:,.0f} rows/s")
    return results


if __name__ == "__main__":
    run()
