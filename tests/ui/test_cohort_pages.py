"""The Målgrupper and Arbetslista pages with AppTest, per role, against the sample store.

Målgrupper: aggregated, suppressed, no person ids, for every viewer of indicators.
Arbetslista: each worklist role sees exactly the rows of its scope — the
expectation is ``metrics.worklist.worklist`` on the sample files, filtered by
hand here (care centre, municipality), never by the code under test — and
every view is in the access log; every other role gets "Ingen behörighet".
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from data_access import users
from data_access.access import SYSTEM
from metrics.worklist import CHANGE_LEFT, CHANGE_NEW, CHANGE_STAYED, month_before, worklist
from tests.auth.conftest import ROOT, SANDARED, login_as, sample_engine, sample_url, set_app_env  # noqa: F401
from tests.auth.test_page_matrix import page_text

DAY = dt.date(2026, 10, 31)  # the sample data's last day
PAGE_MG = str(ROOT / "pages" / "malgrupper.py")
PAGE_WL = str(ROOT / "pages" / "arbetslista.py")
PERSON_ID = re.compile(r"\bP\d{7}\b")
STATUS = {CHANGE_NEW: "Ny sedan förra månaden", CHANGE_STAYED: "Kvar", CHANGE_LEFT: "Lämnat listan"}


@pytest.fixture
def env(sample_url, sample_engine, monkeypatch):  # noqa: F811
    set_app_env(monkeypatch, sample_url)
    return sample_engine


@pytest.fixture(scope="module")
def lists():
    """The whole area's worklist on DAY and a month before, from metrics on the sample files."""
    from data_access.files import read_directory

    frames = read_directory(ROOT / "sample_data" / "default")
    return worklist(frames, day=DAY), worklist(frames, day=month_before(DAY))


def expected_status(lists, keep) -> pd.Series:
    """Pseudonym → status for the rows ``keep(frame)`` selects, built by hand from the two lists."""
    now, before = (f[keep(f)] for f in lists)
    ids_now, ids_before = set(now["person_id"]), set(before["person_id"])
    status = {p: STATUS[CHANGE_STAYED] if p in ids_before else STATUS[CHANGE_NEW] for p in ids_now}
    status.update({p: STATUS[CHANGE_LEFT] for p in ids_before - ids_now})
    return pd.Series(status).sort_index()


def shown(at) -> pd.DataFrame:
    return at.dataframe[0].value


# --- Målgrupper -----------------------------------------------------------------


@pytest.mark.parametrize("name", [None, "politiker"])
def test_malgrupper_renders_aggregated_and_suppressed(env, name):
    at = login_as(env, name, PAGE_MG).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Målgrupper"]
    headers = [h.value for h in at.main.header]
    assert headers == ["Hela området"]
    # one cohort's chart by default (drawing six was most of the page's time), the summary table of all six
    assert len(at.get("plotly_chart")) == 1 and at.selectbox(key="mg_cohort").value == "mal_mangsokare_ej_inskrivna"
    assert page_text(at).count("Vad kan kommunen göra?") == 1
    assert len(at.dataframe[0].value.columns) == 1 + 6  # Kommun and the six cohorts
    # all six on request, each with its chart and its text
    at.selectbox(key="mg_cohort").set_value("alla").run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 6
    text = page_text(at)
    assert text.count("Vad kan kommunen göra?") == 6
    assert not PERSON_ID.search(text)
    latest = at.dataframe[0].value
    assert latest["Kommun"].iloc[0] == "Hela området" and len(latest) == 9  # the area and eight municipalities
    cells = latest.drop(columns=["Kommun"]).astype(str)
    assert (cells == "–").any().any()  # small municipalities' small counts are hidden
    # no shown count is a small number: every count is "–" or at least 5
    counts = cells.stack().str.extract(r"^(\d+) \(")[0].dropna().astype(int)
    assert len(counts) > 0 and not counts.between(1, 4).any()


@pytest.mark.parametrize(("kon", "sex"), [("alla", "T"), ("kvinnor", "K"), ("man", "M")])
def test_malgrupper_counts_table_matches_the_stored_results(env, kon, sex):
    """The counts table of one cohort (behind its switch) shows the persisted, suppressed numbers of the area,
    by sex."""
    from data_access.access import PUBLIC_VIEWER
    from data_access.queries import load_indicator_results

    at = login_as(env, "politiker", PAGE_MG, query={"kon": kon})
    at.session_state["mg_cohort"] = "mal_akut_ej_inlagd"
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1
    assert not any("Antal personer" in df.value.columns for df in at.dataframe)  # drawn only when asked for
    at.toggle(key="mg-tab-ALL-mal_akut_ej_inlagd").set_value(True).run()
    assert not at.exception, at.exception
    counts = next(df.value for df in at.dataframe if "Antal personer" in df.value.columns)
    stored = load_indicator_results(access=PUBLIC_VIEWER, period_type="month", engine=env)
    stored = stored[(stored["indicator_id"] == "mal_akut_ej_inlagd") & (stored["municipality_code"] == "ALL")
                    & (stored["sex"] == sex)].sort_values("period_start")
    last = stored.iloc[-1]
    assert counts["Antal personer"].iloc[-1] == f"{int(last['numerator']):,}".replace(",", " ")
    assert counts["Invånare 75+"].iloc[-1] == f"{int(last['denominator']):,}".replace(",", " ")
    value = f"{last['value']:.1f}".replace(".", ",")
    assert counts["Per 1 000 inv. 75+ och månad"].iloc[-1] == value  # the time unit, as on every page


