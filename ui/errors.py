"""An unexpected error on a page: a Swedish message with a reference id for the viewer, the traceback for the log.

``app.py`` runs the chosen page through :func:`run_guarded`. An exception
from the page (or from anything it calls) is logged with its traceback and a
short reference id to the server log (standard error: journald under
systemd, the terminal under ``make run``), and the viewer sees only
:data:`MESSAGE` with the same id — no exception type, message, file path or
stack. Streamlit's control flow (``st.rerun``, ``st.stop``,
``st.switch_page``: ``RerunException``/``StopException``, which are not
``Exception`` subclasses) passes through untouched.

What this does not cover (an exception in a widget callback, in a page file
served on its own before ``app.py`` has run, or in this module itself) is
shown by Streamlit, with ``client.showErrorDetails = "none"`` in
``.streamlit/config.toml``: a generic notice without details.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

LOGGER = logging.getLogger("naravard.errors")
MESSAGE = "Något gick fel. Ange referens {reference} om du kontaktar förvaltningen."
# Letters and digits that cannot be mistaken for each other when read out over the phone (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def _ensure_handler() -> None:
    """Errors reach standard error even when nothing has configured logging (Streamlit only sets up its own
    loggers). Records still propagate, so a root handler (or pytest's caplog) sees them too."""
    if not LOGGER.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOGGER.addHandler(handler)


_ensure_handler()


def new_reference() -> str:
    """A short random id that ties the viewer's message to one log record, e.g. ``K7QH2M``."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def log_error(exc: BaseException, *, where: str) -> str:
    """Log ``exc`` with its traceback and a new reference id; return the id."""
    reference = new_reference()
    LOGGER.error("Unexpected error, reference %s, page %s", reference, where,
                 exc_info=(type(exc), exc, exc.__traceback__))
    return reference


def show_error(reference: str) -> None:
    st.error(MESSAGE.format(reference=reference), icon=":material/error:")


def run_guarded(run: Callable[[], object], *, where: str) -> None:
    """Call ``run`` (a page); an exception becomes a log record and the Swedish message, never a traceback."""
    try:
        run()
    except (RerunException, StopException):
        raise  # st.rerun / st.switch_page / st.stop: Streamlit's control flow, not errors
    except Exception as exc:  # noqa: BLE001 - every error of a page ends here
        show_error(log_error(exc, where=where))
