"""Small-number suppression of the tidy indicator table.

Swedish statistics practice (and the indicator spec, "Small numbers"): a cell
whose numerator or denominator is between 1 and 4 (adjustable) is shown as
"–" to every viewer who is not entitled to identifiable data, and a hidden
cell must not be derivable from a shown total and its other shown parts.

One verb: :func:`suppress`. It runs two steps on a copy of the table:

1. *Primary suppression* — a row is hidden when its ``numerator``,
   ``denominator`` or ``n_unassessed`` lies within ``threshold`` (inclusive).
   0 is never suppressed and NaN is ignored. ``n_unassessed`` (the requests
   behind a median that were never assessed) is a count of persons of its
   own, so a small ``n_unassessed`` hides the whole row.
2. *Secondary (complementary) suppression* — the table has two additive
   dimensions:

   * municipality: within ``(indicator_id, sex, period)`` the ``ALL`` row is
     the sum of the municipality rows;
   * sex: within ``(indicator_id, municipality_code, period)`` the ``T`` row
     relates to ``K`` and ``M``. ``T`` may also hold persons of unknown sex
     (T ≥ K + M), but that difference is usually tiny or zero, so the safe
     rule treats T = K + M as an exact identity.

   Extra key columns (``care_centre`` in the per-care-centre table of
   frequent attenders) split both kinds of group.

   When the table holds several grains (the stored table holds months,
   quarters and years), the period hierarchy adds two more: within
   ``(indicator_id, municipality_code, sex)`` a quarter is the sum of its
   months and a year the sum of its quarters (exact for counts of events; for
   counts of distinct persons the sum only bounds the total, and treating it
   as exact errs on the safe side). For a reference-day indicator (a stock on
   the period's last day) a quarter *is* its last month and a year its last
   quarter: those pairs are the groups.

   ``totals=`` adds a dimension over the one extra key, whose totals another
   table shows (the care centres add up to the stored ``frequent_attenders``):
   the totals are fixed, never chosen, and no group has a lone hidden cell.

   A group (total + parts) in which exactly one cell is hidden lets a reader
   derive it (total minus the shown parts, or the sum of the parts). For each
   such group one more cell is hidden: the shown part with the smallest
   positive numerator, then the smallest denominator, then the smallest
   ``n_unassessed``, ties broken by municipality code (or sex); a part whose
   numerator is 0 only when no part with a positive numerator is left; the
   total itself only when no other part can be hidden. Both dimensions are
   repeated until nothing changes (a fixed point), since hiding a cell in one
   dimension can expose a lone hidden cell in the other.

*Empty* rows — every count (numerator, denominator, n_unassessed) 0 or NaN,
which is what a ``saknar_underlag`` row normally looks like — contribute
nothing to any total. They can neither reveal a hidden cell nor protect one,
so they are not counted as parts and are never chosen as the complementary
cell. A row with status ``saknar_underlag`` that still carries counts is
treated like any other part (its counts are in the totals). A group whose
total row is absent or empty has no shown sum and is left alone.

Hidden rows get ``suppressed=True``, ``suppression`` = ``"primär"`` or
``"sekundär"``, and NaN in ``numerator``, ``denominator``, ``value``,
``ci_low``, ``ci_high`` and ``n_unassessed``, so nothing leaks into charts or
downloads.

Limits (see ``docs/suppression_and_targets.md``): overlaps between
indicators and the difference T − K − M (persons of unknown sex) are not
protected, nor is the period hierarchy when grains are suppressed in separate
calls; run :func:`suppress` once on everything a viewer can reach (the
recompute does, over all three grains), as the last step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["EXTRA_KEY_COLUMNS", "PRIMARY", "SECONDARY", "REQUIRED_COLUMNS", "suppress"]

PRIMARY = "primär"
SECONDARY = "sekundär"

REQUIRED_COLUMNS = ("indicator_id", "municipality_code", "sex", "period", "numerator", "denominator")
# Key columns that some tidy tables carry besides the standard ones (the
# per-care-centre table of frequent attenders); they split every group.
EXTRA_KEY_COLUMNS = ("care_centre",)
_COUNT_COLUMNS = ("numerator", "denominator", "n_unassessed")
_MASKED_COLUMNS = ("numerator", "denominator", "value", "ci_low", "ci_high", "n_unassessed")

_TOTAL_MUNICIPALITY = "ALL"
_TOTAL_SEX = "T"


def suppress(
    table: pd.DataFrame,
    *,
    entitled: bool = False,
    threshold: tuple[int, int] = (1, 4),
    extra_keys: Sequence[str] | None = None,
    totals: pd.DataFrame | None = None,
    reference_day: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return a copy of the tidy ``table`` with small numbers suppressed.

    Args:
        table: tidy indicator table (one row per indicator × municipality ×
            sex × period). Needs the columns in :data:`REQUIRED_COLUMNS`;
            ``n_unassessed``, ``value``, ``ci_low``, ``ci_high``, ``status``
            and ``suppressed`` are used when present. Rows already marked
            ``suppressed`` stay hidden.
        entitled: the viewer may see identifiable data. The table is then
            returned unchanged (only the ``suppression`` column is added when
            missing, so the output has the same columns either way).
        threshold: inclusive range ``(low, high)`` of counts that are
            suppressed; ``low`` must be at least 1 (0 is never suppressed).
        extra_keys: further key columns that split every group (a row is
            identified by them as well as by indicator, municipality, sex
            and period). None: those of :data:`EXTRA_KEY_COLUMNS` present
            in the table (``care_centre``).
        totals: the sums of ``table`` over its one extra key, as another
            table shows them to the same viewers: one row per indicator ×
            municipality × sex × period with ``numerator`` (and optionally
            ``denominator``, ``n_unassessed``) and ``suppressed``, decided
            there. The frequent attenders per care centre add up to the
            ``frequent_attenders`` indicator of the stored table, which a
            viewer sees beside them. These totals are *fixed*: a hidden
            one stays hidden, a shown one is never hidden here. They add a
            third dimension, care centre → total, in which no group may
            have a lone hidden cell, so that no hidden care-centre cell is
            a shown total minus shown parts, and no hidden total is the sum
            of shown care centres.
        reference_day: indicator ids whose value is a stock on the period's
            last day, so that a quarter's value *is* its last month's and a
            year's its last quarter's (not their sum). For them the period
            hierarchy pairs each quarter with its last month and each year
            with its last quarter: both hidden or both shown. None: the
            registry's ``reference_day`` indicators.

    Returns:
        A copy with ``suppressed`` (bool) and ``suppression`` (``""``,
        ``"primär"``, ``"sekundär"``, placed right after ``suppressed``), and
        the numbers of hidden rows set to NaN.
    """
    low, high = _check_threshold(threshold)
    keys = [c for c in EXTRA_KEY_COLUMNS if c in table.columns] if extra_keys is None else list(extra_keys)
    missing = [c for c in [*REQUIRED_COLUMNS, *keys] if c not in table.columns]
    if missing:
        raise ValueError(f"suppress: table lacks required columns {missing}; needs {list(REQUIRED_COLUMNS)}")

    out = table.copy()
    if entitled:
        if "suppressed" not in out.columns:
            out["suppressed"] = False
        if "suppression" not in out.columns:
            _place_reason(out, np.full(len(out), "", dtype=object))
        return out

    n = len(out)
    work = out
    if totals is not None:
        work = _with_totals(out, totals, keys)
    locked = np.zeros(len(work), dtype=bool)
    locked[n:] = True  # the totals' rows: decided elsewhere, never hidden here

    counts = {c: _as_float(work[c]) if c in work.columns else np.full(len(work), np.nan) for c in _COUNT_COLUMNS}

    primary = np.zeros(len(work), dtype=bool)
    for values in counts.values():
        primary |= (values >= low) & (values <= high)
    primary &= ~locked
    reason = np.where(primary, PRIMARY, "").astype(object)

    if "suppressed" in work.columns:
        already = work["suppressed"].fillna(False).to_numpy(dtype=bool)
        earlier = (
            work["suppression"].fillna("").astype(str).to_numpy(dtype=object)
            if "suppression" in work.columns
            else np.full(len(work), "", dtype=object)
        )
        keep = already & ~primary
        reason[keep] = np.where(earlier[keep] == SECONDARY, SECONDARY, PRIMARY)
        primary |= already

    # Rows with identical keys are one cell: a duplicate must not pass for a second hidden cell.
    cell, first = _cells(work, keys)
    hidden = np.zeros(len(first), dtype=bool)
    np.logical_or.at(hidden, cell, primary)
    is_primary = np.zeros(len(first), dtype=bool)
    np.logical_or.at(is_primary, cell, reason == PRIMARY)
    cell_reason = np.where(is_primary, PRIMARY, np.where(hidden, SECONDARY, "")).astype(object)
    fixed = np.zeros(len(first), dtype=bool)
    np.logical_or.at(fixed, cell, locked)

    cell_counts = {c: v[first] for c, v in counts.items()}
    empty = ~hidden & np.logical_and.reduce([np.nan_to_num(v, nan=0.0) == 0 for v in cell_counts.values()])
    if reference_day is None:
        from metrics.registry import INDICATORS

        reference_day = [i for i, ind in INDICATORS.items() if ind.reference_day]
    dimensions = _dimensions(work.iloc[first], cell_counts, keys, over=keys[0] if totals is not None else None,
                             reference_day=frozenset(reference_day))  # fmt: skip
    changed = True
    while changed:
        changed = False
        for gid, is_total, order, n_groups in dimensions:
            new = _complements(hidden, empty | fixed, gid, is_total, order, n_groups, has_total_of=~empty)
            if new.size:
                hidden[new] = True
                cell_reason[new] = SECONDARY
                changed = True
    hidden = hidden[cell][:n]
    reason = cell_reason[cell][:n]

    mask = pd.Series(hidden, index=out.index)
    for col in _MASKED_COLUMNS:
        if col in out.columns and hidden.any():
            out[col] = _as_numeric(out[col]).mask(mask)
    out["suppressed"] = hidden
    _place_reason(out, reason)
    return out


