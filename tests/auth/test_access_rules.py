"""The pure access rules: roles → access context, permissions, and which role sees which page."""

from __future__ import annotations

import pytest

from data_access.access import (
    NOBODY,
    PAGE_RULES,
    PUBLIC_VIEWER,
    ROLES,
    SYSTEM,
    AccessContext,
    AccessDenied,
    access_for,
    check_viewer,
    may_see_page,
    pages_for,
    require,
)
from tests.auth.conftest import ROLE_USERS, SANDARED, role_viewer

# The documented matrix (docs/access.md): viewer → pages in navigation order.
EXPECTED_PAGES = {
    "public": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "datastatus", "logga_in"],
    "nobody": ["logga_in"],
    "politiker": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "datastatus", "mangsokare",
                  "logga_in"],
    "ledningsgrupp": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "forbattringsarbete",
                      "manadsuppfoljning", "mangsokare", "logga_in"],
    "processledare": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "forbattringsarbete",
                      "manadsuppfoljning", "mangsokare", "logga_in"],
    "vardcentral": ["mangsokare", "arbetslista", "logga_in"],
    "akutmottagning": ["mangsokare", "arbetslista", "logga_in"],
    "kommun_hsl": ["arbetslista", "logga_in"],
    "admin": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "forbattringsarbete",
              "manadsuppfoljning", "datastatus", "dataimport", "mangsokare", "admin_anvandare", "logga_in"],
    "ledning_och_vc": ["oversikt", "trender", "jamfor", "malgrupper", "om_indikatorerna", "forbattringsarbete",
                       "manadsuppfoljning", "mangsokare", "arbetslista", "logga_in"],
}

# viewer → permissions it holds (every other permission is refused).
EXPECTED_PERMISSIONS = {
    "public": set(),
    "nobody": set(),
    "politiker": {"care_centre_trends"},
    "ledningsgrupp": {"care_centre_trends", "read_pdsa", "edit_pdsa"},
    "processledare": {"care_centre_trends", "read_pdsa", "edit_pdsa", "export"},
    "vardcentral": {"care_centre_trends", "frequent_attender_list", "worklist"},
    "akutmottagning": {"care_centre_trends", "frequent_attender_list", "worklist"},
    "kommun_hsl": {"care_centre_trends", "worklist"},
    "admin": {"care_centre_trends", "admin", "read_pdsa"},
    "ledning_och_vc": {"care_centre_trends", "read_pdsa", "edit_pdsa", "frequent_attender_list", "worklist"},
}


def viewer(name: str) -> AccessContext:
    return {"public": PUBLIC_VIEWER, "nobody": NOBODY}.get(name) or role_viewer(name)


@pytest.mark.parametrize("name", list(EXPECTED_PAGES))
def test_pages_per_viewer(name):
    assert pages_for(viewer(name)) == EXPECTED_PAGES[name]


@pytest.mark.parametrize("name", list(EXPECTED_PERMISSIONS))
def test_permissions_per_viewer(name):
    from data_access.access import PERMISSIONS

    v = viewer(name)
    for permission in PERMISSIONS:
        if permission in EXPECTED_PERMISSIONS[name]:
            assert require(v, permission) is v
        else:
            with pytest.raises(AccessDenied):
                require(v, permission)


def test_scopes_of_each_role():
    assert role_viewer("politiker").municipalities is None
    assert role_viewer("ledningsgrupp").municipalities == {"1490"}
    assert role_viewer("processledare").municipalities == {"1490", "1463"}
    vc = role_viewer("vardcentral")
    assert vc.municipalities == frozenset() and vc.care_centres == {SANDARED}
    akut = role_viewer("akutmottagning")
    assert akut.municipalities is None and akut.care_centres is None
    both = role_viewer("ledning_och_vc")
    assert both.municipalities == {"1463"} and both.care_centres == {"Närhälsan Kinna"}
    # the worklist: vardcentral by care centre, kommun_hsl by municipality, akutmottagning the whole area
    assert vc.worklist and vc.worklist_municipalities == frozenset()
    assert akut.worklist and akut.worklist_municipalities is None
    hsl = role_viewer("kommun_hsl")
    assert hsl.worklist and hsl.worklist_municipalities == {"1490"} and hsl.care_centres == frozenset()
    assert not hsl.frequent_attender_list and hsl.municipalities == {"1490"}
    assert both.worklist and both.worklist_municipalities == frozenset()  # ledningsgrupp 1463 adds no rows
    for name in ("politiker", "ledningsgrupp", "processledare", "admin"):
        assert not role_viewer(name).worklist
    # nobody but SYSTEM reads raw person-level tables or unsuppressed small numbers
    for name in EXPECTED_PERMISSIONS:
        v = viewer(name)
        assert not v.person_level and not v.entitled_small_numbers
    assert SYSTEM.person_level and SYSTEM.entitled_small_numbers


