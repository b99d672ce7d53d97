"""Exports: Swedish Excel CSV, xlsx, formula neutralisation."""

from __future__ import annotations

import csv
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


def test_neutralise_lives_in_data_access_and_is_still_importable_from_here():
    """One rule for every file handed out: the page exports and the import error reports (issue 21, item 8)."""
    import data_access.neutralise
    import ui.exports

    assert ui.exports.neutralise is data_access.neutralise.neutralise
    assert ui.exports.FORMULA_PREFIXES == ("=", "+", "-", "@", "\t", "\r")


def test_tab_and_carriage_return_prefixes_are_neutralised():
    assert [neutralise(v) for v in ("\tx", "\rx", "x\t", None, 3)] == ["'\tx", "'\rx", "x\t", None, 3]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pd.DataFrame({"Text": ["\tTAB", "\rCR", "vanlig"]}))))
    # The workbook's XML reads a carriage return back as a line feed; the apostrophe is what matters.
    assert [c.value[:1] for c in wb.active["A"]] == ["T", "'", "'", "v"]


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row_with_a_formula():
    """A stored text such as an imported care-centre name "VC\\r=HYPERLINK(...)": with bare LF line ends pandas
    left it unquoted, and Excel reads the CR as a line break, so a row would start with a live formula."""
    data = csv_bytes(pd.DataFrame({"Vårdcentral": ["VC\r=1+1"], "Antal": [3]}))  # no quote char to force quoting
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == [["Vårdcentral", "Antal"], ["VC\r=1+1", "3"]]
    assert '"VC\r=1+1"' in text  # quoted: the CR stays inside its cell
