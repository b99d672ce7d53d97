"""Validation at the boundary: raw text frames → typed frames, or Swedish messages.

Every check is vectorised (one pass over a column, not over rows), so a file
of a million rows validates in about a second. Each problem becomes a
:class:`ValidationIssue` naming file, spreadsheet row (header = row 1),
column and reason in Swedish. Values are echoed in messages only where they
cannot identify anyone: never a ``person_id``, and in no column a value that
looks like a personnummer. Every text column is searched for personnummer in
any spelling (:func:`personnummer_mask`).

The rules are those of ``shared/spec/data-contract.md`` (see
``data_access/contract.py``); the choices the contract leaves open are listed
in ``docs/data-import.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.contract import PANDAS_DTYPES, TABLES, Column, Table
from data_access.neutralise import neutralise

FIRST_DATA_ROW = 2  # the header is spreadsheet row 1

TRUE_SPELLINGS = frozenset({"1", "ja", "j", "true", "sant", "yes", "y", "t"})
FALSE_SPELLINGS = frozenset({"0", "nej", "n", "false", "falskt", "no", "f"})

# Personnummer / samordningsnummer anywhere in a text cell (see :func:`looks_like_personnummer`).
# After normalisation (Unicode digits → 0-9, dashes → '-', spaces → ' ', invisible characters
# dropped): YYMMDD or YYYYMMDD (century 18, 19 or 20), an optional separator ('-', '+', '.', '/',
# up to three spaces, or one of those characters with spaces around it), then four digits, with no
# digit directly before or after. Python's re (lookarounds), for the few cells the vectorised path
# in :func:`personnummer_mask` leaves over.
_PNR_IN_TEXT = re.compile(r"(?<![0-9])(18|19|20)?([0-9]{6})(?: {0,3}[-+./] {0,3}| {1,3})?([0-9]{4})(?![0-9])")
# A whole cell that is a number as a spreadsheet writes it: digits grouped by spaces
# ("4 503 121 230"), a trailing ",0"/".0", or scientific notation with every digit ("4.50312123E+09").
_PNR_GROUPED = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+(?:[.,]0+)?")
_PNR_PLAIN = re.compile(r"([0-9]+)(?:[.,]0+)?")
_PNR_SCIENTIFIC = re.compile(r"([0-9])[.,]([0-9]+)[eE]\+?([0-9]{1,2})")
# Characters that people (or word processors) put where '-', '/' or '.' would do.
_PNR_SEPARATORS = {
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    **dict.fromkeys("\u2044\u2215\u29f8\uff0f", "/"),
    **dict.fromkeys("\u00b7\u2024\u2027\u2219\uff0e", "."),
}
_ASCII_SPACES = str.maketrans("\t\n\r\v\f", "     ")
# The same rules in RE2 syntax (pyarrow) for ASCII text, where no normalisation is needed.
_SP = r"[ \t\n\r\v\f]"
_SEP = rf"(?:{_SP}{{0,3}}[-+./]{_SP}{{0,3}}|{_SP}{{1,3}})"
# Cheap prefilter: the shape somewhere in the cell, or a whole cell that is a spreadsheet number.
PNR_SHAPE_ASCII = (
    rf"(?:^|[^0-9])(?:[0-9]{{6}}|[0-9]{{8}}){_SEP}?[0-9]{{4}}(?:[^0-9]|$)"
    rf"|^{_SP}*(?:[0-9]{{9}}(?:[.,]0+)?|[0-9]{{1,3}}(?: [0-9]{{3}})+(?:[.,]0+)?|[0-9][.,][0-9]+[eE]\+?[0-9]{{1,2}}){_SP}*$"
)
# Decided in numpy: a cell with one group of digits (an id such as "VT4503121230", a number,
# one personnummer in any ASCII spelling), or a whole cell of nine digits.
PNR_ONE_GROUP_ASCII = rf"^[^0-9]*(?:[0-9]{{2}})?[0-9]{{6}}{_SEP}?[0-9]{{4}}[^0-9]*$|^{_SP}*[0-9]{{9}}{_SP}*$"
# Text in other scripts: nine numeric characters anywhere (full-width digits, invisible characters between).
PNR_NUMERIC_ANY = r"(?:\p{N}[^\p{N}]*){9}"
# A hex digest of 32 characters or more (a keyed pseudonym such as HMAC-SHA256 in hex) or a UUID:
# its digit runs are chance. About one in 2 000 random 64-character hex ids and one in 11 000
# UUIDs holds a valid ten-digit number; nobody writes a personnummer that way, so these cells
# are not searched.
HEX_ID_RE = r"^(?:[0-9A-Fa-f]{32,}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$"
PERSONNUMMER_MESSAGE = (
    "Värdet ser ut som ett personnummer eller samordningsnummer (eller innehåller ett). Indikatorvyn tar "
    "aldrig emot personnummer; filen avvisas och värdet visas inte här."
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


# The columns searched for personnummer: every text column of every contract table (ids,
# person_id, free text such as care_centre, codes and enumerations), derived from the contract.
PERSONNUMMER_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in table.columns if c.type == "text") for name, table in TABLES.items()
}


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

    def report(self, limit: int = 100, title: str = "Importen avbröts", outcome: str = "Ingenting har sparats.") -> str:
        shown = self.errors[:limit]
        lines = [f"{title}: {len(self.errors)} fel hittades. {outcome}"]
        lines += [f"  {issue}" for issue in shown]
        if len(self.errors) > limit:
            lines.append(f"  … och {len(self.errors) - limit} fel till (se fellistan).")
        return "\n".join(lines)

    def to_csv(self, path: Path | str) -> None:
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, delimiter=";")
            w.writerow(["fil", "rad", "kolumn", "fel"])
            for e in self.errors:
                # File names, headers and messages come from the delivery: neutralised like every export.
                w.writerow([neutralise(e.file), "" if e.row is None else e.row, neutralise(e.column or ""),
                            neutralise(e.message)])

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
def _municipalities() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).with_name("municipalities.csv"), dtype=str)


@lru_cache(maxsize=1)
def municipality_codes() -> frozenset[str]:
    """The 290 kommunkoder of Sweden (shipped as data in municipalities.csv)."""
    return frozenset(_municipalities()["code"])


@lru_cache(maxsize=1)
def _regions() -> pd.DataFrame:
    return pd.read_csv(Path(__file__).with_name("regions.csv"), dtype=str)


@lru_cache(maxsize=1)
def _area_names() -> dict[str, str]:
    frames = (_regions(), _municipalities())
    return {code: name for frame in frames for code, name in zip(frame["code"], frame["name"], strict=True)}


def municipality_name(code: str) -> str:
    """The name of a kommunkod, or of riket (0000) or a region (00LL); the code itself if it is none."""
    return _area_names().get(code, code)


@lru_cache(maxsize=1)
def aggregate_codes() -> frozenset[str]:
    """Codes for the nation (0000) and the regions (00LL), allowed in indicator_values only."""
    return frozenset(_regions()["code"])


def _show(value: object, limit: int = 40) -> str:
    """A value as quoted in a message: shortened, and never a personnummer (in any column)."""
    text = str(value)
    if looks_like_personnummer(text):
        return "dolt värde som liknar ett personnummer"
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
    # A header-only file is a valid delivery of zero rows (a small municipality can have no short-term
    # stays in a month): it goes through the same steps and comes out as an empty typed frame.

    raw = raw.loc[:, ~pd.Index(columns).duplicated()]
    decimal_comma = bool(raw.attrs.get("decimal_comma", False))
    typed: dict[str, pd.Series] = {}
    stripped: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in raw.columns:
            typed[col.name] = _empty(col, len(raw))
            if col.default is not None:  # e.g. indicator_values.sex: none given means everyone (T)
                typed[col.name] = typed[col.name].fillna(col.default)
            continue
        s = _strip(raw[col.name]).reset_index(drop=True)
        if col.default is not None:  # an empty cell takes the default; a wrong value stays wrong
            s = s.fillna(col.default)
        stripped[col.name] = s
        missing = s.isna().to_numpy()
        if not col.nullable:
            out.add(missing, col.name, f"Värde saknas ({col.swedish} är obligatoriskt).")
        if col.name == "municipality_code":
            s = _check_municipality(s, table, out)
        typed[col.name] = _convert(col, s, out, decimal_comma=decimal_comma, table=table)

    frame = pd.DataFrame(typed)
    _check_ranges(frame, table, out)
    _check_personnummer(stripped, table, out)
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


# --- personnummer in any text column ------------------------------------------------------


def _check_personnummer(stripped: dict[str, pd.Series], table: Table, out: _Collector) -> None:
    """Reject every cell of a text column (ids, free text, codes) that holds a personnummer.

    The columns are the contract's ``text`` columns of the table (:data:`PERSONNUMMER_COLUMNS`).
    The value itself is never shown.
    """
    for name in PERSONNUMMER_COLUMNS[table.name]:
        s = stripped.get(name)
        if s is None:
            continue
        out.add(personnummer_mask(s), name, personnummer_message(table, name))


def personnummer_message(table: Table, name: str) -> str:
    """What a cell of column ``name`` that holds a personnummer is told (the import and the pseudonymisation
    tool say the same)."""
    if name == table.person_column:
        advice = ("Byt till samverkans pseudonym: kör `python -m data_access pseudonymise` med den gemensamma "
                  "nyckeln före leveransen (docs/pseudonymisering.md).")
    elif name in table.key:
        advice = "Använd ett id som inte innehåller något personnummer."
    else:
        advice = "Ta bort numret ur cellen."
    return f"{PERSONNUMMER_MESSAGE} {advice}"


def personnummer_mask(s: pd.Series) -> np.ndarray:
    """True where a text cell holds a valid personnummer or samordningsnummer (see :func:`looks_like_personnummer`).

    Vectorised. First, with numpy on the Arrow buffers, only cells with nine or more characters
    that are ASCII digits or not ASCII at all (a digit of another script is one such character)
    go on. ASCII cells with one group of digits (:data:`PNR_ONE_GROUP_ASCII`: ids, numbers, one
    personnummer) are decided in numpy. The rest is read in Python, each distinct value once,
    and only if it has the shape (:data:`PNR_SHAPE_ASCII`) or, in other scripts, nine numeric
    characters. Hex digests and UUIDs (:data:`HEX_ID_RE`) are never flagged. Delivered ids and
    free text almost never pass the first step, so the check costs a millisecond or two per column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = np.zeros(len(s), dtype=bool)
    if len(s) == 0:
        return mask
    arr = pa.array(s.astype("str"), type=pa.large_string(), from_pandas=True)
    counts = _digit_like_counts(arr)
    keep = counts >= 9
    if not keep.any():
        return mask
    positions, values, counts = np.flatnonzero(keep), arr.filter(pa.array(keep)), counts[keep]
    ascii_text = _np_bool(pc.string_is_ascii(values))
    found = np.zeros(len(values), dtype=bool)
    one_group = _matches(values, ascii_text, PNR_ONE_GROUP_ASCII)
    if one_group.any():
        found[one_group] = _one_group_personnummer(values.filter(pa.array(one_group)), counts[one_group])
    rest = ~one_group
    rest = _matches(values, rest & ascii_text, PNR_SHAPE_ASCII) | _matches(values, rest & ~ascii_text, PNR_NUMERIC_ANY)
    hex_ids = _matches(values, found | rest, HEX_ID_RE)
    found &= ~hex_ids
    rest &= ~hex_ids
    if rest.any():
        others = values.filter(pa.array(rest))
        flagged = [v for v in pc.unique(others).to_pylist() if looks_like_personnummer(v)]
        if flagged:
            found[rest] = _np_bool(pc.is_in(others, value_set=pa.array(flagged, type=pa.large_string())))
    mask[positions[found]] = True
    return mask


