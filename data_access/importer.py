"""Importing delivered files into the store: validate everything, then upsert in one transaction.

One import = one transaction. Either every file is valid and every row is
stored (rows with an existing key replace the stored row), or nothing is
stored. Each file is logged in ``import_log`` with its sha256 and row
counts: inserted, replaced, unchanged.

Bulk paths: ``COPY`` into a temporary staging table on PostgreSQL,
``executemany`` on SQLite, in chunks of :data:`CHUNK_ROWS`; the merge into the
real table then joins through the table's primary key (:func:`_upsert`). An
import that changes a table the indicators are computed from raises the
store's data version (``data_state``) in the same transaction.
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
from data_access.db import ensure_schema, get_engine, rows_frame
from data_access.files import ParsedTable, read_files
from data_access.models import CONTRACT_MODELS, DataState, ImportLog
from data_access.validation import ValidationFailed, ValidationIssue, municipality_name

Progress = Callable[[str, float], None]  # (Swedish step text, fraction 0–1)

# Rows per bulk-load chunk: the storing step reports progress after each chunk.
CHUNK_ROWS = 50_000
# Where the steps of an upload lie on the progress bar (fractions 0–1).
READ_SPAN, STORE_SPAN = (0.0, 0.4), (0.4, 0.85)


# Where upsert_frame leaves the Touched of its merge on the connection (Connection.info).
TOUCHED_INFO = "import_touched"
BY_MUNICIPALITY_INFO = "import_by_municipality"  # conn.info key: per-municipality counts of the last merge
DUPLICATES_INFO = "import_duplicates"  # conn.info key: (new id, stored id) pairs of the last merge
# What to do with possible duplicates (issue 22): new rows equal to a stored row in everything but the id.
# None: store nothing and ask; "import": store them too; "skip": store the rest.
DUPLICATE_CHOICES = ("import", "skip")
DUPLICATES_LISTED = 1000  # pairs kept for the report (all are counted)


class _DuplicatesFound(Exception):
    """Raised inside the import's transaction to undo it when possible duplicates need a choice."""
# Nullable date columns where an empty value means "still open" (still admitted, still enrolled).
OPEN_END_COLUMNS: dict[str, str] = {
    "hospital_stays": "discharge_time",
    "home_care_enrolments": "end_date",
    "short_term_stays": "end_date",
}


@dataclass
class Touched:
    """What an import changed in one table: enough for :func:`data_access.recompute.recompute_store` to
    recompute only the periods it can have affected.

    ``first_day``/``last_day`` span the changed calendar days: every date of an inserted row, and of a
    replaced row both versions' values of the date columns that changed (all its dates if a non-date
    column changed too). ``open_ended``: a changed row has an empty "still open" date
    (:data:`OPEN_END_COLUMNS`), so its reach runs to the end of the data. Population rows have no dates:
    1 January of the earliest touched year. ``municipalities_before``: the table's municipalities before
    the import (``None`` when the table was empty: a first load). ``person_ids``/``new_keys``/``old_rows``
    (tables with persons): who was touched, the keys of the new row versions and the old versions of
    replaced rows, so that person-level facts (birth year, sex) can be compared before and after.
    """

    table: str
    municipalities: frozenset[str] = frozenset()
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    open_ended: bool = False
    municipalities_before: frozenset[str] | None = None
    person_ids: frozenset[str] = frozenset()
    new_keys: frozenset[str] = frozenset()
    old_rows: pd.DataFrame | None = None

    @property
    def first_load(self) -> bool:
        return self.municipalities_before is None

    @property
    def empty(self) -> bool:
        return not self.municipalities and self.first_day is None and not self.open_ended

    def merge(self, other: Touched) -> Touched:
        """Both changes of the same table (two files of one import), the earlier one first."""
        old = [f for f in (self.old_rows, other.old_rows) if f is not None and len(f)]
        return Touched(
            self.table,
            self.municipalities | other.municipalities,
            _min_date(self.first_day, other.first_day),
            _max_date(self.last_day, other.last_day),
            self.open_ended or other.open_ended,
            self.municipalities_before,
            self.person_ids | other.person_ids,
            self.new_keys | other.new_keys,
            pd.concat(old, ignore_index=True) if old else None,
        )


def _min_date(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)


