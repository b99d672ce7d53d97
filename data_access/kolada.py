"""Reference values from Kolada (API v3) into ``indicator_values``.

Kolada answers ``GET https://api.kolada.se/v3/data/kpi/{kpi}/municipality/{ids}/year/{years}``
with JSON of this shape (one page)::

    {"count": 2,
     "values": [{"kpi": "N00000", "municipality": "1490", "period": 2024,
                 "values": [{"gender": "T", "count": 1, "status": "", "value": 17.2},
                            {"gender": "K", "count": 1, "status": "Missing", "value": null}]}],
     "next_page": "https://api.kolada.se/v3/data/...?page=2&per_page=5000"}

``next_page`` is absent or null on the last page. A value that is ``null``
(status such as "Missing" or "Confidential") is kept as missing, never as
zero: it is parsed as NaN with its status, and the import stores no row for
it (and removes a row an earlier Kolada import stored for the same key).

Kolada's area ids are ours: a kommunkod for a municipality, ``0000`` for the
nation and ``00LL`` for a region (``data_access/regions.csv``). Other ids
(municipality groups) are skipped. The values of every sex Kolada gives
(``T``, ``K``, ``M``) are stored, each as its own row (``indicator_values.sex``).

Which Kolada KPI is shown as a reference for which of our indicators is
decided by ``data_access/kolada_kpis.csv`` (the default set, from Kolada's
catalogue; the note says how Kolada's definition differs from ours) plus the
mappings an administrator made in the app (``kolada_mappings``, with who and
when). Nothing is mapped automatically. Kolada's KPI catalogue (``/v3/kpi``)
is stored in ``kolada_catalogue`` by ``kolada --catalogue`` for that search.
No function here is called by a page with the network: fetching is the
CLI's business (``python -m data_access kolada``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, or_, select

from data_access.access import AccessContext, require
from data_access.db import ensure_schema, get_engine
from data_access.files import ParsedTable
from data_access.importer import ImportResult, store_tables
from data_access.models import IndicatorValue, KoladaKpi, KoladaMapping
from data_access.validation import (
    ValidationFailed,
    ValidationIssue,
    aggregate_codes,
    municipality_codes,
    validate_frame,
)

API = "https://api.kolada.se/v3"
MAPPING_FILE = Path(__file__).with_name("kolada_kpis.csv")
PARSED_COLUMNS = ["kpi", "municipality", "period", "gender", "value", "count", "status"]
CATALOGUE_COLUMNS = ["kpi_id", "title", "description", "level", "by_sex", "latest_year", "operating_area"]
GENDERS = ("T", "K", "M")
MAX_PAGES = 1000  # a guard against a next_page loop
RETRIES = 3  # a failed call is tried this many more times, after 1, 2 and 4 s
OFFLINE_SV = "Kolada kunde inte nås"


@dataclass(frozen=True)
class KpiMapping:
    kpi_id: str
    indicator_id: str
    description_sv: str
    verified: bool
    note: str


def load_mapping(path: Path | str = MAPPING_FILE) -> dict[str, KpiMapping]:
    """KPI id → our indicator, from the mapping table in the repository (the default set)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = {}
    for row in frame.itertuples(index=False):
        kpi = row.kpi_id.strip()
        if kpi:
            out[kpi] = KpiMapping(kpi, row.indicator_id.strip(), row.description_sv, row.verified.strip() == "ja",
                                  row.note)
    return out


def effective_mapping(engine: Engine | None = None, path: Path | str = MAPPING_FILE) -> dict[str, KpiMapping]:
    """The default set (``kolada_kpis.csv``) and, over it, the mappings made in the app."""
    mapping = load_mapping(path)
    for row in app_mappings(engine).itertuples(index=False):
        note = row.note or ""
        mapping[row.kpi_id] = KpiMapping(row.kpi_id, row.indicator_id, row.title, True,
                                         f"{note} (kopplad i appen av {row.mapped_by} {row.mapped_at:%Y-%m-%d})".strip())
    return mapping


