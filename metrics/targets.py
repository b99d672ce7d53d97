"""Targets (målnivåer) as data, and their evaluation against the tidy table.

Targets are data, not code (indicator spec): the defaults come from the
registry, and an administrator changes them per indicator and, where wanted,
per municipality. A targets frame has the columns :data:`TARGET_COLUMNS`:

``indicator_id``
    the indicator the target belongs to.
``municipality_code``
    NaN/None: the target applies to every municipality (and to ``ALL``);
    a four-digit code (or ``ALL``): a target for that row only, which
    overrides the general one as a whole row.
``kind``
    ``"absolute"`` (a threshold in the indicator's unit) or ``"relative"``
    (a change against a baseline period).
``operator``
    ``">="``, ``"<="``, ``">"`` or ``"<"``: the value meets the target when
    ``value <operator> target_value``. Required for absolute targets; for
    relative targets it may be left empty and then follows the indicator's
    direction (lower is better → ``"<="``, higher is better → ``">="``).
``value``
    absolute targets: the threshold, in the indicator's unit (70 for 70 %).
``change``
    relative targets: the change as a fraction (-0.20 for −20 %); the
    target is ``baseline value × (1 + change)``.
``baseline_period``
    relative targets: the period of the baseline value (``"2024"``).

Verbs: :func:`default_targets` (from the registry), :func:`validate_targets`
(the boundary: Swedish messages naming the field and the allowed values) and
:func:`evaluate_targets` (adds ``target_*`` columns to a tidy table).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from metrics.suppression import EXTRA_KEY_COLUMNS

__all__ = [
    "ALLOWED_KINDS",
    "ALLOWED_OPERATORS",
    "MET",
    "NOT_MET",
    "NO_TARGET",
    "TARGET_COLUMNS",
    "TARGET_OUTPUT_COLUMNS",
    "default_targets",
    "evaluate_targets",
    "format_level_text",
    "format_target_text",
    "validate_targets",
]

TARGET_COLUMNS = [
    "indicator_id",
    "municipality_code",
    "kind",
    "operator",
    "value",
    "change",
    "baseline_period",
]
TARGET_OUTPUT_COLUMNS = ["target_value", "target_operator", "target_status", "target_distance", "target_text"]

ALLOWED_KINDS = ("absolute", "relative")
ALLOWED_OPERATORS = (">=", "<=", ">", "<")
ALLOWED_DIRECTIONS = ("higher", "lower")

MET = "uppfyllt"
NOT_MET = "ej uppfyllt"
NO_TARGET = "ingen målnivå"
NOT_ASSESSED = ""  # a target exists but the row has no value (suppressed, saknar underlag)

_OPERATOR_FOR_DIRECTION = {"lower": "<=", "higher": ">="}
_OPERATOR_SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_OPERATOR_WORD = {">=": "minst", "<=": "högst", ">": "över", "<": "under"}
_SHORT_UNITS = ("%", "timmar")  # written after a relative target's level; "per 1 000 …" is too long
_MUNICIPALITY_PATTERN = re.compile(r"^(\d{4}|ALL)$")
_PERIOD_PATTERN = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")
# Equality within this relative tolerance counts as equality, so that a
# relative target such as 15 × 0.8 = 12.000000000000002 is met by 12 (≤ and
# ≥), while strict < and > still fail at the target itself.
_REL_TOL = 1e-9


# --------------------------------------------------------------------------- defaults


def default_targets() -> pd.DataFrame:
    """Targets frame built from the registry's ``default_target`` entries.

    Indicators whose ``default_target`` is None get no row. The operator of a
    relative target comes from the indicator's direction.
    """
    from metrics.registry import INDICATORS  # lazy: the registry is a sibling module

    rows = []
    for indicator_id, indicator in INDICATORS.items():
        target = getattr(indicator, "default_target", None)
        if not target:
            continue
        kind = target.get("kind")
        if kind == "relative":
            operator = target.get("operator") or _OPERATOR_FOR_DIRECTION.get(indicator.direction)
        else:
            operator = target.get("operator")
        rows.append(
            {
                "indicator_id": indicator_id,
                "municipality_code": None,
                "kind": kind,
                "operator": operator,
                "value": target.get("value"),
                "change": target.get("change"),
                "baseline_period": target.get("baseline_period"),
            }
        )
    return _targets_frame(rows)


def _targets_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    for col in ("value", "change"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("indicator_id", "municipality_code", "kind", "operator", "baseline_period"):
        frame[col] = frame[col].astype("str")
    return frame


# --------------------------------------------------------------------------- validation


def validate_targets(
    df: pd.DataFrame,
    *,
    directions: Mapping[str, str] | None = None,
) -> list[str]:
    """Check a targets frame; return Swedish messages (empty list: valid).

    Rows are numbered from 1 in the order of the frame. With ``directions``
    (indicator id → ``"higher"``/``"lower"``) unknown indicators are reported
    and a relative target's operator must agree with the direction.
    """
    missing = [c for c in TARGET_COLUMNS if c not in df.columns]
    if missing:
        return [
            f"Kolumnen '{c}' saknas; målnivåtabellen ska ha kolumnerna {', '.join(TARGET_COLUMNS)}."
            for c in missing
        ]

    errors: list[str] = []
    allowed_ops = ", ".join(ALLOWED_OPERATORS)
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(df[TARGET_COLUMNS].itertuples(index=False), start=1):
        at = f"Rad {number}"
        indicator_id = _text(row.indicator_id)
        municipality = _text(row.municipality_code)
        kind = _text(row.kind)
        operator = _text(row.operator)

        if not indicator_id:
            errors.append(f"{at}: fältet 'indicator_id' är tomt; ange en indikators id.")
        elif directions is not None and indicator_id not in directions:
            errors.append(
                f"{at}: fältet 'indicator_id' har det okända värdet '{indicator_id}'; "
                f"tillåtna värden: {', '.join(sorted(directions))}."
            )

        if municipality and not _MUNICIPALITY_PATTERN.match(municipality):
            errors.append(
                f"{at}: fältet 'municipality_code' har värdet '{municipality}'; tillåtet är en fyrsiffrig "
                "kommunkod (t.ex. 0180), ALL för hela området, eller tomt för alla kommuner."
            )

        if kind not in ALLOWED_KINDS:
            shown = f"värdet '{kind}'" if kind else "inget värde"
            errors.append(f"{at}: fältet 'kind' har {shown}; tillåtna värden: {', '.join(ALLOWED_KINDS)}.")

        if operator and operator not in ALLOWED_OPERATORS:
            errors.append(f"{at}: fältet 'operator' har värdet '{operator}'; tillåtna värden: {allowed_ops}.")

        value = _number(row.value)
        change = _number(row.change)
        baseline = _text(row.baseline_period)
        if kind == "absolute":
            if not operator:
                errors.append(
                    f"{at}: fältet 'operator' är tomt; ett absolut mål kräver ett av värdena {allowed_ops}."
                )
            if value is None or not math.isfinite(value):
                errors.append(
                    f"{at}: fältet 'value' måste vara ett tal (målnivån i indikatorns enhet) för ett absolut mål."
                )
            if change is not None:
                errors.append(f"{at}: fältet 'change' ska vara tomt för ett absolut mål (kind = absolute).")
            if baseline:
                errors.append(
                    f"{at}: fältet 'baseline_period' ska vara tomt för ett absolut mål (kind = absolute)."
                )
        elif kind == "relative":
            if change is None or not math.isfinite(change) or change <= -1:
                errors.append(
                    f"{at}: fältet 'change' måste vara en andel större än -1 för ett relativt mål, "
                    "t.ex. -0.20 för −20 %."
                )
            if not baseline or not _PERIOD_PATTERN.match(baseline):
                shown = f"värdet '{baseline}'" if baseline else "inget värde"
                errors.append(
                    f"{at}: fältet 'baseline_period' har {shown}; tillåtet är en period som "
                    "2024 (år), 2024-Q1 (kvartal) eller 2024-03 (månad)."
                )
            if value is not None:
                errors.append(
                    f"{at}: fältet 'value' ska vara tomt för ett relativt mål (kind = relative); "
                    "målnivån räknas fram ur basperiodens värde."
                )
            direction = (directions or {}).get(indicator_id)
            if operator in ALLOWED_OPERATORS and direction in _OPERATOR_FOR_DIRECTION:
                if (direction == "lower") != (operator in ("<=", "<")):
                    expected = "<= eller <" if direction == "lower" else ">= eller >"
                    errors.append(
                        f"{at}: fältet 'operator' har värdet '{operator}', men för indikatorn "
                        f"'{indicator_id}' är {'lägre' if direction == 'lower' else 'högre'} värden bättre; "
                        f"tillåtna värden: {expected}, eller tomt."
                    )

        if indicator_id:
            key = (indicator_id, municipality)
            if key in seen:
                where = f"kommun {municipality}" if municipality else "alla kommuner"
                errors.append(
                    f"{at}: indikatorn '{indicator_id}' har redan en målnivå för {where} (rad {seen[key]}); "
                    "kombinationen indicator_id och municipality_code får bara förekomma en gång."
                )
            else:
                seen[key] = number
    return errors


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _number(value: object) -> float | None:
    """The value as float; None when empty; NaN when not a number."""
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return None if math.isnan(number) and not isinstance(value, str) else number


# --------------------------------------------------------------------------- evaluation


def evaluate_targets(
    table: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    baseline: pd.DataFrame | None = None,
    directions: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a copy of the tidy ``table`` with the target columns added.

    Args:
        table: tidy indicator table (``indicator_id``, ``municipality_code``,
            ``sex``, ``period``, ``value``; ``suppressed`` if present).
        targets: a valid targets frame (:data:`TARGET_COLUMNS`); validate it
            with :func:`validate_targets` at the boundary.
        baseline: tidy table (normally yearly) holding the baseline values of
            relative targets: the value of the same indicator, municipality
            and sex with ``period == baseline_period``. Where it has no such
            row, ``table`` itself is searched. A baseline row that is
            suppressed or has no value gives no target level.
        directions: indicator id → ``"higher"``/``"lower"``; fills the
            operator of relative targets that have none.
        units: indicator id → unit (``"%"``, ``"timmar"``); appended to the
            text of absolute targets, and to a relative target's level when
            it is ``"%"`` or ``"timmar"``.

    Adds:
        ``target_value``: the level in the indicator's unit (NaN without one).
        ``target_operator``: ``">="``, ``"<="``, ``">"``, ``"<"`` or NaN.
        ``target_status``: ``"uppfyllt"``, ``"ej uppfyllt"``, ``"ingen
        målnivå"`` (no target, or a relative target without a usable baseline
        value), or ``""`` when a target exists but the row has no value
        (suppressed, saknar underlag).
        ``target_distance``: ``value − target_value`` (positive: the value is
        above the target, which is good for higher-is-better indicators and
        bad for lower-is-better ones); NaN when either side is missing.
        ``target_text``: the target in Swedish (``"≥ 70 %"``, ``"−20 % mot
        2024 = högst 400,3"``: a relative target with its level where the
        baseline gives one, :func:`format_level_text`); ``""`` without a target.
    """
    out = table.drop(columns=[c for c in TARGET_OUTPUT_COLUMNS if c in table.columns]).copy()
    resolved = _resolve_targets(out, targets)

    kind = resolved["kind"].to_numpy(dtype=object)
    operator = resolved["operator"].to_numpy(dtype=object)
    operator = np.where(pd.isna(operator) | (operator == ""), np.nan, operator)
    is_absolute = kind == "absolute"
    is_relative = kind == "relative"

    if is_relative.any():
        by_direction = {i: _OPERATOR_FOR_DIRECTION.get(d, np.nan) for i, d in (directions or {}).items()}
        fill = resolved["indicator_id"].map(by_direction)
        operator = np.where(is_relative & pd.isna(operator), fill.to_numpy(dtype=object), operator)
        lacking = is_relative & pd.isna(operator)
        if lacking.any():
            ids = sorted(set(resolved["indicator_id"].to_numpy(dtype=object)[lacking]))
            raise ValueError(
                f"evaluate_targets: relative targets of {ids} have no operator; pass directions= "
                "or set the operator in the targets frame"
            )

    target_value = np.full(len(out), np.nan)
    target_value[is_absolute] = resolved["value"].to_numpy(dtype=float)[is_absolute]
    if is_relative.any():
        base = _baseline_values(out, resolved, baseline)
        change = resolved["change"].to_numpy(dtype=float)
        target_value[is_relative] = (base * (1.0 + change))[is_relative]

    has_level = ~np.isnan(target_value)
    operator = np.where(has_level, operator, np.nan)
    value = pd.to_numeric(out["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    met = _meets(value, operator, target_value)
    status = np.where(
        ~has_level, NO_TARGET, np.where(np.isnan(value), NOT_ASSESSED, np.where(met, MET, NOT_MET))
    )

    texts = _target_texts(resolved, units or {})
    with_level = is_relative & has_level
    if with_level.any():
        texts = _with_levels(texts, resolved["indicator_id"], operator, target_value, with_level, units or {})

    out["target_value"] = target_value
    out["target_operator"] = pd.Series(operator, index=out.index, dtype="str")
    out["target_status"] = pd.Series(status, index=out.index, dtype="str")
    out["target_distance"] = value - target_value
    out["target_text"] = pd.Series(texts, index=out.index, dtype="str")
    return out


def _target_texts(resolved: pd.DataFrame, units: Mapping[str, str]) -> np.ndarray:
    """``format_target_text`` per row, computed once per distinct target."""
    fields = ["indicator_id", "kind", "operator", "value", "change", "baseline_period"]
    if len(resolved) == 0:
        return np.zeros(0, dtype=object)
    codes = resolved.groupby(fields, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    texts = np.array(
        [
            format_target_text(k, o, v, c, b, unit=units.get(i)) if isinstance(k, str) else ""
            for i, k, o, v, c, b in resolved.iloc[first][fields].itertuples(index=False)
        ],
        dtype=object,
    )
    return texts[codes]


def _with_levels(
    texts: np.ndarray,
    indicator_ids: pd.Series,
    operator: np.ndarray,
    level: np.ndarray,
    mask: np.ndarray,
    units: Mapping[str, str],
) -> np.ndarray:
    """Relative targets' text with the resolved level appended (``"−20 % mot 2024 = högst 400,3"``),
    formatted once per distinct (indicator, operator, level)."""
    rows = np.flatnonzero(mask)
    keys = pd.DataFrame(
        {
            "indicator_id": indicator_ids.to_numpy(dtype=object)[rows],
            "operator": operator[rows],
            "level": level[rows],
        }
    )
    codes = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    suffixes = np.array(
        [format_level_text(o, v, unit=units.get(i)) for i, o, v in keys.iloc[first].itertuples(index=False)],
        dtype=object,
    )
    out = texts.copy()
    out[rows] = texts[rows] + suffixes[codes]
    return out


def _resolve_targets(table: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """One target row per table row (positionally aligned); NaN where none applies.

    A municipality-specific target replaces the general one as a whole row.
    """
    fields = ["kind", "operator", "value", "change", "baseline_period"]
    keys = table[["indicator_id", "municipality_code"]].reset_index(drop=True)
    code = targets["municipality_code"]
    specific_mask = code.notna() & (code.astype(str).str.strip() != "")
    general = targets.loc[~specific_mask, ["indicator_id", *fields]].drop_duplicates("indicator_id")
    specific = targets.loc[specific_mask, ["indicator_id", "municipality_code", *fields]].drop_duplicates(
        ["indicator_id", "municipality_code"]
    )
    specific = specific.assign(municipality_code=specific["municipality_code"].astype(str).str.strip())

    by_general = keys.merge(general, on="indicator_id", how="left")
    by_specific = keys.merge(specific, on=["indicator_id", "municipality_code"], how="left")
    use_specific = by_specific["kind"].notna().to_numpy()
    resolved = keys.copy()
    for col in fields:
        resolved[col] = by_specific[col].where(use_specific, by_general[col])
    for col in ("value", "change"):
        resolved[col] = pd.to_numeric(resolved[col], errors="coerce").astype(float)
    return resolved


def _baseline_values(
    table: pd.DataFrame, resolved: pd.DataFrame, baseline: pd.DataFrame | None
) -> np.ndarray:
    """Baseline value per table row (NaN where missing, suppressed or without value).

    Extra key columns of the table (``care_centre``) are part of the match;
    a baseline frame without them is not used.
    """
    extra = [c for c in EXTRA_KEY_COLUMNS if c in table.columns]
    keys = ["indicator_id", *extra, "municipality_code", "sex", "period"]
    sources = [] if baseline is None or any(c not in baseline.columns for c in extra) else [baseline]
    sources.append(table)
    lookup = pd.concat([_baseline_lookup(s, keys) for s in sources], ignore_index=True)
    # A row in `baseline` wins over `table`, even when it is hidden: its suppression is respected.
    lookup = lookup.drop_duplicates(keys, keep="first")

    wanted = pd.DataFrame({c: table[c].to_numpy(dtype=object) for c in keys[:-1]})
    wanted["period"] = resolved["baseline_period"].to_numpy(dtype=object)
    for col in keys:
        wanted[col] = wanted[col].astype("str")
    found = wanted.merge(lookup, on=keys, how="left")
    return found["baseline_value"].to_numpy(dtype=float, na_value=np.nan)


def _baseline_lookup(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    value = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    if "suppressed" in frame.columns:
        value = value.mask(frame["suppressed"].fillna(False).astype(bool))
    lookup = frame[keys].astype("str").assign(baseline_value=value.to_numpy())
    return lookup


def _meets(value: np.ndarray, operator: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Whether ``value <operator> target`` holds; equality within a tiny tolerance."""
    with np.errstate(invalid="ignore"):
        tol = _REL_TOL * np.maximum(1.0, np.abs(target))
        diff = value - target
        return np.select(
            [operator == ">=", operator == "<=", operator == ">", operator == "<"],
            [diff >= -tol, diff <= tol, diff > tol, diff < -tol],
            default=False,
        )


# --------------------------------------------------------------------------- text


def format_target_text(
    kind: str,
    operator: str | None,
    value: float | None,
    change: float | None,
    baseline_period: str | None,
    *,
    unit: str | None = None,
) -> str:
    """The target in Swedish: ``"≥ 70 %"``, ``"< 24 timmar"``, ``"−20 % mot 2024"``."""
    if kind == "absolute":
        symbol = _OPERATOR_SYMBOL.get(str(operator), str(operator))
        text = f"{symbol} {_format_number(float(value))}"
        return f"{text} {unit}" if unit else text
    if kind == "relative":
        percent = 100.0 * float(change)
        sign = "+" if percent > 0 else ("−" if percent < 0 else "±")
        return f"{sign}{_format_number(abs(percent))} % mot {baseline_period}"
    return ""


def format_level_text(operator: str, level: float, *, unit: str | None = None) -> str:
    """The resolved level of a relative target, appended to its text: ``" = högst 400,3"``, ``" = minst 55 %"``.

    One decimal from 10 up, up to two below; the unit only when it is short
    (``%``, ``timmar``), not ``per 1 000 …``.
    """
    word = _OPERATOR_WORD[str(operator)]
    number = _format_number(float(level), 1 if abs(level) >= 10 else 2)
    text = f" = {word} {number}"
    return f"{text} {unit}" if unit in _SHORT_UNITS else text


def _format_number(number: float, decimals: int = 2) -> str:
    """Swedish number: decimal comma, space as thousands separator, no trailing zeros."""
    text = f"{number:,.{decimals}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(",", " ").replace(".", ",").replace("-", "−")