def _max_date(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class FileResult:
    file_name: str
    table: str
    sha256: str
    rows_in_file: int
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    touched: Touched | None = field(default=None, repr=False, compare=False)
    # municipality code → (new, replaced, unchanged) rows of this file
    by_municipality: dict[str, tuple[int, int, int]] = field(default_factory=dict, compare=False)
    # possible duplicates: (id in the file, id of the stored row it equals); and how many in all
    duplicates: list[tuple[str, str]] = field(default_factory=list, compare=False)
    n_duplicates: int = 0
    skipped: int = 0  # possible duplicates left out ("skip")

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.replaced)


@dataclass
class ImportResult:
    """``base_version``/``data_version``: the store's data version (``data_state``) before and after this
    import, set when it changed a table the indicators are computed from (else both None)."""

    batch_id: str
    files: list[FileResult] = field(default_factory=list)
    errors: list[ValidationIssue] = field(default_factory=list)
    base_version: int | None = None
    data_version: int | None = None
    dry_run: bool = False  # only counted: nothing was stored
    duplicates_pending: bool = False  # possible duplicates found and no choice given: nothing was stored

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        """Whether the import changed the store (a dry run: would change it; pending duplicates: no)."""
        return not self.duplicates_pending and any(f.changed for f in self.files)

    @property
    def touched(self) -> dict[str, Touched]:
        """Per changed table (``indicator_values`` left out: it never enters the computation)."""
        out: dict[str, Touched] = {}
        for f in self.files:
            if f.touched is None or not f.changed or f.table == "indicator_values":
                continue
            out[f.table] = out[f.table].merge(f.touched) if f.table in out else f.touched
        return out

    def summary(self) -> str:
        """A Swedish summary for the CLI and the upload page."""
        if not self.ok:
            return ValidationFailed(self.errors).report()
        lines = ["Provkörning: så här skulle importen ändra databasen. Ingenting har sparats."] if self.dry_run else []
        for f in self.files:
            if f.rows_in_file == 0:
                lines.append(f"{f.file_name} → {f.table}: 0 rader (bara rubrikrad), inget att läsa in.")
            elif f.changed:
                lines.append(
                    f"{f.file_name} → {f.table}: {f.inserted} nya, {f.replaced} ersatta, {f.unchanged} oförändrade rader."
                )
            else:
                lines.append(f"{f.file_name} → {f.table}: inga ändringar, alla {f.unchanged} rader fanns redan.")
            if self.dry_run and f.rows_in_file:
                for code, (new, replaced, unchanged) in f.by_municipality.items():
                    lines.append(f"    {municipality_name(code)} ({code}): {new} nya, {replaced} ersatta, "
                                 f"{unchanged} oförändrade")
        lines += self.duplicate_lines()
        if self.duplicates_pending:
            return "\n".join(lines)
        if not self.changed:
            lines.append(self.nothing_changed)
        return "\n".join(lines)

    def duplicate_lines(self) -> list[str]:
        """The possible duplicates in words (a warning, or why nothing was stored)."""
        lines = []
        for f in self.files:
            if not f.n_duplicates:
                continue
            pairs = ", ".join(f"{new} = {old}" for new, old in f.duplicates[:5])
            more = " …" if f.n_duplicates > 5 else ""
            one = f.n_duplicates == 1
            if f.skipped:
                done = " Raden hoppades över." if f.skipped == 1 else f" De {f.skipped} raderna hoppades över."
            elif not self.duplicates_pending and not self.dry_run:
                done = " Den importerades ändå." if one else " De importerades ändå."
            else:
                done = ""
            what = "1 ny rad är likadan som en sparad rad" if one else (
                f"{f.n_duplicates} nya rader är likadana som sparade rader")
            lines.append(
                f"Möjliga dubbletter i {f.file_name}: {what} i allt utom id:t (id i filen = sparat id: "
                f"{pairs}{more}).{done}"
            )
        if self.duplicates_pending:
            lines.append(
                "Ingenting har sparats. Välj vad som ska hända med dem: importera ändå "
                "(--duplicates import) eller hoppa över dem (--duplicates skip); på sidan Ladda upp data med "
                "knapparna under listan."
            )
        return lines

    @property
    def nothing_changed(self) -> str:
        """Why an import changed nothing (for the CLI and the upload page)."""
        if all(f.rows_in_file == 0 for f in self.files):
            return "Filerna har inga datarader (bara rubrikrad): ingenting ändrades."
        if self.dry_run:
            return "Samma data finns redan: importen skulle inte ändra något."
        return "Samma data var redan importerad: ingenting ändrades."


