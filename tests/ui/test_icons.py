"""Variation and assurance icons: symbol and Swedish words for every code, never colour alone."""

from __future__ import annotations

import pytest

from metrics.spc import ASSURANCE_LABELS_SV, VARIATION_LABELS_SV
from ui.icons import ASSURANCE_ICONS, VARIATION_ICONS, assurance_text, badge, variation_text


def test_every_code_has_an_icon() -> None:
    assert set(VARIATION_ICONS) == set(VARIATION_LABELS_SV)
    assert set(ASSURANCE_ICONS) == set(ASSURANCE_LABELS_SV)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("common_cause", "● Vanlig variation"),
        ("special_cause_improvement_high", "▲ Särskild orsak – förbättring (högt)"),
        ("special_cause_concern_low", "▼ Särskild orsak – försämring (lågt)"),
    ],
)
def test_variation_text_is_symbol_and_words(code: str, expected: str) -> None:
    assert variation_text(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("consistently_pass", "✔ Målet nås sannolikt alltid"),
        ("consistently_fail", "✖ Målet nås sannolikt aldrig"),
        ("hit_and_miss", "≈ Målet nås ibland"),
    ],
)
def test_assurance_text_is_symbol_and_words(code: str, expected: str) -> None:
    assert assurance_text(code) == expected


def test_empty_codes_give_no_text() -> None:
    assert variation_text(None) == "" and assurance_text("") == "" and badge("", "#0072B2") == ""


def test_improvement_and_concern_differ_in_words_not_only_colour() -> None:
    """The same arrow is used for improvement and concern (the direction of the change); the
    words tell them apart, so a reader who cannot see the blue/orange difference loses nothing."""
    up_good = variation_text("special_cause_improvement_high")
    up_bad = variation_text("special_cause_concern_high")
    assert up_good.split()[0] == up_bad.split()[0] == "▲"
    assert "förbättring" in up_good and "försämring" in up_bad


def test_badge_maps_palette_colours() -> None:
    assert badge("▲ bättre", "#0072B2") == ":blue-badge[▲ bättre]"
    assert badge("x", "#123456") == ":gray-badge[x]"
