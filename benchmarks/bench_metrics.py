"""Benchmark of ``metrics.compute.compute_all``: wall time and peak memory.

Usage::

    python benchmarks/bench_metrics.py DIR [DIR ...]        # data directories of contract CSVs
    python benchmarks/bench_metrics.py --scales 1 10 40     # generate with ``python -m sample_data``

Each data set is measured in its own process (so that the peak resident
memory, ``ru_maxrss``, belongs to that data set alone): the files are read and
validated with :func:`data_access.files.read_directory` (as the CLI does), then ``compute_all`` runs for month, quarter and year. Printed:
rows read, load time, compute time per period type (and per indicator for
months), and peak memory after loading and after computing.

Goals (metrics issue): scale 1 under 2 s, scale 10 under 20 s and 4 GB.
"""

from __future__ import annotations

import argparse
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
    """Peak resident memory of this process (VmHWM).

    Not ``ru_maxrss``: Linux carries that over ``execve`` from the parent, so
    a child started by a large benchmark runner would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_directory(path: Path):
    """Contract files of a directory → loaded frames, through the import's parsing and validation."""
    from data_access.files import read_directory

    return read_directory(path)


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
    print(f"   load (parse + validate): {r['load_s']:.2f} s, peak after load {r['peak_after_load_mb']} MB")
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