def _matches(values, rows: np.ndarray, pattern: str) -> np.ndarray:
    """Per value: ``rows`` and the RE2 ``pattern`` matches (evaluated on those rows only)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    result = np.zeros(len(rows), dtype=bool)
    if rows.all():
        return _np_bool(pc.match_substring_regex(values, pattern))
    if rows.any():
        result[rows] = _np_bool(pc.match_substring_regex(values.filter(pa.array(rows)), pattern))
    return result


def _one_group_personnummer(values, counts: np.ndarray) -> np.ndarray:
    """:func:`looks_like_personnummer` for ASCII cells with one group of 9, 10 or 12 digits, in numpy."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.replace_substring_regex(values, "[^0-9]+", "")
    result = np.zeros(len(counts), dtype=bool)
    for width in (9, 10, 12):
        rows = counts == width
        if not rows.any():
            continue
        matrix = _digit_matrix(digits.filter(pa.array(rows)), width)
        century = np.zeros(len(matrix), dtype=np.int64)
        if width == 9:  # a spreadsheet number that lost its leading zero
            matrix = np.hstack([np.full((len(matrix), 1), ord("0"), dtype=np.uint8), matrix])
        elif width == 12:
            century = (matrix[:, 0].astype(np.int64) - 48) * 10 + matrix[:, 1] - 48
            matrix = matrix[:, 2:]
        valid = _valid_personnummer(century, matrix)
        if width == 12:
            valid &= (century >= 18) & (century <= 20)
        result[rows] = valid
    return result


