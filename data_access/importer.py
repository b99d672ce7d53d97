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

from data_access.access import SYSTEM, AccessContext, require
from data_access.contract import TABLES
from data_access.db import ensure_schema, get_engine
from data_access.files import ParsedTable, read_files
from data_access.models import CONTRACT_MODELS, ImportLog
from data_access.validation import ValidationFailed, ValidationIssue

Progress = Callable[[str, float], None]  # (Swedish step text, fraction 0–1)

# Rows per bulk-load chunk: the storing step reports progress after each chunk.
CHUNK_ROWS = 50_000
# Where the steps of an upload lie on the progress bar (fractions 0–1).
READ_SPAN, STORE_SPAN = (0.0, 0.4), (0.4, 0.85)


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
    access: AccessContext = SYSTEM,
) -> ImportResult:
    """Validate and store files. Returns the result; never raises for bad input.

    Only an administrator (or :data:`~data_access.access.SYSTEM`, the CLI)
    may import: anyone else gets :class:`~data_access.access.AccessDenied`.
    """
    require(access, "admin")
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
    result = store_tables(parsed, engine=engine, user=user, batch_id=batch, progress=progress)
    step("Klart", 1.0)
    return result


def store_tables(
    parsed: list[ParsedTable],
    *,
    engine: Engine,
    user: str,
    batch_id: str | None = None,
    progress: Progress | None = None,
    span: tuple[float, float] = (0.1, 0.9),
) -> ImportResult:
    """Upsert already validated tables, all in one transaction.

    ``progress`` is called after every bulk-loaded chunk of rows with a
    fraction that grows from ``span[0]`` to ``span[1]``.
    """
    step = progress or (lambda _text, _frac: None)
    result = ImportResult(batch_id or str(uuid.uuid4()))
    now = dt.datetime.now().replace(microsecond=0)
    total_rows = sum(len(p.frame) for p in parsed) or 1
    lo, hi = span
    done = 0
    with engine.begin() as conn:
        for item in parsed:
            step(f"Sparar {item.file_name}", lo + (hi - lo) * done / total_rows)

            def chunk_done(rows: int, _name=item.file_name, _start=done) -> None:
                step(f"Sparar {_name}", lo + (hi - lo) * (_start + rows) / total_rows)

            if progress is None:  # no one is watching: the plain call (one bulk load per table)
                counts = upsert_frame(conn, item.table, item.frame)
            else:
                counts = upsert_frame(conn, item.table, item.frame, on_chunk=chunk_done)
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
    step("Sparat", hi)
    return result


@dataclass
class UploadOutcome:
    """What an upload did: the import result and, if the store changed, the recompute summary."""

    result: ImportResult
    recomputed: str | None = None


def import_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    access: AccessContext,
    engine: Engine | None = None,
    progress: Progress | None = None,
    recompute: bool | None = None,
) -> UploadOutcome:
    """Import files held in memory (the upload page): read, validate, store, recompute.

    ``files`` are (file name, content) pairs; the name says which table a
    CSV holds, as on the command line. Only an administrator may import; the
    viewer's user name goes to ``import_log``. All or nothing: one invalid
    file rejects the whole upload and nothing is stored. ``progress`` gets
    (Swedish step, fraction) with fractions that never decrease: reading and
    validating file by file, storing chunk by chunk, then recomputing.
    After a change to any table but ``indicator_values`` the indicator table
    is recomputed (``recompute=None`` follows ``RECOMPUTE_AFTER_IMPORT``);
    values from elsewhere never enter the computation, so they need none.
    """
    import tempfile

    from data_access.files import expand_paths

    require(access, "admin")
    engine = engine or get_engine()
    ensure_schema(engine)
    step = _monotonic(progress)
    files = list(files)
    batch = str(uuid.uuid4())
    if not files:
        return UploadOutcome(ImportResult(batch, errors=[ValidationIssue("", None, None, "Inga filer valdes.")]))
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        paths = []
        for i, (name, content) in enumerate(files):
            folder = Path(tmp) / str(i)  # one folder per file: two uploads may share a name
            folder.mkdir()
            path = folder / (Path(name).name or f"fil{i}")
            path.write_bytes(content)
            paths.append(path)
        parsed: list[ParsedTable] = []
        errors: list[ValidationIssue] = []
        lo, hi = READ_SPAN
        for i, path in enumerate(paths):
            step(f"Läser och kontrollerar {path.name}", lo + (hi - lo) * i / len(paths))
            try:
                parsed.extend(read_files([path]))
            except ValidationFailed as failed:
                errors.extend(failed.errors)
        step("Filerna är kontrollerade", hi)
        if errors:
            _log_rejected(engine, batch, list(expand_paths(paths)), errors, access.user)
            step("Importen avvisades", 1.0)
            return UploadOutcome(ImportResult(batch, errors=errors))
        result = store_tables(parsed, engine=engine, user=access.user, batch_id=batch, progress=step,
                              span=STORE_SPAN)
    outcome = UploadOutcome(result)
    if recompute is None:
        from data_access.settings import get_settings

        recompute = get_settings().recompute_after_import
    if recompute and any(f.changed and f.table != "indicator_values" for f in result.files):
        from data_access.recompute import recompute_store

        step("Räknar om indikatorerna", STORE_SPAN[1])
        outcome.recomputed = recompute_store(engine=engine)
    step("Klart", 1.0)
    return outcome


def _monotonic(progress: Progress | None) -> Progress:
    """A progress callback whose fractions never go back (and stay within 0–1)."""
    if progress is None:
        return lambda _text, _frac: None
    last = [0.0]

    def step(text_: str, fraction: float) -> None:
        last[0] = min(1.0, max(last[0], fraction))
        progress(text_, last[0])

    return step


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


def _bulk_insert_chunks(
    conn: Connection, table_name: str, frame: pd.DataFrame, target: str, on_chunk: Callable[[int], None] | None
) -> None:
    """Bulk-load ``frame`` in chunks of :data:`CHUNK_ROWS`, reporting the rows loaded so far after each."""
    if on_chunk is None or len(frame) <= CHUNK_ROWS:
        _bulk_insert(conn, table_name, frame, target)
        if on_chunk is not None:
            on_chunk(len(frame))
        return
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        _bulk_insert(conn, table_name, part, target)
        on_chunk(start + len(part))


def upsert_frame(
    conn: Connection, table_name: str, frame: pd.DataFrame, *, on_chunk: Callable[[int], None] | None = None
) -> tuple[int, int, int]:
    """Merge ``frame`` into ``table_name``; returns (inserted, replaced, unchanged).

    ``on_chunk(rows_loaded)`` is called as the rows are bulk-loaded (the
    long part of a large import), so that callers can show progress.
    """
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
        _bulk_insert_chunks(conn, table_name, frame, table_name, on_chunk)
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
    _bulk_insert_chunks(conn, table_name, frame, stage, on_chunk)
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


def latest_import_id(*, engine: Engine | None = None) -> int:
    """The id of the newest ``import_log`` row (0 if none): a cache key that changes with every import."""
    from sqlalchemy import func, select

    engine = engine or get_engine()
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(ImportLog.id), 0))).scalar_one())