def import_paths(
    paths: Iterable[Path | str],
    *,
    engine: Engine | None = None,
    user: str = "cli",
    progress: Progress | None = None,
    access: AccessContext = SYSTEM,
    dry_run: bool = False,
    duplicates: str | None = None,
) -> ImportResult:
    """Validate and store files (``dry_run``: count what would change, store nothing; ``duplicates``: see
    :func:`store_tables`). Returns the result; never raises for bad input.

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
        if not dry_run:
            _log_rejected(engine, batch, paths, failed.errors, user)
        return ImportResult(batch, errors=failed.errors, dry_run=dry_run)
    result = store_tables(parsed, engine=engine, user=user, batch_id=batch, progress=progress, dry_run=dry_run,
                          duplicates=duplicates)
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
    dry_run: bool = False,
    duplicates: str | None = None,
) -> ImportResult:
    """Upsert already validated tables, all in one transaction.

    ``progress`` is called after every bulk-loaded chunk of rows with a
    fraction that grows from ``span[0]`` to ``span[1]``. ``dry_run``: the
    same comparison with the stored rows, counted per table and municipality,
    but no stored table is written — not even the import log or the data
    version (``ImportResult.dry_run``). Two files of one table are each
    compared with the store as it is (the real import would see the first).

    Possible duplicates (issue 22) are new rows of a table with persons that
    equal a stored row in every column but the id (same person, same time,
    same unit …). ``duplicates=None``: if there are any, nothing is stored
    and ``duplicates_pending`` asks for a choice; ``"import"``: stored like
    the rest; ``"skip"``: left out. Each file lists them either way.
    """
    if duplicates is not None and duplicates not in DUPLICATE_CHOICES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_CHOICES} or None, not {duplicates!r}")
    step = progress or (lambda _text, _frac: None)
    result = ImportResult(batch_id or str(uuid.uuid4()))
    now = dt.datetime.now().replace(microsecond=0)
    total_rows = sum(len(p.frame) for p in parsed) or 1
    lo, hi = span
    result.dry_run = dry_run
    try:
        _store_all(parsed, engine, user, result, step, lo, hi, total_rows, now, dry_run, duplicates,
                   watched=progress is not None)
    except _DuplicatesFound:  # the transaction is undone: nothing stored
        result.duplicates_pending = True
        result.base_version = result.data_version = None
        return result
    step("Sparat", hi)
    return result


def _store_all(parsed, engine, user, result, step, lo, hi, total_rows, now, dry_run, duplicates, *,
               watched: bool) -> None:
    """The transaction of :func:`store_tables` (raises :class:`_DuplicatesFound` to undo it)."""
    done = 0
    with engine.begin() as conn:  # a dry run writes only its temporary tables (see _upsert)
        for item in parsed:
            step(f"{'Provkör' if dry_run else 'Sparar'} {item.file_name}", lo + (hi - lo) * done / total_rows)

            def chunk_done(rows: int, _name=item.file_name, _start=done) -> None:
                step(f"Sparar {_name}", lo + (hi - lo) * (_start + rows) / total_rows)

            conn.info.pop(TOUCHED_INFO, None)
            extra: dict = {"dry_run": True} if dry_run else {}
            if duplicates is not None:
                extra["duplicates"] = duplicates
            if not watched:  # no one is watching: the plain call (one bulk load per table)
                counts = upsert_frame(conn, item.table, item.frame, **extra)
            else:
                counts = upsert_frame(conn, item.table, item.frame, on_chunk=chunk_done, **extra)
            done += len(item.frame)
            fr = FileResult(item.file_name, item.table, item.sha256, len(item.frame), *counts,
                            touched=conn.info.pop(TOUCHED_INFO, None),
                            by_municipality=conn.info.pop(BY_MUNICIPALITY_INFO, {}))
            found, total, skipped = conn.info.pop(DUPLICATES_INFO, ([], 0, 0))
            fr.duplicates, fr.n_duplicates, fr.skipped = found, total, skipped
            result.files.append(fr)
            if dry_run:
                continue
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
        if not dry_run and any(f.changed and f.table != "indicator_values" for f in result.files):
            # a table the indicators are computed from changed: the stored results are behind from now on
            result.base_version, result.data_version = bump_data_version(conn)
        if duplicates is None and not dry_run and any(f.n_duplicates for f in result.files):
            raise _DuplicatesFound


def bump_data_version(conn: Connection) -> tuple[int, int]:
    """Raise the store's data version by one inside the import's transaction; (before, after).

    The row lock (PostgreSQL) or the write lock (SQLite) orders concurrent imports, so each gets
    its own version.
    """
    from sqlalchemy import select, update

    now = dt.datetime.now().replace(microsecond=0)
    done = conn.execute(
        update(DataState).where(DataState.id == 1).values(data_version=DataState.data_version + 1,
                                                           data_changed_at=now)
    )
    if done.rowcount == 0:  # the row the migration seeds is gone: start again from the results' zero
        conn.execute(insert(DataState), {"id": 1, "data_version": 1, "results_version": 0, "data_changed_at": now})
    after = conn.execute(select(DataState.data_version).where(DataState.id == 1)).scalar_one()
    return after - 1, after


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
    dry_run: bool = False,
    duplicates: str | None = None,
) -> UploadOutcome:
    """Import files held in memory (the upload page): read, validate, store, recompute.

    ``dry_run``: read, validate and count what would change (per table and municipality), then roll
    back: nothing is stored, logged or recomputed. ``duplicates``: as for :func:`store_tables`.

    ``files`` are (file name, content) pairs; the name says which table a
    CSV holds, as on the command line. Only an administrator may import; the
    viewer's user name goes to ``import_log``. All or nothing: one invalid
    file rejects the whole upload and nothing is stored. ``progress`` gets
    (Swedish step, fraction) with fractions that never decrease: reading and
    validating file by file, storing chunk by chunk, then recomputing.
    After a change to any table but ``indicator_values`` the indicator table
    is recomputed (``recompute=None`` follows ``RECOMPUTE_AFTER_IMPORT``);
    values from elsewhere never enter the computation, so they need none.
    An upload that changes nothing still recomputes when the stored results
    are behind the data (an earlier recompute was killed).
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
            if not dry_run:
                _log_rejected(engine, batch, list(expand_paths(paths)), errors, access.user)
            step("Importen avvisades", 1.0)
            return UploadOutcome(ImportResult(batch, errors=errors, dry_run=dry_run))
        result = store_tables(parsed, engine=engine, user=access.user, batch_id=batch, progress=step,
                              span=STORE_SPAN, dry_run=dry_run, duplicates=duplicates)
    outcome = UploadOutcome(result)
    if dry_run:
        step("Klart", 1.0)
        return outcome
    if recompute is None:
        from data_access.settings import get_settings

        recompute = get_settings().recompute_after_import
    if recompute:
        from data_access.recompute import finish_recompute, recompute_store, results_state

        if result.data_version is not None:  # a table the indicators are computed from changed
            step("Räknar om indikatorerna", STORE_SPAN[1])
            outcome.recomputed = recompute_store(engine=engine, touched=result.touched,
                                                 data_versions=(result.base_version, result.data_version))
        elif results_state(engine=engine).behind:  # an earlier import's recompute was killed: finish it now
            step("Räknar om indikatorerna", STORE_SPAN[1])
            outcome.recomputed = finish_recompute(engine=engine)
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


