"""The Översikt tiles: per indicator, the latest complete value, target, SPC icons and a sparkline.

Pure: takes the stored tidy rows (one period type) and the targets frame,
returns one row per indicator. The page only draws what this returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from metrics.periods import grain_of, period_label_sv
from metrics.registry import INDICATORS
from metrics.series import indicator_spc
from metrics.targets import evaluate_targets

SPARK_POINTS = 24
TILE_COLUMNS = [
    "indicator_id", "name", "unit", "theme", "direction", "status", "period", "period_label", "value",
    "numerator", "denominator", "ci_low", "ci_high", "suppressed", "target_text", "target_status",
    "target_value", "variation", "assurance", "variation_label", "assurance_label", "sentence",
    "few_crossings", "headline", "since", "phase", "limits_phase", "new_phase_from",
    "data_to", "spark_periods", "spark_values", "n_unassessed", "is_current", "rate_note",
]


# What a tile reads of a series (the stored table has more columns; fewer make every step cheaper).
_SERIES_COLUMNS = [
    "indicator_id", "period", "period_start", "period_end", "status", "value", "numerator", "denominator",
    "ci_low", "ci_high", "suppressed", "target_text", "target_status", "target_value", "n_unassessed",
]


def overview_tiles(
    results: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    municipality: str,
    sex: str = "T",
    indicator_ids: Iterable[str] | None = None,
    baseline: pd.DataFrame | None = None,
    data_start: pd.Timestamp | Mapping[str, pd.Timestamp] | None = None,
    phases: Mapping[str, Sequence] | None = None,
) -> pd.DataFrame:
    """One row per indicator for ``municipality`` (a code or ``ALL``) and ``sex``.

    ``results`` is the stored tidy table of one period type (any number of
    municipalities); ``baseline`` the yearly table for relative targets.
    An indicator with no complete value gets status ``saknar_underlag``.
    ``data_start`` is the data's first day, or one per indicator id (see
    :func:`metrics.series.indicator_spc`). ``phases`` maps an indicator id to
    the start dates of its stored SPC phases for ``municipality`` (the same
    dates the Trender chart splits at), so the tile's verdict is the chart's.
    """
    phases = phases or {}
    ids = list(indicator_ids) if indicator_ids is not None else list(INDICATORS)
    rows = results[(results["municipality_code"] == municipality) & (results["sex"] == sex)]
    rows = rows[rows["indicator_id"].isin(ids)]
    evaluated = (
        evaluate_targets(
            rows,
            targets,
            baseline=baseline,
            directions={i: INDICATORS[i].direction for i in INDICATORS},
            units={i: INDICATORS[i].unit for i in INDICATORS},
        )
        if len(rows)
        else rows
    )
    # One sort and one split instead of a filter per indicator (pandas overhead dominates these small frames).
    keep = [c for c in _SERIES_COLUMNS if c in evaluated.columns]
    ordered = evaluated[keep].sort_values(["indicator_id", "period_start"]).reset_index(drop=True)
    by_indicator = {key: part for key, part in ordered.groupby("indicator_id", sort=False, observed=True)}
    empty = ordered.iloc[0:0]
    # The range's last period: a tile whose latest complete value is older says "(senaste)".
    last_period = ordered.loc[ordered["period_start"].idxmax(), "period"] if len(ordered) else None
    grain = grain_of(last_period) if last_period else "month"
    tiles = []
    for ind_id in ids:
        ind = INDICATORS[ind_id]
        series = by_indicator.get(ind_id, empty)
        complete = series[(series["status"] == "ok") & series["value"].notna()]
        tile = {c: None for c in TILE_COLUMNS}
        tile.update(indicator_id=ind_id, name=ind.name_sv, unit=ind.unit_for(grain), theme=ind.theme,
                    direction=ind.direction, rate_note=ind.rate_note_sv(grain))  # fmt: skip
        shown = series[series["status"] == "ok"]
        if complete.empty:
            tile["status"] = "saknar_underlag" if shown.empty else "undertryckt"
            if not shown.empty:
                last = shown.iloc[-1]
                tile.update(period=last["period"], period_label=period_label_sv(last["period"]), suppressed=True)
            tiles.append(tile)
            continue
        last = complete.iloc[-1]
        target_value = last.get("target_value")
        _, verdict = indicator_spc(
            series,
            ind,
            target=None if pd.isna(target_value) else float(target_value),
            phase_dates=[pd.Timestamp(d) for d in phases.get(ind_id, ())],
            data_start=data_start.get(ind_id) if isinstance(data_start, Mapping) else data_start,
        )
        spark = complete.tail(SPARK_POINTS)
        tile.update(
            status="ok",
            period=last["period"],
            period_label=period_label_sv(last["period"]),
            value=float(last["value"]),
            numerator=last["numerator"],
            denominator=last["denominator"],
            ci_low=last["ci_low"],
            ci_high=last["ci_high"],
            suppressed=bool(last.get("suppressed", False)) and pd.isna(last["value"]),
            target_text=last.get("target_text") or "",
            target_status=last.get("target_status") or "",
            target_value=None if pd.isna(target_value) else float(target_value),
            variation=verdict.variation,
            assurance=verdict.assurance,
            variation_label=verdict.variation_label,
            assurance_label=verdict.assurance_label,
            sentence=verdict.sentence,
            few_crossings=verdict.few_crossings,
            headline=verdict.headline,
            since=verdict.since,
            phase=verdict.phase,
            limits_phase=verdict.limits_phase,
            new_phase_from=verdict.new_phase_from,
            data_to=pd.Timestamp(last["period_end"]).date(),
            spark_periods=list(spark["period"]),
            spark_values=[float(v) for v in spark["value"]],
            n_unassessed=last.get("n_unassessed"),
            is_current=last["period"] == last_period,
        )
        tiles.append(tile)
    return pd.DataFrame(tiles, columns=TILE_COLUMNS)
