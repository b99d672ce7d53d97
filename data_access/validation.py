"""Validation at the boundary: raw text frames → typed frames, or Swedish messages.

Every check is vectorised (one pass over a column, not over rows), so a file
of a million rows validates in about a second. Each problem becomes a
:class:`ValidationIssue` naming file, spreadsheet row (header = row 1),
column and reason in Swedish. Values are echoed in messages only where they
cannot identify anyone: never a ``person_id``.

The rules are those of ``shared/spec/data-contract.md`` (see
``data_access/contract.py``); the choices the contract leaves open are listed
in ``docs/data-import.md``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.contract import PANDAS_DTYPES, TABLES, Column, Table

FIRST_DATA_ROW = 2  # the header is spreadsheet row 1

TRUE_SPELLINGS = frozenset({"1", "ja", "j", "true", "sant", "yes", "y", "t"})
FALSE_SPELLINGS = frozenset({"0", "nej", "n", "false", "falskt", "no", "f"})

# Personnummer / samordningsnummer, with or without century, with or without
# '-' or '+': YYYYMMDD-NNNN, YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDDNNNN, YYMMDDNNNN.
# The month must be 01–12 and the day 01–31 (personnummer) or 61–91
# (samordningsnummer: day + 60), so that other numeric keys are not flagged.
# Patterns avoid \s, \d and \u escapes so that pandas can run them in pyarrow (RE2)
# instead of falling back to Python's re, which is several times slower.
PERSONNUMMER_RE = (
    r"^(?:[0-9]{2})?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])[-+]?[0-9]{4}$"
)
# Column names that suggest identifying data; such columns are never accepted.
IDENTIFYING_COLUMNS = frozenset(
    {
        "personnummer", "personnr", "pnr", "samordningsnummer", "namn", "name", "fornamn", "förnamn",
        "efternamn", "adress", "address", "gatuadress", "postadress", "telefon", "telefonnummer",
    }
)

INT_RE = r"^[+-]?[0-9]+(?:[.,]0+)?$"
NUMBER_RE = r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T]00:00(?::00)?)?$"
TIMESTAMP_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?$"
PERIOD_RE = r"^[0-9]{4}(?:-Q[1-4]|-(?:0[1-9]|1[0-2]))?$"
# Thousands separators inside numbers: space, tab, no-break space, narrow no-break space (literal characters).
NUMBER_SPACES_RE = "[ \t\u00a0\u202f]"


@dataclass(frozen=True)
class ValidationIssue:
    file: str
    row: int | None  # spreadsheet row number; None = the file as a whole
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column:
            where.append(f"kolumn {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ValidationFailed(Exception):
    """Raised when delivered data breaks the contract; carries every issue."""

    def __init__(self, errors: Sequence[ValidationIssue]):
        self.errors = list(errors)
        super().__init__(self.report(limit=5))

    def report(self, limit: int = 100) -> str:
        shown = self.errors[:limit]
        lines = [f"Importen avbröts: {len(self.errors)} fel hittades. Ingenting har sparats."]
        lines += [f"  {issue}" for issue in shown]
        if len(self.errors) > limit:
            lines.append(f"  … och {len(self.errors) - limit} fel till (se fellistan).")
        return "\n".join(lines)

    def to_csv(self, path: Path | str) -> None:
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, delimiter=";")
            w.writerow(["fil", "rad", "kolumn", "fel"])
            for e in self.errors:
                w.writerow([e.file, "" if e.row is None else e.row, e.column or "", e.message])

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Fil": [e.file for e in self.errors],
                "Rad": pd.array([e.row for e in self.errors], dtype="Int64"),
                "Kolumn": [e.column or "" for e in self.errors],
                "Fel": [e.message for e in self.errors],
            }
        )


@lru_cache(maxsize=1)
def municipality_codes() -> frozenset[str]:
    """The 290 kommunkoder of Sweden (shipped as data in municipalities.csv)."""
    frame = pd.read_csv(Path(__file__).with_name("municipalities.csv"), dtype=str)
    return frozenset(frame["code"])


@lru_cache(maxsize=1)
def aggregate_codes() -> frozenset[str]:
    """Codes for the nation (0000) and the regions (00LL), allowed in indicator_values only."""
    frame = pd.read_csv(Path(__file__).with_name("regions.csv"), dtype=str)
    return frozenset(frame["code"])


def _show(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Collector:
    """Collects issues for one file; caps per-column messages to keep reports readable."""

    PER_CHECK_CAP = 10_000

    def __init__(self, file_name: str, rows: np.ndarray):
        self.file = file_name
        self.rows = rows  # spreadsheet row number by position
        self.issues: list[ValidationIssue] = []

    def file_issue(self, message: str, column: str | None = None) -> None:
        self.issues.append(ValidationIssue(self.file, None, column, message))

    def add(self, mask: np.ndarray | pd.Series, column: str, message, values: pd.Series | None = None) -> None:
        """One issue per row where ``mask`` is true. ``message`` is a str or f(value) → str."""
        mask = np.asarray(mask, dtype=bool)
        positions = np.flatnonzero(mask)[: self.PER_CHECK_CAP]
        for pos in positions:
            text = message(values.iloc[pos]) if callable(message) else message
            self.issues.append(ValidationIssue(self.file, int(self.rows[pos]), column, text))


def _strip(series: pd.Series) -> pd.Series:
    s = series.astype("str").str.strip()
    return s.mask(s == "")


def _convert(col: Column, s: pd.Series, out: _Collector, *, decimal_comma: bool, table: Table) -> pd.Series:
    """Convert one stripped text column to its contract dtype, reporting bad cells."""
    present = s.notna().to_numpy()
    if col.type == "text":
        result = s
        if col.allowed is not None:
            canonical = {a.lower(): a for a in col.allowed}
            lowered = s.str.lower()
            mapped = lowered.map(canonical)
            bad = present & mapped.isna().to_numpy()
            allowed = ", ".join(col.allowed)
            out.add(bad, col.name, lambda v: f"'{_show(v)}' är inget tillåtet värde. Tillåtna värden: {allowed}.", s)
            result = mapped.astype("str")
        if col.max_length is not None and col.name != "municipality_code":
            too_long = present & (s.str.len() > col.max_length).fillna(False).to_numpy()
            out.add(too_long, col.name, f"Värdet är längre än {col.max_length} tecken.")
        return result
    if col.type == "int":
        cleaned = s.str.replace(NUMBER_SPACES_RE, "", regex=True)
        ok = cleaned.str.match(INT_RE).fillna(False).to_numpy()
        bad = present & ~ok
        out.add(bad, col.name, lambda v: f"'{_show(v)}' är inget heltal.", s)
        digits = cleaned.where(ok).str.replace(r"[.,]0+$", "", regex=True)
        return pd.to_numeric(digits, errors="coerce").astype("Int64")
    if col.type == "number":
        cleaned = s.str.replace(NUMBER_SPACES_RE, "", regex=True)
        ok = cleaned.str.match(NUMBER_RE).fillna(False).to_numpy()
        out.add(present & ~ok, col.name, lambda v: f"'{_show(v)}' är inget tal.", s)
        # Decimal comma: always accepted where there is no '.', as Swedish Excel writes it.
        normal = cleaned.where(ok).str.replace(",", ".", regex=False)
        return pd.to_numeric(normal, errors="coerce").astype("float64")
    if col.type == "bool":
        lowered = s.str.lower()
        is_true = lowered.isin(TRUE_SPELLINGS).to_numpy()
        is_false = lowered.isin(FALSE_SPELLINGS).to_numpy()
        bad = present & ~is_true & ~is_false
        out.add(bad, col.name, lambda v: f"'{_show(v)}' är inget sant/falskt-värde. Använd 1/0, ja/nej eller true/false.", s)
        result = pd.array(np.where(is_true, True, False), dtype="boolean")
        result[~(is_true | is_false)] = pd.NA
        return pd.Series(result, index=s.index)
    if col.type == "date":
        ok = s.str.match(DATE_RE).fillna(False).to_numpy()
        parsed = pd.to_datetime(s.where(ok).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        bad = present & (~ok | parsed.isna().to_numpy())
        out.add(bad, col.name, lambda v: f"'{_show(v)}' är inget giltigt datum. Använd ÅÅÅÅ-MM-DD.", s)
        return parsed.astype("datetime64[us]")
    if col.type == "timestamp":
        ok = s.str.match(TIMESTAMP_RE).fillna(False).to_numpy()
        text = s.where(ok).str.replace("T", " ", regex=False)
        text = text.where(text.str.len() != 16, text + ":00")
        parsed = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        bad = present & (~ok | parsed.isna().to_numpy())
        out.add(
            bad,
            col.name,
            lambda v: f"'{_show(v)}' är ingen giltig tidpunkt. Använd ÅÅÅÅ-MM-DD TT:MM (sekunder frivilliga).",
            s,
        )
        return parsed.astype("datetime64[us]")
    raise AssertionError(col.type)


def _check_municipality(s: pd.Series, table: Table, out: _Collector) -> pd.Series:
    # Spreadsheets drop leading zeros (0114 → 114): pad pure digits to four.
    padded = s.where(~s.str.fullmatch(r"[0-9]{1,3}").fillna(False), s.str.zfill(4))
    allowed = municipality_codes()
    if table.name == "indicator_values":
        allowed = allowed | aggregate_codes()
    bad = padded.notna().to_numpy() & ~padded.isin(allowed).to_numpy()
    out.add(
        bad,
        "municipality_code",
        lambda v: f"'{_show(v)}' är ingen svensk kommunkod (fyra siffror enligt SCB, t.ex. 1490 för Borås).",
        s,
    )
    return padded


def validate_frame(raw: pd.DataFrame, table_name: str, file_name: str) -> tuple[pd.DataFrame, list[ValidationIssue]]:
    """Check a raw text frame against the contract of ``table_name``.

    Returns the typed frame (contract column order, optional columns that
    were absent filled with missing values) and the list of issues; the
    frame is only meaningful when the list is empty.
    """
    table = TABLES[table_name]
    rows = np.arange(len(raw), dtype=np.int64) + FIRST_DATA_ROW
    out = _Collector(file_name, rows)

    columns = list(raw.columns)
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            out.file_issue(f"Kolumnen '{name}' förekommer mer än en gång i rubrikraden.", name)
        seen.add(name)
        if name in IDENTIFYING_COLUMNS:
            out.file_issue(
                f"Kolumnen '{name}' kan innehålla personuppgifter (namn, adress eller personnummer) och får "
                "inte lämnas till indikatorvyn. Ta bort kolumnen och lämna bara den pseudonyma person_id.",
                name,
            )
    for col in table.columns:
        if col.required and col.name not in seen:
            out.file_issue(f"Den obligatoriska kolumnen '{col.name}' ({col.swedish}) saknas i rubrikraden.", col.name)
    if out.issues:
        return pd.DataFrame(), out.issues
    if len(raw) == 0:
        out.file_issue("Filen innehåller inga datarader.")
        return pd.DataFrame(), out.issues

    raw = raw.loc[:, ~pd.Index(columns).duplicated()]
    decimal_comma = bool(raw.attrs.get("decimal_comma", False))
    typed: dict[str, pd.Series] = {}
    stripped: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in raw.columns:
            typed[col.name] = _empty(col, len(raw))
            continue
        s = _strip(raw[col.name]).reset_index(drop=True)
        stripped[col.name] = s
        missing = s.isna().to_numpy()
        if not col.nullable:
            out.add(missing, col.name, f"Värde saknas ({col.swedish} är obligatoriskt).")
        if col.name == "municipality_code":
            s = _check_municipality(s, table, out)
        typed[col.name] = _convert(col, s, out, decimal_comma=decimal_comma, table=table)

    frame = pd.DataFrame(typed)
    _check_ranges(frame, table, out)
    _check_person_ids(stripped.get(table.person_column or ""), out, table)
    _check_keys(frame, table, out)
    _check_orders(frame, table, out)
    _check_pairs(frame, table, out)
    if table.name == "indicator_values":
        bad = frame["period"].notna().to_numpy() & ~frame["period"].str.match(PERIOD_RE).fillna(False).to_numpy()
        out.add(bad, "period", lambda v: f"'{_show(v)}' är ingen period. Använd 2025, 2025-Q1 eller 2025-03.", frame["period"])
    order = {c.name: i for i, c in enumerate(table.columns)}
    issues = sorted(out.issues, key=lambda e: (e.row or 0, order.get(e.column or "", -1)))
    return frame, issues


def _empty(col: Column, n: int) -> pd.Series:
    """An all-missing column of the contract dtype (an optional column that was not delivered)."""
    return pd.Series([None] * n, dtype="object").astype(PANDAS_DTYPES[col.type])


def _check_ranges(frame: pd.DataFrame, table: Table, out: _Collector) -> None:
    for col in table.columns:
        if col.type not in ("int", "number") or (col.min is None and col.max is None):
            continue
        values = frame[col.name]
        bad = np.zeros(len(frame), dtype=bool)
        if col.min is not None:
            bad |= (values < col.min).fillna(False).to_numpy(dtype=bool)
        if col.max is not None:
            bad |= (values > col.max).fillna(False).to_numpy(dtype=bool)
        if col.min is not None and col.max is not None:
            reason = f"ska vara mellan {_num(col.min)} och {_num(col.max)}"
        elif col.min is not None:
            reason = f"får inte vara mindre än {_num(col.min)}"
        else:
            reason = f"får inte vara större än {_num(col.max)}"
        out.add(bad, col.name, lambda v, r=reason, c=col: f"{_cap(c.swedish)} {_show(v)} {r}.", values)


def _cap(text: str) -> str:
    """First letter upper case, the rest untouched ('CFS-poäng' stays as it is)."""
    return text[:1].upper() + text[1:]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _check_person_ids(s: pd.Series | None, out: _Collector, table: Table) -> None:
    if s is None:
        return
    looks = s.str.match(PERSONNUMMER_RE).fillna(False).to_numpy()
    out.add(
        looks,
        "person_id",
        "Värdet ser ut som ett personnummer eller samordningsnummer. Indikatorvyn tar bara emot "
        "pseudonyma person-id; filen avvisas och värdet visas inte här. Byt till den pseudonyma nyckeln.",
    )


def _check_keys(frame: pd.DataFrame, table: Table, out: _Collector) -> None:
    key = list(table.key)
    complete = frame[key].notna().all(axis=1)
    dup = frame.duplicated(subset=key, keep="first").to_numpy() & complete.to_numpy()
    if not dup.any():
        return
    first_row = {}
    keys = frame[key].astype("str").agg("|".join, axis=1) if len(key) > 1 else frame[key[0]].astype("str")
    for pos, k in enumerate(keys):
        if k not in first_row:
            first_row[k] = int(out.rows[pos])
    what = "id" if len(key) == 1 else "kombination av " + ", ".join(key)
    out.add(dup, key[0] if len(key) == 1 else ", ".join(key), lambda k: f"Samma {what} finns redan på rad {first_row[k]}.", keys)


def _check_orders(frame: pd.DataFrame, table: Table, out: _Collector) -> None:
    for later, earlier in table.order_checks:
        bad = (frame[later] < frame[earlier]).fillna(False).to_numpy(dtype=bool)
        out.add(
            bad,
            later,
            f"{_cap(table.column_map[later].swedish)} ligger före {table.column_map[earlier].swedish}.",
        )


def _check_pairs(frame: pd.DataFrame, table: Table, out: _Collector) -> None:
    for a, b in table.paired_empty:
        only_a = (frame[a].notna() & frame[b].isna()).to_numpy()
        only_b = (frame[a].isna() & frame[b].notna()).to_numpy()
        ca, cb = table.column_map[a], table.column_map[b]
        out.add(only_a, b, f"{_cap(cb.swedish)} saknas fast {ca.swedish} är ifylld (båda ifyllda eller båda tomma).")
        out.add(only_b, a, f"{_cap(ca.swedish)} saknas fast {cb.swedish} är ifylld (båda ifyllda eller båda tomma).")


def parse_csv_for_tests(text: str, table: str, file_name: str = "test.csv"):
    """Convenience for tests: CSV text → (typed frame, issues)."""
    from data_access.files import read_csv_text

    return validate_frame(read_csv_text(text), table, file_name)

