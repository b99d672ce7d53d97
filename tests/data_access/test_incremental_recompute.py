"""Incremental recompute after an import equals a full recompute, exactly (SQLite and PostgreSQL).

The data: two small municipalities of the sample data and 14 months of events
(built here with pandas from ``sample_data/default``), so that each case runs
in seconds. Every case imports a change, recomputes incrementally, reads the
whole indicator table, recomputes in full and compares.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from data_access.contract import TABLES
from data_access.importer import import_paths
from data_access.recompute import RESULT_COLUMNS, recompute_store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "default"
MUNIS = ("1442", "1443")
FIRST, END = pd.Timestamp("2025-08-01"), pd.Timestamp("2026-10-01")  # base: 2025-08 … 2026-09
APPEND_MONTH = (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"))
EVENT_TIME = {
    "hospital_stays": "admission_time",
    "ed_visits": "arrival_time",
    "sip": "sip_date",
    "cfs_assessments": "assessment_date",
    "home_visits": "requested_time",
    "primary_care_contacts": "contact_time",
    "short_term_stays": "start_date",
}
KEY = ["indicator_id", "municipality_code", "sex", "period_type", "period"]
INCREMENTAL = "bara perioder från"


def _read(name: str) -> pd.DataFrame:
    path = SAMPLE / f"{name}.csv"
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    from io import StringIO

    sep = ";" if content.split("\n", 1)[0].count(";") > content.split("\n", 1)[0].count(",") else ","
    return pd.read_csv(StringIO(content), sep=sep, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def subset() -> dict[str, pd.DataFrame]:
    """The reduced sample (strings as in the files) and the appended month, under key ``_append_*``."""
    out: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name == "indicator_values":
            continue
        frame = _read(name)
        frame = frame.loc[frame["municipality_code"].isin(MUNIS)]
        if name == "population":
            out["_population_2026"] = frame.loc[frame["year"] == "2026"].reset_index(drop=True)
            out[name] = frame.loc[frame["year"] != "2026"].reset_index(drop=True)
            continue
        if name == "home_care_enrolments":
            start = pd.to_datetime(frame["start_date"])
            end = pd.to_datetime(frame["end_date"].replace("", None))
            keep = (start < END) & (end.isna() | (end >= FIRST))
            frame = frame.loc[keep]
            frame = frame.assign(end_date=frame["end_date"].where(pd.to_datetime(frame["end_date"].replace("", None)) < END, ""))
            out[name] = frame.reset_index(drop=True)
            continue
        when = pd.to_datetime(frame[EVENT_TIME[name]])
        base = frame.loc[(when >= FIRST) & (when < END)].copy()
        # Outcomes after the base's end are not known yet: the appended month brings them.
        for col in [c.name for c in TABLES[name].columns if c.type in ("date", "timestamp") and c.nullable]:
            if col in base.columns:
                late = pd.to_datetime(base[col].replace("", None)) >= END
                base.loc[late.to_numpy(), col] = ""
                if name == "hospital_stays" and col == "discharge_time":
                    base.loc[late.to_numpy(), ["discharge_to", "followup_call_time", "care_plan_complete"]] = ""
                if name == "short_term_stays" and col == "end_date":
                    base.loc[late.to_numpy(), "discharge_to"] = ""
        out[name] = base.reset_index(drop=True)
        appended = frame.loc[(when >= APPEND_MONTH[0]) & (when < APPEND_MONTH[1]) & (frame["municipality_code"] == MUNIS[0])]
        out[f"_append_{name}"] = appended.reset_index(drop=True)
    return out


def _write(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")
    return folder


def _import(engine, folder: Path):
    result = import_paths([folder], engine=engine, user="test")
    assert result.ok, result.summary()
    return result


def _table(engine) -> pd.DataFrame:
    cols = [c for c in RESULT_COLUMNS if c != "computed_at"]
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(text(f"SELECT {', '.join(cols)} FROM indicator_results")).all(), columns=cols)
    frame = frame.sort_values(KEY, kind="stable").reset_index(drop=True)
    for c in ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed"):
        frame[c] = pd.to_numeric(frame[c]).astype("float64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    for c in ("suppression", "note"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


@pytest.fixture
def loaded(store, subset, tmp_path):
    """The store with the reduced sample imported and fully recomputed."""
    base = {k: v for k, v in subset.items() if not k.startswith("_")}
    _import(store, _write(tmp_path / "base", base))
    recompute_store(engine=store)
    return store


def _check(engine, folder: Path) -> tuple[str, int]:
    """Import ``folder``, recompute incrementally, compare with a full recompute; (summary, rows written)."""
    result = _import(engine, folder)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM indicator_results")).scalar_one()
        t_before = conn.execute(text("SELECT count(*) FROM indicator_results WHERE computed_at < :now"),
                                {"now": dt.datetime(2999, 1, 1)}).scalar_one()
    marker = dt.datetime(2000, 1, 1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE indicator_results SET computed_at = :m"), {"m": marker})
    summary = recompute_store(engine=engine, touched=result.touched, incremental=True)
    incremental = _table(engine)
    with engine.connect() as conn:
        rewritten = conn.execute(text("SELECT count(*) FROM indicator_results WHERE computed_at > :m"), {"m": marker}).scalar_one()
    recompute_store(engine=engine)
    full = _table(engine)
    assert before == t_before
    pd.testing.assert_frame_equal(incremental, full, check_exact=False, rtol=0, atol=1e-12)
    return summary, rewritten


def test_appended_month_of_one_municipality(loaded, subset, tmp_path):
    append = {k.removeprefix("_append_"): v for k, v in subset.items() if k.startswith("_append_") and len(v)}
    summary, rewritten = _check(loaded, _write(tmp_path / "append", append))
    assert INCREMENTAL in summary, summary
    assert 0 < rewritten < len(_table(loaded))


def test_replaced_discharge_date_makes_a_readmission(loaded, subset, tmp_path):
    stays = subset["hospital_stays"]
    adm = pd.to_datetime(stays["admission_time"])
    dis = pd.to_datetime(stays["discharge_time"].replace("", None))
    chosen = None
    for i in np.flatnonzero((dis > pd.Timestamp("2026-01-01")) & (dis < pd.Timestamp("2026-05-01"))):
        later = stays.index[(stays["person_id"] == stays.at[i, "person_id"]) & (adm > dis.iloc[i])
                            & (stays["admission_type"] == "akut")]
        gaps = [(adm.iloc[j].normalize() - dis.iloc[i].normalize()).days for j in later]
        if gaps and 31 <= min(gaps) <= 80:
            chosen = (i, min(gaps))
            break
    if chosen is None:
        i, shift = int(np.flatnonzero(dis > pd.Timestamp("2026-02-01"))[0]), 5
    else:
        i, shift = chosen[0], chosen[1] - 10
    row = stays.iloc[[i]].copy()
    row["discharge_time"] = (dis.iloc[i] + pd.Timedelta(days=shift)).strftime("%Y-%m-%d %H:%M")
    summary, _ = _check(loaded, _write(tmp_path / "stay", {"hospital_stays": row}))
    assert INCREMENTAL in summary, summary


def test_enrolment_end_date_removed(loaded, subset, tmp_path):
    enr = subset["home_care_enrolments"]
    end = pd.to_datetime(enr["end_date"].replace("", None))
    i = int(np.flatnonzero((end > pd.Timestamp("2026-01-01")) & (end < pd.Timestamp("2026-06-01")))[0])
    row = enr.iloc[[i]].copy()
    row["end_date"] = ""
    summary, _ = _check(loaded, _write(tmp_path / "enr", {"home_care_enrolments": row}))
    assert INCREMENTAL in summary, summary


def test_new_population_year(loaded, subset, tmp_path):
    summary, _ = _check(loaded, _write(tmp_path / "pop", {"population": subset["_population_2026"]}))
    assert INCREMENTAL in summary, summary


def test_new_municipality_falls_back_to_full(loaded, subset, tmp_path):
    row = subset["sip"].iloc[[len(subset["sip"]) // 2]].copy()
    row["sip_id"], row["municipality_code"] = "SIP-NY-1", "1452"
    summary, _ = _check(loaded, _write(tmp_path / "muni", {"sip": row}))
    assert INCREMENTAL not in summary, summary


def test_event_before_all_data_falls_back_to_full(loaded, subset, tmp_path):
    row = subset["ed_visits"].iloc[[0]].copy()
    row["visit_id"], row["arrival_time"] = "AB-TIDIG-1", "2024-01-15 10:00"
    summary, _ = _check(loaded, _write(tmp_path / "early", {"ed_visits": row}))
    assert INCREMENTAL not in summary, summary


def test_unchanged_import_needs_no_recompute(loaded, subset, tmp_path):
    result = _import(loaded, _write(tmp_path / "same", {"sip": subset["sip"].iloc[:3]}))
    assert not result.changed and result.touched == {}


_SHIFT_TABLES = tuple(EVENT_TIME) + ("home_care_enrolments",)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_shifted_row_equals_full(loaded, subset, tmp_path_factory, data):
    name = data.draw(st.sampled_from(_SHIFT_TABLES), label="table")
    frame = subset[name]
    i = data.draw(st.integers(0, len(frame) - 1), label="row")
    days = data.draw(st.integers(-45, 45).filter(bool), label="days")
    row = frame.iloc[[i]].copy()
    for col in [c.name for c in TABLES[name].columns if c.type in ("date", "timestamp")]:
        if col in row.columns and row[col].iloc[0]:
            when = pd.Timestamp(row[col].iloc[0]) + pd.Timedelta(days=days)
            fmt = "%Y-%m-%d" if TABLES[name].column_map[col].type == "date" else "%Y-%m-%d %H:%M"
            row[col] = when.strftime(fmt)
    _check(loaded, _write(tmp_path_factory.mktemp("shift"), {name: row}))


def test_by_default_an_import_recomputes_everything(loaded, subset, tmp_path, monkeypatch):
    """INCREMENTAL_RECOMPUTE is off by default (the incremental path measured slower on our data):
    the import's touched tables then only decide whether anything is recomputed."""
    from data_access.settings import get_settings

    monkeypatch.delenv("INCREMENTAL_RECOMPUTE", raising=False)
    get_settings.cache_clear()
    append = {k.removeprefix("_append_"): v for k, v in subset.items() if k.startswith("_append_") and len(v)}
    result = _import(loaded, _write(tmp_path / "append", append))
    summary = recompute_store(engine=loaded, touched=result.touched)
    assert summary.startswith("Indikatorerna är omräknade: ") and INCREMENTAL not in summary, summary
    monkeypatch.setenv("INCREMENTAL_RECOMPUTE", "1")
    get_settings.cache_clear()
    try:
        assert INCREMENTAL in recompute_store(engine=loaded, touched=result.touched)
    finally:
        monkeypatch.delenv("INCREMENTAL_RECOMPUTE")
        get_settings.cache_clear()


