"""Månadsuppföljning: one municipality's month for the ledningsgrupp, and the PDSA vocabulary.

Pure: the stored tidy indicator rows (monthly), the targets frame, the
municipality's PDSA cycles (as :func:`data_access.pdsa.list_cycles` returns
them) and the stored SPC phase dates in; a :class:`MonthlyReview` out. The
page and the workshop pack (``ui/pack.py``) only draw what this returns.

For every indicator: the latest complete value up to the month, its target,
the values of the three calendar months before it, and the Making Data
Count variation and assurance codes from an SPC chart that starts a new
phase at each stored phase date. Then the open cycles (planerad, pågår) and
the decisions (Act: adopt, adapt, abandon) taken in the month.

The PDSA vocabulary (statuses, Act choices and their Swedish labels) is
defined here, once: ``data_access.pdsa`` validates against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from metrics.overview import overview_tiles
from metrics.periods import DEFAULT_WINDOW_MONTHS, period_label_sv
from metrics.registry import INDICATORS
from metrics.series import data_starts

# --------------------------------------------------------------------------- PDSA vocabulary

CYCLE_STATUSES: tuple[str, ...] = ("planerad", "pågår", "avslutad")
"""Status of an improvement area or a PDSA cycle (stored as written)."""
OPEN_STATUSES: tuple[str, ...] = ("planerad", "pågår")
STATUS_LABELS_SV: dict[str, str] = {"planerad": "Planerad", "pågår": "Pågår", "avslutad": "Avslutad"}

ACTS: tuple[str, ...] = ("adopt", "adapt", "abandon")
"""Act (Agera): adopt the change, adapt it (and test again), or abandon it."""
ACT_LABELS_SV: dict[str, str] = {"adopt": "Införa", "adapt": "Anpassa", "abandon": "Överge"}

QUESTIONS_SV: tuple[str, str, str] = (
    "Vad vill vi åstadkomma?",
    "Hur vet vi att en förändring är en förbättring?",
    "Vilka förändringar kan vi göra som leder till förbättring?",
)
"""The three questions of the Model for Improvement (Langley et al. 2009): aim, measures, change idea."""
STEP_LABELS_SV: dict[str, str] = {"plan": "Planera", "do": "Göra", "study": "Studera", "act": "Agera"}

# --------------------------------------------------------------------------- the review

PREVIOUS_MONTHS = 3
REVIEW_COLUMNS = [
    "indicator_id", "name", "unit", "theme", "direction", "status", "period", "period_label", "is_current",
    "value", "suppressed", "target_text", "target_status", "target_value",
    "prev_1_period", "prev_1", "prev_2_period", "prev_2", "prev_3_period", "prev_3",
    "variation", "variation_label", "assurance", "assurance_label", "sentence", "few_crossings", "headline",
    "n_phases", "open_cycles",
]  # fmt: skip
OPEN_CYCLE_COLUMNS = [
    "cycle_id", "area_id", "area_title", "cycle_number", "title", "status", "status_label", "start_date",
    "end_date", "overdue", "aim", "change_idea", "linked_indicator_ids",
]  # fmt: skip
DECISION_COLUMNS = [
    "cycle_id", "area_id", "area_title", "cycle_number", "title", "act", "act_label", "act_date", "act_notes",
    "linked_indicator_ids",
]  # fmt: skip
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, eq=False)
class MonthlyReview:
    """One municipality's month: indicators (:data:`REVIEW_COLUMNS`), open cycles and decisions."""

    municipality_code: str
    month: str  # "2025-03"
    month_label: str  # "mars 2025"
    indicators: pd.DataFrame
    open_cycles: pd.DataFrame
    decisions: pd.DataFrame

    def linked_indicator_ids(self) -> list[str]:
        """Indicators linked to an open cycle or a decision of the month, in registry order."""
        linked: set[str] = set()
        for frame in (self.open_cycles, self.decisions):
            for ids in frame["linked_indicator_ids"]:
                linked.update(ids or ())
        return [i for i in INDICATORS if i in linked]