def _iso_text(s: pd.Series, kind: str) -> np.ndarray:
    """Datetimes as the text SQLAlchemy stores on SQLite, as Python strings (None for NaT); vectorised."""
    values = s.to_numpy(dtype="datetime64[us]")
    if kind == "date":
        text_values = np.datetime_as_string(values, unit="D")
    else:  # "YYYY-MM-DDTHH:MM:SS.ffffff" with a space for the T, written into the fixed-width buffer
        text_values = np.datetime_as_string(values, unit="us")
        text_values.view(np.uint32).reshape(len(text_values), -1)[:, 10] = ord(" ")
    out = text_values.astype(object)
    out[np.isnat(values)] = None
    return out


def _sqlite_values(frame: pd.DataFrame, table_name: str) -> list[tuple]:
    """Rows as tuples of Python values in the storage formats SQLAlchemy uses for SQLite."""
    cols = []
    for col in TABLES[table_name].columns:
        s = frame[col.name]
        if col.type in ("timestamp", "date"):
            cols.append(_iso_text(s, col.type))
            continue
        if col.type == "bool":
            s = s.astype("Int64")
        cols.append(s.to_numpy(dtype=object, na_value=None))
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
    """Bulk-load ``frame`` in chunks of :data:`CHUNK_ROWS`, reporting the rows loaded so far after each.

    Always in chunks, watched or not: the driver's values (tuples on SQLite, CSV text for ``COPY``)
    exist for one chunk at a time, so memory does not grow with the file.
    """
    for start in range(0, max(len(frame), 1), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        if len(part):
            _bulk_insert(conn, table_name, part, target)
        if on_chunk is not None:
            on_chunk(start + len(part))


def upsert_frame(
    conn: Connection,
    table_name: str,
    frame: pd.DataFrame,
    *,
    on_chunk: Callable[[int], None] | None = None,
    touched: list[Touched] | None = None,
    dry_run: bool = False,
    duplicates: str | None = None,
) -> tuple[int, int, int]:
    """Merge ``frame`` into ``table_name``; returns (inserted, replaced, unchanged).

    Possible duplicates (new rows equal to a stored row but for the id) are left in
    ``conn.info[DUPLICATES_INFO]``; ``duplicates="skip"`` leaves them out of the merge.

    ``dry_run``: count only — the stored table is never written (nor its indexes dropped), whatever
    the driver does with DDL inside a transaction; only the temporary staging tables come and go.

    ``on_chunk(rows_loaded)`` is called as the rows are bulk-loaded (the
    long part of a large import), so that callers can show progress.
    The :class:`Touched` of this merge (found in SQL against the staging
    table, before the merge) is appended to ``touched`` if given, and left in
    ``conn.info[TOUCHED_INFO]`` for :func:`store_tables`.
    """
    found: list[Touched] = []
    counts = _upsert(conn, table_name, frame, on_chunk, found, dry_run, duplicates)
    if found:
        conn.info[TOUCHED_INFO] = found[0]
        if touched is not None:
            touched.append(found[0])
    return counts


def _upsert(
    conn: Connection, table_name: str, frame: pd.DataFrame, on_chunk: Callable[[int], None] | None, touched: list,
    dry_run: bool = False, duplicates: str | None = None,
) -> tuple[int, int, int]:
    """The merge (``docs/data-import.md``, "How the merge runs"): every lookup goes through an index.

    1. The rows are bulk-loaded, chunk by chunk, into a temporary staging table: on SQLite keyed
       and ``WITHOUT ROWID`` (its rows lie in key order whatever the file's order), on PostgreSQL
       analysed after the load.
    2. One pass over the staging table, looking each key up in the stored table's primary key,
       copies the rows that are new or differ into a second temporary table (``changes``, flagged
       ``replaces`` when a stored row has the key); the counts follow from its size.
    3. What the merge touches (:class:`Touched`) is read from ``changes`` joined with the stored
       rows, before anything is written.
    4. Replaced rows are updated in place through the primary key; new rows are inserted from
       ``changes``. Rows equal to the stored ones are never rewritten.

    Before, the replaced rows were deleted by a correlated ``EXISTS`` over an unindexed staging
    table: on SQLite one scan of it per stored row (minutes to hours at region scale).
    """
    table = TABLES[table_name]
    cols = table.column_names
    key = list(table.key)
    other = [c for c in cols if c not in key]
    dialect = conn.dialect.name
    col_list = ", ".join(cols)
    empty = conn.execute(text(f"SELECT 1 FROM {table_name} LIMIT 1")).first() is None
    if empty and dry_run:
        conn.info[BY_MUNICIPALITY_INFO] = _by_municipality(frame, None)  # every row would be new
        return len(frame), 0, 0
    if empty:
        # First load: nothing to merge. Building the secondary indexes once after
        # the insert is much cheaper than maintaining them row by row.
        indexes = list(CONTRACT_MODELS[table_name].__table__.indexes)
        if dialect == "sqlite" and indexes:
            # SQLite's Python driver opens the transaction only before INSERT/UPDATE/DELETE: a DROP INDEX
            # first would run outside it and stay done if the import then failed (the table would lose its
            # indexes). A statement that changes nothing opens it now.
            conn.exec_driver_sql(f"DELETE FROM {table_name} WHERE 0 = 1")
        for index in indexes:
            index.drop(conn)
        _bulk_insert_chunks(conn, table_name, frame, table_name, on_chunk)
        for index in indexes:
            index.create(conn)
        touched.append(_touched_first_load(table_name, frame))
        conn.info[BY_MUNICIPALITY_INFO] = _by_municipality(frame, None)
        return len(frame), 0, 0
    stage, changes = f"stage_{table_name}", f"changes_{table_name}"
    key_list = ", ".join(key)
    if dialect == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} (LIKE {table_name}) ON COMMIT DROP")
        same, temp_prefix, on_commit = "IS NOT DISTINCT FROM", "", " ON COMMIT DROP"
    else:
        # Keyed and WITHOUT ROWID: the rows lie in key order, whatever the order of the file, so the
        # pass below looks the stored rows up in the order of their primary key (pages read once).
        conn.exec_driver_sql("PRAGMA temp.cache_size = -131072")
        # A rolled-back import (a failure, or possible duplicates awaiting a choice) undid the DROP of its
        # temporary tables on this pooled connection, not their creation: clear them first.
        for name in (changes, stage):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{name}")
        model_cols = CONTRACT_MODELS[table_name].__table__.columns
        defs = ", ".join(f"{c} {model_cols[c].type.compile(dialect=conn.dialect)}" for c in cols)
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} ({defs}, PRIMARY KEY ({', '.join(key)})) WITHOUT ROWID")
        same, temp_prefix, on_commit = "IS", "temp.", ""
    _bulk_insert_chunks(conn, table_name, frame, stage, on_chunk)
    if dialect == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {stage}")  # temporary tables are never analysed automatically
    on_key = " AND ".join(f"t.{k} = s.{k}" for k in key)
    all_same = " AND ".join(f"t.{c} {same} s.{c}" for c in other) or "1=1"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {changes}{on_commit} AS "
        f"SELECT {', '.join('s.' + c for c in cols)}, CASE WHEN t.{key[0]} IS NULL THEN 0 ELSE 1 END AS replaces "
        f"FROM {stage} s LEFT JOIN {table_name} t ON {on_key} WHERE t.{key[0]} IS NULL OR NOT ({all_same})"
    )
    if dialect == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {changes}")
    skipped = 0
    if table.person_column is not None:
        pairs, n_dups = _possible_duplicates(conn, table_name, changes, same)
        if n_dups and duplicates == "skip":
            skipped = conn.exec_driver_sql(
                f"DELETE FROM {changes} WHERE replaces = 0 AND EXISTS (SELECT 1 FROM {table_name} t WHERE "
                + _equal_but_id(table_name, "t", changes, same) + ")"
            ).rowcount
        conn.info[DUPLICATES_INFO] = (pairs, n_dups, skipped)
    changed, replaced = conn.execute(text(f"SELECT count(*), coalesce(sum(replaces), 0) FROM {changes}")).one()
    changed, replaced = int(changed), int(replaced)
    unchanged = len(frame) - changed - skipped
    per_muni = conn.execute(text(
        f"SELECT municipality_code, count(*), coalesce(sum(replaces), 0) FROM {changes} GROUP BY municipality_code"
    )).all()  # fmt: skip
    conn.info[BY_MUNICIPALITY_INFO] = _by_municipality(frame, {str(m): (int(n), int(r)) for m, n, r in per_muni})
    if changed and not dry_run:
        touched.append(_touched_merge(conn, table_name, changes, replaced))
        if replaced:  # in place: the key and the indexes of unchanged columns stay as they are
            if dialect == "postgresql":
                conn.exec_driver_sql(
                    f"UPDATE {table_name} AS t SET {', '.join(f'{c} = n.{c}' for c in other)} FROM {changes} n "
                    f"WHERE {' AND '.join(f't.{k} = n.{k}' for k in key)} AND n.replaces = 1"
                )
            else:
                conn.exec_driver_sql(f"CREATE INDEX temp.ix_{changes} ON {changes} ({key_list})")
                wanted = f"({key_list})" if len(key) > 1 else key_list
                conn.exec_driver_sql(
                    f"UPDATE {table_name} SET ({', '.join(other)}) = (SELECT {', '.join('n.' + c for c in other)} "
                    f"FROM {changes} n WHERE {' AND '.join(f'n.{k} = {table_name}.{k}' for k in key)}) "
                    f"WHERE {wanted} IN (SELECT {key_list} FROM {changes} WHERE replaces = 1)"
                )
        if replaced < changed:
            conn.exec_driver_sql(
                f"INSERT INTO {table_name} ({col_list}) SELECT {col_list} FROM {changes} WHERE replaces = 0"
            )
    for name in (changes, stage):
        conn.exec_driver_sql(f"DROP TABLE {temp_prefix}{name}")
    return changed - replaced, replaced, unchanged


