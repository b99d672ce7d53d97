"""The suppliers' pseudonymisation tool: personnummer in, keyed pseudonyms out, before delivery.

``python -m data_access pseudonymise --new-key KEYFILE`` makes a key (32 random bytes from
:mod:`secrets`, mode 0600, never over an existing file). ``python -m data_access pseudonymise
--key-file KEYFILE --out DIR [--reference-date YYYY-MM-DD] [--column personnummer]
[--allow-reserve] [--errors FILE.csv] PATH...`` reads data-contract tables (CSV in every dialect
the import accepts, xlsx) whose ``person_id`` column is replaced by a personnummer column, and
writes the same tables to DIR as UTF-8 CSV with ``person_id`` = HMAC-SHA256(key, the twelve-digit
number) as 32 hex characters, the personnummer column dropped. Where the table's contract has
``birth_year``, ``sex`` or (hospital_stays, ed_visits) ``age`` and the input leaves it absent or
empty, it is derived from the number (age: exact age on the day of ``Table.age_at``). Given
values are kept; a given sex that contradicts the number is an error. Columns outside the
contract are not carried over.

All or nothing: every file is read and checked; when anything is rejected, nothing is written
to DIR, the errors (Swedish, file, row with the header as row 1, column, reason, never the
value) go to the screen (the first 100) and to an error CSV, and the exit code is 1. Files are
read in chunks (pyarrow's streaming CSV reader, openpyxl's read-only rows), so memory does not
grow with the file. The key is never printed; its *nyckel-id* (an HMAC of a fixed text) is, so
that the suppliers can see that they share one key. Parsing rules: :mod:`data_access.pnr`.
Guide for data stewards: docs/pseudonymisering.md.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import hmac
import io
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.contract import TABLES, Table
from data_access.files import (
    SUPPORTED_SUFFIXES,
    UTF8_BOM,
    ReadLimits,
    check_workbook,
    column_names,
    decode_bytes,
    detect_separator,
    excel_cell_text,
    expand_paths,
    has_mojibake,
    normalise_header,
    read_path,
    table_for_name,
    utf8_counts,
)
from data_access.pnr import MISSING, exact_age, parse, reserve_form
from data_access.validation import (
    DATE_RE,
    IDENTIFYING_COLUMNS,
    PERSONNUMMER_COLUMNS,
    TIMESTAMP_RE,
    ValidationFailed,
    ValidationIssue,
    personnummer_mask,
    personnummer_message,
)

KEY_BYTES = 32
PSEUDONYM_HEX = 32  # 128 bits of the HMAC: no two persons of any realistic register share one
KEY_ID_TEXT = b"indikatorvy nyckel-id"
# CSV is parsed in blocks of READ_BLOCK_BYTES (pyarrow reads up to 32 blocks ahead, so this bounds
# the memory) and handled in chunks of about CHUNK_BYTES of parsed text (so that the per-chunk
# overhead of pandas and numpy stays small).
READ_BLOCK_BYTES = 1 << 20
CHUNK_BYTES = 8 << 20
XLSX_CHUNK_ROWS = 50_000
MAX_SHOWN = 100
DEFAULT_ERRORS = Path("pseudonymiseringsfel.csv")
EXIT_OK, EXIT_REJECTED = 0, 1


class Refused(Exception):
    """A problem with the command itself (the key, the folders): one Swedish message, exit 1."""


# --- the key -----------------------------------------------------------------------------------


def new_key(path: Path) -> str:
    """Write 32 random bytes to ``path`` (mode 0600, never over an existing file); return the key id."""
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Refused(f"Nyckelfilen {path} finns redan och skrivs inte över. Välj ett annat filnamn.") from None
    except OSError as exc:
        raise Refused(f"Nyckelfilen {path} kunde inte skapas ({exc.strerror}).") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key)
    finally:
        os.close(fd)
    return key_id(key)


def read_key(path: Path) -> tuple[bytes, str | None]:
    """The key in ``path`` and a warning when others may read the file."""
    try:
        key = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise Refused(f"Nyckelfilen {path} finns inte.") from None
    except OSError as exc:
        raise Refused(f"Nyckelfilen {path} kunde inte läsas ({exc.strerror}).") from None
    if len(key) < KEY_BYTES:
        raise Refused(
            f"Nyckelfilen {path} är för kort: en nyckel ska vara minst {KEY_BYTES} byte. Använd samverkans "
            "gemensamma nyckel (skapas en gång med --new-key)."
        )
    warning = None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warning = (
            f"Varning: nyckelfilen {path} kan läsas av andra än ägaren (rättigheter {stat.S_IMODE(mode):o}); "
            f"ändra till 600 (chmod 600 {path})."
        )
    return key, warning


def key_id(key: bytes) -> str:
    """Eight hex characters that name a key without revealing it (HMAC of a fixed text)."""
    return hmac.new(key, KEY_ID_TEXT, hashlib.sha256).hexdigest()[:8]


class Pseudonymiser:
    """HMAC-SHA256 with one key, as 32 hex characters per value (each distinct value computed once).

    The HMAC is RFC 2104's construction with the inner and outer SHA-256 states computed once
    for the key and copied per value: the same bytes as ``hmac.digest(key, value, "sha256")``
    (a test compares them for many keys and values) in a third of the time, which is what lets
    a table of distinct persons go at 200 000 rows a second.
    """

    def __init__(self, key: bytes):
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, value: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(value)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __call__(self, texts: np.ndarray) -> np.ndarray:
        """Per text (str)."""
        codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
        return self._apply(codes, [u.encode("ascii") for u in uniques])

    def numbers(self, numbers: np.ndarray) -> np.ndarray:
        """Per twelve-digit number given as an integer (:attr:`data_access.pnr.Parsed.number`)."""
        codes, uniques = pd.factorize(np.asarray(numbers, dtype=np.int64))
        return self._apply(codes, [b"%012d" % u for u in uniques.tolist()])

    def _apply(self, codes: np.ndarray, messages: list[bytes]) -> np.ndarray:
        digest = self.digest
        out = np.array([digest(m).hex()[:PSEUDONYM_HEX] for m in messages], dtype=object)
        return out[codes] if len(codes) else np.array([], dtype=object)


# --- reading in chunks -------------------------------------------------------------------------


@dataclass
class Source:
    """One table to pseudonymise: a CSV file or one xlsx sheet."""

    path: Path
    file_name: str  # as messages name it
    table: str | None
    source_name: str  # the file stem or sheet name the table was named by
    header: list[str]  # normalised
    chunks: Iterator[tuple[int, pd.DataFrame]]  # (spreadsheet row of the first row, text cells)
    close: Callable[[], None] = lambda: None  # releases the workbook


def _line_blocks(path: Path, size: int | None = None) -> Iterator[bytes]:
    """The file in blocks of about ``size`` bytes that end after a line break (no character is split)."""
    size = size or CHUNK_BYTES
    with open(path, "rb") as f:
        rest = b""
        while block := f.read(size):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest, block = block[cut:], block[:cut]
            if block:
                yield block
        if rest:
            yield rest


def _csv_encoding(path: Path, file_name: str) -> str:
    """"utf-8" or "cp1252", decided as :func:`~data_access.files.decode_bytes` decides, block by block.

    Any problem (NUL bytes, mixed encodings, mojibake, undefined bytes) reads the whole file once
    with ``decode_bytes`` so that its message names rows and columns exactly as the import does.
    """

    def refuse() -> None:
        decode_bytes(path.read_bytes(), file_name)  # raises ValidationFailed with the import's words
        raise ValidationFailed([ValidationIssue(file_name, None, None, "Filens teckenkodning kunde inte avgöras.")])

    bom, sequences, other, utf8 = False, 0, 0, True
    for i, block in enumerate(_line_blocks(path)):
        if i == 0 and block.startswith(UTF8_BOM):
            bom, block = True, block[len(UTF8_BOM):]
        if b"\x00" in block:
            refuse()
        s, o = utf8_counts(block)
        sequences, other = sequences + s, other + o
        if utf8:
            try:
                text = block.decode("utf-8")
            except UnicodeDecodeError:
                utf8 = False
            else:
                if has_mojibake(text):
                    refuse()
    if utf8:
        return "utf-8"
    if bom or (sequences and sequences >= other):
        refuse()
    for block in _line_blocks(path):
        try:
            text = block.decode("cp1252")
        except UnicodeDecodeError:
            refuse()
        if has_mojibake(text):
            refuse()
    return "cp1252"


def _csv_source(path: Path, limits: ReadLimits) -> Source:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = _csv_encoding(path, path.name)
    first = next(_line_blocks(path), b"")
    text = codecs.decode(first, "utf-8-sig" if encoding == "utf-8" else "cp1252")
    if not text.strip():
        raise ValidationFailed([ValidationIssue(path.name, None, None, "Filen är tom: den saknar rubrikrad och data.")])
    sep = detect_separator(text)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:
        header = []
    if not header:
        read_path(path, limits)  # the import's message for an unreadable header
        raise ValidationFailed([ValidationIssue(path.name, 1, None, "Rubrikraden kunde inte läsas.")])
    names = [f"c{i}" for i in range(len(header))]
    normalised = [normalise_header(h) for h in header]
    shown = column_names(header)

    def chunks() -> Iterator[tuple[int, pd.DataFrame]]:
        ragged: list[int] = []

        def on_invalid(_row) -> str:
            ragged.append(1)
            return "skip"

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=READ_BLOCK_BYTES,
                                           encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True
            ),
        )

        def check(batch) -> None:
            if ragged:  # the import's reader names the rows (the whole file, on this error path only)
                read_path(path, limits)
                raise ValidationFailed([ValidationIssue(path.name, None, None, "En rad har fel antal fält.")])
            for j, column in enumerate(batch.columns):
                longest = _max_length(column)
                if longest is not None and longest > limits.max_cell_chars:
                    read_path(path, limits)
                    raise ValidationFailed([ValidationIssue(path.name, None, shown[j], "En cell är för lång.")])

        def frame_of(batches) -> pd.DataFrame:
            table = pa.Table.from_batches(batches)
            frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
            frame.columns = normalised
            return frame

        row, pending, size = 2, [], 0
        try:
            for batch in reader:
                check(batch)
                pending.append(batch)
                size += batch.nbytes
                if size >= CHUNK_BYTES:
                    frame = frame_of(pending)
                    pending, size = [], 0
                    yield row, frame
                    row += len(frame)
        except pa.ArrowInvalid:  # e.g. a row longer than a block: the import's reader says what is wrong
            read_path(path, limits)
            raise
        if ragged:
            read_path(path, limits)
            raise ValidationFailed([ValidationIssue(path.name, None, None, "En rad har fel antal fält.")])
        if pending:
            yield row, frame_of(pending)

    return Source(path, path.name, table_for_name(path.name), path.stem, normalised, chunks())


def _max_length(column) -> int | None:
    import pyarrow.compute as pc

    return pc.max(pc.utf8_length(column)).as_py()


def _xlsx_sources(path: Path, limits: ReadLimits) -> list[Source]:
    import openpyxl

    data = path.read_bytes()
    check_workbook(data, path.name, limits)
    del data
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = []
    for ws in wb.worksheets:
        name = f"{path.name} (blad {ws.title})"
        header_row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None) or ()
        width = max((i + 1 for i, h in enumerate(header_row) if h is not None), default=0)
        header = [normalise_header(h) if h is not None else f"_tom_{i}" for i, h in enumerate(header_row[:width])]
        out.append(Source(path, name, table_for_name(ws.title), ws.title, header,
                          _sheet_chunks(ws, width, header, name, limits), wb.close))
    return out


def _sheet_chunks(ws, width: int, header: list[str], file_name: str, limits: ReadLimits) -> Iterator[tuple[int, pd.DataFrame]]:
    """Rows of a sheet in chunks of text cells; fully empty rows at the end are dropped, as the import does."""
    if not width:
        return
    rows: list[list[str | None]] = []
    first = 2
    empty_run: list[list[str | None]] = []
    for number, values in enumerate(ws.iter_rows(min_row=2, max_row=limits.xlsx_max_rows + 1, max_col=width, values_only=True), start=2):
        cells = [excel_cell_text(v) for v in values] + [None] * (width - len(values))
        if any(len(c) > limits.max_cell_chars for c in cells if c is not None):
            raise ValidationFailed([ValidationIssue(file_name, number, None, f"En cell är längre än {limits.max_cell_chars} tecken.")])
        if all(c is None for c in cells):
            empty_run.append(cells)
            continue
        rows.extend(empty_run)
        empty_run = []
        rows.append(cells)
        if len(rows) >= XLSX_CHUNK_ROWS:
            yield first, pd.DataFrame(rows, columns=header, dtype="str")
            first += len(rows)
            rows = []
    if rows:
        yield first, pd.DataFrame(rows, columns=header, dtype="str")


def sources(paths: list[Path], limits: ReadLimits) -> tuple[list[Source], list[ValidationIssue]]:
    """Every table in ``paths`` (files or folders), or the issues of files that cannot be opened."""
    found: list[Source] = []
    issues: list[ValidationIssue] = []
    files = list(expand_paths(paths))
    if not files:
        issues.append(ValidationIssue("", None, None, "Inga CSV- eller xlsx-filer hittades."))
    for path in files:
        if not path.exists():
            issues.append(ValidationIssue(path.name, None, None, "Filen finns inte."))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            issues.append(ValidationIssue(path.name, None, None, "Filtypen stöds inte: lämna CSV (.csv) eller Excel (.xlsx)."))
        else:
            try:
                found.extend(_xlsx_sources(path, limits) if path.suffix.lower() == ".xlsx" else [_csv_source(path, limits)])
            except ValidationFailed as failed:
                issues.extend(failed.errors)
            except Exception as exc:  # noqa: BLE001 - an unreadable file is a message, never a trace
                issues.append(ValidationIssue(path.name, None, None, f"Filen kunde inte läsas ({type(exc).__name__})."))
    return found, issues


# --- one table ---------------------------------------------------------------------------------


@dataclass
class Counts:
    rows: int = 0
    coordination: int = 0
    reserve: int = 0
    reserve_like: list[int] = field(default_factory=list)  # rows of reserve values with a personnummer form
    reserve_empty: dict[str, int] = field(default_factory=dict)  # required columns left empty on reserve rows
    filled: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


@dataclass
class Options:
    key: bytes
    reference_date: dt.date
    column: str = "personnummer"
    allow_reserve: bool = False
    pseudonymiser: Pseudonymiser = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pseudonymiser = Pseudonymiser(self.key)


def _header_issues(source: Source, options: Options) -> tuple[list[str], list[ValidationIssue]]:
    """The output columns of ``source``, or the problems with its header."""
    issues: list[ValidationIssue] = []

    def issue(message: str, column: str | None = None) -> None:
        issues.append(ValidationIssue(source.file_name, None, column, message))

    if source.table is None:
        issue(
            f"Namnet '{source.source_name}' motsvarar ingen tabell i dataleveransen. Döp filen (eller bladet) "
            f"efter tabellen: {', '.join(TABLES)}."
        )
        return [], issues
    table = TABLES[source.table]
    pcol = normalise_header(options.column)
    seen: set[str] = set()
    for name in source.header:
        if name in seen:
            issue(f"Kolumnen '{name}' förekommer mer än en gång i rubrikraden.", name)
        seen.add(name)
    has_pnr = pcol in seen
    if table.person_column is None:
        if has_pnr:
            issue(f"Tabellen {table.name} har inga personer: ta bort kolumnen '{pcol}'.", pcol)
    elif not has_pnr:
        issue(
            f"Kolumnen '{pcol}' med personnumret saknas i rubrikraden (tabellen {table.name} ersätter person_id "
            "med personnumret; en annan rubrik anges med --column).",
            pcol,
        )
    elif table.person_column in seen:
        issue(
            f"Filen har redan kolumnen '{table.person_column}'. Lämna bara personnumret (kolumnen '{pcol}'): "
            "verktyget skriver person_id.",
            table.person_column,
        )
    for name in sorted(seen & IDENTIFYING_COLUMNS - {pcol}):
        issue(
            f"Kolumnen '{name}' kan innehålla personuppgifter (namn, adress eller personnummer) och får inte "
            "lämnas till indikatorvyn. Ta bort kolumnen.",
            name,
        )
    derived = _derivable(table, seen)
    for col in table.columns:
        if col.required and col.name not in seen and col.name not in derived and col.name != table.person_column:
            issue(f"Den obligatoriska kolumnen '{col.name}' ({col.swedish}) saknas i rubrikraden.", col.name)
    # _derivable is empty for a table without persons; its person_column is None
    output = [c.name for c in table.columns if c.name in seen or c.name in derived or c.name == table.person_column]
    return output, issues


def _derivable(table: Table, header: set[str]) -> set[str]:
    if table.person_column is None:
        return set()
    names = set(table.column_map) & {"birth_year", "sex"}
    if "age" in table.column_map and table.age_at in header:
        names.add("age")
    return names


def _stripped(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text column without surrounding spaces, an empty cell missing (an absent column: all missing)."""
    if name not in frame.columns:
        return pd.Series(None, index=frame.index, dtype="str")
    s = frame[name].astype("str").str.strip()
    return s.mask(s == "")