def _ed_person(person: str, visits: list[tuple[str, str, int]]) -> pd.DataFrame:
    """ED visits (akutmottagning, not admitted, municipality MUNIS[0]) of a person known from no other table,
    so that their birth year is year(latest arrival) − age of the latest visit."""
    return pd.DataFrame([
        {"visit_id": vid, "person_id": person, "municipality_code": MUNIS[0], "age": str(age), "sex": "K",
         "arrival_time": when, "unit": "akutmottagning", "arrival_mode": "egen", "admitted": "0"}
        for vid, when, age in visits
    ])


def _since(summary: str) -> str:
    return summary.split(INCREMENTAL, 1)[1].split(")", 1)[0].strip()


def test_birth_year_moving_far_from_75_keeps_the_window_narrow(loaded, tmp_path):
    """A new visit moves an 86-year-old's derived birth year from 1940 to 1939: "aged ≥ 75" differs only
    in 2014, years before the data, so the window stays at the changed visit − 120 days (before, any
    changed birth year reopened the person's whole history, here a full recompute)."""
    visits = [("AB-T85-1", "2025-09-10 10:00", 85), ("AB-T85-2", "2026-08-20 10:00", 86)]
    _import(loaded, _write(tmp_path / "p", {"ed_visits": _ed_person("P-TEST-85", visits)}))
    recompute_store(engine=loaded)
    changed = _ed_person("P-TEST-85", [("AB-T85-2", "2026-08-20 10:00", 87)])
    summary, _ = _check(loaded, _write(tmp_path / "c", {"ed_visits": changed}))
    assert INCREMENTAL in summary and _since(summary) == "2026-04", summary


