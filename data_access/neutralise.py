"""Spreadsheet formula neutralisation (OWASP "CSV injection"), shared by every file we hand out.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return may be run as a formula when the file is opened in Excel or
LibreOffice (``=HYPERLINK("http://…","klicka")``). Every export prefixes such
text with an apostrophe, which spreadsheets show as plain text.

Pure Python (no pandas, no Streamlit), so that ``data_access`` can use it for
the import error reports and ``ui.exports`` for the page exports: one rule for
every file.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