def process_chunk(
    frame: pd.DataFrame, first_row: int, source: Source, output: list[str], options: Options, counts: Counts
) -> tuple[dict[str, object], list[ValidationIssue]]:
    """Pseudonymise one chunk: (output columns by name, errors). Rows are numbered from ``first_row``; the
    warnings of a file (reserve numbers) are counted in ``counts``."""
    table = TABLES[source.table]
    frame = frame.reset_index(drop=True)
    n = len(frame)
    counts.rows += n
    rows = np.arange(n) + first_row
    errors: list[ValidationIssue] = []
    out: dict[str, object] = {name: frame[name] if name in frame.columns else np.full(n, None, dtype=object)
                              for name in output}

    def add(mask: np.ndarray, column: str, message) -> None:
        for pos in np.flatnonzero(mask):
            text = message(pos) if callable(message) else message
            errors.append(ValidationIssue(source.file_name, int(rows[pos]), column, text))

    if table.person_column is not None:
        pcol = normalise_header(options.column)
        raw = frame[pcol]
        parsed = parse(raw, options.reference_date)
        valid = parsed.valid
        missing = parsed.reason == MISSING
        reserve = ~valid & ~missing if options.allow_reserve else np.zeros(n, dtype=bool)
        rejected = ~valid & ~reserve
        add(rejected, pcol, lambda pos: parsed.reason[pos])
        counts.coordination += int(parsed.coordination.sum())
        counts.reserve += int(reserve.sum())
        counts.reserve_like.extend(int(r) for r in rows[reserve & parsed.has_form])
        ids = np.full(n, None, dtype=object)
        ids[valid] = options.pseudonymiser.numbers(parsed.number[valid])
        if reserve.any():
            ids[reserve] = options.pseudonymiser(reserve_form(raw[reserve]).to_numpy(dtype=object))
        out[table.person_column] = ids
        _fill(out, frame, table, parsed, valid, rows, source, counts, add)
        if reserve.any():
            for name in ("birth_year", "sex", "age"):
                col = table.column_map.get(name)
                if col is not None and not col.nullable and name in out:
                    empty = pd.isna(pd.Series(out[name], dtype="object")).to_numpy() & reserve
                    counts.reserve_empty[name] = counts.reserve_empty.get(name, 0) + int(empty.sum())
    for name in PERSONNUMMER_COLUMNS[table.name]:
        if name in frame.columns and name in out and name != table.person_column:
            mask = personnummer_mask(frame[name])
            add(mask, name, personnummer_message(table, name))
    order = {name: i for i, name in enumerate(table.column_names)}
    errors.sort(key=lambda e: (e.row or 0, order.get(e.column or "", -1)))
    return out, errors


