"""Time to compute the Målgrupper worklist (arbetslista) for the whole area, median of several runs.

Usage::

    python benchmarks/bench_worklist.py [--scale 10] [--runs 7] [--day 2026-10-31]

The sample data are generated in memory (``sample_data.generator.generate``,
36 months, seed 42) so that only :func:`metrics.worklist.worklist` is timed:
frames in, the list for every municipality out (the data as of the day,
candidates, person resolution, cohort membership, the descriptive columns).
Goal (issue 12): under 1 s at scale 10.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, median_time  # noqa: E402


def run(scale: float = 10.0, runs: int = 5) -> list[dict]:
    """For `make bench`: the worklist at the given scale, median of ``runs``."""
    from metrics.worklist import worklist
    from sample_data.generator import DEFAULT_END_DATE, generate

    frames = generate(months=36, seed=42, scale=scale)
    worklist(frames, day=DEFAULT_END_DATE)  # warm-up
    median, _ = median_time(lambda: worklist(frames, day=DEFAULT_END_DATE), runs)
    print(f"worklist scale {scale:g}: median {median:.3f} s")
    return [{"benchmark": "Målgrupper worklist, whole area (computed)", "scale": scale, "backend": "in memory",
             "median_s": median, "runs": runs}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=10.0, help="sample data scale (default 10)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    parser.add_argument(
        "--day",
        type=dt.date.fromisoformat,
        default=None,
        help="day d of the list (default: the data's end date)",
    )
    args = parser.parse_args(argv)

    from metrics.worklist import worklist
    from sample_data.generator import DEFAULT_END_DATE, generate

    print(machine())
    t0 = time.perf_counter()
    frames = generate(months=36, seed=42, scale=args.scale)
    rows = sum(len(f) for f in frames.values())
    munis = frames["population"]["municipality_code"].nunique()
    print(
        f"scale {args.scale:g}: {rows:,} rows, {munis} municipalities (generated in {time.perf_counter() - t0:.1f} s)"
    )
    day = args.day or DEFAULT_END_DATE
    table = worklist(frames, day=day)  # warm-up (imports, caches)
    median, times = median_time(lambda: worklist(frames, day=day), args.runs)
    print(
        f"worklist(day={day}): {len(table):,} persons; runs: " + ", ".join(f"{t:.3f}" for t in times) + " s"
    )
    print(f"median {median:.3f} s (goal < 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
