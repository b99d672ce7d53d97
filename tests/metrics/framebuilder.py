"""Build loaded contract frames from a few hand-written rows (tests of metrics/ only).

``frame("hospital_stays", [dict(...), ...])`` fills unspecified columns from
:data:`DEFAULTS`, numbers ids, and converts to the in-memory dtype convention
of :mod:`data_access.contract` (text → str, int → Int64, bool → boolean,
date/timestamp → datetime64[us]).
"""

from __future__ import annotations

import itertools

import pandas as pd

from data_access.contract import TABLES

DEFAULTS: dict[str, dict[str, object]] = {
    "population": {
        "municipality_code": "1490",
        "year": 2025,
        "age_band": "80-84",
        "sex": "K",
        "population": 1000,
    },
    "hospital_stays": {
        "person_id": "p1",
        "municipality_code": "1490",
        "age": 80,
        "sex": "K",
        "admission_type": "akut",
        "discharge_to": "hem",
    },
    "ed_visits": {
        "person_id": "p1",
        "municipality_code": "1490",
        "age": 85,
        "sex": "K",
        "unit": "akutmottagning",
        "admitted": False,
    },
    "home_care_enrolments": {"person_id": "p1", "municipality_code": "1490", "birth_year": 1940, "sex": "K"},
    "sip": {"person_id": "p1", "municipality_code": "1490"},
    "cfs_assessments": {"person_id": "p1", "municipality_code": "1490", "birth_year": 1940, "cfs_score": 5},
    "home_visits": {"person_id": "p1", "municipality_code": "1490", "team": "PALT", "acute": True},
    "primary_care_contacts": {
        "person_id": "p1",
        "municipality_code": "1490",
        "care_centre": "VC Norr",
        "contact_type": "besok",
    },
    "short_term_stays": {"person_id": "p1", "municipality_code": "1490", "birth_year": 1940, "sex": "K"},
}

_counter = itertools.count(1)


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    t = TABLES[table]
    key = t.key[0] if len(t.key) == 1 else None
    full = []
    for r in rows:
        row = {**DEFAULTS.get(table, {}), **r}
        if key and key not in row:
            row[key] = f"{key[:3]}{next(_counter)}"
        full.append(row)
    data = {}
    for col in t.columns:
        values = [r.get(col.name) for r in full]
        if col.type == "text":
            data[col.name] = pd.Series(values, dtype="str")
        elif col.type == "int":
            data[col.name] = pd.Series(values, dtype="Int64")
        elif col.type == "number":
            data[col.name] = pd.Series(values, dtype="float64")
        elif col.type == "bool":
            data[col.name] = pd.Series(values, dtype="boolean")
        else:
            data[col.name] = pd.Series(
                pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[us]"
            )
    return pd.DataFrame(data)


def population(code: str, year: int, bands: dict[str, int], sex: str = "K") -> list[dict]:
    return [
        {"municipality_code": code, "year": year, "age_band": b, "sex": sex, "population": n}
        for b, n in bands.items()
    ]


def row(table: pd.DataFrame, **where) -> pd.Series:
    """The single row of a tidy table matching ``where`` (fails unless exactly one)."""
    mask = pd.Series(True, index=table.index)
    for k, v in where.items():
        mask &= table[k] == v
    hit = table[mask]
    assert len(hit) == 1, f"{len(hit)} rows match {where}"
    return hit.iloc[0]


def compute_one(frames: dict, indicator: str, *, period: str = "month", end_date=None) -> pd.DataFrame:
    """compute_all for one indicator; ``end_date`` as ISO text or date."""
    import datetime as dt

    from metrics.compute import compute_all

    if isinstance(end_date, str):
        end_date = dt.date.fromisoformat(end_date)
    return compute_all(frames, period=period, end_date=end_date, indicators=[indicator])