def _fill(out, frame, table: Table, parsed, valid, rows, source, counts: Counts, add) -> None:
    """birth_year, sex and age from the number where the table has them and the cell is empty."""
    if "sex" in out:
        given = _stripped(frame, "sex")
        upper = given.str.upper().to_numpy(dtype=object) if given.notna().any() else np.full(len(given), None, dtype=object)
        known = np.isin(upper, ["K", "M"])
        contradicts = valid & known & (upper != parsed.sex)
        word = {"K": "kvinna (K)", "M": "man (M)"}
        add(contradicts, "sex", lambda pos: f"Könet '{upper[pos]}' stämmer inte med personnumret, som anger {word[parsed.sex[pos]]}.")
        empty = given.isna().to_numpy()
        fill = empty & valid
        out["sex"] = np.where(fill, parsed.sex, given.to_numpy(dtype=object))
        counts.filled["sex"] = counts.filled.get("sex", 0) + int(fill.sum())
    if "birth_year" in out:
        given = _stripped(frame, "birth_year")
        fill = given.isna().to_numpy() & valid
        years = pd.Series(parsed.birth_date).dt.year.astype("Int64").astype("str").to_numpy(dtype=object)
        out["birth_year"] = np.where(fill, years, given.to_numpy(dtype=object))
        counts.filled["birth_year"] = counts.filled.get("birth_year", 0) + int(fill.sum())
    if "age" in out and table.age_at in frame.columns:
        given = _stripped(frame, "age")
        fill = given.isna().to_numpy() & valid
        if fill.any():
            day = _event_day(_stripped(frame, table.age_at))
            unreadable = fill & np.isnat(day)
            swedish = table.column_map[table.age_at].swedish
            add(unreadable, "age", f"Åldern kan inte räknas fram: {swedish} ({table.age_at}) saknas eller är ingen "
                                   "giltig tidpunkt (ÅÅÅÅ-MM-DD TT:MM).")
            years = exact_age(parsed.birth_date, day)
            before = fill & (years < 0).fillna(False).to_numpy(dtype=bool)
            add(before, "age", f"{swedish.capitalize()} ({table.age_at}) ligger före födelsedatumet i personnumret.")
            ages = years.astype("Int64").astype("str").to_numpy(dtype=object)
            done = fill & ~unreadable & ~before
            out["age"] = np.where(done, ages, given.to_numpy(dtype=object))
            counts.filled["age"] = counts.filled.get("age", 0) + int(done.sum())


