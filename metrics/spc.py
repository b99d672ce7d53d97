"""Statistical process control (SPC): run charts and control charts.

Compute first, draw second: :func:`spc_table` returns one row per point with the
centre line, limits, rule flags and point type, and carries its options in
``df.attrs["spc_options"]``; :func:`spc_summary` condenses the last phase into
the numbers behind the Making Data Count icons. Drawing lives in
``ui/spc_chart.py``. This module is pure: no plotting, no I/O, no Streamlit.

Chart types (``chart=``):

``run``
    Run chart, centre = median (Anhøj & Olesen 2014).
``i``
    Individuals (XmR) chart, centre = mean, limits = mean ± 2.66 × average
    moving range; optional screening of moving ranges above 3.267 × AMR
    (Wheeler 2000; Nelson 1982; Provost & Murray 2011, p. 156).
``p`` / ``u``
    Proportions / rates with limits per point from its denominator
    (Montgomery, *Introduction to Statistical Quality Control*, ch. 7).
``pp`` / ``up``
    Laney P′ / U′: the P / U limits multiplied by σ_z, the average moving
    range of the z-scores divided by 1.128 (Laney 2002, Quality Engineering
    14(4):531–537; Mohammed et al. 2013, BMJ Qual Saf 22:362–368).

Rules (``rules=``): ``"anhoej"`` (default: Anhøj's runs rules plus points
outside the limits), ``"nhs"`` (NHS England "Making Data Count": outside
limits, a shift of 7, a trend of 7, two of three beyond 2σ) or ``"both"``.
Anhøj's runs analysis is always computed and reported (``run_signal``).

Sources, formulas and deviations are listed in ``docs/spc.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "ASSURANCE_CODES",
    "ASSURANCE_LABELS_SV",
    "CHART_TYPES",
    "IMPROVEMENT_DIRECTIONS",
    "POINT_TYPE_LABELS_SV",
    "RULES_IN_SET",
    "RULE_LABELS_SV",
    "RULE_SETS",
    "VARIATION_CODES",
    "VARIATION_LABELS_SV",
    "SpcOptions",
    "assurance_type",
    "average_moving_range",
    "crossings_min",
    "default_chart",
    "improvement_from_direction",
    "laney_sigma_z",
    "longest_run_max",
    "phase_starts_from_dates",
    "recommend_chart",
    "runs_analysis",
    "shift_points",
    "spc_summary",
    "spc_table",
    "summarise_table",
    "trend_points",
    "two_in_three_points",
    "variation_type",
]

# --------------------------------------------------------------------------- constants

CHART_TYPES: tuple[str, ...] = ("run", "i", "p", "u", "pp", "up")
"""Allowed values of ``chart``."""

RULE_SETS: tuple[str, ...] = ("anhoej", "nhs", "both")
"""Allowed values of ``rules``."""

IMPROVEMENT_DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "neither")
"""Allowed values of ``improvement``."""

#: XmR limit factor: 3 / d2 with d2 = 1.128, rounded as in Wheeler (2000) and Making Data Count.
XMR_LIMIT_FACTOR = 2.66
#: Upper range limit for moving ranges, D4 for n = 2 (Wheeler 2000; Nelson 1982).
MR_SCREEN_FACTOR = 3.267
#: Bias-correction constant d2 for moving ranges of two points (Montgomery, Appendix VI).
D2 = 1.128
#: Limits computed from fewer points than this are flagged provisional (NHSRplotthedots, MDC).
MIN_POINTS_FOR_FIRM_LIMITS = 12
#: Length of a shift / trend in the Making Data Count rules.
NHS_SHIFT_LENGTH = 7
NHS_TREND_LENGTH = 7
#: Mean denominator above which P and U limits are usually too narrow (qicharts2 vignette; Laney 2002).
PRIME_DENOMINATOR_THRESHOLD = 1000

_PROPORTION_CHARTS = frozenset({"p", "pp"})
_RATE_CHARTS = frozenset({"u", "up"})
_ATTRIBUTE_CHARTS = _PROPORTION_CHARTS | _RATE_CHARTS
_CONTROL_CHARTS = frozenset(CHART_TYPES) - {"run"}

VARIATION_CODES: tuple[str, ...] = (
    "common_cause",
    "special_cause_improvement_high",
    "special_cause_improvement_low",
    "special_cause_concern_high",
    "special_cause_concern_low",
    "special_cause_neither_high",
    "special_cause_neither_low",
)
"""Variation icon codes (NHS England, Making Data Count, 2019)."""

ASSURANCE_CODES: tuple[str, ...] = (
    "consistently_pass",
    "consistently_fail",
    "hit_and_miss",
    "no_target",
    "not_assessable",
    "new_level",
)
"""Assurance icon codes. ``not_assessable``: a target exists but there are no
process limits (run chart, too few points) or no improvement direction.
``new_level``: the latest point is special cause, so the limits describe a
process that has already moved; target assurance waits for new limits."""

VARIATION_LABELS_SV: dict[str, str] = {
    "common_cause": "Vanlig variation",
    "special_cause_improvement_high": "Särskild orsak – förbättring (högt)",
    "special_cause_improvement_low": "Särskild orsak – förbättring (lågt)",
    "special_cause_concern_high": "Särskild orsak – försämring (högt)",
    "special_cause_concern_low": "Särskild orsak – försämring (lågt)",
    "special_cause_neither_high": "Särskild orsak – högt (ingen önskad riktning)",
    "special_cause_neither_low": "Särskild orsak – lågt (ingen önskad riktning)",
}
"""Swedish labels for the variation codes."""

ASSURANCE_LABELS_SV: dict[str, str] = {
    "consistently_pass": "Målet nås sannolikt alltid",
    "consistently_fail": "Målet nås sannolikt aldrig",
    "hit_and_miss": "Målet nås ibland",
    "no_target": "Inget mål",
    "not_assessable": "Måluppfyllelse kan inte bedömas",
    "new_level": "Ny nivå – måluppfyllelsen bedöms när gränserna räknats om",
}
"""Swedish labels for the assurance codes."""

RULE_LABELS_SV: dict[str, str] = {
    "outside": "utanför gränserna",
    "long_run": "ovanligt lång serie",
    "shift": "7 i rad på samma sida",
    "trend": "7 i rad stigande/fallande",
    "two_in_three": "2 av 3 nära gränsen",
}
"""Swedish names of the rules, as the chart's table and the verdict write them."""

