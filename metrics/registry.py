"""The indicator registry: every indicator's metadata, written once.

The UI (indicator pages, definitions, targets), the docs and the metrics
code all read :data:`INDICATORS`; nothing about an indicator is written
twice. The order is that of ``shared/spec/indicators.md``: the 13 indicators,
then the six Målgrupper cohorts (theme "Målgrupper", computed in
:mod:`metrics.cohorts`).

A default target is ``None`` or a plain dict, either absolute::

    {"kind": "absolute", "operator": ">=", "value": 70.0}   # value in the indicator's unit

or relative to a baseline period::

    {"kind": "relative", "change": -0.20, "baseline_period": "2024"}

The Swedish texts state the exact rules the code implements (see
``docs/methods.md`` for the reasoning behind each choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from data_access.contract import TABLES
from metrics.ci import METHODS as CI_METHODS
from metrics.spc import CHART_TYPES

Direction = Literal["higher", "lower"]
ValueKind = Literal["proportion", "rate", "rate_point", "median", "count"]

THEMES: tuple[str, ...] = (
    "Sköra äldre och SIP",
    "Sjukhusvård",
    "Hembesök",
    "Utskrivning",
    "Mångsökare",
    "Målgrupper",
)
CADENCES: tuple[str, ...] = ("month", "quarter", "year")
GRAIN_WORDS_SV: dict[str, str] = {"month": "månad", "quarter": "kvartal", "year": "år"}
GRAIN_DEFINITE_SV: dict[str, str] = {"month": "månaden", "quarter": "kvartalet", "year": "året"}
VALUE_KINDS: tuple[str, ...] = ("proportion", "rate", "rate_point", "median", "count")
# Value kinds with a population denominator: "rate" per 1 000 and year (annualised),
# "rate_point" per 1 000 without annualisation (the Målgrupper cohorts).
RATE_KINDS: tuple[str, ...] = ("rate", "rate_point")
TARGET_OPERATORS: tuple[str, ...] = (">=", "<=", ">", "<")

# ------------------------------------------------------------------ shared rule texts (Swedish)

PERIOD_SV = (
    "Period: kalendermånad, kvartal eller år. Referensdag d för en period är periodens sista dag, "
    "eller datans slutdatum om perioden inte är avslutad (status ofullständig period)."
)
WINDOW_365_SV = "”Inom 365 dagar fram till dag d” betyder dagarna d−364 … d (båda inräknade)."
DAGTID_SV = (
    "Dagtid är måndag–fredag med klockslag 08:00 ≤ tid < 17:00 (svensk lokal tid) på en dag som inte är "
    "allmän helgdag eller helgdagsafton enligt den svenska helgdagskalendern (inklusive midsommarafton, "
    "julafton och nyårsafton). All övrig tid är jourtid."
)
ELAPSED_SV = (
    "Tider mäts som verklig förfluten tid i svensk tid: natten då klockan ställs fram räknas den förlorade "
    "timmen inte (en begäran 01:30 som bedöms 03:30 har väntat en timme); en tid som inte finns (02:00–02:59 "
    "den natten) flyttas fram till 03:00, och en tid under den dubblerade timmen på hösten tolkas som den "
    "första (sommartid)."
)
ALL_SV = (
    "Totalen för alla kommuner (ALL) beräknas ur summerade täljare och nämnare för de kommuner som har "
    "underlag, aldrig som medelvärde av kommunernas värden."
)
RATE_SV = (
    "Befolkningen för en månad eller ett kvartal är befolkningen det året (SCB, 31 december); saknas året "
    "används senast föregående år och raden får en anmärkning. Värdet räknas om till helår "
    "(× 12 / antal månader i perioden) så att månader, kvartal och år går att jämföra."
)
DISCHARGED_SV = "Utskrivningsdatum i perioden (svensk lokal tid)."

# Målgrupper (the workshop's target groups): the conventions of the spec section, in Swedish.
COHORT_SV = (
    "Inskriven dag x: en inskrivning i kommunal primärvård med startdatum ≤ x och slutdatum tomt eller "
    "≥ x (oavsett kommun). Inskriven inom 14 dagar efter x: inskriven minst en dag av x … x+14. "
    "Födelseår: det värde som oftast anges för personen i inskrivningar, CFS-skattningar, "
    "korttidsvistelser och vårdcentralskontakter, över alla personens rader (lika ofta: värdet på den "
    "senaste raden efter radens eget datum eller tid, därefter det högsta värdet); finns inget: "
    "år(ankomst eller inskrivning) − ålder vid personens senaste akutbesök eller vårdtillfälle. "
    "Ålder dag d = år(d) − födelseår. En person med okänt födelseår räknas inte; antalet sådana personer "
    "redovisas som ej bedömda (n_unassessed). Kön: det värde som oftast anges för personen i alla "
    "tabeller med kön (lika ofta: den senaste radens); okänt kön räknas bara i totalen (T)."
)
POINT_RATE_SV = (
    "Värde: antal personer per 1 000 invånare 75+ i kommunen det året (SCB, 31 december; saknas året "
    "används senast föregående år och raden får en anmärkning), inte omräknat till helår: en månad, ett "
    "kvartal och ett år räknar var för sig personerna i målgruppen."
)
PER_PERIOD_SV = (
    "Varje person räknas en gång per period (ett kvartal eller år räknar varje person en gång), i kommunen "
    "för den senaste händelse i perioden som för in personen i målgruppen (lika tid: högst id)."
)
POP_75_SV = "Befolkning 75 år och äldre (75–79, 80–84, 85–89, 90+) i kommunen det året."

# What each status of a value means (shown beside values and in the docs).
STATUS_SV: dict[str, str] = {
    "ok": "Värdet bygger på fullständiga uppgifter för perioden.",
    "saknar_underlag": (
        "Underlag saknas: en källtabell har inte lämnats, har inga rader för kommunen, täcker inte perioden, "
        "eller (för kvoter) befolkningen saknas. Visas aldrig som noll."
    ),
    "ofullstandig_period": (
        "Perioden (eller den uppföljningstid som definitionen kräver, t.ex. 30 dagar för återinskrivningar, "
        "90 dagar för SIP-uppföljning, 14 och 60 dagar för målgrupperna) sträcker sig förbi datans slutdatum; "
        "värdet kan ändras."
    ),
}


@dataclass(frozen=True)
class Indicator:
    """Metadata of one indicator. Every field is shown or used somewhere; see module docstring."""

    id: str
    name_sv: str
    definition_sv: str
    numerator_sv: str
    denominator_sv: str
    unit: str
    direction: Direction
    default_target: dict[str, Any] | None
    source_tables: tuple[str, ...]
    cadence: str
    ci_method: str
    theme: str
    sex_breakdown: bool
    value_kind: ValueKind
    # Days after the period end that the definition looks ahead (30 for
    # readmissions, 90 for SIP follow-up, 3 for the 72 h call): the period is
    # `ofullstandig_period` while period_end + lookahead_days > end date.
    lookahead_days: int = 0
    # Days before a day that the definition looks back (the 365-day ED window of frequent attenders, a SIP
    # valid for 365 days). Periods that start less than this after the data's first day are left-censored:
    # shown, but left out of the SPC limits and signals (docs/methods.md, "Left-censoring").
    lookback_days: int = 0
    # Population age bands behind the denominator of a rate.
    population_bands: tuple[str, ...] = ()
    # The value is a stock on the period's reference day d (its last day), not a sum over the period: a
    # quarter's value is its last month's, a year's its last quarter's (metrics.suppression protects that
    # identity, which an additive period hierarchy would miss).
    reference_day: bool = False
    # The SPC chart every page draws and judges the indicator by (metrics.series.default_chart_for); None:
    # chosen from the unit and value kind. The Målgrupper cohorts use the run chart (issue 12), on every page.
    spc_chart: str | None = None

    def unit_for(self, grain: str) -> str:
        """The unit with its time unit, in the same words on every page.

        Annualised rates carry "och år" in their unit already; a per-period
        rate (``rate_point``, the Målgrupper cohorts) names its period: "per
        1 000 inv. 75+ och månad" (persons during the month, not annualised).
        """
        if self.value_kind == "rate_point":
            return f"{self.unit} och {GRAIN_WORDS_SV[grain]}"
        return self.unit

    def rate_note_sv(self, grain: str) -> str | None:
        """Why a rate's time unit is what it is (shown beside rates, where per-year and per-period rates meet)."""
        if self.value_kind == "rate" and grain != "year":
            return "Omräknat till helår (× 12 / antal månader i perioden), så att månad, kvartal och år går att jämföra."
        if self.value_kind == "rate_point":
            return (
                f"Personer under {GRAIN_DEFINITE_SV[grain]}, inte omräknat till år: varje person räknas en gång "
                "per period."
            )
        return None

    @property
    def ci_method_sv(self) -> str:
        return CI_METHODS[self.ci_method]

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"