def _event_day(when: pd.Series) -> np.ndarray:
    """The day (datetime64[D]) of each date or timestamp the contract accepts; NaT where it is none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = (when.str.match(TIMESTAMP_RE) | when.str.match(DATE_RE)).fillna(False).to_numpy(dtype=bool)
    text = pa.array(when.where(ok), type=pa.string(), from_pandas=True)
    days = pc.strptime(pc.utf8_slice_codeunits(text, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True)
    return days.to_numpy(zero_copy_only=False).astype("datetime64[D]")


# --- the command -------------------------------------------------------------------------------


@dataclass
class Written:
    file_name: str
    table: str
    out_name: str
    counts: Counts


def pseudonymise(
    paths: list[Path], out_dir: Path, options: Options, limits: ReadLimits | None = None
) -> tuple[list[Written], list[ValidationIssue]]:
    """Pseudonymise every table in ``paths`` into ``out_dir``: (written, errors).

    Nothing is written to ``out_dir`` unless ``errors`` is empty: the tables are written to a
    folder beside it first and moved in when every file has been read without an error.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    limits = limits or ReadLimits.from_settings()
    found, errors = sources(paths, limits)
    inputs = {p.resolve() for p in expand_paths(paths) if p.exists()}
    plans: list[tuple[Source, list[str], str]] = []
    names: dict[str, str] = {}
    for source in found:
        output, issues = _header_issues(source, options)
        errors.extend(issues)
        if issues:
            continue
        out_name = f"{source.source_name}.csv"
        if out_name in names:
            errors.append(ValidationIssue(source.file_name, None, None, (
                f"Ger samma utfil ({out_name}) som {names[out_name]}. Pseudonymisera filerna i var sin körning "
                "eller till olika utmappar.")))
            continue
        if (out_dir / out_name).resolve() in inputs:
            errors.append(ValidationIssue(source.file_name, None, None, (
                "Utfilen skulle skriva över indatafilen. Välj en annan utmapp (--out).")))
            continue
        names[out_name] = source.file_name
        plans.append((source, output, out_name))
    if out_dir.exists() and not out_dir.is_dir():
        raise Refused(f"Utmappen {out_dir} är en fil, inte en mapp. Välj en mapp med --out.")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    except OSError as exc:
        raise Refused(f"Utmappen {out_dir} kan inte skapas ({exc.strerror}).") from None
    written: list[Written] = []
    try:
        for source, output, out_name in plans:
            skipped = {normalise_header(options.column)}
            counts = Counts(dropped=[h for h in source.header if h not in output and h not in skipped
                                     and not h.startswith("_tom_")])
            writer = None
            schema = pa.schema([(name, pa.string()) for name in output])
            try:
                for first_row, frame in source.chunks:
                    out, found_errors = process_chunk(frame, first_row, source, output, options, counts)
                    errors.extend(found_errors)
                    if errors:
                        continue  # keep reading: every error is reported, nothing is written
                    if writer is None:
                        writer = pacsv.CSVWriter(staging / out_name, schema)
                    writer.write_table(_arrow(out, schema))
                if writer is None and not errors:  # a header-only table is a delivery of zero rows, as in the import
                    writer = pacsv.CSVWriter(staging / out_name, schema)
            except ValidationFailed as failed:
                errors.extend(failed.errors)
            except Exception as exc:  # noqa: BLE001 - a message, never a trace (whose text could quote a cell)
                errors.append(ValidationIssue(source.file_name, None, None,
                                              f"Filen kunde inte läsas ({type(exc).__name__})."))
            finally:
                if writer is not None:
                    writer.close()
            written.append(Written(source.file_name, source.table, out_name, counts))
        if errors:
            return [], errors
        out_dir.mkdir(parents=True, exist_ok=True)
        for item in written:
            os.replace(staging / item.out_name, out_dir / item.out_name)
        return written, []
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for source in found:
            source.close()