RULES_IN_SET: dict[str, tuple[str, ...]] = {
    "anhoej": ("outside", "long_run"),
    "nhs": ("outside", "shift", "trend", "two_in_three"),
    "both": ("outside", "long_run", "shift", "trend", "two_in_three"),
}
"""The point rules each ``rules`` setting applies (the column names of :func:`spc_table`)."""

POINT_TYPE_LABELS_SV: dict[str, str] = {
    "common": "Vanlig variation",
    "special_improvement": "Särskild orsak – förbättring",
    "special_concern": "Särskild orsak – försämring",
    "special_neutral": "Särskild orsak",
    "excluded": "Utesluten",
    "missing": "Saknas",
}
"""Swedish labels for the ``point_type`` column."""


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class SpcOptions:
    """Validated options of one SPC analysis; stored in ``df.attrs["spc_options"]``."""

    chart: str
    improvement: str = "increase"
    target: float | None = None
    freeze: int | None = None
    phases: tuple[int, ...] = ()
    exclude: dict[int, str] = field(default_factory=dict)
    rules: str = "anhoej"
    screen: bool = True
    extend_short_phases: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (lists instead of tuples) for ``DataFrame.attrs``."""
        d = asdict(self)
        d["phases"] = list(self.phases)
        d["exclude"] = dict(self.exclude)
        return d


def _validate_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return str(value)


def _validate_options(
    n: int,
    *,
    chart: str,
    improvement: str,
    target: float | None,
    freeze: int | None,
    phases: Iterable[int] | None,
    exclude: Iterable[int] | Mapping[int, str] | None,
    rules: str,
    screen: bool,
    extend_short_phases: bool = True,
) -> SpcOptions:
    """Check every option once, with messages naming the field and the allowed values."""
    chart = _validate_choice("chart", chart, CHART_TYPES)
    improvement = _validate_choice("improvement", improvement, IMPROVEMENT_DIRECTIONS)
    rules = _validate_choice("rules", rules, RULE_SETS)
    if not isinstance(screen, bool | np.bool_):
        raise ValueError(f"screen must be True or False; got {screen!r}")
    if not isinstance(extend_short_phases, bool | np.bool_):
        raise ValueError(f"extend_short_phases must be True or False; got {extend_short_phases!r}")

    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise ValueError(f"target must be a number or None; got {target!r}") from None
        if not math.isfinite(target):
            raise ValueError(f"target must be a finite number or None; got {target!r}")

    starts: list[int] = []
    for p in phases or ():
        if isinstance(p, bool) or not isinstance(p, int | np.integer):
            raise ValueError(f"phases must be integer point positions; got {p!r}")
        starts.append(int(p))
    if starts != sorted(set(starts)):
        raise ValueError(f"phases must be strictly increasing point positions; got {starts}")
    if starts and (starts[0] < 1 or starts[-1] > n - 1):
        raise ValueError(
            f"phases must be positions between 1 and {n - 1} (the first phase starts at 0); got {starts}"
        )

    if freeze is not None:
        if isinstance(freeze, bool) or not isinstance(freeze, int | np.integer):
            raise ValueError(f"freeze must be a whole number of points or None; got {freeze!r}")
        first_len = starts[0] if starts else n
        if not 1 <= int(freeze) <= first_len:
            raise ValueError(
                f"freeze must be between 1 and the length of the first phase ({first_len}); got {freeze}"
            )
        freeze = int(freeze)

    excl: dict[int, str] = {}
    if exclude is not None:
        items = exclude.items() if isinstance(exclude, Mapping) else ((p, "") for p in exclude)
        for pos, reason in items:
            if isinstance(pos, bool) or not isinstance(pos, int | np.integer):
                raise ValueError(f"exclude must hold integer point positions; got {pos!r}")
            if not 0 <= int(pos) < n:
                raise ValueError(f"exclude positions must be between 0 and {n - 1}; got {pos}")
            excl[int(pos)] = "" if reason is None else str(reason)

    return SpcOptions(
        chart=chart,
        improvement=improvement,
        target=target,
        freeze=freeze,
        phases=tuple(starts),
        exclude=dict(sorted(excl.items())),
        rules=rules,
        screen=bool(screen),
        extend_short_phases=bool(extend_short_phases),
    )


def improvement_from_direction(direction: str | None) -> str:
    """Map the indicator registry's ``better`` direction to ``improvement``.

    ``"higher"`` → ``"increase"``, ``"lower"`` → ``"decrease"``, ``None`` or
    ``"neither"`` → ``"neither"`` (see ``/work/shared/spec/indicators.md``).
    """
    mapping = {"higher": "increase", "lower": "decrease", None: "neither", "neither": "neither"}
    if direction not in mapping:
        raise ValueError(f"direction must be 'higher', 'lower', 'neither' or None; got {direction!r}")
    return mapping[direction]


# --------------------------------------------------------------------------- default chart


def default_chart(unit: str) -> str:
    """Default chart type for an indicator, chosen from the registry's unit.

    * ``"%"`` → ``"p"`` (proportion of a denominator; use :func:`recommend_chart`
      to switch to Laney's ``"pp"`` for large denominators);
    * a unit containing ``"per 1 000"`` (rates per population) → ``"up"``
      (population denominators are large, so plain U limits are far too narrow;
      Mohammed et al. 2013);
    * ``"timmar"`` (a median per period) and ``"antal"`` (a count per period)
      → ``"i"`` (the XmR chart is the all-purpose chart when no probability model
      fits; Wheeler 2000);
    * anything else → ``"run"`` (assumption-free; Anhøj & Olesen 2014).
    """
    u = " ".join(str(unit).lower().replace("\u00a0", " ").split())
    if u == "%" or u.startswith("%"):
        return "p"
    if "per 1 000" in u or "per 1000" in u:
        return "up"
    if "timmar" in u or u == "h" or "antal" in u:
        return "i"
    return "run"


def recommend_chart(unit: str, denominators: Sequence[float] | np.ndarray | pd.Series | None = None) -> str:
    """Default chart for ``unit``, switched to the Laney prime chart for large denominators.

    A ``"p"`` or ``"u"`` default becomes ``"pp"`` / ``"up"`` when the mean
    denominator exceeds :data:`PRIME_DENOMINATOR_THRESHOLD` (1 000): with such
    subgroups between-period variation dominates and plain limits flag nearly
    every point (qicharts2 vignette, "Prime charts"; Laney 2002). Laney notes the
    prime chart equals the plain one when there is no over-dispersion.
    """
    chart = default_chart(unit)
    if denominators is None or chart not in ("p", "u"):
        return chart
    den = np.asarray(denominators, dtype=float)
    den = den[np.isfinite(den)]
    if den.size and float(den.mean()) > PRIME_DENOMINATOR_THRESHOLD:
        return chart + "p"
    return chart


def phase_starts_from_dates(
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex, starts: Iterable[Any]
) -> list[int]:
    """Convert change dates (e.g. when a PDSA change was adopted) to ``phases`` positions.

    Each start date maps to the first point whose date is on or after it;
    dates before the first point or after the last are dropped.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    out: set[int] = set()
    for s in starts:
        pos = int(idx.searchsorted(pd.Timestamp(s), side="left"))
        if 1 <= pos <= len(idx) - 1:
            out.add(pos)
    return sorted(out)


# --------------------------------------------------------------------------- limits


def average_moving_range(values: np.ndarray, *, screen: bool = True) -> float:
    """Average moving range of consecutive values, optionally screened.

    Moving ranges ≥ 3.267 × AMR (the upper range limit, D4 for n = 2) are
    dropped and the average recomputed once (Nelson 1982, JQT 14(3):172–173;
    Provost & Murray 2011, *The Health Care Data Guide*, p. 156; as in
    qicharts2 and NHSRplotthedots).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return float("nan")
    mr = np.abs(np.diff(v))
    amr = float(mr.mean())
    if screen:
        kept = mr[mr < MR_SCREEN_FACTOR * amr]
        if kept.size:
            amr = float(kept.mean())
    return amr


def laney_sigma_z(values: np.ndarray, centre: float, sigma: np.ndarray) -> float:
    """Laney's σ_z: average moving range of z_i = (y_i − centre) / σ_i, divided by 1.128.

    Laney DB (2002). Improved control charts for attributes. Quality
    Engineering 14(4):531–537. σ_z ≈ 1 means no over-dispersion (the prime
    chart then equals the plain P / U chart).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.asarray(values, dtype=float) - centre) / np.asarray(sigma, dtype=float)
    z = z[np.isfinite(z)]
    if z.size < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(z))) / D2)