def monthly_review(
    results: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    municipality_code: str,
    month: str,
    cycles: pd.DataFrame,
    phases: Mapping[str, Sequence] | None = None,
    sex: str = "T",
    baseline: pd.DataFrame | None = None,
    indicator_ids: Iterable[str] | None = None,
) -> MonthlyReview:
    """The review of ``municipality_code`` for ``month`` (``"YYYY-MM"``).

    ``results`` is the stored tidy table of monthly periods (rows of other
    municipalities, sexes or later months are ignored: the review shows the
    month as it was). Each indicator is judged on :func:`review_rows`, the
    36 months up to ``month``, with the warm-up periods and phases every
    other page uses, so with the latest month the verdicts are Översikt's
    and Trender's. ``targets`` and ``baseline`` are as for
    :func:`metrics.overview.overview_tiles`. ``cycles`` has the columns of
    ``data_access.pdsa.CYCLE_COLUMNS`` (deleted cycles already left out);
    ``phases`` maps an indicator id to the start dates of its stored SPC
    phases for this municipality.

    A value "latest" is the last complete (status ``ok``) month up to
    ``month``; ``is_current`` says whether that is ``month`` itself (some
    indicators lag: readmissions need 30 days of follow-up). ``prev_k`` is
    the value k calendar months before the latest one (NaN when missing,
    incomplete or suppressed).
    """
    if not isinstance(month, str) or not _MONTH.match(month):
        raise ValueError(f"Fältet 'month' har värdet {month!r}; ange en månad som ÅÅÅÅ-MM, t.ex. 2025-03.")
    phases = phases or {}
    month_start = pd.Period(month, freq="M").start_time
    ids = list(indicator_ids) if indicator_ids is not None else list(INDICATORS)
    rows = review_rows(results, municipality_code=municipality_code, month=month, sex=sex)
    tiles = overview_tiles(
        rows, targets, municipality=municipality_code, sex=sex, indicator_ids=ids, baseline=baseline,
        data_start=data_starts(results), phases=phases,
    )  # fmt: skip
    mine = _cycles_of(cycles, municipality_code)
    open_cycles = _open_cycles(mine, month)
    decisions = _decisions(mine, month)

    out = []
    for tile in tiles.to_dict("records"):
        tile = {k: None if _missing(v) else v for k, v in tile.items()}
        ind_id = tile["indicator_id"]
        series = rows[rows["indicator_id"] == ind_id].sort_values("period_start")
        dates = [pd.Timestamp(d) for d in phases.get(ind_id, ())]
        row = {c: tile.get(c) for c in REVIEW_COLUMNS}
        row["is_current"] = tile["period"] == month
        row["n_phases"] = len({d for d in dates if d <= month_start + pd.offsets.MonthEnd(0)})
        latest = tile["period"] or month
        for k in range(1, PREVIOUS_MONTHS + 1):
            period = str(pd.Period(latest, freq="M") - k)
            row[f"prev_{k}_period"] = period
            row[f"prev_{k}"] = _value_in(series, period)
        row["open_cycles"] = int(sum(ind_id in (ids_ or ()) for ids_ in open_cycles["linked_indicator_ids"]))
        out.append(row)
    indicators = pd.DataFrame(out, columns=REVIEW_COLUMNS)
    for c in ("value", "target_value", "prev_1", "prev_2", "prev_3"):
        indicators[c] = indicators[c].astype("float64")
    return MonthlyReview(
        municipality_code=municipality_code,
        month=month,
        month_label=period_label_sv(month),
        indicators=indicators,
        open_cycles=open_cycles,
        decisions=decisions,
    )


def review_rows(results: pd.DataFrame, *, municipality_code: str, month: str, sex: str = "T") -> pd.DataFrame:
    """The rows a review judges: one municipality and sex, the :data:`DEFAULT_WINDOW_MONTHS` months up to
    and including ``month`` (the Översikt and Trender default range, ending at the chosen month).

    The review's table and the pack's charts both use these rows, so they say what the pages say.
    """
    end = pd.Period(month, freq="M")
    first = (end - (DEFAULT_WINDOW_MONTHS - 1)).start_time
    starts = pd.to_datetime(results["period_start"])
    return results[
        (results["municipality_code"] == municipality_code)
        & (results["sex"] == sex)
        & (starts >= first)
        & (starts <= end.start_time)
    ]