def _arrow(columns: dict[str, object], schema):
    """The chunk's columns (pandas text columns or numpy arrays of str/None/NaN) as one Arrow table."""
    import pyarrow as pa

    return pa.Table.from_arrays(
        [pa.array(columns[name], type=pa.string(), from_pandas=True) for name in schema.names], schema=schema
    )


def run(args) -> int:
    """``python -m data_access pseudonymise …`` (argparse namespace): prints and returns the exit code."""
    import sys

    try:
        if args.new_key:
            ident = new_key(args.new_key)
            print(f"Nyckeln är skapad: {args.new_key} (nyckel-id {ident}, rättigheter 600).")
            print("Lämna den bara till samverkans dataansvariga, aldrig till indikatorvyns drift. Se docs/pseudonymisering.md.")
            return EXIT_OK
        key, warning = read_key(args.key_file)
        if warning:
            print(warning, file=sys.stderr)
        options = Options(key, args.reference_date or dt.date.today(), args.column, args.allow_reserve)
        written, errors = pseudonymise(args.paths, args.out, options)
    except Refused as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REJECTED
    if errors:
        failed = ValidationFailed(errors)
        print(failed.report(limit=MAX_SHOWN, title="Pseudonymiseringen avbröts", outcome="Ingenting har skrivits."),
              file=sys.stderr)
        errors_path = args.errors or DEFAULT_ERRORS
        try:
            failed.to_csv(errors_path)
        except OSError as exc:
            print(f"Fellistan kunde inte skrivas till {errors_path} ({exc.strerror}); ange en annan med --errors.",
                  file=sys.stderr)
        else:
            what = "Felet finns" if len(errors) == 1 else f"Alla {len(errors)} fel finns"
            print(f"{what} i {errors_path} (utan värdena).", file=sys.stderr)
        return EXIT_REJECTED
    print(f"Pseudonymiserat med nyckel-id {key_id(key)}, referensdatum {options.reference_date.isoformat()}:")
    for item in written:
        print("  " + _summary(item))
    for line in _reserve_warnings(written):
        print(line, file=sys.stderr)
    print(f"Filerna finns i {args.out}. Lämna dem till indikatorvyn; ta bort uttaget med personnummer enligt era rutiner.")
    return EXIT_OK