@dataclass(frozen=True)
class _Limits:
    centre: float
    sigma: np.ndarray  # per point of the phase (NaN for run charts)


def _limits_run(
    value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool
) -> _Limits:
    """Run chart: centre = median of the baseline points, no limits (Anhøj & Olesen 2014)."""
    b = value[base]
    centre = float(np.median(b)) if b.size else float("nan")
    return _Limits(centre, np.full(value.shape, np.nan))


def _limits_i(value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool) -> _Limits:
    """XmR chart: mean ± 2.66 × AMR, i.e. σ = 2.66 × AMR / 3 (Wheeler 2000, ch. 5)."""
    b = value[base]
    centre = float(b.mean()) if b.size else float("nan")
    amr = average_moving_range(b, screen=screen)
    return _Limits(centre, np.full(value.shape, XMR_LIMIT_FACTOR * amr / 3.0))


def _pooled_centre(num: np.ndarray, den: np.ndarray, base: np.ndarray) -> float:
    d = float(den[base].sum())
    return float(num[base].sum()) / d if d > 0 else float("nan")


def _sigma_binomial(centre: float, den: np.ndarray) -> np.ndarray:
    """P chart σ_i = √(p̄(1 − p̄)/n_i) (Montgomery, ISQC, eq. 7.8)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(centre * (1.0 - centre) / den)


def _sigma_poisson(centre: float, den: np.ndarray) -> np.ndarray:
    """U chart σ_i = √(ū/n_i) (Montgomery, ISQC, eq. 7.19)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(centre / den)