def app_mappings(engine: Engine | None = None) -> pd.DataFrame:
    """The mappings administrators made in the app (who and when), newest first."""
    engine = engine or get_engine()
    m = KoladaMapping
    cols = ["kpi_id", "indicator_id", "title", "note", "mapped_by", "mapped_at"]
    with engine.connect() as conn:
        rows = conn.execute(select(*[getattr(m, c) for c in cols]).order_by(m.mapped_at.desc(), m.kpi_id)).all()
    return pd.DataFrame(rows, columns=cols)


def map_kpi(kpi_id: str, indicator_id: str, *, access: AccessContext, engine: Engine | None = None,
            note: str = "") -> KoladaMapping:
    """Map a KPI of the stored catalogue to one of our indicators (admin only; replaces an earlier app mapping).

    Raises ValueError (Swedish) for a KPI that is not in the stored catalogue or an empty indicator id.
    """
    require(access, "admin")
    engine = engine or get_engine()
    kpi_id, indicator_id = kpi_id.strip(), indicator_id.strip()
    if not indicator_id:
        raise ValueError("Välj vilken indikator nyckeltalet ska kopplas till.")
    with engine.begin() as conn:
        title = conn.execute(select(KoladaKpi.title).where(KoladaKpi.kpi_id == kpi_id)).scalar_one_or_none()
        if title is None:
            raise ValueError(f"Nyckeltalet {kpi_id} finns inte i den sparade Kolada-katalogen.")
        conn.execute(delete(KoladaMapping).where(KoladaMapping.kpi_id == kpi_id))
        row = {"kpi_id": kpi_id, "indicator_id": indicator_id, "title": title, "note": note.strip() or None,
               "mapped_by": access.user, "mapped_at": dt.datetime.now().replace(microsecond=0)}
        conn.execute(KoladaMapping.__table__.insert().values(**row))
    return KoladaMapping(**row)


def unmap_kpi(kpi_id: str, *, access: AccessContext, engine: Engine | None = None) -> bool:
    """Remove an app mapping (admin only). The default set in ``kolada_kpis.csv`` is not touched."""
    require(access, "admin")
    engine = engine or get_engine()
    with engine.begin() as conn:
        return bool(conn.execute(delete(KoladaMapping).where(KoladaMapping.kpi_id == kpi_id.strip())).rowcount)


# --- parsing -------------------------------------------------------------------


def _number(value) -> float:
    """A Kolada value as float; null (missing, confidential) stays NaN — never 0."""
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def parse_page(doc: dict) -> tuple[pd.DataFrame, str | None]:
    """One response page → (one row per KPI, area, year and gender; the next page's URL or None)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
        raise ValueError("Svaret liknar inte Koladas API v3: listan 'values' saknas.")
    rows = []
    for item in doc["values"]:
        for v in item.get("values") or []:
            rows.append(
                {
                    "kpi": str(item.get("kpi", "")),
                    "municipality": str(item.get("municipality", "")),
                    "period": str(item.get("period", "")),
                    "gender": str(v.get("gender", "")),
                    "value": _number(v.get("value")),
                    "count": v.get("count"),
                    "status": v.get("status") or "",
                }
            )
    frame = pd.DataFrame(rows, columns=PARSED_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    return frame, doc.get("next_page") or None


def parse_pages(docs: Iterable[dict]) -> pd.DataFrame:
    """Every page of a response, concatenated."""
    frames = [parse_page(d)[0] for d in docs]
    if not frames:
        return pd.DataFrame(columns=PARSED_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def read_saved(path: Path | str) -> list[dict]:
    """A saved response: one page (a JSON object) or several pages (a JSON list of them)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


# --- fetching --------------------------------------------------------------------


def data_url(kpis: Iterable[str], municipalities: Iterable[str], years: Iterable[int | str]) -> str:
    return (
        f"{API}/data/kpi/{','.join(kpis)}/municipality/{','.join(municipalities)}"
        f"/year/{','.join(str(y) for y in years)}"
    )