def looks_like_personnummer(text: str) -> bool:
    """Whether ``text`` is, or contains, a valid Swedish personnummer or samordningsnummer.

    Unicode digits (full-width, Arabic-Indic, ...) count as digits, dashes as '-', any space as
    ' '; invisible characters (zero-width space, soft hyphen) are dropped. Recognised: YYMMDD or
    YYYYMMDD, optionally one separator ('-', '+', '.', '/' or spaces) and four digits, not part of
    a longer run of digits, with an existing date (day + 60 for a samordningsnummer; with a century,
    not in the future) and a correct Luhn check digit over the ten-digit form. A whole cell that
    is a number of nine digits is also checked with a leading zero added back (a spreadsheet drops
    it: 0912311234 becomes 912311234), as are numbers written with digit groups or in scientific
    notation.
    """
    if len(text) < 9:  # nine digits at least
        return False
    found = _personnummer_forms(text)
    if not found:
        return False
    century = np.array([int(c or 0) for c, _ in found], dtype=np.int64)
    digits = np.frombuffer("".join(ten for _, ten in found).encode("ascii"), dtype=np.uint8).reshape(-1, 10)
    return bool(_valid_personnummer(century, digits).any())


def _personnummer_forms(text: str) -> list[tuple[str, str]]:
    """(century or "", ten digits) of every place in ``text`` that has the form of a personnummer."""
    text = _normalise_digits(text)
    found = [(m.group(1) or "", m.group(2) + m.group(3)) for m in _PNR_IN_TEXT.finditer(text)]
    number = _whole_number(text.strip())
    if number is not None:
        if len(number) == 9:
            found.append(("", "0" + number))
        elif len(number) == 12 and number[:2] in ("18", "19", "20"):
            found.append((number[:2], number[2:]))
        elif len(number) == 10:
            found.append(("", number))
    return found


