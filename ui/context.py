"""Per-run context shared by the pages: the viewer, cached data loaders and the shared filters.

Components own their keys; pages call :func:`page_context` once and use what
it returns. Everything read from the store is cached keyed by the database
URL, the viewer's access context and the filters, and invalidated by the time
of the latest recompute.

The stored indicator table of a period type is held once per process and
viewer as a :class:`ResultsStore` (``st.cache_resource``: shared, never
copied) with its rows split per series, so a rerun neither unpickles the
table nor filters it by indicator, municipality and sex. **Frames from the
store are read-only**: derive, never assign into them.
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


@dataclass(frozen=True, eq=False)
class ResultsStore:
    """One period type of the stored indicator table as one viewer may see it, ready for many reruns.

    ``frame``: every row (read-only). ``series``: the rows of each (indicator, municipality, sex), sorted by
    period. ``data_starts``: per indicator, the first period with underlag (see
    :func:`metrics.series.data_starts`).
    """

    frame: pd.DataFrame
    series: dict[tuple[str, str, str], pd.DataFrame]
    data_starts: dict[str, pd.Timestamp]
    municipalities: tuple[str, ...]
    first_month: pd.Timestamp | None
    last_month: pd.Timestamp | None

    def rows(self, indicator_id: str, code: str, sex: str) -> pd.DataFrame:
        return self.series.get((indicator_id, code, sex), _EMPTY)


_EMPTY = pd.DataFrame()


@st.cache_resource(show_spinner=False, max_entries=64)
def _store(url: str, stamp: str, viewer: AccessContext, period_type: str) -> ResultsStore:
    frame = load_indicator_results(access=viewer, period_type=period_type, engine=_engine(url))
    for c in ("period_start", "period_end"):
        frame[c] = pd.to_datetime(frame[c])
    frame = frame.sort_values(["indicator_id", "municipality_code", "sex", "period_start"], ignore_index=True)
    keys = ["indicator_id", "municipality_code", "sex"]
    series = {tuple(k): part for k, part in frame.groupby(keys, sort=False, observed=True)} if len(frame) else {}
    return ResultsStore(
        frame=frame,
        series=series,
        data_starts=data_starts(frame) if len(frame) else {},
        municipalities=tuple(sorted(c for c in frame["municipality_code"].unique() if c != "ALL")),
        first_month=frame["period_start"].min() if len(frame) else None,
        last_month=frame["period_start"].max() if len(frame) else None,
    )


def store(period_type: str) -> ResultsStore:
    url = get_settings().database_url
    return _store(url, _stamp(url), current_viewer().indicator_scope(), period_type)


@st.cache_data(show_spinner=False, max_entries=16)
def _targets(url: str, stamp: str, viewer: AccessContext) -> pd.DataFrame:
    return load_targets(access=viewer, engine=_engine(url))


def results(period_type: str) -> pd.DataFrame:
    """The stored table of one period type as the viewer may see it (shared: read-only)."""
    return store(period_type).frame


def targets() -> pd.DataFrame:
    url = get_settings().database_url
    return _targets(url, _stamp(url), current_viewer().indicator_scope())


@dataclass(frozen=True)
class PageContext:
    viewer: AccessContext
    filters: Filters
    results: pd.DataFrame  # the chosen grain, all municipalities the viewer may see, all sexes (read-only)
    yearly: pd.DataFrame  # baseline values for relative targets
    targets: pd.DataFrame
    store: ResultsStore | None = None  # the chosen grain, split per series

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
    def data_starts(self) -> dict[str, pd.Timestamp]:
        """Per indicator, the first period with underlag in the whole stored table (not the chosen range)."""
        return self.store.data_starts if self.store is not None else data_starts(self.results)

    @cached_property
    def _phases(self) -> dict[str, PhaseDates]:
        return phase_dates_of(self.viewer)

    def phases(self, code: str) -> PhaseDates:
        """The stored SPC phase dates of one municipality, per indicator (none for ALL: phases belong to
        municipalities). Read once per run for every municipality the viewer sees.

        Every chart, tile and verdict of the run uses these, so they all split their limits at the same dates.
        """
        return self._phases.get(code, ())

    @cached_property
    def _series_memo(self) -> dict[tuple[str, str, str], pd.DataFrame]:
        return {}

    def series_key(self, indicator_id: str, code: str, sex: str | None = None) -> SeriesKey:
        """A small hashable name of :meth:`series` (for caches keyed by it: hashing it costs nothing)."""
        url = get_settings().database_url
        f = self.filters
        return (url, _stamp(url), self.viewer.indicator_scope(), f.grain, f.start, f.end, indicator_id, code,
                f.sex if sex is None else sex)  # fmt: skip

    def series(self, indicator_id: str, code: str, sex: str | None = None) -> pd.DataFrame:
        """The in-range rows of one indicator, municipality and sex (default: the chosen sex), by period."""
        sex = self.filters.sex if sex is None else sex
        if self.store is not None:
            memo = self._series_memo
            if (indicator_id, code, sex) not in memo:  # once per run: several sections ask for the same series
                rows = series_of(self.series_key(indicator_id, code, sex))
                memo[(indicator_id, code, sex)] = rows if len(rows) else self.results.iloc[0:0]
            return memo[(indicator_id, code, sex)]
        r = self.shown
        return r[(r["indicator_id"] == indicator_id) & (r["municipality_code"] == code) & (r["sex"] == sex)]


def in_range(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Rows whose period lies inside the chosen date range."""
    return _between(frame, filters.start, filters.end)


