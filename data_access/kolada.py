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
(municipality groups) are skipped. ``indicator_values`` has no sex column,
so only the total (gender ``T``) is stored; the K/M values are parsed.

Which Kolada KPI is shown as a reference for which of our indicators is
decided by ``data_access/kolada_kpis.csv``. Kolada's definitions differ from
ours; the note column says how. No function here is called by a page with
the network: fetching is the CLI's business (``python -m data_access kolada``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, and_, delete, or_

from data_access.access import AccessContext, require
from data_access.db import ensure_schema, get_engine
from data_access.files import ParsedTable
from data_access.importer import ImportResult, store_tables
from data_access.models import IndicatorValue
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
MAX_PAGES = 1000  # a guard against a next_page loop


@dataclass(frozen=True)
class KpiMapping:
    kpi_id: str
    indicator_id: str
    description_sv: str
    verified: bool
    note: str


def load_mapping(path: Path | str = MAPPING_FILE) -> dict[str, KpiMapping]:
    """KPI id → our indicator, from the mapping table in the repository."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = {}
    for row in frame.itertuples(index=False):
        kpi = row.kpi_id.strip()
        if kpi:
            out[kpi] = KpiMapping(kpi, row.indicator_id.strip(), row.description_sv, row.verified.strip() == "ja",
                                  row.note)
    return out


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


def fetch(
    url: str, *, timeout: float = 30.0, get: Callable[[str, float], dict] | None = None
) -> list[dict]:
    """Every page of a Kolada answer, following ``next_page`` (``get`` is replaceable in tests)."""
    get = get or _get_json
    pages: list[dict] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url and next_url not in seen and len(pages) < MAX_PAGES:
        seen.add(next_url)
        doc = get(next_url, timeout)
        pages.append(doc)
        next_url = parse_page(doc)[1]
    return pages


# --- into indicator_values ---------------------------------------------------------


@dataclass
class KoladaImport:
    result: ImportResult
    stored: int = 0  # rows handed to the store (total values with a number)
    missing: int = 0  # total values without a number (missing, confidential): not stored
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
    """Totals (gender T) as indicator_values text rows: (with a value, without one, unmapped KPIs, skipped areas)."""
    total = parsed[parsed["gender"] == "T"]
    unmapped = sorted(set(total["kpi"]) - set(mapping))
    total = total[total["kpi"].isin(mapping)]
    known = municipality_codes() | aggregate_codes()
    skipped = sorted(set(total["municipality"]) - known)
    total = total[total["municipality"].isin(known)]
    rows = pd.DataFrame(
        {
            "indicator_id": total["kpi"].map(lambda k: mapping[k].indicator_id),
            "indicator_name": total["kpi"].map(lambda k: mapping[k].description_sv),
            "municipality_code": total["municipality"],
            "period": total["period"],
            "numerator": pd.NA,
            "denominator": pd.NA,
            "value": total["value"],
            "source": total["kpi"].map(source_for),
        }
    )
    has_value = rows["value"].notna()
    return rows[has_value].reset_index(drop=True), rows[~has_value].reset_index(drop=True), unmapped, skipped


def import_kolada(
    docs: list[dict],
    *,
    access: AccessContext,
    engine: Engine | None = None,
    mapping: dict[str, KpiMapping] | None = None,
    file_name: str = "kolada.json",
) -> KoladaImport:
    """Store the totals of a Kolada answer in ``indicator_values`` (admin or SYSTEM only).

    One transaction: values are upserted (counted inserted / replaced /
    unchanged in ``import_log`` under ``file_name`` and the sha256 of the
    answer), and stored Kolada rows whose value Kolada now reports as missing
    are removed. Raises nothing for bad content: problems come back in
    ``result.errors``, and then nothing is stored.
    """
    require(access, "admin")
    engine = engine or get_engine()
    ensure_schema(engine)
    mapping = load_mapping() if mapping is None else mapping
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
             m.source == r.source)
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

    mapping = load_mapping()
    for pair in getattr(args, "map", None) or []:
        kpi, _, indicator = pair.partition("=")
        if not kpi or not indicator:
            print(f"--map {pair}: skriv NYCKELTAL=indikator-id.", file=sys.stderr)
            return 2
        mapping[kpi] = KpiMapping(kpi, indicator, f"Kolada {kpi}", False, "kopplad med --map")
    if args.fetch:
        kpis = [k for k in (args.kpi or ",".join(mapping)).split(",") if k]
        years = [y for y in (args.years or "").split(",") if y]
        if not kpis or not years:
            print("Ange --kpi och --years (t.ex. --years 2022,2023).", file=sys.stderr)
            return 2
        areas = [a for a in (args.municipalities or "").split(",") if a] or ["0000", "0014", *SODRA_ALVSBORG]
        url = data_url(kpis, areas, years)
        try:
            docs = fetch(url, timeout=args.timeout)
        except OSError as exc:
            print(f"Kolada kunde inte nås ({type(exc).__name__}: {exc}). Ingenting har sparats.", file=sys.stderr)
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


def _cli_access(user: str) -> AccessContext:
    """The CLI runs as SYSTEM; ``--user`` only names who is logged in ``import_log``."""
    from dataclasses import replace

    from data_access.access import SYSTEM

    return replace(SYSTEM, user=user)
