"""The background warm-up (ui/warmup.py): after the first page, another municipality's first view is served
from the shared caches instead of being computed on the click (issue 18)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access.settings import get_settings
from tests.ui.test_pages import APP
from ui import warmup

MARK = "1463"


def _computing_forbidden(monkeypatch) -> list[str]:
    """Make the tile and chart computations record that they ran (and fail the page), so a page that
    finds its values in the caches runs cleanly."""
    import metrics.overview
    import ui.trend

    calls: list[str] = []

    def forbidden(name):
        def f(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} computed on the click")

        return f

    monkeypatch.setattr(metrics.overview, "overview_tiles", forbidden("overview_tiles"))
    monkeypatch.setattr(ui.trend, "indicator_spc", forbidden("indicator_spc"))
    return calls


def _first_views(monkeypatch, *, warm: bool) -> tuple[list[str], AppTest]:
    """Open Översikt (default filters), let the warm-up finish, then forbid computing and open Mark on
    Översikt and Trender; the computations that were attempted."""
    monkeypatch.setenv("WARM_CACHES", "1" if warm else "0")
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert warmup.idle(timeout=180), "the warm-up did not finish"
    calls = _computing_forbidden(monkeypatch)
    at.multiselect(key="f_oversikt_kommun").set_value([MARK]).run()
    assert [s.value for s in at.subheader] == ["Mark"]
    at.switch_page("pages/trender.py").run()
    return calls, at


def test_a_municipalitys_first_view_comes_from_the_warm_up(sample_app, monkeypatch):
    calls, at = _first_views(monkeypatch, warm=True)
    assert calls == []
    assert not at.exception and not at.error
    assert [h.value for h in at.main.header] == ["Mark"] and len(at.get("plotly_chart")) == 1


def test_without_the_warm_up_the_first_view_is_computed_on_the_click(sample_app, monkeypatch):
    """The control: the same steps with ``WARM_CACHES=0`` do compute (so the test above can fail)."""
    assert "overview_tiles" in _first_views(monkeypatch, warm=False)[0]


def test_each_scope_and_filter_set_is_queued_once_per_recompute(monkeypatch):
    ran: list[str] = []
    monkeypatch.setattr(warmup, "_seen", {})
    assert warmup._submit("stamp1", ("k",), lambda: ran.append("a"))
    assert not warmup._submit("stamp1", ("k",), lambda: ran.append("again"))
    assert warmup._submit("stamp1", ("other",), lambda: ran.append("b"))
    assert warmup._submit("stamp2", ("k",), lambda: ran.append("c"))  # a recompute: warmed again
    assert warmup.idle(timeout=10)
    assert ran == ["a", "b", "c"]
    assert set(warmup._seen) == {"stamp2"}


def test_a_failing_job_is_logged_and_the_worker_goes_on(monkeypatch, caplog):
    ran: list[str] = []
    monkeypatch.setattr(warmup, "_seen", {})

    def boom():
        raise RuntimeError("store gone")

    warmup._submit("s", ("bad",), boom)
    warmup._submit("s", ("good",), lambda: ran.append("ok"))
    assert warmup.idle(timeout=10)
    assert ran == ["ok"]
    assert "warm-up of the page caches failed" in caplog.text


@pytest.fixture(autouse=True)
def _settings_back():
    yield
    get_settings.cache_clear()