def _between(frame: pd.DataFrame, start, end) -> pd.DataFrame:
    return frame[(frame["period_start"] >= pd.Timestamp(start)) & (frame["period_end"] <= pd.Timestamp(end))]


# (url, recompute stamp, viewer, grain, start, end, indicator, municipality, sex): names one series.
SeriesKey = tuple


def store_frame(key: tuple) -> pd.DataFrame:
    """The whole stored table (every period) for ``key[:4]`` = (url, stamp, viewer, grain); read-only."""
    url, stamp, viewer, grain = key[:4]
    return _store(url, stamp, viewer, grain).frame


def shown_of(key: tuple) -> pd.DataFrame:
    """The in-range rows of the whole table for ``key[:6]`` = (url, stamp, viewer, grain, start, end)."""
    url, stamp, viewer, grain, start, end = key[:6]
    return _between(_store(url, stamp, viewer, grain).frame, start, end)


@st.cache_resource(show_spinner=False, max_entries=8192)
def series_of(key: SeriesKey) -> pd.DataFrame:
    """The rows :meth:`PageContext.series` gives for ``key``, cut to the date range once per process (shared,
    read-only; for cached functions keyed by the name)."""
    url, stamp, viewer, grain, start, end, indicator_id, code, sex = key
    rows = _store(url, stamp, viewer, grain).rows(indicator_id, code, sex)
    return _between(rows, start, end) if len(rows) else rows


def page_context(page: str) -> PageContext | None:
    """Filters in the sidebar plus the data they select; None (with a message) when nothing is computed yet."""
    viewer = current_viewer()
    freshness_banner()
    monthly = store("month")
    if monthly.frame.empty:
        st.info(
            "Inga indikatorvärden är beräknade ännu. En administratör importerar data på sidan *Ladda upp "
            "data* (eller med `python -m data_access import SÖKVÄG`), så räknas indikatorerna fram. "
            "I demoläge laddar `make run` exempeldata."
        )
        return None
    filters = sidebar_filters(
        municipalities=monthly.municipalities,
        first_month=monthly.first_month.date(),
        last_month=monthly.last_month.date(),
        themes=THEMES,
        allow_area=viewer.municipalities is None,
        page=page,
    )
    grain = store(filters.grain) if filters.grain != "month" else monthly
    return PageContext(viewer=viewer, filters=filters, results=grain.frame, yearly=results("year"),
                       targets=targets(), store=grain)  # fmt: skip


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


# (url, recompute stamp, indicator scope, grain, start, end, sex): what a tile's numbers depend on.
TileKey = tuple


def tile_key(ctx: PageContext) -> TileKey:
    url = get_settings().database_url
    f = ctx.filters
    return (url, _stamp(url), ctx.viewer.indicator_scope(), f.grain, f.start, f.end, f.sex)


def _tile_rows(key: TileKey, code: str, ids: Sequence[str], phases: PhaseDates) -> pd.DataFrame:
    from metrics.overview import overview_tiles

    url, stamp, scope, grain, start, end, sex = key
    data = _store(url, stamp, scope, grain)
    return overview_tiles(_between(data.frame, start, end), _targets(url, stamp, scope), municipality=code,
                          sex=sex, indicator_ids=list(ids), baseline=_store(url, stamp, scope, "year").frame,
                          data_start=data.data_starts, phases=dict(phases))  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=1024)
