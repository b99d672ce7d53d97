"""Reading delivered files (CSV in any accepted dialect, or xlsx) into raw text frames.

Everything here is about bytes and dialects; the meaning of the cells is the
business of :mod:`data_access.validation`. A raw frame has one ``str`` column
per header cell (names normalised) and empty cells as missing values, plus
the spreadsheet row number of each row in ``attrs["rows"]`` (header = row 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_access.contract import TABLES
from data_access.validation import ValidationFailed, ValidationIssue, validate_frame

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


@dataclass
class RawTable:
    """One table's worth of delivered text: a CSV file or one xlsx sheet."""

    file_name: str  # shown in messages: "vardtillfallen.xlsx (blad hospital_stays)" or "ed_visits.csv"
    table: str | None  # contract table name, or None if the name matched nothing
    frame: pd.DataFrame  # all columns str, missing = NA
    sha256: str
    source_name: str  # the name that was matched against the table names


def normalise_header(name: object) -> str:
    """Header names match case- and whitespace-insensitively: ' Stay ID ' → 'stay_id'."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def table_for_name(name: str) -> str | None:
    key = normalise_header(Path(name).stem if name.lower().endswith(SUPPORTED_SUFFIXES) else name)
    return key if key in TABLES else None


def decode_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, Windows-1252 as the fallback.

    A Windows-1252 file almost never happens to be valid UTF-8 when it holds
    Swedish letters, so trying strict UTF-8 first is a reliable detector.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_separator(text: str) -> str:
    """`;` or `,`, decided on the header line (outside quotes)."""
    header = text.split("\n", 1)[0]
    header = re.sub(r'"[^"]*"', "", header)
    return ";" if header.count(";") > header.count(",") else ","


def read_csv_text(text: str) -> pd.DataFrame:
    """Parse CSV text (any accepted separator) into a raw frame of text cells.

    pyarrow's multi-threaded reader does the parsing (about five times faster
    than pandas' C parser for string columns). The header is read separately
    so that a repeated column name stays visible to validation; every cell
    is text, and only an empty cell is missing ("NA" or "null" are text).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sep = detect_separator(text)
    header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    names = [f"c{i}" for i in range(len(header))]
    table = pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True
        ),
    )
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    frame.columns = [normalise_header(c) for c in header]
    frame.attrs["decimal_comma"] = sep == ";"
    return frame


def _sheet_frame(ws) -> pd.DataFrame:
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        return pd.DataFrame()
    names = [normalise_header(h) if h is not None else f"_tom_{i}" for i, h in enumerate(header)]
    data = [[_excel_cell_text(v) for v in row] for row in rows]
    frame = pd.DataFrame(data, columns=names, dtype="str")
    # Trailing fully empty rows are common in spreadsheets.
    if len(frame):
        filled = frame.notna().any(axis=1)
        last = filled[filled].index.max() if filled.any() else -1
        frame = frame.iloc[: last + 1]
    return frame


def _excel_cell_text(value: object) -> str | None:
    """Excel cells arrive typed; turn them into the text a CSV would hold."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%Y-%m-%d 00:00")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_path(path: Path) -> list[RawTable]:
    """Read one file into raw tables (a CSV gives one, a workbook one per sheet)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        out = []
        for ws in wb.worksheets:
            frame = _sheet_frame(ws)
            out.append(
                RawTable(
                    file_name=f"{path.name} (blad {ws.title})",
                    table=table_for_name(ws.title),
                    frame=frame,
                    sha256=digest,
                    source_name=ws.title,
                )
            )
        wb.close()
        return out
    frame = read_csv_text(decode_bytes(data))
    return [RawTable(path.name, table_for_name(path.name), frame, digest, path.stem)]


def expand_paths(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Files as given, folders expanded to their CSV/xlsx files (sorted, not recursive)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            yield p


@dataclass
class ParsedTable:
    file_name: str
    table: str
    frame: pd.DataFrame  # loaded dtypes of the contract
    sha256: str


def _read_one(path: Path) -> tuple[list[ValidationIssue], list[ParsedTable]]:
    """Read and validate one file: its issues, or its parsed tables."""
    if not path.exists():
        return [ValidationIssue(path.name, None, None, "Filen finns inte.")], []
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return [ValidationIssue(path.name, None, None, "Filtypen stöds inte: lämna CSV (.csv) eller Excel (.xlsx).")], []
    try:
        raws = read_path(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file becomes a message, not a trace
        return [ValidationIssue(path.name, None, None, f"Filen kunde inte läsas ({type(exc).__name__}).")], []
    issues: list[ValidationIssue] = []
    parsed: list[ParsedTable] = []
    for raw in raws:
        if raw.table is None:
            known = ", ".join(TABLES)
            issues.append(
                ValidationIssue(
                    raw.file_name,
                    None,
                    None,
                    f"Namnet '{raw.source_name}' motsvarar ingen tabell i dataleveransen. "
                    f"Döp filen (eller bladet) efter tabellen: {known}.",
                )
            )
            continue
        frame, found = validate_frame(raw.frame, raw.table, raw.file_name)
        issues.extend(found)
        if not found:
            parsed.append(ParsedTable(raw.file_name, raw.table, frame, raw.sha256))
    return issues, parsed


def read_files(paths: Iterable[Path | str]) -> list[ParsedTable]:
    """Read and validate every file; raise :class:`ValidationFailed` with all issues.

    Files are handled in a small thread pool (pyarrow and most pandas string
    kernels release the GIL); results keep the order of the paths. Nothing is
    returned unless every file is valid (all or nothing).
    """
    from concurrent.futures import ThreadPoolExecutor

    files = list(expand_paths(paths))
    if not files:
        raise ValidationFailed([ValidationIssue("", None, None, "Inga CSV- eller xlsx-filer hittades.")])
    with ThreadPoolExecutor(max_workers=min(4, len(files))) as pool:
        results = list(pool.map(_read_one, files))
    issues = [issue for found, _ in results for issue in found]
    if issues:
        raise ValidationFailed(issues)
    return [table for _, tables in results for table in tables]


def read_directory(path: Path | str) -> dict[str, pd.DataFrame]:
    """Every data-contract file in a folder as loaded frames, keyed by table name.

    Several files for one table are concatenated; a later row with the same
    key replaces an earlier one, as in the store. Raises
    :class:`ValidationFailed` when anything is invalid.
    """
    tables: dict[str, list[pd.DataFrame]] = {}
    for item in read_files([path]):
        tables.setdefault(item.table, []).append(item.frame)
    out = {}
    for name, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if len(frames) > 1:
            frame = frame.drop_duplicates(subset=list(TABLES[name].key), keep="last").reset_index(drop=True)
        out[name] = frame
    return out
