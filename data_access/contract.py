"""The data contract (``shared/spec/data-contract.md``) as plain Python data.

This module is the single description of the input tables. The importer,
the validation, the SQLAlchemy models (checked against it in tests), the
sample data generator and the metrics CLI all read it; nothing about the
contract is written twice. It imports neither SQLAlchemy nor Streamlit, so
``metrics`` may use it.

In-memory convention for a *loaded* table (what ``data_access`` returns and
what every ``metrics`` function receives):

* ``text``      -> pandas ``str`` dtype (codes such as ``"1490"`` stay text)
* ``int``       -> pandas ``Int64`` (nullable)
* ``number``    -> ``float64``
* ``bool``      -> pandas ``boolean`` (nullable)
* ``date``      -> ``datetime64[us]``, midnight, naive
* ``timestamp`` -> ``datetime64[us]``, naive local time in Europe/Stockholm
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "int", "number", "bool", "date", "timestamp"]

AGE_BANDS = ("0-64", "65-74", "75-79", "80-84", "85-89", "90+")
SEXES = ("K", "M")
# indicator_values.sex: T (everyone; the default when the column is absent or empty), K or M.
REFERENCE_SEXES = ("T", "K", "M")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = True  # the column must be present in the file
    nullable: bool = False  # an empty cell is allowed
    allowed: tuple[str, ...] | None = None  # enumeration (text columns)
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    swedish: str = ""  # Swedish label used in messages and the UI
    default: str | None = None  # filled in where the column is absent or the cell empty (then stored NOT NULL)


@dataclass(frozen=True)
class Table:
    name: str
    swedish: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique within a file; upsert key in the store
    person_column: str | None = "person_id"
    # (later, earlier) column pairs where later >= earlier must hold
    order_checks: tuple[tuple[str, str], ...] = ()
    # Columns that must be empty together (e.g. still admitted)
    paired_empty: tuple[tuple[str, str], ...] = ()
    # The column whose day ``age`` is counted on (exact age at the event; the pseudonymisation tool fills it)
    age_at: str | None = None
    description: str = ""
    column_map: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_map", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _muni() -> Column:
    return Column("municipality_code", "text", max_length=4, swedish="kommunkod")


def _person() -> Column:
    return Column("person_id", "text", max_length=64, swedish="person-id")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "population",
            "befolkning",
            (
                _muni(),
                Column("year", "int", min=1900, max=2100, swedish="år"),
                Column("age_band", "text", allowed=AGE_BANDS, swedish="åldersgrupp"),
                Column("sex", "text", allowed=SEXES, swedish="kön"),
                Column("population", "int", min=0, swedish="folkmängd"),
            ),
            key=("municipality_code", "year", "age_band", "sex"),
            person_column=None,
        ),
        Table(
            "hospital_stays",
            "slutenvårdstillfällen",
            (
                Column("stay_id", "text", max_length=64, swedish="vårdtillfälles-id"),
                _person(),
                _muni(),
                Column("age", "int", min=0, max=120, swedish="ålder"),
                Column("sex", "text", allowed=SEXES, swedish="kön"),
                Column("admission_time", "timestamp", swedish="inskrivningstid"),
                Column("discharge_time", "timestamp", nullable=True, swedish="utskrivningstid"),
                Column("admission_type", "text", allowed=("akut", "planerad"), swedish="inskrivningstyp"),
                Column(
                    "discharge_to",
                    "text",
                    nullable=True,
                    allowed=("hem", "sarskilt_boende", "korttid", "annat_sjukhus", "avliden", "annat"),
                    swedish="utskriven till",
                ),
                Column("care_plan_complete", "bool", required=False, nullable=True, swedish="komplett vårdplan"),
                Column("followup_call_time", "timestamp", required=False, nullable=True, swedish="uppföljningssamtal"),
            ),
            key=("stay_id",),
            order_checks=(("discharge_time", "admission_time"),),
            age_at="admission_time",
            paired_empty=(("discharge_time", "discharge_to"),),
        ),
        Table(
            "ed_visits",
            "akutbesök",
            (
                Column("visit_id", "text", max_length=64, swedish="besöks-id"),
                _person(),
                _muni(),
                Column("age", "int", min=0, max=120, swedish="ålder"),
                Column("sex", "text", allowed=SEXES, swedish="kön"),
                Column("arrival_time", "timestamp", swedish="ankomsttid"),
                Column("unit", "text", allowed=("akutmottagning", "MALT"), swedish="enhet"),
                Column(
                    "arrival_mode",
                    "text",
                    required=False,
                    nullable=True,
                    allowed=("ambulans", "egen", "annat"),
                    swedish="ankomstsätt",
                ),
                Column("admitted", "bool", swedish="inlagd"),
            ),
            key=("visit_id",),
            age_at="arrival_time",
        ),
        Table(
            "home_care_enrolments",
            "inskrivningar i hälso- och sjukvård i hemmet",
            (
                Column("enrolment_id", "text", max_length=64, swedish="inskrivnings-id"),
                _person(),
                _muni(),
                Column("birth_year", "int", min=1880, max=2100, swedish="födelseår"),
                Column("sex", "text", allowed=SEXES, swedish="kön"),
                Column("start_date", "date", swedish="startdatum"),
                Column("end_date", "date", nullable=True, swedish="slutdatum"),
            ),
            key=("enrolment_id",),
            order_checks=(("end_date", "start_date"),),
        ),
        Table(
            "sip",
            "SIP (samordnad individuell plan)",
            (
                Column("sip_id", "text", max_length=64, swedish="SIP-id"),
                _person(),
                _muni(),
                Column("sip_date", "date", swedish="SIP-datum"),
                Column("followup_date", "date", required=False, nullable=True, swedish="uppföljningsdatum"),
            ),
            key=("sip_id",),
            order_checks=(("followup_date", "sip_date"),),
        ),
        Table(
            "cfs_assessments",
            "skörhetsskattningar (CFS)",
            (
                Column("assessment_id", "text", max_length=64, swedish="skattnings-id"),
                _person(),
                _muni(),
                Column("birth_year", "int", min=1880, max=2100, swedish="födelseår"),
                Column("assessment_date", "date", swedish="skattningsdatum"),
                Column("cfs_score", "int", min=1, max=9, swedish="CFS-poäng"),
            ),
            key=("assessment_id",),
        ),
        Table(
            "home_visits",
            "läkarbedömningar i hemmet",
            (
                Column("visit_id", "text", max_length=64, swedish="besöks-id"),
                _person(),
                _muni(),
                Column("requested_time", "timestamp", swedish="begärd tid"),
                Column("assessed_time", "timestamp", nullable=True, swedish="bedömd tid"),
                Column("team", "text", allowed=("PALT", "MALT", "VC", "jour", "annat"), swedish="team"),
                Column("acute", "bool", swedish="akut"),
            ),
            key=("visit_id",),
            order_checks=(("assessed_time", "requested_time"),),
        ),
        Table(
            "primary_care_contacts",
            "vårdcentralskontakter",
            (
                Column("contact_id", "text", max_length=64, swedish="kontakt-id"),
                _person(),
                _muni(),
                Column("care_centre", "text", max_length=200, swedish="vårdcentral"),
                Column("contact_time", "timestamp", swedish="kontakttid"),
                Column(
                    "contact_type",
                    "text",
                    allowed=("besok", "telefon", "digital", "hembesok"),
                    swedish="kontakttyp",
                ),
                Column("birth_year", "int", required=False, nullable=True, min=1880, max=2100, swedish="födelseår"),
                Column("sex", "text", required=False, nullable=True, allowed=SEXES, swedish="kön"),
            ),
            key=("contact_id",),
        ),
        Table(
            "short_term_stays",
            "korttidsvistelser",
            (
                Column("stay_id", "text", max_length=64, swedish="vistelse-id"),
                _person(),
                _muni(),
                Column("birth_year", "int", min=1880, max=2100, swedish="födelseår"),
                Column("sex", "text", allowed=SEXES, swedish="kön"),
                Column("start_date", "date", swedish="startdatum"),
                Column("end_date", "date", nullable=True, swedish="slutdatum"),
                Column(
                    "discharge_to",
                    "text",
                    nullable=True,
                    allowed=("hem", "sarskilt_boende", "sjukhus", "avliden", "annat"),
                    swedish="utskriven till",
                ),
            ),
            key=("stay_id",),
            order_checks=(("end_date", "start_date"),),
            paired_empty=(("end_date", "discharge_to"),),
        ),
        Table(
            "indicator_values",
            "indikatorvärden (externa)",
            (
                Column("indicator_id", "text", max_length=100, swedish="indikator-id"),
                Column("indicator_name", "text", required=False, nullable=True, max_length=300, swedish="indikatornamn"),
                _muni(),
                Column("period", "text", max_length=7, swedish="period"),
                Column("numerator", "number", required=False, nullable=True, swedish="täljare"),
                Column("denominator", "number", required=False, nullable=True, swedish="nämnare"),
                Column("value", "number", swedish="värde"),
                Column("source", "text", max_length=200, swedish="källa"),
                Column("sex", "text", required=False, nullable=True, allowed=REFERENCE_SEXES, swedish="kön", default="T"),
            ),
            key=("indicator_id", "municipality_code", "period", "source", "sex"),
            person_column=None,
        ),
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# The eight municipalities of Södra Älvsborg (reference case).
SODRA_ALVSBORG: dict[str, str] = {
    "1490": "Borås",
    "1463": "Mark",
    "1491": "Ulricehamn",
    "1443": "Bollebygd",
    "1466": "Herrljunga",
    "1465": "Svenljunga",
    "1452": "Tranemo",
    "1442": "Vårgårda",
}


# --- in-memory dtypes --------------------------------------------------------

PANDAS_DTYPES: dict[str, str] = {
    "text": "str",
    "int": "Int64",
    "number": "float64",
    "bool": "boolean",
    "date": "datetime64[us]",
    "timestamp": "datetime64[us]",
}


def coerce_frame(frame, table_name: str):
    """Give a frame read from the store the in-memory dtypes of the contract.

    Columns come out in contract order; pandas is imported lazily so that
    this module stays importable without it.
    """
    import pandas as pd

    table = TABLES[table_name]
    out = {}
    for col in table.columns:
        s = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame), dtype="object")
        if col.type in ("date", "timestamp"):
            s = pd.to_datetime(s, errors="coerce")
            s = s.astype("datetime64[us]")
            if col.type == "date":
                s = s.dt.normalize()
        elif col.type == "bool":
            s = _boolean(s)
        elif col.type == "int":
            s = pd.to_numeric(s, errors="coerce").astype("Int64")
        elif col.type == "number":
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype("str")
        out[col.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def _boolean(s):
    """``bool(v)`` of every value, missing (None, NaN, NA) kept missing, as pandas' nullable boolean."""
    import pandas as pd

    if str(s.dtype) == "boolean":
        return s
    missing = s.isna().to_numpy()
    values = s.to_numpy(dtype=object, na_value=False, copy=True)
    values[missing] = False
    return pd.Series(pd.arrays.BooleanArray(values.astype(bool), missing), index=s.index)