def _equal_but_id(table_name: str, stored: str, new: str, same: str) -> str:
    """SQL: the stored row ``stored`` equals the new row ``new`` in every column but the id (NULL-safe)."""
    table = TABLES[table_name]
    person = table.person_column
    others = [c for c in table.column_names if c not in table.key]
    return f"{stored}.{person} = {new}.{person} AND " + " AND ".join(f"{stored}.{c} {same} {new}.{c}" for c in others)


def _possible_duplicates(conn: Connection, table_name: str, changes: str, same: str) -> tuple[list[tuple[str, str]], int]:
    """(new id, stored id) pairs of the new rows that equal a stored row but for the id (the first
    :data:`DUPLICATES_LISTED`), and how many new rows do."""
    key = TABLES[table_name].key[0]
    match = _equal_but_id(table_name, "t", "n", same)
    joined = f"FROM {changes} n JOIN {table_name} t ON {match} WHERE n.replaces = 0"
    total = conn.exec_driver_sql(f"SELECT count(DISTINCT n.{key}) {joined}").scalar_one()
    if not total:
        return [], 0
    rows = conn.exec_driver_sql(
        f"SELECT n.{key}, t.{key} {joined} ORDER BY n.{key}, t.{key} LIMIT {DUPLICATES_LISTED}"
    ).all()
    return [(str(a), str(b)) for a, b in rows], int(total)