def _missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _value_in(series: pd.DataFrame, period: str) -> float:
    hit = series[(series["period"] == period) & (series["status"] == "ok")]
    if hit.empty or pd.isna(hit["value"].iloc[-1]):
        return float("nan")
    return float(hit["value"].iloc[-1])


def _cycles_of(cycles: pd.DataFrame, municipality_code: str) -> pd.DataFrame:
    if cycles is None or cycles.empty:
        return pd.DataFrame(
            columns=sorted(set(OPEN_CYCLE_COLUMNS) | set(DECISION_COLUMNS) | {"id", "municipality_code"})
        )
    mine = cycles[cycles["municipality_code"] == municipality_code].copy()
    if "deleted_at" in mine.columns:
        mine = mine[mine["deleted_at"].isna()]
    return mine.rename(columns={"id": "cycle_id"}) if "id" in mine.columns else mine


def _as_date(value) -> pd.Timestamp | None:
    if _missing(value):
        return None
    return pd.Timestamp(value)


def _open_at_month_end(c: Mapping, month_end: pd.Timestamp) -> str | None:
    """The status a cycle had at the end of the month ("planerad" or "pågår"), or None if it was not open then.

    A past month is shown as it was, not by the cycles' status today (issue 22). A cycle exists from its
    start date or from when it was entered, whichever is earlier (neither known: always); it is closed from its Act
    decision's date once it is "avslutad" (or its end date, or the last change, where no decision is dated).
    It was running ("pågår") at the month's end if it had started by then, else planned.
    """
    start = _day(c.get("start_date"))
    known = [d for d in (start, _day(c.get("created_at"))) if d is not None]
    begin = min(known) if known else None  # planned from its entry, or earlier if its start is (entered late)
    if begin is not None and begin > month_end:
        return None
    if c.get("status") == "avslutad":
        closed = next((d for d in (_day(c.get(k)) for k in ("act_date", "end_date", "updated_at")) if d is not None),
                      None)  # fmt: skip
        if closed is None or closed <= month_end:
            return None
    elif c.get("status") not in OPEN_STATUSES:
        return None
    return "pågår" if start is not None and start <= month_end else "planerad"


def _day(value) -> pd.Timestamp | None:
    """The calendar day of a date or timestamp (a stored UTC time in Swedish local time), without a zone."""
    ts = _as_date(value)
    if ts is None:
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Europe/Stockholm").tz_localize(None)
    return ts.normalize()


def _open_cycles(mine: pd.DataFrame, month: str) -> pd.DataFrame:
    """Cycles open at the end of ``month`` (:func:`_open_at_month_end`), with the status they had then;
    ``overdue``: running after their end date."""
    month_end = pd.Period(month, freq="M").end_time.normalize()
    rows = []
    for c in mine.to_dict("records"):
        status = _open_at_month_end(c, month_end)
        if status is None:
            continue
        end = _as_date(c.get("end_date"))
        rows.append(
            {
                **{k: c.get(k) for k in OPEN_CYCLE_COLUMNS},
                "status": status,
                "status_label": STATUS_LABELS_SV[status],
                "overdue": bool(end is not None and end < month_end and status == "pågår"),
                "linked_indicator_ids": list(c.get("linked_indicator_ids") or ()),
            }
        )
    frame = pd.DataFrame(rows, columns=OPEN_CYCLE_COLUMNS)
    return _sorted(frame, ["area_title", "cycle_number"])


def _decisions(mine: pd.DataFrame, month: str) -> pd.DataFrame:
    """Cycles whose Act decision (adopt, adapt, abandon) is dated in ``month``."""
    period = pd.Period(month, freq="M")
    rows = []
    for c in mine.to_dict("records"):
        act, when = c.get("act"), _as_date(c.get("act_date"))
        if act not in ACTS or when is None or when.to_period("M") != period:
            continue
        rows.append(
            {
                **{k: c.get(k) for k in DECISION_COLUMNS},
                "act_label": ACT_LABELS_SV[act],
                "linked_indicator_ids": list(c.get("linked_indicator_ids") or ()),
            }
        )
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    return _sorted(frame, ["act_date", "area_title", "cycle_number"])


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame.reset_index(drop=True)
    return frame.sort_values(by, kind="stable", key=lambda s: s.astype(str)).reset_index(drop=True)
