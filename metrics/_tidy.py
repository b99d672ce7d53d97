"""From per-event (or per-person) *units* to the tidy indicator table.

Every indicator function returns :class:`Parts`: a frame with one row per
counted unit (an index stay, a visit, a person on the reference day …) with
``municipality_code``, ``pidx`` (period index), optionally ``sex`` and the
kind-specific columns:

* ``proportion``: ``numerator`` (0/1), ``denominator`` (0/1), optionally ``unassessed`` (0/1)
* ``rate`` / ``rate_point`` / ``count``: ``numerator`` (the amount the unit adds: 1, or bed
  days), optionally ``unassessed`` (0/1)
* ``median``: ``hours`` (``NaN`` = not assessed, counted in ``n_unassessed``)

:func:`finish` then does what is the same for all indicators: the full grid
(every municipality × sex × period), sex rows (``T`` = everyone, ``K``/``M``
where the source records sex), the ``ALL`` total from summed numerators and
denominators (pooled events for medians), population denominators for
rates, status, value and confidence interval. ``rate`` values are per 1 000
and annualised (× 12 / months in the period); ``rate_point`` values (the
Målgrupper cohorts) are per 1 000 and not annualised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics import ci
from metrics.periods import MONTHS_IN, period_index_of_days
from metrics.registry import RATE_KINDS, Indicator

ALL = "ALL"
SEX_TOTAL = "T"
SEX_ROWS = ("T", "K", "M")
STATUS_OK = "ok"
STATUS_MISSING = "saknar_underlag"
STATUS_INCOMPLETE = "ofullstandig_period"
STATUSES = (STATUS_OK, STATUS_MISSING, STATUS_INCOMPLETE)
RATE_SCALE = 1000.0

OUTPUT_COLUMNS: tuple[str, ...] = (
    "indicator_id",
    "municipality_code",
    "sex",
    "period",
    "period_start",
    "period_end",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "suppressed",
    "status",
    "n_unassessed",
    "note",
)


@dataclass(frozen=True)
class Context:
    """What every indicator function needs besides the frames.

    ``periods`` is :func:`metrics.periods.period_table`; ``municipalities``
    the sorted codes covered (without ``ALL``); ``table_munis`` the
    municipalities that have rows in each present table; ``coverage`` the
    first and last day with any event in each present table.
    """

    kind: str
    end_day: int
    periods: pd.DataFrame
    municipalities: tuple[str, ...]
    table_munis: Mapping[str, frozenset[str]]
    coverage: Mapping[str, tuple[int, int]]
    population: pd.DataFrame | None = None
    confidence: float = 0.95
    ref_days: np.ndarray = field(init=False, repr=False, compare=False)
    first_pidx: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref_days", self.periods["ref_day"].to_numpy(dtype="int64"))
        first = int(self.periods["pidx"].iloc[0]) if len(self.periods) else 0
        object.__setattr__(self, "first_pidx", first)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def pidx_of_days(self, days: np.ndarray) -> np.ndarray:
        return period_index_of_days(days, self.kind)

    def in_range(self, days: np.ndarray) -> np.ndarray:
        """Mask of day numbers that fall in a covered period (and not after the end date)."""
        if self.n_periods == 0:
            return np.zeros(len(days), dtype=bool)
        first = int(self.periods["start_day"].iloc[0])
        return (days >= first) & (days <= self.end_day)

    def pidx_at(self, positions: np.ndarray) -> np.ndarray:
        return self.periods["pidx"].to_numpy(dtype="int64")[positions]


@dataclass(frozen=True)
class Parts:
    """An indicator function's result before :func:`finish`.

    ``present``: municipalities with underlag when narrower than the generic
    rule (e.g. an optional column that a municipality never fills in);
    ``None`` means the generic rule alone. ``missing=True``: the indicator
    cannot be computed at all (a source table or column is missing).
    ``extra``/``cells``: additional key columns (``care_centre``) and the
    cells of the grid over them (with ``municipality_code``).
    ``coverage``: (table, look-back days) pairs whose date span a period
    must overlap (see :func:`_coverage_missing`); ``None``: every source
    table, no look-back.
    """

    units: pd.DataFrame
    present: frozenset[str] | None = None
    missing: bool = False
    extra: tuple[str, ...] = ()
    cells: pd.DataFrame | None = None
    coverage: tuple[tuple[str, int], ...] | None = None

    @classmethod
    def unavailable(cls) -> Parts:
        return cls(units=pd.DataFrame(), missing=True)


def units_frame(
    municipality_code: pd.Series | np.ndarray,
    pidx: np.ndarray,
    sex: pd.Series | np.ndarray | None = None,
    **columns: np.ndarray,
) -> pd.DataFrame:
    data: dict[str, object] = {
        "municipality_code": pd.array(np.asarray(municipality_code, dtype=object), dtype="str"),
        "pidx": np.asarray(pidx, dtype="int64"),
    }
    if sex is not None:
        data["sex"] = pd.array(np.asarray(sex, dtype=object), dtype="str")
    data.update(columns)
    return pd.DataFrame(data)


# ------------------------------------------------------------------ population


def population_denominators(
    population: pd.DataFrame | None, bands: tuple[str, ...], ctx: Context
) -> pd.DataFrame:
    """Population in ``bands`` per municipality × sex (K, M, T) × period.

    The population of a month or quarter is that of its year; if the year is
    missing for the municipality, the latest earlier year with rows in these
    bands is used and ``pop_year`` says which. Municipalities without any
    year up to the period's are absent (→ ``saknar_underlag``).
    Columns: ``municipality_code, sex, pidx, denominator, pop_year, year``.
    """
    cols = ["municipality_code", "sex", "pidx", "denominator", "pop_year", "year"]
    if population is None or len(population) == 0 or ctx.n_periods == 0:
        return pd.DataFrame({c: [] for c in cols})
    p = population.loc[population["age_band"].isin(bands), ["municipality_code", "year", "sex", "population"]]
    p = p.assign(year=p["year"].astype("int64"), population=p["population"].astype("float64"))
    by_sex = p.groupby(["municipality_code", "year", "sex"], as_index=False)["population"].sum()
    total = (
        by_sex.groupby(["municipality_code", "year"], as_index=False)["population"]
        .sum()
        .assign(sex=SEX_TOTAL)
    )
    sums = pd.concat([by_sex, total], ignore_index=True).rename(columns={"year": "pop_year"})

    pidx = ctx.periods["pidx"].to_numpy(dtype="int64")
    per_year = {"month": 12, "quarter": 4, "year": 1}[ctx.kind]
    years = pd.DataFrame({"pidx": pidx, "year": pidx // per_year})
    available = sums[["municipality_code", "pop_year"]].drop_duplicates()
    munis = pd.DataFrame({"municipality_code": available["municipality_code"].unique()})
    left = munis.merge(years, how="cross").sort_values("year", kind="stable")
    right = available.assign(year=available["pop_year"]).sort_values("year", kind="stable")
    matched = pd.merge_asof(left, right, on="year", by="municipality_code", direction="backward")
    matched = matched.dropna(subset=["pop_year"])
    matched = matched.assign(pop_year=matched["pop_year"].astype("int64"))
    out = matched.merge(sums, on=["municipality_code", "pop_year"], how="inner")
    out = out.rename(columns={"population": "denominator"})
    return out[cols]


# ------------------------------------------------------------------ finishing


def group_medians(codes: np.ndarray, values: np.ndarray, n_groups: int, confidence: float):
    """Median, order-statistic CI and n per group, vectorised over groups.

    ``codes`` are group numbers 0 … n_groups−1; ``values`` must not be NaN.
    Returns four arrays of length ``n_groups`` (NaN where a group is empty
    or too small for an interval).
    """
    order = np.lexsort((values, codes))
    v = values[order] if len(values) else np.array([np.nan])
    n = np.bincount(codes, minlength=n_groups).astype("int64")
    starts = np.cumsum(n) - n
    last = len(v) - 1

    def at(idx):
        return v[np.clip(idx, 0, last)]

    med = np.where(n > 0, (at(starts + (n - 1) // 2) + at(starts + n // 2)) / 2, np.nan)
    r, s = ci.median_ci_ranks(n, confidence)
    low = np.where(r > 0, at(starts + r - 1), np.nan)
    high = np.where(r > 0, at(starts + s - 1), np.nan)
    return med, low, high, n


def _coverage_missing(
    ind: Indicator, ctx: Context, coverage: tuple[tuple[str, int], ...] | None
) -> np.ndarray:
    """Per period: does it lie outside the span of dates of a table that defines the indicator?

    ``coverage`` lists (table, look-back days); default: every non-population
    source table, no look-back. A period whose days (widened back by the
    look-back, for rolling windows) do not overlap the first … last date of
    such a table has no underlag: it shows ``saknar_underlag``, never a 0.
    (A period only partly covered keeps its status; see docs/methods.md.)
    """
    if coverage is None:
        coverage = tuple((t, 0) for t in ind.source_tables if t != "population")
    start = ctx.periods["start_day"].to_numpy()
    end = ctx.periods["end_day"].to_numpy()
    outside = np.zeros(len(start), dtype=bool)
    for table, lookback in coverage:
        if table not in ctx.coverage:
            continue
        first, last = ctx.coverage[table]
        outside |= (end < first) | (start - lookback > last)
    return outside


def present_municipalities(ind: Indicator, ctx: Context) -> frozenset[str]:
    """Municipalities with rows in every (non-population) source table of the indicator."""
    present = frozenset(ctx.municipalities)
    for table in ind.source_tables:
        if table == "population":
            continue
        present = present & ctx.table_munis.get(table, frozenset())
    return present


def _cells(parts: Parts, ctx: Context, keys: list[str]) -> pd.DataFrame:
    if parts.cells is None:
        cells = pd.DataFrame({"municipality_code": pd.array(list(ctx.municipalities), dtype="str")})
    else:
        cells = parts.cells[keys].dropna().drop_duplicates()
        cells = cells.astype({k: "str" for k in keys}).sort_values([*keys[1:], keys[0]], kind="stable")
    return cells.reset_index(drop=True)


def _cell_index(cells: pd.DataFrame, units: pd.DataFrame, keys: list[str]) -> np.ndarray:
    if len(keys) == 1:
        return pd.Index(cells[keys[0]]).get_indexer(units[keys[0]])
    return pd.MultiIndex.from_frame(cells[keys]).get_indexer(pd.MultiIndex.from_frame(units[keys]))


def _population_dense(ind: Indicator, ctx: Context, cell_muni: np.ndarray, sexes: tuple[str, ...]):
    """Population (C, S, P) and the year it was taken from (NaN where none)."""
    C, S, P = len(cell_muni), len(sexes), ctx.n_periods
    pop = np.full((C, S, P), np.nan)
    pop_year = np.full((C, S, P), np.nan)
    table = population_denominators(ctx.population, ind.population_bands, ctx)
    if len(table) == 0:
        return pop, pop_year
    sex_pos = {s: i for i, s in enumerate(sexes)}
    table = table[table["sex"].isin(sexes)]
    # every (cell, population row) pair of the same municipality, in one merge (cells may share one)
    cells = pd.DataFrame({"cell": np.arange(C, dtype="int64"),
                          "municipality_code": np.asarray(cell_muni, dtype=object)})
    pairs = cells.merge(table.astype({"municipality_code": object}), on="municipality_code", how="inner")
    if len(pairs) == 0:
        return pop, pop_year
    c = pairs["cell"].to_numpy(dtype="int64")
    s = pairs["sex"].map(sex_pos).to_numpy(dtype="int64")
    p = pairs["pidx"].to_numpy(dtype="int64") - ctx.first_pidx
    pop[c, s, p] = pairs["denominator"].to_numpy(dtype="float64")
    pop_year[c, s, p] = pairs["pop_year"].to_numpy(dtype="float64")
    return pop, pop_year


@dataclass
class _Block:
    """Dense (group, sex, period) arrays of one block of rows: the cells, or the ALL totals."""

    has: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    n_unassessed: np.ndarray
    note: np.ndarray
    value: np.ndarray | None = None  # medians only; the other kinds derive value and CI later
    ci_low: np.ndarray | None = None
    ci_high: np.ndarray | None = None


class _Layout:
    """Where each unit goes: flat indices into (cell, sex, period) and (ALL group, sex, period).

    A unit counts in sex ``T`` and, when its sex is known and the indicator
    is broken down by sex, also in ``K`` or ``M``: the index arrays list the
    ``T`` placements first, then the known-sex ones.
    """

    def __init__(
        self, units: pd.DataFrame, ucell: np.ndarray, upos: np.ndarray, cell_group: np.ndarray, shape
    ):
        C, S, P = shape
        usex = np.zeros(len(units), dtype="int64")
        if S > 1 and "sex" in units.columns:
            usex = units["sex"].map({"K": 1, "M": 2}).fillna(-1).to_numpy(dtype="int64")
        self.known = usex > 0
        k = self.known
        self.units = units
        self.cells = np.concatenate([(ucell * S) * P + upos, (ucell[k] * S + usex[k]) * P + upos[k]])
        group = cell_group[ucell]
        self.groups = np.concatenate([(group * S) * P + upos, (group[k] * S + usex[k]) * P + upos[k]])

    def values(self, column: str) -> np.ndarray:
        if column not in self.units.columns:  # no units at all (e.g. a missing table)
            v = np.zeros(len(self.units), dtype="float64")
        else:
            v = self.units[column].to_numpy(dtype="float64", na_value=np.nan)
        return np.concatenate([v, v[self.known]])


def _median_blocks(layout: _Layout, cells_shape, all_shape, has, all_has, confidence: float):
    hours = layout.values("hours")
    assessed = ~np.isnan(hours)
    blocks = []
    for codes, shape, block_has in ((layout.cells, cells_shape, has), (layout.groups, all_shape, all_has)):
        size = int(np.prod(shape))
        med, lo, hi, n = group_medians(codes[assessed], hours[assessed], size, confidence)
        unassessed = np.bincount(codes[~assessed], minlength=size).astype("float64")
        blocks.append(
            _Block(
                has=block_has,
                numerator=np.full(shape, np.nan),
                denominator=n.reshape(shape).astype("float64"),
                n_unassessed=unassessed.reshape(shape),
                note=np.full(shape, None, dtype=object),
                value=med.reshape(shape),
                ci_low=lo.reshape(shape),
                ci_high=hi.reshape(shape),
            )
        )
    return blocks


def _sum_to_groups(values: np.ndarray, cell_group: np.ndarray, has: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, *values.shape[1:]))
    np.add.at(out, cell_group, np.where(has, np.nan_to_num(values), 0.0))
    return out


def _all_notes(n_contrib: np.ndarray, n_total: np.ndarray, n_fallback: np.ndarray) -> np.ndarray:
    """Swedish notes of the ALL rows: municipalities without underlag, population fallbacks."""
    notes = np.full(n_contrib.shape, None, dtype=object)
    n_total = np.broadcast_to(n_total, n_contrib.shape)
    for idx in zip(*np.nonzero((n_contrib < n_total) | (n_fallback > 0)), strict=True):  # per ALL row
        parts = []
        if n_contrib[idx] < n_total[idx]:
            parts.append(
                f"Summan omfattar {int(n_contrib[idx])} av {int(n_total[idx])} kommuner; övriga saknar underlag."
            )
        if n_fallback[idx] > 0:
            parts.append(f"Befolkning från tidigare år för {int(n_fallback[idx])} kommuner.")
        notes[idx] = " ".join(parts)
    return notes


def finish(ind: Indicator, parts: Parts, ctx: Context) -> pd.DataFrame:
    """Tidy rows (see :data:`OUTPUT_COLUMNS`, plus ``parts.extra`` keys) for one indicator.

    Works on dense arrays indexed (cell, sex, period), where a cell is a
    municipality (or municipality × care centre): sums are ``np.bincount``
    over the units, and ALL sums the cells that have underlag.
    """
    extra = list(parts.extra)
    keys = ["municipality_code", *extra]
    kind = ind.value_kind
    sexes = SEX_ROWS if ind.sex_breakdown else (SEX_TOTAL,)
    cells = _cells(parts, ctx, keys)
    C, S, P = len(cells), len(sexes), ctx.n_periods
    cell_muni = cells["municipality_code"].to_numpy(dtype=object)
    if extra:
        groups = cells[extra].drop_duplicates().reset_index(drop=True)
        cell_group = pd.MultiIndex.from_frame(groups).get_indexer(pd.MultiIndex.from_frame(cells[extra]))
    else:
        groups = pd.DataFrame(index=range(1))
        cell_group = np.zeros(C, dtype="int64")
    A = len(groups)

    # Which cells have underlag (see the Status section of docs/methods.md).
    present = frozenset() if parts.missing else present_municipalities(ind, ctx)
    if parts.present is not None:
        present = present & parts.present
    cov_missing = _coverage_missing(ind, ctx, parts.coverage)
    has = np.isin(cell_muni, list(present))[:, None, None] & ~cov_missing[None, None, :]
    has = np.broadcast_to(has, (C, S, P)).copy()
    note = np.full((C, S, P), None, dtype=object)
    n_fallback = np.zeros((A, S, P))
    if kind in RATE_KINDS:
        pop, pop_year = _population_dense(ind, ctx, cell_muni, sexes)
        has &= ~np.isnan(pop)
        year = ctx.periods["pidx"].to_numpy() // {"month": 12, "quarter": 4, "year": 1}[ctx.kind]
        fallback = has & (pop_year != year[None, None, :])
        for c, s, p in zip(*np.nonzero(fallback), strict=True):  # one per note, not per event
            note[c, s, p] = f"Befolkning {int(pop_year[c, s, p])} används ({int(year[p])} saknas)"
        np.add.at(n_fallback, cell_group, fallback.astype("float64"))

    # Units → flat indices (units of cells without underlag are dropped).
    units = parts.units
    if len(units):
        ucell = _cell_index(cells, units, keys)
        upos = units["pidx"].to_numpy(dtype="int64") - ctx.first_pidx
        keep = (ucell >= 0) & (upos >= 0) & (upos < P) & units["municipality_code"].isin(present).to_numpy()
        units, ucell, upos = units.loc[keep], ucell[keep], upos[keep]
    else:
        ucell = upos = np.zeros(0, dtype="int64")
    layout = _Layout(units, ucell, upos, cell_group, (C, S, P))

    n_contrib = np.zeros((A, S, P))
    np.add.at(n_contrib, cell_group, has.astype("float64"))
    all_has = n_contrib > 0
    all_note = _all_notes(n_contrib, np.bincount(cell_group, minlength=A)[:, None, None], n_fallback)

    if kind == "median":
        block, all_block = _median_blocks(layout, (C, S, P), (A, S, P), has, all_has, ctx.confidence)
        all_block.note = all_note
    else:

        def dense(column: str) -> np.ndarray:
            return np.bincount(layout.cells, weights=layout.values(column), minlength=C * S * P).reshape(
                C, S, P
            )

        num = dense("numerator")
        den = {
            "proportion": lambda: dense("denominator"),
            "rate": lambda: pop,
            "rate_point": lambda: pop,
        }.get(kind, lambda: None)()
        den = np.full((C, S, P), np.nan) if den is None else den
        n_un = dense("unassessed") if "unassessed" in units.columns else np.full((C, S, P), np.nan)
        block = _Block(has, num, den, n_un, note)
        all_block = _Block(
            all_has,
            _sum_to_groups(num, cell_group, has, A),
            _sum_to_groups(den, cell_group, has, A) if kind != "count" else np.full((A, S, P), np.nan),
            _sum_to_groups(n_un, cell_group, has, A)
            if "unassessed" in units.columns
            else np.full((A, S, P), np.nan),
            all_note,
        )
    return _assemble(ind, ctx, [all_block, block], cells, groups, cell_muni, extra, sexes)


def _assemble(ind, ctx, blocks, cells, groups, cell_muni, extra, sexes) -> pd.DataFrame:
    """Flatten the ALL block and the cell block into the tidy frame; value, CI and status."""
    kind = ind.value_kind
    S, P = len(sexes), ctx.n_periods
    A, C = len(groups), len(cells)

    def flat(name: str) -> np.ndarray:
        return np.concatenate([np.asarray(getattr(b, name)).reshape(-1) for b in blocks])

    numerator, denominator, has = flat("numerator"), flat("denominator"), flat("has")
    if kind == "proportion":
        value, low, high = _proportion(numerator, denominator, ctx.confidence)
    elif kind == "rate":
        value, low, high = _rate(
            numerator, denominator, RATE_SCALE * 12.0 / MONTHS_IN[ctx.kind], ctx.confidence
        )
    elif kind == "rate_point":  # per 1 000, not annualised (Målgrupper)
        value, low, high = _rate(numerator, denominator, RATE_SCALE, ctx.confidence)
    elif kind == "count":
        value, low, high = _count(numerator, ctx.confidence)
    else:
        value, low, high = flat("value"), flat("ci_low"), flat("ci_high")

    n = (A + C) * S * P
    per = ctx.periods
    ppos = np.tile(np.arange(P), (A + C) * S)
    sex_arr = np.array(sexes, dtype=object)
    out: dict[str, np.ndarray] = {
        "indicator_id": np.full(n, ind.id, dtype=object),
        "municipality_code": np.concatenate(
            [np.full(A * S * P, ALL, dtype=object), np.repeat(cell_muni, S * P)]
        ),
    }
    for k in extra:
        out[k] = np.concatenate(
            [
                np.repeat(groups[k].to_numpy(dtype=object), S * P),
                np.repeat(cells[k].to_numpy(dtype=object), S * P),
            ]
        )
    out["sex"] = np.tile(np.repeat(sex_arr, P), A + C)
    out["period"] = per["period"].to_numpy(dtype=object)[ppos]
    out["period_start"] = per["period_start"].to_numpy()[ppos]
    out["period_end"] = per["period_end"].to_numpy()[ppos]
    for name, col in (
        ("numerator", numerator),
        ("denominator", denominator),
        ("value", value),
        ("ci_low", low),
        ("ci_high", high),
        ("n_unassessed", flat("n_unassessed")),
    ):
        out[name] = np.where(has, col, np.nan).astype("float64")  # never a number without underlag
    out["suppressed"] = np.zeros(n, dtype=bool)
    incomplete = per["end_day"].to_numpy()[ppos] + ind.lookahead_days > ctx.end_day
    out["status"] = np.where(~has, STATUS_MISSING, np.where(incomplete, STATUS_INCOMPLETE, STATUS_OK)).astype(
        object
    )
    out["note"] = np.where(has, flat("note"), None)
    return _frame(out, extra)


def _frame(out: dict[str, np.ndarray], extra: list[str]) -> pd.DataFrame:
    cols = [*OUTPUT_COLUMNS[:2], *extra, *OUTPUT_COLUMNS[2:]]
    frame = pd.DataFrame({c: out[c] for c in cols})
    for c in ("indicator_id", "municipality_code", "sex", "period", "status", "note", *extra):
        frame[c] = frame[c].astype("str")
    frame["period_start"] = frame["period_start"].astype("datetime64[us]")
    frame["period_end"] = frame["period_end"].astype("datetime64[us]")
    if extra:  # group by the extra keys first (ALL first within each), keep sex/period order
        is_muni = (frame["municipality_code"] != ALL).astype("int64")
        frame = frame.assign(_m=is_muni).sort_values([*extra, "_m"], kind="stable").drop(columns="_m")
        frame = frame.reset_index(drop=True)
    return frame


def _proportion(num: np.ndarray, den: np.ndarray, confidence: float):
    """Percent and Wilson CI in percent; a zero denominator gives NaN, not 0."""
    ok = den > 0
    safe_den = np.where(ok, den, 1.0)
    safe_num = np.where(ok, num, 0.0)
    lo, hi = ci.wilson(safe_num, safe_den, confidence)
    return (
        np.where(ok, 100.0 * safe_num / safe_den, np.nan),
        np.where(ok, 100.0 * lo, np.nan),
        np.where(ok, 100.0 * hi, np.nan),
    )


def _rate(num: np.ndarray, den: np.ndarray, scale: float, confidence: float):
    """numerator / population × scale, with the Garwood CI of the numerator scaled the same way."""
    ok = (den > 0) & ~np.isnan(num)
    safe_den = np.where(ok, den, 1.0)
    lo, hi = ci.garwood(np.where(ok, num, 0.0), confidence)
    return (
        np.where(ok, num / safe_den * scale, np.nan),
        np.where(ok, lo / safe_den * scale, np.nan),
        np.where(ok, hi / safe_den * scale, np.nan),
    )


def _count(num: np.ndarray, confidence: float):
    ok = ~np.isnan(num)
    lo, hi = ci.garwood(np.where(ok, num, 0.0), confidence)
    return np.where(ok, num, np.nan), np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def empty_table(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    cols = [*OUTPUT_COLUMNS[:2], *extra, *OUTPUT_COLUMNS[2:]]
    out = {c: np.zeros(0, dtype=object) for c in cols}
    for c in ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed"):
        out[c] = np.zeros(0, dtype="float64")
    out["suppressed"] = np.zeros(0, dtype=bool)
    out["period_start"] = out["period_end"] = np.zeros(0, dtype="datetime64[us]")
    return _frame(out, list(extra))
