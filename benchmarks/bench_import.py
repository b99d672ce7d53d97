"""Import throughput (rows/s, validation included) on SQLite and PostgreSQL at scale 1 and 10.

Each run imports the whole sample data set into a fresh, migrated store
(a new SQLite file, or a new PostgreSQL schema) and times parse + validate +
store. Recompute is switched off: it is measured separately.

``python -m benchmarks.bench_import --redelivery [--scale 10]`` measures a
replacing re-delivery instead (issue 21, item 5; figures in
``docs/data-import.md``): the store holds the sample less every 50th row, and
the whole sample arrives again with every 5th row changed (2 % new, 20 %
replaced, 78 % unchanged keys). The re-delivery is imported in a process of its
own, which reports its time (read + validate, store) and its peak memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import CACHE, ROOT, fresh_store, machine, median_time, sample_dir, scratch_engine
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


# --- a replacing re-delivery ------------------------------------------------------


def _changed(frame, table: str):
    """Every row of ``frame`` changed in one column, validly (the value differs from the delivered one)."""
    import pandas as pd

    def days(s, n):
        return (pd.to_datetime(s) + pd.Timedelta(days=n)).dt.strftime("%Y-%m-%d")

    changes = {
        "ed_visits": lambda f: f.assign(admitted=f["admitted"].map({"1": "0", "0": "1"})),
        "hospital_stays": lambda f: f.assign(age=[str(a + 1 if a < 120 else a - 1) for a in f["age"].astype(int)]),
        "primary_care_contacts": lambda f: f.assign(contact_time=(pd.to_datetime(f["contact_time"])
                                                                  - pd.Timedelta(minutes=1)).dt.strftime("%Y-%m-%d %H:%M")),
        "sip": lambda f: f.assign(sip_date=days(f["sip_date"], -1)),
        "cfs_assessments": lambda f: f.assign(cfs_score=[str(s % 9 + 1) for s in f["cfs_score"].astype(int)]),
        "home_visits": lambda f: f.assign(acute=f["acute"].map({"ja": "nej", "nej": "ja"})),
        "home_care_enrolments": lambda f: f.assign(start_date=days(f["start_date"], -1)),
        "short_term_stays": lambda f: f.assign(start_date=days(f["start_date"], -1)),
        "population": lambda f: f.assign(population=(f["population"].astype(int) + 1).astype(str)),
    }
    return changes[table](frame)


def redelivery_dirs(scale: float) -> tuple[Path, Path]:
    """(the first delivery, the re-delivery) for a scale, written once under var/bench/."""
    import pandas as pd

    out = CACHE / f"redelivery_s{scale:g}"
    first, again = out / "first", out / "again"
    if (again / "population.csv").exists():
        return first, again
    first.mkdir(parents=True, exist_ok=True)
    again.mkdir(parents=True, exist_ok=True)
    for path in sorted(sample_dir(scale).glob("*.csv")):
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
        header = raw.split(b"\n", 1)[0].decode(encoding)
        sep = ";" if header.count(";") > header.count(",") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
        position = pd.RangeIndex(len(frame))
        keep = frame if path.stem == "indicator_values" else frame.loc[position % 50 != 49]
        changed = frame.copy()
        if path.stem != "indicator_values":
            fifth = position % 5 == 0
            changed.loc[fifth] = _changed(frame.loc[fifth], path.stem)
        keep.to_csv(first / path.name, sep=sep, index=False, encoding=encoding)
        changed.to_csv(again / path.name, sep=sep, index=False, encoding=encoding)
    return first, again


_CHILD = """
import json, resource, sys, time
from data_access.db import make_engine, upgrade
from data_access.files import read_files
from data_access.importer import store_tables
engine = make_engine(sys.argv[1])
upgrade(engine)
t0 = time.perf_counter()
parsed = read_files([sys.argv[2]])
t1 = time.perf_counter()
result = store_tables(parsed, engine=engine, user="bench")
t2 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "store_s": t2 - t1, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": [sum(getattr(f, k) for f in result.files) for k in ("inserted", "replaced", "unchanged")]}))
"""


def _import_in_child(url: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, url, str(folder)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_redelivery(scale: float = 10, backends=("SQLite", "PostgreSQL")) -> list[dict]:
    first, again = redelivery_dirs(scale)
    rows = _count_rows(again)
    results = []
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp, fresh_store(Path(tmp), backend, f"redelivery_s{scale:g}") as url:
            _import_in_child(url, first)
            r = _import_in_child(url, again)
        inserted, replaced, unchanged = r["counts"]
        results.append({"benchmark": "import re-delivery", "scale": scale, "backend": backend, "rows": rows, "runs": 1,
                        "median_s": r["read_s"] + r["store_s"], "read_s": r["read_s"], "store_s": r["store_s"],
                        "peak_mb": r["peak_mb"], "inserted": inserted, "replaced": replaced, "unchanged": unchanged})
        print(f"re-delivery scale {scale:g} {backend}: {rows} rows ({inserted} new, {replaced} replaced, "
              f"{unchanged} unchanged): read + validate {r['read_s']:.1f} s, store {r['store_s']:.1f} s, "
              f"peak {r['peak_mb']:.0f} MB")
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_import")
    parser.add_argument("--redelivery", action="store_true", help="a replacing re-delivery instead of a first load")
    parser.add_argument("--scale", type=float, default=10)
    args = parser.parse_args()
    if args.redelivery:
        print(machine())
        run_redelivery(args.scale)
    else:
        run()
