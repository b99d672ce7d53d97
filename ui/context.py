"""Per-run context shared by the pages: the viewer, cached data loaders and the shared filters.

Components own their keys; pages call :func:`page_context` once and use what
it returns. Everything read from the store is cached with ``st.cache_data``
keyed by the database URL, the viewer's access context and the filters, and
invalidated by the time of the latest recompute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.db import ensure_schema, get_engine
from data_access.queries import last_computed_at, load_indicator_results, load_targets
from data_access.settings import get_settings
from metrics.registry import INDICATORS, THEMES
from metrics.series import data_starts
from ui.filters import Filters, sidebar_filters
from ui.freshness_banner import freshness_banner

# Until login lands (issue 7) every visitor is the public viewer: aggregated,
# suppressed figures for every municipality, no person-level data.
PUBLIC_VIEWER = AccessContext(user="public", roles=frozenset({"public"}))


def current_viewer() -> AccessContext:
    """The viewer validated by this run's page guard (``ui.auth``); sees nothing if none was."""
    from ui.auth import current_viewer as validated_viewer

    return validated_viewer()


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    engine = get_engine(url)
    ensure_schema(engine)
    return engine


def engine():
    return _engine(get_settings().database_url)


@st.cache_data(ttl=30, show_spinner=False)
def _stamp(url: str) -> str:
    return str(last_computed_at(engine=_engine(url)))