def _by_municipality(frame: pd.DataFrame, changed: dict[str, tuple[int, int]] | None) -> dict[str, tuple[int, int, int]]:
    """(new, replaced, unchanged) per municipality: ``changed`` maps a code to (changed, replaced) rows
    (None: a first load, every row new)."""
    rows = frame["municipality_code"].astype(str).value_counts().to_dict()
    out = {}
    for code, n in sorted(rows.items()):
        changed_n, replaced_n = (int(n), 0) if changed is None else changed.get(code, (0, 0))
        out[code] = (changed_n - replaced_n, replaced_n, int(n) - changed_n)
    return out


def _day(value) -> dt.date | None:
    """A stored date/timestamp (text on SQLite, date/datetime on PostgreSQL) as a calendar day."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _date_columns(table_name: str) -> list[str]:
    return [c.name for c in TABLES[table_name].columns if c.type in ("date", "timestamp")]


def _touched_first_load(table_name: str, frame: pd.DataFrame) -> Touched:
    """Every row is new (the table was empty): a first load, which the recompute treats as a full change."""
    first, last, open_ended = _frame_days(table_name, frame)
    person = TABLES[table_name].person_column
    return Touched(
        table_name,
        frozenset(frame["municipality_code"].dropna().astype(str).unique().tolist()),
        first,
        last,
        open_ended,
        None,
        frozenset(frame[person].dropna().astype(str).unique().tolist()) if person else frozenset(),
    )


def _frame_days(table_name: str, frame: pd.DataFrame) -> tuple[dt.date | None, dt.date | None, bool]:
    """(first, last) calendar day over the date columns (population: 1 January of the years), and open ends."""
    if len(frame) == 0:
        return None, None, False
    if table_name == "population":
        years = pd.to_numeric(frame["year"], errors="coerce").dropna()
        if years.empty:
            return None, None, False
        return dt.date(int(years.min()), 1, 1), dt.date(int(years.max()), 12, 31), False
    lo = hi = None
    for col in _date_columns(table_name):
        if col not in frame.columns:
            continue
        values = pd.to_datetime(frame[col], errors="coerce")
        if values.notna().any():
            lo = _min_date(lo, values.min().date())
            hi = _max_date(hi, values.max().date())
    open_col = OPEN_END_COLUMNS.get(table_name)
    open_ended = bool(open_col in frame.columns and frame[open_col].isna().any()) if open_col else False
    return lo, hi, open_ended


def _touched_merge(conn: Connection, table_name: str, changes: str, replaced: int) -> Touched:
    """What the merge of ``changes`` into ``table_name`` will change; run before the merge, in SQL.

    A new row (``replaces = 0``) counts with all of its dates, municipality and person. A replaced
    row counts with both versions: both municipalities and persons, and both values of every date
    column that changed (of all its date columns if a column that is no date changed too); an
    empty "still open" date on either side of a counted column makes the change open-ended. Only
    the old versions of replaced rows of tables with persons are fetched (the incremental recompute
    compares the persons' birth year and sex before and after).
    """
    table = TABLES[table_name]
    if table_name == "indicator_values":  # values from elsewhere never enter the computation
        return Touched(table_name)
    cols = table.column_names
    key = list(table.key)
    dates = _date_columns(table_name)
    person = table.person_column
    open_col = OPEN_END_COLUMNS.get(table_name)
    same = "IS NOT DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS"
    new = f"FROM {changes} n WHERE n.replaces = 0"
    old = f"FROM {changes} n JOIN {table_name} t ON {' AND '.join(f't.{k} = n.{k}' for k in key)} WHERE n.replaces = 1"
    lo = hi = None
    open_ended = False
    if table_name == "population":
        years = [conn.execute(text(f"SELECT min(n.year), max(n.year) {new}")).one()]
        if replaced:
            years.append(conn.execute(text(f"SELECT min(t.year), max(t.year), min(n.year), max(n.year) {old}")).one())
        for row in years:
            for first, last in zip(row[::2], row[1::2], strict=True):
                if first is not None:
                    lo, hi = _min_date(lo, dt.date(int(first), 1, 1)), _max_date(hi, dt.date(int(last), 12, 31))
    else:
        aggregates = [f"min(n.{c}), max(n.{c})" for c in dates]
        if open_col:
            aggregates.append(f"sum(CASE WHEN n.{open_col} IS NULL THEN 1 ELSE 0 END)")
        row = conn.execute(text(f"SELECT {', '.join(aggregates)} {new}")).one()
        for i in range(len(dates)):
            lo, hi = _min_date(lo, _day(row[2 * i])), _max_date(hi, _day(row[2 * i + 1]))
        open_ended = bool(open_col and row[-1])
        if replaced:
            others = [c for c in cols if c not in dates and c not in key]
            other_changed = "NOT (" + " AND ".join(f"t.{c} {same} n.{c}" for c in others) + ")" if others else "1=0"
            counted = {c: f"({other_changed} OR NOT (t.{c} {same} n.{c}))" for c in dates}
            aggregates = [
                f"{f}(CASE WHEN {counted[c]} THEN {v}.{c} END)" for c in dates for v in ("t", "n") for f in ("min", "max")
            ]
            if open_col:
                aggregates.append(
                    f"sum(CASE WHEN {counted[open_col]} AND (t.{open_col} IS NULL OR n.{open_col} IS NULL) THEN 1 ELSE 0 END)"
                )
            row = conn.execute(text(f"SELECT {', '.join(aggregates)} {old}")).one()
            for i in range(2 * len(dates)):
                lo, hi = _min_date(lo, _day(row[2 * i])), _max_date(hi, _day(row[2 * i + 1]))
            open_ended = open_ended or bool(open_col and row[-1])
    munis = {r[0] for r in _fetch(conn, f"SELECT DISTINCT n.municipality_code FROM {changes} n")}
    persons: set[str] = set()
    new_keys: set[str] = set()
    old_rows = None
    if person:
        persons = {r[0] for r in _fetch(conn, f"SELECT DISTINCT n.{person} FROM {changes} n")}
        if len(key) == 1:
            new_keys = {r[0] for r in _fetch(conn, f"SELECT n.{key[0]} FROM {changes} n")}
    if replaced and person:  # one pass: the old versions, their municipalities and persons
        old_rows = rows_frame(_fetch(conn, f"SELECT {', '.join('t.' + c for c in cols)} {old}"), cols)
        munis.update(old_rows["municipality_code"].dropna().unique().tolist())
        persons.update(old_rows[person].dropna().unique().tolist())
    elif replaced:
        munis |= {r[0] for r in _fetch(conn, f"SELECT DISTINCT t.municipality_code {old}")}
    before = {r[0] for r in _fetch(conn, f"SELECT DISTINCT municipality_code FROM {table_name}")}
    return Touched(
        table_name,
        frozenset(str(m) for m in munis if m is not None),
        lo,
        hi,
        open_ended,
        frozenset(str(m) for m in before),
        frozenset(str(p) for p in persons if p is not None),
        frozenset(str(k) for k in new_keys),
        old_rows,
    )


def _fetch(conn: Connection, sql: str) -> list[tuple]:
    """All rows of ``sql`` as plain tuples from the DBAPI cursor, inside the connection's transaction
    (no per-row result objects: the old versions of a large replacing delivery are many)."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def latest_import_id(*, engine: Engine | None = None) -> int:
    """The id of the newest ``import_log`` row (0 if none): a cache key that changes with every import."""
    from sqlalchemy import func, select

    engine = engine or get_engine()
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(ImportLog.id), 0))).scalar_one())
