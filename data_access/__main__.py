"""Command line: ``python -m data_access import PATH...``, ``migrate`` and ``kolada``.

``python -m data_access kolada --file saved.json`` imports a saved Kolada
API v3 answer into ``indicator_values``; ``--fetch --kpi ID,... --years
2023,2024`` fetches it first (following ``next_page``; ``--save`` keeps the
answer). KPIs are mapped to our indicators by ``data_access/kolada_kpis.csv``
or ``--map KPI=indicator_id``.

Exit codes: 0 = stored (or nothing to change), 1 = rejected (nothing stored),
2 = usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access", description="Indikatorvyns datalager.")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="Importera CSV- eller xlsx-filer (filer eller mappar).")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--user", default="cli", help="Vem som importerar (loggas).")
    imp.add_argument("--errors", type=Path, default=None, help="Skriv alla fel till denna CSV-fil.")
    imp.add_argument("--no-recompute", action="store_true", help="Räkna inte om indikatorerna efteråt.")
    sub.add_parser("migrate", help="Skapa eller uppgradera databasens schema.")
    kol = sub.add_parser("kolada", help="Importera referensvärden från Kolada (API v3) till indicator_values.")
    kol.add_argument("--file", action="append", type=Path, help="Ett sparat svar från Koladas API (JSON).")
    kol.add_argument("--fetch", action="store_true", help="Hämta från api.kolada.se (kräver nätåtkomst).")
    kol.add_argument("--kpi", help="Nyckeltal, kommaseparerade (standard: alla i kolada_kpis.csv).")
    kol.add_argument("--years", help="År, kommaseparerade, t.ex. 2023,2024.")
    kol.add_argument("--municipalities", help="Områden, kommaseparerade (standard: riket, VG-regionen, Södra Älvsborg).")
    kol.add_argument("--map", action="append", default=[], metavar="KPI=INDIKATOR",
                     help="Koppla ett nyckeltal till en indikator utöver kolada_kpis.csv.")
    kol.add_argument("--save", type=Path, help="Spara det hämtade svaret som JSON.")
    kol.add_argument("--timeout", type=float, default=30.0, help="Sekunder per anrop (standard 30).")
    kol.add_argument("--user", default=None, help="Vem som importerar (loggas).")
    seed = sub.add_parser("load-sample", help="Ladda exempeldata om databasen är tom.")
    seed.add_argument("--path", type=Path, default=Path(__file__).resolve().parents[1] / "sample_data" / "default")
    args = parser.parse_args(argv)

    from data_access.db import get_engine, upgrade

    if args.command == "kolada":
        from data_access.kolada import main as kolada_main

        return kolada_main(args)
    engine = get_engine()
    if args.command == "migrate":
        upgrade(engine)
        print(f"Schemat är uppdaterat ({engine.url.render_as_string(hide_password=True)}).")
        return 0
    if args.command == "load-sample":
        from data_access.db import ensure_schema
        from data_access.queries import store_is_empty

        ensure_schema(engine)
        if not store_is_empty(engine):
            print("Databasen innehåller redan data: exempeldata laddas inte.")
            return 0
        args.paths, args.errors, args.no_recompute, args.user = [args.path], None, False, "exempeldata"
    return _import(args, engine)


def _import(args, engine) -> int:
    from data_access.importer import import_paths
    from data_access.settings import get_settings
    from data_access.validation import ValidationFailed

    result = import_paths(args.paths, engine=engine, user=args.user)
    if not result.ok:
        failed = ValidationFailed(result.errors)
        print(failed.report(limit=100), file=sys.stderr)
        errors_path = args.errors or Path("importfel.csv")
        failed.to_csv(errors_path)
        print(f"Alla {len(result.errors)} fel finns i {errors_path}.", file=sys.stderr)
        return 1
    print(result.summary())
    if result.changed and not args.no_recompute and get_settings().recompute_after_import:
        try:
            from data_access.recompute import recompute_store
        except ImportError:  # metrics not available yet
            return 0
        summary = recompute_store(engine=engine, touched=result.touched)
        print(summary)
    return 0


def run() -> int:
    """Entry point: unexpected failures become one Swedish line, not a stack trace."""
    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001
        print(f"Oväntat fel ({type(exc).__name__}): {exc}. Ingenting har sparats.", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(run())
