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
   as exact errs on the safe side).

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

from collections.abc import Sequence

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

    counts = {c: _as_float(out[c]) if c in out.columns else np.full(len(out), np.nan) for c in _COUNT_COLUMNS}

    primary = np.zeros(len(out), dtype=bool)
    for values in counts.values():
        primary |= (values >= low) & (values <= high)
    reason = np.where(primary, PRIMARY, "").astype(object)

    if "suppressed" in out.columns:
        already = out["suppressed"].fillna(False).to_numpy(dtype=bool)
        earlier = (
            out["suppression"].fillna("").astype(str).to_numpy(dtype=object)
            if "suppression" in out.columns
            else np.full(len(out), "", dtype=object)
        )
        keep = already & ~primary
        reason[keep] = np.where(earlier[keep] == SECONDARY, SECONDARY, PRIMARY)
        primary |= already

    # Rows with identical keys are one cell: a duplicate must not pass for a second hidden cell.
    cell, first = _cells(out, keys)
    hidden = np.zeros(len(first), dtype=bool)
    np.logical_or.at(hidden, cell, primary)
    is_primary = np.zeros(len(first), dtype=bool)
    np.logical_or.at(is_primary, cell, reason == PRIMARY)
    cell_reason = np.where(is_primary, PRIMARY, np.where(hidden, SECONDARY, "")).astype(object)

    cell_counts = {c: v[first] for c, v in counts.items()}
    empty = ~hidden & np.logical_and.reduce([np.nan_to_num(v, nan=0.0) == 0 for v in cell_counts.values()])
    dimensions = _dimensions(out.iloc[first], cell_counts, keys)
    changed = True
    while changed:
        changed = False
        for gid, is_total, order, n_groups in dimensions:
            new = _complements(hidden, empty, gid, is_total, order, n_groups)
            if new.size:
                hidden[new] = True
                cell_reason[new] = SECONDARY
                changed = True
    hidden = hidden[cell]
    reason = cell_reason[cell]

    mask = pd.Series(hidden, index=out.index)
    for col in _MASKED_COLUMNS:
        if col in out.columns and hidden.any():
            out[col] = _as_numeric(out[col]).mask(mask)
    out["suppressed"] = hidden
    _place_reason(out, reason)
    return out


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
    out: pd.DataFrame, counts: dict[str, np.ndarray], keys: list[str]
) -> list[tuple[np.ndarray, ...]]:
    """Group ids, total flags and candidate orders for the two additive dimensions."""
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

    # The period hierarchy, when the table holds more than one grain: months add up to their quarter,
    # quarters to their year (for counts of events; for counts of persons the sum is an upper bound, and
    # treating it as exact errs on the safe side). A row outside a level forms a group of its own.
    kind = period.map(_period_kind).to_numpy(dtype=object)
    for part_kind, total_kind, parent in (("month", "quarter", _quarter_of), ("quarter", "year", _year_of)):
        is_part, is_total = kind == part_kind, kind == total_kind
        if not (is_part.any() and is_total.any()):
            continue
        own = period.to_numpy(dtype=object)
        parent_period = np.where(is_total, own, "~" + own)  # the total is its own group key; others apart
        parent_period[is_part] = [parent(p) for p in own[is_part]]
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


def _quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def _year_of(quarter: str) -> str:
    return quarter[:4]


def _complements(
    hidden: np.ndarray,
    empty: np.ndarray,
    gid: np.ndarray,
    is_total: np.ndarray,
    order: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Row positions to hide so that no group of one dimension has a lone hidden cell."""
    if n_groups == 0:
        return np.empty(0, dtype=np.intp)
    has_total = np.bincount(gid[is_total & ~empty], minlength=n_groups) > 0
    n_hidden = np.bincount(gid[hidden], minlength=n_groups)
    exposed = has_total & (n_hidden == 1)
    if not exposed.any():
        return np.empty(0, dtype=np.intp)
    candidate = exposed[gid] & ~hidden & ~empty
    ordered = order[candidate[order]]
    _, first = np.unique(gid[ordered], return_index=True)
    return ordered[first]
