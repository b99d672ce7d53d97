"""Förbättringsarbete, Månadsuppföljning and the PDSA marks on Trender, with AppTest against a sample store.

The store is a copy of the sample store (``sample_store_url``) with one test
user per role (``tests/auth/conftest.py``: ``t_<role>``); each test logs in
with a fresh server-side session (``login_as``).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from data_access import pdsa
from data_access.access import SYSTEM
from metrics.registry import INDICATORS
from tests.auth.conftest import ROOT, login_as, open_page, role_viewer, set_app_env
from tests.ui.conftest import store_copy_with_users
from ui.improvement import esc

READM = "readmission_30d_65"
ED = "ed_visits_80_per_1000"
SIP = "sip_followup_90d"
ROLES = ("ledningsgrupp", "processledare", "admin", "politiker")


@pytest.fixture(scope="module")
def pdsa_store(sample_store_url, tmp_path_factory):
    """A private copy of the sample store (these tests write to it) with the test users."""
    url, engine = store_copy_with_users(sample_store_url, tmp_path_factory.mktemp("pdsa_pages"), ROLES)
    yield url, engine
    engine.dispose()


@pytest.fixture
def env(pdsa_store, monkeypatch):
    url, engine = pdsa_store
    set_app_env(monkeypatch, url)
    return engine


def texts(at) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.error, *at.warning)]
    parts += [e.value for e in (*at.header, *at.subheader, *at.title)]
    return "\n".join(str(p) for p in parts)


def table(at, *columns: str) -> pd.DataFrame:
    """The first table on the page whose columns start with ``columns``."""
    frames = [d.value for d in (*at.dataframe, *at.table) if list(d.value.columns[: len(columns)]) == list(columns)]
    assert frames, f"no table with columns {columns}"
    return frames[0]


def new_area(engine, title="Trygg hemgång", code="1490", **values):
    who = role_viewer("processledare")
    values = {"municipality_code": code, "title": title, "indicator_ids": [READM], **values}
    return pdsa.create_area(access=who, values=values, engine=engine)


def new_cycle(engine, area_id, title="Uppföljningssamtal inom 72 h", **values):
    who = role_viewer("processledare")
    return pdsa.create_cycle(access=who, area_id=area_id, values={"title": title, **values}, engine=engine)


# --------------------------------------------------------------------------- Förbättringsarbete


@pytest.mark.parametrize("role", ["ledningsgrupp", "processledare", "admin"])
def test_pages_render_for_each_pdsa_role(env, role):
    for page, title in (("forbattringsarbete", "Förbättringsarbete"), ("manadsuppfoljning", "Månadsuppföljning")):
        at = open_page(env, role, page)
        assert [t.value for t in at.title] == [title]
        assert "Ingen behörighet" not in texts(at)


@pytest.mark.parametrize("page", ["forbattringsarbete", "manadsuppfoljning"])
def test_politiker_is_refused(env, page):
    at = login_as(env, "politiker", str(ROOT / "pages" / f"{page}.py")).run()  # the page file on its own
    assert [t.value for t in at.title] == ["Ingen behörighet"]
    assert not at.get("form") and not at.dataframe


def test_creating_an_area_and_a_cycle_through_the_forms_stores_them(env):
    at = open_page(env, "processledare", "forbattringsarbete")
    at.selectbox(key="pdsa_kommun").set_value("1463").run()  # Mark: no areas of the other tests
    prefix = "pdsa_f_area_new_1463"
    at.text_input(key=f"{prefix}_title").input("Läkemedelsgenomgång i hemtjänst")
    at.text_input(key=f"{prefix}_owner").input("Processledare Mark")
    at.multiselect(key=f"{prefix}_indicator_ids").select(READM)
    at.button(key=f"FormSubmitter:{prefix}__form-Skapa förbättringsområdet").click().run()
    assert not at.exception, at.exception
    stored = pdsa.list_areas(access=SYSTEM, municipalities=["1463"], engine=env)
    assert stored["title"].tolist() == ["Läkemedelsgenomgång i hemtjänst"]
    area = stored.iloc[0]
    assert area["owner"] == "Processledare Mark" and area["indicator_ids"] == [READM]
    assert area["created_by"] == "t_processledare" and area["version"] == 1
    assert "Förbättringsområdet ”Läkemedelsgenomgång i hemtjänst” är skapat." in texts(at)

    cprefix = f"pdsa_f_cycle_new_{int(area['id'])}"
    at.text_input(key=f"{cprefix}_title").input("Apotekare vid första hembesöket")
    at.text_area(key=f"{cprefix}_aim").input("Färre akutbesök")
    at.date_input(key=f"{cprefix}_start_date").set_value(dt.date(2024, 3, 1))
    at.date_input(key=f"{cprefix}_end_date").set_value(dt.date(2024, 2, 1))  # before the start: refused
    at.selectbox(key=f"{cprefix}_status").set_value("pågår")
    at.button(key=f"FormSubmitter:{cprefix}__form-Skapa cykeln").click().run()
    assert pdsa.list_cycles(access=SYSTEM, area_id=int(area["id"]), engine=env).empty
    errors = "\n".join(e.value for e in at.error)
    assert "Inget sparades" in errors and "Slutdatum" in errors and "får inte vara före startdatum" in errors
    assert at.text_area(key=f"{cprefix}_aim").value == "Färre akutbesök"  # the typed values stay

    at.date_input(key=f"{cprefix}_end_date").set_value(dt.date(2024, 4, 30))
    at.button(key=f"FormSubmitter:{cprefix}__form-Skapa cykeln").click().run()
    assert not at.exception, at.exception
    cycles = pdsa.list_cycles(access=SYSTEM, area_id=int(area["id"]), engine=env)
    assert cycles["title"].tolist() == ["Apotekare vid första hembesöket"]
    c = cycles.iloc[0]
    assert (c["cycle_number"], c["status"], c["aim"]) == (1, "pågår", "Färre akutbesök")
    assert (c["start_date"], c["end_date"]) == (dt.date(2024, 3, 1), dt.date(2024, 4, 30))
    assert c["linked_indicator_ids"] == [READM]  # the area's
    # the card: the three questions and the four steps; the timeline with its table
    text = texts(at)
    assert "PDSA 1: Apotekare vid första hembesöket" in text
    for heading in ("Vad vill vi åstadkomma?", "Planera", "Göra", "Studera", "Agera"):
        assert heading in text
    timeline = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = [t for t in timeline["data"] if t["type"] == "bar"]
    assert [(b["name"], b["y"], b["text"]) for b in bars] == [("Pågår", ["PDSA 1"], ["Pågår"])]
    assert bars[0]["x"] == [61 * 86_400_000]  # 1 March to 30 April, both days included
    alt = table(at, "Cykel", "Titel", "Status", "Start")
    assert alt.iloc[0][["Cykel", "Status", "Start", "Slut"]].tolist() == ["PDSA 1", "Pågår", "2024-03-01",
                                                                           "2024-04-30"]  # fmt: skip


def test_a_conflict_shows_the_message_keeps_the_input_and_shows_the_saved_version(env):
    area = new_area(env, title="Konfliktområdet")
    c = new_cycle(env, area["id"], title="Samma cykel", aim="Ursprungligt mål")
    at = open_page(env, "ledningsgrupp", "forbattringsarbete", cykel=str(c["id"]))
    assert at.selectbox(key="pdsa_cycle").value == c["id"]
    prefix = f"pdsa_f_cycle_{c['id']}"
    at.text_area(key=f"{prefix}_aim").input("Mitt nya mål")
    at.text_area(key=f"{prefix}_study").input("Det fungerade")
    # meanwhile the process leader saves the same cycle
    pdsa.update_cycle(access=role_viewer("processledare"), cycle_id=c["id"], expected_version=1,
                      values={"aim": "Processledarens mål"}, engine=env)  # fmt: skip
    at.button(key=f"FormSubmitter:{prefix}__form-Spara cykeln").click().run()
    assert not at.exception, at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "Cykeln har ändrats av någon annan" in errors and "Dina ändringar har inte sparats" in errors
    assert "Mål, Studera" in errors
    assert at.text_area(key=f"{prefix}_aim").value == "Mitt nya mål"  # nothing typed is lost
    assert at.text_area(key=f"{prefix}_study").value == "Det fungerade"
    compare = table(at, "Fält", "Ditt värde (inte sparat)")
    assert compare.to_dict("records") == [
        {"Fält": "Mål", "Ditt värde (inte sparat)": "Mitt nya mål", "Sparad version": "Processledarens mål"},
        {"Fält": "Studera", "Ditt värde (inte sparat)": "Det fungerade", "Sparad version": "–"},
    ]
    assert f"sparades av **{esc('t_processledare')}**" in texts(at)  # who saved it is shown on the page (never in the message)
    stored = pdsa.get_cycle(access=SYSTEM, cycle_id=c["id"], engine=env)
    assert stored["aim"] == "Processledarens mål" and stored["version"] == 2

    at.button(key=f"FormSubmitter:{prefix}__form-Spara cykeln").click().run()  # compared: save again
    stored = pdsa.get_cycle(access=SYSTEM, cycle_id=c["id"], engine=env)
    assert (stored["aim"], stored["study"], stored["version"]) == ("Mitt nya mål", "Det fungerade", 3)
    assert stored["updated_by"] == "t_ledningsgrupp"
    assert not any("ändrats av någon annan" in e.value for e in at.error)


def test_delete_asks_first_and_is_soft(env):
    area = new_area(env, title="Ska bort")
    c = new_cycle(env, area["id"], title="Bortcykel")
    at = open_page(env, "processledare", "forbattringsarbete", cykel=str(c["id"]))
    key = f"pdsa_delete_cycle_{c['id']}"
    at.button(key=key + "_ask").click().run()
    assert any("Vill du ta bort PDSA 1 ”Bortcykel”" in w.value for w in at.warning)
    assert pdsa.get_cycle(access=SYSTEM, cycle_id=c["id"], engine=env)["deleted_at"] is None
    at.button(key=key + "_yes").click().run()
    assert not at.exception, at.exception
    gone = pdsa.list_cycles(access=SYSTEM, area_id=area["id"], include_deleted=True, engine=env)
    assert gone["deleted_at"].notna().all() and len(gone) == 1  # kept, marked deleted
    assert "PDSA 1 ”Bortcykel” är borttagen." in texts(at)


def test_admin_sees_the_audit_trail_and_no_edit_forms(env):
    area = new_area(env, title="Granskat område")
    c = new_cycle(env, area["id"], title="Granskad cykel")
    pdsa.update_cycle(access=role_viewer("processledare"), cycle_id=c["id"], expected_version=1,
                      values={"aim": "Nytt mål"}, engine=env)  # fmt: skip
    at = open_page(env, "admin", "forbattringsarbete", cykel=str(c["id"]))
    assert "Ändringslogg" in [s.value for s in at.subheader]
    trail = table(at, "Tid", "Användare")
    change = trail[(trail["Vad"] == f"Cykel {c['id']}") & (trail["Händelse"] == "ändrad")]
    assert change[["Användare", "Fält", "Tidigare värde", "Nytt värde", "Version"]].values.tolist() == [
        ["t_processledare", "Mål", "–", "Nytt mål", "2"]
    ]
    assert "Du kan läsa förbättringsarbetet men inte ändra det." in texts(at)
    assert "PDSA 1: Granskad cykel" in texts(at)  # reads the card
    assert not at.get("form"), "no forms for a viewer without edit_pdsa"
    labels = [b.label for b in at.button]
    assert not [b for b in labels if b.startswith(("Ta bort", "Anta", "Spara", "Skapa"))]


def test_ledningsgrupp_has_no_audit_trail_and_sees_only_its_municipality(env):
    new_area(env, title="Område i Mark", code="1463")
    at = open_page(env, "ledningsgrupp", "forbattringsarbete")
    assert at.selectbox(key="pdsa_kommun").options == ["Borås"]
    assert "Ändringslogg" not in [s.value for s in at.subheader]
    assert "Område i Mark" not in texts(at) + "\n".join(d.value.to_csv() for d in at.dataframe)


def test_adopting_starts_a_phase_and_the_trend_chart_splits_there(env):
    area = new_area(env, title="Trygg hemgång i Borås")
    c = new_cycle(env, area["id"], title="Ring dag 2", start_date="2024-01-15", end_date="2024-03-31",
                  status="pågår")  # fmt: skip
    at = open_page(env, "processledare", "forbattringsarbete", cykel=str(c["id"]))
    key = f"pdsa_adopt_{c['id']}"
    at.date_input(key=key + "_date").set_value(dt.date(2024, 4, 10))
    assert at.checkbox(key=key + "_phases").value is True
    at.button(key=f"FormSubmitter:{key}-Anta förändringen").click().run()
    assert not at.exception, at.exception
    assert "Förändringen är antagen 2024-04-10. Ny fas startad i 1 styrdiagram." in texts(at)
    stored = pdsa.get_cycle(access=SYSTEM, cycle_id=c["id"], engine=env)
    assert (stored["act"], stored["act_date"], stored["status"]) == ("adopt", dt.date(2024, 4, 10), "avslutad")
    assert pdsa.phases_for(access=SYSTEM, municipality_code="1490", indicator_id=READM, engine=env) == [
        dt.date(2024, 4, 10)
    ]


# --------------------------------------------------------------------------- Trender


def trend_spec(env, role: str, code: str = "1490", ind_id: str = READM):
    at = open_page(env, role, "trender", kommun=code, fran="2023-01", till="2024-12")
    at.selectbox(key="trend_indicator").set_value(ind_id).run()
    assert not at.exception, at.exception
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and f"spc-{code}-{ind_id}" in c.proto.id)
    return at, json.loads(chart.proto.spec)


def test_trender_marks_a_linked_cycle_and_links_to_it(env):
    area = new_area(env, title="Område för Trender", code="1463")
    c = new_cycle(env, area["id"], title="Markerad cykel", start_date="2024-02-01", status="pågår")
    at, spec = trend_spec(env, "processledare", "1463")
    label = next(a for a in spec["layout"]["annotations"] if a.get("name") == f"pdsa-{c['id']}")
    assert label["text"] == f"PDSA {c['cycle_number']}: Markerad cykel"
    assert "Område: Område för Trender" in label["hovertext"]
    line = next(s for s in spec["layout"]["shapes"] if s.get("name") == f"pdsa-{c['id']}")
    assert pd.Timestamp(line["x0"]) == pd.Timestamp("2024-02-01") and line["line"]["dash"] == "dash"
    links = [p for p in at.get("page_link") if "Markerad cykel" in p.proto.label]
    assert len(links) == 1 and links[0].proto.page.endswith("forbattringsarbete")
    assert f"cykel={c['id']}" in links[0].proto.query_string


def test_trender_phases_split_the_limits_for_every_viewer_and_marks_need_read_pdsa(env):
    area = new_area(env, title="Fasområde", code="1490", indicator_ids=[ED])  # no other test's phases
    c = new_cycle(env, area["id"], title="Fascykel", start_date="2024-01-10", status="pågår")
    pdsa.adopt_cycle(access=role_viewer("processledare"), cycle_id=c["id"], expected_version=1,
                     adopted_on=dt.date(2024, 5, 20), engine=env)  # fmt: skip
    for role in ("ledningsgrupp", "politiker"):
        at, spec = trend_spec(env, role, ind_id=ED)
        phase_labels = [a["text"] for a in spec["layout"]["annotations"] if a["text"].startswith("Fas ")]
        assert [t.split(" –")[0] for t in phase_labels] == ["Fas 1", "Fas 2"]
        boundary = [s for s in spec["layout"]["shapes"] if s["line"].get("dash") == "dot"]
        # the adoption on 20 May starts the new phase with June: the boundary lies between May and June
        assert any(pd.Timestamp("2024-05-01") < pd.Timestamp(s["x0"]) < pd.Timestamp("2024-06-01") for s in boundary)
        marks = [a for a in spec["layout"]["annotations"] if a.get("name") == f"pdsa-{c['id']}"]
        assert len(marks) == (1 if role == "ledningsgrupp" else 0)  # the politician sees no cycles
        assert bool([p for p in at.get("page_link") if "Fascykel" in p.proto.label]) == (role == "ledningsgrupp")


# --------------------------------------------------------------------------- Månadsuppföljning


def stored_rows(engine, code: str, ind_id: str) -> pd.DataFrame:
    from data_access.queries import load_indicator_results

    rows = load_indicator_results(access=role_viewer("ledningsgrupp"), period_type="month", indicator_ids=[ind_id],
                                  municipalities=[code], sexes=["T"], engine=engine)  # fmt: skip
    return rows.sort_values("period").reset_index(drop=True)


def test_monthly_review_shows_latest_values_previous_months_open_cycles_and_decisions(env):
    from ui.labels import format_value

    rows = stored_rows(env, "1490", READM)
    ok = rows[(rows["status"] == "ok") & rows["value"].notna()]
    month = ok["period"].iloc[-1]  # a month where readmissions are complete
    latest, before = ok.iloc[-1], rows[rows["period"] == str(pd.Period(month, freq="M") - 1)].iloc[0]
    area = new_area(env, title="Månadens område")
    running = new_cycle(env, area["id"], title="Pågående i månaden", start_date="2023-01-02", status="pågår")
    decided = new_cycle(env, area["id"], title="Beslutad i månaden", start_date="2023-01-02")
    act_day = pd.Period(month, freq="M").start_time.date() + dt.timedelta(days=4)
    pdsa.update_cycle(access=role_viewer("processledare"), cycle_id=decided["id"], expected_version=1,
                      values={"act": "abandon", "act_date": act_day, "act_notes": "Gav inget", "status": "avslutad"},
                      engine=env)  # fmt: skip

    at = open_page(env, "ledningsgrupp", "manadsuppfoljning")
    at.selectbox(key="mu_manad").set_value(month).run()
    assert not at.exception, at.exception
    indicators = table(at, "Indikator", "Senaste värde")
    assert len(indicators) == len(INDICATORS)
    row = indicators.set_index("Indikator").loc[INDICATORS[READM].name_sv]
    assert row["Senaste värde"] == format_value(float(latest["value"]), "%")
    previous = f"{format_value(float(before['value']), '%')}" if before["status"] == "ok" else "–"
    assert row["Föregående månader"].split(" · ")[0].endswith(": " + previous)
    # "Öppna cykler" of a past month: the linked cycles open at its end (issue 22), not those open today
    month_end = pd.Period(month, freq="M").end_time.normalize()

    def day(value):
        ts = pd.Timestamp(value)
        return (ts.tz_convert("Europe/Stockholm").tz_localize(None) if ts.tzinfo else ts).normalize()

    def open_at_end(c) -> bool:
        begin = min(day(c[k]) for k in ("start_date", "created_at") if pd.notna(c[k]))
        if begin > month_end:
            return False
        if c["status"] != "avslutad":
            return True
        return day(next(c[k] for k in ("act_date", "end_date", "updated_at") if pd.notna(c[k]))) > month_end

    linked = pdsa.list_cycles(access=SYSTEM, municipalities=["1490"], indicator_id=READM, engine=env)
    assert running["id"] in set(linked["id"])  # linked through its area
    assert row["Öppna cykler"] == sum(open_at_end(c) for c in linked.to_dict("records"))
    assert row["Variation"] != "" and row["Mål"] != ""
    open_ = table(at, "Cykel", "Område", "Status")
    assert f"PDSA {running['cycle_number']}: Pågående i månaden" in set(open_["Cykel"])
    decisions = table(at, "Datum", "Cykel", "Område", "Beslut")
    mine = decisions[decisions["Cykel"] == f"PDSA {decided['cycle_number']}: Beslutad i månaden"]
    assert mine[["Datum", "Beslut", "Motivering"]].values.tolist() == [[f"{act_day:%Y-%m-%d}", "Överge", "Gav inget"]]
    assert [p for p in at.get("page_link") if "Pågående i månaden" in p.proto.label]
    # the ledningsgrupp has no export permission: no PDF button
    assert "Arbetsmaterialet som PDF kan laddas ner av processledare." in texts(at)
    assert not [b for b in at.button if b.label == "Skapa PDF"]


def test_process_leader_downloads_the_pack_with_the_linked_charts(env):
    import io

    from pypdf import PdfReader

    area = new_area(env, title="Packområde", code="1463")
    new_cycle(env, area["id"], title="Cykel i packet", start_date="2024-01-08", status="pågår")
    at = open_page(env, "processledare", "manadsuppfoljning")
    at.selectbox(key="mu_kommun").set_value("1463").run()
    month = at.selectbox(key="mu_manad").value
    assert not [b for b in at.get("download_button")]  # made only on request
    at.button(key="mu_pack_make").click().run(timeout=180)
    assert not at.exception, at.exception
    assert len(at.get("download_button")) == 1
    key, pdf = at.session_state["mu_pack"]
    assert key == ("1463", month)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert text.lstrip().startswith("Månadsuppföljning") and "Mark – " in text
    for heading in ("Indikatorer", "Pågående förbättringsarbete", "Beslut", "Styrdiagram"):
        assert heading in text
    assert "PDSA 1: Cykel i packet" in text
    assert INDICATORS[READM].name_sv in text and sum(len(p.images) for p in reader.pages) == 1  # the linked chart


def test_a_cycle_link_outside_the_viewers_municipality_shows_nothing_of_it(env):
    area = new_area(env, title="Hemligt i Mark", code="1463")
    c = new_cycle(env, area["id"], title="Markcykel")
    for wanted in (str(c["id"]), "abc", "999999", "99999999999999999999", "-1"):
        at = open_page(env, "ledningsgrupp", "forbattringsarbete", cykel=wanted)
        assert any("Cykeln i länken finns inte" in w.value for w in at.warning)
        assert "Markcykel" not in texts(at) and "Hemligt i Mark" not in texts(at)
        assert "cykel" not in at.query_params  # used once


def test_adopting_through_the_edit_form_offers_the_new_phase(env):
    area = new_area(env, title="Erbjudande", indicator_ids=[SIP])
    c = new_cycle(env, area["id"], title="Erbjuden fas", start_date="2024-02-01", status="pågår")
    at = open_page(env, "processledare", "forbattringsarbete", cykel=str(c["id"]))
    prefix = f"pdsa_f_cycle_{c['id']}"
    at.selectbox(key=f"{prefix}_act").set_value("adopt")
    at.date_input(key=f"{prefix}_act_date").set_value(dt.date(2024, 8, 15))
    at.button(key=f"FormSubmitter:{prefix}__form-Spara cykeln").click().run()
    assert not at.exception, at.exception
    assert pdsa.get_cycle(access=SYSTEM, cycle_id=c["id"], engine=env)["act"] == "adopt"
    assert pdsa.list_phases(access=SYSTEM, municipality_code="1490", indicator_id=SIP, engine=env).empty
    offer = [i.value for i in at.info if "Starta en ny fas i styrdiagrammen från 2024-08-15" in i.value]
    assert offer and INDICATORS[SIP].name_sv in offer[0]
    at.button(key=f"pdsa_phase_offer_{c['id']}_yes").click().run()
    phases = pdsa.list_phases(access=SYSTEM, municipality_code="1490", indicator_id=SIP, engine=env)
    assert phases[["start_date", "cycle_id"]].values.tolist() == [[dt.date(2024, 8, 15), c["id"]]]
    assert "Ny fas startad från 2024-08-15." in texts(at)
    assert not [i for i in at.info if "Starta en ny fas" in i.value]  # asked once


def test_timeline_shows_status_as_word_and_pattern_and_decisions_as_symbols():
    from ui.improvement import timeline_figure, timeline_table

    base = {"area_id": 1, "area_title": "A", "municipality_code": "1490", "act": None, "act_date": None,
            "indicator_ids": [], "linked_indicator_ids": [READM]}  # fmt: skip
    cycles = pd.DataFrame([
        {**base, "id": 1, "cycle_number": 1, "title": "Planerad <b>test</b>", "status": "planerad",
         "start_date": dt.date(2025, 1, 1), "end_date": dt.date(2025, 1, 31)},
        {**base, "id": 2, "cycle_number": 2, "title": "Antagen", "status": "avslutad", "start_date": dt.date(2025, 2, 1),
         "end_date": None, "act": "adopt", "act_date": dt.date(2025, 3, 10)},
        {**base, "id": 3, "cycle_number": 3, "title": "Utan datum", "status": "planerad", "start_date": None,
         "end_date": None},
    ])  # fmt: skip
    fig = timeline_figure(cycles, title="t", today=dt.date(2025, 6, 1))
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert set(bars) == {"Planerad", "Avslutad"}
    day = 86_400_000
    assert bars["Planerad"].x == (31 * day,) and bars["Planerad"].text == ("Planerad",)
    assert bars["Planerad"].marker.pattern.shape == "." and bars["Avslutad"].marker.pattern.shape == ""
    assert bars["Avslutad"].x == (38 * day,)  # 1 February to the decision on 10 March, both days included
    assert "Planerad &lt;b&gt;test&lt;/b&gt;" in bars["Planerad"].customdata[0]  # user text escaped in hover
    decision = next(t for t in fig.data if t.name == "Beslut: Införa")
    assert decision.marker.symbol == "star" and decision.text == ("Införa",) and decision.y == ("PDSA 2",)
    assert pd.Timestamp(decision.x[0]) == pd.Timestamp("2025-03-10")
    assert list(fig.layout.yaxis.categoryarray) == ["PDSA 1", "PDSA 2"]  # no start date: not drawn ...
    alt = timeline_table(cycles)
    assert alt[["Cykel", "Start", "Beslut"]].values.tolist() == [  # ... but in the table alternative
        ["PDSA 1", "2025-01-01", "–"], ["PDSA 2", "2025-02-01", "Införa"], ["PDSA 3", "–", "–"]]


def test_no_english_placeholder_in_the_forms(env):
    """Issue 22: the "Nästa cykel" select showed Streamlit's "Choose an option" when no next cycle was set."""
    area = new_area(env, title="Placeholders", code="1490")  # the module's last test: 1490 may gain an area
    new_cycle(env, area["id"], title="Första")
    new_cycle(env, area["id"], title="Andra")
    at = open_page(env, "processledare", "forbattringsarbete")
    at.selectbox(key="pdsa_kommun").set_value("1490").run()
    assert not at.exception, at.exception
    # Streamlit's browser side shows "Choose an option" (or "Choose options") where the value is empty and
    # no placeholder was given.
    empty = [b for b in at.selectbox if b.value is None] + [m for m in at.multiselect if not m.value]
    assert any(b.label.startswith("Nästa cykel") for b in empty), [b.label for b in empty]
    for box in empty:
        assert box.placeholder and not box.placeholder.startswith("Choose"), (box.label, box.placeholder)
