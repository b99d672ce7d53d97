"""SQLAlchemy 2 models of the store.

The contract tables mirror ``data_access/contract.py`` column for column
(a test keeps them in step); the schema itself is created only by the
Alembic migrations in ``migrations/`` (another test checks that migrations
and models agree on SQLite and PostgreSQL).

No table has a column for names, addresses or personnummer: ``person_id``
is the pseudonymous key of the delivering system.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
MUNI = String(4)
SEX = String(1)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- contract tables -------------------------------------------------------


class Population(Base):
    __tablename__ = "population"
    municipality_code: Mapped[str] = mapped_column(MUNI, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    age_band: Mapped[str] = mapped_column(String(8), primary_key=True)
    sex: Mapped[str] = mapped_column(SEX, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)


class HospitalStay(Base):
    __tablename__ = "hospital_stays"
    stay_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    age: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(SEX)
    admission_time: Mapped[dt.datetime] = mapped_column(DateTime)
    discharge_time: Mapped[dt.datetime | None] = mapped_column(DateTime)
    admission_type: Mapped[str] = mapped_column(String(16))
    discharge_to: Mapped[str | None] = mapped_column(String(32))
    care_plan_complete: Mapped[bool | None] = mapped_column(Boolean)
    followup_call_time: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (Index("ix_hospital_stays_muni_discharge", "municipality_code", "discharge_time"),)


class EdVisit(Base):
    __tablename__ = "ed_visits"
    visit_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    age: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(SEX)
    arrival_time: Mapped[dt.datetime] = mapped_column(DateTime)
    unit: Mapped[str] = mapped_column(String(32))
    arrival_mode: Mapped[str | None] = mapped_column(String(16))
    admitted: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_ed_visits_muni_arrival", "municipality_code", "arrival_time"),)


class HomeCareEnrolment(Base):
    __tablename__ = "home_care_enrolments"
    enrolment_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(SEX)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class Sip(Base):
    __tablename__ = "sip"
    sip_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    sip_date: Mapped[dt.date] = mapped_column(Date)
    followup_date: Mapped[dt.date | None] = mapped_column(Date)


class CfsAssessment(Base):
    __tablename__ = "cfs_assessments"
    assessment_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    birth_year: Mapped[int] = mapped_column(Integer)
    assessment_date: Mapped[dt.date] = mapped_column(Date)
    cfs_score: Mapped[int] = mapped_column(Integer)


class HomeVisit(Base):
    __tablename__ = "home_visits"
    visit_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    requested_time: Mapped[dt.datetime] = mapped_column(DateTime)
    assessed_time: Mapped[dt.datetime | None] = mapped_column(DateTime)
    team: Mapped[str] = mapped_column(String(16))
    acute: Mapped[bool] = mapped_column(Boolean)


class PrimaryCareContact(Base):
    __tablename__ = "primary_care_contacts"
    contact_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    care_centre: Mapped[str] = mapped_column(String(200))
    contact_time: Mapped[dt.datetime] = mapped_column(DateTime)
    contact_type: Mapped[str] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(SEX)


class ShortTermStay(Base):
    __tablename__ = "short_term_stays"
    stay_id: Mapped[str] = mapped_column(ID, primary_key=True)
    person_id: Mapped[str] = mapped_column(ID, index=True)
    municipality_code: Mapped[str] = mapped_column(MUNI)
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(SEX)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    discharge_to: Mapped[str | None] = mapped_column(String(32))


class IndicatorValue(Base):
    """Values computed elsewhere (Kolada, regional reports): shown beside, never mixed in."""

    __tablename__ = "indicator_values"
    indicator_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    indicator_name: Mapped[str | None] = mapped_column(String(300))
    municipality_code: Mapped[str] = mapped_column(MUNI, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    sex: Mapped[str] = mapped_column(SEX, primary_key=True, default="T", server_default="T")  # T, K or M


class KoladaKpi(Base):
    """Kolada's KPI catalogue (``/v3/kpi``) as last stored: what an administrator can search and map.

    Written only by ``python -m data_access kolada --catalogue``; a new catalogue replaces the old one.
    """

    __tablename__ = "kolada_catalogue"
    kpi_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(4))  # Kolada's municipality_type: K, L or A
    by_sex: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    latest_year: Mapped[int | None] = mapped_column(Integer)
    operating_area: Mapped[str | None] = mapped_column(String(500))
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime)


class KoladaMapping(Base):
    """A Kolada KPI an administrator mapped to one of our indicators in the app (who and when).

    The default set lives in ``data_access/kolada_kpis.csv``; a row here adds to it (or, for a KPI in
    the file, replaces the file's row). Nothing is ever mapped automatically.
    """

    __tablename__ = "kolada_mappings"
    kpi_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    mapped_by: Mapped[str] = mapped_column(String(100))
    mapped_at: Mapped[dt.datetime] = mapped_column(DateTime)


CONTRACT_MODELS: dict[str, type[Base]] = {
    m.__tablename__: m
    for m in (
        Population,
        HospitalStay,
        EdVisit,
        HomeCareEnrolment,
        Sip,
        CfsAssessment,
        HomeVisit,
        PrimaryCareContact,
        ShortTermStay,
        IndicatorValue,
    )
}


# --- bookkeeping -----------------------------------------------------------


class ImportLog(Base):
    """One row per imported file (or sheet) and attempt, successful or not."""

    __tablename__ = "import_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    table_name: Mapped[str | None] = mapped_column(String(64))
    rows_in_file: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_replaced: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    user_name: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | unchanged | rejected
    message: Mapped[str | None] = mapped_column(Text)


class IndicatorResult(Base):
    """The persisted tidy indicator table: pages read this, never raw events."""

    __tablename__ = "indicator_results"
    indicator_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    sex: Mapped[str] = mapped_column(SEX, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    period_type: Mapped[str] = mapped_column(String(8), index=True)  # month | quarter | year
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24))
    # Suppression for viewers not entitled to small numbers, decided over the
    # whole table at recompute time (primary and secondary); values are
    # stored as computed and blanked when read by such a viewer.
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    suppression: Mapped[str | None] = mapped_column(String(16))
    n_unassessed: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DataState(Base):
    """One row (``id`` 1): which version of the data the stored indicator table was computed from.

    ``data_version`` grows by one in the transaction of every import that changes a table the
    indicators are computed from (every contract table but ``indicator_values``); ``results_version``
    is written in the transaction that writes ``indicator_results``: the data version the computation
    started from. The results are behind the data while ``results_version < data_version`` (a
    recompute is running, or was killed: ``docs/recompute.md``). ``recompute_started_at``/``recompute_by``
    (``host:pid``) mark a recompute under way, so that a catching-up process does not start a second one.
    """

    __tablename__ = "data_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    results_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    data_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recompute_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recompute_by: Mapped[str | None] = mapped_column(String(200))


class Target(Base):
    """Targets are data: per indicator, optionally per municipality."""

    __tablename__ = "targets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_id: Mapped[str] = mapped_column(String(100), index=True)
    municipality_code: Mapped[str | None] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(16))  # absolute | relative
    operator: Mapped[str] = mapped_column(String(2))  # >= <= > <
    value: Mapped[float | None] = mapped_column(Float)
    change: Mapped[float | None] = mapped_column(Float)
    baseline_period: Mapped[str | None] = mapped_column(String(7))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --- users, sessions and the access log (issue 7) ---------------------------


class User(Base):
    """A person who may log in. Only a bcrypt hash of the password is kept; ``demo`` users log in only in demo mode."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class UserRole(Base):
    """One role of a user with its scope: a municipality code, a care centre, or NULL (the whole area)."""

    __tablename__ = "user_roles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(200))


class AuthSession(Base):
    """A login: id = SHA-256 of a random token; ``cookie_hash`` ties the remember-me cookie to it.

    Logout, expiry, inactivity, a password reset and deactivation set ``revoked_at``.
    """

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(16))


class LoginAttempt(Base):
    """One login attempt, known user name or not; ``login_hash`` is a SHA-256 of the (lower-cased) name typed."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login_hash: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_login_attempts_hash_time", "login_hash", "attempted_at"),)


class AccessLogEntry(Base):
    """Every view and export of person-level rows: who, when, what, how many rows (never which persons)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    logged_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # visning | export
    what: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)



# Register the improvement-work tables on the same metadata (Alembic, tests).
from data_access import pdsa_models  # noqa: E402,F401
