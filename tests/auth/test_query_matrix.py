"""Role × query matrix: every data_access query, every viewer, tampered arguments included — zero leaks.

Against the sample store. For each viewer the allowed set is derived from
the documented rules (``data_access.access``), never from the code under
test: municipalities of the scope (the area total ``ALL`` only for viewers
of every municipality), care centres of the list scope, small numbers
blanked for everybody but SYSTEM, raw person-level tables for nobody.
"""

from __future__ import annotations

import datetime as dt
import inspect

import pandas as pd
import pytest

from data_access import person_queries, quality, queries, reference, users
from data_access.access import NOBODY, PUBLIC_VIEWER, SYSTEM, AccessContext
from data_access.contract import TABLES
from data_access.validation import aggregate_codes
from tests.auth.conftest import ROLE_USERS, SANDARED, role_viewer

# data_access.queries defines its own AccessDenied (both are PermissionErrors).
AccessDenied = PermissionError
ALL_MUNIS = ["1490", "1463", "1491", "1442", "1452", "1465", "1443", "1466"]
TAMPERED = [*ALL_MUNIS, "ALL", "9999", "1490' OR '1'='1"]
DAY = dt.date(2026, 10, 31)

VIEWERS: dict[str, AccessContext] = {
    "public": PUBLIC_VIEWER,
    "nobody": NOBODY,
    **{name: role_viewer(name) for name in ROLE_USERS},
}
LIST_VIEWERS = {n for n, v in VIEWERS.items() if v.frequent_attender_list}
PERSON_TABLES = [t for t, spec in TABLES.items() if spec.person_column]
AGGREGATE_TABLES = [t for t, spec in TABLES.items() if not spec.person_column]


def allowed_munis(v: AccessContext) -> set[str]:
    return set(ALL_MUNIS) | {"ALL"} if v.municipalities is None else set(v.municipalities)


def assert_within(frame: pd.DataFrame, v: AccessContext, column: str = "municipality_code", extra=()) -> None:
    seen = set(frame[column].dropna().unique()) if len(frame) else set()
    assert seen <= allowed_munis(v) | set(extra), sorted(seen - allowed_munis(v))


def assert_no_small_numbers(frame: pd.DataFrame, columns=("numerator", "denominator")) -> None:
    for c in columns:
        if c in frame.columns and len(frame):
            values = pd.to_numeric(frame[c], errors="coerce")
            assert not values.between(1, 4).any(), (c, frame.loc[values.between(1, 4)].head())
    if "suppressed" in frame.columns and len(frame):
        hidden = frame[frame["suppressed"].astype(bool)]
        for c in columns:
            if c in hidden.columns:
                assert hidden[c].isna().all(), c


@pytest.fixture(params=list(VIEWERS))
def case(request, sample_engine):
    return request.param, VIEWERS[request.param], sample_engine


# --- data_access.queries -----------------------------------------------------


def test_person_level_tables_are_refused_to_every_viewer(case):
    _, v, engine = case
    for table in PERSON_TABLES:
        with pytest.raises(AccessDenied):
            queries.load_table(table, access=v, engine=engine)
    with pytest.raises(AccessDenied):
        queries.load_frames(access=v, engine=engine)


def test_aggregate_tables_stay_in_scope_even_when_asked_for_more(case):
    _, v, engine = case
    for table in AGGREGATE_TABLES:
        # riket (0000) and regions (00LL) in indicator_values are public aggregates (Kolada), not a municipality
        extra = aggregate_codes() if table == "indicator_values" else ()
        for wanted in (None, TAMPERED, ["1463"]):
            assert_within(queries.load_table(table, access=v, municipalities=wanted, engine=engine), v, extra=extra)