def _normalise_digits(text: str) -> str:
    """Unicode digits to 0-9, dash-like characters to '-', spaces to ' ', invisible characters dropped."""
    if text.isascii():
        return text.translate(_ASCII_SPACES)
    text = unicodedata.normalize("NFKC", text)  # full-width and superscript digits, no-break spaces, ...
    chars = []
    for ch in text:
        if ch.isascii():
            chars.append(ch)
        elif ch in _PNR_SEPARATORS:
            chars.append(_PNR_SEPARATORS[ch])
        elif (digit := unicodedata.decimal(ch, None)) is not None:
            chars.append(chr(48 + digit))
        elif ch.isspace():
            chars.append(" ")
        elif unicodedata.category(ch) != "Cf":  # zero-width space, soft hyphen, direction marks: dropped
            chars.append(ch)
    return "".join(chars).translate(_ASCII_SPACES)


def _whole_number(text: str) -> str | None:
    """The digits of a cell that is one integer as a spreadsheet writes it, else None."""
    if _PNR_GROUPED.fullmatch(text):
        text = text.replace(" ", "")
    if plain := _PNR_PLAIN.fullmatch(text):
        return plain.group(1)
    if sci := _PNR_SCIENTIFIC.fullmatch(text):
        lead, fraction, exponent = sci.group(1), sci.group(2).rstrip("0"), int(sci.group(3))
        if len(fraction) <= exponent:
            return lead + fraction + "0" * (exponent - len(fraction))
    return None


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)  # by month 1-12
_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int16)  # digit sum of 2 × d