def _limits_p(value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool) -> _Limits:
    """P chart: p̄ = Σx/Σn over the baseline, limits p̄ ± 3σ_i."""
    centre = _pooled_centre(num, den, base)
    return _Limits(centre, _sigma_binomial(centre, den))


def _limits_u(value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool) -> _Limits:
    """U chart: ū = Σx/Σn over the baseline, limits ū ± 3σ_i."""
    centre = _pooled_centre(num, den, base)
    return _Limits(centre, _sigma_poisson(centre, den))


def _limits_pp(
    value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool
) -> _Limits:
    """Laney P′ chart: p̄ ± 3 σ_i σ_z (Laney 2002)."""
    centre = _pooled_centre(num, den, base)
    sigma = _sigma_binomial(centre, den)
    return _Limits(centre, sigma * laney_sigma_z(value[base], centre, sigma[base]))


def _limits_up(
    value: np.ndarray, num: np.ndarray, den: np.ndarray, base: np.ndarray, screen: bool
) -> _Limits:
    """Laney U′ chart: ū ± 3 σ_i σ_z (Laney 2002)."""
    centre = _pooled_centre(num, den, base)
    sigma = _sigma_poisson(centre, den)
    return _Limits(centre, sigma * laney_sigma_z(value[base], centre, sigma[base]))


_LIMIT_FUNCTIONS = {
    "run": _limits_run,
    "i": _limits_i,
    "p": _limits_p,
    "u": _limits_u,
    "pp": _limits_pp,
    "up": _limits_up,
}


# --------------------------------------------------------------------------- rules: Anhøj


def longest_run_max(n_useful: int) -> int:
    """Upper 95 % prediction limit for the longest run: round(log2(n)) + 3.

    Schilling MF (2012), Math Mag 85(2):141–149; Anhøj J, Olesen AV (2014),
    PLoS ONE 9(11): e113825. log2(n) is never exactly x.5 for whole n, so
    rounding half up or half to even gives the same result.
    """
    if n_useful < 1:
        raise ValueError(f"n_useful must be at least 1; got {n_useful}")
    return int(math.floor(math.log2(n_useful) + 0.5)) + 3


def crossings_min(n_useful: int) -> int:
    """Lower 5 % prediction limit for the number of crossings.

    The smallest k with P(X ≤ k) ≥ 0.05 for X ~ Binomial(n − 1, 0.5), i.e. R's
    ``qbinom(0.05, n - 1, 0.5)`` (Chen 2010; Anhøj & Olesen 2014, PLoS ONE
    9(11): e113825). ``scipy.stats.binom.ppf`` has the same definition; the
    result is checked against the published table in the tests.
    """
    if n_useful < 2:
        return 0
    return int(stats.binom.ppf(0.05, n_useful - 1, 0.5))


def _run_lengths(sides: np.ndarray) -> np.ndarray:
    """Lengths of consecutive equal values in a ±1 sequence (no zeros)."""
    if sides.size == 0:
        return np.array([], dtype=int)
    breaks = np.flatnonzero(np.diff(sides) != 0) + 1
    edges = np.concatenate(([0], breaks, [sides.size]))
    return np.diff(edges)


def runs_analysis(values: np.ndarray, centre: float | np.ndarray) -> dict[str, Any]:
    """Anhøj's runs analysis of one phase.

    Points on the centre line are ignored (they neither break nor add to a
    run); ``n_useful`` is the number of remaining points. A signal is either a
    longest run > :func:`longest_run_max` or fewer crossings than
    :func:`crossings_min` (Anhøj & Olesen 2014, PLoS ONE 9(11): e113825;
    Anhøj 2015, PLoS ONE 10(3): e0121349).

    Returns ``n_useful, longest_run, longest_run_max, crossings,
    crossings_min, signal`` and ``long_run`` (per input point: part of a run
    longer than the maximum).
    """
    v = np.asarray(values, dtype=float)
    side = np.sign(v - centre)
    useful = np.isfinite(side) & (side != 0)
    s = side[useful]
    n = int(s.size)
    long_run = np.zeros(v.shape, dtype=bool)
    if n == 0:
        return {
            "n_useful": 0,
            "longest_run": None,
            "longest_run_max": None,
            "crossings": None,
            "crossings_min": None,
            "signal": False,
            "long_run": long_run,
        }
    lengths = _run_lengths(s)
    lr_max = longest_run_max(n)
    cr_min = crossings_min(n)
    longest = int(lengths.max())
    crossings = int(lengths.size - 1)
    member_of_long = np.repeat(lengths > lr_max, lengths)
    long_run[np.flatnonzero(useful)] = member_of_long
    return {
        "n_useful": n,
        "longest_run": longest,
        "longest_run_max": lr_max,
        "crossings": crossings,
        "crossings_min": cr_min,
        "signal": bool(longest > lr_max or crossings < cr_min),
        "long_run": long_run,
    }


# --------------------------------------------------------------------------- rules: Making Data Count