def _get_json(url: str, timeout: float) -> dict:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "naravard-indikatorvy"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - a fixed https API
        return json.loads(response.read().decode("utf-8"))


class KoladaUnreachable(OSError):
    """Kolada did not answer (offline, timeout, server error) after every retry."""


def fetch(
    url: str,
    *,
    timeout: float = 30.0,
    get: Callable[[str, float], dict] | None = None,
    retries: int = RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict]:
    """Every page of a Kolada answer, following ``next_page`` (``get`` and ``sleep`` are replaceable in tests).

    Each page is tried ``1 + retries`` times, waiting 1, 2, 4 … s between tries; after that
    :class:`KoladaUnreachable` is raised with a Swedish message and no page is returned.
    """
    get = get or _get_json
    pages: list[dict] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and next_url not in seen and len(pages) < MAX_PAGES:
        seen.add(next_url)
        doc = _get_with_retries(get, next_url, timeout, retries, sleep)
        pages.append(doc)
        next_url = (doc.get("next_page") or None) if isinstance(doc, dict) else None
    return pages


def _get_with_retries(get, url: str, timeout: float, retries: int, sleep) -> dict:
    for attempt in range(retries + 1):
        try:
            return get(url, timeout)
        except (OSError, ValueError) as exc:  # URLError, timeouts, HTTP errors; a truncated JSON answer
            if attempt == retries:
                raise KoladaUnreachable(
                    f"{OFFLINE_SV} efter {retries + 1} försök ({type(exc).__name__}: {exc}). "
                    "Kontrollera nätet eller försök senare; redan sparade värden är kvar."
                ) from exc
            sleep(2.0**attempt)
    raise AssertionError("unreachable")


# --- the KPI catalogue --------------------------------------------------------------


def catalogue_url(per_page: int = 5000) -> str:
    return f"{API}/kpi?per_page={per_page}"


def _year(value) -> int | None:
    text = str(value or "").strip()[:4]
    return int(text) if text.isdigit() else None


def parse_catalogue(docs: Iterable[dict]) -> pd.DataFrame:
    """Pages of a ``/v3/kpi`` answer → one row per KPI (id, title, level, by sex, latest year …)."""
    rows = []
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
            raise ValueError("Svaret liknar inte Koladas nyckeltalskatalog (/v3/kpi): listan 'values' saknas.")
        for item in doc["values"]:
            kpi = str(item.get("id") or "").strip()
            if not kpi:
                continue
            rows.append(
                {
                    "kpi_id": kpi,
                    "title": str(item.get("title") or "").strip()[:500],
                    "description": (str(item.get("description") or "").strip() or None),
                    "level": (str(item.get("municipality_type") or "").strip()[:4] or None),
                    "by_sex": bool(item.get("is_divided_by_gender")),
                    "latest_year": _year(item.get("publ_period")),
                    "operating_area": (str(item.get("operating_area") or "").strip()[:500] or None),
                }
            )
    frame = pd.DataFrame(rows, columns=CATALOGUE_COLUMNS).drop_duplicates("kpi_id", keep="last")
    return frame.sort_values("kpi_id").reset_index(drop=True)