def _valid_personnummer(century: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Per row of ten ASCII digits YYMMDDNNNC (``century`` 18, 19, 20 or 0 = not given): a personnummer?

    An existing date (day + 60: samordningsnummer; without a century, 2000 + YY, which has the leap
    years of either century but 1900), with a century not after today, and a correct Luhn digit.
    """
    d = [digits[:, i].astype(np.int16) - 48 for i in range(10)]
    yy, month, day = d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]
    day = np.where(day > 60, day - 60, day)
    year = np.where(century > 0, century * 100 + yy, 2000 + yy).astype(np.int32)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    today = dt.date.today()
    born = year * 10_000 + month * 100 + day
    future = (century > 0) & (born > today.year * 10_000 + today.month * 100 + today.day)
    total = sum(_LUHN_DOUBLE[d[i]] if i % 2 == 0 else d[i] for i in range(9))
    return month_ok & (day >= 1) & (day <= last_day) & ~future & ((10 - total % 10) % 10 == d[9])


def _digit_matrix(arr, width: int) -> np.ndarray:
    """A pyarrow array of ASCII strings, each exactly ``width`` characters, as an (n, width) uint8 matrix."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32 if arr.type == pa.string() else np.int64)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data.reshape(len(arr), width)


def _np_bool(values) -> np.ndarray:
    """A pyarrow boolean array (or chunked array) as numpy, missing = False."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _digit_like_counts(arr) -> np.ndarray:
    """Per string of a large_string (chunked) array: ASCII digits plus non-ASCII characters; missing = 0.

    Counted on the UTF-8 bytes: a byte 0-9, or the first byte of a non-ASCII character (0xC0 or above).
    """
    import pyarrow as pa

    counts = []
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if len(chunk) == 0:
            continue
        _, offsets_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        first, last = int(offsets[0]), int(offsets[-1])  # a slice shares its parent's (larger) buffer
        if last == first:
            counts.append(np.zeros(len(chunk), dtype=np.int32))
            continue
        data = np.frombuffer(data_buffer, dtype=np.uint8)[first:last]
        digit_like = (((data - np.uint8(48)) < 10) | (data >= 0xC0)).view(np.uint8)
        # Sum each non-empty string's bytes (reduceat needs strictly increasing starts inside the data).
        nonempty = offsets[1:] > offsets[:-1]
        chunk_counts = np.zeros(len(chunk), dtype=np.int32)
        chunk_counts[nonempty] = np.add.reduceat(digit_like, offsets[:-1][nonempty] - first, dtype=np.int32)
        counts.append(chunk_counts)
    return np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)


def _check_keys(frame: pd.DataFrame, table: Table, out: _Collector) -> None:
    key = list(table.key)
    complete = frame[key].notna().all(axis=1)
    dup = frame.duplicated(subset=key, keep="first").to_numpy() & complete.to_numpy()
    if not dup.any():
        return
    first_row = {}
    keys = frame[key].astype("string").fillna("").agg("|".join, axis=1) if len(key) > 1 else frame[key[0]].astype("str")
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

