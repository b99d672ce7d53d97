"""The frequent attenders (mångsökare) of one day, one row per pseudonymous person.

Same definition and placement as :mod:`metrics.frequent_attenders` (which
counts them per period): on day d a person qualifies with ≥ 3
``primary_care_contacts`` (any contact type) in d−29 … d, or ≥ 4
``ed_visits`` with unit ``akutmottagning`` in d−364 … d.

* municipality: that of the latest qualifying event up to d (the latest
  contact if the person qualifies through contacts, the latest ED visit if
  through ED visits, the later of the two if both; same timestamp: the
  contact);
* care centre: that of the person's latest primary care contact up to d, at
  any time; ``okänd`` if there is none.

Ties within a table (same timestamp) go to the higher row id, as in
:class:`metrics._events.EventIndex`. So the rows of day d, counted per
municipality or per care centre, equal the ``frequent_attenders`` numerator
of a period whose reference day is d (a test keeps them in step).

One verb: :func:`frequent_attender_persons`. Pure: frames in, a frame out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from metrics.frequent_attenders import ED_MIN, ED_UNIT, ED_WINDOW, PCC_MIN, PCC_WINDOW, UNKNOWN_CARE_CENTRE

COLUMNS = ("person_id", "care_centre", "municipality_code", "contacts_30d", "ed_visits_365d", "criterion")
CRITERION_CONTACTS = "vårdkontakter"
CRITERION_ED = "akutbesök"
CRITERION_BOTH = "båda"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c.endswith(("_30d", "_365d")) else "str") for c in COLUMNS})


def _latest(frame: pd.DataFrame, time_col: str, id_col: str) -> pd.DataFrame:
    """The latest row per person (by time, then id)."""
    return frame.sort_values([time_col, id_col]).drop_duplicates("person_id", keep="last").set_index("person_id")


def frequent_attender_persons(frames: Mapping[str, pd.DataFrame], *, day: dt.date) -> pd.DataFrame:
    """Persons who are frequent attenders on ``day`` (see module docstring).

    ``frames`` needs ``primary_care_contacts`` and ``ed_visits`` (contract
    dtypes); rows after ``day`` are ignored. Returns :data:`COLUMNS`:
    pseudonymous ``person_id``, ``care_centre``, ``municipality_code``, the
    contacts in the 30 days and the ED visits in the 365 days up to ``day``,
    and the ``criterion`` met (``vårdkontakter``, ``akutbesök`` or ``båda``),
    sorted by care centre and person.
    """
    pcc = frames.get("primary_care_contacts")
    ed = frames.get("ed_visits")
    if pcc is None or ed is None:
        return _empty()
    end = pd.Timestamp(day) + pd.Timedelta(days=1)  # events before the end of the day
    pcc = pcc.loc[pcc["contact_time"].notna() & (pcc["contact_time"] < end)]
    ed = ed.loc[(ed["unit"] == ED_UNIT).fillna(False) & ed["arrival_time"].notna() & (ed["arrival_time"] < end)]
    pcc_window = pcc.loc[pcc["contact_time"] >= end - pd.Timedelta(days=PCC_WINDOW)]
    ed_window = ed.loc[ed["arrival_time"] >= end - pd.Timedelta(days=ED_WINDOW)]

    n_pcc = pcc_window.groupby("person_id").size()
    n_ed = ed_window.groupby("person_id").size()
    via_pcc = set(n_pcc.index[n_pcc >= PCC_MIN])
    via_ed = set(n_ed.index[n_ed >= ED_MIN])
    persons = sorted(via_pcc | via_ed)
    if not persons:
        return _empty()

    last_pcc = _latest(pcc.loc[pcc["person_id"].isin(persons)], "contact_time", "contact_id")
    last_ed = _latest(ed_window.loc[ed_window["person_id"].isin(via_ed)], "arrival_time", "visit_id")
    out = pd.DataFrame({"person_id": persons}).set_index("person_id", drop=False)
    out["contacts_30d"] = n_pcc.reindex(out.index).fillna(0).astype("int64")
    out["ed_visits_365d"] = n_ed.reindex(out.index).fillna(0).astype("int64")
    q_pcc = out.index.isin(list(via_pcc))
    q_ed = out.index.isin(list(via_ed))

    t_pcc = last_pcc["contact_time"].reindex(out.index).where(q_pcc)
    t_ed = last_ed["arrival_time"].reindex(out.index).where(q_ed)
    use_pcc = t_pcc.notna() & (t_ed.isna() | (t_pcc >= t_ed))
    out["municipality_code"] = last_pcc["municipality_code"].reindex(out.index).where(use_pcc)
    out["municipality_code"] = out["municipality_code"].fillna(last_ed["municipality_code"].reindex(out.index))
    out["care_centre"] = last_pcc["care_centre"].reindex(out.index).fillna(UNKNOWN_CARE_CENTRE)
    out["criterion"] = [
        CRITERION_BOTH if a and b else CRITERION_CONTACTS if a else CRITERION_ED for a, b in zip(q_pcc, q_ed, strict=True)
    ]
    out = out.reset_index(drop=True)[list(COLUMNS)]
    for c in ("person_id", "care_centre", "municipality_code", "criterion"):
        out[c] = out[c].astype("str")
    return out.sort_values(["care_centre", "person_id"], ignore_index=True)