def test_indicator_results_stay_in_scope_and_are_suppressed(case):
    name, v, engine = case
    for period_type in ("month", "quarter", "year"):
        for wanted in (None, TAMPERED, ["ALL"], ["1463"]):
            frame = queries.load_indicator_results(access=v, period_type=period_type, municipalities=wanted,
                                                   engine=engine)
            assert_within(frame, v)
            assert_no_small_numbers(frame, ("numerator", "denominator", "n_unassessed"))
    full = queries.load_indicator_results(access=v, period_type="month", engine=engine)
    assert set(full["municipality_code"].unique()) == (allowed_munis(v) if name != "nobody" else set())


def test_loaded_summary_targets_and_quality_stay_in_scope(case):
    _, v, engine = case
    assert_within(queries.loaded_summary(access=v, engine=engine), v)
    targets = queries.load_targets(access=v, engine=engine)
    assert_within(targets[targets["municipality_code"].notna()], v)
    assert_within(quality.completeness(access=v, engine=engine), v)
    assert_within(quality.months_without_rows(access=v, engine=engine), v)


def test_reference_values_stay_in_scope(case):
    _, v, engine = case
    frame = reference.load_reference_values(access=v, engine=engine)
    aggregates = {c for c in frame["municipality_code"].unique() if str(c).startswith("00")}
    assert_within(frame, v, extra=aggregates)


def test_import_history_is_for_admins(case):
    name, v, engine = case
    if v.is_admin:
        assert len(queries.import_history(access=v, engine=engine)) > 0
    else:
        with pytest.raises(AccessDenied):
            queries.import_history(access=v, engine=engine)


# --- data_access.person_queries ----------------------------------------------


def log_rows(engine, username: str) -> pd.DataFrame:
    return users.read_access_log(engine, access=SYSTEM, username=username)


def test_frequent_attender_list_only_within_the_care_centres_and_logged(case):
    name, v, engine = case
    if name not in LIST_VIEWERS:
        for call in (
            lambda: person_queries.frequent_attender_list(access=v, day=DAY, engine=engine),
            lambda: person_queries.frequent_attender_list(access=v, day=DAY, care_centres=[SANDARED], engine=engine),
            lambda: person_queries.record_export(access=v, day=DAY, care_centres=None, rows=1, engine=engine),
            lambda: person_queries.list_care_centres(access=v, engine=engine),
        ):
            with pytest.raises(AccessDenied):
                call()
        return
    before = len(log_rows(engine, v.user))
    own = person_queries.frequent_attender_list(access=v, day=DAY, engine=engine)
    assert len(own) > 0
    assert set(own.columns) == {"person_id", "care_centre", "municipality_code", "contacts_30d", "ed_visits_365d",
                                "criterion"}
    if v.care_centres is not None:
        assert set(own["care_centre"]) <= v.care_centres
        # asking for another care centre, or for every one, gives nothing beyond the scope
        other = person_queries.frequent_attender_list(access=v, day=DAY, care_centres=["Närhälsan Norrby"],
                                                      engine=engine)
        assert other.empty
        everything = person_queries.frequent_attender_list(
            access=v, day=DAY, care_centres=person_queries.care_centre_names(access=SYSTEM, engine=engine),
            engine=engine)
        assert set(everything["care_centre"]) <= v.care_centres
        assert set(person_queries.list_care_centres(access=v, engine=engine)) <= v.care_centres
    log = log_rows(engine, v.user)
    calls = 1 if v.care_centres is None else 3
    assert len(log) == before + calls
    newest = log.iloc[calls - 1]
    assert (newest["action"], newest["what"], newest["rows"]) == ("visning", "mångsökare", len(own))
    assert "P0" not in str(log["detail"].tolist())  # the log says how many, never who