def test_malgrupper_for_ledningsgrupp_shows_only_its_municipality(env):
    at = login_as(env, "ledningsgrupp", PAGE_MG).run()
    assert not at.exception, at.exception
    assert [h.value for h in at.main.header] == ["Borås"]
    text = page_text(at)
    for other in ("Mark", "Ulricehamn", "Hela området"):
        assert not re.search(rf"\b{other}\b", text)
    assert list(at.dataframe[0].value["Kommun"]) == ["Borås"]


# --- Arbetslista ----------------------------------------------------------------

SCOPES = {
    "vardcentral": lambda f: f["care_centre"] == SANDARED,
    "akutmottagning": lambda f: pd.Series(True, index=f.index),
    "kommun_hsl": lambda f: f["municipality_code"] == "1490",
    "ledning_och_vc": lambda f: f["care_centre"] == "Närhälsan Kinna",
}


@pytest.mark.parametrize("name", list(SCOPES))
def test_arbetslista_shows_exactly_the_scope_and_is_logged(env, lists, name):
    before = len(users.read_access_log(env, access=SYSTEM, username=f"t_{name}"))
    at = login_as(env, name, PAGE_WL).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Arbetslista"]
    table = shown(at)
    expected = expected_status(lists, SCOPES[name])
    assert len(expected) > 0
    got = table.set_index("Pseudonym")["Status"].sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert table["Pseudonym"].str.fullmatch(r"P\d{7}").all()
    # the summary line counts the persons on the list today
    current = int((expected != STATUS[CHANGE_LEFT]).sum())
    assert any(f"**{current} personer** på arbetslistan 2026-10-31" in m.value for m in at.markdown)
    # the note on pseudonyms, PDL and OSL 25:11
    note = " ".join(i.value for i in at.info)
    assert "pseudonymer" in note and "PDL" in note and "25 kap. 11 §" in note
    # the view is logged: who, what, how many; never which persons
    log = users.read_access_log(env, access=SYSTEM, username=f"t_{name}")
    assert len(log) == before + 1
    newest = log.iloc[0]
    assert (newest["action"], newest["what"], newest["rows"]) == ("visning", "arbetslista", len(table))
    assert not PERSON_ID.search(str(newest["detail"]))


def test_arbetslista_filter_options_stay_in_the_scope(env, lists):
    at = login_as(env, "kommun_hsl", PAGE_WL).run()
    assert at.multiselect(key="wl_munis").options == ["Borås"]
    at = login_as(env, "vardcentral", PAGE_WL).run()
    assert at.multiselect(key="wl_centres").options == [SANDARED]


def test_arbetslista_filters_narrow_the_list(env, lists):
    at = login_as(env, "akutmottagning", PAGE_WL).run()
    at.multiselect(key="wl_munis").set_value(["1463"])
    at.multiselect(key="wl_cohorts").set_value(["mal_akut_ej_inlagd"])
    at.run()
    assert not at.exception, at.exception
    now, before = lists

    def keep(f):
        return (f["municipality_code"] == "1463") & f["cohorts"].str.split(",").map(
            lambda c: "mal_akut_ej_inlagd" in c)

    # status against the whole (unfiltered) lists of the viewer, rows narrowed afterwards
    ids_now, ids_before = set(now["person_id"]), set(before["person_id"])
    expected = {p: STATUS[CHANGE_STAYED] if p in ids_before else STATUS[CHANGE_NEW] for p in now[keep(now)]["person_id"]}
    expected.update({p: STATUS[CHANGE_LEFT] for p in before[keep(before)]["person_id"] if p not in ids_now})
    got = shown(at).set_index("Pseudonym")["Status"].to_dict()
    assert got == expected and len(got) > 0
    assert set(shown(at)["Kommun"]) == {"Mark"}


def test_arbetslista_export_is_logged(env):
    from ui.exports import csv_bytes
    from ui.worklist import export_file

    at = login_as(env, "kommun_hsl", PAGE_WL).run()
    table = shown(at)
    logged = []
    make = export_file(csv_bytes, lambda: logged.append(1), table)
    assert not logged  # nothing is logged until the file is made
    data = make().decode("utf-8-sig")
    assert logged == [1]
    assert data.splitlines()[0].startswith("Status;Pseudonym;Ålder")
    assert len(data.splitlines()) == len(table) + 1


@pytest.mark.parametrize("name", [None, "politiker", "ledningsgrupp", "processledare", "admin"])
def test_arbetslista_refused_to_other_roles(env, name):
    at = login_as(env, name, PAGE_WL).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Ingen behörighet"]
    assert not at.dataframe and not PERSON_ID.search(page_text(at))
