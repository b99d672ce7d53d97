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
