"""Improvement areas, PDSA cycles and SPC phases: read, write, lock, audit (issue 8).

Every function is keyword-only, takes the viewer's
:class:`~data_access.access.AccessContext` (and optionally an engine) and
returns DataFrames or plain dicts, never ORM objects. See ``docs/pdsa.md``.

Permissions (``data_access.access.PERMISSIONS``):

* reading areas, cycles, phase rows and chart annotations needs
  ``read_pdsa``; writing needs ``edit_pdsa``; both only within the viewer's
  municipalities (an explicit id outside them raises :class:`AccessDenied`,
  lists leave them out);
* :func:`phases_for` (dates only, they shape the SPC limits every viewer
  sees) needs only the municipality in the viewer's scope, and
  :func:`annotations_for` returns nothing to a viewer without ``read_pdsa``;
* :func:`audit_trail` is for administrators (``admin``).

Writes validate at the boundary (:class:`ValidationError`, Swedish messages
per field), update with optimistic locking (``version``; a stale
``expected_version`` raises :class:`ConflictError` carrying both the stored
and the caller's values), delete softly (``deleted_at``) and write one
``pdsa_audit`` row per changed field, in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from data_access.access import AccessContext, AccessDenied, check_viewer, require
from data_access.db import get_engine
from data_access.pdsa_models import ImprovementArea, PdsaAudit, PdsaCycle, SpcPhase
from metrics.registry import INDICATORS
from metrics.review import ACT_LABELS_SV, ACTS, CYCLE_STATUSES, OPEN_STATUSES, QUESTIONS_SV, STATUS_LABELS_SV

__all__ = [
    "AREA_COLUMNS",
    "AREA_FIELDS",
    "AUDIT_COLUMNS",
    "CYCLE_COLUMNS",
    "CYCLE_FIELDS",
    "PHASE_COLUMNS",
    "AccessDenied",
    "ConflictError",
    "NotFound",
    "ValidationError",
    "add_phase",
    "adopt_cycle",
    "annotations_for",
    "audit_trail",
    "create_area",
    "create_cycle",
    "delete_area",
    "delete_cycle",
    "delete_phase",
    "get_area",
    "get_cycle",
    "list_areas",
    "list_cycles",
    "list_phases",
    "phase_dates",
    "phases_for",
    "update_area",
    "update_cycle",
]

# --------------------------------------------------------------------------- fields

TITLE_MAX = 200
TEXT_MAX = 10_000
ANNOTATION_TITLE_MAX = 40


@dataclass(frozen=True)
class Field:
    """One editable field: its Swedish label (messages, forms), kind and the form's help text."""

    label_sv: str
    kind: (
        str  # title | short | text | date | status | act | indicators | indicator | cycle_ref | municipality
    )
    required: bool = False
    help_sv: str = ""


AREA_FIELDS: dict[str, Field] = {
    "municipality_code": Field("Kommun", "municipality", required=True),
    "title": Field("Titel", "title", required=True),
    "description": Field("Beskrivning", "text"),
    "owner": Field("Ansvarig", "short"),
    "status": Field("Status", "status"),
    "indicator_ids": Field("Kopplade indikatorer", "indicators"),
}
"""Editable fields of an improvement area (``municipality_code`` only when created)."""

CYCLE_FIELDS: dict[str, Field] = {
    "title": Field("Titel", "title", required=True),
    "aim": Field("Mål", "text", help_sv=QUESTIONS_SV[0]),
    "measures": Field("Mått", "text", help_sv=QUESTIONS_SV[1] + " Koppla också indikatorerna nedan."),
    "change_idea": Field("Förändringsidé", "text", help_sv=QUESTIONS_SV[2]),
    "questions": Field("Frågor", "text", help_sv="Planera: vad vill vi lära oss av den här cykeln?"),
    "predictions": Field("Förutsägelser", "text", help_sv="Planera: vad tror vi kommer att hända?"),
    "plan_who": Field("Vem", "text", help_sv="Planera: vem gör vad?"),
    "plan_what": Field("Vad", "text", help_sv="Planera: vad ska göras, och vilka data samlas in?"),
    "plan_when": Field("När", "text", help_sv="Planera: när?"),
    "plan_where": Field("Var", "text", help_sv="Planera: var (enhet, team, boende)?"),
    "start_date": Field("Startdatum", "date"),
    "end_date": Field("Slutdatum", "date"),
    "do_observations": Field(
        "Observationer", "text", help_sv="Göra: vad hände, problem och oväntade iakttagelser."
    ),
    "study": Field(
        "Studera", "text", help_sv="Studera: utfallet jämfört med förutsägelserna; vad lärde vi oss?"
    ),
    "act": Field("Beslut", "act", help_sv="Agera: införa, anpassa eller överge förändringen?"),
    "act_date": Field("Beslutsdatum", "date"),
    "act_notes": Field("Motivering", "text", help_sv="Agera: beslutet och varför; vad görs i nästa cykel?"),
    "next_cycle_id": Field("Nästa cykel", "cycle_ref"),
    "indicator_ids": Field(
        "Kopplade indikatorer", "indicators", help_sv="Utan egna indikatorer gäller områdets."
    ),
    "status": Field("Status", "status"),
}
"""Editable fields of a PDSA cycle, in the order of the cycle card (three questions, then P, D, S, A)."""

