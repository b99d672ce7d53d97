"""Benchmark of ``metrics.compute.compute_all``: wall time and peak memory.

Usage::

    python benchmarks/bench_metrics.py DIR [DIR ...]        # data directories of contract CSVs
    python benchmarks/bench_metrics.py --scales 1 10 40     # generate with ``python -m sample_data``

Each data set is measured in its own process (so that the peak resident
memory, ``ru_maxrss``, belongs to that data set alone): the CSVs are read with
a small loader (``pd.read_csv`` + conversion to the dtype convention of
:mod:`data_access.contract`; not the import's validation, which is measured
elsewhere), then ``compute_all`` runs for month, quarter and year. Printed:
rows read, load time, compute time per period type (and per indicator for
months), and peak memory after loading and after computing.

Goals (metrics issue): scale 1 under 2 s, scale 10 under 20 s and 4 GB.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def load_directory(path: Path):
    """Contract CSVs of a directory → loaded frames (dtype convention), without validation."""
    import pandas as pd

    from data_access.contract import TABLES

    frames = {}
    for name, table in TABLES.items():
        file = path / f"{name}.csv"
        if not file.exists():
            continue
        data = file.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:  # the contract also allows Windows-1252
            text = data.decode("cp1252")
        header = text.split("\n", 1)[0]
        sep = ";" if header.count(";") > header.count(",") else ","
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], sep=sep)
        raw.columns = [c.strip().lower() for c in raw.columns]
        out = {}
        for col in table.columns:
            s = raw[col.name] if col.name in raw.columns else pd.Series([None] * len(raw), dtype="str")
            if col.type == "text":
                out[col.name] = s.astype("str")
            elif col.type == "int":
                out[col.name] = pd.to_numeric(s).astype("Int64")
            elif col.type == "number":
                out[col.name] = pd.to_numeric(s.str.replace(",", ".")).astype("float64")
            elif col.type == "bool":
                low = s.str.lower()
                b = pd.Series(pd.NA, index=s.index, dtype="boolean")
                b[low.isin(["1", "ja", "true"]).fillna(False).to_numpy()] = True
                b[low.isin(["0", "nej", "false"]).fillna(False).to_numpy()] = False
                out[col.name] = b
            else:
                out[col.name] = pd.to_datetime(s.str.replace("T", " "), format="mixed").astype(
                    "datetime64[us]"
                )
        frames[name] = pd.DataFrame(out)
    return frames


def measure_one(path: Path) -> dict:
    import pandas as pd  # noqa: F401  (import cost is not part of the measurement)

    from metrics import compute
    from metrics._tidy import finish
    from metrics.registry import INDICATORS

    t0 = time.perf_counter()
    frames = load_directory(path)
    load_s = time.perf_counter() - t0
    rows = sum(len(f) for f in frames.values())
    peak_after_load = _peak_mb()
    result = {
        "dir": str(path),
        "rows": rows,
        "load_s": round(load_s, 2),
        "peak_after_load_mb": round(peak_after_load),
    }
    for period in ("month", "quarter", "year"):
        t0 = time.perf_counter()
        table = compute.compute_all(frames, period=period)
        result[f"compute_{period}_s"] = round(time.perf_counter() - t0, 2)
        result[f"rows_{period}"] = len(table)
    prepared, ctx = compute.prepare(frames, period="month")
    per_indicator = {}
    for ind_id, ind in INDICATORS.items():
        t0 = time.perf_counter()
        finish(ind, compute.FUNCTIONS[ind_id](prepared, ctx), ctx)
        per_indicator[ind_id] = round(time.perf_counter() - t0, 3)
    result["per_indicator_month_s"] = per_indicator
    result["peak_mb"] = round(_peak_mb())
    return result


def generate(scale: float, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "sample_data", "--out", str(out), "--scale", str(scale)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def run_in_subprocess(path: Path) -> dict:
    res = subprocess.run(
        [sys.executable, __file__, "--one", str(path)], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def report(label: str, r: dict) -> None:
    print(f"== {label}: {r['rows']:,} input rows ({r['dir']})")
    print(f"   load (read_csv + dtypes): {r['load_s']:.2f} s, peak after load {r['peak_after_load_mb']} MB")
    for p in ("month", "quarter", "year"):
        print(f"   compute_all period={p:<7}: {r[f'compute_{p}_s']:.2f} s -> {r[f'rows_{p}']:,} rows")
    print(f"   peak resident memory: {r['peak_mb']} MB")
    slow = sorted(r["per_indicator_month_s"].items(), key=lambda kv: -kv[1])[:5]
    print("   slowest indicators (month): " + ", ".join(f"{k} {v:.2f} s" for k, v in slow))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="data directories with contract CSVs")
    parser.add_argument(
        "--scales", nargs="*", type=float, default=[], help="generate sample data at these scales"
    )
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(args.one)))
        return 0
    if not args.dirs and not args.scales:
        parser.error("give data directories or --scales")
    for d in args.dirs:
        report(str(d), run_in_subprocess(d))
    if args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            for scale in args.scales:
                out = Path(tmp) / f"scale{scale:g}"
                generate(scale, out)
                report(f"scale {scale:g}", run_in_subprocess(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
