"""No hidden small number can be worked out from what one role sees together (issue 21, item 1).

The probe of issue 21 recovered hidden care-centre counts by subtraction: Mark's frequent attenders on
Jämför (96) minus the care centres shown on Mångsökare left Örby's hidden 4. The audit here
(``tests/auth/disclosure_audit.py``) solves, by linear programming, everything a role can see at once on
the sample data — every indicator at month, quarter and year (numerators, and the denominators that are
counts of persons) and the frequent attenders per care centre — with every relation a reader who knows the
definitions can use, and asks of each hidden cell whether any other whole number fits.

The politician sees the most: every municipality, the area, all grains and every care centre. Every other
role sees a part of the same cells with the same cells hidden (checked below), so it can work out no more.
The roles with person-level lists (vårdcentral, akutmottagning) may see those persons by their role; the
counts they could make from the lists are outside this audit (docs/suppression_and_targets.md).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import text

from data_access import person_queries as pq
from data_access.access import PUBLIC_VIEWER, AccessContext, allowed
from data_access.queries import load_indicator_results
from metrics.registry import INDICATORS
from metrics.suppression import suppress
from tests.auth.conftest import ROLE_USERS, role_viewer
from tests.auth.disclosure_audit import recoverable

GRAINS = ("month", "quarter", "year")
# Denominators that are counts of persons or events (a rate's denominator is the public population).
COUNTED = {i for i, ind in INDICATORS.items() if ind.value_kind in ("proportion", "median")}


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def truth(engine) -> dict:
    """Every cell's true value: the stored (unsuppressed) indicator table and the care-centre table."""
    with engine.connect() as conn:
        raw = pd.read_sql(text("select indicator_id, municipality_code, sex, period, numerator, denominator "
                               "from indicator_results"), conn)  # fmt: skip
    out = {}
    for r in raw.itertuples(index=False):
        out[("ind", r.indicator_id, r.municipality_code, r.sex, r.period)] = r.numerator
        if r.indicator_id in COUNTED:
            out[("den", r.indicator_id, r.municipality_code, r.sex, r.period)] = r.denominator
    for r in pq._suppressed_trends(engine, "month", True).itertuples(index=False):
        out[("cc", r.care_centre, r.municipality_code, r.sex, r.period)] = r.numerator
    return out


def seen(engine, viewer: AccessContext, care_centres: pd.DataFrame | None = None) -> dict:
    """What ``viewer`` gets from the query API: key → shown value, or None where it is hidden ("–")."""
    cells = {}
    for grain in GRAINS:
        for r in load_indicator_results(access=viewer, period_type=grain, engine=engine).itertuples(index=False):
            hidden = bool(r.suppressed)
            cells[("ind", r.indicator_id, r.municipality_code, r.sex, r.period)] = None if hidden else r.numerator
            if r.indicator_id in COUNTED:
                cells[("den", r.indicator_id, r.municipality_code, r.sex, r.period)] = None if hidden else r.denominator
    if care_centres is None and allowed(viewer, "care_centre_trends"):
        care_centres = pq.frequent_attender_trends(access=viewer, period="month", engine=engine)
    for r in (care_centres if care_centres is not None else pd.DataFrame()).itertuples(index=False):
        cells[("cc", r.care_centre, r.municipality_code, r.sex, r.period)] = None if r.suppressed else r.numerator
    return cells


def audit(cells: dict, true: dict) -> list:
    # a cell shown as missing ("saknar underlag") says nothing; nor does one that is missing in truth
    cells = {k: v for k, v in cells.items() if not (v is not None and _missing(v)) and not _missing(true.get(k))}
    return recoverable(cells, true)


@pytest.fixture(scope="module")
def store(sample_url):
    from data_access.db import make_engine

    engine = make_engine(sample_url)
    pq._TRENDS.pop(engine, None)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def politician(store):
    viewer = role_viewer("politiker")
    return viewer, seen(store, viewer), truth(store)


def test_nothing_hidden_can_be_worked_out_from_what_a_politician_sees(politician):
    _, cells, true = politician
    hidden = [k for k, v in cells.items() if v is None]
    assert len(hidden) > 1000 and {k[0] for k in hidden} == {"ind", "den", "cc"}  # the audit has work to do
    recovered = audit(cells, true)
    # A shown total of 0 says that its parts are 0: a part hidden for its small denominator then has a
    # numerator of 0 for all to see, as the total already says ("0 is never suppressed"); its denominator
    # stays hidden. Nothing else may be recovered.
    assert [r for r in recovered if r[1] != 0 or r[0][0] != "ind"] == []


def test_the_audit_finds_the_care_centre_leak_of_the_probe(store, politician):
    """Without the municipal totals, the care centres are suppressed on their own (the old code): the audit
    recovers hidden care centres, as the probe did by subtraction."""
    viewer, _, true = politician
    raw = pq._suppressed_trends(store, "month", True)  # every count, nothing hidden
    alone = suppress(raw.assign(indicator_id="frequent_attenders", denominator=float("nan")), entitled=False,
                     threshold=(1, 4))  # fmt: skip
    cells = seen(store, viewer, care_centres=alone)
    leaks = [r for r in audit(cells, true) if r[0][0] == "cc" and r[1] != 0]
    assert len(leaks) > 50
    assert all(1 <= r[1] for r in leaks)


@pytest.mark.parametrize("role", [r for r in ROLE_USERS if r != "politiker"] + ["public"])
def test_every_other_role_sees_part_of_the_same_cells(store, politician, role):
    """Each role's cells are among the politician's, shown or hidden alike: no role can work out more."""
    _, everything, _ = politician
    viewer = PUBLIC_VIEWER if role == "public" else role_viewer(role)
    mine = seen(store, viewer)
    extra = set(mine) - set(everything)
    assert not extra, sorted(extra)[:5]
    differ = [k for k, v in mine.items() if (v is None) != (everything[k] is None)]
    assert not differ, differ[:5]
