"""Export helpers: CSV for Swedish Excel, xlsx and PNG, with formula neutralisation.

The byte builders are plain functions (tested without Streamlit);
:func:`download_buttons` draws the buttons. Suppression must already have
been applied to the frame (the data layer does it for the viewer).
"""

from __future__ import annotations

import io

import pandas as pd

# The rule lives in data_access (the import error reports use it too); the names stay importable from here.
from data_access.neutralise import FORMULA_PREFIXES, neutralise

__all__ = ["FORMULA_PREFIXES", "csv_bytes", "download_buttons", "neutralise", "png_bytes", "table_switch",
           "xlsx_bytes"]


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV that Swedish Excel opens directly: UTF-8 with BOM, `;`, decimal comma."""
    buf = io.StringIO()
    # CRLF line ends: pandas then quotes a cell holding a bare CR, which Excel would read as a new row (where
    # a neutralised formula could start afresh).
    _safe(frame).to_csv(buf, sep=";", decimal=",", index=False, date_format="%Y-%m-%d", lineterminator="\r\n")
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        _safe(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return buf.getvalue()


def png_bytes(figure, *, width: int = 1100, height: int = 520) -> bytes:
    """A static PNG of a Plotly figure (kaleido drives Debian's Chromium)."""
    return figure.to_image(format="png", width=width, height=height, scale=1)


def download_buttons(frame: pd.DataFrame, *, name: str, key: str, figure=None) -> None:
    """CSV, xlsx (and PNG for a figure) download buttons; the xlsx and PNG files are made only when clicked.

    ``figure`` may be a Plotly figure or its dict form.
    """
    import streamlit as st

    cols = st.columns(3 if figure is not None else 2)
    # The CSV is made with the page (a table of a few dozen rows: well under a millisecond). Made on click,
    # Streamlit 1.67 sometimes drops the click's file ("Deferred file … not found" in the server log, seen in
    # the browser tests under load) and the user must click again; a file made with the page is kept.
    cols[0].download_button(
        "Ladda ner CSV", csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv", key=f"{key}-csv",
        help="Semikolonseparerad, decimalkomma – öppnas direkt i svenska Excel.", on_click="ignore",
    )
    cols[1].download_button(
        "Ladda ner Excel", lambda: xlsx_bytes(frame), file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
        on_click="ignore",
    )
    if figure is not None:
        cols[2].download_button(
            "Ladda ner bild (PNG)", lambda: png_bytes(_as_figure(figure)), file_name=f"{name}.png",
            mime="image/png", key=f"{key}-png", on_click="ignore", help="Tar några sekunder första gången.",
        )


def table_switch(label: str, *, key: str, help: str | None = None) -> bool:
    """A "Visa som tabell" switch: the table and its downloads are drawn only while it is on.

    An expander sends and draws its content on every rerun even when closed, and a data grid is costly to
    draw (issue 18: two closed tables were a fifth of Målgrupper's time in the browser). The switch is a
    labelled toggle, reachable and operable by keyboard (WCAG 2.1.1); its state lives under ``key``.
    """
    import streamlit as st

    return st.toggle(label, key=key, help=help)


def _as_figure(figure):
    import plotly.graph_objects as go

    return figure if isinstance(figure, go.Figure) else go.Figure(figure)