def _mark_windows(hit_at_end: np.ndarray, length: int) -> np.ndarray:
    """Mark the ``length`` points of every window that ends where ``hit_at_end`` is true."""
    out = np.zeros(hit_at_end.shape, dtype=bool)
    for end in np.flatnonzero(hit_at_end):
        out[max(0, end - length + 1) : end + 1] = True
    return out


def shift_points(side: np.ndarray, length: int = NHS_SHIFT_LENGTH) -> np.ndarray:
    """Points in a run of ≥ ``length`` consecutive points on one side of the centre.

    A point on the centre line (side 0) breaks the run. NHS England, *Making
    Data Count* (2019), "shift"; NHSRplotthedots ``ptd_seven_point_one_side_mean``.
    """
    s = np.nan_to_num(np.asarray(side, dtype=float))
    n = s.size
    if n < length:
        return np.zeros(n, dtype=bool)
    hit = np.zeros(n, dtype=bool)
    for end in range(length - 1, n):
        w = s[end - length + 1 : end + 1]
        hit[end] = bool(w[0] != 0 and np.all(w == w[0]))
    return _mark_windows(hit, length)


def trend_points(values: np.ndarray, length: int = NHS_TREND_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """Points in ≥ ``length`` consecutive strictly rising or strictly falling values.

    Equal neighbours break the trend. Returns ``(flag, direction)`` with
    direction +1 (rising) / −1 (falling) / 0. NHS England, *Making Data Count*
    (2019), "trend"; NHSRplotthedots ``ptd_seven_point_trend``.
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    flag = np.zeros(n, dtype=bool)
    direction = np.zeros(n, dtype=int)
    if n < length:
        return flag, direction
    d = np.sign(np.diff(v))
    for end in range(length - 1, n):
        w = d[end - length + 1 : end]
        for sgn in (1, -1):
            if np.all(w == sgn):
                flag[end - length + 1 : end + 1] = True
                direction[end - length + 1 : end + 1] = sgn
    return flag, direction


def two_in_three_points(
    values: np.ndarray, centre: float, sigma: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Two of three consecutive points beyond 2σ (inside the limits), all three on one side.

    Flags the points beyond 2σ of every qualifying window. Points already
    outside the limits are flagged by the outside-limits rule and do not count
    here, as in NHSRplotthedots (``ptd_two_in_three``), the reference
    implementation of NHS England's *Making Data Count* (2019).
    """
    v = np.asarray(values, dtype=float)
    sig = np.asarray(sigma, dtype=float)
    n = v.size
    with np.errstate(invalid="ignore"):
        outside = (v > upper) | (v < lower)
        close = ~outside & ((v > centre + 2 * sig) | (v < centre - 2 * sig))
        side = np.nan_to_num(np.sign(v - centre))
    out = np.zeros(n, dtype=bool)
    for start in range(0, max(0, n - 2)):
        w = slice(start, start + 3)
        if close[w].sum() >= 2 and abs(side[w].sum()) == 3:
            out[w] |= close[w]
    return out


# --------------------------------------------------------------------------- icons


def variation_type(*, special: bool, side: int, improvement: str) -> str:
    """Variation icon code for the latest point of a series (Making Data Count, 2019).

    ``side`` is +1 when the signal is high (above the centre or rising) and −1
    when low. Improvement is high values for ``"increase"`` and low values for
    ``"decrease"``; ``"neither"`` gives the neutral (purple) codes.
    """
    if not special or side == 0:
        return "common_cause"
    level = "high" if side > 0 else "low"
    if improvement == "neither":
        return f"special_cause_neither_{level}"
    good = (side > 0) == (improvement == "increase")
    return f"special_cause_{'improvement' if good else 'concern'}_{level}"


def assurance_type(
    *, lower: float | None, upper: float | None, target: float | None, improvement: str
) -> str:
    """Assurance icon code: where the target lies relative to the process limits.

    Target outside the limits on the good side → ``consistently_pass``; on the
    bad side → ``consistently_fail``; between the limits → ``hit_and_miss``
    (NHS England, *Making Data Count*, 2019; NHSRplotthedots
    ``ptd_calculate_assurance_type``). ``no_target`` without a target;
    ``not_assessable`` without limits or without an improvement direction.
    """
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return "no_target"
    if improvement == "neither" or lower is None or upper is None:
        return "not_assessable"
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return "not_assessable"
    increasing = improvement == "increase"
    if target > upper:
        return "consistently_fail" if increasing else "consistently_pass"
    if target < lower:
        return "consistently_pass" if increasing else "consistently_fail"
    return "hit_and_miss"


# --------------------------------------------------------------------------- input


def _as_array(name: str, data: Any, n: int | None = None) -> np.ndarray:
    try:
        arr = np.asarray(pd.Series(data).to_numpy(dtype=float, na_value=np.nan), dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (list, numpy array or pandas Series)") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have the same length as values ({n}); got {arr.size}")
    return arr


def _dates_of(values: Any, dates: Any, n: int) -> pd.DatetimeIndex | None:
    if dates is not None:
        idx = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        if len(idx) != n:
            raise ValueError(f"dates must have the same length as values ({n}); got {len(idx)}")
        return idx
    if isinstance(values, pd.Series):
        if isinstance(values.index, pd.DatetimeIndex):
            return pd.DatetimeIndex(values.index)
        if isinstance(values.index, pd.PeriodIndex):
            return values.index.to_timestamp()
    return None


# --------------------------------------------------------------------------- table


def _limits_phases(phase: np.ndarray, used: np.ndarray, *, extend: bool) -> np.ndarray:
    """Per point, the phase whose own points set its centre and limits.

    Normally a point's own phase. With ``extend``, a later phase with fewer
    than :data:`MIN_POINTS_FOR_FIRM_LIMITS` used points has no limits of its
    own yet: it is judged against the limits of the phase before it,
    extended (recursively, so two short phases in a row both use the last
    phase that had enough points, or phase 1). The runs analysis and the
    other rules then run over the whole group, so a change that began before
    the phase boundary stays visible after it ("förbättring jämfört med fas
    1"). This follows Making Data Count's advice to recalculate limits only
    when a new phase has enough points (docs/spc.md, deviations).
    """
    source: dict[int, int] = {}
    for k in (int(p) for p in np.unique(phase)):
        short = int(used[phase == k].sum()) < MIN_POINTS_FOR_FIRM_LIMITS
        source[k] = source[k - 1] if (extend and k > 1 and short) else k
    return np.array([source[int(k)] for k in phase], dtype=int)




def spc_table(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    chart: str,
    denominators: Sequence[float] | np.ndarray | pd.Series | None = None,
    improvement: str = "increase",
    target: float | None = None,
    freeze: int | None = None,
    phases: Sequence[int] | None = None,
    exclude: Sequence[int] | Mapping[int, str] | None = None,
    rules: str = "anhoej",
    screen: bool = True,
    dates: Sequence[Any] | pd.DatetimeIndex | None = None,
    extend_short_phases: bool = True,
) -> pd.DataFrame:
    """SPC table: one row per point with centre line, limits, rule flags and point type.

    Parameters
    ----------
    values
        The measurements (``run``, ``i``) or the numerators / counts (``p``,
        ``u``, ``pp``, ``up``). A pandas Series with a DatetimeIndex (or
        PeriodIndex) keeps its dates in ``date`` and ``x``. NaN = missing.
    chart
        One of ``run, i, p, u, pp, up``.
    denominators
        Required for ``p, u, pp, up``; for ``run`` and ``i`` optional (the
        chart is then of values / denominators).
    improvement
        ``"increase"``, ``"decrease"`` or ``"neither"``.
    target
        A target in the unit of ``value`` (a proportion 0–1 for p charts).
    freeze
        Compute the limits of the first phase from its first ``freeze`` points
        only (a baseline) and extend them over the rest of the phase.
    phases
        Point positions (0-based) where a new phase starts, e.g. when a PDSA
        change was adopted; each phase gets its own centre and limits once
        it has 12 used points (before that, see ``extend_short_phases``).
    exclude
        Point positions, or ``{position: reason}``; excluded points are shown
        but not used for limits or rules.
    rules
        ``"anhoej"`` (runs rules + outside limits), ``"nhs"`` (Making Data
        Count) or ``"both"``.
    screen
        Screen moving ranges above 3.267 × AMR (I chart only).
    dates
        Optional dates of the points (overrides a Series' index).
    extend_short_phases
        ``True`` (default): a later phase with fewer than 12 used points is
        judged against the previous phase's limits, extended, with the rules
        run over both (``limits_phase`` names the phase whose points set the
        limits). ``False``: every phase computes its own (provisional)
        limits from however few points it has.

    Returns
    -------
    pandas.DataFrame
        Columns: ``x, date, phase, limits_phase, value, numerator, denominator, centre,
        lower, upper, sigma, target, chart, excluded, exclude_reason, baseline,
        provisional, outside, long_run, run_signal, shift, trend,
        two_in_three, special_cause, signal_side, point_type``. ``value``,
        ``centre``, ``lower`` and ``upper`` are proportions (0–1) for p
        charts and rates per unit of denominator for u charts; lower limits of
        proportions and rates are clipped at 0, upper limits of proportions
        at 1 (``sigma`` is not clipped). The options are in
        ``df.attrs["spc_options"]``.
    """
    raw = _as_array("values", values)
    n = raw.size
    if n == 0:
        raise ValueError("values must hold at least one point")
    opts = _validate_options(
        n,
        chart=chart,
        improvement=improvement,
        target=target,
        freeze=freeze,
        phases=phases,
        exclude=exclude,
        rules=rules,
        screen=screen,
        extend_short_phases=extend_short_phases,
    )
    date_idx = _dates_of(values, dates, n)

    if opts.chart in _ATTRIBUTE_CHARTS and denominators is None:
        raise ValueError(f"denominators are required for chart {opts.chart!r}")
    if denominators is not None:
        den = _as_array("denominators", denominators, n)
        num = raw
        if np.any(den[np.isfinite(den)] < 0):
            raise ValueError("denominators must not be negative")
        if opts.chart in _ATTRIBUTE_CHARTS and np.any(num[np.isfinite(num)] < 0):
            raise ValueError(f"values (numerators) must not be negative for chart {opts.chart!r}")
        if opts.chart in _PROPORTION_CHARTS:
            ok = np.isfinite(num) & np.isfinite(den)
            if np.any(num[ok] > den[ok]):
                raise ValueError(f"values (numerators) must not exceed denominators for chart {opts.chart!r}")
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / den, np.nan)
    else:
        num = np.full(n, np.nan)
        den = np.full(n, np.nan)
        value = raw.copy()

    excluded = np.zeros(n, dtype=bool)
    reasons: list[str | None] = [None] * n
    for pos, reason in opts.exclude.items():
        excluded[pos] = True
        reasons[pos] = reason
    missing = ~np.isfinite(value)
    used = ~excluded & ~missing

    phase = np.ones(n, dtype=int)
    for k, start in enumerate(opts.phases, start=2):
        phase[start:] = k
    limits_phase = _limits_phases(phase, used, extend=opts.extend_short_phases)

    centre = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    baseline = np.zeros(n, dtype=bool)
    provisional = np.zeros(n, dtype=bool)
    run_signal = np.zeros(n, dtype=bool)
    long_run = np.zeros(n, dtype=bool)
    shift = np.zeros(n, dtype=bool)
    trend = np.zeros(n, dtype=bool)
    trend_dir = np.zeros(n, dtype=int)
    two3 = np.zeros(n, dtype=bool)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)

    limit_fn = _LIMIT_FUNCTIONS[opts.chart]
    # One analysis per group of phases that share limits: a phase with its own limits, followed by the
    # short phases that are still judged against them (see _limits_phases).
    for g in np.unique(limits_phase):
        idx = np.flatnonzero(limits_phase == g)
        base = used[idx] & (phase[idx] == g)
        if g == 1 and opts.freeze is not None:
            base &= np.arange(idx.size) < opts.freeze
        baseline[idx] = base
        lim = limit_fn(value[idx], num[idx], den[idx], base, opts.screen)
        centre[idx] = lim.centre
        sigma[idx] = lim.sigma
        provisional[idx] = int(base.sum()) < MIN_POINTS_FOR_FIRM_LIMITS
        if opts.chart in _CONTROL_CHARTS:
            lower[idx] = lim.centre - 3 * lim.sigma
            upper[idx] = lim.centre + 3 * lim.sigma

        # Rules on the points used (excluded and missing points skipped).
        u_idx = idx[used[idx]]
        if u_idx.size == 0:
            continue
        v = value[u_idx]
        runs = runs_analysis(v, lim.centre)
        run_signal[idx] = runs["signal"]
        long_run[u_idx] = runs["long_run"]
        shift[u_idx] = shift_points(np.sign(v - lim.centre))
        t_flag, t_dir = trend_points(v)
        trend[u_idx] = t_flag
        trend_dir[u_idx] = t_dir
        if opts.chart in _CONTROL_CHARTS:
            two3[u_idx] = two_in_three_points(v, lim.centre, sigma[u_idx], lower[u_idx], upper[u_idx])

    if opts.chart in _ATTRIBUTE_CHARTS:
        lower = np.where(np.isfinite(lower), np.maximum(lower, 0.0), lower)
    if opts.chart in _PROPORTION_CHARTS:
        upper = np.where(np.isfinite(upper), np.minimum(upper, 1.0), upper)

    with np.errstate(invalid="ignore"):
        outside = used & ((value > upper) | (value < lower))
        side = np.nan_to_num(np.sign(value - centre)).astype(int)

    if opts.rules == "anhoej":
        special = outside | long_run
    elif opts.rules == "nhs":
        special = outside | shift | trend | two3
    else:
        special = outside | long_run | shift | trend | two3
    special &= used

    # High/low of a signal: its side of the centre, or the trend's direction
    # for a point flagged only by a trend.
    only_trend = special & ~(outside | long_run | shift | two3) & trend
    signal_dir = np.where(only_trend, trend_dir, side)
    signal_dir = np.where(special, signal_dir, 0)

    point_type = np.array(["common"] * n, dtype=object)
    if opts.improvement == "neither":
        point_type[special] = "special_neutral"
    else:
        good = signal_dir > 0 if opts.improvement == "increase" else signal_dir < 0
        point_type[special & good] = "special_improvement"
        point_type[special & ~good] = "special_concern"
    point_type[missing] = "missing"
    point_type[excluded] = "excluded"

    signal_side = np.array([None] * n, dtype=object)
    signal_side[signal_dir > 0] = "high"
    signal_side[signal_dir < 0] = "low"

    if date_idx is not None:
        x: Any = date_idx
        date_col: Any = date_idx
    else:
        x = np.arange(1, n + 1)
        date_col = pd.DatetimeIndex([pd.NaT] * n)

    df = pd.DataFrame(
        {
            "x": x,
            "date": date_col,
            "phase": phase,
            "limits_phase": limits_phase,
            "value": value,
            "numerator": num,
            "denominator": den,
            "centre": centre,
            "lower": lower,
            "upper": upper,
            "sigma": sigma,
            "target": np.full(n, np.nan if opts.target is None else opts.target),
            "chart": opts.chart,
            "excluded": excluded,
            "exclude_reason": pd.Series(reasons, dtype=object),
            "baseline": baseline,
            "provisional": provisional,
            "outside": outside,
            "long_run": long_run,
            "run_signal": run_signal,
            "shift": shift,
            "trend": trend,
            "two_in_three": two3,
            "special_cause": special,
            "signal_side": signal_side,
            "point_type": point_type.astype(object),
        }
    )
    df.attrs["spc_options"] = opts.as_dict()
    return df


