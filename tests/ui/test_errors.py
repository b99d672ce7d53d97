"""Bad input and unexpected errors never show a traceback: junk in the URL gives the default filters, and an error
on a page gives a Swedish message with a reference id while the traceback goes to the server log only."""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.filters import QUERY_KEYS, parse_month

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
MESSAGE = re.compile(r"^Något gick fel\. Ange referens ([A-Z2-9]{6}) om du kontaktar förvaltningen\.$")
DEFAULT = dt.date(2000, 1, 1)


def run_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def shown_text(at: AppTest) -> str:
    """Every text the page shows (main area and sidebar)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success",
                 "exception", "text", "code"):
        for element in getattr(at, kind):
            parts.append(str(getattr(element, "value", "")) + str(getattr(element, "message", "")))
            parts.extend(str(line) for line in getattr(element, "stack_trace", []) or [])
    return "\n".join(parts)


@pytest.mark.parametrize(
    "text",
    ["99999999999999999999-01", "2024-99999999999999999999", "9" * 5000 + "-01", "abc", "", "2024-13", "2024-00",
     "0-01", "-1-01", "10000-01", "２０２４-01", "2024-01-01-01", "2024/01", " ", "2024-1x", "1e5-01"],
)
def test_parse_month_falls_back_to_the_default_and_never_raises(text):
    assert parse_month(text, DEFAULT) == DEFAULT


@pytest.mark.parametrize("value", [None, 202401, ["2024-01"], object()])
def test_parse_month_of_something_that_is_no_text(value):
    assert parse_month(value, DEFAULT) == DEFAULT


@pytest.mark.parametrize(
    ("text", "month"),
    [("2024-01", dt.date(2024, 1, 1)), ("2024-1", dt.date(2024, 1, 1)), (" 2025-12 ", dt.date(2025, 12, 1)),
     ("2025-06-30", dt.date(2025, 6, 1))],
)
def test_parse_month_of_a_month(text, month):
    assert parse_month(text, DEFAULT) == month


JUNK = {
    "year too large for a date": {"fran": "99999999999999999999-01"},
    "year too large, till": {"till": "99999999999999999999-12"},
    "no month": {"till": "abc"},
    "huge period": {"period": "kvartal" * 20_000},
    "10 000 commas": {"kommun": "," * 10_000},
    "valid codes, far too many": {"kommun": ",".join(["1490"] * 3_000)},
    "month 13 and a negative year": {"fran": "2024-13", "till": "-1-01"},
    "unknown theme and sex": {"tema": "<img src=x>", "kon": "alla" * 1000},
    "everything at once": {"fran": "99999999999999999999-01", "till": "abc", "period": "x" * 100_000,
                           "kommun": "," * 10_000, "tema": "", "kon": ""},
}


@pytest.fixture(scope="module")
def default_filters(sample_app):
    """What the filters are without any query parameters (computed once)."""
    at = run_app()
    assert not at.exception, at.exception
    return {k: at.query_params[k] for k in QUERY_KEYS}


@pytest.fixture(scope="module")
def sample_app(sample_store_url):
    """Module-scoped twin of tests/ui/conftest.py's sample_app (demo mode on the sample store)."""
    from data_access.db import get_engine
    from data_access.settings import get_settings

    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", sample_store_url)
    mp.setenv("DEMO", "1")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield sample_store_url
    mp.undo()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.mark.parametrize("query", JUNK.values(), ids=JUNK.keys())
def test_junk_in_the_url_gives_the_default_filters(sample_app, default_filters, query):
    at = run_app(query)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Översikt"]
    assert not at.error
    assert {k: at.query_params[k] for k in QUERY_KEYS} == default_filters  # the URL is rewritten to the defaults
    assert [s.value for s in at.subheader] == ["Hela området"]


def test_a_valid_link_still_opens_its_view(sample_app):
    at = run_app({"kommun": "1463,1463,okänd", "fran": "2025-01", "till": "2025-06", "period": "kvartal"})
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == ["Mark"]
    assert (at.query_params["kommun"], at.query_params["fran"], at.query_params["till"]) == ("1463", "2025-01",
                                                                                             "2025-06")


def test_an_error_on_a_page_shows_a_reference_and_logs_the_traceback(sample_app, monkeypatch, caplog):
    import ui.context

    def broken(*_args, **_kwargs):
        raise RuntimeError("hemlig detalj från /srv/naravard/ui/context.py")

    monkeypatch.setattr(ui.context, "cached_tiles", broken)
    with caplog.at_level(logging.ERROR, logger="naravard.errors"):
        at = run_app()
    assert not at.exception, at.exception  # handled: Streamlit has nothing to show
    assert [t.value for t in at.title] == ["Översikt"]  # what the page drew before the error stays
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and MESSAGE.match(messages[0]), messages
    reference = MESSAGE.match(messages[0])[1]
    text = shown_text(at)
    for secret in ("RuntimeError", "hemlig detalj", "/srv/", "Traceback", "context.py", ".py"):
        assert secret not in text

    records = [r for r in caplog.records if r.name == "naravard.errors"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR and reference in record.getMessage()
    assert "Översikt" in record.getMessage()
    logged = caplog.text
    assert "Traceback (most recent call last)" in logged and "RuntimeError: hemlig detalj" in logged
    assert "pages/oversikt.py" in logged


def test_each_error_gets_its_own_reference(sample_app, monkeypatch):
    import ui.context

    monkeypatch.setattr(ui.context, "cached_tiles", lambda *a, **k: 1 / 0)
    first, second = (MESSAGE.match(run_app().error[0].value)[1] for _ in range(2))
    assert first != second


def test_streamlit_control_flow_passes_through():
    from streamlit.runtime.scriptrunner import RerunException, StopException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    from ui.errors import run_guarded

    for signal in (RerunException(RerunData()), StopException()):
        def page(signal=signal):
            raise signal

        with pytest.raises(type(signal)):
            run_guarded(page, where="test")


def test_streamlit_shows_no_error_details_in_any_mode():
    """What escapes ui.errors (e.g. a widget callback) is shown by Streamlit without type, message or stack."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
