"""Command line: ``python -m data_access import PATH...``, ``migrate``, ``kolada`` and ``pseudonymise``.

``python -m data_access pseudonymise --new-key KEYFILE`` and ``pseudonymise --key-file KEYFILE
--out DIR PATH...``: the suppliers' tool that turns personnummer into the samverkan's keyed
pseudonyms before delivery (:mod:`data_access.pseudonymise`, docs/pseudonymisering.md). It
touches no store. Exit codes: 0 = written, 1 = rejected (nothing written), 2 = usage error.

``python -m data_access kolada --file saved.json`` imports a saved Kolada
API v3 answer into ``indicator_values`` (T, K and M); ``--fetch --kpi ID,... --years
2023,2024`` fetches it first (following ``next_page``, three retries with
backoff; ``--save`` keeps the answer). KPIs are mapped to our indicators by
``data_access/kolada_kpis.csv``, the mappings made in the app, or
``--map KPI=indicator_id``. ``kolada --catalogue [--file SAVED.json | --fetch]
[--search TEXT]`` lists Kolada's KPI catalogue and stores a read one for the
administrator's search in the app.

Exit codes: 0 = stored (or nothing to change), 1 = rejected (nothing stored),
2 = usage error.

``python -m data_access load-sample`` loads the synthetic sample data into an
empty store, in demo mode only (``make run``); outside demo mode it refuses
with exit code 4 and says how to import real data, and touches no store.

``python -m data_access health [--url http://127.0.0.1:8601]``: can the app
serve? Checks what makes every page refuse to start (the settings, the cookie
key), that the store answers and that its schema is current, and with
``--url`` that the Streamlit process answers its own health check. Prints
``ok`` (exit 0) or one ``fel: …`` line per problem (exit 1); read-only. With
``--serve PORT`` it answers ``GET /halsa`` over HTTP instead (200 ``ok`` or 503
and the problems), for a proxy or orchestrator that polls a URL. For systemd
and the proxy: docs/drift.md; the checks: ``data_access/health.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_NOT_DEMO = 4
SAMPLE_OUTSIDE_DEMO = (
    "Exempeldata laddas bara i demoläge (DEMO=1); databasen har inte ändrats. Läs in riktiga data med "
    "`python -m data_access import SÖKVÄG` (CSV eller xlsx enligt datakontraktet) eller på sidan "
    "Ladda upp data i appen (administratör)."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access", description="Indikatorvyns datalager.")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="Importera CSV- eller xlsx-filer (filer eller mappar).")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--user", default="cli", help="Vem som importerar (loggas).")
    imp.add_argument("--errors", type=Path, default=None, help="Skriv alla fel till denna CSV-fil.")
    imp.add_argument("--no-recompute", action="store_true", help="Räkna inte om indikatorerna efteråt.")
    imp.add_argument("--duplicates", choices=["import", "skip"], default=None,
                     help="Möjliga dubbletter (nya rader som är likadana som sparade rader i allt utom id:t): "
                          "import = importera ändå, skip = hoppa över dem. Utan valet sparas ingenting om sådana "
                          "finns, och de listas.")
    imp.add_argument("--dry-run", action="store_true",
                     help="Provkör: visa vad som skulle ändras (nya, ersatta och oförändrade rader per tabell och "
                          "kommun) utan att spara något.")
    sub.add_parser("migrate", help="Skapa eller uppgradera databasens schema.")
    kol = sub.add_parser("kolada", help="Importera referensvärden från Kolada (API v3) till indicator_values.")
    kol.add_argument("--file", action="append", type=Path, help="Ett sparat svar från Koladas API (JSON).")
    kol.add_argument("--fetch", action="store_true", help="Hämta från api.kolada.se (kräver nätåtkomst).")
    kol.add_argument("--kpi", help="Nyckeltal, kommaseparerade (standard: alla i kolada_kpis.csv).")
    kol.add_argument("--years", help="År, kommaseparerade, t.ex. 2023,2024 (standard: de senaste sju åren).")
    kol.add_argument("--municipalities", help="Områden, kommaseparerade (standard: riket, VG-regionen, Södra Älvsborg).")
    kol.add_argument("--map", action="append", default=[], metavar="KPI=INDIKATOR",
                     help="Koppla ett nyckeltal till en indikator utöver kolada_kpis.csv.")
    kol.add_argument("--save", type=Path, help="Spara det hämtade svaret som JSON.")
    kol.add_argument("--timeout", type=float, default=30.0, help="Sekunder per anrop (standard 30).")
    kol.add_argument("--user", default=None, help="Vem som importerar (loggas).")
    kol.add_argument("--catalogue", action="store_true",
                     help="Lista Koladas nyckeltal (id, titel, nivå, kön, senaste år) ur --file, --fetch eller den "
                          "sparade katalogen; en läst katalog sparas för sökningen i appen.")
    kol.add_argument("--search", help="Med --catalogue: visa bara nyckeltal vars id eller titel innehåller orden.")
    pse = sub.add_parser(
        "pseudonymise",
        help="Byt personnummer mot samverkans nyckelade pseudonymer före leverans (körs hos leverantören).",
        description="Läser tabeller enligt datakontraktet där person_id ersatts av personnummer och skriver samma "
        "tabeller med person_id = HMAC-SHA256 med samverkans nyckel. Se docs/pseudonymisering.md.",
    )
    keys = pse.add_mutually_exclusive_group(required=True)
    keys.add_argument("--new-key", type=Path, metavar="NYCKELFIL", help="Skapa en ny nyckel (32 slumpbyte, rättigheter 600).")
    keys.add_argument("--key-file", type=Path, metavar="NYCKELFIL", help="Samverkans gemensamma nyckel.")
    pse.add_argument("--out", type=Path, metavar="UTMAPP", help="Mapp för de pseudonymiserade tabellerna.")
    pse.add_argument("--reference-date", type=_iso_date, metavar="ÅÅÅÅ-MM-DD",
                     help="Uttagets datum, för seklet i tiosiffriga nummer (standard: i dag).")
    pse.add_argument("--column", default="personnummer", help="Rubriken på kolumnen med personnumret (standard: personnummer).")
    pse.add_argument("--allow-reserve", action="store_true",
                     help="Pseudonymisera reservnummer som de är skrivna (versaler, utan mellanslag) i stället för att avvisa dem.")
    pse.add_argument("--errors", type=Path, default=None, metavar="FELFIL",
                     help="Skriv alla fel till denna CSV-fil (standard: pseudonymiseringsfel.csv).")
    pse.add_argument("paths", nargs="*", type=Path, metavar="SÖKVÄG")
    seed = sub.add_parser("load-sample", help="Ladda exempeldata om databasen är tom (bara i demoläge, DEMO=1).")
    seed.add_argument("--path", type=Path, default=Path(__file__).resolve().parents[1] / "sample_data" / "default")
    health = sub.add_parser("health", help="Kontrollera att appen kan visa sidor: skriver ok (0) eller fel (1).")
    health.add_argument("--url", help="Kontrollera också Streamlit-processen, t.ex. http://127.0.0.1:8601.")
    health.add_argument("--timeout", type=float, default=5.0, help="Sekunder per anslutning (standard 5).")
    health.add_argument("--serve", type=int, metavar="PORT",
                        help="Svara i stället på GET /halsa på den porten: 200 ok eller 503 med felen (för proxyn).")
    health.add_argument("--host", default="127.0.0.1", help="Adress för --serve (standard 127.0.0.1).")
    args = parser.parse_args(argv)
    if args.command == "pseudonymise":  # runs at the supplier: no store, no settings
        from data_access.pseudonymise import run as pseudonymise

        if args.key_file and (args.out is None or not args.paths):
            parser.error("--key-file kräver --out UTMAPP och minst en fil eller mapp.")
        if args.new_key and (args.out or args.paths):
            parser.error("--new-key skapar bara en nyckel; pseudonymisera i en egen körning med --key-file.")
        return pseudonymise(args)

    from data_access.db import get_engine, upgrade

    if args.command == "kolada":
        from data_access.kolada import main as kolada_main

        return kolada_main(args)
    if args.command == "health":
        return _health(args)
    if args.command == "load-sample":
        from data_access.settings import get_settings

        if not get_settings().demo:  # before any engine: a production store is never touched
            print(SAMPLE_OUTSIDE_DEMO, file=sys.stderr)
            return EXIT_NOT_DEMO
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
            return _finish_recompute(engine)
        args.paths, args.errors, args.no_recompute, args.user = [args.path], None, False, "exempeldata"
        code = _import(args, engine)
        if code == 0:
            _sample_catalogue(engine)
        return code
    return _import(args, engine)


SAMPLE_CATALOGUE = Path(__file__).resolve().parents[1] / "sample_data" / "kolada_catalogue.json"


def _sample_catalogue(engine) -> None:
    """Demo mode: a small extract of Kolada's KPI catalogue (the KPIs of ../shared/spec/kolada.md with a single
    id, their titles, levels, sex and latest year as listed there), so that the administrator's search works."""
    from data_access.access import SYSTEM
    from data_access.kolada import catalogue_stored_at, parse_catalogue, read_saved, store_catalogue

    if catalogue_stored_at(engine) is None:
        n = store_catalogue(parse_catalogue(read_saved(SAMPLE_CATALOGUE)), access=SYSTEM, engine=engine)
        print(f"{n} nyckeltal ur Koladas katalog sparades (exempel för sökningen på Ladda upp data).")