# --------------------------------------------------------------------------- summary


def _py(x: Any) -> Any:
    """numpy scalar → plain Python (NaN → None) for a JSON-friendly summary."""
    if x is None:
        return None
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating | float):
        return None if math.isnan(float(x)) else float(x)
    return x


def _without_attrs(table: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs``: pandas deep-copies ``attrs`` into the result of every operation,
    which made up about a third of the time of summarising a short series."""
    bare = table.copy(deep=False)
    bare.attrs = {}
    return bare


def summarise_table(table: pd.DataFrame) -> dict[str, Any]:
    """Summary of the latest analysis of an :func:`spc_table` result.

    The latest analysis is the last phase together with the phases that
    share its limits (``limits_phase``): a short new phase is judged against
    the limits of the phase before it, and so is its summary.

    Keys: ``chart, rules, improvement, phase, limits_phase, n_points,
    phase_points, n_baseline, n_useful, longest_run, longest_run_max,
    crossings, crossings_min, run_signal, few_crossings, outside,
    special_cause, centre, lower, upper, target, provisional,
    last_point_type, variation, assurance, variation_label,
    assurance_label``.

    * Variation is the type of the latest used point (Making Data Count):
      special cause where the table marks that point, with the point's own
      ``signal_side``; otherwise common cause. A long run marks its own
      points (``long_run``), so a run that ended earlier in the phase does
      not make the latest point special.
    * ``few_crossings``: the runs signal of the analysis is unusually few
      crossings *only* (no run longer than the maximum). It belongs to the
      phase, not to a point, and has no direction.
    * Assurance compares the target with the limits at the latest used
      point, but only while those limits describe the present: when the
      latest point is itself special cause (the process has moved), the code
      is ``new_level`` and no "always/never" is claimed. A chart without
      limits (run chart) stays ``not_assessable``.
    """
    opts = table.attrs.get("spc_options")
    if not opts:
        raise ValueError("table must come from spc_table() (df.attrs['spc_options'] is missing)")
    table = _without_attrs(table)
    last_phase = int(table["phase"].max())
    limits_of = table["limits_phase"] if "limits_phase" in table.columns else table["phase"]
    group = int(limits_of.iloc[-1])
    t = table[limits_of == group]
    in_phase = t[t["phase"] == last_phase]
    used = t[~t["excluded"] & np.isfinite(t["value"])]
    runs = runs_analysis(used["value"].to_numpy(), float(t["centre"].iloc[0]))
    few_crossings = bool(
        runs["signal"]
        and opts["rules"] in ("anhoej", "both")
        and runs["longest_run"] is not None
        and runs["longest_run"] <= runs["longest_run_max"]
    )

    if used.empty:
        last = t.iloc[-1]
        variation = "common_cause"
        latest_special = False
    else:
        last = used.iloc[-1]
        latest_special = bool(last["special_cause"])
        side = {"high": 1, "low": -1}.get(last["signal_side"], 0)
        variation = variation_type(special=latest_special, side=side, improvement=opts["improvement"])

    lower, upper = _py(last["lower"]), _py(last["upper"])
    if latest_special and opts["target"] is not None and lower is not None and upper is not None:
        assurance = "new_level"  # limits exist, but the latest point has left them behind
    else:
        assurance = assurance_type(
            lower=lower, upper=upper, target=opts["target"], improvement=opts["improvement"]
        )
    return {
        "chart": opts["chart"],
        "rules": opts["rules"],
        "improvement": opts["improvement"],
        "phase": last_phase,
        "limits_phase": group,
        "n_points": int(len(in_phase)),
        "phase_points": int((~in_phase["excluded"] & np.isfinite(in_phase["value"])).sum()),
        "n_baseline": int(t["baseline"].sum()),
        "n_useful": runs["n_useful"],
        "longest_run": runs["longest_run"],
        "longest_run_max": runs["longest_run_max"],
        "crossings": runs["crossings"],
        "crossings_min": runs["crossings_min"],
        "run_signal": bool(runs["signal"]),
        "few_crossings": few_crossings,
        "outside": int(t["outside"].sum()),
        "special_cause": int(t["special_cause"].sum()),
        "centre": _py(last["centre"]),
        "lower": lower,
        "upper": upper,
        "target": opts["target"],
        "provisional": bool(t["provisional"].iloc[0]),
        "last_point_type": str(last["point_type"]),
        "variation": variation,
        "assurance": assurance,
        "variation_label": VARIATION_LABELS_SV[variation],
        "assurance_label": ASSURANCE_LABELS_SV[assurance],
    }


def spc_summary(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    chart: str,
    denominators: Sequence[float] | np.ndarray | pd.Series | None = None,
    improvement: str = "increase",
    target: float | None = None,
    freeze: int | None = None,
    phases: Sequence[int] | None = None,
    exclude: Sequence[int] | Mapping[int, str] | None = None,
    rules: str = "anhoej",
    screen: bool = True,
    dates: Sequence[Any] | pd.DatetimeIndex | None = None,
    extend_short_phases: bool = True,
) -> dict[str, Any]:
    """Summary of the last phase (same arguments as :func:`spc_table`).

    Returns at least ``longest_run, longest_run_max, crossings,
    crossings_min, variation, assurance``; see :func:`summarise_table`.
    """
    table = spc_table(
        values,
        chart=chart,
        denominators=denominators,
        improvement=improvement,
        target=target,
        freeze=freeze,
        phases=phases,
        exclude=exclude,
        rules=rules,
        screen=screen,
        dates=dates,
        extend_short_phases=extend_short_phases,
    )
    return summarise_table(table)
