"""Reading delivered files (CSV in any accepted dialect, or xlsx) into raw text frames.

Everything here is about bytes and dialects; the meaning of the cells is the
business of :mod:`data_access.validation`. A raw frame has one ``str`` column
per header cell (names normalised) and empty cells as missing values, plus
the spreadsheet row number of each row in ``attrs["rows"]`` (header = row 1).

A file that cannot be read as it stands is refused here, before validation,
with a :class:`~data_access.validation.ValidationFailed` that names file, row
and column (header = row 1, as the import counts rows):

* bytes that are not valid in the detected encoding (:func:`decode_bytes`),
  and text that was decoded once too often ("VÃ¥rdcentralen");
* a cell longer than ``MAX_CELL_CHARS``, in any column, ignored ones
  included, and a row with more or fewer fields than the header;
* an xlsx workbook that unpacks to more than ``XLSX_MAX_UNCOMPRESSED_MB``,
  is packed like a zip bomb, or has a sheet beyond ``XLSX_MAX_ROWS`` rows or
  one that would unfold to too many cells: found by looking inside the zip,
  before the workbook is parsed (:func:`check_workbook`).

The limits come from :mod:`data_access.settings` (:class:`ReadLimits`).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import posixpath
import re
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from data_access.contract import TABLES
from data_access.validation import ValidationFailed, ValidationIssue, validate_frame

SUPPORTED_SUFFIXES = (".csv", ".xlsx")

UTF8_BOM = b"\xef\xbb\xbf"
# Rows named for one kind of problem in one file; further ones are counted in one more line.
MAX_LISTED = 100
# A zip part that unpacks to more than this many times its packed size is refused (once it is at
# least XLSX_RATIO_MIN_BYTES unpacked): openpyxl's sheets pack 10–14 times (measured on the sample
# tables, docs/data-import.md), a zip bomb hundreds or thousands of times.
XLSX_MAX_RATIO = 100
XLSX_RATIO_MIN_BYTES = 1 << 20
# Workbook parts read whole to find the sheets (workbook.xml and its relations) are a few kB.
XLSX_INDEX_MAX_BYTES = 16 << 20
XLSX_SCAN_CHUNK = 4 << 20
# The cell budget of a sheet (ReadLimits.xlsx_max_cells): a sheet may unfold to one cell per this many
# bytes of the size limit, 52 million cells at 500 MB. A cell in the file takes 20–60 bytes of XML.
XLSX_BYTES_PER_CELL = 10


@dataclass(frozen=True)
class ReadLimits:
    """How large a delivered file may be: see ``MAX_CELL_CHARS``, ``XLSX_MAX_UNCOMPRESSED_MB`` and
    ``XLSX_MAX_ROWS`` in :class:`data_access.settings.Settings`."""

    max_cell_chars: int = 32_767
    xlsx_max_uncompressed_mb: int = 500
    xlsx_max_rows: int = 1_048_576

    @property
    def xlsx_max_cells(self) -> int:
        """Cells a sheet may unfold to when read (rows × columns up to the header's last cell): one per
        :data:`XLSX_BYTES_PER_CELL` bytes of ``XLSX_MAX_UNCOMPRESSED_MB``. Empty cells take no room in
        the file but do when read, so a tiny sheet with one header cell in column XFD and a million
        rows would otherwise unfold to 16 billion cells."""
        return (self.xlsx_max_uncompressed_mb << 20) // XLSX_BYTES_PER_CELL

    @classmethod
    def from_settings(cls) -> ReadLimits:
        from data_access.settings import get_settings

        s = get_settings()
        return cls(s.max_cell_chars, s.xlsx_max_uncompressed_mb, s.xlsx_max_rows)


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


def _sv(n: float) -> str:
    """A whole number as Swedish text writes it: 1 048 576."""
    return f"{round(n):,}".replace(",", " ")


def _refuse(file_name: str, message: str, row: int | None = None, column: str | None = None) -> NoReturn:
    raise ValidationFailed([ValidationIssue(file_name, row, column, message)])


def _capped(
    issues: list[ValidationIssue], file_name: str, total: int, what: str, *, all_listed: bool = True
) -> list[ValidationIssue]:
    """The first :data:`MAX_LISTED` issues, and one more line that counts the problems if not all are listed."""
    shown = issues[:MAX_LISTED]
    if len(issues) > MAX_LISTED or not all_listed:
        shown.append(ValidationIssue(file_name, None, None, f"Sammanlagt {_sv(total)} {what} i filen; de första visas."))
    return shown


# --- encodings -------------------------------------------------------------------------------

# The characters that bytes 0x80–0xBF (UTF-8's continuation bytes) become when read as Windows-1252
# or Latin-1. UTF-8 read as one of those shows as 'Ã' or 'Â' followed by one of them ('Ã¥' for 'å',
# 'Â ' for a no-break space) or as 'â€' and one of them ('â€“' for '–'): the signature of mojibake.
# Swedish text does not write 'Ã' or 'Â' before such a character (none in the sample data).
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))
_CONTINUATION_CHARS = re.escape(
    "".join(sorted(set(_CONTINUATION_BYTES.decode("cp1252", "ignore") + _CONTINUATION_BYTES.decode("latin-1"))))
)
_MOJIBAKE_RE = re.compile(f"[\u00c2\u00c3][{_CONTINUATION_CHARS}]|\u00e2[\u20ac\u0080][{_CONTINUATION_CHARS}]")
_MOJIBAKE_LEADS = ("\u00c3", "\u00c2", "\u00e2")  # a quick test before the regex
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_MOJIBAKE_EXAMPLE = "som 'Ã¥' för 'å'"


def has_mojibake(text: str) -> bool:
    """Whether ``text`` holds UTF-8 decoded as Windows-1252 or Latin-1 ('Ã¥' for 'å'); see :func:`decode_bytes`."""
    return any(lead in text for lead in _MOJIBAKE_LEADS) and _MOJIBAKE_RE.search(text) is not None


def utf8_counts(body: bytes) -> tuple[int, int]:
    """(well-formed multi-byte UTF-8 sequences, other bytes ≥ 0x80) in ``body``, vectorised.

    A Windows-1252 file has almost no well-formed sequences (a Swedish letter is one byte ≥ 0xC0
    followed by an ASCII letter); a UTF-8 file has only those.
    """
    arr = np.frombuffer(body, dtype=np.uint8)
    high = int(np.count_nonzero(arr >= 0x80))
    cont = (arr - np.uint8(0x80)) < 0x40  # 0x80–0xBF (uint8 arithmetic wraps)
    if not high or not cont.any():
        return 0, high
    n = len(arr)
    sequences = in_sequences = 0
    for lo, hi, k in ((0xC2, 0xDF, 1), (0xE0, 0xEF, 2), (0xF0, 0xF4, 3)):
        lead = arr[: n - k]
        found = (lead >= lo) & (lead <= hi)
        for j in range(1, k + 1):
            found &= cont[j : n - k + j]
        count = int(np.count_nonzero(found))
        sequences += count
        in_sequences += count * (k + 1)
    return sequences, max(0, high - in_sequences)


def _offsets(text: str, char: str, limit: int) -> list[int]:
    out: list[int] = []
    pos = text.find(char)
    while pos >= 0 and len(out) < limit:
        out.append(pos)
        pos = text.find(char, pos + 1)
    return out


def _encoding_issues(
    file_name: str, text: str, offsets: list[int], total: int, message: str
) -> list[ValidationIssue]:
    """One issue per (row, column) holding one of ``offsets`` (character offsets into ``text``)."""
    issues: list[ValidationIssue] = []
    seen: set[tuple[int, str | None]] = set()
    for row, column in _locate(text, offsets):
        if (row, column) not in seen:
            seen.add((row, column))
            issues.append(ValidationIssue(file_name, row, column, message))
    return _capped(issues, file_name, total, "tecken med fel teckenkodning", all_listed=total <= len(offsets))


def decode_bytes(data: bytes, file_name: str = "") -> str:
    """The text of a delivered CSV file, decoded strictly; raises :class:`ValidationFailed` otherwise.

    * A file that is valid UTF-8 (with or without BOM, which is dropped) is UTF-8.
    * A file with a BOM, or whose non-ASCII bytes are mostly well-formed UTF-8, is UTF-8 too: any
      byte that is not valid UTF-8 refuses the file, naming the row and column (a Windows-1252 row
      pasted into a UTF-8 file once became "VÃ¥rdcentralen Sandared" for the whole file).
    * Otherwise the file is Windows-1252 (which reads every printable Latin-1 text the same), and a
      byte Windows-1252 does not define refuses it.
    * Whatever the encoding, text that looks like UTF-8 decoded as Windows-1252 or Latin-1
      ('Ã¥' for 'å': a UTF-8 row in a Windows-1252 file, or a file converted twice) refuses the file.
    * NUL bytes (UTF-16, "Unicode text" in Excel, or not a text file) refuse it.
    """
    if b"\x00" in data:
        _refuse(
            file_name,
            "Filen innehåller nolltecken: den är troligen sparad som UTF-16 (\"Unicode-text\" i Excel) eller "
            "är ingen textfil. Spara den som CSV i UTF-8 (\"CSV UTF-8\" i Excel) och lämna den igen.",
        )
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_not_utf8(body, file_name, bom)
        encoding = "Windows-1252"
    else:
        encoding = "UTF-8"
    if any(lead in text for lead in _MOJIBAKE_LEADS):
        found = [m.start() for m in _MOJIBAKE_RE.finditer(text)]
        if found:
            if encoding == "UTF-8":
                why = "Filen har troligen konverterats till UTF-8 en gång för mycket."
            else:
                why = "Raden är troligen UTF-8 i en fil som i övrigt är Windows-1252."
            message = (
                f"Texten ser ut som felavkodad UTF-8 ({_MOJIBAKE_EXAMPLE}). {why} Spara hela filen "
                "som UTF-8 med rätt tecken och lämna den igen."
            )
            raise ValidationFailed(_encoding_issues(file_name, text, found[:MAX_LISTED], len(found), message))
    return text


def _decode_not_utf8(body: bytes, file_name: str, bom: bool) -> str:
    """Windows-1252 text for a file that is not valid UTF-8, or :class:`ValidationFailed`."""
    sequences, other = utf8_counts(body)
    if bom or (sequences and sequences >= other):
        # UTF-8 with bytes that are not UTF-8: name them, never guess.
        text = body.decode("utf-8", errors="replace")
        total = text.count("\ufffd")
        why = "filen börjar med en UTF-8-markering (BOM)" if bom else "resten av filen är UTF-8"
        message = (
            f"Texten innehåller tecken som inte är giltig UTF-8, fast {why}. Filen blandar troligen "
            "teckenkodningar (t.ex. en rad från en Windows-1252-fil). Spara hela filen som UTF-8 och "
            "lämna den igen."
        )
        raise ValidationFailed(
            _encoding_issues(file_name, text, _offsets(text, "\ufffd", MAX_LISTED), total, message)
        )
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:
        text = body.decode("latin-1")  # the same offsets, to name the rows
        arr = np.frombuffer(body, dtype=np.uint8)
        where = np.flatnonzero(np.isin(arr, _CP1252_UNDEFINED))
        first = int(arr[where[0]])
        message = (
            f"Texten innehåller ett tecken (byte 0x{first:02X}) som varken är giltig UTF-8 eller finns i "
            "Windows-1252. Spara filen som UTF-8 och lämna den igen."
        )
        raise ValidationFailed(
            _encoding_issues(file_name, text, [int(p) for p in where[:MAX_LISTED]], len(where), message)
        ) from None


def _locate(text: str, offsets: list[int]) -> list[tuple[int, str | None]]:
    """(row, column) of each character offset into the CSV ``text``.

    Rows are counted as the import counts them: the header is row 1, a record is one row even
    where a quoted value spans lines, and empty lines are skipped. The column is the header's
    name (None on the header row itself). Only called for the few offsets of a refused file.
    """
    if not offsets:
        return []
    sep = detect_separator(text)
    end = text.find("\n", max(offsets))
    lines = text[: len(text) if end < 0 else end].split("\n")
    line_starts = [0, *accumulate(len(line) + 1 for line in lines)]
    record_lines: list[int] | None = []  # first line of each non-empty record
    try:
        reader = csv.reader(lines, delimiter=sep)
        consumed = 0
        for record in reader:
            if record:
                record_lines.append(consumed)
            consumed = reader.line_num
    except csv.Error:
        record_lines = None  # unreadable as CSV: physical lines will do
    header = [normalise_header(h) for h in _first_record(text, sep)]
    out: list[tuple[int, str | None]] = []
    for offset in offsets:
        line = bisect_right(line_starts, offset) - 1
        if record_lines is None:
            out.append((line + 1, None))
            continue
        record = max(0, bisect_right(record_lines, line) - 1)
        column = None
        if record > 0:
            start = line_starts[record_lines[record]]
            try:
                fields = list(csv.reader(text[start : offset + 1].split("\n"), delimiter=sep))[-1]
                index = len(fields) - 1
                column = header[index] if 0 <= index < len(header) and header[index] else f"nr {index + 1}"
            except (csv.Error, IndexError):
                column = None
        out.append((record + 1, column))
    return out


def _first_record(text: str, sep: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:
        return []


def detect_separator(text: str) -> str:
    """`;` or `,`, decided on the header line (outside quotes)."""
    header = text.split("\n", 1)[0]
    header = re.sub(r'"[^"]*"', "", header)
    return ";" if header.count(";") > header.count(",") else ","


# --- CSV ---------------------------------------------------------------------------------------


def _oversize_message(length: int, limit: int) -> str:
    return (
        f"Cellen är {_sv(length)} tecken lång; ingen cell får vara längre än {_sv(limit)} tecken "
        "(MAX_CELL_CHARS), inte heller i kolumner som indikatorvyn inte använder. Ett citattecken som "
        "aldrig avslutas kan göra resten av filen till en enda cell."
    )


def _oversized_cells(
    file_name: str, columns: list[tuple[str, np.ndarray]], limit: int
) -> list[ValidationIssue]:
    """Issues for every cell longer than ``limit``; ``columns`` are (name, character lengths by position)."""
    found: list[tuple[int, int, str, int]] = []  # (row, column position, name, length)
    for j, (name, lengths) in enumerate(columns):
        for pos in np.flatnonzero(lengths > limit):
            found.append((int(pos) + 2, j, name, int(lengths[pos])))
    found.sort()
    issues = [ValidationIssue(file_name, row, name, _oversize_message(n, limit)) for row, _, name, n in found]
    return _capped(issues, file_name, len(issues), "för långa celler")


def column_names(header: list[str]) -> list[str]:
    """Header names as messages show them (normalised; an empty one by its position)."""
    return [normalise_header(h) or f"nr {i + 1}" for i, h in enumerate(header)]


def read_csv_text(text: str, *, file_name: str = "", limits: ReadLimits | None = None) -> pd.DataFrame:
    """Parse CSV text (any accepted separator) into a raw frame of text cells.

    pyarrow's multi-threaded reader does the parsing (about five times faster
    than pandas' C parser for string columns). The header is read separately
    so that a repeated column name stays visible to validation; every cell
    is text, and only an empty cell is missing ("NA" or "null" are text).

    Raises :class:`ValidationFailed` for a row with more or fewer fields than
    the header and for a cell longer than ``limits.max_cell_chars`` (any
    column, ignored ones included), naming row and column.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    limits = limits or ReadLimits.from_settings()
    sep = detect_separator(text)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:  # a header cell beyond csv's field limit, or a quote never closed
        _refuse(
            file_name,
            "Rubrikraden kunde inte läsas: en rubrik är orimligt lång eller ett citattecken avslutas aldrig.",
            row=1,
        )
    if not header:
        _refuse(file_name, "Filen är tom: den saknar rubrikrad och data.")
    shown = column_names(header)
    long_names = [(i, len(h)) for i, h in enumerate(header) if len(h) > limits.max_cell_chars]
    if long_names:
        i, n = long_names[0]
        _refuse(file_name, f"Rubrik nr {i + 1}: " + _oversize_message(n, limits.max_cell_chars), row=1)
    data = text.encode("utf-8")
    table = _parse_csv(data, len(header), sep, file_name)
    if len(data) > limits.max_cell_chars:  # otherwise no cell can be too long
        columns = []
        for j, column in enumerate(table.columns):
            lengths = pc.utf8_length(column)
            longest = pc.max(lengths).as_py()
            if longest is not None and longest > limits.max_cell_chars:
                columns.append((shown[j], lengths.to_numpy(zero_copy_only=False)))
        if columns:
            raise ValidationFailed(_oversized_cells(file_name, columns, limits.max_cell_chars))
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
    frame.columns = [normalise_header(c) for c in header]
    frame.attrs["decimal_comma"] = sep == ";"
    return frame


def _parse_csv(data: bytes, width: int, sep: str, file_name: str):
    """The pyarrow table of ``data`` after its header; :class:`ValidationFailed` for ragged rows."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    ragged: list[tuple[int | None, int, int]] = []

    def on_invalid(row) -> str:
        ragged.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    def read(block_size: int | None = None, threads: bool = True):
        options = {"block_size": block_size} if block_size else {}
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads, **options),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True
            ),
        )

    block_size = None
    try:
        table = read()
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):
            raise
        # A row longer than pyarrow's block (1 MiB): read the file as one block, so that the
        # oversized cell can be named (or the file read, if its cells are within the limit).
        block_size = len(data) + 1
        ragged.clear()
        table = read(block_size)
    if ragged:
        if any(number is None for number, _, _ in ragged):  # row numbers are known single-threaded only
            ragged.clear()
            read(block_size, threads=False)
        ragged.sort(key=lambda r: r[0] or 0)
        what = "semikolon" if sep == ";" else "komma"
        issues = [
            ValidationIssue(
                file_name,
                number,
                None,
                f"Raden har {actual} fält men rubrikraden har {expected}. Kontrollera avgränsaren (här {what}) och "
                "citattecknen: ett värde som innehåller avgränsaren eller en radbrytning ska stå inom citattecken.",
            )
            for number, expected, actual in ragged
        ]
        raise ValidationFailed(_capped(issues, file_name, len(issues), "rader med fel antal fält"))
    return table


# --- xlsx --------------------------------------------------------------------------------------

_ATTR_RE = re.compile(rb"([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SHEET_RE = re.compile(rb"<(?:[\w.-]+:)?sheet\b([^>]*)>")
_REL_RE = re.compile(rb"<(?:[\w.-]+:)?Relationship\b([^>]*)>")
_DIMENSION_RE = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)")
# Row elements (<row ...>, <x:row ...>) and their row numbers (attribute r), in any prefix. The
# patterns begin with the literal "row" (the lookbehind follows it) so that re can skip ahead fast:
# 0.1 s instead of 1.5 s per 50 MB of XML.
_ROW_RE = re.compile(rb"row(?<=[<:]row)[\s/>]")
_ROW_NUMBER_RE = re.compile(rb"row(?<=[<:]row)\s[^>]*?(?<=\s)r\s*=\s*[\"']\s*([0-9]+)")
_ROW_END_RE = re.compile(rb"</(?:[\w.-]+:)?row>")
_CELL_RE = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_CELL_COLUMN_RE = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?(?<=\s)r\s*=\s*[\"']\s*([A-Z]{1,3})[0-9]")


def _attrs(raw: bytes) -> dict[str, str]:
    return {
        m.group(1).decode("ascii", "replace"): html.unescape((m.group(2) or m.group(3) or b"").decode("utf-8", "replace"))
        for m in _ATTR_RE.finditer(raw)
    }


def _small_part(zf: zipfile.ZipFile, name: str, sizes: dict[str, int]) -> bytes | None:
    if sizes.get(name, XLSX_INDEX_MAX_BYTES + 1) > XLSX_INDEX_MAX_BYTES:
        return None
    return zf.read(name)


def _sheet_parts(zf: zipfile.ZipFile, sizes: dict[str, int]) -> list[tuple[str, str]]:
    """(sheet name, zip part) of every worksheet, found through the package and workbook
    relations, plus every part under ``xl/worksheets/`` in case the relations say otherwise."""
    found: list[tuple[str, str]] = []
    workbook = "xl/workbook.xml"
    package_rels = _small_part(zf, "_rels/.rels", sizes) or b""
    for m in _REL_RE.finditer(package_rels):
        a = _attrs(m.group(1))
        if a.get("Type", "").endswith("/officeDocument") and a.get("Target"):
            workbook = a["Target"].lstrip("/")
    folder = posixpath.dirname(workbook)
    rels = _small_part(zf, posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels"), sizes) or b""
    targets = {}
    for m in _REL_RE.finditer(rels):
        a = _attrs(m.group(1))
        target = a.get("Target", "")
        targets[a.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target)
        )
    for m in _SHEET_RE.finditer(_small_part(zf, workbook, sizes) or b""):
        a = _attrs(m.group(1))
        rel = next((v for k, v in a.items() if k == "id" or k.endswith(":id")), None)
        part = targets.get(rel)
        if part in sizes:
            found.append((a.get("name", part), part))
    listed = {part for _, part in found}
    for name in sizes:
        if name.startswith("xl/worksheets/") and name.endswith(".xml") and name not in listed:
            found.append((posixpath.basename(name)[:-4], name))
    return found


def _dimension_rows(zf: zipfile.ZipFile, part: str) -> int:
    """The last row of the sheet's own dimension (``<dimension ref="A1:H109119"/>``), 0 if none."""
    with zf.open(part) as f:
        head = f.read(64 << 10)
    m = _DIMENSION_RE.search(head)
    if not m:
        return 0
    digits = re.findall(rb"[0-9]+", m.group(1))
    return max((int(d) for d in digits), default=0)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _header_width(xml: bytes) -> int:
    """How many columns the sheet's row 1 spans, by the first row element in ``xml``: the number of
    its cells or the column of its last cell, whichever is larger. 0 if that element is not row 1,
    is empty, or does not end within ``xml``."""
    first = _ROW_RE.search(xml)
    tag_end = xml.find(b">", first.start()) if first else -1
    if tag_end < 0 or xml[tag_end - 1 : tag_end] == b"/":
        return 0
    number = _ROW_NUMBER_RE.match(xml, first.start())
    close = _ROW_END_RE.search(xml, tag_end)
    if close is None or (number and int(number.group(1)) != 1):
        return 0
    row = xml[tag_end : close.start()]
    columns = [_column_number(m) for m in _CELL_COLUMN_RE.findall(row)]
    return max(len(_CELL_RE.findall(row)), max(columns, default=0))


def _scan_rows(zf: zipfile.ZipFile, part: str, limit: int) -> tuple[int, int]:
    """(how far the sheet reaches, how wide its header row is).

    The reach is the number of row elements or the highest row number, whichever is larger. Streams
    the part (about 0.4 s per 50 MB of XML) and stops as soon as ``limit`` is passed.
    """
    count = highest = 0
    width = None
    tail = b""
    with zf.open(part) as f:
        while True:
            chunk = f.read(XLSX_SCAN_CHUNK)
            buffer = tail + chunk
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            if cut < 0:
                cut = len(buffer)  # no tag starts here: nothing to carry over
            xml, tail = buffer[:cut], buffer[cut:]
            if width is None and _ROW_RE.search(buffer):
                width = _header_width(buffer)
            count += len(_ROW_RE.findall(xml))
            numbers = _ROW_NUMBER_RE.findall(xml)
            if numbers:
                highest = max(highest, max(int(n) for n in numbers))
            if max(count, highest) > limit or not chunk:
                return max(count, highest), width or 0


def check_workbook(data: bytes, file_name: str, limits: ReadLimits) -> None:
    """Refuse an xlsx workbook that is too large to parse, before openpyxl sees it.

    Looks only at the zip directory and streams the sheets' XML (never parses it):

    * the parts' uncompressed sizes together must not exceed ``XLSX_MAX_UNCOMPRESSED_MB``;
    * no part of 1 MiB or more may unpack to more than :data:`XLSX_MAX_RATIO` times its packed size;
    * no sheet may reach beyond row ``XLSX_MAX_ROWS`` (header = row 1), by its own dimension or by
      its rows;
    * no sheet may unfold to more cells (rows × columns up to the last cell of row 1) than
      :attr:`ReadLimits.xlsx_max_cells`.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        _refuse(
            file_name,
            "Filen är ingen Excel-arbetsbok i formatet .xlsx (den kan vara en äldre .xls-fil, "
            "lösenordsskyddad eller skadad). Spara den som Excel-arbetsbok (.xlsx) eller CSV och lämna den igen.",
        )
    with zf:
        infos = zf.infolist()
        sizes = {i.filename: i.file_size for i in infos}
        limit_mb = limits.xlsx_max_uncompressed_mb
        total = sum(sizes.values())
        if total > limit_mb << 20:
            _refuse(
                file_name,
                f"Arbetsboken packas upp till {_sv(total / 2**20)} MB, mer än gränsen {_sv(limit_mb)} MB "
                "(XLSX_MAX_UNCOMPRESSED_MB). Den har inte lästs. Dela upp tabellerna på flera arbetsböcker "
                "eller lämna dem som CSV.",
            )
        for i in infos:
            if i.file_size >= XLSX_RATIO_MIN_BYTES and i.file_size > XLSX_MAX_RATIO * max(i.compress_size, 1):
                _refuse(
                    file_name,
                    f"Arbetsboken är ovanligt hårt packad: delen {i.filename} är "
                    f"{_sv(i.compress_size / 1024)} kB packad men {_sv(i.file_size / 2**20)} MB uppackad "
                    f"({_sv(i.file_size / max(i.compress_size, 1))} gånger; en vanlig arbetsbok packas 10–15 "
                    "gånger). Den har inte lästs. Spara arbetsboken på nytt i Excel eller lämna tabellen som CSV.",
                )
        row_limit = limits.xlsx_max_rows
        rule = (
            f"gränsen är {_sv(row_limit)} (XLSX_MAX_ROWS; rubrikraden räknas som rad 1). Det har inte lästs. "
            "Dela upp tabellen på flera blad eller filer, eller lämna den som CSV."
        )
        try:
            for title, part in _sheet_parts(zf, sizes):
                where = f"{file_name} (blad {title})"
                last = _dimension_rows(zf, part)
                if last > row_limit:
                    _refuse(where, f"Bladet går till rad {_sv(last)} enligt sin egen dimension; {rule}")
                rows, width = _scan_rows(zf, part, row_limit)
                if rows > row_limit:
                    _refuse(where, f"Bladet har fler än {_sv(row_limit)} rader; {rule}")
                if rows * width > limits.xlsx_max_cells:
                    _refuse(where, _cells_message(rows, width, limits))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            _refuse(
                file_name,
                f"Arbetsboken är skadad eller krypterad och kunde inte packas upp ({type(exc).__name__}). "
                "Spara den på nytt i Excel och lämna den igen.",
            )


def _cells_message(rows: int, width: int, limits: ReadLimits) -> str:
    return (
        f"Bladet spänner över {_sv(rows)} rader × {_sv(width)} kolumner (fram till rubrikradens sista cell), "
        f"{_sv(rows * width)} celler; som mest {_sv(limits.xlsx_max_cells)} celler läses (en per "
        f"{XLSX_BYTES_PER_CELL} byte av XLSX_MAX_UNCOMPRESSED_MB). Det har inte lästs. Ta bort celler till "
        "höger om tabellen i rubrikraden, eller lämna tabellen som CSV."
    )


def _sheet_frame(ws, file_name: str, limits: ReadLimits) -> pd.DataFrame:
    """The raw frame of one worksheet: row 1 names the columns.

    Only the columns up to the last named header cell are read, and never a row beyond
    ``limits.xlsx_max_rows`` nor more cells than ``limits.xlsx_max_cells`` (:func:`check_workbook`
    has looked already; this holds even where a sheet's XML misstates its rows).
    """
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None)
    width = max((i + 1 for i, h in enumerate(header or ()) if h is not None), default=0)
    if not width:
        return pd.DataFrame()
    names = [normalise_header(h) if h is not None else f"_tom_{i}" for i, h in enumerate(header[:width])]
    limit = limits.xlsx_max_rows
    data = []
    for row_number, row in enumerate(
        ws.iter_rows(min_row=2, max_row=limit + 1, max_col=width, values_only=True), start=2
    ):
        if row_number > limit:
            _refuse(
                file_name,
                f"Bladet har fler än {_sv(limit)} rader, gränsen (XLSX_MAX_ROWS; rubrikraden räknas som rad 1). "
                "Dela upp tabellen på flera blad eller filer, eller lämna den som CSV.",
                row=row_number,
            )
        if row_number * width > limits.xlsx_max_cells:
            _refuse(file_name, _cells_message(row_number, width, limits), row=row_number)
        data.append([excel_cell_text(v) for v in row])
    frame = pd.DataFrame(data, columns=names, dtype="str")
    # Trailing fully empty rows are common in spreadsheets.
    if len(frame):
        filled = frame.notna().any(axis=1)
        last = filled[filled].index.max() if filled.any() else -1
        frame = frame.iloc[: last + 1]
    columns = []
    for j, name in enumerate(column_names([str(h) if h is not None else "" for h in header[:width]])):
        lengths = frame.iloc[:, j].str.len().fillna(0).to_numpy(dtype=np.int64)
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            columns.append((name, lengths))
    if columns:
        raise ValidationFailed(_oversized_cells(file_name, columns, limits.max_cell_chars))
    return frame


def excel_cell_text(value: object) -> str | None:
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


def read_path(path: Path, limits: ReadLimits | None = None) -> list[RawTable]:
    """Read one file into raw tables (a CSV gives one, a workbook one per sheet).

    Raises :class:`ValidationFailed` for a file that cannot be read as it stands (encoding,
    oversized cells, ragged rows, an xlsx too large to parse); see the module docstring.
    """
    limits = limits or ReadLimits.from_settings()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".xlsx":
        check_workbook(data, path.name, limits)
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            out = []
            for ws in wb.worksheets:
                name = f"{path.name} (blad {ws.title})"
                out.append(RawTable(name, table_for_name(ws.title), _sheet_frame(ws, name, limits), digest, ws.title))
        finally:
            wb.close()
        return out
    frame = read_csv_text(decode_bytes(data, path.name), file_name=path.name, limits=limits)
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


def _read_one(path: Path, limits: ReadLimits | None = None) -> tuple[list[ValidationIssue], list[ParsedTable]]:
    """Read and validate one file: its issues, or its parsed tables."""
    if not path.exists():
        return [ValidationIssue(path.name, None, None, "Filen finns inte.")], []
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return [ValidationIssue(path.name, None, None, "Filtypen stöds inte: lämna CSV (.csv) eller Excel (.xlsx).")], []
    try:
        raws = read_path(path, limits)
    except ValidationFailed as failed:
        return failed.errors, []
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


def read_files(paths: Iterable[Path | str], limits: ReadLimits | None = None) -> list[ParsedTable]:
    """Read and validate every file; raise :class:`ValidationFailed` with all issues.

    Files are handled in a small thread pool (pyarrow and most pandas string
    kernels release the GIL); results keep the order of the paths. Nothing is
    returned unless every file is valid (all or nothing). ``limits`` default
    to the settings (:class:`ReadLimits`).
    """
    from concurrent.futures import ThreadPoolExecutor

    files = list(expand_paths(paths))
    if not files:
        raise ValidationFailed([ValidationIssue("", None, None, "Inga CSV- eller xlsx-filer hittades.")])
    limits = limits or ReadLimits.from_settings()
    with ThreadPoolExecutor(max_workers=min(4, len(files))) as pool:
        results = list(pool.map(partial(_read_one, limits=limits), files))
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
