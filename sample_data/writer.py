"""Writing the generated tables as CSV files in a chosen dialect.

The data contract accepts UTF-8 or Windows-1252, ``,`` or ``;`` and decimal
point or comma; real deliveries mix them, so the sample set does too: by
default one file is written the way Swedish Excel saves it ("CSV (semikolon-
avgränsad)"). Formatting is vectorised (numpy + pyarrow), so a few million rows
take seconds.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from data_access.contract import TABLES, Table


@dataclass(frozen=True)
class CsvDialect:
    separator: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    line_terminator: str = "\n"


STANDARD = CsvDialect()
SWEDISH_EXCEL = CsvDialect(separator=";", decimal=",", encoding="cp1252", line_terminator="\r\n")

# Which file is written in which dialect (tables not named use STANDARD).
DEFAULT_DIALECTS: dict[str, CsvDialect] = {"primary_care_contacts": SWEDISH_EXCEL}

# How booleans are spelled, per table (systems differ; default "1"/"0").
DEFAULT_BOOL_SPELLINGS: dict[str, tuple[str, str]] = {
    "hospital_stays": ("ja", "nej"),
    "home_visits": ("ja", "nej"),
    "ed_visits": ("1", "0"),
}

_CHUNK_ROWS = 500_000


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day); H. Hinnant's algorithm, vectorised."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    for k in range(width):
        out[:, col + width - 1 - k] = 48 + (values // 10**k) % 10


def _fixed_width_strings(buf: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    n, width = buf.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int64)
    bitmap = None
    null_count = 0
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int((~valid).sum())
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buf).tobytes()), bitmap, null_count
    )


def format_datetimes(values: pd.Series, with_time: bool) -> pa.Array:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` strings (null where missing)."""
    raw = values.to_numpy(dtype="datetime64[m]", na_value=np.datetime64("NaT"))
    valid = ~np.isnat(raw)
    minutes = np.where(valid, raw.astype(np.int64), 0)
    days = np.floor_divide(minutes, 1440)
    y, m, d = civil_from_days(days)
    width = 16 if with_time else 10
    buf = np.empty((len(minutes), width), dtype=np.uint8)
    _digits(buf, 0, y, 4)
    buf[:, 4] = ord("-")
    _digits(buf, 5, m, 2)
    buf[:, 7] = ord("-")
    _digits(buf, 8, d, 2)
    if with_time:
        mod = minutes - days * 1440
        buf[:, 10] = ord(" ")
        _digits(buf, 11, mod // 60, 2)
        buf[:, 13] = ord(":")
        _digits(buf, 14, mod % 60, 2)
    return _fixed_width_strings(buf, valid)


def _format_number(values: pd.Series, decimal: str) -> pa.Array:
    texts: list[str | None] = []
    for v in values.to_numpy(dtype=float, na_value=np.nan):
        if np.isnan(v):
            texts.append(None)
        else:
            text = np.format_float_positional(v, trim="-")
            texts.append(text.replace(".", decimal))
    return pa.array(texts, type=pa.large_string())


def _format_column(
    table: Table, name: str, values: pd.Series, dialect: CsvDialect, bools: tuple[str, str]
) -> pa.Array:
    kind = table.column_map[name].type
    if kind == "timestamp":
        return format_datetimes(values, with_time=True)
    if kind == "date":
        return format_datetimes(values, with_time=False)
    if kind == "bool":
        arr = pa.array(values.astype("boolean"))
        return pc.if_else(arr, bools[0], bools[1]).cast(pa.large_string())
    if kind == "int":
        return pa.array(values.astype("Int64")).cast(pa.large_string())
    if kind == "number":
        return _format_number(values, dialect.decimal)
    arr = pa.array(values.astype("str"), from_pandas=True)
    return arr.cast(pa.large_string())


def write_table(
    frame: pd.DataFrame,
    table_name: str,
    path: Path,
    dialect: CsvDialect = STANDARD,
    bools: tuple[str, str] = ("1", "0"),
) -> int:
    """Write one table in contract column order; returns the number of rows written."""
    table = TABLES[table_name]
    columns = [c for c in table.column_names if c in frame.columns]
    options = pa_csv.WriteOptions(
        include_header=False,
        delimiter=dialect.separator,
        quoting_style="none",  # fails loudly if a value contains the separator
        eol=dialect.line_terminator,
    )
    header = dialect.separator.join(columns) + dialect.line_terminator
    with path.open("wb") as fh:
        fh.write(header.encode(dialect.encoding))
        for start in range(0, len(frame), _CHUNK_ROWS):
            part = frame.iloc[start : start + _CHUNK_ROWS]
            arrays = [_format_column(table, c, part[c], dialect, bools) for c in columns]
            sink = io.BytesIO()
            pa_csv.write_csv(pa.table(arrays, names=columns), sink, options)
            data = sink.getvalue()
            if dialect.encoding.replace("-", "").lower() not in ("utf8",):
                data = data.decode("utf-8").encode(dialect.encoding)  # strict: unencodable text fails
            fh.write(data)
    return len(frame)


def write(
    frames: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    dialects: Mapping[str, CsvDialect] | None = None,
    bool_spellings: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Path]:
    """Write every frame as ``<table>.csv`` in ``out_dir``; returns table -> path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dialects = DEFAULT_DIALECTS if dialects is None else dialects
    bool_spellings = DEFAULT_BOOL_SPELLINGS if bool_spellings is None else bool_spellings
    written: dict[str, Path] = {}
    for name, frame in frames.items():
        path = out / f"{name}.csv"
        write_table(frame, name, path, dialects.get(name, STANDARD), bool_spellings.get(name, ("1", "0")))
        written[name] = path
    return written