TOTAL_PART = "\x00summa"
"""The extra-key value of the rows :func:`suppress` adds for ``totals`` (never in the result)."""


def _with_totals(out: pd.DataFrame, totals: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``out`` followed by the fixed total rows, as parts of one table (the totals last)."""
    if len(keys) != 1:
        raise ValueError(f"suppress: totals need exactly one extra key to sum over; the table has {keys}")
    need = ["indicator_id", "municipality_code", "sex", "period", "numerator", "suppressed"]
    missing = [c for c in need if c not in totals.columns]
    if missing:
        raise ValueError(f"suppress: totals lack columns {missing}")
    cols = [c for c in (*need, "denominator", "n_unassessed") if c in totals.columns]
    fixed = totals[cols].assign(**{keys[0]: TOTAL_PART})
    fixed["suppressed"] = fixed["suppressed"].fillna(False).astype(bool)
    base = out.reset_index(drop=True)
    if "suppressed" not in base.columns:
        base = base.assign(suppressed=False)
    return pd.concat([base, fixed], ignore_index=True, sort=False)


def _check_threshold(threshold: tuple[int, int]) -> tuple[float, float]:
    try:
        low, high = threshold
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a pair (low, high), got {threshold!r}") from None
    if not (1 <= low <= high):
        raise ValueError(
            f"threshold must satisfy 1 <= low <= high (0 is never suppressed), got {threshold!r}"
        )
    return float(low), float(high)


def _as_numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series
    return pd.to_numeric(series, errors="coerce")


def _as_float(series: pd.Series) -> np.ndarray:
    return _as_numeric(series).to_numpy(dtype=float, na_value=np.nan)


def _place_reason(out: pd.DataFrame, reason: np.ndarray) -> None:
    """Put the ``suppression`` column right after ``suppressed``."""
    if "suppression" in out.columns:
        del out["suppression"]
    at = out.columns.get_loc("suppressed") + 1
    out.insert(at, "suppression", pd.Series(reason, index=out.index, dtype="str"))


def _cells(out: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cell number of every row (rows with identical keys share one) and each cell's first row."""
    if len(out) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    key_cols = ["indicator_id", *keys, "municipality_code", "sex", "period"]
    cell = out.groupby(key_cols, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(cell, return_index=True)
    return cell, first


def _dimensions(
    out: pd.DataFrame,
    counts: dict[str, np.ndarray],
    keys: list[str],
    *,
    over: str | None = None,
    reference_day: frozenset[str] = frozenset(),
) -> list[tuple[np.ndarray, ...]]:
    """Group ids, total flags and candidate orders for the additive dimensions: municipality, sex, the
    period hierarchy and, with ``over``, the extra key (its parts add up to the :data:`TOTAL_PART` row)."""
    municipality = out["municipality_code"].astype(str)
    sex = out["sex"].astype(str)
    municipality_rank = pd.factorize(municipality, sort=True)[0]
    sex_rank = pd.factorize(sex, sort=True)[0]

    numerator = counts["numerator"]
    # Parts with a positive (or no) numerator come before parts whose numerator is 0.
    zero_numerator = (numerator == 0).astype(np.int8)
    shared_keys = [
        sex_rank,
        municipality_rank,
        np.nan_to_num(counts["n_unassessed"], nan=np.inf),
        np.nan_to_num(counts["denominator"], nan=np.inf),
        np.nan_to_num(numerator, nan=np.inf),
        zero_numerator,
    ]

    period = out["period"].astype(str)
    period_rank = pd.factorize(period, sort=True)[0]

    def dimension(gid: np.ndarray, is_total: np.ndarray, tie_breaks: list[np.ndarray]):
        # np.lexsort sorts by the last key first: the total comes last of all.
        order = np.lexsort([*tie_breaks, *shared_keys, is_total.astype(np.int8)])
        return gid, is_total, order, int(gid.max()) + 1 if len(gid) else 0

    dims = []
    for group_cols, total_col, total_code in (
        (["indicator_id", *keys, "sex", "period"], municipality, _TOTAL_MUNICIPALITY),
        (["indicator_id", *keys, "municipality_code", "period"], sex, _TOTAL_SEX),
    ):
        gid = out.groupby(group_cols, sort=False, dropna=False).ngroup().to_numpy()
        dims.append(dimension(gid, (total_col == total_code).to_numpy(dtype=bool), []))
    if over is not None:
        others = [k for k in keys if k != over]
        gid = out.groupby(["indicator_id", *others, "municipality_code", "sex", "period"], sort=False,
                          dropna=False).ngroup().to_numpy()  # fmt: skip
        part_rank = pd.factorize(out[over].astype(str), sort=True)[0]
        dims.append(dimension(gid, (out[over] == TOTAL_PART).to_numpy(dtype=bool), [part_rank]))

    # The period hierarchy, when the table holds more than one grain: months add up to their quarter,
    # quarters to their year (for counts of events; for counts of persons the sum is an upper bound, and
    # treating it as exact errs on the safe side). A row outside a level forms a group of its own.
    # For a reference-day indicator the quarter *is* its last month (the year its last quarter): the group is
    # that pair, and the other months stand apart.
    kind = period.map(_period_kind).to_numpy(dtype=object)
    stock = out["indicator_id"].isin(reference_day).to_numpy(dtype=bool)
    for part_kind, total_kind, parent in (("month", "quarter", _quarter_of), ("quarter", "year", _year_of)):
        is_part, is_total = kind == part_kind, kind == total_kind
        if not (is_part.any() and is_total.any()):
            continue
        own = period.to_numpy(dtype=object)
        parent_period = np.where(is_total, own, "~" + own)  # the total is its own group key; others apart
        in_group = is_part & ~(stock & ~np.array([_is_last(p, part_kind) for p in own], dtype=bool))
        parent_period[in_group] = [parent(p) for p in own[in_group]]
        frame = out[["indicator_id", *keys, "municipality_code", "sex"]].assign(_parent=parent_period)
        gid = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
        dims.append(dimension(gid, is_total, [period_rank]))
    return dims


def _period_kind(period: str) -> str:
    """``2025-03`` month, ``2025-Q1`` quarter, ``2025`` year; anything else ``other`` (left out)."""
    if len(period) == 4 and period.isdigit():
        return "year"
    if len(period) == 7 and period[4:6] == "-Q":
        return "quarter"
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():
        return "month"
    return "other"


def _is_last(period: str, kind: str) -> bool:
    """The last month of its quarter, or the last quarter of its year."""
    if kind == "month":
        return period[5:7] in ("03", "06", "09", "12")
    if kind == "quarter":
        return period.endswith("Q4")
    return False


def _quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def _year_of(quarter: str) -> str:
    return quarter[:4]


def _complements(
    hidden: np.ndarray,
    unavailable: np.ndarray,
    gid: np.ndarray,
    is_total: np.ndarray,
    order: np.ndarray,
    n_groups: int,
    *,
    has_total_of: np.ndarray,
) -> np.ndarray:
    """Row positions to hide so that no group of one dimension has a lone hidden cell.

    ``unavailable``: cells that are never chosen (empty cells, and fixed totals decided elsewhere);
    ``has_total_of``: cells that count as a group's total when they are its total (not empty).
    """
    if n_groups == 0:
        return np.empty(0, dtype=np.intp)
    has_total = np.bincount(gid[is_total & has_total_of], minlength=n_groups) > 0
    n_hidden = np.bincount(gid[hidden], minlength=n_groups)
    exposed = has_total & (n_hidden == 1)
    if not exposed.any():
        return np.empty(0, dtype=np.intp)
    candidate = exposed[gid] & ~hidden & ~unavailable
    ordered = order[candidate[order]]
    _, first = np.unique(gid[ordered], return_index=True)
    return ordered[first]