_STAMPS = ["version", "created_by", "created_at", "updated_by", "updated_at", "deleted_at"]
AREA_COLUMNS = ["id", *AREA_FIELDS, *_STAMPS, "n_cycles", "n_open_cycles"]
CYCLE_COLUMNS = [
    "id", "area_id", "area_title", "municipality_code", "cycle_number", *CYCLE_FIELDS, "linked_indicator_ids",
    *_STAMPS,
]  # fmt: skip
PHASE_COLUMNS = [
    "id", "municipality_code", "indicator_id", "start_date", "reason", "cycle_id", "created_by", "created_at",
    "deleted_at",
]  # fmt: skip
AUDIT_COLUMNS = [
    "id", "changed_at", "changed_by", "entity", "entity_id", "municipality_code", "action", "field",
    "old_value", "new_value", "version",
]  # fmt: skip
_REQUIRES_START = ("pågår",)  # a cycle may be closed (abandoned) without ever starting


# --------------------------------------------------------------------------- errors


class ValidationError(ValueError):
    """Invalid input; ``errors`` maps each field to its Swedish message (forms show them by the field)."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("\n".join(self.errors.values()))


class NotFound(LookupError):
    """The area, cycle or phase does not exist or has been deleted (message in Swedish)."""


class ConflictError(Exception):
    """Someone else saved (or deleted) the row after the caller read it: nothing was written.

    ``current`` is the stored row now (a dict like :func:`get_cycle`
    returns, ``deleted_at`` set if it was deleted), ``yours`` the caller's
    unsaved values (normalised, as passed), ``changed_fields`` the fields
    the others changed since ``expected_version`` (from the audit trail) and
    ``differing`` the fields where ``yours`` differs from ``current``: the
    page shows both versions of those and lets the user save again with
    ``expected_version=current["version"]``.
    """

    def __init__(
        self,
        *,
        entity: str,
        entity_id: int,
        expected_version: int,
        current: dict[str, Any],
        yours: dict[str, Any],
        changed_fields: list[str],
    ):
        self.entity = entity
        self.entity_id = entity_id
        self.expected_version = expected_version
        self.current = current
        self.yours = yours
        self.changed_fields = changed_fields
        self.differing = [f for f in yours if current.get(f) != yours[f]]
        self.deleted = current.get("deleted_at") is not None
        what, it = ("Förbättringsområdet", "det") if entity == "area" else ("Cykeln", "den")
        # No user name in the message (messages reach the logs); the page shows ``current["updated_by"]``.
        if self.deleted:
            message = (
                f"{what} har tagits bort av någon annan sedan du öppnade {it}. "
                "Dina ändringar har inte sparats, men de finns kvar i formuläret."
            )
        else:
            labels = _labels(entity, self.differing) or "inga av dina fält"
            message = (
                f"{what} har ändrats av någon annan ({current.get('updated_at'):%Y-%m-%d %H:%M}, "
                f"version {current.get('version')}) sedan du öppnade {it} (version {expected_version}). "
                f"Dina ändringar har inte sparats, men de finns kvar. Skiljer sig: {labels}. "
                "Jämför och spara igen."
            )
        super().__init__(message)


def _labels(entity: str, fields: Iterable[str]) -> str:
    spec = AREA_FIELDS if entity == "area" else CYCLE_FIELDS
    return ", ".join(spec[f].label_sv if f in spec else f for f in fields)


# --------------------------------------------------------------------------- normalisation


@lru_cache(maxsize=1)
def municipality_codes() -> frozenset[str]:
    """The 290 municipality codes (``data_access/municipalities.csv``)."""
    path = Path(__file__).with_name("municipalities.csv")
    with path.open(encoding="utf-8") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


def _field_error(field: str, spec: Field, text: str) -> str:
    return f"Fältet {spec.label_sv} {text}"  # the Swedish label only: users never see field names


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (a list or other non-scalar is not missing)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _normalise(field: str, spec: Field, value: Any, errors: dict[str, str]) -> Any:
    """The stored form of one value, or an entry in ``errors``."""
    kind = spec.kind
    if kind in ("title", "short", "text", "municipality", "status", "act"):
        if _missing(value):
            value = ""
        if not isinstance(value, str):
            errors[field] = _field_error(field, spec, f"ska vara text, inte {type(value).__name__}.")
            return None
        value = value.strip()
        limit = TITLE_MAX if kind in ("title", "short") else TEXT_MAX
        if len(value) > limit:
            errors[field] = _field_error(
                field, spec, f"är {len(value)} tecken långt; högst {limit} tecken är tillåtet."
            )
            return None
        if kind == "title" and not value:
            errors[field] = _field_error(field, spec, "är tomt; ange en kort titel.")
            return None
        if kind == "municipality" and value not in municipality_codes():
            errors[field] = _field_error(
                field, spec, f"har värdet '{value}'; ange en kommunkod med fyra siffror, t.ex. 1490 (Borås)."
            )
            return None
        if kind == "status" and value not in CYCLE_STATUSES:
            errors[field] = _field_error(
                field, spec, f"har värdet '{value}'; tillåtna värden: {', '.join(CYCLE_STATUSES)}."
            )
            return None
        if kind == "act":
            if value and value not in ACTS:
                allowed = ", ".join(f"{a} ({ACT_LABELS_SV[a].lower()})" for a in ACTS)
                errors[field] = _field_error(
                    field, spec, f"har värdet '{value}'; tillåtna värden: {allowed}, eller tomt."
                )
                return None
        return value or None
    if kind == "date":
        return _date(field, spec, value, errors)
    if kind == "indicators":
        return _indicators(field, spec, value, errors)
    if kind == "indicator":
        if value not in INDICATORS:
            errors[field] = _field_error(
                field, spec, f"har det okända värdet {value!r}; tillåtna värden: {', '.join(INDICATORS)}."
            )
            return None
        return value
    if kind == "cycle_ref":
        if _missing(value) or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            errors[field] = _field_error(
                field, spec, f"har värdet '{value}'; ange en cykels id (ett heltal) eller tomt."
            )
            return None
    raise AssertionError(kind)


def _date(field: str, spec: Field, value: Any, errors: dict[str, str]) -> dt.date | None:
    if _missing(value) or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = _field_error(field, spec, f"har värdet '{value}'; ange ett datum som ÅÅÅÅ-MM-DD.")
    return None


def _indicators(field: str, spec: Field, value: Any, errors: dict[str, str]) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors[field] = _field_error(field, spec, "ska vara en lista med indikatorers id.")
        return []
    ids = [str(v).strip() for v in value]
    unknown = [i for i in ids if i not in INDICATORS]
    if unknown:
        errors[field] = _field_error(
            field,
            spec,
            f"innehåller den okända indikatorn {', '.join(repr(u) for u in unknown)}; "
            f"tillåtna värden: {', '.join(INDICATORS)}.",
        )
        return []
    wanted = set(ids)
    return [i for i in INDICATORS if i in wanted]  # registry order: equal sets compare equal


def _normalise_all(values: Mapping[str, Any], spec: Mapping[str, Field], *, what: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unknown = [k for k in values if k not in spec]
    for k in unknown:
        errors[k] = f"Fältet '{k}' finns inte för {what}; tillåtna fält: {', '.join(spec)}."
    out = {k: _normalise(k, spec[k], v, errors) for k, v in values.items() if k in spec}
    if errors:
        raise ValidationError(errors)
    return out


def _check_cycle(state: Mapping[str, Any]) -> None:
    """Rules across fields of a cycle's complete new state."""
    errors: dict[str, str] = {}
    start, end, act_date = state.get("start_date"), state.get("end_date"), state.get("act_date")
    if start and end and end < start:
        errors["end_date"] = _field_error(
            "end_date",
            CYCLE_FIELDS["end_date"],
            f"{end} är före startdatum {start}; slutdatum får inte vara före startdatum.",
        )
    if start and act_date and act_date < start:
        errors["act_date"] = _field_error(
            "act_date",
            CYCLE_FIELDS["act_date"],
            f"{act_date} är före startdatum {start}; ett beslut tas efter start.",
        )
    if state.get("status") in _REQUIRES_START and not start:
        errors["start_date"] = _field_error(
            "start_date",
            CYCLE_FIELDS["start_date"],
            f"är tomt; en cykel med status {state.get('status')} behöver ett startdatum.",
        )
    if errors:
        raise ValidationError(errors)


