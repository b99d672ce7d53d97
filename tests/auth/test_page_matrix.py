"""Role × page matrix with AppTest: the navigation each viewer gets, and every page's own guard.

Two paths per viewer:

* ``app.py``: the navigation holds exactly the viewer's pages (``PAGE_RULES``);
* every page file run on its own — what Streamlit does when it serves
  ``pages/`` directly (after a start, before any session ran ``app.py``'s
  ``st.navigation``, or when ``app.py`` fails): a page the viewer may not
  use shows only "Ingen behörighet"; a page it may use shows nothing of
  municipalities or care centres outside the viewer's scope, even with
  tampered query parameters.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from google.protobuf.text_format import MessageToString

from data_access.access import NOBODY, PAGE_RULES, PUBLIC_VIEWER, pages_for
from tests.auth.conftest import ROLE_USERS, ROOT, SANDARED, login_as, role_viewer, set_app_env

NAMES = {"1490": "Borås", "1463": "Mark", "1491": "Ulricehamn", "1442": "Vårgårda", "1452": "Tranemo",
         "1465": "Svenljunga", "1443": "Bollebygd", "1466": "Herrljunga"}
TITLES = {"oversikt": "Översikt", "trender": "Trender", "jamfor": "Jämför kommuner",
          "om_indikatorerna": "Om indikatorerna", "mangsokare": "Mångsökare", "datastatus": "Dataunderlag",
          "admin_anvandare": "Användare och logg", "logga_in": "Logga in", "malgrupper": "Målgrupper",
          "forbattringsarbete": "Förbättringsarbete", "manadsuppfoljning": "Månadsuppföljning",
          "arbetslista": "Arbetslista", "dataimport": "Ladda upp data"}
PAGE_TITLES = {"oversikt": "Översikt", "trender": "Trender", "jamfor": "Jämför kommuner",
               "om_indikatorerna": "Om indikatorerna", "mangsokare": "Mångsökare",
               "datastatus": "Dataunderlag – vad som finns inläst", "admin_anvandare": "Användare och logg",
               "arbetslista": "Arbetslista"}
VIEWERS = ["public", "nobody", *ROLE_USERS]


def viewer(name):
    return {"public": PUBLIC_VIEWER, "nobody": NOBODY}.get(name) or role_viewer(name)


@pytest.fixture
def env(sample_url, sample_engine, monkeypatch, request):
    name = request.param if hasattr(request, "param") else None
    set_app_env(monkeypatch, sample_url, PUBLIC_VIEW="0" if name == "nobody" else None)
    return sample_engine


def start(engine, name: str, path: str | None = None, **kw):
    user = None if name in ("public", "nobody") else name
    return login_as(engine, user, path or str(ROOT / "app.py"), **kw)


def page_text(at) -> str:
    """Everything the page sent: texts, labels, options, chart specs, and the cells of every table."""
    parts: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") not in ("arrow_data_frame", "dataframe"):
            parts.append(MessageToString(proto, as_utf8=True))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or ()):
            walk(child)

    walk(at._tree)
    for df in at.dataframe:
        frame = df.value
        parts.append(" ".join(map(str, frame.columns)))
        parts.append(frame.astype(str).to_csv(index=False))
    return "\n".join(parts)


def forbidden_names(name: str) -> list[str]:
    v = viewer(name)
    if v.municipalities is None:
        return []
    words = [n for code, n in NAMES.items() if code not in v.municipalities]
    return [*words, "Hela området"]


@pytest.mark.parametrize("env", VIEWERS, indirect=True)
def test_navigation_holds_exactly_the_viewers_pages(env, request):
    name = request.node.callspec.params["env"]
    at = start(env, name).run()
    assert not at.exception, at.exception
    expected = [TITLES[p] for p in pages_for(viewer(name))]
    if name not in ("public", "nobody"):
        expected = [("Konto" if t == "Logga in" else t) for t in expected]
    registered = [p["page_name"] for p in at._registered_pages.values()]
    assert registered == expected
    # the first page is the viewer's start page
    first = pages_for(viewer(name))[0]
    assert at.title[0].value == PAGE_TITLES.get(first, "Logga in")


@pytest.mark.parametrize("page", list(PAGE_RULES))
@pytest.mark.parametrize("env", VIEWERS, indirect=True)
def test_every_page_guards_itself(env, page, request):
    name = request.node.callspec.params["env"]
    at = start(env, name, str(ROOT / "pages" / f"{page}.py")).run()
    assert not at.exception, at.exception
    titles = [t.value for t in at.title]
    if page in pages_for(viewer(name)):
        assert titles and titles[0] != "Ingen behörighet", titles
        # Swedish everywhere: an empty select shows its placeholder, Streamlit's "Choose an option" unless given
        empty = [b for b in at.selectbox if b.value is None] + [m for m in at.multiselect if not m.value]
        english = [b.label for b in empty if not b.placeholder or b.placeholder.startswith("Choose")]
        assert not english, (page, english)
        text = page_text(at)
        v = viewer(name)
        if page == "mangsokare" and v.frequent_attender_list:
            # the persons' municipalities are part of the list: the scope is the care centre
            listing = at.dataframe[0].value
            assert len(listing) > 0
            if v.care_centres is not None:
                assert set(listing["Vårdcentral"]) <= v.care_centres
        elif page == "arbetslista":
            # the worklist names the persons' municipalities and care centres: every row is in the scope
            listing = at.dataframe[0].value
            assert len(listing) > 0
            if v.worklist_municipalities is not None:
                own = {NAMES[c] for c in v.worklist_municipalities}
                centres = v.care_centres or frozenset()
                rows = zip(listing["Kommun"], listing["Vårdcentral (senaste kontakt)"], strict=True)
                assert all(m in own or c in centres for m, c in rows)
        else:
            for word in forbidden_names(name):
                assert not re.search(rf"\b{re.escape(word)}\b", text), (name, page, word)
            assert not re.search(r"\bP\d{7}\b", text)  # no pseudonymous ids anywhere else
    else:
        assert titles == ["Ingen behörighet"], titles
        assert not at.dataframe and not at.get("plotly_chart") and not at.metric
        assert not re.search(r"\bP\d{7}\b", page_text(at))


@pytest.mark.parametrize(
    ("env", "query"),
    [("ledningsgrupp", {"kommun": "1463,1491"}), ("ledningsgrupp", {"kommun": ""}),
     ("processledare", {"kommun": "1490,1463,1491,ALL"}), ("ledning_och_vc", {"kommun": "1490"})],
    indirect=["env"],
)
@pytest.mark.parametrize("page", ["oversikt", "trender", "jamfor"])
def test_tampered_query_parameters_show_nothing_outside_the_scope(env, query, page, request):
    name = request.node.callspec.params["env"]
    at = start(env, name, str(ROOT / "pages" / f"{page}.py"), query=query).run()
    assert not at.exception, at.exception
    text = page_text(at)
    for word in forbidden_names(name):
        assert not re.search(rf"\b{re.escape(word)}\b", text), (name, page, word)
    own = [NAMES[c] for c in viewer(name).municipalities]
    assert any(re.search(rf"\b{n}\b", text) for n in own)


@pytest.mark.parametrize("env", ["vardcentral"], indirect=True)
def test_the_list_shows_only_the_own_care_centre_and_is_logged(env):
    from data_access import users
    from data_access.access import SYSTEM

    at = start(env, "vardcentral", str(ROOT / "pages" / "mangsokare.py")).run()
    assert not at.exception
    listing = at.dataframe[0].value
    assert len(listing) > 0 and set(listing["Vårdcentral"]) == {SANDARED}
    assert listing["Pseudonym"].str.fullmatch(r"P\d{7}").all()
    log = users.read_access_log(env, access=SYSTEM, username="t_vardcentral")
    assert log.iloc[0]["rows"] == len(listing) and log.iloc[0]["action"] == "visning"
    # the export is logged when the file is made
    from ui.frequent_attenders import export_file

    make = export_file(role_viewer("vardcentral"), env, pd.Timestamp("2026-10-31").date(), None, listing)
    assert make().startswith(b"\xef\xbb\xbf")
    log = users.read_access_log(env, access=SYSTEM, username="t_vardcentral")
    assert (log.iloc[0]["action"], log.iloc[0]["rows"]) == ("export", len(listing))


@pytest.mark.parametrize("env", ["politiker"], indirect=True)
def test_other_roles_get_suppressed_counts_per_care_centre_only(env):
    at = start(env, "politiker", str(ROOT / "pages" / "mangsokare.py")).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Antal mångsökare per vårdcentral och månad"]
    text = page_text(at)
    assert not re.search(r"\bP\d{7}\b", text)
    table = at.dataframe[0].value
    cells = table.drop(columns=["Månad"]).astype(str)
    assert (cells == "–").any().any()  # small counts are hidden
    assert not cells.isin(["1", "2", "3", "4"]).any().any()


@pytest.mark.parametrize("env", ["politiker"], indirect=True)
def test_a_stale_viewer_in_session_state_grants_nothing(env):
    """The guard reads the session record, never a viewer left in the session state."""
    from data_access.access import SYSTEM

    at = start(env, "public", str(ROOT / "pages" / "admin_anvandare.py"))
    at.session_state["viewer"] = SYSTEM
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "admin"
    at.run()
    assert [t.value for t in at.title] == ["Ingen behörighet"]
    at = start(env, "public", str(ROOT / "pages" / "mangsokare.py"))
    at.session_state["auth_sid"] = "0" * 64  # a session id nobody was given
    at.run()
    assert [t.value for t in at.title] == ["Ingen behörighet"]