def _tiles(key: TileKey, code: str, ids: tuple[str, ...], phases: PhaseDates = ()) -> pd.DataFrame:
    return _tile_rows(key, code, ids, phases)


@st.cache_resource(show_spinner=False, max_entries=1024)
def verdict_rows(key: TileKey, codes: tuple[str, ...], indicator_id: str,
                 phases: tuple[PhaseDates, ...]) -> pd.DataFrame:
    """One indicator's tile (and so its verdict) for several municipalities, in one cached call: the same
    computation as :func:`cached_tiles`, row for row (column ``municipality_code`` added). ``key``: a
    :func:`tile_key`; ``phases``: each municipality's :meth:`PageContext.phases`. Read-only."""
    return pd.concat(
        [_tile_rows(key, code, [indicator_id], p) for code, p in zip(codes, phases, strict=True)],
        ignore_index=True,
    ).assign(municipality_code=list(codes))


def cached_tiles(ctx: PageContext, code: str, indicator_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The Översikt tiles (and so the verdicts) for one municipality, made once per process for the data,
    the date range, sex, indicators and phases, and shared by the viewers of one indicator scope. Read-only.

    ``indicator_ids`` defaults to the indicators of the chosen theme.
    """
    ids = tuple(ctx.indicator_ids() if indicator_ids is None else indicator_ids)
    return _tiles(tile_key(ctx), code, ids, ctx.phases(code))


@st.cache_data(show_spinner=False, max_entries=64)
def _references(url: str, stamp: str, viewer: AccessContext, indicator_id: str) -> pd.DataFrame:
    from data_access.reference import load_reference_values

    return load_reference_values(access=viewer, indicator_id=indicator_id, engine=_engine(url))


def reference_values(indicator_id: str) -> pd.DataFrame:
    """Values from elsewhere (Kolada, reports) for one indicator, within the viewer's scope."""
    url = get_settings().database_url
    return _references(url, _stamp(url), current_viewer(), indicator_id)


@st.cache_resource(show_spinner=False, max_entries=256)
def _review_months(url: str, stamp: str, viewer: AccessContext, code: str) -> list[str]:
    frame = _store(url, stamp, viewer, "month").frame
    return sorted(frame.loc[frame["municipality_code"] == code, "period"].unique(), reverse=True)


def review_months(code: str, viewer: AccessContext | None = None) -> list[str]:
    """The months Månadsuppföljning offers for ``code``, newest first (read-only). ``viewer``: default the
    session's (the warm-up, outside a session, names it)."""
    url = get_settings().database_url
    return _review_months(url, _stamp(url), (viewer or current_viewer()).indicator_scope(), code)


@st.cache_data(show_spinner=False, max_entries=256)
def _review(url: str, stamp: str, viewer: AccessContext, code: str, month: str, cycles: pd.DataFrame,
            phases: tuple[tuple[str, tuple], ...]):
    from metrics.review import monthly_review

    return monthly_review(_store(url, stamp, viewer, "month").frame, _targets(url, stamp, viewer),
                          municipality_code=code, month=month, cycles=cycles, phases=dict(phases),
                          baseline=_store(url, stamp, viewer, "year").frame)  # fmt: skip


def cached_review(code: str, month: str, *, cycles: pd.DataFrame, phases: dict, viewer: AccessContext | None = None):
    """The month's review (``metrics.review.monthly_review``), made once per data, cycles and phases: the
    cycles and phases are small and part of the key, the stored table is named by the recompute stamp.
    ``viewer``: default the session's."""
    url = get_settings().database_url
    key = tuple(sorted((ind, tuple(dates)) for ind, dates in phases.items()))
    return _review(url, _stamp(url), (viewer or current_viewer()).indicator_scope(), code, month, cycles, key)


def month_review(viewer: AccessContext, code: str, month: str):
    """Månadsuppföljning's review of one municipality and month for ``viewer``, with the PDSA cycles and the
    stored phases it was made from: (review, phases by indicator). The page and the warm-up call this, so
    both name the same cached review."""
    from data_access import pdsa

    cycles = pdsa.list_cycles(access=viewer, municipalities=[code], engine=engine())
    stored = pdsa.list_phases(access=viewer, municipality_code=code, engine=engine())
    phases = {i: list(g["start_date"]) for i, g in stored.groupby("indicator_id")} if len(stored) else {}
    return cached_review(code, month, cycles=cycles, phases=phases, viewer=viewer), phases
