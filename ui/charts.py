"""Small Plotly figure builders used by the views (no Streamlit inside)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from metrics.series import period_label_sv
from ui.plotly_sv import SEPARATORS

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def sparkline_svg(periods: Sequence[str], values: Sequence[float], *, label: str, width: int = 260,
                  height: int = 44) -> str:
    """A tiny inline SVG trend line (cheap to draw on every rerun); the label is read by screen readers."""
    vals = [float(v) for v in values]
    if len(vals) < 2:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    pad = 3
    step = (width - 2 * pad) / (len(vals) - 1)
    points = " ".join(
        f"{pad + i * step:.1f},{pad + (height - 2 * pad) * (1 - (v - lo) / span):.1f}" for i, v in enumerate(vals)
    )
    last_x, last_y = points.split(" ")[-1].split(",")
    first, last = period_label_sv(periods[0]), period_label_sv(periods[-1])
    return (
        f'<svg role="img" aria-label="{label}: utveckling {first}–{last}" width="100%" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><title>{label}: {first}–{last}</title>'
        f'<polyline fill="none" stroke="#0072B2" stroke-width="2" points="{points}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="3" fill="#0072B2"/></svg>'
    )


HIGHLIGHT_NAME = "Vald i filtret"
HIGHLIGHT_MARKER = {"color": "#D55E00", "size": 15, "symbol": "diamond-open", "line": {"width": 2.5}}


def _highlight_trace(x, y, text=None) -> go.Scatter:
    """The chosen municipalities drawn again on top: an open diamond in its own colour and legend entry
    (never colour alone)."""
    return go.Scatter(x=x, y=y, mode="markers", marker=HIGHLIGHT_MARKER, name=HIGHLIGHT_NAME, text=text,
                      hoverinfo="skip")


def ci_dot_plot(frame: pd.DataFrame, *, value_col: str, low_col: str, high_col: str, label_col: str,
                unit: str, reference: float | None, reference_label: str,
                other_references: Sequence[tuple[float, str]] = (), highlight: Sequence[str] = ()) -> go.Figure:
    """Values with 95 % confidence intervals, one row per municipality (no rank colours).

    ``other_references`` are (value, label) lines from elsewhere (Kolada's riket and region): each a vertical
    line with its own dash and a legend entry that says source and year, never a colour alone. ``highlight``:
    labels of the municipalities chosen in the filter, marked with :data:`HIGHLIGHT_MARKER`.
    """
    fig = go.Figure(
        go.Scatter(
            x=frame[value_col],
            y=frame[label_col],
            mode="markers",
            marker={"color": "#0072B2", "size": 10, "symbol": "circle"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (frame[high_col] - frame[value_col]).tolist(),
                "arrayminus": (frame[value_col] - frame[low_col]).tolist(),
                "color": "#404040",
                "thickness": 1.5,
            },
            name="Värde med 95 % konfidensintervall",
            hovertemplate="%{y}: %{x:,.1f}<extra></extra>",
        )
    )
    if reference is not None and reference == reference:
        fig.add_vline(x=reference, line={"color": "#000000", "dash": "dash"}, annotation_text=reference_label,
                      annotation_position="top")
    chosen = frame[frame[label_col].isin(highlight)]
    if len(chosen):
        fig.add_trace(_highlight_trace(chosen[value_col], chosen[label_col]))
    labels = list(frame[label_col])
    for (value, label), dash in zip(other_references, ("dashdot", "longdash", "dot"), strict=False):
        fig.add_trace(
            go.Scatter(
                x=[value, value], y=[labels[0], labels[-1]], mode="lines", name=label,
                line={"color": "#5D3A9B", "width": 2, "dash": dash}, hovertemplate=f"{label}<extra></extra>",
            )
        )
    fig.update_layout(
        height=max(260, 38 * len(frame) + 90),
        margin={"l": 10, "r": 20, "t": 40, "b": 40},
        xaxis={"title": unit},
        yaxis={"autorange": "reversed", "title": None},
        separators=SEPARATORS,
        showlegend=True,
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def funnel_plot(points: pd.DataFrame, limits: pd.DataFrame, *, centre: float, scale: float, unit: str,
                x_title: str, n_format: str = ",.0f", highlight: Sequence[str] = ()) -> go.Figure:
    """Funnel plot: each municipality's value against its denominator, 95 % and 99,8 % limits.

    ``n_format``: d3 format of the denominator in the hover text (",.2f" for
    thousands of person-years, which are below 1 for a month).
    """
    fig = go.Figure()
    styles = {"95": ("dash", "95 % gräns"), "998": ("dot", "99,8 % gräns")}
    for tag, (dash, name) in styles.items():
        for side in ("lower", "upper"):
            fig.add_trace(
                go.Scatter(
                    x=limits["n"], y=limits[f"{side}_{tag}"] * scale, mode="lines",
                    line={"color": "#404040", "dash": dash, "width": 1.2},
                    name=name, legendgroup=tag, showlegend=side == "upper", hoverinfo="skip",
                )
            )
    fig.add_hline(y=centre * scale, line={"color": "#000000", "width": 1.5},
                  annotation_text="Hela området", annotation_position="bottom right")
    fig.add_trace(
        go.Scatter(
            x=points["n"], y=points["value"], mode="markers+text", text=points["label"],
            textposition="top center", marker={"color": "#0072B2", "size": 10, "symbol": "circle"},
            name="Kommun", hovertemplate=f"%{{text}}: %{{y:,.1f}} (n = %{{x:{n_format}}})<extra></extra>",
        )
    )
    chosen = points[points["label"].isin(highlight)]
    if len(chosen):
        fig.add_trace(_highlight_trace(chosen["n"], chosen["value"]))
    fig.update_layout(
        height=460, margin={"l": 10, "r": 20, "t": 30, "b": 40}, separators=SEPARATORS,
        xaxis={"title": x_title, "rangemode": "tozero"}, yaxis={"title": unit, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