def test_frequent_attender_trends_are_scoped_and_suppressed(case):
    name, v, engine = case
    if name in ("public", "nobody"):
        with pytest.raises(AccessDenied):
            person_queries.frequent_attender_trends(access=v, engine=engine)
        with pytest.raises(AccessDenied):
            person_queries.latest_event_day(access=v, engine=engine)
        return
    frame = person_queries.frequent_attender_trends(access=v, engine=engine)
    assert len(frame) > 0
    assert_no_small_numbers(frame, ("numerator",))
    in_muni = frame["municipality_code"].isin(allowed_munis(v) - ({"ALL"} if v.municipalities is not None else set()))
    own_centre = (
        frame["care_centre"].isin(sorted(v.care_centres or ()))
        if v.frequent_attender_list and v.care_centres is not None
        else pd.Series(v.frequent_attender_list, index=frame.index)
    )
    assert (in_muni | own_centre).all()
    if v.municipalities is not None and not v.frequent_attender_list:
        assert "ALL" not in set(frame["municipality_code"])
    assert person_queries.latest_event_day(access=v, engine=engine) == DAY


def test_care_centre_names_are_for_admins(case):
    _, v, engine = case
    if v.is_admin:
        assert SANDARED in person_queries.care_centre_names(access=v, engine=engine)
    else:
        with pytest.raises(AccessDenied):
            person_queries.care_centre_names(access=v, engine=engine)


@pytest.mark.parametrize("bad", [None, "admin", {"user": "x", "roles": {"admin"}}])
def test_no_valid_viewer_no_data(sample_engine, bad):
    for call in (
        lambda: person_queries.frequent_attender_list(access=bad, day=DAY, engine=sample_engine),
        lambda: person_queries.frequent_attender_trends(access=bad, engine=sample_engine),
        lambda: person_queries.latest_event_day(access=bad, engine=sample_engine),
        lambda: users.read_access_log(sample_engine, access=bad),
    ):
        with pytest.raises(AccessDenied):
            call()
    # the older queries fail on a non-viewer too (never return data)
    with pytest.raises((AccessDenied, AttributeError, TypeError)):
        queries.load_indicator_results(access=bad, period_type="month", engine=sample_engine)


# --- every query is in the matrix ---------------------------------------------

COVERED = {
    "queries": {"load_table", "load_frames", "loaded_summary", "import_history", "load_indicator_results",
                "load_targets"},
    "quality": {"completeness", "months_without_rows"},
    "reference": {"load_reference_values"},
    "person_queries": {"frequent_attender_list", "record_export", "list_care_centres", "latest_event_day",
                       "frequent_attender_trends", "care_centre_names",
                       # the worklist: every role, scope and tampered filter in tests/data_access/test_worklist_query.py
                       "worklist_for", "worklist_filter_options", "record_worklist_export", "worklist_latest_day"},
    # users: every admin function is refused to non-admins in tests/auth/test_users.py
    "users": {"create_user", "set_grants", "set_active", "set_password", "revoke_user_sessions", "lift_lockout",
              "list_users",
              "user_info", "read_access_log", "log_access"},
}
# Functions without a viewer: they return no viewer data (totals of rows, the time of the last recompute)
# or are the login machinery itself.
VIEWER_INDEPENDENT = {
    "queries": {"row_counts", "store_is_empty", "last_computed_at"},
    "users": {"authenticate", "authenticate_warm_up", "bind_cookie", "busy_reason", "check_password", "check_session",
              "display_name", "generate_password", "grants_of", "hash_password", "is_busy", "login_directory",
              "login_hash", "main",
              "normalise_username", "parse_grant", "recent_failures", "revoke_session", "seed_demo_users",
              "session_for_cookie",
              "start_session", "validate_grants", "validate_password", "validate_username", "viewer_for"},
}
MODULES = {"queries": queries, "quality": quality, "reference": reference, "person_queries": person_queries,
           "users": users}


@pytest.mark.parametrize("module", list(MODULES))
def test_every_public_query_is_in_the_matrix(module):
    mod = MODULES[module]
    functions = {
        n for n, f in inspect.getmembers(mod, inspect.isfunction)
        if f.__module__ == mod.__name__ and not n.startswith("_")
    }
    unclassified = functions - COVERED.get(module, set()) - VIEWER_INDEPENDENT.get(module, set())
    assert not unclassified, f"add to the role × query matrix: {sorted(unclassified)}"
    for n in COVERED.get(module, set()):
        assert "access" in inspect.signature(getattr(mod, n)).parameters, n
