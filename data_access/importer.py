"""Importing delivered files into the store: validate everything, then upsert in one transaction.

One import = one transaction. Either every file is valid and every row is
stored (rows with an existing key replace the stored row), or nothing is
stored. Each file is logged in ``import_log`` with its sha256 and row
counts: inserted, replaced, unchanged.

Bulk paths: ``COPY`` into a temporary staging table on PostgreSQL,
``executemany`` on SQLite; the merge into the real table is then two set-based
statements (delete changed rows, insert rows not present).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, text

from data_access.contract import TABLES
from data_access.db import ensure_schema, get_engine
from data_access.files import ParsedTable, read_files
from data_access.models import CONTRACT_MODELS, ImportLog
from data_access.validation import ValidationFailed, ValidationIssue

Progress = Callable[[str, float], None]  # (Swedish step text, fraction 0–1)


@dataclass
class FileResult:
    file_name: str
    table: str
    sha256: str
    rows_in_file: int
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.replaced)


@dataclass
class ImportResult:
    batch_id: str
    files: list[FileResult] = field(default_factory=list)
    errors: list[ValidationIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.files)

    def summary(self) -> str:
        """A Swedish summary for the CLI and the upload page."""
        if not self.ok:
            return ValidationFailed(self.errors).report()
        lines = []
        for f in self.files:
            if f.changed:
                lines.append(
                    f"{f.file_name} → {f.table}: {f.inserted} nya, {f.replaced} ersatta, {f.unchanged} oförändrade rader."
                )
            else:
                lines.append(f"{f.file_name} → {f.table}: inga ändringar, alla {f.unchanged} rader fanns redan.")
        if not self.changed:
            lines.append("Samma data var redan importerad: ingenting ändrades.")
        return "\n".join(lines)


def import_paths(
    paths: Iterable[Path | str],
    *,
    engine: Engine | None = None,
    user: str = "cli",
    progress: Progress | None = None,
) -> ImportResult:
    """Validate and store files. Returns the result; never raises for bad input."""
    engine = engine or get_engine()
    ensure_schema(engine)
    batch = str(uuid.uuid4())
    step = progress or (lambda _text, _frac: None)
    paths = list(paths)
    step("Läser och kontrollerar filerna", 0.05)
    try:
        parsed = read_files(paths)
    except ValidationFailed as failed:
        _log_rejected(engine, batch, paths, failed.errors, user)
        return ImportResult(batch, errors=failed.errors)
    return store_tables(parsed, engine=engine, user=user, batch_id=batch, progress=step)


def store_tables(
    parsed: list[ParsedTable],
    *,
    engine: Engine,
    user: str,
    batch_id: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert already validated tables, all in one transaction."""
    step = progress or (lambda _text, _frac: None)
    result = ImportResult(batch_id or str(uuid.uuid4()))
    now = dt.datetime.now().replace(microsecond=0)
    total_rows = sum(len(p.frame) for p in parsed) or 1
    done = 0
    with engine.begin() as conn:
        for item in parsed:
            step(f"Sparar {item.file_name}", 0.1 + 0.8 * done / total_rows)
            counts = upsert_frame(conn, item.table, item.frame)
            done += len(item.frame)
            fr = FileResult(item.file_name, item.table, item.sha256, len(item.frame), *counts)
            result.files.append(fr)
            conn.execute(
                insert(ImportLog),
                {
                    "batch_id": result.batch_id,
                    "file_name": item.file_name,
                    "sha256": item.sha256,
                    "table_name": item.table,
                    "rows_in_file": fr.rows_in_file,
                    "rows_inserted": fr.inserted,
                    "rows_replaced": fr.replaced,
                    "rows_unchanged": fr.unchanged,
                    "user_name": user,
                    "imported_at": now,
                    "outcome": "ok" if fr.changed else "unchanged",
                    "message": None,
                },
            )
    step("Klart", 1.0)
    return result


def _log_rejected(engine: Engine, batch: str, paths: list, errors: list[ValidationIssue], user: str) -> None:
    import hashlib

    now = dt.datetime.now().replace(microsecond=0)
    rows = []
    from data_access.files import expand_paths

    for p in expand_paths(paths):
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        n = sum(1 for e in errors if e.file.startswith(p.name))
        rows.append(
            {
                "batch_id": batch,
                "file_name": p.name,
                "sha256": digest,
                "table_name": None,
                "rows_in_file": 0,
                "rows_inserted": 0,
                "rows_replaced": 0,
                "rows_unchanged": 0,
                "user_name": user,
                "imported_at": now,
                "outcome": "rejected",
                "message": f"{n} fel i filen; importen ({len(errors)} fel totalt) avvisades.",
            }
        )
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(ImportLog), rows)


# --- the bulk upsert ---------------------------------------------------------