def _import(args, engine) -> int:
    from data_access.importer import import_paths
    from data_access.settings import get_settings
    from data_access.validation import ValidationFailed

    dry_run = bool(getattr(args, "dry_run", False))
    result = import_paths(args.paths, engine=engine, user=args.user, dry_run=dry_run,
                          duplicates=getattr(args, "duplicates", None))
    if result.duplicates_pending:
        print(result.summary(), file=sys.stderr)
        return 1
    if not result.ok:
        failed = ValidationFailed(result.errors)
        print(failed.report(limit=100), file=sys.stderr)
        errors_path = args.errors or Path("importfel.csv")
        failed.to_csv(errors_path)
        print(f"Alla {len(result.errors)} fel finns i {errors_path}.", file=sys.stderr)
        return 1
    print(result.summary())
    if dry_run:
        return 0
    if result.changed and not args.no_recompute and get_settings().recompute_after_import:
        try:
            from data_access.recompute import recompute_store
        except ImportError:  # metrics not available yet
            return 0
        summary = recompute_store(engine=engine, touched=result.touched,
                                  data_versions=(result.base_version, result.data_version))
        print(summary)
    elif not args.no_recompute:  # nothing changed, but an earlier recompute may have been killed
        return _finish_recompute(engine)
    return 0


def _finish_recompute(engine) -> int:
    """Recompute when the stored results are behind the data (a recompute was killed): at start and import."""
    from data_access.settings import get_settings

    if get_settings().recompute_after_import:
        from data_access.recompute import finish_recompute

        summary = finish_recompute(engine=engine)
        if summary:
            print(summary)
    return 0


def _iso_date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' är inget datum: skriv ÅÅÅÅ-MM-DD.") from None


def run() -> int:
    """Entry point: unexpected failures become one Swedish line, not a stack trace."""
    from data_access.settings import SettingsError

    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except SettingsError as exc:  # a refused setting: its own Swedish message, nothing else
        print(str(exc), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001
        print(f"Oväntat fel ({type(exc).__name__}): {exc}. Ingenting har sparats.", file=sys.stderr)
        return 3


# --- health ------------------------------------------------------------------


def _health(args) -> int:
    from data_access.health import health_problems, serve

    if args.serve:
        return serve(port=args.serve, host=args.host, url=args.url, timeout=args.timeout)
    problems = health_problems(url=args.url, timeout=args.timeout)
    for problem in problems:
        print(f"fel: {problem}")
    if not problems:
        print("ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(run())
