"""Models of the improvement work (PDSA cycles and improvement areas); see migrations 0006+.

Kept apart from ``models.py`` so the contract tables stay easy to read; they
share ``Base`` and are registered on its metadata by the import at the end of
``models.py``. The rules that use these tables (validation, optimistic
locking, audit, phases) live in :mod:`data_access.pdsa`; ``docs/pdsa.md``
describes both.

* ``improvement_areas`` – a municipality's improvement area (förbättringsområde).
* ``pdsa_cycles`` – PDSA cycles of an area, laid out by the Model for
  Improvement (three questions, four steps), numbered 1, 2, … per area.
* ``spc_phases`` – a new SPC phase (new centre line and limits) for one
  municipality and indicator from a date, usually the adoption of a change.
* ``pdsa_audit`` – one row per changed field of every change to the three
  tables above: who, when, old and new value.

Linked indicators are a JSON list of indicator ids in a text column
(``indicator_ids``), not a child table: the ids are validated against the
code registry (there is no indicator table to refer to), the list is
versioned and audited with its row as one field, and the few cycles of a
municipality are filtered by indicator in Python.

Areas and cycles carry a ``version`` (optimistic locking: every write
``UPDATE … WHERE version = :expected`` and adds one) and are deleted softly
(``deleted_at``). Who made a change is kept as the user name
(``created_by``/``updated_by``/``changed_by``), never a person's name.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import MUNI, Base

USER = String(64)  # a user name (users.username)
INDICATOR = String(100)
TITLE = String(200)


class ImprovementArea(Base):
    """An improvement area of one municipality: what it is about, who owns it, which indicators it moves."""

    __tablename__ = "improvement_areas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality_code: Mapped[str] = mapped_column(MUNI, index=True)
    title: Mapped[str] = mapped_column(TITLE)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(TITLE)  # the responsible role or team, free text
    status: Mapped[str] = mapped_column(String(16))  # planerad | pågår | avslutad
    indicator_ids: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # JSON list
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(USER)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PdsaCycle(Base):
    """One PDSA cycle (Plan–Do–Study–Act) of an improvement area.

    The Model for Improvement's three questions are ``aim`` (what are we
    trying to accomplish?), ``measures`` with ``indicator_ids`` (how will we
    know that a change is an improvement?) and ``change_idea`` (what change
    can we make?). Plan: ``questions``, ``predictions``, ``plan_who/what/
    when/where``, ``start_date``/``end_date``; Do: ``do_observations``;
    Study: ``study``; Act: ``act`` (adopt | adapt | abandon) on ``act_date``
    with ``act_notes``, and ``next_cycle_id``.
    """

    __tablename__ = "pdsa_cycles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("improvement_areas.id"), index=True)
    cycle_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(TITLE)
    aim: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    change_idea: Mapped[str | None] = mapped_column(Text)
    questions: Mapped[str | None] = mapped_column(Text)
    predictions: Mapped[str | None] = mapped_column(Text)
    plan_who: Mapped[str | None] = mapped_column(Text)
    plan_what: Mapped[str | None] = mapped_column(Text)
    plan_when: Mapped[str | None] = mapped_column(Text)
    plan_where: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    do_observations: Mapped[str | None] = mapped_column(Text)
    study: Mapped[str | None] = mapped_column(Text)
    act: Mapped[str | None] = mapped_column(String(16))  # adopt | adapt | abandon
    act_date: Mapped[dt.date | None] = mapped_column(Date)
    act_notes: Mapped[str | None] = mapped_column(Text)
    next_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("pdsa_cycles.id"))
    indicator_ids: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # JSON list
    status: Mapped[str] = mapped_column(String(16))  # planerad | pågår | avslutad
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(USER)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("area_id", "cycle_number"),)


class SpcPhase(Base):
    """A new SPC phase for one municipality and indicator from ``start_date`` (the charts split there)."""

    __tablename__ = "spc_phases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    indicator_id: Mapped[str] = mapped_column(INDICATOR)
    start_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("pdsa_cycles.id"), index=True)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_spc_phases_muni_indicator", "municipality_code", "indicator_id"),)


class PdsaAudit(Base):
    """One changed field of one change to an area, cycle or phase (values as text; ``None`` = empty)."""

    __tablename__ = "pdsa_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(16))  # area | cycle | phase
    entity_id: Mapped[int] = mapped_column(Integer)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)  # the row's version after the change (phases: none)
    changed_by: Mapped[str] = mapped_column(USER)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    __table_args__ = (Index("ix_pdsa_audit_entity", "entity", "entity_id"),)


PDSA_MODELS: tuple[type[Base], ...] = (ImprovementArea, PdsaCycle, SpcPhase, PdsaAudit)