def store_catalogue(frame: pd.DataFrame, *, access: AccessContext, engine: Engine | None = None) -> int:
    """Replace the stored catalogue with ``frame`` (admin or SYSTEM); returns the number of KPIs."""
    require(access, "admin")
    engine = engine or get_engine()
    ensure_schema(engine)
    now = dt.datetime.now().replace(microsecond=0)
    records = [
        {**{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}, "stored_at": now}
        for r in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    with engine.begin() as conn:
        conn.execute(delete(KoladaKpi))
        for start in range(0, len(records), 1000):
            conn.execute(KoladaKpi.__table__.insert(), records[start : start + 1000])
    return len(records)


def search_catalogue(text: str = "", *, engine: Engine | None = None, limit: int = 200) -> pd.DataFrame:
    """Stored KPIs whose id or title contains every word of ``text`` (case-insensitive), by id.

    The words are matched in Python (:func:`filter_catalogue`), not with SQL ``lower``: SQLite's lowers only
    ASCII, so "älder" would miss a title that begins "Äldre". The catalogue is a few thousand rows.
    """
    engine = engine or get_engine()
    k = KoladaKpi
    columns = ["kpi_id", "title", "level", "by_sex", "latest_year", "description"]
    with engine.connect() as conn:
        rows = conn.execute(select(*[getattr(k, c) for c in columns]).order_by(k.kpi_id)).all()
    return filter_catalogue(pd.DataFrame(rows, columns=columns), text).head(limit).reset_index(drop=True)


def filter_catalogue(frame: pd.DataFrame, text: str = "") -> pd.DataFrame:
    """The rows of a catalogue whose id or title contains every word of ``text`` (case-insensitive, any script)."""
    mask = pd.Series(True, index=frame.index)
    haystack = (frame["kpi_id"] + " " + frame["title"]).str.lower()
    for word in text.lower().split():
        mask &= haystack.str.contains(word, regex=False)
    return frame[mask]


def catalogue_stored_at(engine: Engine | None = None) -> dt.datetime | None:
    engine = engine or get_engine()
    with engine.connect() as conn:
        return conn.execute(select(func.max(KoladaKpi.stored_at))).scalar()


LEVEL_SV = {"K": "kommun", "L": "region", "A": "kommun och region"}


def catalogue_lines(frame: pd.DataFrame) -> list[str]:
    """One line per KPI for the terminal: id, title, level, by sex, latest year."""
    lines = []
    for r in frame.itertuples(index=False):
        level = LEVEL_SV.get(r.level or "", r.level or "–")
        sexes = "per kön" if r.by_sex else "ej per kön"
        year = "–" if r.latest_year is None or pd.isna(r.latest_year) else str(int(r.latest_year))
        lines.append(f"{r.kpi_id}\t{r.title}\t{level}\t{sexes}\tsenaste år {year}")
    return lines


# --- into indicator_values ---------------------------------------------------------


@dataclass
class KoladaImport:
    result: ImportResult
    stored: int = 0  # rows handed to the store (values with a number, T, K and M)
    missing: int = 0  # values without a number (missing, confidential), any sex: not stored
    removed: int = 0  # stored Kolada rows removed because Kolada now has no number for them
    unmapped: list[str] = field(default_factory=list)  # KPIs without a row in the mapping
    skipped_areas: list[str] = field(default_factory=list)  # area ids that are no municipality/region/nation

    def summary(self) -> str:
        if not self.result.ok:
            return self.result.summary()
        lines = [self.result.summary()] if self.result.files else []
        lines.append(f"{self.stored} värden från Kolada, {self.missing} saknade eller sekretessmarkerade "
                     "(sparas inte som värden).")
        if self.removed:
            lines.append(f"{self.removed} tidigare sparade värden togs bort eftersom Kolada nu saknar dem.")
        if self.unmapped:
            lines.append("Nyckeltal utan koppling i kolada_kpis.csv hoppades över: " + ", ".join(self.unmapped))
        if self.skipped_areas:
            lines.append("Områden som inte är kommun, region eller riket hoppades över: "
                         + ", ".join(self.skipped_areas))
        return "\n".join(lines)


def source_for(kpi: str) -> str:
    return f"Kolada {kpi}"


def to_indicator_values(
    parsed: pd.DataFrame, mapping: dict[str, KpiMapping]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """T, K and M values as indicator_values text rows: (with a value, without one, unmapped KPIs, skipped areas)."""
    rows = parsed[parsed["gender"].isin(GENDERS)]
    unmapped = sorted(set(rows["kpi"]) - set(mapping))
    rows = rows[rows["kpi"].isin(mapping)]
    known = municipality_codes() | aggregate_codes()
    skipped = sorted(set(rows["municipality"]) - known)
    rows = rows[rows["municipality"].isin(known)]
    out = pd.DataFrame(
        {
            "indicator_id": rows["kpi"].map(lambda k: mapping[k].indicator_id),
            "indicator_name": rows["kpi"].map(lambda k: mapping[k].description_sv),
            "municipality_code": rows["municipality"],
            "period": rows["period"],
            "numerator": pd.NA,
            "denominator": pd.NA,
            "value": rows["value"],
            "source": rows["kpi"].map(source_for),
            "sex": rows["gender"],
        }
    )
    has_value = out["value"].notna()
    return out[has_value].reset_index(drop=True), out[~has_value].reset_index(drop=True), unmapped, skipped


def import_kolada(
    docs: list[dict],
    *,
    access: AccessContext,
    engine: Engine | None = None,
    mapping: dict[str, KpiMapping] | None = None,
    file_name: str = "kolada.json",
) -> KoladaImport:
    """Store the T, K and M values of a Kolada answer in ``indicator_values`` (admin or SYSTEM only).

    One transaction: values are upserted (counted inserted / replaced /
    unchanged in ``import_log`` under ``file_name`` and the sha256 of the
    answer), and stored Kolada rows whose value Kolada now reports as missing
    are removed. Raises nothing for bad content: problems come back in
    ``result.errors``, and then nothing is stored.
    """
    require(access, "admin")
    engine = engine or get_engine()
    ensure_schema(engine)
    mapping = effective_mapping(engine) if mapping is None else mapping
    digest = hashlib.sha256(json.dumps(docs, sort_keys=True).encode("utf-8")).hexdigest()
    try:
        parsed = parse_pages(docs)
    except ValueError as exc:
        return KoladaImport(ImportResult("", errors=[ValidationIssue(file_name, None, None, str(exc))]))
    values, missing, unmapped, skipped = to_indicator_values(parsed, mapping)
    out = KoladaImport(ImportResult(""), stored=len(values), missing=len(missing), unmapped=unmapped,
                       skipped_areas=skipped)
    tables: list[ParsedTable] = []
    if len(values):
        raw = values.astype("string")
        raw["value"] = values["value"].map(repr).astype("string")
        frame, issues = validate_frame(raw, "indicator_values", file_name)
        if issues:
            out.result = ImportResult("", errors=issues)
            return out
        tables.append(ParsedTable(file_name, "indicator_values", frame, digest))
    if tables:
        out.result = store_tables(tables, engine=engine, user=access.user)
    if len(missing):
        out.removed = _remove_missing(engine, missing)
    return out


def _remove_missing(engine: Engine, missing: pd.DataFrame) -> int:
    m = IndicatorValue
    keys = [
        and_(m.indicator_id == r.indicator_id, m.municipality_code == r.municipality_code, m.period == r.period,
             m.source == r.source, m.sex == r.sex)
        for r in missing.itertuples(index=False)
    ]
    removed = 0
    with engine.begin() as conn:
        for start in range(0, len(keys), 500):
            removed += conn.execute(delete(m).where(or_(*keys[start : start + 500]))).rowcount or 0
    return removed


def main(args) -> int:
    """``python -m data_access kolada``: from saved answers (--file) or fetched (--fetch)."""
    import sys

    from data_access.access import SYSTEM
    from data_access.contract import SODRA_ALVSBORG

    if getattr(args, "catalogue", False):
        return _catalogue_main(args)
    ensure_schema(get_engine())  # a new store: the mappings table must exist before it is read
    mapping = effective_mapping(get_engine())
    for pair in getattr(args, "map", None) or []:
        kpi, _, indicator = pair.partition("=")
        if not kpi or not indicator:
            print(f"--map {pair}: skriv NYCKELTAL=indikator-id.", file=sys.stderr)
            return 2
        mapping[kpi] = KpiMapping(kpi, indicator, f"Kolada {kpi}", False, "kopplad med --map")
    if args.fetch:
        kpis = [k for k in (args.kpi or ",".join(mapping)).split(",") if k]
        this_year = dt.date.today().year
        years = [y for y in (args.years or "").split(",") if y] or [str(y) for y in range(this_year - 6, this_year + 1)]
        if not kpis:
            print("Inga nyckeltal att hämta: ange --kpi eller koppla nyckeltal i kolada_kpis.csv.", file=sys.stderr)
            return 2
        areas = [a for a in (args.municipalities or "").split(",") if a] or ["0000", "0014", *SODRA_ALVSBORG]
        url = data_url(kpis, areas, years)
        try:
            docs = fetch(url, timeout=args.timeout)
        except OSError as exc:
            print(f"{_offline_text(exc)} Ingenting har sparats.", file=sys.stderr)
            return 1
        if args.save:
            Path(args.save).write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
            print(f"Svaret sparades i {args.save}.")
        file_name = "kolada-api.json"
    else:
        if not args.file:
            print("Ange --file SPARAT.json eller --fetch.", file=sys.stderr)
            return 2
        docs = []
        for f in args.file:
            try:
                docs.extend(read_saved(f))
            except (OSError, ValueError) as exc:
                print(f"{f}: filen kunde inte läsas som JSON ({type(exc).__name__}). Ingenting har sparats.",
                      file=sys.stderr)
                return 1
        file_name = ", ".join(Path(f).name for f in args.file)[:300]
    result = import_kolada(docs, access=SYSTEM if args.user is None else _cli_access(args.user), engine=get_engine(),
                           mapping=mapping, file_name=file_name)
    if not result.result.ok:
        print(ValidationFailed(result.result.errors).report(limit=100), file=sys.stderr)
        return 1
    print(result.summary())
    return 0


def _offline_text(exc: OSError) -> str:
    return str(exc) if isinstance(exc, KoladaUnreachable) else f"{OFFLINE_SV} ({type(exc).__name__}: {exc})."


def _catalogue_main(args) -> int:
    """``kolada --catalogue``: list Kolada's KPIs (from --file or --fetch, else the stored catalogue); a read
    catalogue is stored for the admin's search in the app."""
    import sys

    from data_access.access import SYSTEM

    engine = get_engine()
    if args.fetch or args.file:
        try:
            if args.fetch:
                docs = fetch(catalogue_url(), timeout=args.timeout)
            else:
                docs = [d for f in args.file for d in read_saved(f)]
            frame = parse_catalogue(docs)
        except OSError as exc:
            print(f"{_offline_text(exc)} Den sparade katalogen är oförändrad.", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"{exc} Den sparade katalogen är oförändrad.", file=sys.stderr)
            return 1
        if frame.empty:
            print("Katalogen innehöll inga nyckeltal. Den sparade katalogen är oförändrad.", file=sys.stderr)
            return 1
        if args.save and args.fetch:
            Path(args.save).write_text(json.dumps(docs, ensure_ascii=False, indent=1), encoding="utf-8")
        stored = store_catalogue(frame, access=SYSTEM, engine=engine)
        shown = filter_catalogue(frame, args.search or "")
        print(f"{stored} nyckeltal sparades i katalogen.")
    else:
        ensure_schema(engine)
        shown = search_catalogue(args.search or "", engine=engine, limit=100_000)
        if shown.empty and catalogue_stored_at(engine) is None:
            print("Ingen katalog är sparad. Använd --catalogue --file SPARAT.json eller --catalogue --fetch.",
                  file=sys.stderr)
            return 1
    print("\n".join(["id\ttitel\tnivå\tkön\tsenaste år", *catalogue_lines(shown)]))
    print(f"{len(shown)} nyckeltal" + (f" matchar '{args.search}'." if args.search else "."))
    return 0


def _cli_access(user: str) -> AccessContext:
    """The CLI runs as SYSTEM; ``--user`` only names who is logged in ``import_log``."""
    from dataclasses import replace

    from data_access.access import SYSTEM

    return replace(SYSTEM, user=user)
