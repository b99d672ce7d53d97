"""The staged merge of a re-delivery (issue 21, item 5): counts, stored rows and what it touched, on
SQLite and PostgreSQL; bounded chunks; no statement that scans a table once per row of another.

The expected values are worked out by hand (small deliveries) or by pandas from the files (a
generated re-delivery), never by the importer itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import event, select

from data_access import importer
from data_access.access import SYSTEM
from data_access.contract import TABLES
from data_access.files import read_files
from data_access.importer import import_paths
from data_access.models import ImportLog
from data_access.queries import load_table

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "stay_id,person_id,municipality_code,age,sex,admission_time,discharge_time,admission_type,discharge_to,"
    "care_plan_complete,followup_call_time\n"
)
BASE = HEADER + (
    "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem,1,2025-01-06 09:00\n"
    "S2,P1,1490,80,K,2025-01-20 10:00,,akut,,,\n"
    "S3,P2,1463,67,M,2025-02-01 08:30,2025-02-03 14:15,planerad,annat_sjukhus,0,\n"
    "S4,P3,1490,90,K,2025-03-01 10:00,2025-03-02 10:00,akut,avliden,,\n"
    "S5,P4,1463,77,M,2025-04-01 10:00,2025-04-03 10:00,akut,hem,1,\n"
    "S8,P6,1463,70,K,2024-12-01 10:00,2024-12-02 10:00,akut,hem,1,\n"
)
# S1, S4 unchanged; S2 discharged (a date and other columns); S3 only a follow-up call (one date
# column); S5 moved municipality and age (no date changed); S6, S7 new (S7 still admitted);
# S8 not delivered again (stays as it is).
REDELIVERY = HEADER + (
    "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem,1,2025-01-06 09:00\n"
    "S2,P1,1490,80,K,2025-01-20 10:00,2025-01-22 10:00,akut,hem,1,\n"
    "S3,P2,1463,67,M,2025-02-01 08:30,2025-02-03 14:15,planerad,annat_sjukhus,0,2025-02-05 09:00\n"
    "S4,P3,1490,90,K,2025-03-01 10:00,2025-03-02 10:00,akut,avliden,,\n"
    "S5,P4,1466,78,M,2025-04-01 10:00,2025-04-03 10:00,akut,hem,1,\n"
    "S6,P5,1490,85,K,2025-05-10 10:00,2025-05-12 10:00,akut,hem,0,\n"
    "S7,P1,1443,81,K,2025-06-01 10:00,,akut,,,\n"
)
POPULATION = "municipality_code;year;age_band;sex;population\n1490;2025;80-84;K;2400\n1490;2025;80-84;M;1800\n1463;2024;80-84;K;1000\n"
POPULATION_AGAIN = "municipality_code;year;age_band;sex;population\n1490;2025;80-84;K;2400\n1490;2025;80-84;M;1900\n1490;2026;80-84;K;2500\n"


def write(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content, encoding="utf-8")
    return folder


def stored(engine, table: str) -> pd.DataFrame:
    key = list(TABLES[table].key)
    return load_table(table, access=SYSTEM, engine=engine).sort_values(key).reset_index(drop=True)


def parsed(path: Path, table: str) -> pd.DataFrame:
    return read_files([path])[0].frame


def test_redelivery_counts_rows_and_log(store, tmp_path):
    assert import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=store).ok
    result = import_paths([write(tmp_path / "b", "hospital_stays.csv", REDELIVERY)], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [(2, 3, 2)]
    expected = pd.concat([parsed(tmp_path / "b" / "hospital_stays.csv", "hospital_stays"),
                          parsed(tmp_path / "a" / "hospital_stays.csv", "hospital_stays").iloc[[5]]])
    pd.testing.assert_frame_equal(stored(store, "hospital_stays"),
                                  expected.sort_values("stay_id").reset_index(drop=True))
    with store.connect() as conn:
        log = conn.execute(select(ImportLog.rows_in_file, ImportLog.rows_inserted, ImportLog.rows_replaced,
                                  ImportLog.rows_unchanged, ImportLog.outcome).order_by(ImportLog.id)).all()
    assert [tuple(r) for r in log] == [(6, 6, 0, 0, "ok"), (7, 2, 3, 2, "ok")]
    again = import_paths([tmp_path / "b"], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in again.files] == [(0, 0, 7)] and not again.changed


def test_redelivery_touched_by_hand(store, tmp_path):
    import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=store)
    touched = import_paths([write(tmp_path / "b", "hospital_stays.csv", REDELIVERY)], engine=store).touched
    t = touched["hospital_stays"]
    assert t.municipalities == {"1490", "1463", "1466", "1443"}  # S5 both before and after its move
    assert t.municipalities_before == {"1490", "1463"}
    # S2 (other columns changed: all of its dates) from 20 January; S7 new, still admitted: open-ended.
    assert (t.first_day, t.last_day, t.open_ended) == (dt.date(2025, 1, 20), dt.date(2025, 6, 1), True)
    assert t.person_ids == {"P1", "P2", "P4", "P5"}
    assert t.new_keys == {"S2", "S3", "S5", "S6", "S7"}
    old = t.old_rows.sort_values("stay_id").reset_index(drop=True)
    assert old["stay_id"].tolist() == ["S2", "S3", "S5"]
    assert old["municipality_code"].tolist() == ["1490", "1463", "1463"] and old["age"].tolist() == [80, 67, 77]


def test_replaced_row_counts_only_the_dates_that_changed(store, tmp_path):
    """A replaced row where only the follow-up call changed spans that day alone (both versions' values
    of the changed column; an empty old value adds nothing) and is not open-ended."""
    import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=store)
    only_s3 = BASE.replace("S3,P2,1463,67,M,2025-02-01 08:30,2025-02-03 14:15,planerad,annat_sjukhus,0,",
                           "S3,P2,1463,67,M,2025-02-01 08:30,2025-02-03 14:15,planerad,annat_sjukhus,0,2025-02-05 09:00")
    result = import_paths([write(tmp_path / "b", "hospital_stays.csv", only_s3)], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [(0, 1, 5)]
    t = result.touched["hospital_stays"]
    assert (t.first_day, t.last_day, t.open_ended) == (dt.date(2025, 2, 5), dt.date(2025, 2, 5), False)
    assert t.municipalities == {"1463"} and t.person_ids == {"P2"} and t.new_keys == {"S3"}
    # S2 discharged, nothing else: its discharge is the changed "still open" date, so the change is open-ended
    discharged = BASE.replace("S2,P1,1490,80,K,2025-01-20 10:00,,akut,,,", "S2,P1,1490,80,K,2025-01-20 10:00,2025-01-22 10:00,akut,hem,,")
    t = import_paths([write(tmp_path / "c", "hospital_stays.csv", discharged)], engine=store).touched["hospital_stays"]
    assert (t.first_day, t.last_day, t.open_ended) == (dt.date(2025, 1, 20), dt.date(2025, 2, 5), True)


def test_population_with_a_composite_key(store, tmp_path):
    import_paths([write(tmp_path / "a", "population.csv", POPULATION)], engine=store)
    result = import_paths([write(tmp_path / "b", "population.csv", POPULATION_AGAIN)], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [(1, 1, 1)]
    rows = stored(store, "population")
    assert rows[["municipality_code", "year", "sex", "population"]].values.tolist() == [
        ["1463", 2024, "K", 1000], ["1490", 2025, "K", 2400], ["1490", 2025, "M", 1900], ["1490", 2026, "K", 2500]]
    t = result.touched["population"]
    assert (t.first_day, t.last_day) == (dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert t.municipalities == {"1490"} and t.municipalities_before == {"1490", "1463"}


def test_two_files_of_one_table_apply_in_order(store, tmp_path):
    import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=store)
    later = HEADER + "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,korttid,1,2025-01-06 09:00\n"
    result = import_paths([write(tmp_path / "b", "hospital_stays.csv", REDELIVERY),
                           write(tmp_path / "c", "hospital_stays.csv", later)], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [(2, 3, 2), (0, 1, 0)]
    rows = stored(store, "hospital_stays").set_index("stay_id")
    assert len(rows) == 8 and rows.loc["S1", "discharge_to"] == "korttid" and rows.loc["S2", "discharge_to"] == "hem"


def _sample(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "sample_data" / "default" / f"{name}.csv", dtype=str, keep_default_na=False)


def test_generated_redelivery_matches_pandas(store, tmp_path):
    """3000 sample ED visits: the first 2500 less every 7th delivered first; then all 3000 with every
    5th visit's 'admitted' flipped. Counts and stored rows as pandas works them out from the files."""
    rows = _sample("ed_visits").iloc[:3000].reset_index(drop=True)
    first = rows.iloc[:2500].loc[lambda f: f.index % 7 != 6]
    again = rows.copy()
    flip = again.index % 5 == 0
    again.loc[flip, "admitted"] = again.loc[flip, "admitted"].map({"1": "0", "0": "1"})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first.to_csv(tmp_path / "a" / "ed_visits.csv", index=False)
    again.to_csv(tmp_path / "b" / "ed_visits.csv", index=False)
    assert import_paths([tmp_path / "a"], engine=store).ok
    result = import_paths([tmp_path / "b"], engine=store)
    known = again["visit_id"].isin(first["visit_id"])
    same = again.merge(first, how="inner", on=list(first.columns))
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [
        (int((~known).sum()), int(known.sum()) - len(same), len(same))]
    expected = parsed(tmp_path / "b" / "ed_visits.csv", "ed_visits").sort_values("visit_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(stored(store, "ed_visits"), expected)


def test_a_plain_import_bulk_loads_in_bounded_chunks(store, tmp_path, monkeypatch):
    """Without a progress callback too: the driver's values exist for one chunk at a time."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    sizes: list[tuple[str, int]] = []
    original = importer._bulk_insert

    def spy(conn, table_name, frame, target):
        sizes.append((target, len(frame)))
        original(conn, table_name, frame, target)

    monkeypatch.setattr(importer, "_bulk_insert", spy)
    import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=store)
    import_paths([write(tmp_path / "b", "hospital_stays.csv", REDELIVERY)], engine=store)
    assert [n for _, n in sizes] == [2, 2, 2, 2, 2, 2, 1]
    assert [t for t, _ in sizes] == ["hospital_stays"] * 3 + ["stage_hospital_stays"] * 4
    assert len(stored(store, "hospital_stays")) == 8


def test_no_statement_scans_a_table_once_per_row_on_sqlite(sqlite_store, tmp_path):
    """Every statement of the merge that reads the staging tables, explained as it runs: none has a
    full scan inside a correlated subquery (the old delete scanned the unindexed staging table once
    per stored row: minutes at region scale)."""
    import_paths([write(tmp_path / "a", "hospital_stays.csv", BASE)], engine=sqlite_store)
    import_paths([write(tmp_path / "p", "population.csv", POPULATION)], engine=sqlite_store)
    plans: dict[str, list[tuple]] = {}

    @event.listens_for(sqlite_store, "before_cursor_execute")
    def explain(conn, cursor, statement, parameters, context, executemany):
        if executemany or not re.search(r"\b(stage|changes)_", statement) or statement.startswith(("DROP", "PRAGMA")):
            return
        if statement.startswith("CREATE") and " AS SELECT" not in statement:
            return
        plans[statement] = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, parameters or ()).fetchall()

    try:
        import_paths([write(tmp_path / "b", "hospital_stays.csv", REDELIVERY),
                      write(tmp_path / "q", "population.csv", POPULATION_AGAIN)], engine=sqlite_store)
    finally:
        event.remove(sqlite_store, "before_cursor_execute", explain)
    assert any(s.startswith("UPDATE hospital_stays") for s in plans) and any(s.startswith("UPDATE population") for s in plans)
    for statement, plan in plans.items():
        correlated = {row[0] for row in plan if row[3].startswith("CORRELATED")}
        nested_scans = [row[3] for row in plan if row[1] in correlated and row[3].startswith("SCAN")]
        assert not nested_scans, (statement, plan)