def test_birth_year_crossing_75_in_the_data_widens_the_window(loaded, tmp_path):
    """A 73 on the latest visit becomes 75: the birth year moves from 1953 to 1951 and the person is 75
    in all of 2026, so the February visit now counts in mal_akut_ej_inlagd. The cohorts' window must
    reach it (the changed visit alone would start it in 2026-04) and the result equals a full recompute."""
    visits = [("AB-T75-1", "2026-02-10 10:00", 73), ("AB-T75-2", "2026-08-20 10:00", 73)]
    _import(loaded, _write(tmp_path / "p", {"ed_visits": _ed_person("P-TEST-75", visits)}))
    recompute_store(engine=loaded)
    before = _table(loaded)
    changed = _ed_person("P-TEST-75", [("AB-T75-2", "2026-08-20 10:00", 75)])
    summary, _ = _check(loaded, _write(tmp_path / "c", {"ed_visits": changed}))
    # the cohorts from 2026-02-10 − 120 days, the other indicators from the changed visit − 120 days
    assert INCREMENTAL in summary and _since(summary) == "2026-04, Målgrupper från 2025-10", summary
    after = _table(loaded)
    key = (after["indicator_id"] == "mal_akut_ej_inlagd") & (after["municipality_code"] == MUNIS[0]) \
        & (after["sex"] == "T") & (after["period_type"] == "month") & (after["period"] == "2026-02")
    assert after.loc[key, "numerator"].item() == before.loc[key.to_numpy(), "numerator"].item() + 1


