"""A killed recompute (issue 21, item 4): the results carry the data version they were computed from,
say when they are behind, and the next import or start finishes the recompute (SQLite and PostgreSQL).

The data: Bollebygd's population and hospital stays from the sample (a recompute takes seconds).
A kill is simulated in two ways: the write of the results raises before its commit (in-process),
and a real SIGKILL of a process that is writing them.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select, text, update

from data_access import recompute
from data_access.access import SYSTEM
from data_access.db import get_engine, upgrade
from data_access.importer import import_paths, import_uploads
from data_access.models import DataState, ImportLog, IndicatorResult
from data_access.recompute import (
    ResultsState,
    catch_up_in_background,
    finish_recompute,
    recompute_running,
    recompute_store,
    results_state,
)
from data_access.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "default"
MUNI = "1443"
INCREMENTAL = "bara perioder från"


def _sample(name: str) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
    return frame[frame["municipality_code"] == MUNI].reset_index(drop=True)


@pytest.fixture
def deliveries(tmp_path) -> dict[str, Path]:
    """``first``: population and the stays admitted before July 2026; ``more``: all stays (new months);
    ``pop1``…``pop3``: population with 2026 raised by 10, 20, 30."""
    out = {}
    stays = _sample("hospital_stays")
    population = _sample("population")
    for name, frames in {
        "first": {"population": population, "hospital_stays": stays[stays["admission_time"] < "2026-07-01"]},
        "more": {"hospital_stays": stays},
        **{f"pop{i}": {"population": population.assign(population=[
            str(int(p) + 10 * i) if y == "2026" else p for p, y in zip(population["population"], population["year"],
                                                                          strict=True)])} for i in (1, 2, 3)},
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        for table, frame in frames.items():
            frame.to_csv(folder / f"{table}.csv", index=False)
        out[name] = folder
    return out


def stored_results(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = pd.read_sql(select(IndicatorResult.__table__), conn)
    return frame.drop(columns="computed_at").sort_values(
        ["indicator_id", "municipality_code", "sex", "period_type", "period"]).reset_index(drop=True)


def versions(engine) -> tuple[int, int]:
    state = results_state(engine=engine)
    return state.data_version, state.results_version


def kill_the_write(monkeypatch) -> None:
    """The recompute dies after computing, while writing: nothing of its transaction is committed."""

    def killed(conn, frame):
        raise RuntimeError("killed (simulated)")

    monkeypatch.setattr(recompute, "insert_results", killed)


def import_without_recompute(engine, folder: Path):
    result = import_paths([folder], engine=engine)
    assert result.ok and result.changed, result.summary()
    return result


def test_a_killed_recompute_is_behind_until_a_reimport_of_the_same_data_finishes_it(store, deliveries, monkeypatch):
    import_without_recompute(store, deliveries["first"])
    assert versions(store) == (1, 0) and results_state(engine=store).behind
    recompute_store(engine=store)
    assert versions(store) == (1, 1)
    before = stored_results(store)

    more = import_without_recompute(store, deliveries["more"])
    assert (more.base_version, more.data_version) == (1, 2)
    with monkeypatch.context() as m:
        kill_the_write(m)
        with pytest.raises(RuntimeError, match="killed"):
            recompute_store(engine=store, touched=more.touched, data_versions=(1, 2))
    assert versions(store) == (2, 1) and results_state(engine=store).behind
    pd.testing.assert_frame_equal(stored_results(store), before)  # the old results, untouched

    files = [("hospital_stays.csv", (deliveries["more"] / "hospital_stays.csv").read_bytes())]
    again = import_uploads(files, access=SYSTEM, engine=store, recompute=True)
    assert not again.result.changed and "Samma data var redan importerad" in again.result.summary()
    assert again.recomputed and again.recomputed.startswith("Indikatorerna låg efter datan")
    assert versions(store) == (2, 2) and not results_state(engine=store).behind
    finished = stored_results(store)
    assert not finished.equals(before)  # the new months are in
    recompute_store(engine=store)
    pd.testing.assert_frame_equal(stored_results(store), finished)  # exactly a full recompute
    assert import_uploads(files, access=SYSTEM, engine=store, recompute=True).recomputed is None  # current now


def test_the_cli_finishes_the_recompute_on_reimport_and_on_start(store, deliveries, monkeypatch, capsys):
    from data_access.__main__ import main

    monkeypatch.setattr("data_access.db.get_engine", lambda url=None: store)
    monkeypatch.setenv("DEMO", "1")
    monkeypatch.delenv("RECOMPUTE_AFTER_IMPORT", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["import", str(deliveries["first"])]) == 0
        assert versions(store) == (1, 1)
        with monkeypatch.context() as m:
            kill_the_write(m)
            with pytest.raises(RuntimeError, match="killed"):
                main(["import", str(deliveries["more"])])
        assert versions(store) == (2, 1)
        capsys.readouterr()
        assert main(["import", str(deliveries["more"])]) == 0
        out = capsys.readouterr().out
        assert "Samma data var redan importerad" in out and "Indikatorerna låg efter datan" in out
        assert versions(store) == (2, 2)

        with monkeypatch.context() as m:  # the next start (make run: load-sample on a store with data)
            kill_the_write(m)
            with pytest.raises(RuntimeError, match="killed"):
                main(["import", str(deliveries["pop1"])])
        assert versions(store) == (3, 2)
        assert main(["load-sample"]) == 0
        out = capsys.readouterr().out
        assert "innehåller redan data" in out and "Indikatorerna låg efter datan" in out
        assert versions(store) == (3, 3)
        assert main(["load-sample"]) == 0 and "Indikatorerna" not in capsys.readouterr().out  # nothing to do now
    finally:
        get_settings.cache_clear()


def test_the_nightly_full_recompute_brings_the_results_up_to_date(store, deliveries, monkeypatch):
    import_without_recompute(store, deliveries["first"])
    from metrics.__main__ import main

    monkeypatch.setattr(recompute, "get_engine", lambda url=None: store)
    assert main(["compute", "--db"]) == 0
    assert versions(store) == (1, 1)


def test_an_upload_of_values_from_elsewhere_does_not_put_the_results_behind(store, deliveries):
    import_without_recompute(store, deliveries["first"])
    recompute_store(engine=store)
    values = b"indicator_id,municipality_code,period,value,source\nreadmission_30d_65,1443,2024,14.0,Kolada N1\n"
    outcome = import_uploads([("indicator_values.csv", values)], access=SYSTEM, engine=store, recompute=True)
    assert outcome.result.changed and outcome.recomputed is None and versions(store) == (1, 1)


def test_the_incremental_path_is_not_used_while_the_results_are_behind(store, deliveries, monkeypatch):
    """The touched of one import says nothing about the import whose recompute was killed before it."""
    import_without_recompute(store, deliveries["first"])
    recompute_store(engine=store)
    pop1 = import_without_recompute(store, deliveries["pop1"])
    with monkeypatch.context() as m:
        kill_the_write(m)
        with pytest.raises(RuntimeError):
            recompute_store(engine=store, touched=pop1.touched, incremental=True,
                            data_versions=(pop1.base_version, pop1.data_version))
    pop2 = import_without_recompute(store, deliveries["pop2"])
    summary = recompute_store(engine=store, touched=pop2.touched, incremental=True,
                              data_versions=(pop2.base_version, pop2.data_version))
    assert INCREMENTAL not in summary and versions(store) == (3, 3)
    full = stored_results(store)
    recompute_store(engine=store)
    pd.testing.assert_frame_equal(stored_results(store), full)
    # with the results current, the same kind of change does go the incremental way
    pop3 = import_without_recompute(store, deliveries["pop3"])
    summary = recompute_store(engine=store, touched=pop3.touched, incremental=True,
                              data_versions=(pop3.base_version, pop3.data_version))
    assert INCREMENTAL in summary and versions(store) == (4, 4)


CHILD = """
import sys, time
from pathlib import Path
from data_access import recompute
from data_access.db import make_engine

