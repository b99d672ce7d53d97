"""Backup and restore of the store on SQLite and PostgreSQL: the round trip, the manifest checks, refusals."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import quote

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from data_access import backup as bk
from data_access.db import make_engine, upgrade
from data_access.importer import import_paths
from data_access.recompute import recompute_store
from tests.conftest import PG_URL, ROOT, need_postgres

SMALL = [ROOT / "sample_data" / "default" / name for name in ("population.csv", "sip.csv", "indicator_values.csv")]
NOW = dt.datetime(2026, 11, 25, 3, 0, 0)


def fill(url: str, *, recompute: bool = True) -> pd.DataFrame:
    """Migrate, import a few sample files and (for the round trips) recompute; returns the stored results."""
    engine = make_engine(url)
    upgrade(engine)
    assert import_paths(SMALL, engine=engine).ok
    if recompute:
        recompute_store(engine=engine)
    results = stored_results(engine)
    engine.dispose()
    return results


def stored_results(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(text("select * from indicator_results"), conn)
    return frame.sort_values(["indicator_id", "municipality_code", "sex", "period_type", "period"]).reset_index(
        drop=True)


@pytest.fixture
def pg_database():
    """A database of its own (restore targets a whole database), dropped afterwards."""
    need_postgres()
    name = f"naravard_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_sqlite_round_trip_restores_every_row(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    before = fill(url)
    path = bk.backup(url, tmp_path / "backup", now=NOW)
    assert path.name == "naravard-20261125-030000.sqlite3"
    manifest = json.loads((tmp_path / "backup" / (path.name + ".manifest.json")).read_text())
    assert manifest["backend"] == "sqlite" and manifest["row_counts"]["population"] > 0
    assert manifest["row_counts"]["indicator_results"] == len(before)

    target = f"sqlite:///{tmp_path / 'restored' / 'naravard.db'}"
    restored = bk.restore(path, target)
    assert restored.revision == manifest["revision"]
    engine = make_engine(target)
    pd.testing.assert_frame_equal(stored_results(engine), before)
    engine.dispose()


def test_sqlite_restore_refuses_to_overwrite_and_a_damaged_copy(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    fill(url, recompute=False)
    path = bk.backup(url, tmp_path / "backup", now=NOW)
    with pytest.raises(bk.BackupError, match="finns redan; ange --force"):
        bk.restore(path, url)
    bk.restore(path, url, force=True)  # with --force it replaces the live file

    with path.open("r+b") as f:  # one byte changed
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(bk.BackupError, match="kontrollsumma"):
        bk.restore(path, f"sqlite:///{tmp_path / 'other.db'}")


def test_restore_notices_rows_that_differ_from_the_manifest(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    fill(url, recompute=False)
    path = bk.backup(url, tmp_path / "backup", now=NOW)
    manifest_path = path.with_name(path.name + ".manifest.json")
    manifest = json.loads(manifest_path.read_text())
    manifest["row_counts"]["population"] += 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(bk.BackupError, match=r"population: \d+ i kopian, \d+ efter återställningen"):
        bk.restore(path, f"sqlite:///{tmp_path / 'other.db'}")


def test_postgresql_round_trip_into_another_database(pg_database, tmp_path):
    schema = f"t_{uuid.uuid4().hex[:12]}"
    options = "?options=" + quote(f"-csearch_path={schema}")
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        before = fill(PG_URL + options)
        path = bk.backup(PG_URL + options, tmp_path, now=NOW)
        assert path.suffix == ".dump"
        target = pg_database + options
        bk.restore(path, target)
        engine = make_engine(target)
        pd.testing.assert_frame_equal(stored_results(engine), before)
        engine.dispose()
        with pytest.raises(bk.BackupError, match="innehåller redan tabeller"):
            bk.restore(path, target)
        bk.restore(path, target, force=True)  # again over itself: same rows
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_backends_do_not_mix(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    fill(url, recompute=False)
    path = bk.backup(url, tmp_path / "backup", now=NOW)
    with pytest.raises(bk.BackupError, match="från sqlite och kan inte läsas in i postgresql"):
        bk.restore(path, "postgresql+psycopg://postgres@127.0.0.1:5432/none")


def test_command_line_reports_in_swedish(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    fill(url, recompute=False)
    assert bk.main(["backup", "--url", url, "--out", str(tmp_path / "b")]) == 0
    path = next((tmp_path / "b").glob("*.sqlite3"))
    assert bk.main(["restore", str(path), "--url", url]) == 1
    assert "Fel: Databasen" in capsys.readouterr().err
    assert bk.main(["restore", str(path), "--url", f"sqlite:///{tmp_path / 'ny.db'}"]) == 0
    assert "Återställd och kontrollerad" in capsys.readouterr().out