@st.cache_data(show_spinner=False, max_entries=64)
def _results(url: str, stamp: str, viewer: AccessContext, period_type: str) -> pd.DataFrame:
    frame = load_indicator_results(access=viewer, period_type=period_type, engine=_engine(url))
    for c in ("period_start", "period_end"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


@st.cache_data(show_spinner=False, max_entries=16)
def _targets(url: str, stamp: str, viewer: AccessContext) -> pd.DataFrame:
    return load_targets(access=viewer, engine=_engine(url))


def results(period_type: str) -> pd.DataFrame:
    url = get_settings().database_url
    return _results(url, _stamp(url), current_viewer(), period_type)


def targets() -> pd.DataFrame:
    url = get_settings().database_url
    return _targets(url, _stamp(url), current_viewer())


@dataclass(frozen=True)
class PageContext:
    viewer: AccessContext
    filters: Filters
    results: pd.DataFrame  # the chosen grain, all municipalities the viewer may see, all sexes
    yearly: pd.DataFrame  # baseline values for relative targets
    targets: pd.DataFrame

    def indicator_ids(self) -> list[str]:
        theme = self.filters.theme
        return [i for i, ind in INDICATORS.items() if theme is None or ind.theme == theme]

    def in_range(self, frame: pd.DataFrame) -> pd.DataFrame:
        return in_range(frame, self.filters)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """``results`` inside the chosen date range (computed once per run)."""
        return in_range(self.results, self.filters)

    @cached_property
    def _by_indicator(self) -> dict[str, pd.DataFrame]:
        return {}

    @cached_property
    def data_starts(self) -> dict[str, pd.Timestamp]:
        """Per indicator, the first period with underlag in the whole stored table (not the chosen range)."""
        return data_starts(self.results)

    @cached_property
    def _phases(self) -> dict[str, PhaseDates]:
        return phase_dates_of(self.viewer)

    def phases(self, code: str) -> PhaseDates:
        """The stored SPC phase dates of one municipality, per indicator (none for ALL: phases belong to
        municipalities). Read once per run for every municipality the viewer sees.

        Every chart, tile and verdict of the run uses these, so they all split their limits at the same dates.
        """
        return self._phases.get(code, ())

    def series(self, indicator_id: str, code: str, sex: str | None = None) -> pd.DataFrame:
        """The in-range rows of one indicator, municipality and sex (default: the chosen sex)."""
        rows = self._by_indicator.get(indicator_id)
        if rows is None:  # one indicator's rows, split off once per run
            rows = self._by_indicator[indicator_id] = self.shown[self.shown["indicator_id"] == indicator_id]
        return rows[(rows["municipality_code"] == code) & (rows["sex"] == (self.filters.sex if sex is None else sex))]


def in_range(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Rows whose period lies inside the chosen date range."""
    return frame[(frame["period_start"] >= pd.Timestamp(filters.start)) & (frame["period_end"] <= pd.Timestamp(filters.end))]


def page_context(page: str) -> PageContext | None:
    """Filters in the sidebar plus the data they select; None (with a message) when nothing is computed yet."""
    viewer = current_viewer()
    freshness_banner()
    monthly = results("month")
    if monthly.empty:
        st.info(
            "Inga indikatorvärden är beräknade ännu. En administratör importerar data på sidan *Ladda upp "
            "data* (eller med `python -m data_access import SÖKVÄG`), så räknas indikatorerna fram. "
            "I demoläge laddar `make run` exempeldata."
        )
        return None
    munis = sorted(c for c in monthly["municipality_code"].unique() if c != "ALL")
    first = pd.Timestamp(monthly["period_start"].min()).date()
    last = pd.Timestamp(monthly["period_start"].max()).date()
    filters = sidebar_filters(
        municipalities=munis,
        first_month=first,
        last_month=last,
        themes=THEMES,
        allow_area=viewer.municipalities is None,
        page=page,
    )
    grain = results(filters.grain) if filters.grain != "month" else monthly
    return PageContext(viewer=viewer, filters=filters, results=grain, yearly=results("year"), targets=targets())



# Phase start dates per indicator, as hashable tuples of ISO dates (part of cache keys).
PhaseDates = tuple[tuple[str, tuple[str, ...]], ...]


def phase_dates_of(viewer: AccessContext) -> dict[str, PhaseDates]:
    """The stored SPC phases of every municipality the viewer sees, in one query."""
    from data_access import pdsa

    found = pdsa.phase_dates(access=viewer, engine=engine())
    return {
        code: tuple((ind, tuple(d.isoformat() for d in dates)) for ind, dates in sorted(by_ind.items()))
        for code, by_ind in found.items()
    }


@st.cache_data(show_spinner=False, max_entries=256)
def _tiles(url: str, stamp: str, viewer: AccessContext, filters: Filters, code: str, ids: tuple[str, ...],
           phases: PhaseDates = ()):
    from metrics.overview import overview_tiles

    everything = results(filters.grain)
    rows = in_range(everything, filters)
    return overview_tiles(rows, targets(), municipality=code, sex=filters.sex, indicator_ids=ids,
                          baseline=results("year"), data_start=data_starts(everything), phases=dict(phases))


@st.cache_data(show_spinner=False, max_entries=256)
def _verdict_rows(url: str, stamp: str, viewer: AccessContext, filters: Filters, codes: tuple[str, ...],
                  indicator_id: str, phases: tuple[PhaseDates, ...]) -> pd.DataFrame:
    from metrics.overview import overview_tiles

    everything = results(filters.grain)
    rows = in_range(everything, filters)
    starts = data_starts(everything)
    return pd.concat(
        [
            overview_tiles(rows, targets(), municipality=code, sex=filters.sex, indicator_ids=[indicator_id],
                           baseline=results("year"), data_start=starts, phases=dict(p))
            for code, p in zip(codes, phases, strict=True)
        ],
        ignore_index=True,
    ).assign(municipality_code=list(codes))


def verdict_rows(ctx: PageContext, indicator_id: str, codes: Sequence[str]) -> pd.DataFrame:
    """One indicator's tile (and so its verdict) for several municipalities, in one cached call: the same
    computation as :func:`cached_tiles`, row for row (column ``municipality_code`` added)."""
    url = get_settings().database_url
    codes = tuple(codes)
    return _verdict_rows(url, _stamp(url), ctx.viewer, ctx.filters, codes, indicator_id,
                         tuple(ctx.phases(c) for c in codes))


def cached_tiles(ctx: PageContext, code: str, indicator_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The Översikt tiles (and so the verdicts) for one municipality, cached per filters, recompute and phases.

    ``indicator_ids`` defaults to the indicators of the chosen theme.
    """
    url = get_settings().database_url
    ids = tuple(ctx.indicator_ids() if indicator_ids is None else indicator_ids)
    return _tiles(url, _stamp(url), ctx.viewer, ctx.filters, code, ids, ctx.phases(code))


@st.cache_data(show_spinner=False, max_entries=64)
def _references(url: str, stamp: str, viewer: AccessContext, indicator_id: str) -> pd.DataFrame:
    from data_access.reference import load_reference_values

    return load_reference_values(access=viewer, indicator_id=indicator_id, engine=_engine(url))


def reference_values(indicator_id: str) -> pd.DataFrame:
    """Values from elsewhere (Kolada, reports) for one indicator, within the viewer's scope."""
    url = get_settings().database_url
    return _references(url, _stamp(url), current_viewer(), indicator_id)