def _absolute(operator: str, value: float) -> dict[str, Any]:
    return {"kind": "absolute", "operator": operator, "value": float(value)}


def _relative(change: float, baseline_period: str) -> dict[str, Any]:
    return {"kind": "relative", "change": float(change), "baseline_period": baseline_period}


_BANDS_80 = ("80-84", "85-89", "90+")
_BANDS_75 = ("75-79", "80-84", "85-89", "90+")

_LIST: tuple[Indicator, ...] = (
    Indicator(
        id="readmission_30d_65",
        name_sv="Oplanerad återinskrivning inom 30 dagar, 65+",
        definition_sv=(
            "Andel indexvårdtillfällen för personer 65 år och äldre som följs av en akut inskrivning av samma "
            "person 1–30 dagar efter utskrivningen. Ett vårdtillfälle är inte ett indexvårdtillfälle om det "
            "avslutas med att personen avlider (avliden) eller flyttas till annat sjukhus (annat_sjukhus), "
            "eller om samma person skrivs in igen (oavsett typ) samma kalenderdag som utskrivningen "
            "(dag 0 = överflyttning). Sådana kedjor följs till det vårdtillfälle som avslutar dem, och det "
            "blir indexvårdtillfället (om det uppfyller villkoren). Ålder och kommun är indexvårdtillfällets "
            "(ålder vid inskrivning). Dagar räknas i kalenderdagar: inskrivningsdatum − utskrivningsdatum "
            "ska vara 1–30. Perioden är indexutskrivningens; perioden är ofullständig tills 30 dagar efter "
            "periodens slut finns i datan. " + ALL_SV
        ),
        numerator_sv=(
            "Indexvårdtillfällen där samma person har minst en inskrivning av typen akut 1–30 dagar efter "
            "indexutskrivningen (flera återinskrivningar räknas en gång)."
        ),
        denominator_sv=(
            "Indexvårdtillfällen: personer 65+ vid inskrivningen, utskrivna levande i perioden, inte "
            "överflyttade till annat sjukhus och utan ny inskrivning samma dag."
        ),
        unit="%",
        direction="lower",
        default_target=_relative(-0.20, "2024"),
        source_tables=("hospital_stays",),
        cadence="month",
        ci_method="wilson",
        theme="Sjukhusvård",
        sex_breakdown=True,
        value_kind="proportion",
        lookahead_days=30,
    ),
    Indicator(
        id="ed_visits_80_per_1000",
        name_sv="Besök på akutmottagning, 80 år och äldre, per 1 000 invånare",
        definition_sv=(
            "Besök på enheten akutmottagning (inte MALT) av personer 80 år och äldre vid ankomsten, med "
            "ankomstdatum i perioden, per 1 000 invånare 80+ i kommunen, omräknat till helår. "
            + RATE_SV
            + " "
            + ALL_SV
        ),
        numerator_sv="Besök på akutmottagning av personer 80+ (ålder vid ankomst) med ankomst i perioden.",
        denominator_sv="Befolkning 80 år och äldre (80–84, 85–89, 90+) i kommunen det året.",
        unit="per 1 000 inv. 80+ och år",
        direction="lower",
        default_target=_relative(-0.20, "2024"),
        source_tables=("ed_visits", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Sjukhusvård",
        sex_breakdown=True,
        value_kind="rate",
        population_bands=_BANDS_80,
    ),
    Indicator(
        id="sip_coverage_home_care",
        reference_day=True,
        lookback_days=364,
        name_sv="Andel inskrivna i hälso- och sjukvård i hemmet med giltig SIP",
        definition_sv=(
            "Av personerna som är inskrivna i hälso- och sjukvård i hemmet på referensdagen d, andelen som "
            "har en SIP hållen inom 365 dagar fram till d. Inskriven på d: startdatum ≤ d och slutdatum "
            "tomt eller ≥ d (en inskrivning som slutar på d räknas). Varje person räknas en gång, i kommunen "
            "för den inskrivning som startade senast; en SIP räknas oavsett vilken kommun som registrerat "
            "den. " + WINDOW_365_SV + " " + PERIOD_SV
        ),
        numerator_sv="Inskrivna personer med en SIP (sip_date) inom d−364 … d.",
        denominator_sv="Personer inskrivna på referensdagen d.",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 70.0),
        source_tables=("home_care_enrolments", "sip"),
        cadence="month",
        ci_method="wilson",
        theme="Sköra äldre och SIP",
        sex_breakdown=True,
        value_kind="proportion",
    ),
    Indicator(
        id="sip_followup_90d",
        name_sv="Andel SIP uppföljda inom 90 dagar",
        definition_sv=(
            "Av de SIP som hållits i perioden och vars 90:e dag (SIP-datum + 90 dagar) har passerats av "
            "datans slutdatum, andelen som följts upp senast SIP-datum + 90 dagar. Perioden är ofullständig "
            "tills 90 dagar efter periodens slut finns i datan; SIP vars 90:e dag ännu inte passerats räknas "
            "inte. Kommun: den som registrerat SIP:en."
        ),
        numerator_sv="SIP med uppföljningsdatum ≤ SIP-datum + 90 dagar.",
        denominator_sv="SIP med SIP-datum i perioden och SIP-datum + 90 dagar ≤ datans slutdatum.",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 90.0),
        source_tables=("sip",),
        cadence="month",
        ci_method="wilson",
        theme="Sköra äldre och SIP",
        sex_breakdown=False,
        value_kind="proportion",
        lookahead_days=90,
    ),
    Indicator(
        id="cfs56_with_sip",
        reference_day=True,
        lookback_days=364,
        name_sv="Andel sköra äldre (CFS 5–6) med giltig SIP",
        definition_sv=(
            "Av personerna vars senaste CFS-skattning inom 365 dagar fram till referensdagen d har värdet 5 "
            "eller 6, andelen med en SIP hållen inom 365 dagar fram till d. En senare skattning ersätter en "
            "äldre (två samma dag: den med högst skattnings-id). Kommun: den senaste skattningens. "
            + WINDOW_365_SV
            + " "
            + PERIOD_SV
        ),
        numerator_sv="Av dem: personer med en SIP (sip_date) inom d−364 … d, oavsett registrerande kommun.",
        denominator_sv="Personer vars senaste CFS-skattning inom d−364 … d är 5 eller 6.",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 70.0),
        source_tables=("cfs_assessments", "sip"),
        cadence="month",
        ci_method="wilson",
        theme="Sköra äldre och SIP",
        sex_breakdown=False,
        value_kind="proportion",
    ),
    Indicator(
        id="home_visit_median_hours_day",
        name_sv="Tid till läkarbedömning i hemmet, dagtid (median, timmar)",
        definition_sv=(
            "Median av tiden (timmar) från begäran till läkarbedömning i hemmet för akuta behov som begärts "
            "dagtid i perioden och bedömts (alla team). Antalet ej bedömda begäranden redovisas bredvid. "
            + DAGTID_SV
            + " "
            + ELAPSED_SV
            + " Totalen (ALL) är medianen över alla kommuners händelser."
        ),
        numerator_sv="–",
        denominator_sv="Antal bedömda akuta begäranden dagtid (underlaget för medianen).",
        unit="timmar",
        direction="lower",
        default_target=_absolute("<", 24.0),
        source_tables=("home_visits",),
        cadence="month",
        ci_method="order_statistic",
        theme="Hembesök",
        sex_breakdown=False,
        value_kind="median",
    ),
    Indicator(
        id="home_visit_median_hours_offhours",
        name_sv="Tid till läkarbedömning i hemmet, jourtid (median, timmar)",
        definition_sv=(
            "Median av tiden (timmar) från begäran till läkarbedömning i hemmet för akuta behov som begärts "
            "jourtid i perioden och bedömts (alla team). Antalet ej bedömda begäranden redovisas bredvid. "
            + DAGTID_SV
            + " "
            + ELAPSED_SV
            + " Totalen (ALL) är medianen över alla kommuners händelser."
        ),
        numerator_sv="–",
        denominator_sv="Antal bedömda akuta begäranden jourtid (underlaget för medianen).",
        unit="timmar",
        direction="lower",
        default_target=_absolute("<", 8.0),
        source_tables=("home_visits",),
        cadence="month",
        ci_method="order_statistic",
        theme="Hembesök",
        sex_breakdown=False,
        value_kind="median",
    ),
    Indicator(
        id="home_visit_within_24h_day",
        name_sv="Andel akuta hembesök dagtid bedömda av PALT inom 24 h",
        definition_sv=(
            "Av akuta begäranden om läkarbedömning i hemmet som gjorts dagtid i perioden, andelen som "
            "bedömts av PALT inom 24 timmar (≤ 24 h) från begäran. Ej bedömda begäranden ingår i nämnaren. "
            + DAGTID_SV
            + " "
            + ELAPSED_SV
        ),
        numerator_sv="Begäranden bedömda av team PALT med bedömningstid − begäranstid ≤ 24 h.",
        denominator_sv="Akuta begäranden dagtid i perioden (även ej bedömda).",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 80.0),
        source_tables=("home_visits",),
        cadence="month",
        ci_method="wilson",
        theme="Hembesök",
        sex_breakdown=False,
        value_kind="proportion",
    ),
    Indicator(
        id="home_visit_within_8h_offhours",
        name_sv="Andel akuta hembesök jourtid bedömda av PALT/MALT inom 8 h",
        definition_sv=(
            "Av akuta begäranden om läkarbedömning i hemmet som gjorts jourtid i perioden, andelen som "
            "bedömts av PALT eller MALT inom 8 timmar (≤ 8 h) från begäran. Ej bedömda begäranden ingår i "
            "nämnaren. " + DAGTID_SV + " " + ELAPSED_SV
        ),
        numerator_sv="Begäranden bedömda av team PALT eller MALT med bedömningstid − begäranstid ≤ 8 h.",
        denominator_sv="Akuta begäranden jourtid i perioden (även ej bedömda).",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 60.0),
        source_tables=("home_visits",),
        cadence="month",
        ci_method="wilson",
        theme="Hembesök",
        sex_breakdown=False,
        value_kind="proportion",
    ),
    Indicator(
        id="discharge_care_plan_75",
        name_sv="Andel utskrivningar 75+ med komplett medicinsk vårdplan",
        definition_sv=(
            "Av vårdtillfällen för personer 75 år och äldre (vid inskrivning) som skrivits ut i perioden till "
            "hem, särskilt boende eller korttidsplats och där uppgiften om komplett vårdplan är ifylld, "
            "andelen med komplett medicinsk vårdplan (uppdaterad läkemedelslista och PUD i SAMSA). "
            "Saknas uppgiften för alla en kommuns vårdtillfällen redovisas kommunen som saknar underlag. "
            + DISCHARGED_SV
        ),
        numerator_sv="Vårdtillfällen med care_plan_complete = sant.",
        denominator_sv=(
            "Vårdtillfällen 75+ utskrivna i perioden till hem, sarskilt_boende eller korttid med "
            "care_plan_complete ifyllt."
        ),
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 90.0),
        source_tables=("hospital_stays",),
        cadence="month",
        ci_method="wilson",
        theme="Utskrivning",
        sex_breakdown=True,
        value_kind="proportion",
    ),
    Indicator(
        id="discharge_followup_72h_75",
        name_sv="Andel utskrivningar 75+ med telefonuppföljning inom 72 h",
        definition_sv=(
            "Av vårdtillfällen för personer 75 år och äldre (vid inskrivning) som skrivits ut till hem i "
            "perioden, andelen med telefonuppföljning från vårdcentralen inom 72 timmar efter utskrivningen "
            "(0 ≤ uppföljningstid − utskrivningstid ≤ 72 h). Saknas uppföljningstid för alla en kommuns "
            "vårdtillfällen redovisas kommunen som saknar underlag. Perioden är ofullständig tills tre dagar "
            "efter periodens slut finns i datan. " + DISCHARGED_SV + " " + ELAPSED_SV
        ),
        numerator_sv="Vårdtillfällen med followup_call_time inom 72 h efter discharge_time.",
        denominator_sv="Vårdtillfällen 75+ utskrivna till hem i perioden.",
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 85.0),
        source_tables=("hospital_stays",),
        cadence="month",
        ci_method="wilson",
        theme="Utskrivning",
        sex_breakdown=True,
        value_kind="proportion",
        lookahead_days=3,
    ),
    Indicator(
        id="acute_bed_days_75_per_1000",
        name_sv="Akuta slutenvårdsdagar 75+ per 1 000 invånare",
        definition_sv=(
            "Vårddagar (utskrivningsdatum − inskrivningsdatum, minst 1) för akuta vårdtillfällen för personer "
            "75 år och äldre (vid inskrivning) som skrivits ut i perioden, per 1 000 invånare 75+, omräknat "
            "till helår. Hela vårdtillfällets dagar räknas i utskrivningsperioden. " + RATE_SV + " " + ALL_SV
        ),
        numerator_sv="Summa vårddagar för akuta vårdtillfällen 75+ utskrivna i perioden.",
        denominator_sv="Befolkning 75 år och äldre (75–79, 80–84, 85–89, 90+) i kommunen det året.",
        unit="dagar per 1 000 inv. 75+ och år",
        direction="lower",
        default_target=_relative(-0.20, "2024"),
        source_tables=("hospital_stays", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Sjukhusvård",
        sex_breakdown=True,
        value_kind="rate",
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="frequent_attenders",
        reference_day=True,
        lookback_days=364,
        name_sv="Antal mångsökare",
        definition_sv=(
            "Personer som på referensdagen d har minst 3 vårdcentralskontakter (alla kontakttyper) inom "
            "d−29 … d eller minst 4 besök på akutmottagning (inte MALT) inom d−364 … d. Varje person räknas "
            "en gång per period, i kommunen för den senaste händelse som gör personen till mångsökare "
            "(lika tid: vårdcentralskontakten, därefter högst id). Kön tas från den senaste sådana händelse som har kön "
            "angivet; okänt kön räknas bara i totalen. Per vårdcentral: den vårdcentral där personens senaste "
            "vårdcentralskontakt fram till d gjordes. " + PERIOD_SV
        ),
        numerator_sv="Antal mångsökare på referensdagen d.",
        denominator_sv="–",
        unit="antal",
        direction="lower",
        default_target=None,
        source_tables=("primary_care_contacts", "ed_visits"),
        cadence="month",
        ci_method="garwood",
        theme="Mångsökare",
        sex_breakdown=True,
        value_kind="count",
    ),
    Indicator(
        id="mal_mangsokare_ej_inskrivna",
        reference_day=True,
        lookback_days=364,
        name_sv="Mångsökare 75+ utan inskrivning i kommunal primärvård",
        definition_sv=(
            "Personer som på referensdagen d är mångsökare (minst 3 vårdcentralskontakter, alla kontakttyper, "
            "inom d−29 … d, eller minst 4 besök på akutmottagning (inte MALT) inom d−364 … d), är 75 år eller "
            "äldre på d och inte är inskrivna på d (en inskrivning som slutar på d räknas som inskriven, en som "
            "slutar d−1 inte). Kommun: den för personens senaste vårdcentralskontakt eller akutbesök (alla "
            "enheter) fram till d (lika tid: vårdcentralskontakten, därefter högst id). "
            + COHORT_SV
            + " "
            + POINT_RATE_SV
            + " "
            + PERIOD_SV
            + " "
            + ALL_SV
        ),
        numerator_sv="Personer i målgruppen på referensdagen d (75+ vid år(d) − födelseår, inte inskrivna på d).",
        denominator_sv=POP_75_SV,
        unit="per 1 000 inv. 75+",
        direction="lower",
        default_target=None,
        source_tables=("primary_care_contacts", "ed_visits", "home_care_enrolments", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="rate_point",
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="mal_akut_ej_inlagd",
        name_sv="Personer 75+ på akutmottagningen som inte lagts in",
        definition_sv=(
            "Personer med minst ett besök på enheten akutmottagning (inte MALT) med ankomstdatum i perioden "
            "som inte ledde till inläggning (inlagd = falskt), 75 år eller äldre vid ankomsten "
            "(år(ankomst) − födelseår). "
            + PER_PERIOD_SV
            + " "
            + COHORT_SV
            + " "
            + POINT_RATE_SV
            + " "
            + ALL_SV
        ),
        numerator_sv="Personer 75+ med minst ett besök på akutmottagning i perioden som inte lett till inläggning.",
        denominator_sv=POP_75_SV,
        unit="per 1 000 inv. 75+",
        direction="lower",
        default_target=None,
        source_tables=("ed_visits", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="rate_point",
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="mal_samsa_ej_inskrivna",
        name_sv="Utskrivna 75+ med vårdplan i SAMSA men utan inskrivning",
        definition_sv=(
            "Personer med minst ett vårdtillfälle som skrivits ut till hem i perioden (utskrivningsdatum x), "
            "75 år eller äldre vid inskrivningen (år(inskrivning) − födelseår), med komplett vårdplan "
            "(care_plan_complete = sant), och som inte är inskrivna i kommunal primärvård någon dag av "
            "x … x+14 (en inskrivning som startar dag 14 efter utskrivningen räknas som inskrivning, en som "
            "startar dag 15 inte; en som slutade dagen före x inte). En utskrivning vars 14:e dag (x+14) "
            "ligger efter datans slutdatum räknas ännu inte, och perioden är ofullständig tills 14 dagar "
            "efter periodens slut finns i datan. Saknas uppgiften om vårdplan för alla en kommuns "
            "vårdtillfällen redovisas kommunen som saknar underlag. "
            + PER_PERIOD_SV
            + " "
            + COHORT_SV
            + " "
            + POINT_RATE_SV
            + " "
            + ALL_SV
        ),
        numerator_sv=(
            "Personer 75+ utskrivna till hem i perioden med komplett vårdplan och utan inskrivning inom "
            "x … x+14."
        ),
        denominator_sv=POP_75_SV,
        unit="per 1 000 inv. 75+",
        direction="lower",
        default_target=None,
        source_tables=("hospital_stays", "home_care_enrolments", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="rate_point",
        lookahead_days=14,
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="mal_korttid_ej_inskrivna",
        name_sv="Hemgång från korttidsplats 75+ utan inskrivning",
        definition_sv=(
            "Personer med minst en korttidsvistelse med slutdatum x i perioden och utskrivna till hem, "
            "75 år eller äldre på x (år(x) − födelseår), som inte är inskrivna i kommunal primärvård någon "
            "dag av x … x+14. En vistelse vars x+14 ligger efter datans slutdatum räknas ännu inte, och "
            "perioden är ofullständig tills 14 dagar efter periodens slut finns i datan. "
            + PER_PERIOD_SV
            + " "
            + COHORT_SV
            + " "
            + POINT_RATE_SV
            + " "
            + ALL_SV
        ),
        numerator_sv="Personer 75+ hem från korttidsplats i perioden utan inskrivning inom x … x+14.",
        denominator_sv=POP_75_SV,
        unit="per 1 000 inv. 75+",
        direction="lower",
        default_target=None,
        source_tables=("short_term_stays", "home_care_enrolments", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="rate_point",
        lookahead_days=14,
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="mal_akuta_insatser_hemma",
        name_sv="Personer 75+ med insats av MALT eller ambulans",
        definition_sv=(
            "Personer 75 år eller äldre vid ankomsten (år(ankomst) − födelseår) med minst ett besök "
            "(ed_visits) i perioden vars enhet är MALT eller vars ankomstsätt är ambulans. En kommun som "
            "aldrig fyller i ankomstsätt redovisas som saknar underlag. "
            + PER_PERIOD_SV
            + " "
            + COHORT_SV
            + " "
            + POINT_RATE_SV
            + " "
            + ALL_SV
        ),
        numerator_sv="Personer 75+ med minst ett besök av MALT eller med ambulans i perioden.",
        denominator_sv=POP_75_SV,
        unit="per 1 000 inv. 75+",
        direction="lower",
        default_target=None,
        source_tables=("ed_visits", "population"),
        cadence="month",
        ci_method="garwood",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="rate_point",
        population_bands=_BANDS_75,
    ),
    Indicator(
        id="mal_fangade_60d",
        lookback_days=364,
        name_sv="Andel nya mångsökare 75+ som nåtts inom 60 dagar",
        definition_sv=(
            "Nämnare: personer som går in i målgruppen Mångsökare 75+ utan inskrivning en dag x i perioden, "
            "dvs. tillhör den dag x men inte dag x−1 (också när personen fyller 75 enligt födelseåret den "
            "1 januari eller när en inskrivning har slutat). Täljare: av dem, de som har en SIP hållen eller "
            "en inskrivning i kommunal primärvård som startar någon dag av x … x+60 (oavsett kommun). En "
            "person som går in flera gånger i perioden räknas en gång, efter det första inträdet. Ett "
            "inträde vars 60:e dag (x+60) ligger efter datans slutdatum räknas ännu inte, och perioden är "
            "ofullständig tills 60 dagar efter periodens slut finns i datan. Kommun: personens kommun i "
            "målgruppen på inträdesdagen x. Under datans första år kan inträden vara felaktigt daterade, "
            "eftersom kontakter och akutbesök före datans början saknas. " + COHORT_SV
        ),
        numerator_sv="Nya mångsökare 75+ med SIP eller start av inskrivning inom x … x+60.",
        denominator_sv=(
            "Personer som går in i målgruppen Mångsökare 75+ utan inskrivning en dag x i perioden, med "
            "x+60 ≤ datans slutdatum (första inträdet i perioden)."
        ),
        unit="%",
        direction="higher",
        default_target=_absolute(">=", 50.0),
        source_tables=("primary_care_contacts", "ed_visits", "home_care_enrolments", "sip"),
        cadence="month",
        ci_method="wilson",
        theme="Målgrupper",
        spc_chart="run",
        sex_breakdown=True,
        value_kind="proportion",
        lookahead_days=60,
    ),
)

INDICATORS: dict[str, Indicator] = {ind.id: ind for ind in _LIST}


def get(indicator_id: str) -> Indicator:
    try:
        return INDICATORS[indicator_id]
    except KeyError:
        known = ", ".join(INDICATORS)
        raise KeyError(f"unknown indicator {indicator_id!r}; known: {known}") from None


def _check(ind: Indicator) -> None:
    """Invariants checked at import time, so that a bad entry can never ship."""
    problems = []
    if ind.theme not in THEMES:
        problems.append(f"theme {ind.theme!r} not in {THEMES}")
    if ind.cadence not in CADENCES:
        problems.append(f"cadence {ind.cadence!r} not in {CADENCES}")
    if ind.ci_method not in CI_METHODS:
        problems.append(f"ci_method {ind.ci_method!r} not in {tuple(CI_METHODS)}")
    if ind.direction not in ("higher", "lower"):
        problems.append(f"direction {ind.direction!r}")
    if ind.value_kind not in VALUE_KINDS:
        problems.append(f"value_kind {ind.value_kind!r} not in {VALUE_KINDS}")
    if ind.spc_chart is not None and ind.spc_chart not in CHART_TYPES:
        problems.append(f"spc_chart {ind.spc_chart!r} not in {CHART_TYPES}")
    unknown = [t for t in ind.source_tables if t not in TABLES]
    if unknown:
        problems.append(f"unknown source tables {unknown}")
    is_rate = ind.value_kind in RATE_KINDS
    if is_rate != bool(ind.population_bands) or (is_rate and "population" not in ind.source_tables):
        problems.append("a rate (and only a rate) needs population_bands and the population table")
    t = ind.default_target
    if t is not None:
        if t.get("kind") == "absolute":
            if set(t) != {"kind", "operator", "value"} or t["operator"] not in TARGET_OPERATORS:
                problems.append(f"bad absolute target {t}")
        elif t.get("kind") != "relative" or set(t) != {"kind", "change", "baseline_period"}:
            problems.append(f"bad target {t}")
    if problems:
        raise ValueError(f"registry entry {ind.id}: " + "; ".join(problems))


for _ind in _LIST:
    _check(_ind)