def _iso_text(s: pd.Series, kind: str) -> pd.Series:
    """Datetimes as the text SQLAlchemy stores on SQLite (vectorised; NaT stays missing)."""
    values = s.to_numpy(dtype="datetime64[us]")
    if kind == "date":
        text_values = np.datetime_as_string(values, unit="D")
    else:
        text_values = np.char.replace(np.datetime_as_string(values, unit="us"), "T", " ")
    return pd.Series(text_values, index=s.index, dtype=object).mask(s.isna())


def _sqlite_values(frame: pd.DataFrame, table_name: str) -> list[tuple]:
    """Rows as tuples of Python values in the storage formats SQLAlchemy uses for SQLite."""
    cols = []
    for col in TABLES[table_name].columns:
        s = frame[col.name]
        if col.type in ("timestamp", "date"):
            s = _iso_text(s, col.type)
        elif col.type == "bool":
            s = s.astype("Int64")
        arr = np.array(s.tolist(), dtype=object)
        arr[s.isna().to_numpy()] = None
        cols.append(arr)
    return list(zip(*cols, strict=True))


def _postgres_csv(frame: pd.DataFrame, table_name: str) -> bytes:
    """The frame as headerless CSV for COPY, written by pyarrow (missing values as empty fields)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    cols = TABLES[table_name].column_names
    table = pa.Table.from_pandas(frame[cols], preserve_index=False)
    for col in TABLES[table_name].columns:
        if col.type == "date":
            i = table.schema.get_field_index(col.name)
            table = table.set_column(i, col.name, table.column(i).cast(pa.date32()))
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def _bulk_insert(conn: Connection, table_name: str, frame: pd.DataFrame, target: str) -> None:
    """COPY (PostgreSQL) or executemany (SQLite) the frame's contract columns into ``target``."""
    col_list = ", ".join(TABLES[table_name].column_names)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY {target} ({col_list}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(_postgres_csv(frame, table_name))
    else:
        placeholders = ", ".join("?" for _ in TABLES[table_name].columns)
        conn.exec_driver_sql(f"INSERT INTO {target} ({col_list}) VALUES ({placeholders})", _sqlite_values(frame, table_name))


def upsert_frame(conn: Connection, table_name: str, frame: pd.DataFrame) -> tuple[int, int, int]:
    """Merge ``frame`` into ``table_name``; returns (inserted, replaced, unchanged)."""
    table = TABLES[table_name]
    cols = table.column_names
    key = list(table.key)
    other = [c for c in cols if c not in key]
    dialect = conn.dialect.name
    col_list = ", ".join(cols)
    if conn.execute(text(f"SELECT 1 FROM {table_name} LIMIT 1")).first() is None:
        # First load: nothing to merge. Building the secondary indexes once after
        # the insert is much cheaper than maintaining them row by row.
        indexes = list(CONTRACT_MODELS[table_name].__table__.indexes)
        for index in indexes:
            index.drop(conn)
        _bulk_insert(conn, table_name, frame, table_name)
        for index in indexes:
            index.create(conn)
        return len(frame), 0, 0
    stage = f"stage_{table_name}"
    if dialect == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} (LIKE {table_name}) ON COMMIT DROP")
        same = "IS NOT DISTINCT FROM"
    else:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} AS SELECT {col_list} FROM main.{table_name} WHERE 0")
        same = "IS"
    _bulk_insert(conn, table_name, frame, stage)
    on_key = " AND ".join(f"t.{k} = s.{k}" for k in key)
    all_same = " AND ".join(f"t.{c} {same} s.{c}" for c in other) or "1=1"
    existing = conn.execute(text(f"SELECT count(*) FROM {stage} s JOIN {table_name} t ON {on_key}")).scalar_one()
    unchanged = conn.execute(
        text(f"SELECT count(*) FROM {stage} s JOIN {table_name} t ON {on_key} WHERE {all_same}")
    ).scalar_one()
    replaced = existing - unchanged
    if replaced:
        conn.execute(
            text(
                f"DELETE FROM {table_name} WHERE EXISTS (SELECT 1 FROM {stage} s WHERE "
                + " AND ".join(f"{table_name}.{k} = s.{k}" for k in key)
                + " AND NOT ("
                + (" AND ".join(f"{table_name}.{c} {same} s.{c}" for c in other) or "1=1")
                + "))"
            )
        )
    conn.execute(
        text(
            f"INSERT INTO {table_name} ({col_list}) SELECT {', '.join('s.' + c for c in cols)} FROM {stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table_name} t WHERE {on_key})"
        )
    )
    if dialect == "postgresql":
        conn.exec_driver_sql(f"DROP TABLE {stage}")
    else:
        conn.exec_driver_sql(f"DROP TABLE temp.{stage}")
    return len(frame) - existing, replaced, unchanged