def test_first_affected_day_by_hand():
    """The rule of recompute._first_affected_day on hand-made facts (day numbers from metrics.periods)."""
    from data_access.recompute import _first_affected_day
    from metrics.periods import date_to_day

    def facts(rows):
        return pd.DataFrame(rows, columns=["person_id", "birth_year", "sex"]).set_index("person_id")

    first_row = {"ed_visits": pd.DataFrame({
        "person_id": ["a", "b", "c", "d"],
        "arrival_time": pd.to_datetime(["2024-03-01", "2024-05-01", "2025-06-01", "2024-02-01"]).astype("datetime64[us]"),
    })}
    lo, hi = date_to_day(dt.date(2024, 1, 1)), date_to_day(dt.date(2026, 6, 30))
    before = facts([("a", 1940, "K"), ("b", 1949, "K"), ("c", 1950, "K"), ("d", 1960, "M")])
    # a: 1940 → 1939, matters only in 2014: nothing; b: 1949 → 1950 matters in 2024, from b's first row
    after = facts([("a", 1939, "K"), ("b", 1950, "K"), ("c", 1950, "K"), ("d", 1960, "M")])
    assert _first_affected_day(before, after, {"a", "b"}, first_row, lo, hi) == (date_to_day(dt.date(2024, 5, 1)), False)
    assert _first_affected_day(before, after, {"a"}, first_row, lo, hi) == (None, False)
    # c: 1950 → 1951 matters in 2025 from 1 January, but c's first row is in June
    after_c = facts([("a", 1940, "K"), ("b", 1949, "K"), ("c", 1951, "K"), ("d", 1960, "M")])
    assert _first_affected_day(before, after_c, {"c"}, first_row, lo, hi) == (date_to_day(dt.date(2025, 6, 1)), False)
    # d: 1960 → 1951 matters from 2026-01-01 (75 in 2026 under the new birth year)
    after_d = facts([("a", 1940, "K"), ("b", 1949, "K"), ("c", 1950, "K"), ("d", 1951, "M")])
    assert _first_affected_day(before, after_d, {"d"}, first_row, lo, hi) == (date_to_day(dt.date(2026, 1, 1)), False)
    # ... but not when the data ends in 2025
    assert _first_affected_day(before, after_d, {"d"}, first_row, lo, date_to_day(dt.date(2025, 12, 31))) == (None, False)
    # a sex change or a birth year becoming unknown matters from the first row
    after_s = facts([("a", 1940, "M"), ("b", np.nan, "K"), ("c", 1950, "K"), ("d", 1960, "M")])
    assert _first_affected_day(before, after_s, {"a"}, first_row, lo, hi) == (date_to_day(dt.date(2024, 3, 1)), False)
    assert _first_affected_day(before, after_s, {"b"}, first_row, lo, hi) == (date_to_day(dt.date(2024, 5, 1)), False)
    # unchanged persons among those passed count for nothing ...
    assert _first_affected_day(before, after, {"a", "c", "d"}, first_row, lo, hi) == (None, False)
    # ... but a changed person without a dated row (x: birth year now known, no rows): no bound
    after_x = pd.concat([after_s, facts([("x", 1950, "K")])])
    assert _first_affected_day(before, after_x, {"a", "x"}, first_row, lo, hi) == (None, True)