@pytest.mark.parametrize(
    "grants",
    [
        [("superuser", None)],  # unknown role
        [("ledningsgrupp", None)],  # needs a municipality
        [("vardcentral", "")],  # needs a care centre
        [("politiker", "1490")],  # area-wide role with a scope
        [("admin", "x")],
    ],
)
def test_malformed_grants_grant_nothing(grants):
    v = access_for("x", grants)
    assert v.roles == frozenset() and v.municipalities == frozenset() and not v.frequent_attender_list
    assert pages_for(v) == ["logga_in"]


def test_unknown_pages_and_non_viewers_are_refused():
    assert not may_see_page(SYSTEM, "no_such_page")
    assert not may_see_page(None, "oversikt")
    assert not may_see_page({"roles": {"admin"}}, "admin_anvandare")
    with pytest.raises(AccessDenied):
        check_viewer(None)
    with pytest.raises(AccessDenied):
        require("admin", "admin")
    with pytest.raises(KeyError):
        require(SYSTEM, "no_such_permission")


def test_every_role_has_a_page_and_rules_name_known_roles():
    known = set(ROLES) | {"public", "*"}
    for page, roles in PAGE_RULES.items():
        assert roles <= known, page
    for role in ROLES:
        assert len(pages_for(access_for("x", [(role, "1490" if role in ("ledningsgrupp", "processledare", "kommun_hsl") else
                                                  SANDARED if role == "vardcentral" else None)]))) > 1


@pytest.mark.parametrize(
    ("name", "row", "visible"),
    [
        ("vardcentral", ("1490", SANDARED), True),
        ("vardcentral", ("1490", "Närhälsan Norrby"), False),  # Borås resident, another care centre
        ("vardcentral", ("1490", None), False),  # no primary care contact at all
        ("kommun_hsl", ("1490", "Närhälsan Norrby"), True),
        ("kommun_hsl", ("1490", None), True),
        ("kommun_hsl", ("1463", SANDARED), False),  # Mark resident seen at a Borås care centre
        ("kommun_hsl", (None, None), False),
        ("akutmottagning", ("1463", None), True),
        ("ledning_och_vc", ("1463", "Vårdcentralen Kinna"), False),  # ledningsgrupp 1463 lists nobody
        ("ledning_och_vc", ("1490", "Närhälsan Kinna"), True),
        ("ledningsgrupp", ("1490", SANDARED), False),
        ("politiker", ("1490", SANDARED), False),
        ("admin", ("1490", SANDARED), False),
    ],
)
def test_worklist_rows_per_role(name, row, visible):
    assert role_viewer(name).allows_worklist_row(*row) is visible


def test_system_and_public_worklist():
    assert SYSTEM.allows_worklist_row("9999", None)
    assert not PUBLIC_VIEWER.allows_worklist_row("1490", SANDARED)
    assert not NOBODY.allows_worklist_row("1490", SANDARED)


def test_access_context_is_hashable_and_equal_by_value():
    a, b = role_viewer("processledare"), role_viewer("processledare")
    assert a == b and hash(a) == hash(b) and len({a, b, role_viewer("politiker")}) == 2


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_the_indicator_scope_gets_exactly_what_the_viewer_gets(sample_engine, role):
    """The pages cache the stored indicator table once per *scope* (municipalities, small-number
    entitlement) instead of once per user: that is only safe while the queries read nothing else of the
    viewer. Each role's answer for its scope must be its own answer."""
    import pandas as pd

    from data_access.queries import load_indicator_results, load_targets

    viewer = role_viewer(role)
    scope = viewer.indicator_scope()
    assert (scope.municipalities, scope.entitled_small_numbers) == (viewer.municipalities,
                                                                    viewer.entitled_small_numbers)
    assert not (scope.person_level or scope.frequent_attender_list or scope.worklist or scope.is_admin)
    for grain in ("month", "year"):
        pd.testing.assert_frame_equal(load_indicator_results(access=scope, period_type=grain, engine=sample_engine),
                                      load_indicator_results(access=viewer, period_type=grain, engine=sample_engine))
    pd.testing.assert_frame_equal(load_targets(access=scope, engine=sample_engine),
                                  load_targets(access=viewer, engine=sample_engine))