url, flag = sys.argv[1], Path(sys.argv[2])
original = recompute.insert_results

def slow(conn, frame):
    original(conn, frame)  # the new rows are written, the transaction is still open
    flag.write_text("writing")
    time.sleep(600)

recompute.insert_results = slow
recompute.recompute_store(engine=make_engine(url))
"""


def _url_for_a_child(engine) -> str:
    if engine.dialect.name == "sqlite":
        return engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar_one()
    return engine.url.render_as_string(hide_password=False) + f"?options=-csearch_path%3D{schema}"


def test_sigkill_while_writing_the_results_then_the_next_start_finishes(store, deliveries, tmp_path):
    import_without_recompute(store, deliveries["first"])
    recompute_store(engine=store)
    before = stored_results(store)
    import_without_recompute(store, deliveries["more"])
    flag = tmp_path / "writing"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, _url_for_a_child(store), str(flag)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 180
        while not flag.exists():
            assert child.poll() is None, "the recompute ended before it wrote"
            assert time.monotonic() < deadline, "the recompute never started writing"
            time.sleep(0.1)
        state = results_state(engine=store)
        assert state.recompute_by and state.recompute_by.endswith(f":{child.pid}") and recompute_running(state)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    state = results_state(engine=store)
    assert (state.data_version, state.results_version) == (2, 1) and state.behind
    assert not recompute_running(state)  # its process is gone
    pd.testing.assert_frame_equal(stored_results(store), before)
    summary = finish_recompute(engine=store)
    assert summary and summary.startswith("Indikatorerna låg efter datan")
    assert versions(store) == (2, 2) and not stored_results(store).equals(before)
    assert finish_recompute(engine=store) is None


def test_the_app_catches_up_in_the_background(store, deliveries, monkeypatch):
    import_without_recompute(store, deliveries["first"])
    now = dt.datetime.now()
    assert not catch_up_in_background(store, now=now)  # just imported: the import's own recompute comes first
    with store.begin() as conn:  # someone else, alive, is recomputing
        conn.execute(update(DataState).values(recompute_started_at=now, recompute_by=f"other-host:{os.getpid()}"))
    later = now + dt.timedelta(minutes=5)
    assert not catch_up_in_background(store, now=later)
    with store.begin() as conn:  # that mark is older than the lease: lost
        conn.execute(update(DataState).values(recompute_started_at=now - dt.timedelta(hours=1)))
    monkeypatch.setattr(recompute, "_catch_up_tried", {})
    assert catch_up_in_background(store, now=later)
    assert not catch_up_in_background(store, now=later)  # one at a time
    deadline = time.monotonic() + 180
    while results_state(engine=store).behind:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert versions(store) == (1, 1)
    assert not catch_up_in_background(store, now=later)


def test_recompute_running_reads_the_mark():
    now = dt.datetime.now()
    import socket

    here = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert not recompute_running(ResultsState(1, 0, None, None, None), now)
    assert recompute_running(ResultsState(1, 0, None, now, f"{here}:{os.getppid()}"), now)  # alive
    assert not recompute_running(ResultsState(1, 0, None, now, f"{here}:{dead.pid}"), now)  # killed
    assert not recompute_running(ResultsState(1, 0, None, now, f"{here}:{os.getpid()}"), now)  # us, not recomputing
    assert recompute_running(ResultsState(1, 0, None, now, "elsewhere:1"), now)
    assert not recompute_running(ResultsState(1, 0, None, now - dt.timedelta(hours=2), "elsewhere:1"), now)


@pytest.mark.parametrize(("imported", "computed", "expected"), [
    (None, None, (0, 0)),  # an empty store
    ("2026-11-02 10:00:00", "2026-11-02 10:05:00", (1, 1)),  # recomputed after the newest import
    ("2026-11-02 10:00:00", "2026-11-02 09:00:00", (1, 0)),  # the recompute after it was killed
    ("2026-11-02 10:00:00", None, (1, 0)),  # never computed
])
def test_the_migration_seeds_the_state_of_an_existing_store(empty_engine, imported, computed, expected):
    upgrade(empty_engine, "0006")
    with empty_engine.begin() as conn:
        if imported:
            for table, when in (("hospital_stays", imported), ("indicator_values", "2026-12-01 00:00:00")):
                conn.execute(insert(ImportLog.__table__).values(
                    batch_id="b", file_name=f"{table}.csv", sha256="x", table_name=table, rows_in_file=1,
                    rows_inserted=1, rows_replaced=0, rows_unchanged=0, user_name="cli",
                    imported_at=dt.datetime.fromisoformat(when), outcome="ok"))
        if computed:
            conn.execute(insert(IndicatorResult.__table__).values(
                indicator_id="x", municipality_code="1443", sex="T", period="2026-10", period_type="month",
                period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31), status="ok",
                computed_at=dt.datetime.fromisoformat(computed)))
    upgrade(empty_engine)
    assert versions(empty_engine) == expected


def test_the_banner_says_the_indicators_are_being_recomputed(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from data_access.db import make_engine
    from ui import freshness_banner as banner

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DEMO", "1")
    get_settings.cache_clear()
    get_engine.cache_clear()
    started = []
    monkeypatch.setattr(banner, "catch_up_in_background", lambda engine: started.append(engine))

    def page():
        from ui.freshness_banner import freshness_banner

        freshness_banner()

    def shown() -> list[str]:
        banner._state.clear()
        at = AppTest.from_function(page, default_timeout=30).run()
        assert not at.exception
        return [i.value for i in at.info]

    try:
        assert shown() == []
        with engine.begin() as conn:
            conn.execute(update(DataState).values(data_version=3, results_version=2))
        texts = shown()
        assert len(texts) == 1 and texts[0].startswith("**Indikatorerna räknas om.**") and "om en stund" in texts[0]
        assert len(started) == 1
        monkeypatch.setenv("RECOMPUTE_AFTER_IMPORT", "0")
        get_settings.cache_clear()
        texts = shown()
        assert "schemalagda omräkning" in texts[0] and len(started) == 1  # no recompute of its own then
        with engine.begin() as conn:
            conn.execute(update(DataState).values(results_version=3))
        assert shown() == []
    finally:
        banner._state.clear()
        get_settings.cache_clear()
        get_engine.cache_clear()
        engine.dispose()