# --------------------------------------------------------------------------- rows

_A = ImprovementArea.__table__
_C = PdsaCycle.__table__
_P = SpcPhase.__table__
_AUD = PdsaAudit.__table__


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _decode(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if "indicator_ids" in out:
        out["indicator_ids"] = json.loads(out["indicator_ids"] or "[]")
    return out


def _encode(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "indicator_ids" in out:
        out["indicator_ids"] = json.dumps(out["indicator_ids"] or [], ensure_ascii=False)
    return out


def _text(value: Any) -> str | None:
    """A value as audit text: dates ISO, lists JSON, empty as None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def _audit(
    conn: Connection,
    *,
    entity: str,
    entity_id: int,
    municipality_code: str,
    action: str,
    changes: Mapping[str, tuple[Any, Any]],
    version: int | None,
    who: str,
    when: dt.datetime,
) -> None:
    rows = [
        {
            "entity": entity,
            "entity_id": entity_id,
            "municipality_code": municipality_code,
            "action": action,
            "field": field,
            "old_value": _text(old),
            "new_value": _text(new),
            "version": version,
            "changed_by": who,
            "changed_at": when,
        }  # fmt: skip
        for field, (old, new) in changes.items()
    ]
    if rows:
        conn.execute(insert(_AUD), rows)


def _area_row(conn: Connection, area_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(_A).where(_A.c.id == area_id)).mappings().first()
    return _decode(row) if row else None


def _cycle_stmt():
    return select(
        _C,
        _A.c.title.label("area_title"),
        _A.c.municipality_code,
        _A.c.indicator_ids.label("area_indicator_ids"),
        _A.c.deleted_at.label("area_deleted_at"),
    ).join(_A, _A.c.id == _C.c.area_id)


def _cycle_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    out = _decode(row)
    area_ids = json.loads(out.pop("area_indicator_ids") or "[]")
    area_deleted = out.pop("area_deleted_at")
    out["linked_indicator_ids"] = out["indicator_ids"] or area_ids
    if out["deleted_at"] is None and area_deleted is not None:
        out["deleted_at"] = area_deleted
    return {c: out.get(c) for c in CYCLE_COLUMNS}


def _cycle_row(conn: Connection, cycle_id: int) -> dict[str, Any] | None:
    row = conn.execute(_cycle_stmt().where(_C.c.id == cycle_id)).mappings().first()
    return _cycle_dict(row) if row else None


def _scope(access: AccessContext, municipality_code: str) -> None:
    if not access.allows_municipality(municipality_code):
        raise AccessDenied(f"municipality {municipality_code} is outside the viewer's scope")  # no user name: logs


def _current(conn: Connection, access: AccessContext, entity: str, entity_id: int) -> dict[str, Any]:
    """The stored area or cycle (deleted ones too: a stale save is a conflict), in the viewer's scope."""
    row = (_area_row if entity == "area" else _cycle_row)(conn, entity_id)
    if row is None:
        raise NotFound("Förbättringsområdet finns inte." if entity == "area" else "Cykeln finns inte.")
    _scope(access, row["municipality_code"])
    return row


def _readable(access: AccessContext, row: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if row is None or row.get("deleted_at") is not None:
        raise NotFound(f"{what} finns inte eller har tagits bort.")
    _scope(access, row["municipality_code"])
    return row


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for c in (
        "id",
        "area_id",
        "cycle_number",
        "version",
        "n_cycles",
        "n_open_cycles",
        "entity_id",
        "next_cycle_id",
        "cycle_id",
    ):
        if c in frame.columns and len(frame):
            frame[c] = frame[c].astype("Int64")
    return frame


def _wanted_municipalities(access: AccessContext, municipalities: Iterable[str] | None) -> list[str] | None:
    wanted = set(municipalities) if municipalities is not None else None
    if access.municipalities is not None:
        wanted = set(access.municipalities) if wanted is None else wanted & set(access.municipalities)
    return None if wanted is None else sorted(wanted)


# --------------------------------------------------------------------------- areas


def list_areas(
    *,
    access: AccessContext,
    municipalities: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    include_deleted: bool = False,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Improvement areas in the viewer's municipalities (:data:`AREA_COLUMNS`), newest first.

    ``n_cycles``/``n_open_cycles`` count the area's cycles that are not
    deleted (open: planerad or pågår).
    """
    require(access, "read_pdsa")
    engine = engine or get_engine()
    n_cycles = (
        select(func.count()).where(_C.c.area_id == _A.c.id, _C.c.deleted_at.is_(None)).scalar_subquery()
    )
    n_open = (
        select(func.count())
        .where(_C.c.area_id == _A.c.id, _C.c.deleted_at.is_(None), _C.c.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )
    stmt = select(_A, n_cycles.label("n_cycles"), n_open.label("n_open_cycles"))
    wanted = _wanted_municipalities(access, municipalities)
    if wanted is not None:
        stmt = stmt.where(_A.c.municipality_code.in_(wanted))
    if statuses is not None:
        stmt = stmt.where(_A.c.status.in_(list(statuses)))
    if not include_deleted:
        stmt = stmt.where(_A.c.deleted_at.is_(None))
    with engine.connect() as conn:
        rows = [_decode(r) for r in conn.execute(stmt.order_by(_A.c.id.desc())).mappings()]
    return _frame(rows, AREA_COLUMNS)


def get_area(*, access: AccessContext, area_id: int, engine: Engine | None = None) -> dict[str, Any]:
    """One area as a dict (the :data:`AREA_COLUMNS` but the counts); :class:`NotFound` if deleted."""
    require(access, "read_pdsa")
    engine = engine or get_engine()
    with engine.connect() as conn:
        row = _readable(access, _area_row(conn, area_id), "Förbättringsområdet")
    return row


def create_area(
    *, access: AccessContext, values: Mapping[str, Any], engine: Engine | None = None
) -> dict[str, Any]:
    """Create an area from ``values`` (:data:`AREA_FIELDS`; ``municipality_code`` and ``title`` required)."""
    require(access, "edit_pdsa")
    data = {
        "status": "planerad",
        "indicator_ids": [],
        **_normalise_all(values, AREA_FIELDS, what="ett förbättringsområde"),
    }
    missing = {
        f: _field_error(f, AREA_FIELDS[f], "är tomt; det måste fyllas i.")
        for f in ("municipality_code", "title")
        if not data.get(f)
    }
    if missing:
        raise ValidationError(missing)
    _scope(access, data["municipality_code"])
    engine = engine or get_engine()
    now = _now()
    with engine.begin() as conn:
        stamps = {
            "version": 1,
            "created_by": access.user,
            "created_at": now,
            "updated_by": access.user,
            "updated_at": now,
        }
        area_id = conn.execute(insert(_A).values(**_encode(data), **stamps)).inserted_primary_key[0]
        _audit(
            conn, entity="area", entity_id=area_id, municipality_code=data["municipality_code"], action="create",
            changes={k: (None, v) for k, v in data.items() if v not in (None, [], "")}, version=1,
            who=access.user, when=now,
        )  # fmt: skip
        return _area_row(conn, area_id)  # type: ignore[return-value]


def update_area(
    *,
    access: AccessContext,
    area_id: int,
    expected_version: int,
    values: Mapping[str, Any],
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Change the fields in ``values`` if the area is still at ``expected_version``; the new state.

    Raises :class:`ConflictError` (nothing written) when someone else saved
    or deleted it meanwhile. Unchanged values write nothing.
    """
    require(access, "edit_pdsa")
    if "municipality_code" in values:
        raise ValidationError(
            {
                "municipality_code": "Fältet Kommun kan inte ändras; skapa ett nytt förbättringsområde."
            }
        )
    data = _normalise_all(values, AREA_FIELDS, what="ett förbättringsområde")
    engine = engine or get_engine()
    with engine.begin() as conn:
        current = _current(conn, access, "area", area_id)
        return _write(conn, "area", current, data, expected_version=expected_version, who=access.user)


def delete_area(
    *, access: AccessContext, area_id: int, expected_version: int, engine: Engine | None = None
) -> dict[str, Any]:
    """Soft-delete an area with its cycles and their phases (each audited); the deleted row."""
    require(access, "edit_pdsa")
    engine = engine or get_engine()
    with engine.begin() as conn:
        current = _current(conn, access, "area", area_id)
        now = _now()
        deleted = _write(
            conn, "area", current, {}, expected_version=expected_version, who=access.user, delete_at=now
        )
        for (cycle_id,) in conn.execute(
            select(_C.c.id).where(_C.c.area_id == area_id, _C.c.deleted_at.is_(None)).order_by(_C.c.id)
        ).all():
            cycle = _cycle_row(conn, cycle_id)
            cycle["deleted_at"] = None  # the area's deletion shows through; delete the cycle itself too
            _write(
                conn, "cycle", cycle, {}, expected_version=cycle["version"], who=access.user, delete_at=now
            )
            _delete_phases_of(
                conn, cycle_id, municipality_code=current["municipality_code"], who=access.user, when=now
            )
        return deleted


# --------------------------------------------------------------------------- cycles


def list_cycles(
    *,
    access: AccessContext,
    area_id: int | None = None,
    municipalities: Iterable[str] | None = None,
    statuses: Iterable[str] | None = None,
    indicator_id: str | None = None,
    include_deleted: bool = False,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Cycles in the viewer's municipalities (:data:`CYCLE_COLUMNS`), by area and cycle number.

    ``linked_indicator_ids`` is the cycle's own ``indicator_ids`` or, when
    it has none, its area's. ``indicator_id`` keeps the cycles linked to it.
    Cycles of a deleted area count as deleted.
    """
    require(access, "read_pdsa")
    rows = _cycle_dicts(
        access, area_id=area_id, municipalities=municipalities, statuses=statuses, indicator_id=indicator_id,
        include_deleted=include_deleted, engine=engine or get_engine(),
    )  # fmt: skip
    return _frame(rows, CYCLE_COLUMNS)


def _cycle_dicts(
    access: AccessContext,
    *,
    area_id: int | None,
    municipalities: Iterable[str] | None,
    statuses: Iterable[str] | None,
    indicator_id: str | None,
    include_deleted: bool,
    engine: Engine,
) -> list[dict[str, Any]]:
    stmt = _cycle_stmt()
    wanted = _wanted_municipalities(access, municipalities)
    if wanted is not None:
        stmt = stmt.where(_A.c.municipality_code.in_(wanted))
    if area_id is not None:
        stmt = stmt.where(_C.c.area_id == area_id)
    if statuses is not None:
        stmt = stmt.where(_C.c.status.in_(list(statuses)))
    if not include_deleted:
        stmt = stmt.where(_C.c.deleted_at.is_(None), _A.c.deleted_at.is_(None))
    with engine.connect() as conn:
        rows = [_cycle_dict(r) for r in conn.execute(stmt.order_by(_A.c.id, _C.c.cycle_number)).mappings()]
    if indicator_id is not None:
        rows = [r for r in rows if indicator_id in r["linked_indicator_ids"]]
    return rows


def get_cycle(*, access: AccessContext, cycle_id: int, engine: Engine | None = None) -> dict[str, Any]:
    """One cycle as a dict (:data:`CYCLE_COLUMNS`); :class:`NotFound` if it (or its area) is deleted."""
    require(access, "read_pdsa")
    engine = engine or get_engine()
    with engine.connect() as conn:
        return _readable(access, _cycle_row(conn, cycle_id), "Cykeln")


def create_cycle(
    *, access: AccessContext, area_id: int, values: Mapping[str, Any], engine: Engine | None = None
) -> dict[str, Any]:
    """A new cycle of ``area_id`` numbered one past the area's highest (deleted ones included)."""
    require(access, "edit_pdsa")
    data = {
        "status": "planerad",
        "indicator_ids": [],
        **_normalise_all(values, CYCLE_FIELDS, what="en PDSA-cykel"),
    }
    if not data.get("title"):
        raise ValidationError(
            {"title": _field_error("title", CYCLE_FIELDS["title"], "är tomt; ange en kort titel.")}
        )
    _fill_act_date(data)
    _check_cycle(data)
    engine = engine or get_engine()
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                area = _readable(access, _area_row(conn, area_id), "Förbättringsområdet")
                if data.get("next_cycle_id") is not None:
                    _check_next(conn, area_id=area_id, cycle_id=None, next_id=data["next_cycle_id"])
                number = (
                    conn.execute(
                        select(func.coalesce(func.max(_C.c.cycle_number), 0)).where(_C.c.area_id == area_id)
                    ).scalar_one()
                    + 1
                )
                now = _now()
                stamps = {
                    "version": 1, "created_by": access.user, "created_at": now, "updated_by": access.user,
                    "updated_at": now,
                }  # fmt: skip
                cycle_id = conn.execute(
                    insert(_C).values(area_id=area_id, cycle_number=number, **_encode(data), **stamps)
                ).inserted_primary_key[0]
                _audit(
                    conn, entity="cycle", entity_id=cycle_id, municipality_code=area["municipality_code"],
                    action="create", changes={k: (None, v) for k, v in data.items() if v not in (None, [], "")},
                    version=1, who=access.user, when=now,
                )  # fmt: skip
                return _cycle_row(conn, cycle_id)  # type: ignore[return-value]
        except IntegrityError:  # two cycles numbered at once: number again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def update_cycle(
    *,
    access: AccessContext,
    cycle_id: int,
    expected_version: int,
    values: Mapping[str, Any],
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Change the fields in ``values`` if the cycle is still at ``expected_version``; the new state.

    Raises :class:`ConflictError` carrying the stored and the caller's
    values when someone else saved or deleted it meanwhile (nothing is
    written), :class:`ValidationError` for invalid values (checked on the
    whole new state: end date not before start date, …). Setting ``act``
    without ``act_date`` dates the decision at ``end_date`` or today.
    Adopting here does not start an SPC phase: use :func:`adopt_cycle` or
    :func:`add_phase` (the page asks first).
    """
    require(access, "edit_pdsa")
    data = _normalise_all(values, CYCLE_FIELDS, what="en PDSA-cykel")
    engine = engine or get_engine()
    with engine.begin() as conn:
        return _update_cycle(conn, access, cycle_id, expected_version, data)


def _update_cycle(
    conn: Connection, access: AccessContext, cycle_id: int, expected_version: int, data: dict[str, Any]
) -> dict[str, Any]:
    current = _current(conn, access, "cycle", cycle_id)
    state = {**{f: current[f] for f in CYCLE_FIELDS}, **data}
    if "act" in data and data["act"] and not data.get("act_date") and not current["act_date"]:
        data["act_date"] = state["end_date"] or dt.date.today()
    elif "act" in data and not data["act"] and "act_date" not in data:
        data["act_date"] = None  # no decision, no decision date
    state.update(data)
    if current["version"] == expected_version and current["deleted_at"] is None:
        _check_cycle(state)
        if data.get("next_cycle_id") is not None:
            _check_next(conn, area_id=current["area_id"], cycle_id=cycle_id, next_id=data["next_cycle_id"])
    return _write(conn, "cycle", current, data, expected_version=expected_version, who=access.user)


def delete_cycle(
    *, access: AccessContext, cycle_id: int, expected_version: int, engine: Engine | None = None
) -> dict[str, Any]:
    """Soft-delete a cycle and the SPC phases it started (audited); the deleted row."""
    require(access, "edit_pdsa")
    engine = engine or get_engine()
    with engine.begin() as conn:
        current = _current(conn, access, "cycle", cycle_id)
        now = _now()
        deleted = _write(
            conn, "cycle", current, {}, expected_version=expected_version, who=access.user, delete_at=now
        )
        _delete_phases_of(
            conn, cycle_id, municipality_code=current["municipality_code"], who=access.user, when=now
        )
        return deleted


def adopt_cycle(
    *,
    access: AccessContext,
    cycle_id: int,
    expected_version: int,
    adopted_on: dt.date | None = None,
    notes: str | None = None,
    start_phases: bool = True,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Act = adopt on ``adopted_on`` (default today), status avslutad, and (by default) new SPC phases.

    One transaction: the cycle is updated with optimistic locking and, if
    ``start_phases``, a phase starting on the adoption date is stored for
    each of its linked indicators in its area's municipality. Returns
    ``{"cycle": dict, "phases": [dict, ...]}``.
    """
    require(access, "edit_pdsa")
    values: dict[str, Any] = {"act": "adopt", "act_date": adopted_on or dt.date.today(), "status": "avslutad"}
    if notes is not None:
        values["act_notes"] = notes
    data = _normalise_all(values, CYCLE_FIELDS, what="en PDSA-cykel")
    engine = engine or get_engine()
    with engine.begin() as conn:
        cycle = _update_cycle(conn, access, cycle_id, expected_version, data)
        phases = []
        if start_phases:
            reason = f"PDSA {cycle['cycle_number']}: {cycle['title']} – förändringen infördes"
            for ind_id in cycle["linked_indicator_ids"]:
                phases.append(
                    _add_phase(
                        conn,
                        access,
                        municipality_code=cycle["municipality_code"],
                        indicator_id=ind_id,
                        start_date=cycle["act_date"],
                        reason=reason,
                        cycle_id=cycle_id,
                    )  # fmt: skip
                )
        return {"cycle": cycle, "phases": phases}


def _fill_act_date(data: dict[str, Any]) -> None:
    if data.get("act") and not data.get("act_date"):
        data["act_date"] = data.get("end_date") or dt.date.today()


def _check_next(conn: Connection, *, area_id: int, cycle_id: int | None, next_id: int) -> None:
    spec = CYCLE_FIELDS["next_cycle_id"]
    if next_id == cycle_id:
        raise ValidationError(
            {"next_cycle_id": _field_error("next_cycle_id", spec, "kan inte vara cykeln själv.")}
        )
    row = conn.execute(select(_C.c.area_id, _C.c.deleted_at).where(_C.c.id == next_id)).first()
    if row is None or row.deleted_at is not None or row.area_id != area_id:
        raise ValidationError(
            {
                "next_cycle_id": _field_error(
                    "next_cycle_id", spec, f"har värdet {next_id}; ange en cykel i samma förbättringsområde."
                )
            }
        )


# --------------------------------------------------------------------------- the locked write


def _write(
    conn: Connection,
    entity: str,
    current: dict[str, Any],
    data: dict[str, Any],
    *,
    expected_version: int,
    who: str,
    delete_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Update (or soft-delete) one area or cycle at ``expected_version``, with its audit rows; the new row."""
    table, fields = (_A, AREA_FIELDS) if entity == "area" else (_C, CYCLE_FIELDS)
    reread = _area_row if entity == "area" else _cycle_row
    if current["version"] != expected_version or current["deleted_at"] is not None:
        raise _conflict(conn, entity, current, data, expected_version)
    changes = {f: (current[f], v) for f, v in data.items() if f in fields and current[f] != v}
    if delete_at is not None:
        changes = {"deleted_at": (None, delete_at)}
    if not changes:
        return current
    now = delete_at or _now()
    new_values = {f: new for f, (_old, new) in changes.items()}
    result = conn.execute(
        update(table)
        .where(table.c.id == current["id"], table.c.version == expected_version, table.c.deleted_at.is_(None))
        .values(**_encode(new_values), version=table.c.version + 1, updated_by=who, updated_at=now)
    )
    if result.rowcount != 1:  # saved by someone else between our read and our write
        raise _conflict(conn, entity, reread(conn, current["id"]), data, expected_version)
    _audit(
        conn, entity=entity, entity_id=current["id"], municipality_code=current["municipality_code"],
        action="delete" if delete_at is not None else "update", changes=changes, version=expected_version + 1,
        who=who, when=now,
    )  # fmt: skip
    return reread(conn, current["id"])  # type: ignore[return-value]


def _conflict(
    conn: Connection, entity: str, current: dict[str, Any], yours: dict[str, Any], expected_version: int
) -> ConflictError:
    changed = conn.execute(
        select(_AUD.c.field)
        .where(_AUD.c.entity == entity, _AUD.c.entity_id == current["id"], _AUD.c.version > expected_version)
        .distinct()
    ).scalars()
    return ConflictError(
        entity=entity,
        entity_id=current["id"],
        expected_version=expected_version,
        current=current,
        yours=dict(yours),
        changed_fields=sorted(changed),
    )


# --------------------------------------------------------------------------- phases


def add_phase(
    *,
    access: AccessContext,
    municipality_code: str,
    indicator_id: str,
    start_date: dt.date | str,
    reason: str | None = None,
    cycle_id: int | None = None,
    engine: Engine | None = None,
) -> dict[str, Any]:
    """Store a new SPC phase from ``start_date`` for one municipality and indicator (audited).

    A phase already stored on that date is returned as it is.
    """
    require(access, "edit_pdsa")
    engine = engine or get_engine()
    with engine.begin() as conn:
        return _add_phase(
            conn, access, municipality_code=municipality_code, indicator_id=indicator_id, start_date=start_date,
            reason=reason, cycle_id=cycle_id,
        )  # fmt: skip


_PHASE_FIELDS = {
    "municipality_code": Field("Kommun", "municipality", required=True),
    "indicator_id": Field("Indikator", "indicator", required=True),
    "start_date": Field("Startdatum", "date", required=True),
    "reason": Field("Anledning", "text"),
}


def _add_phase(
    conn: Connection,
    access: AccessContext,
    *,
    municipality_code: str,
    indicator_id: str,
    start_date: dt.date | str,
    reason: str | None,
    cycle_id: int | None,
) -> dict[str, Any]:
    data = _normalise_all(
        {"municipality_code": municipality_code, "indicator_id": indicator_id, "start_date": start_date,
         "reason": reason},
        _PHASE_FIELDS,
        what="en fas",
    )  # fmt: skip
    if data["start_date"] is None:
        raise ValidationError(
            {"start_date": "Fältet Startdatum är tomt; ange fasens första dag."}
        )
    _scope(access, data["municipality_code"])
    row = {
        "municipality_code": data["municipality_code"],
        "indicator_id": data["indicator_id"],
        "start_date": data["start_date"],
        "reason": data["reason"],
        "cycle_id": cycle_id,
    }
    existing = (
        conn.execute(
            select(_P).where(
                _P.c.municipality_code == row["municipality_code"],
                _P.c.indicator_id == row["indicator_id"],
                _P.c.start_date == row["start_date"],
                _P.c.deleted_at.is_(None),
            )
        )
        .mappings()
        .first()
    )
    if existing is not None:
        return dict(existing)
    now = _now()
    phase_id = conn.execute(
        insert(_P).values(**row, created_by=access.user, created_at=now)
    ).inserted_primary_key[0]
    _audit(
        conn, entity="phase", entity_id=phase_id, municipality_code=row["municipality_code"], action="create",
        changes={k: (None, v) for k, v in row.items() if v is not None}, version=None, who=access.user, when=now,
    )  # fmt: skip
    return dict(conn.execute(select(_P).where(_P.c.id == phase_id)).mappings().one())


def delete_phase(*, access: AccessContext, phase_id: int, engine: Engine | None = None) -> None:
    """Soft-delete one SPC phase (audited): the charts join its two phases again."""
    require(access, "edit_pdsa")
    engine = engine or get_engine()
    with engine.begin() as conn:
        row = conn.execute(select(_P).where(_P.c.id == phase_id)).mappings().first()
        if row is None or row["deleted_at"] is not None:
            raise NotFound("Fasen finns inte eller har tagits bort.")
        _scope(access, row["municipality_code"])
        _soft_delete_phase(conn, dict(row), who=access.user, when=_now())


def _soft_delete_phase(conn: Connection, row: dict[str, Any], *, who: str, when: dt.datetime) -> None:
    conn.execute(update(_P).where(_P.c.id == row["id"]).values(deleted_at=when))
    _audit(
        conn, entity="phase", entity_id=row["id"], municipality_code=row["municipality_code"], action="delete",
        changes={"deleted_at": (None, when)}, version=None, who=who, when=when,
    )  # fmt: skip


def _delete_phases_of(
    conn: Connection, cycle_id: int, *, municipality_code: str, who: str, when: dt.datetime
) -> None:
    rows = (
        conn.execute(select(_P).where(_P.c.cycle_id == cycle_id, _P.c.deleted_at.is_(None))).mappings().all()
    )
    for row in rows:
        _soft_delete_phase(conn, dict(row), who=who, when=when)


def list_phases(
    *,
    access: AccessContext,
    municipality_code: str | None = None,
    indicator_id: str | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Stored SPC phases (not deleted) in the viewer's municipalities (:data:`PHASE_COLUMNS`)."""
    require(access, "read_pdsa")
    engine = engine or get_engine()
    stmt = select(*[_P.c[c] for c in PHASE_COLUMNS]).where(_P.c.deleted_at.is_(None))
    wanted = _wanted_municipalities(access, None if municipality_code is None else [municipality_code])
    if wanted is not None:
        stmt = stmt.where(_P.c.municipality_code.in_(wanted))
    if indicator_id is not None:
        stmt = stmt.where(_P.c.indicator_id == indicator_id)
    with engine.connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                stmt.order_by(_P.c.municipality_code, _P.c.indicator_id, _P.c.start_date)
            ).mappings()
        ]
    return _frame(rows, PHASE_COLUMNS)


def phases_for(
    *, access: AccessContext, municipality_code: str, indicator_id: str, engine: Engine | None = None
) -> list[dt.date]:
    """Start dates of the stored SPC phases of one municipality and indicator, ascending.

    Pass them to ``metrics.series.indicator_spc(..., phase_dates=...)``.
    Any viewer of the municipality may ask (the phases shape the limits of
    the chart everyone sees); outside their scope: :class:`AccessDenied`.
    """
    access = check_viewer(access)
    _scope(access, municipality_code)
    engine = engine or get_engine()
    stmt = (
        select(_P.c.start_date)
        .where(
            _P.c.municipality_code == municipality_code,
            _P.c.indicator_id == indicator_id,
            _P.c.deleted_at.is_(None),
        )
        .distinct()
        .order_by(_P.c.start_date)
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def phase_dates(
    *, access: AccessContext, municipalities: Iterable[str] | None = None, engine: Engine | None = None
) -> dict[str, dict[str, list[dt.date]]]:
    """Start dates of the stored SPC phases, per municipality and indicator, ascending.

    The same rule as :func:`phases_for` (any viewer of a municipality may
    read its phase dates): ``municipalities`` defaults to every municipality
    the viewer sees, and a municipality outside the viewer's scope is
    refused. One query for a whole page of tiles and charts instead of one
    per indicator.
    """
    access = check_viewer(access)
    wanted = None if municipalities is None else sorted(set(municipalities))
    for code in wanted or ():
        _scope(access, code)
    if wanted is None and access.municipalities is not None:
        wanted = sorted(access.municipalities)
    engine = engine or get_engine()
    stmt = (
        select(_P.c.municipality_code, _P.c.indicator_id, _P.c.start_date)
        .where(_P.c.deleted_at.is_(None))
        .distinct()
        .order_by(_P.c.municipality_code, _P.c.indicator_id, _P.c.start_date)
    )
    if wanted is not None:
        stmt = stmt.where(_P.c.municipality_code.in_(wanted))
    out: dict[str, dict[str, list[dt.date]]] = {}
    with engine.connect() as conn:
        for code, indicator_id, start in conn.execute(stmt):
            out.setdefault(code, {}).setdefault(indicator_id, []).append(start)
    return out


def annotations_for(
    *, access: AccessContext, municipality_code: str, indicator_id: str, engine: Engine | None = None
) -> list[dict[str, Any]]:
    """Chart marks of the cycles linked to one indicator in one municipality (not deleted, with a start date).

    Each is ``{"x": start date, "text": "PDSA n: title", "hover": …,
    "cycle_id": …, "area_id": …, "status": …}`` as
    ``ui.spc_chart.build_spc_figure(annotations=...)`` takes them; titles
    longer than 40 characters are shortened with "…" in ``text`` (the
    hover has them whole, with the area, the aim and the change idea).
    Viewers without ``read_pdsa`` get an empty list.
    """
    access = check_viewer(access)
    _scope(access, municipality_code)
    if not access.can_read_pdsa:
        return []
    cycles = _cycle_dicts(
        access, area_id=None, municipalities=[municipality_code], statuses=None, indicator_id=indicator_id,
        include_deleted=False, engine=engine or get_engine(),
    )  # fmt: skip
    out = []
    for c in cycles:
        if c["start_date"] is None:
            continue
        title = c["title"]
        short = (
            title if len(title) <= ANNOTATION_TITLE_MAX else title[: ANNOTATION_TITLE_MAX - 1].rstrip() + "…"
        )
        lines = [
            f"<b>PDSA {c['cycle_number']}: {html.escape(title, quote=False)}</b>",
            f"Område: {html.escape(c['area_title'], quote=False)}",
        ]
        lines.append(f"Status: {STATUS_LABELS_SV.get(c['status'], c['status'])}")
        if c["aim"]:
            lines.append(f"Mål: {html.escape(c['aim'], quote=False)}")
        if c["change_idea"]:
            lines.append(f"Förändringsidé: {html.escape(c['change_idea'], quote=False)}")
        if c["act"]:
            lines.append(f"Beslut: {ACT_LABELS_SV[c['act']]} ({c['act_date']})")
        out.append(
            {
                "x": c["start_date"],
                "text": f"PDSA {c['cycle_number']}: {html.escape(short, quote=False)}",
                "hover": "<br>".join(lines),
                "cycle_id": int(c["id"]),
                "area_id": int(c["area_id"]),
                "status": c["status"],
            }
        )
    return sorted(out, key=lambda a: (a["x"], a["cycle_id"]))


# --------------------------------------------------------------------------- audit trail


def audit_trail(
    *,
    access: AccessContext,
    entity: str | None = None,
    entity_id: int | None = None,
    municipalities: Iterable[str] | None = None,
    limit: int = 2000,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The audit rows (:data:`AUDIT_COLUMNS`), newest first; administrators only."""
    require(access, "admin")
    engine = engine or get_engine()
    stmt = select(*[_AUD.c[c] for c in AUDIT_COLUMNS])
    if entity is not None:
        stmt = stmt.where(_AUD.c.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(_AUD.c.entity_id == entity_id)
    wanted = _wanted_municipalities(access, municipalities)
    if wanted is not None:
        stmt = stmt.where(_AUD.c.municipality_code.in_(wanted))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt.order_by(_AUD.c.id.desc()).limit(limit)).mappings()]
    return _frame(rows, AUDIT_COLUMNS)
