"""Backup and restore of the store, with a manifest that a restore is checked against.

The well-kept tools do the copying; this module only wraps them the same
way for both stores and checks the result:

* SQLite: the online backup API of Python's ``sqlite3`` (consistent while
  the app is running, WAL included) into ``naravard-<time>.sqlite3``;
  restoring copies the file back (the target file must not exist, or
  ``force``).
* PostgreSQL: ``pg_dump --format=custom`` into ``naravard-<time>.dump``
  and ``pg_restore --clean --if-exists --no-owner --single-transaction``
  (the client programs must match the server's major version or be newer).

Beside each backup lies ``<file>.manifest.json``: the schema revision
(Alembic), the number of rows of every table and the file's SHA-256. A
restore checks the file against the hash before it starts and the restored
store against the row counts afterwards, and says in Swedish what differs.

Command line (``docs/drift.md``)::

    python -m data_access.backup backup [--url URL] [--out var/backup]
    python -m data_access.backup restore FILE [--url URL] [--force]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from data_access.db import make_engine
from data_access.settings import PROJECT_ROOT, get_settings

DEFAULT_DIR = PROJECT_ROOT / "var" / "backup"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done or did not come out right (Swedish message)."""


@dataclass(frozen=True)
class Manifest:
    file: str
    sha256: str
    backend: str
    revision: str | None
    row_counts: dict[str, int]
    created_at: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("En SQLite-databas i minnet kan inte säkerhetskopieras.")
    return Path(path)


def _libpq_url(url: str) -> str:
    """The URL for pg_dump/pg_restore: no SQLAlchemy driver suffix."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _schema(engine: Engine) -> str | None:
    """The schema the tables live in, when it is not the default one (tests use one schema each)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        current = conn.execute(text("select current_schema()")).scalar_one()
    return None if current == "public" else current


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the store (every table, including the Alembic version table)."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {n: int(conn.execute(select(func.count()).select_from(table(n))).scalar_one()) for n in names}


def revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(cmd: list[str], what: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{what}: programmet {cmd[0]} finns inte (installera PostgreSQL-klienten).") from None
    if done.returncode != 0:
        raise BackupError(f"{what} misslyckades: {done.stderr.strip()[-500:]}")


def backup(url: str | None = None, out_dir: Path | str = DEFAULT_DIR, *, now: dt.datetime | None = None) -> Path:
    """Back the store up into ``out_dir``; returns the backup file (its manifest lies beside it)."""
    url = url or get_settings().database_url
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    engine = make_engine(url)
    try:
        counts, rev = row_counts(engine), revision(engine)
        if engine.dialect.name == "sqlite":
            target = out_dir / f"naravard-{stamp}.sqlite3"
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(target)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
        elif engine.dialect.name == "postgresql":
            target = out_dir / f"naravard-{stamp}.dump"
            cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
            schema = _schema(engine)
            if schema:
                cmd.append(f"--schema={schema}")
            _run([*cmd, _libpq_url(url)], "Säkerhetskopieringen")
        else:
            raise BackupError(f"Databastypen {engine.dialect.name} stöds inte.")
        # counts taken before the copy: the app may write meanwhile, so they are a floor, checked as equal
        # only when nothing wrote in between (documented in docs/drift.md)
        Manifest(file=target.name, sha256=_sha256(target), backend=engine.dialect.name, revision=rev,
                 row_counts=counts, created_at=dt.datetime.now().isoformat(timespec="seconds")).write(
            _manifest_path(target))
    finally:
        engine.dispose()
    return target


def _manifest_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + ".manifest.json")


def restore(backup_file: Path | str, url: str | None = None, *, force: bool = False) -> Manifest:
    """Restore ``backup_file`` into the store at ``url`` and check it against the manifest."""
    url = url or get_settings().database_url
    backup_file = Path(backup_file)
    manifest_file = _manifest_path(backup_file)
    if not backup_file.is_file() or not manifest_file.is_file():
        raise BackupError(f"Säkerhetskopian {backup_file} eller dess manifest {manifest_file.name} saknas.")
    manifest = Manifest.read(manifest_file)
    if _sha256(backup_file) != manifest.sha256:
        raise BackupError(f"Säkerhetskopian {backup_file.name} stämmer inte med sin kontrollsumma; den är skadad.")
    backend = make_url(url).get_backend_name()
    if backend != manifest.backend:
        raise BackupError(f"Säkerhetskopian är från {manifest.backend} och kan inte läsas in i {backend}.")
    if backend == "sqlite":
        target = _sqlite_path(url)
        if target.exists() and not force:
            raise BackupError(f"Databasen {target} finns redan; ange --force för att ersätta den.")
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        tmp = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup_file, tmp)
        os.replace(tmp, target)
    else:
        engine = make_engine(url)
        try:
            if row_counts(engine) and not force:
                raise BackupError("Databasen innehåller redan tabeller; ange --force för att ersätta dem.")
        finally:
            engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(backup_file)], "Återställningen")
    engine = make_engine(url)
    try:
        counts, rev = row_counts(engine), revision(engine)
    finally:
        engine.dispose()
    if rev != manifest.revision:
        raise BackupError(f"Schemaversionen efter återställningen är {rev}, säkerhetskopian har {manifest.revision}.")
    differs = {t: (manifest.row_counts.get(t), counts.get(t)) for t in set(counts) | set(manifest.row_counts)
               if counts.get(t) != manifest.row_counts.get(t)}
    if differs:
        lines = ", ".join(f"{t}: {a} i kopian, {b} efter återställningen" for t, (a, b) in sorted(differs.items()))
        raise BackupError(f"Återställningen gav andra antal rader: {lines}.")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.backup",
                                     description="Säkerhetskopiera och återställ databasen.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("backup", help="Säkerhetskopiera databasen.")
    b.add_argument("--url", help="Databas (standard: DATABASE_URL).")
    b.add_argument("--out", default=str(DEFAULT_DIR), help="Mapp för kopian (standard: var/backup).")
    r = sub.add_parser("restore", help="Återställ en säkerhetskopia och kontrollera den.")
    r.add_argument("file")
    r.add_argument("--url", help="Databas (standard: DATABASE_URL).")
    r.add_argument("--force", action="store_true", help="Ersätt en befintlig databas.")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            path = backup(args.url, args.out)
            print(f"Säkerhetskopian är sparad: {path}")
        else:
            m = restore(args.file, args.url, force=args.force)
            print(f"Återställd och kontrollerad: {sum(m.row_counts.values())} rader i {len(m.row_counts)} tabeller "
                  f"(schemaversion {m.revision}).")
    except BackupError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
