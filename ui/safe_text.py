"""Stored and imported text shown as text: escaped for Streamlit's Markdown and for Plotly's labels.

Everything a user typed or a file delivered (PDSA titles, aims and notes,
care-centre names, user names, file names, messages that quote them) goes
through one of these before it is shown:

* :func:`md_escape` wherever Streamlit renders Markdown: ``st.markdown``,
  headings, ``st.caption``, alerts (``st.info``/``success``/``warning``/``error``),
  ``st.progress`` texts, ``st.write`` of a string, and the labels of widgets,
  buttons, expanders and page links. Not needed for ``st.dataframe`` cells and
  the options of a selectbox or multiselect (plain text), but needed for radio options.
* :func:`plotly_escape` wherever Plotly renders its HTML-like subset
  (``<a href>``, ``<b>``, ``<span style>`` …): chart and axis titles, legend
  (trace) names, annotations, bar texts and hover texts.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["md_escape", "plotly_escape"]

# Markdown's punctuation with a meaning in Streamlit's Markdown (CommonMark + GFM + math + directives):
# emphasis, code, links and images, raw HTML and autolinks, headings (ATX and setext), lists, quotes,
# tables, strikethrough, LaTeX, colour/badge directives, entities.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=])")
# A backslash does not reach what Streamlit finds in the parsed text: bare URLs (http://, www.),
# e-mail addresses, emoji and Material icon shortcodes (:smile:, :material/home:). A word joiner
# (U+2060, invisible, no line break) after a ':' or '@' that something follows directly, and inside 'www.',
# keeps them text. A ':' before a space ("PDSA 1: Ring dag 2") starts none of them and is left as typed, so
# that the words can still be searched for and read as written.
_WORD_JOINER = "\u2060"
_FOUND_IN_TEXT = re.compile(r"([:@](?=\S)|(?i:www)(?=\\\.))")
_LEADING_BLANKS = re.compile(r"^[ \t]+", re.MULTILINE)


def md_escape(text: Any) -> str:
    """``text`` (None: empty) as Markdown that shows exactly that text: no links, images, HTML, colours,
    icons, maths, headings, lists, tables or emphasis from the data. Line breaks stay line breaks.
    """
    s = "" if text is None else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = _FOUND_IN_TEXT.sub(lambda m: m.group(1) + _WORD_JOINER, s)
    # indentation would make a code block: keep it as no-break spaces
    s = _LEADING_BLANKS.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), s)
    return s.replace("\n", "  \n")  # a hard line break, not a space


def plotly_escape(text: Any) -> str:
    """``text`` (None: empty) for Plotly's HTML-like labels: ``&``, ``<`` and ``>`` as entities, so that no
    tag (``<a href>``, ``<span style>``, ``<br>`` …) or entity from the data is rendered."""
    return html.escape("" if text is None else str(text), quote=False)
