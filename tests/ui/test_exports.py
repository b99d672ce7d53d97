"""Exports: Swedish Excel CSV, xlsx, formula neutralisation."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from ui.exports import csv_bytes, neutralise, xlsx_bytes


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {"Kommun": ["Borås", "=HYPERLINK(\"x\")", "+46", "-1", "@SUM(A1)", "Mark"], "Värde": [17.25, 1.0, 2.5, None, 3.0, 1234.5]}
    )


def test_csv_is_utf8_bom_semicolon_decimal_comma():
    data = csv_bytes(sample())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Kommun;Värde"
    assert lines[1] == "Borås;17,25"
    assert lines[6] == "Mark;1234,5"
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["Värde"].iloc[0] == 17.25


def test_formulas_are_neutralised_in_csv_and_xlsx():
    text = csv_bytes(sample()).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n'+46;" in text and "\n'-1;" in text and "\n'@SUM(A1);" in text
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sample())))
    cells = [c.value for c in wb.active["A"]]
    assert cells == ["Kommun", "Borås", "'=HYPERLINK(\"x\")", "'+46", "'-1", "'@SUM(A1)", "Mark"]
    # Numbers stay numbers (a negative number is not text and is not touched).
    assert neutralise(-1.5) == -1.5
