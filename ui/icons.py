"""Variation and assurance icons (Making Data Count), as symbol + Swedish text, never colour alone."""

from __future__ import annotations

from metrics.spc import ASSURANCE_LABELS_SV, VARIATION_LABELS_SV

# symbol, Okabe–Ito colour
VARIATION_ICONS: dict[str, tuple[str, str]] = {
    "common_cause": ("●", "#7F7F7F"),
    "special_cause_improvement_high": ("▲", "#0072B2"),
    "special_cause_improvement_low": ("▼", "#0072B2"),
    "special_cause_concern_high": ("▲", "#E69F00"),
    "special_cause_concern_low": ("▼", "#E69F00"),
    "special_cause_neither_high": ("▲", "#CC79A7"),
    "special_cause_neither_low": ("▼", "#CC79A7"),
}
ASSURANCE_ICONS: dict[str, tuple[str, str]] = {
    "consistently_pass": ("✔", "#0072B2"),
    "consistently_fail": ("✖", "#E69F00"),
    "hit_and_miss": ("≈", "#7F7F7F"),
    "no_target": ("–", "#7F7F7F"),
    "not_assessable": ("?", "#7F7F7F"),
}
TARGET_STATUS_ICONS: dict[str, str] = {"uppfyllt": "✔ uppfyllt", "ej uppfyllt": "✖ ej uppfyllt"}


def variation_text(code: str | None) -> str:
    if not code:
        return ""
    symbol, _ = VARIATION_ICONS.get(code, ("", ""))
    return f"{symbol} {VARIATION_LABELS_SV.get(code, code)}".strip()


def assurance_text(code: str | None) -> str:
    if not code:
        return ""
    symbol, _ = ASSURANCE_ICONS.get(code, ("", ""))
    return f"{symbol} {ASSURANCE_LABELS_SV.get(code, code)}".strip()


def badge(text: str, colour: str) -> str:
    """Markdown for a coloured badge whose meaning is also in its text."""
    return f":{_streamlit_colour(colour)}-badge[{text}]" if text else ""


def _streamlit_colour(hex_colour: str) -> str:
    return {"#0072B2": "blue", "#E69F00": "orange", "#CC79A7": "violet"}.get(hex_colour, "gray")
