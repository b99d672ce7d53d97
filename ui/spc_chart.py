"""Plotly SPC chart and its table alternative, drawn from a ``metrics.spc.spc_table`` result.

Draw only: every number comes from the table and its ``attrs["spc_options"]``.
No Streamlit here; the page shows the figure with
``st.plotly_chart(fig, config=ui.plotly_sv.plotly_config())``.

Colours are from the Okabe–Ito colour-blind-safe palette and every signal
category also has its own marker symbol, so colour is never the only cue:

* common cause: grey circle;
* special cause, improvement: blue (#0072B2) diamond;
* special cause, concern: orange (#E69F00) square;
* special cause without a preferred direction: purple (#CC79A7) triangle;
* excluded point: open grey cross.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from metrics.spc import MIN_POINTS_FOR_FIRM_LIMITS, POINT_TYPE_LABELS_SV, RULE_LABELS_SV, RULES_IN_SET
from metrics.verdict import judge
from ui.plotly_sv import SEPARATORS, SV_SHORT_MONTHS, format_number_sv, format_period_sv

__all__ = ["COLOURS", "MARKERS", "build_spc_figure", "spc_table_alternative"]

COLOURS: dict[str, str] = {
    "common": "#7F7F7F",
    "special_improvement": "#0072B2",
    "special_concern": "#E69F00",
    "special_neutral": "#CC79A7",
    "excluded": "#7F7F7F",
    "line": "#9E9E9E",
    "centre": "#000000",
    "centre_signal": "#D55E00",
    "limits": "#404040",
    "target": "#009E73",
    "annotation": "#56B4E9",
}
"""Okabe–Ito colours per element."""

MARKERS: dict[str, str] = {
    "common": "circle",
    "special_improvement": "diamond",
    "special_concern": "square",
    "special_neutral": "triangle-up",
    "excluded": "x-thin-open",
}
"""Marker symbol per point type (shape as well as colour)."""

_LEGEND_SV: dict[str, str] = {
    "common": "Vanlig variation",
    "special_improvement": "Särskild orsak – förbättring",
    "special_concern": "Särskild orsak – försämring",
    "special_neutral": "Särskild orsak",
    "excluded": "Utesluten punkt",
}

def _options(table: pd.DataFrame) -> Mapping[str, Any]:
    opts = table.attrs.get("spc_options")
    if not opts:
        raise ValueError("table must come from metrics.spc.spc_table() (attrs['spc_options'] is missing)")
    return opts


def _scale(opts: Mapping[str, Any]) -> tuple[float, str]:
    """Proportions (p, pp) are shown in per cent."""
    return (100.0, " %") if opts["chart"] in ("p", "pp") else (1.0, "")


def _decimals(value_format: str) -> int:
    m = re.search(r"\.(\d+)", value_format)
    return int(m.group(1)) if m else 0


def _is_monthly(x: pd.Series) -> bool:
    if not pd.api.types.is_datetime64_any_dtype(x):
        return False
    d = pd.DatetimeIndex(x)
    return bool(len(d)) and bool(np.all((d.day == 1) & (d.hour == 0)))


def _month_ticks(x: pd.Series, max_ticks: int = 12) -> dict[str, Any]:
    """Ticks with Swedish labels for a date axis: "jan 2025" at month starts, or by the points' own grain —
    "2025" for yearly points, "kv 1 2025" for quarterly ones (issue 22: a yearly chart had month ticks).

    Set on the axis itself so that exported images are Swedish too, whatever
    the Plotly locale of the viewer. Empty when the data span less than two
    months (Plotly's own ticks, localised by ``plotly_config()``, are used).
    """
    d = pd.DatetimeIndex(x).dropna()
    if d.empty:
        return {}
    points = d.unique().sort_values()
    if len(points) >= 2 and bool(np.all((points.day == 1) & (points.hour == 0))):
        if bool(np.all(points.month == 1)):  # one point a year
            step = -(-len(points) // max_ticks)
            shown = points[::step]
            return {"tickmode": "array", "tickvals": list(shown), "ticktext": [str(p.year) for p in shown]}
        if bool(np.all(points.month % 3 == 1)):  # quarter starts
            step = -(-len(points) // max_ticks)
            shown = points[::step]
            return {"tickmode": "array", "tickvals": list(shown),
                    "ticktext": [f"kv {(p.month - 1) // 3 + 1} {p.year}" for p in shown]}
    months = pd.date_range(d.min().to_period("M").to_timestamp(), d.max(), freq="MS")
    if len(months) < 2:
        return {}
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24) if len(months) / s <= max_ticks), 36)
    if step <= 12:
        months = months[(months.month - 1) % step == 0]
    else:
        months = months[(months.month == 1) & ((months.year - months.year[0]) % (step // 12) == 0)]
    return {
        "tickmode": "array",
        "tickvals": list(months),
        "ticktext": [f"{SV_SHORT_MONTHS[m.month - 1]} {m.year}" for m in months],
    }


def _signal_text(row: pd.Series, rules: str) -> str:
    """Swedish signal text of one point, naming the rules that fired."""
    if row["point_type"] == "excluded":
        reason = row["exclude_reason"]
        return f"Utesluten – {reason}" if reason else "Utesluten"
    text = POINT_TYPE_LABELS_SV[row["point_type"]]
    if row["special_cause"]:
        fired = [RULE_LABELS_SV[r] for r in RULES_IN_SET[rules] if bool(row[r])]
        if fired:
            text += f" ({', '.join(fired)})"
    return text


def _phase_points(table: pd.DataFrame, phase: int) -> int:
    part = table[table["phase"] == phase]
    return int((~part["excluded"].astype(bool) & np.isfinite(part["value"].to_numpy(dtype=float))).sum())


def phase_label(table: pd.DataFrame, phase: int) -> str:
    """The label over a phase, with the reason when its limits are not (yet) its own or are preliminary:
    'Fas 2 – 2 av 12 punkter, bedöms mot fas 1', 'Fas 1 – preliminära gränser (8 av 12 punkter)'."""
    rows = table[table["phase"] == phase]
    limits_phase = int(rows["limits_phase"].iloc[0])
    n = _phase_points(table, phase)
    if limits_phase != phase:
        return f"Fas {phase} – {n} av {MIN_POINTS_FOR_FIRM_LIMITS} punkter, bedöms mot fas {limits_phase}"
    if bool(rows["provisional"].iloc[0]) and np.isfinite(rows["upper"].to_numpy(dtype=float)).any():
        return f"Fas {phase} – preliminära gränser ({int(rows['baseline'].sum())} av {MIN_POINTS_FOR_FIRM_LIMITS} punkter)"
    return f"Fas {phase}"


def _phase_hover(row: pd.Series) -> str:
    phase, limits_phase = int(row["phase"]), int(row["limits_phase"])
    if limits_phase != phase:
        return f"Fas {phase} (bedöms mot fas {limits_phase}:s gränser)"
    return f"Fas {phase}" + (" (preliminära gränser)" if row["provisional"] and np.isfinite(row["upper"]) else "")


def _midpoint(a: Any, b: Any) -> Any:
    if isinstance(a, pd.Timestamp) or isinstance(b, pd.Timestamp):
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        return a + (b - a) / 2
    return (float(a) + float(b)) / 2


def _segments(
    table: pd.DataFrame, column: str, mask: pd.Series, scale: float, *, by: str = "phase", lead_in: bool = False
) -> tuple[list[Any], list[Any]]:
    """x/y lists of ``column`` per ``by`` group where ``mask`` holds, separated by gaps (None).

    ``lead_in``: each segment starts at the point before it, so that extended limits continue the line
    they extend. ``table`` has a RangeIndex.
    """
    xs: list[Any] = []
    ys: list[Any] = []
    for _, part in table[mask].groupby(by, sort=True):
        if lead_in and part.index[0] > 0:
            part = pd.concat([table.loc[[part.index[0] - 1]], part])
        y = part[column].to_numpy(dtype=float) * scale
        if not np.isfinite(y).any():
            continue
        xs.extend(list(part["x"]))
        ys.extend([None if not np.isfinite(v) else float(v) for v in y])
        xs.append(None)
        ys.append(None)
    return xs, ys


def build_spc_figure(
    table: pd.DataFrame,
    *,
    title: str,
    unit: str,
    value_format: str = ",.1f",
    annotations: Sequence[Mapping[str, Any]] | None = None,
) -> go.Figure:
    """Plotly figure of an SPC table: points, centre, limits, target, phases and annotations.

    Parameters
    ----------
    table
        The result of ``metrics.spc.spc_table``.
    title
        Chart title; a subtitle with the variation and assurance labels
        (Making Data Count icons, in Swedish) is added below it.
    unit
        Y-axis title, e.g. ``"%"`` or ``"per 1 000 inv. 80+ och år"``.
        Proportions (p, pp charts) are drawn in per cent.
    value_format
        d3 format of the y axis (rendered with decimal comma and space as
        thousands separator); its number of decimals is used in hover texts.
    annotations
        Events to mark, e.g. PDSA cycles: dicts with ``x`` (a date or a point
        number, like the table's ``x``), ``text`` (short label) and optional
        ``hover`` (longer text shown on hover) and ``cycle_id`` (the shape and
        the label are then named ``pdsa-<id>``). Each is a dashed vertical
        line with a boxed text label; up to three neighbouring labels are
        stepped down so that they do not overlap. ``text`` and ``hover`` are
        Plotly's HTML-like text, drawn as given: user text in them must
        already be escaped (``ui.safe_text.plotly_escape``; the marks of
        ``data_access.pdsa.annotations_for`` are).
    """
    opts = _options(table)
    scale, suffix = _scale(opts)
    decimals = _decimals(value_format)
    rules = opts["rules"]
    monthly = _is_monthly(table["x"])
    t = table.reset_index(drop=True)
    x_is_date = pd.api.types.is_datetime64_any_dtype(t["x"])

    def fmt(v: Any) -> str:
        return format_number_sv(None if pd.isna(v) else float(v) * scale, decimals, suffix=suffix)

    hover = []
    for _, r in t.iterrows():
        period = format_period_sv(r["x"], monthly=monthly) if x_is_date else f"Punkt {r['x']}"
        lines = [
            f"<b>{period}</b>",
            f"Värde: {fmt(r['value'])}",
        ]
        if np.isfinite(r["numerator"]) and np.isfinite(r["denominator"]):
            lines.append(
                f"Täljare/nämnare: {format_number_sv(r['numerator'], 0)} / {format_number_sv(r['denominator'], 0)}"
            )
        lines.append(f"Mittlinje: {fmt(r['centre'])}")
        if np.isfinite(r["lower"]) or np.isfinite(r["upper"]):
            lines.append(f"Gränser: {fmt(r['lower'])} – {fmt(r['upper'])}")
        lines.append(_phase_hover(r))
        lines.append(_signal_text(r, rules))
        hover.append("<br>".join(lines))
    t["_hover"] = hover

    fig = go.Figure()

    # Data line (gaps at missing points).
    y_line = [None if not np.isfinite(v) else float(v) * scale for v in t["value"]]
    fig.add_trace(
        go.Scatter(
            x=list(t["x"]),
            y=y_line,
            mode="lines",
            line={"color": COLOURS["line"], "width": 1.5},
            name="Värde",
            hoverinfo="skip",
            showlegend=False,
        )
    )

    # Points, one trace per point type: colour and shape.
    for kind in ("common", "special_improvement", "special_concern", "special_neutral", "excluded"):
        part = t[(t["point_type"] == kind) & np.isfinite(t["value"])]
        if part.empty:
            continue
        special = kind.startswith("special")
        fig.add_trace(
            go.Scatter(
                x=list(part["x"]),
                y=(part["value"] * scale).tolist(),
                mode="markers",
                name=_LEGEND_SV[kind],
                marker={
                    "symbol": MARKERS[kind],
                    "color": COLOURS[kind],
                    "size": 12 if special else 8,
                    "line": {
                        "color": "#000000" if special else COLOURS[kind],
                        "width": 1 if special else (2 if kind == "excluded" else 0),
                    },
                },
                customdata=part["_hover"].tolist(),
                hovertemplate="%{customdata}<extra></extra>",
            )
        )

    # Centre line per phase; dashed and coloured when the phase has a runs signal.
    centre_name = "Mittlinje (median)" if opts["chart"] == "run" else "Mittlinje (medelvärde)"
    for signal, name, colour, dash in (
        (False, centre_name, COLOURS["centre"], "solid"),
        (True, centre_name + " – signal enligt serieregler", COLOURS["centre_signal"], "dash"),
    ):
        # one line per set of limits, so a short phase's borrowed centre continues the one it extends
        xs, ys = _segments(t, "centre", t["run_signal"] == signal, scale, by="limits_phase")
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=name,
                    line={"color": colour, "width": 2, "dash": dash},
                    hoverinfo="skip",
                )
            )

    # Control limits per phase (stepped where denominators vary); provisional ones lighter, and a short new
    # phase's borrowed limits (the previous phase's, extended) dashed with their own legend entry.
    borrowed = t["limits_phase"] != t["phase"]
    for mask, name, dash, width in (
        (~borrowed & ~t["provisional"], "Kontrollgränser", "dot", 1.5),
        (~borrowed & t["provisional"], f"Preliminära kontrollgränser (< {MIN_POINTS_FOR_FIRM_LIMITS} punkter)", "dash", 1),
        (borrowed, "Föregående fas gränser, förlängda", "dash", 1.5),
    ):
        lead_in = mask is borrowed
        first = True
        for column in ("upper", "lower"):
            xs, ys = _segments(t, column, mask, scale, lead_in=lead_in)
            if not xs:
                continue
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=first,
                    line={"color": COLOURS["limits"], "width": width, "dash": dash, "shape": "hvh"},
                    hoverinfo="skip",
                )
            )
            first = False

    # Target.
    if opts.get("target") is not None:
        fig.add_trace(
            go.Scatter(
                x=[t["x"].iloc[0], t["x"].iloc[-1]],
                y=[opts["target"] * scale] * 2,
                mode="lines",
                name=f"Mål ({fmt(opts['target'])})",
                line={"color": COLOURS["target"], "width": 2, "dash": "dashdot"},
                hoverinfo="skip",
            )
        )

    # Phase boundaries and labels.
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    starts = [0] + list(opts.get("phases") or [])
    for k, start in enumerate(starts, start=1):
        label = phase_label(t, k)
        if opts.get("freeze") and k == 1:
            label += f" (baslinje {opts['freeze']} punkter)"
        notes.append(
            {
                "x": t["x"].iloc[start],
                "y": 1.0,
                "xref": "x",
                "yref": "paper",
                "text": label,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 11, "color": "#333333"},
            }
        )
        if start > 0:
            x_mid = _midpoint(t["x"].iloc[start - 1], t["x"].iloc[start])
            shapes.append(
                {
                    "type": "line",
                    "x0": x_mid,
                    "x1": x_mid,
                    "xref": "x",
                    "y0": 0,
                    "y1": 1,
                    "yref": "paper",
                    "line": {"color": "#333333", "width": 1, "dash": "dot"},
                }
            )

    # Event annotations (PDSA cycles) with hover text: a dashed line and a boxed label (never colour alone),
    # labels of neighbouring marks stepped down so that they do not cover each other.
    for k, a in enumerate(annotations or ()):
        x = a.get("x", a.get("date"))
        if x is None:
            raise ValueError("each annotation needs an 'x' (a date or point number)")
        if pd.api.types.is_datetime64_any_dtype(t["x"]):
            x = pd.Timestamp(x)
        shapes.append(
            {
                "type": "line",
                "x0": x,
                "x1": x,
                "xref": "x",
                "y0": 0,
                "y1": 0.92 - 0.08 * (k % 3),
                "yref": "paper",
                "line": {"color": COLOURS["annotation"], "width": 1.5, "dash": "dash"},
                **({"name": f"pdsa-{a['cycle_id']}"} if a.get("cycle_id") is not None else {}),
            }
        )
        notes.append(
            {
                **({"name": f"pdsa-{a['cycle_id']}"} if a.get("cycle_id") is not None else {}),
                "x": x,
                "y": 0.92 - 0.08 * (k % 3),
                "xref": "x",
                "yref": "paper",
                "text": str(a.get("text", "")),
                "hovertext": str(a.get("hover", a.get("text", ""))),
                "showarrow": False,
                "xanchor": "center",
                "yanchor": "bottom",
                "bgcolor": "#FFFFFF",
                "bordercolor": COLOURS["annotation"],
                "borderwidth": 1,
                "font": {"size": 11},
            }
        )

    verdict = judge(table)
    subtitle = f"Variation: {verdict.headline} · Måluppfyllelse: {verdict.assurance_label}"
    fig.update_layout(
        title={"text": f"{title}<br><sup>{subtitle}</sup>", "x": 0, "xanchor": "left"},
        separators=SEPARATORS,
        template="simple_white",
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0},
        margin={"t": 90, "r": 20, "b": 40, "l": 60},
        shapes=shapes,
        annotations=notes,
        meta={"variation": verdict.variation, "assurance": verdict.assurance, "sentence": verdict.sentence},
        yaxis={"title": {"text": unit}, "tickformat": value_format, "ticksuffix": suffix, "zeroline": False},
        xaxis={
            "title": {"text": "Period" if x_is_date else "Punkt"},
            **(_month_ticks(t["x"]) if x_is_date else {}),
        },
    )
    return fig


def spc_table_alternative(table: pd.DataFrame, *, decimals: int = 1) -> pd.DataFrame:
    """The chart's data as a Swedish text table (an accessible alternative to the figure).

    Columns: ``Period, Värde, Mittlinje, Nedre gräns, Övre gräns, Signal``.
    Numbers use decimal comma and space as thousands separator; proportions
    are in per cent; "–" marks a missing value or limit. The Signal text names
    the rules that fired, the reason of an exclusion and where a phase starts.
    """
    opts = _options(table)
    scale, suffix = _scale(opts)
    monthly = _is_monthly(table["x"])
    starts = set(opts.get("phases") or [])

    def fmt(v: Any) -> str:
        return format_number_sv(None if pd.isna(v) else float(v) * scale, decimals, suffix=suffix)

    rows = []
    for pos, (_, r) in enumerate(table.iterrows()):
        signal = _signal_text(r, opts["rules"])
        if pos in starts:
            _, _, why = phase_label(table, int(r["phase"])).partition(" – ")
            signal += f"; fas {int(r['phase'])} börjar" + (f" ({why})" if why else "")
        rows.append(
            {
                "Period": format_period_sv(r["x"], monthly=monthly),
                "Värde": fmt(r["value"]),
                "Mittlinje": fmt(r["centre"]),
                "Nedre gräns": fmt(r["lower"]),
                "Övre gräns": fmt(r["upper"]),
                "Signal": signal,
            }
        )
    return pd.DataFrame(rows, columns=["Period", "Värde", "Mittlinje", "Nedre gräns", "Övre gräns", "Signal"])
