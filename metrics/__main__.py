"""Command line: compute the indicator table.

::

    python -m metrics compute --data DIR --out FILE.csv --period month|quarter|year \\
        [--end-date YYYY-MM-DD] [--no-suppress]
    python -m metrics compute --db [--period month|quarter|year] [--end-date YYYY-MM-DD]

``--data`` reads every data-contract file in DIR (``<table>.csv`` or
``.xlsx``; a missing file gives ``saknar_underlag``) with the import's
reading and validation (:func:`data_access.files.read_directory`); invalid
input prints the import's messages and exits with status 1. The tidy table
is written as UTF-8 CSV with ``.`` as decimal separator and ISO dates,
small numbers suppressed unless ``--no-suppress``.

``--db`` recomputes the persisted indicator table in the store
(:func:`data_access.recompute.recompute_store`).

This is the only place in ``metrics`` that does file I/O.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from metrics.periods import PERIOD_KINDS

EXIT_OK = 0
EXIT_INVALID_DATA = 1
EXIT_USAGE = 2


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' är inget datum; använd ÅÅÅÅ-MM-DD.") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m metrics", description="Nära vård indikatorvy: beräkna indikatorer."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="compute")
    c = sub.add_parser(
        "compute",
        help="beräkna alla indikatorer",
        description="Beräkna alla indikatorer per kommun, kön och period.",
    )
    source = c.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, metavar="DIR", help="mapp med dataleveransens CSV-/xlsx-filer")
    source.add_argument(
        "--db", action="store_true", help="räkna om den sparade indikatortabellen i databasen"
    )
    c.add_argument("--out", type=Path, metavar="FILE.csv", help="CSV-fil att skriva (krävs med --data)")
    c.add_argument("--period", choices=PERIOD_KINDS, help="periodtyp (krävs med --data)")
    c.add_argument(
        "--end-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="datans slutdatum (standard: senaste händelsen i datan)",
    )
    c.add_argument("--no-suppress", action="store_true", help="visa även små tal (1–4); bara för behöriga")
    return parser


def write_csv(table, path: Path) -> None:
    """UTF-8, comma-separated, '.' decimals, ISO dates."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, encoding="utf-8", date_format="%Y-%m-%d", lineterminator="\n")


def _compute_from_files(args: argparse.Namespace) -> int:
    from data_access.files import read_directory
    from data_access.validation import ValidationFailed
    from metrics.compute import compute_all

    try:
        frames = read_directory(args.data)
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_INVALID_DATA
    table = compute_all(frames, period=args.period, end_date=args.end_date)
    if args.no_suppress:
        # the same columns either way: the reason column is empty when nothing is hidden
        table = table.assign(suppression="")
    else:
        from metrics.suppression import suppress

        table = suppress(table)
    from metrics._tidy import OUTPUT_COLUMNS

    table = table[[*OUTPUT_COLUMNS, "suppression"]]  # the tidy columns, then the reason for a hidden value
    write_csv(table, args.out)
    tables = ", ".join(sorted(frames)) or "inga"
    print(f"Skrev {len(table)} rader till {args.out} (tabeller: {tables}).")
    return EXIT_OK


def _compute_in_store(args: argparse.Namespace) -> int:
    from data_access.recompute import recompute_store

    kwargs = {"end_date": args.end_date} if args.end_date is not None else {}
    summary = recompute_store(period=args.period, **kwargs)
    print(summary if isinstance(summary, str) and summary else "Indikatortabellen i databasen är omräknad.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.db:
        if args.out is not None or args.no_suppress:
            parser.error("--out och --no-suppress gäller bara med --data")
        return _compute_in_store(args)
    if args.out is None or args.period is None:
        parser.error("--data kräver --out FILE.csv och --period month|quarter|year")
    return _compute_from_files(args)


if __name__ == "__main__":
    sys.exit(main())
