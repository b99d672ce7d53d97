"""The notice that the indicators are being recomputed: the stored results are behind the data.

:func:`freshness_banner` is called by :func:`ui.context.page_context` on every page that shows
indicators. The check is one primary-key read (``data_access.recompute.results_state``), cached for
a few seconds. When the results are behind and recompute after import is on, it also starts the
recompute in the background if no one else is running it (a recompute killed with its process:
``docs/recompute.md``, "Behind the data").
"""

from __future__ import annotations

import streamlit as st

from data_access.recompute import ResultsState, catch_up_in_background, results_state
from data_access.settings import get_settings

TITLE = "Indikatorerna räknas om"
EXPLANATION = (
    "Nya data har lästs in sedan indikatorerna senast räknades fram, så värdena på sidan bygger ännu "
    "på de tidigare uppgifterna."
)
SOON = "Omräkningen tar oftast någon minut. Ladda om sidan om en stund för att se de nya värdena."
SCHEDULED = "De nya värdena visas efter nästa schemalagda omräkning."


@st.cache_data(ttl=10, show_spinner=False)
def _state(url: str) -> ResultsState:
    from ui.context import _engine

    return results_state(engine=_engine(url))


def freshness_banner() -> bool:
    """Show "Indikatorerna räknas om" while the stored results are behind the data; True if shown."""
    settings = get_settings()
    if not _state(settings.database_url).behind:
        return False
    if settings.recompute_after_import:
        from ui.context import engine

        catch_up_in_background(engine())
    st.info(f"**{TITLE}.** {EXPLANATION} {SOON if settings.recompute_after_import else SCHEDULED}", icon="⏳")
    return True
