"""CLI: ``python -m sample_data --out DIR [--months 36] [--seed 42] [--scale 1.0] [--end-date YYYY-MM-DD]``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from sample_data.generator import DEFAULT_END_DATE, generate
from sample_data.writer import write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data",
        description="Write deterministic synthetic data (one CSV per data-contract table).",
    )
    parser.add_argument("--out", required=True, help="output directory (created if missing)")
    parser.add_argument(
        "--months", type=int, default=36, help="months of data ending with --end-date (default 36)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="1 = Södra Älvsborg; >1 adds further real municipalities for ~scale × the rows (default 1)",
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=DEFAULT_END_DATE,
        help=f"last day of the data, YYYY-MM-DD (default {DEFAULT_END_DATE.isoformat()})",
    )
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be >= 1")
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    started = time.perf_counter()
    frames = generate(months=args.months, seed=args.seed, scale=args.scale, end_date=args.end_date)
    generated = time.perf_counter()
    paths = write(frames, args.out)
    done = time.perf_counter()
    total_rows = 0
    total_bytes = 0
    for name, path in paths.items():
        size = path.stat().st_size
        total_rows += len(frames[name])
        total_bytes += size
        print(f"{path}: {len(frames[name]):>10,} rows {size / 1e6:8.2f} MB")
    print(
        f"{total_rows:,} rows, {total_bytes / 1e6:.1f} MB; generated in {generated - started:.1f} s, "
        f"written in {done - generated:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