def _summary(item: Written) -> str:
    c = item.counts
    parts = [f"{item.file_name} → {item.out_name}: {_sv(c.rows)} {'rad' if c.rows == 1 else 'rader'}"]
    if c.coordination:
        parts.append(f"{_sv(c.coordination)} med samordningsnummer")
    if c.reserve:
        parts.append(f"{_sv(c.reserve)} med reservnummer")
    filled = [f"{name} {_sv(k)}" for name, k in c.filled.items() if k]
    if filled:
        parts.append("ifyllt ur numret: " + ", ".join(filled))
    if c.dropped:
        parts.append("kolumner utanför datakontraktet togs inte med: " + ", ".join(c.dropped))
    return "; ".join(parts) + "."


def _reserve_warnings(written: list[Written]) -> list[str]:
    lines = []
    for item in written:
        empty = {name: k for name, k in item.counts.reserve_empty.items() if k}
        if empty:
            columns = TABLES[item.table].column_map
            missing = [f"{columns[name].swedish} ({name}, {_sv(k)} {'rad' if k == 1 else 'rader'})"
                       for name, k in empty.items()]
            lines.append(
                f"Varning: {item.file_name}: rader med reservnummer saknar {' och '.join(missing)}, som "
                f"datakontraktet kräver i {item.table}. Importen avvisar raderna tills värdena finns i uttaget."
            )
        rows = item.counts.reserve_like
        if rows:
            shown = ", ".join(str(r) for r in rows[:20]) + (" …" if len(rows) > 20 else "")
            lines.append(
                f"Varning: {item.file_name}: {_sv(len(rows))} reservnummer har formen av ett personnummer men fel "
                f"kontrollsiffra eller datum (rad {shown}). Kontrollera dem: ett felskrivet personnummer blir en "
                "annan person."
            )
    return lines


def _sv(n: int) -> str:
    return f"{n:,}".replace(",", " ")
