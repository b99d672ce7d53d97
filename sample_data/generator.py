"""Deterministic synthetic data for the Nära vård indicator view.

``generate()`` simulates a population of persons aged 55+ in the chosen
municipalities and their contacts with hospital, ED, municipal home care,
SIP, frailty assessments, home visits, primary care and short-term care over
``months`` months ending on ``end_date``. Everything is vectorised with numpy
(one pass per event type over all persons), driven by a single
``numpy.random.Generator`` seeded with ``seed`` and consumed in a fixed order,
so the same arguments give the same frames and, through ``write()``, the same
bytes. The model, its rates and the three dated interventions are described in
``sample_data/README.md``.

Times are handled as int64 minutes since 1970-01-01 (naive local Swedish
time) and days since 1970-01-01; they become ``datetime64[us]`` only when the
frames are built. No generated timestamp falls in the non-existent hour of the
spring DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from data_access.contract import AGE_BANDS, SEXES, TABLES
from sample_data.places import Municipality, municipalities
from sample_data.writer import civil_from_days, write

__all__ = ["DEFAULT_END_DATE", "INTERVENTIONS", "Intervention", "generate", "write"]

DEFAULT_END_DATE = date(2026, 10, 31)
EPOCH = date(1970, 1, 1)
MIN_PER_DAY = 1440
DAYS_PER_YEAR = 365.2425
MIN_PER_YEAR = MIN_PER_DAY * DAYS_PER_YEAR
LOOKBACK_DAYS = 365  # SIP and CFS history before the window (for "valid within 365 days")
_KEY = 10**8  # person * _KEY + minute is a sortable (person, time) key
NEVER = np.int64(2**62)


@dataclass(frozen=True)
class Intervention:
    municipality_code: str
    start: date
    name: str
    effects: str


INTERVENTIONS: tuple[Intervention, ...] = (
    Intervention(
        "1463",
        date(2025, 3, 1),
        "Strukturerad hemgång (Mark)",
        "30-day readmission risk after discharge × 0.5, complete care plan 70 % → 92 %, "
        "follow-up call within 72 h 62 % → 90 %, home-visit waiting times × 0.55 and more PALT, "
        "outreach SIP to new frequent attenders 75+ 12 % → 62 % (ramped over six months)",
    ),
    Intervention(
        "1491",
        date(2025, 9, 1),
        "Proaktiv SIP och skörhetsskattning (Ulricehamn)",
        "SIP rate × 3 (enrolled and frail persons), SIP followed up within 90 days 50 % → 88 %, "
        "CFS assessments × 2, outreach SIP to new frequent attenders 75+ 12 % → 62 % (ramped over six months)",
    ),
    Intervention(
        "1490",
        date(2025, 11, 1),
        "Utökat MALT (Borås)",
        "MALT visits × 2.5, ED (akutmottagning) visits by persons 75+ × 0.85",
    ),
)

# --- contract enumerations (never spelled out twice) -------------------------------------------


def _allowed(table: str, column: str) -> tuple[str, ...]:
    allowed = TABLES[table].column_map[column].allowed
    assert allowed is not None
    return allowed


HOSP_DTO = _allowed("hospital_stays", "discharge_to")
HOSP_TYPE = _allowed("hospital_stays", "admission_type")
ED_UNIT = _allowed("ed_visits", "unit")
ED_MODE = _allowed("ed_visits", "arrival_mode")
HV_TEAM = _allowed("home_visits", "team")
PCC_TYPE = _allowed("primary_care_contacts", "contact_type")
STS_DTO = _allowed("short_term_stays", "discharge_to")

HEM, SABO, KORTTID, TRANSFER, DEAD, ANNAT = (
    HOSP_DTO.index(x) for x in ("hem", "sarskilt_boende", "korttid", "annat_sjukhus", "avliden", "annat")
)
AKUTMOTTAGNING, MALT = ED_UNIT.index("akutmottagning"), ED_UNIT.index("MALT")
AKUT, PLANERAD = HOSP_TYPE.index("akut"), HOSP_TYPE.index("planerad")

# --- model parameters ---------------------------------------------------------------------------

# Age bands: shares of the population at an 80+ share of 5.45 %, yearly growth, share of women.
BAND_SHARE = np.array([0.795, 0.105, 0.048, 0.030, 0.016, 0.0085])
BAND_GROWTH = np.array([0.003, -0.008, 0.02, 0.05, 0.02, 0.01])
BAND_FEMALE = np.array([0.49, 0.505, 0.53, 0.56, 0.61, 0.70])
PERSONS_UNDER_65_FRACTION = 0.15  # ages 55-64 as a share of the 0-64 band: simulated persons
FRAILTY_SHAPE = 0.6  # gamma(shape, 1/shape): mean 1, heavy right tail (frequent attenders)

# Hour-of-day weights.
ED_HOURS = np.array(
    [0.35, 0.3, 0.25, 0.22, 0.22, 0.25, 0.4, 0.7, 1.1, 1.4, 1.55, 1.55,
     1.5, 1.45, 1.4, 1.35, 1.3, 1.3, 1.25, 1.1, 0.95, 0.8, 0.6, 0.45]
)  # fmt: skip
MALT_HOURS = np.array([0.0] * 8 + [1.0] * 12 + [0.6, 0.3] + [0.0] * 2)
PLANNED_HOURS = np.array([0.0] * 7 + [1.0, 1.0, 0.6, 0.3] + [0.0] * 13)
DISCHARGE_HOURS = np.array(
    [0.0] * 8 + [0.3, 0.8, 1.2, 1.4, 1.4, 1.3, 1.2, 1.0, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05, 0.0, 0.0]
)
TRANSFER_HOURS = np.array(
    [0.0] * 8 + [0.6, 1.0, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.7, 0.5, 0.3, 0.2, 0.0, 0.0, 0.0, 0.0]
)
OFFICE_HOURS = np.array([0.0] * 8 + [1.0, 1.2, 1.2, 0.8, 0.9, 1.1, 1.1, 0.9, 0.5] + [0.0] * 7)
DIGITAL_HOURS = np.array(
    [0.0] * 7 + [0.5, 1.0, 1.0, 1.0, 0.9, 0.9, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 0.5, 0.3, 0.0, 0.0]
)
HV_HOURS_WEEKDAY = np.array(
    [0.35, 0.3, 0.25, 0.25, 0.25, 0.3, 0.45, 0.8, 1.5, 1.7, 1.7, 1.6,
     1.5, 1.5, 1.5, 1.4, 1.3, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6, 0.45]
)  # fmt: skip
HV_HOURS_WEEKEND = np.array(
    [0.45, 0.4, 0.35, 0.3, 0.3, 0.35, 0.5, 0.8, 1.2, 1.4, 1.4, 1.3,
     1.3, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
)  # fmt: skip
ED_WEEKDAY = np.array([1.12, 1.0, 0.98, 0.98, 1.0, 0.9, 0.92])  # Monday first
SEASON_AMPLITUDE = 0.15  # +15 % around 20 January, -15 % in July

# Hospital discharge destinations (hem, sarskilt_boende, korttid, annat_sjukhus, annat) by age group.
DTO_CHOICES = np.array([HEM, SABO, KORTTID, TRANSFER, ANNAT])
DTO_PROBS = np.array(
    [
        [0.86, 0.015, 0.04, 0.04, 0.045],  # < 75
        [0.79, 0.035, 0.10, 0.035, 0.04],  # 75-84
        [0.72, 0.07, 0.14, 0.03, 0.04],  # 85+
    ]
)
READMIT_MEAN_DAYS = 9.0
# Short-term stays directly from home (växelvård/respite and the like), per year at 85 × e^0.08·(age−85) × z.
STS_DIRECT_RATE = 0.03
HOSPITAL_DEATH_SHARE = 0.38
KORTTID_DEATH_SHARE = 0.10

MARK, ULRICEHAMN, BORAS = (i.municipality_code for i in INTERVENTIONS)
MARK_READMIT_FACTOR = 0.5
MARK_HV_DELAY_FACTOR = 0.55
ULRICEHAMN_SIP_FACTOR = 3.0
ULRICEHAMN_CFS_FACTOR = 2.0
BORAS_MALT_FACTOR = 2.5
BORAS_ED75_FACTOR = 0.85
# Outreach to new frequent attenders 75+ not enrolled (mal_fangade_60d): the probability of a SIP
# 5-50 days after the entry; in Mark and Ulricehamn it rises after the intervention, linearly over
# OUTREACH_RAMP_DAYS, to OUTREACH_AFTER.
OUTREACH_BASE = 0.12
OUTREACH_AFTER = 0.62
OUTREACH_RAMP_DAYS = 183
OUTREACH_MUNICIPALITIES = (MARK, ULRICEHAMN)
# Frequent attender: >= 3 primary care contacts in 30 days or >= 4 ED visits in 365 days.
FA_PCC, FA_PCC_DAYS, FA_ED, FA_ED_DAYS = 3, 30, 4, 365


def _day(d: date) -> int:
    return (d - EPOCH).days


def _window_start(end_date: date, months: int) -> date:
    total = end_date.year * 12 + end_date.month - 1 - (months - 1)
    return date(total // 12, total % 12 + 1, 1)


def _choice(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights / weights.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right")


def _rowwise_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (n × k); returns column indices."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    return (rng.random(len(probs))[:, None] >= cum).sum(axis=1)


def _non_overlapping(person: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Mask keeping, per person, intervals that start at/after every earlier interval's end."""
    order = np.lexsort((start, person))
    ks = person[order] * _KEY + start[order]
    ke = person[order] * _KEY + end[order]
    prev = np.concatenate(([-1], np.maximum.accumulate(ke)[:-1]))
    keep = np.empty(len(person), dtype=bool)
    keep[order] = ks >= prev
    return keep


class _Intervals:
    """Non-overlapping intervals per person, for point-in-interval and next-start queries."""

    def __init__(self, person: np.ndarray, start: np.ndarray, end: np.ndarray):
        order = np.lexsort((start, person))
        self.person = person[order]
        self.start = start[order]
        self.end = end[order]
        self.key = self.person * _KEY + self.start

    def containing(self, person: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Index (sorted order) of the interval with start <= t < end, or -1."""
        if len(self.key) == 0:
            return np.full(len(person), -1)
        j = np.searchsorted(self.key, person * _KEY + t, side="right") - 1
        jj = np.maximum(j, 0)
        ok = (j >= 0) & (self.person[jj] == person) & (t < self.end[jj])
        return np.where(ok, jj, -1)

    def last_before(self, person: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Index of the person's latest interval starting before t, or -1."""
        if len(self.key) == 0:
            return np.full(len(person), -1)
        j = np.searchsorted(self.key, person * _KEY + t, side="left") - 1
        jj = np.maximum(j, 0)
        return np.where((j >= 0) & (self.person[jj] == person), jj, -1)

    def first_from(self, person: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Index of the person's first interval starting at or after t, or -1."""
        if len(self.key) == 0:
            return np.full(len(person), -1)
        j = np.searchsorted(self.key, person * _KEY + t, side="left")
        jj = np.minimum(j, len(self.key) - 1)
        return np.where((j < len(self.key)) & (self.person[jj] == person), jj, -1)


@dataclass
class _Stays:
    person: np.ndarray
    adm: np.ndarray
    dis: np.ndarray
    dto: np.ndarray
    planned: np.ndarray
    ed_arrival: np.ndarray  # -1: no ED visit before the admission
    ed_unit: np.ndarray

    def take(self, mask: np.ndarray) -> _Stays:
        return _Stays(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: list[_Stays]) -> _Stays:
        return _Stays(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Stays.__dataclass_fields__))


class _Simulation:
    def __init__(self, months: int, seed: int, scale: float, end_date: date):
        if months < 1:
            raise ValueError("months must be >= 1")
        self.rng = np.random.default_rng(seed)
        self.munis: list[Municipality] = municipalities(scale, seed)
        self.end_date = end_date
        self.start_date = _window_start(end_date, months)
        self.t0_day = _day(self.start_date)
        self.end_day = _day(end_date)
        self.look_day = self.t0_day - LOOKBACK_DAYS
        self.t0 = np.int64(self.t0_day * MIN_PER_DAY)
        self.tend = np.int64((self.end_day + 1) * MIN_PER_DAY)  # exclusive
        # Population: every year the data span (incl. the SIP/CFS look-back), plus the previous one.
        first_year = (self.start_date - timedelta(days=LOOKBACK_DAYS)).year - 1
        self.years = list(range(first_year, end_date.year + 1))
        # DST: the hour 02:00-02:59 on the last Sunday of March does not exist.
        gap = []
        for y in range(self.years[0], self.years[-1] + 2):
            last = date(y, 3, 31)
            sunday = last - timedelta(days=(last.weekday() - 6) % 7)
            gap.append(_day(sunday) * 24 + 2)
        self.gap_hours = np.array(gap, dtype=np.int64)
        # Day tables, indexed by day - self.day_lo.
        self.day_lo = self.look_day - 1
        days = np.arange(self.day_lo, self.end_day + 400, dtype=np.int64)
        _, month, dom = civil_from_days(days)
        as_date = days.astype("datetime64[D]")
        doy = (as_date - as_date.astype("datetime64[Y]")).astype(np.int64)
        self.season = 1.0 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (doy - 20) / DAYS_PER_YEAR)
        self.weekday = (days + 3) % 7  # Monday = 0
        summer = (month == 7) | ((month == 8) & (dom <= 14))
        christmas = ((month == 12) & (dom >= 20)) | ((month == 1) & (dom <= 6))
        self.planned_factor = np.where(
            self.weekday >= 5, 0.0, np.where(summer, 0.35, np.where(christmas, 0.3, 1.0))
        )
        self.muni_index = {m.code: i for i, m in enumerate(self.munis)}
        self.intervention_day = {i.municipality_code: _day(i.start) for i in INTERVENTIONS}

    # --- small helpers --------------------------------------------------------------------------

    def fix_gap(self, t: np.ndarray) -> np.ndarray:
        return t + 60 * np.isin(t // 60, self.gap_hours)

    def tod(self, n: int, hours: np.ndarray) -> np.ndarray:
        return _choice(self.rng, n, hours) * 60 + self.rng.integers(0, 60, n)

    def dayidx(self, day: np.ndarray) -> np.ndarray:
        return day - self.day_lo

    def after(self, code: str, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        idx = self.muni_index.get(code)
        if idx is None:
            return np.zeros(len(person), dtype=bool)
        return (self.p_muni[person] == idx) & (day >= self.intervention_day[code])

    def candidates(
        self, rate: np.ndarray, start: np.ndarray, end: np.ndarray, max_mult: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Homogeneous Poisson candidates per unit: (unit index, minute)."""
        span = np.maximum(end - start, 0)
        n = self.rng.poisson(rate * max_mult * span / MIN_PER_YEAR)
        idx = np.repeat(np.arange(len(n)), n)
        t = start[idx] + np.floor(self.rng.random(idx.size) * span[idx]).astype(np.int64)
        return idx, t

    def keep(self, prob: np.ndarray | float, n: int) -> np.ndarray:
        return self.rng.random(n) < prob

    def retime(
        self, idx: np.ndarray, t: np.ndarray, hours: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """New time of day (same day) from an hour profile; drops events leaving [start, end)."""
        t2 = self.fix_gap(t // MIN_PER_DAY * MIN_PER_DAY + self.tod(len(t), hours))
        ok = (t2 >= start[idx]) & (t2 < end[idx])
        return idx[ok], t2[ok]

    def age(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        y, m, d = civil_from_days(day)
        return y - self.b_year[person] - ((m * 100 + d) < self.b_md[person])

    def lognormal(self, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
        return np.exp(np.log(median) + sigma * self.rng.standard_normal(n))

    # --- population and persons -----------------------------------------------------------------

    def population(self) -> pd.DataFrame:
        rng = self.rng
        base_year = self.end_date.year - 1
        n_m, n_y, n_b = len(self.munis), len(self.years), len(AGE_BANDS)
        counts = np.zeros((n_m, n_y, n_b, 2), dtype=np.int64)
        years = np.array(self.years)
        for i, m in enumerate(self.munis):
            older = BAND_SHARE[1:] * (m.share_80 / BAND_SHARE[3:].sum())
            shares = np.concatenate(([1.0 - older.sum()], older))
            growth = (1.0 + BAND_GROWTH)[None, :] ** (years - base_year)[:, None]
            noise = 1.0 + 0.004 * rng.standard_normal((n_y, n_b))
            total = m.size * shares[None, :] * growth * noise
            female = np.round(total * BAND_FEMALE[None, :])
            counts[i, :, :, 0] = female
            counts[i, :, :, 1] = np.round(total) - female
        self.pop_counts = counts
        mi, yi, bi, si = np.indices(counts.shape).reshape(4, -1)
        return pd.DataFrame(
            {
                "municipality_code": _text([m.code for m in self.munis], mi),
                "year": pd.array(years[yi], dtype="Int64"),
                "age_band": _text(list(AGE_BANDS), bi),
                "sex": _text(list(SEXES), si),
                "population": pd.array(counts.reshape(-1), dtype="Int64"),
            }
        )

    def persons(self) -> None:
        rng = self.rng
        yi = min(max(self.start_date.year - 1, self.years[0]), self.years[-1]) - self.years[0]
        base = self.pop_counts[:, yi, :, :].astype(float)
        frac = np.ones(len(AGE_BANDS))
        frac[0] = PERSONS_UNDER_65_FRACTION
        n = np.round(base * frac[None, :, None]).astype(np.int64)
        mi, bi, si = np.indices(n.shape).reshape(3, -1)
        flat = n.reshape(-1)
        muni = np.repeat(mi, flat)
        band = np.repeat(bi, flat)
        sex = np.repeat(si, flat)  # 0 = K, 1 = M
        P = len(muni)
        lo = np.array([55, 65, 75, 80, 85, 90], dtype=float)
        width = np.array([10, 10, 5, 5, 5, 0], dtype=float)
        age0 = lo[band] + rng.random(P) * width[band]
        old = band == len(AGE_BANDS) - 1
        age0[old] = 90 + np.minimum(rng.exponential(3.2, old.sum()), 15.9)
        # Shuffle within municipality so that ids do not follow age bands.
        order = np.lexsort((rng.random(P), muni))
        muni, sex, age0 = muni[order], sex[order], age0[order]
        self.P = P
        self.p_muni = muni
        self.p_sex = sex
        self.age0 = age0
        birth_day = self.t0_day - np.floor(age0 * DAYS_PER_YEAR).astype(np.int64) - 1
        by, bm, bd = civil_from_days(birth_day)
        self.b_year, self.b_md = by, bm * 100 + bd
        self.z = rng.gamma(FRAILTY_SHAPE, 1.0 / FRAILTY_SHAPE, P)
        self.cfs0 = np.clip(
            2.0 + 0.085 * (age0 - 65) + 1.1 * np.log(self.z) + 0.6 * rng.standard_normal(P), 1.0, 8.4
        )
        # Mortality: Gompertz in age, frailty-dependent.
        q = np.minimum(0.6, 0.04 * np.exp(0.105 * (age0 - 80)) * np.sqrt(self.z))
        years_to_death = rng.exponential(1.0 / -np.log1p(-q))
        death = self.t0 + np.floor(years_to_death * MIN_PER_YEAR).astype(np.int64)
        self.death = np.where(death < self.tend, self.fix_gap(death), NEVER)
        self.death_day = np.where(self.death < NEVER, self.death // MIN_PER_DAY, NEVER)
        u = rng.random(P)
        # 0 alive / at home or nursing home, 1 in hospital, 2 in short-term care
        self.death_place = np.where(
            u < HOSPITAL_DEATH_SHARE, 1, np.where(u < HOSPITAL_DEATH_SHARE + KORTTID_DEATH_SHARE, 2, 0)
        )
        self.exposure_end = np.minimum(self.death, self.tend)
        self.age_mid = age0 + (self.end_day - self.t0_day) / DAYS_PER_YEAR / 2
        # Listed care centre.
        names: list[str] = []
        centre = np.zeros(P, dtype=np.int64)
        bounds = np.searchsorted(muni, np.arange(len(self.munis) + 1))
        for i, m in enumerate(self.munis):
            w = np.array([c[1] for c in m.care_centres])
            a, b = bounds[i], bounds[i + 1]
            centre[a:b] = len(names) + _choice(rng, b - a, w)
            names.extend(c[0] for c in m.care_centres)
        self.centre_names = names
        self.p_centre = centre
        width_id = max(7, len(str(P)))
        self.person_ids = _id_array("P", rng.permutation(P) + 1, width_id)

    # --- hospital stays and ED visits -------------------------------------------------------------

    def new_stays(
        self,
        person: np.ndarray,
        adm: np.ndarray,
        planned: np.ndarray,
        ed_arrival: np.ndarray,
        ed_unit: np.ndarray,
    ) -> _Stays:
        rng, n = self.rng, len(person)
        age = self.age(person, adm // MIN_PER_DAY)
        median_h = np.where(planned, 60.0, 24.0 * (3.2 + 0.05 * np.clip(age - 65, 0, None)))
        los = (self.lognormal(median_h, 0.75, n) * 60).astype(np.int64)
        group = np.where(age < 75, 0, np.where(age < 85, 1, 2))
        dto = DTO_CHOICES[_rowwise_choice(rng, DTO_PROBS[group])]
        raw = adm + los
        # Transfers leave in the daytime, so the next hospital admits the same day.
        tod = np.where(dto == TRANSFER, self.tod(n, TRANSFER_HOURS), self.tod(n, DISCHARGE_HOURS))
        dis = raw // MIN_PER_DAY * MIN_PER_DAY + tod
        dis = np.where(dis >= adm + 120, dis, np.maximum(raw, adm + 180))
        return _Stays(person, adm, self.fix_gap(dis), dto, planned, ed_arrival, ed_unit)

    def readmission_probability(self, person: np.ndarray, age: np.ndarray, day: np.ndarray) -> np.ndarray:
        p = np.clip(0.115 + 0.002 * (age - 65), 0.09, 0.17)
        return np.where(self.after(MARK, person, day), p * MARK_READMIT_FACTOR, p)

    def hospital(self) -> None:
        rng = self.rng
        P = self.P
        t_start = np.full(P, self.t0)
        E = self.exposure_end
        # Background ED visits (akutmottagning).
        rate = 0.42 * np.exp(0.05 * (self.age_mid - 85)) * self.z
        max_mult = (1 + SEASON_AMPLITUDE) * ED_WEEKDAY.max()
        idx, t = self.candidates(rate, t_start, E, max_mult)
        d = self.dayidx(t // MIN_PER_DAY)
        ok = self.keep(self.season[d] * ED_WEEKDAY[self.weekday[d]] / max_mult, len(t))
        idx, t = self.retime(idx[ok], t[ok], ED_HOURS, t_start, E)
        day = t // MIN_PER_DAY
        age = self.age(idx, day)
        ok = ~(self.after(BORAS, idx, day) & (age >= 75)) | self.keep(BORAS_ED75_FACTOR, len(t))
        ed_p, ed_t, age = idx[ok], t[ok], age[ok]
        p_adm = np.clip(0.18 + 0.0075 * (age - 60) + 0.06 * np.log(self.z[ed_p]), 0.08, 0.7)
        ed_adm = self.keep(p_adm, len(ed_p))
        ed_unit = np.full(len(ed_p), AKUTMOTTAGNING)
        # MALT (physician team visiting the home).
        rate = np.where(self.age_mid >= 70, 0.025 * np.exp(0.07 * (self.age_mid - 85)) * self.z, 0.0)
        max_mult = (1 + SEASON_AMPLITUDE) * BORAS_MALT_FACTOR
        idx, t = self.candidates(rate, t_start, E, max_mult)
        day = t // MIN_PER_DAY
        boost = np.where(self.after(BORAS, idx, day), BORAS_MALT_FACTOR, 1.0)
        ok = self.keep(self.season[self.dayidx(day)] * boost / max_mult, len(t))
        idx, t = self.retime(idx[ok], t[ok], MALT_HOURS, t_start, E)
        malt_adm = self.keep(0.12, len(idx))
        ed_p = np.concatenate([ed_p, idx])
        ed_t = np.concatenate([ed_t, t])
        ed_adm = np.concatenate([ed_adm, malt_adm])
        ed_unit = np.concatenate([ed_unit, np.full(len(idx), MALT)])
        # Admissions from the ED.
        a = ed_adm
        adm = self.fix_gap(ed_t[a] + rng.integers(90, 420, a.sum()))
        parts = [self.new_stays(ed_p[a], adm, np.zeros(a.sum(), bool), ed_t[a], ed_unit[a])]
        self.ed_free = (ed_p[~a], ed_t[~a], ed_unit[~a])
        # Planned admissions.
        rate = 0.05 * np.exp(0.02 * (self.age_mid - 70)) * self.z**0.3
        idx, t = self.candidates(rate, t_start, E)
        ok = self.keep(self.planned_factor[self.dayidx(t // MIN_PER_DAY)], len(t))
        idx, t = self.retime(idx[ok], t[ok], PLANNED_HOURS, t_start, E)
        n = len(idx)
        parts.append(self.new_stays(idx, t, np.ones(n, bool), np.full(n, -1), np.zeros(n, np.int64)))
        # Transfers and readmissions, generation by generation.
        frontier = _Stays.concat(parts)
        for _ in range(6):
            new: list[_Stays] = []
            tr = frontier.take(frontier.dto == TRANSFER)
            day_end = (tr.dis // MIN_PER_DAY + 1) * MIN_PER_DAY - 1
            adm = self.fix_gap(tr.dis + np.clip(rng.integers(30, 180, len(tr.dis)), 0, day_end - tr.dis))
            n = len(adm)
            new.append(
                self.new_stays(tr.person, adm, np.zeros(n, bool), np.full(n, -1), np.zeros(n, np.int64))
            )
            alive = np.isin(frontier.dto, (HEM, SABO, KORTTID, ANNAT))
            dis_day = frontier.dis // MIN_PER_DAY
            p = self.readmission_probability(
                frontier.person, self.age(frontier.person, frontier.adm // MIN_PER_DAY), dis_day
            )
            r = alive & self.keep(p, len(p))
            n = r.sum()
            u = rng.random(n)
            k = 1 + np.floor(-READMIT_MEAN_DAYS * np.log1p(-u * (1 - np.exp(-30 / READMIT_MEAN_DAYS))))
            t = (dis_day[r] + np.minimum(k, 30).astype(np.int64)) * MIN_PER_DAY + self.tod(n, ED_HOURS)
            t = self.fix_gap(t)
            via_ed = self.keep(0.8, n)
            adm = self.fix_gap(np.where(via_ed, t + rng.integers(90, 420, n), t))
            new.append(
                self.new_stays(
                    frontier.person[r], adm, np.zeros(n, bool), np.where(via_ed, t, -1), np.zeros(n, np.int64)
                )
            )
            nxt = _Stays.concat(new)
            nxt = nxt.take((nxt.adm < E[nxt.person]) & (nxt.adm < self.tend))
            parts.append(nxt)
            frontier = nxt
            if len(nxt.person) == 0:
                break
        stays = _Stays.concat(parts)
        stays = stays.take(
            _non_overlapping(stays.person, stays.adm, stays.dis) & (stays.adm < E[stays.person])
        )
        # Deaths: a stay running at the time of death ends with "avliden".
        D = self.death[stays.person]
        covering = (D < NEVER) & (stays.adm < D) & (stays.dis > D)
        stays.dis = np.where(covering, D, stays.dis)
        stays.dto = np.where(covering, DEAD, stays.dto)
        died_in_hospital = np.zeros(P, bool)
        died_in_hospital[stays.person[covering]] = True
        iv = _Intervals(stays.person, stays.adm, stays.dis)
        who = np.flatnonzero((self.death < NEVER) & (self.death_place == 1) & ~died_in_hospital)
        Dw = self.death[who]
        j = iv.last_before(who, Dw)
        last_dis = np.where(j >= 0, iv.end[np.maximum(j, 0)], np.int64(-(2**40)))
        los = (self.lognormal(4 * 24 * 60, 0.8, len(who))).astype(np.int64) + 360
        adm = np.maximum(Dw - los, last_dis + 120)
        adm = np.where(adm >= Dw - 30, last_dis + (Dw - last_dis) // 2, adm)
        # Deaths early in the window: the stay starts inside the window, not before it.
        early = adm < self.t0
        adm = np.where(early, self.t0 + np.floor(rng.random(len(who)) * (Dw - self.t0)).astype(np.int64), adm)
        adm = self.fix_gap(adm)
        ok = (adm > last_dis) & (adm < Dw)
        who, Dw, adm, last_dis = who[ok], Dw[ok], adm[ok], last_dis[ok]
        n = len(who)
        arrival = adm - rng.integers(90, 300, n)
        via_ed = self.keep(0.85, n) & (arrival > last_dis) & (arrival >= self.t0)
        arrival = self.fix_gap(arrival)
        via_ed &= arrival < adm
        died_in_hospital[who] = True
        death_stays = _Stays(
            who,
            adm,
            Dw,
            np.full(n, DEAD),
            np.zeros(n, bool),
            np.where(via_ed, arrival, -1),
            np.zeros(n, np.int64),
        )
        stays = _Stays.concat([stays, death_stays])
        order = np.lexsort((stays.adm, stays.person))
        self.stays = stays.take(order)
        self.died_in_hospital = died_in_hospital
        self.stay_iv = _Intervals(self.stays.person, self.stays.adm, self.stays.dis)

    # --- short-term care --------------------------------------------------------------------------

    def short_term(self) -> None:
        rng = self.rng
        s = self.stays
        from_hosp = (s.dto == KORTTID) & (s.dis < self.tend)
        p1 = s.person[from_hosp]
        d1 = s.dis[from_hosp] // MIN_PER_DAY
        rate = np.where(
            self.age_mid >= 70, STS_DIRECT_RATE * np.exp(0.08 * (self.age_mid - 85)) * self.z, 0.0
        )
        idx, t = self.candidates(rate, np.full(self.P, self.t0), self.exposure_end)
        ok = self.stay_iv.containing(idx, t) < 0
        p2, d2 = idx[ok], t[ok] // MIN_PER_DAY
        person = np.concatenate([p1, p2])
        start = np.concatenate([d1, d2])
        n = len(person)
        end = start + np.maximum(1, np.round(self.lognormal(13.0, 0.65, n))).astype(np.int64)
        dto = np.array([STS_DTO.index(x) for x in ("hem", "sarskilt_boende", "annat")])[
            _choice(rng, n, np.array([0.66, 0.24, 0.10]))
        ]
        # Death in short-term care.
        who = np.flatnonzero((self.death < NEVER) & (self.death_place == 2) & ~self.died_in_hospital)
        Dd = self.death_day[who]
        j = self.stay_iv.last_before(who, self.death[who])
        last = np.where(j >= 0, self.stay_iv.end[np.maximum(j, 0)] // MIN_PER_DAY, -(2**40))
        start_d = np.maximum(
            Dd - np.maximum(1, np.round(self.lognormal(9.0, 0.6, len(who)))).astype(np.int64), last
        )
        early = start_d < self.t0_day
        spread = self.t0_day + np.floor(rng.random(len(who)) * (Dd - self.t0_day + 1)).astype(np.int64)
        start_d = np.where(early, np.maximum(spread, last), start_d)
        person = np.concatenate([person, who])
        start = np.concatenate([start, start_d])
        end = np.concatenate([end, Dd])
        dto = np.concatenate([dto, np.full(len(who), STS_DTO.index("avliden"))])
        keep = _non_overlapping(person, start * MIN_PER_DAY, end * MIN_PER_DAY)
        person, start, end, dto = person[keep], start[keep], end[keep], dto[keep]
        # A hospital admission during the stay ends it ("sjukhus").
        j = self.stay_iv.first_from(person, (start + 1) * MIN_PER_DAY)
        adm_day = np.where(j >= 0, self.stay_iv.start[np.maximum(j, 0)] // MIN_PER_DAY, NEVER)
        hosp = adm_day <= end
        end = np.where(hosp, adm_day, end)
        dto = np.where(hosp, STS_DTO.index("sjukhus"), dto)
        # Death during the stay (outside hospital).
        Dd = self.death_day[person]
        dead = ~hosp & (Dd >= start) & (Dd <= end) & ~self.died_in_hospital[person]
        end = np.where(dead, Dd, end)
        dto = np.where(dead, STS_DTO.index("avliden"), dto)
        open_ = end > self.end_day
        order = np.lexsort((start, person))
        self.sts = {
            "person": person[order],
            "start": start[order],
            "end": np.where(open_, -1, end)[order],
            "dto": np.where(open_, -1, dto)[order],
        }

    # --- enrolment in home health care ------------------------------------------------------------

    def enrolments(self) -> None:
        rng = self.rng
        P = self.P
        a = self.age0
        p = np.where(a >= 65, 0.10 * np.exp(0.11 * (a - 85)), 0.004) * self.z**0.8
        prev = self.keep(np.minimum(p, 0.85), P)
        pw = np.flatnonzero(prev)
        n = len(pw)
        back = rng.exponential(600, n)
        back = np.where(back > 3650, rng.uniform(0, 3650, n), back)
        start0 = self.t0_day - 1 - np.floor(back).astype(np.int64)
        end0 = np.minimum(
            self.t0_day + np.floor(rng.exponential(4 * DAYS_PER_YEAR, n)).astype(np.int64), self.death_day[pw]
        )
        prev_end = np.full(P, -1, dtype=np.int64)
        prev_end[pw] = end0
        # Incident enrolments: after discharge home, after short-term care, or spontaneously.
        s = self.stays
        age_s = self.age(s.person, s.adm // MIN_PER_DAY)
        home = (s.dto == HEM) & (s.dis < self.tend) & (age_s >= 65)
        home &= self.keep(np.where(age_s >= 75, 0.11, 0.07), len(home))
        n1 = home.sum()
        delay1 = np.where(self.keep(0.75, n1), rng.integers(1, 15, n1), rng.integers(15, 61, n1))
        t1p, t1d = s.person[home], s.dis[home] // MIN_PER_DAY + delay1
        sts = self.sts
        kh = (sts["dto"] == STS_DTO.index("hem")) & self.keep(0.35, len(sts["dto"]))
        t2p, t2d = sts["person"][kh], sts["end"][kh] + rng.integers(0, 11, kh.sum())
        rate = np.where(self.age_mid >= 70, 0.012 * np.exp(0.08 * (self.age_mid - 85)) * self.z, 0.0)
        idx, t = self.candidates(rate, np.full(P, self.t0), self.exposure_end)
        tp = np.concatenate([t1p, t2p, idx])
        td = np.concatenate([t1d, t2d, t // MIN_PER_DAY])
        ok = (td <= self.end_day) & (td < self.death_day[tp]) & (prev_end[tp] < td)
        tp, td = tp[ok], td[ok]
        order = np.lexsort((td, tp))
        tp, td = tp[order], td[order]
        first = np.concatenate(([True], tp[1:] != tp[:-1]))
        tp, td = tp[first], td[first]
        end1 = np.minimum(
            td + np.floor(rng.exponential(3 * DAYS_PER_YEAR, len(tp))).astype(np.int64), self.death_day[tp]
        )
        person = np.concatenate([pw, tp])
        start = np.concatenate([start0, td])
        end = np.concatenate([end0, end1])
        end = np.where(end > self.end_day, -1, end)
        order = np.lexsort((start, person))
        self.enr = {"person": person[order], "start": start[order], "end": end[order]}
        eff_end = np.where(self.enr["end"] < 0, NEVER // MIN_PER_DAY, self.enr["end"] + 1)
        self.enr_iv = _Intervals(self.enr["person"], self.enr["start"] * MIN_PER_DAY, eff_end * MIN_PER_DAY)

    # --- SIP and CFS --------------------------------------------------------------------------------

    def _enrolment_windows(self, from_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e = self.enr
        person = e["person"]
        start = np.maximum(e["start"], from_day) * MIN_PER_DAY
        end_day = np.where(e["end"] < 0, self.end_day + 1, e["end"] + 1)
        end = np.minimum(np.minimum(end_day * MIN_PER_DAY, self.death[person]), self.tend)
        return person, start, end

    def _boosted(
        self,
        person: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        rate: np.ndarray | float,
        code: str,
        factor: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Events of ``person`` units at ``rate`` per year, × ``factor`` after ``code``'s intervention."""
        rate = np.broadcast_to(np.asarray(rate, dtype=float), person.shape)
        idx, t = self.candidates(rate, start, end, factor)
        day = t // MIN_PER_DAY
        boost = np.where(self.after(code, person[idx], day), factor, 1.0)
        ok = self.keep(boost / factor, len(t))
        return person[idx[ok]], day[ok]

    def _weekday_shift(self, day: np.ndarray) -> np.ndarray:
        """Saturday/Sunday -> the following Monday."""
        wd = (day + 3) % 7
        return day + np.where(wd >= 5, 7 - wd, 0)

    def _office_day(self, day: np.ndarray) -> np.ndarray:
        """Saturday/Sunday -> a random weekday of the same week (for booked activities)."""
        wd = (day + 3) % 7
        return np.where(wd >= 5, day - wd + self.rng.integers(0, 5, len(day)), day)

    def sip(self) -> None:
        rng = self.rng
        e = self.enr
        first = (e["start"] >= self.look_day) & self.keep(0.35, len(e["start"]))
        p1 = e["person"][first]
        d1 = e["start"][first] + rng.integers(3, 41, first.sum())
        person, start, end = self._enrolment_windows(self.look_day)
        p2, d2 = self._boosted(person, start, end, 0.5, ULRICEHAMN, ULRICEHAMN_SIP_FACTOR)
        frail = np.flatnonzero((self.age0 >= 75) & (self.cfs0 >= 4.5))
        p3, d3 = self._boosted(
            frail,
            np.full(len(frail), self.look_day * MIN_PER_DAY),
            self.exposure_end[frail],
            0.10,
            ULRICEHAMN,
            ULRICEHAMN_SIP_FACTOR,
        )
        p4, d4 = self._outreach()
        person = np.concatenate([p1, p2, p3, p4])
        day = self._office_day(np.concatenate([d1, d2, d3, d4]))
        person, day = _dedupe(person, day, (day <= self.end_day) & (day < self.death_day[person]))
        n = len(day)
        after = self.after(ULRICEHAMN, person, day)
        p_in = np.where(after, 0.88, 0.50)
        p_late = np.where(after, 0.07, 0.20)
        u = rng.random(n)
        fu = day + np.where(u < p_in, rng.integers(14, 91, n), rng.integers(91, 221, n))
        fu = self._office_day(fu)
        fu = np.where((u < p_in + p_late) & (fu <= self.end_day) & (fu < self.death_day[person]), fu, -1)
        self.sips = {"person": person, "day": day, "followup": fu}

    def _frequent_attender_entries(self) -> tuple[np.ndarray, np.ndarray]:
        """(person, day x) where a person aged 75+ (by birth year) and not enrolled becomes a frequent attender.

        Frequent attender: >= 3 primary care contacts within 30 days or >= 4 ED visits (akutmottagning)
        within 365 days; x is the first day of each run of such days (overlapping and adjacent
        qualifying intervals merged). An approximation of ``mal_mangsokare_ej_inskrivna`` entries
        (entries by turning 75 or by an enrolment ending are left out).
        """
        fp, ft, fu = self.ed_free
        free = (fu == AKUTMOTTAGNING) & (self.stay_iv.containing(fp, ft) < 0)
        s = self.stays
        via = (s.ed_arrival >= 0) & (s.ed_unit == AKUTMOTTAGNING)
        parts = []
        for person, day, k, window in (
            (self.pcc["person"], self.pcc["time"] // MIN_PER_DAY, FA_PCC, FA_PCC_DAYS),
            (
                np.concatenate([fp[free], s.person[via]]),
                np.concatenate([ft[free], s.ed_arrival[via]]) // MIN_PER_DAY,
                FA_ED,
                FA_ED_DAYS,
            ),
        ):
            order = np.lexsort((day, person))
            person, day = person[order], day[order]
            same = np.zeros(len(day), dtype=bool)
            same[k - 1 :] = person[k - 1 :] == person[: len(person) - k + 1]
            earlier = np.zeros(len(day), dtype=np.int64)
            earlier[k - 1 :] = day[: len(day) - k + 1]
            lo, hi = day[same], earlier[same] + window - 1
            ok = hi >= lo
            parts.append((person[same][ok], lo[ok], hi[ok]))
        person = np.concatenate([p for p, _, _ in parts])
        lo = np.concatenate([a for _, a, _ in parts])
        hi = np.concatenate([b for _, _, b in parts])
        order = np.lexsort((lo, person))
        person, lo, hi = person[order], lo[order], hi[order]
        reach = np.maximum.accumulate(person * _KEY + hi)  # latest covered day so far, per person
        prev = np.concatenate(([-1], reach[:-1]))
        begins = person * _KEY + lo > prev + 1
        person, x = person[begins], lo[begins]
        enrolled = self.enr_iv.containing(person, x * MIN_PER_DAY + 720) >= 0
        y, _, _ = civil_from_days(x)
        keep = (y - self.b_year[person] >= 75) & ~enrolled & (x >= self.t0_day) & (x <= self.end_day)
        return person[keep], x[keep]

    def _outreach(self) -> tuple[np.ndarray, np.ndarray]:
        """SIPs 5-50 days after a frequent-attender entry: OUTREACH_BASE, rising in the intervention municipalities."""
        person, x = self._frequent_attender_entries()
        p = np.full(len(x), OUTREACH_BASE)
        for code in OUTREACH_MUNICIPALITIES:
            idx = self.muni_index.get(code)
            if idx is None:
                continue
            since = x - self.intervention_day[code]
            ramp = np.clip(since / OUTREACH_RAMP_DAYS, 0.0, 1.0)
            here = (self.p_muni[person] == idx) & (since >= 0)
            p = np.where(here, OUTREACH_BASE + (OUTREACH_AFTER - OUTREACH_BASE) * ramp, p)
        keep = self.keep(p, len(x))
        n = int(keep.sum())
        return person[keep], x[keep] + self.rng.integers(5, 51, n)

    def cfs(self) -> None:
        rng = self.rng
        s = self.stays
        age_s = self.age(s.person, s.adm // MIN_PER_DAY)
        a = (age_s >= 75) & np.isin(s.dto, (HEM, SABO, KORTTID)) & (s.dis < self.tend)
        a &= self.keep(0.2, len(a))
        p1, d1 = s.person[a], s.dis[a] // MIN_PER_DAY
        e = self.enr
        b = (e["start"] >= self.look_day) & self.keep(0.6, len(e["start"]))
        p2, d2 = e["person"][b], e["start"][b] + rng.integers(0, 22, b.sum())
        person, start, end = self._enrolment_windows(self.look_day)
        p3, d3 = self._boosted(person, start, end, 0.6, ULRICEHAMN, ULRICEHAMN_CFS_FACTOR)
        older = np.flatnonzero((self.age0 >= 75) & (self.cfs0 >= 3.0))
        p4, d4 = self._boosted(
            older,
            np.full(len(older), self.look_day * MIN_PER_DAY),
            self.exposure_end[older],
            0.08,
            ULRICEHAMN,
            ULRICEHAMN_CFS_FACTOR,
        )
        person = np.concatenate([p1, p2, p3, p4])
        day = np.concatenate([d1, d2, d3, d4])
        person, day = _dedupe(person, day, (day <= self.end_day) & (day <= self.death_day[person]))
        drift = 0.3 * (day - self.t0_day) / DAYS_PER_YEAR
        score = np.clip(np.round(self.cfs0[person] + drift + 0.55 * rng.standard_normal(len(day))), 1, 9)
        self.cfs_rows = {"person": person, "day": day, "score": score.astype(np.int64)}

    # --- home visits --------------------------------------------------------------------------------

    def home_visits(self) -> None:
        rng = self.rng
        person, start, end = self._enrolment_windows(self.t0_day)
        weekend_boost = 1.35
        idx, t = self.candidates(np.full(len(person), 1.4), start, end, weekend_boost)
        frail = np.flatnonzero((self.age0 >= 80) & (self.z > 1.5))
        idx2, t2 = self.candidates(
            np.full(len(frail), 0.12), np.full(len(frail), self.t0), self.exposure_end[frail], weekend_boost
        )
        pa_ = np.concatenate([person[idx], frail[idx2]])
        ta = np.concatenate([t, t2])
        day = ta // MIN_PER_DAY
        weekend = self.weekday[self.dayidx(day)] >= 5
        ok = self.keep(np.where(weekend, weekend_boost, 1.0) / weekend_boost, len(ta))
        pa_, day, weekend = pa_[ok], day[ok], weekend[ok]
        tod = np.where(weekend, self.tod(len(day), HV_HOURS_WEEKEND), self.tod(len(day), HV_HOURS_WEEKDAY))
        ta = self.fix_gap(day * MIN_PER_DAY + tod)
        # Planned (non-acute) visits on weekdays.
        idx, t = self.candidates(np.full(len(person), 0.6), start, end)
        pp, tp = person[idx], t
        day = tp // MIN_PER_DAY
        ok = self.weekday[self.dayidx(day)] < 5
        pp, day = pp[ok], day[ok]
        tp = day * MIN_PER_DAY + self.tod(len(day), OFFICE_HOURS)
        p = np.concatenate([pa_, pp])
        t = np.concatenate([ta, tp])
        acute = np.concatenate([np.ones(len(pa_), bool), np.zeros(len(pp), bool)])
        ok = (t < self.exposure_end[p]) & (t >= self.t0) & (self.stay_iv.containing(p, t) < 0)
        p, t, acute = p[ok], t[ok], acute[ok]
        n = len(p)
        day = t // MIN_PER_DAY
        hour = (t % MIN_PER_DAY) // 60
        daytime = (self.weekday[self.dayidx(day)] < 5) & (hour >= 8) & (hour < 17)
        mark = self.after(MARK, p, day)
        team_names = np.array([HV_TEAM.index(x) for x in ("PALT", "MALT", "VC", "jour", "annat")])
        probs = np.select(
            [c[:, None] for c in (~acute, daytime & ~mark, daytime & mark, ~daytime & ~mark)],
            [
                np.array([[0.25, 0.0, 0.70, 0.0, 0.05]]),  # planned: PALT, MALT, VC, jour, annat
                np.array([[0.55, 0.05, 0.30, 0.0, 0.10]]),  # acute, dagtid
                np.array([[0.75, 0.05, 0.15, 0.0, 0.05]]),  # acute, dagtid, Mark after intervention
                np.array([[0.30, 0.30, 0.0, 0.30, 0.10]]),  # acute, jourtid
            ],
            np.array([[0.45, 0.35, 0.0, 0.15, 0.05]]),  # acute, jourtid, Mark after intervention
        )
        team = team_names[_rowwise_choice(rng, probs)]
        median = np.where(~acute, 60.0, np.where(daytime, 16.0, 5.5)) * np.where(
            mark, MARK_HV_DELAY_FACTOR, 1.0
        )
        delay = (self.lognormal(median, 0.85, n) * 60).astype(np.int64) + 10
        assessed = self.fix_gap(t + delay)
        never = self.keep(np.where(acute, 0.07, 0.03), n)
        valid = ~never & (assessed < self.tend) & (assessed < self.death[p])
        order = np.lexsort((t, p))
        self.hv = {
            "person": p[order],
            "requested": t[order],
            "assessed": np.where(valid, assessed, -1)[order],
            "team": team[order],
            "acute": acute[order],
        }

    # --- primary care ---------------------------------------------------------------------------

    def primary_care(self) -> None:
        rng = self.rng
        rate = np.where(self.age_mid >= 58, 0.30 * np.exp(0.03 * (self.age_mid - 75)) * self.z**0.8, 0.0)
        idx, t = self.candidates(rate, np.full(self.P, self.t0), self.exposure_end)
        size = 1 + np.minimum(rng.poisson(0.35 + 0.4 * self.z[idx]), 9)
        person = np.repeat(idx, size)
        first = np.repeat(np.cumsum(size) - size, size)
        is_first = np.arange(len(person)) == first
        day = np.repeat(t // MIN_PER_DAY, size) + np.where(is_first, 0, rng.integers(0, 26, len(person)))
        n = len(person)
        enrolled = self.enr_iv.containing(person, day * MIN_PER_DAY + 720) >= 0
        kinds = np.array([PCC_TYPE.index(x) for x in ("besok", "telefon", "digital", "hembesok")])
        probs = np.where(
            enrolled[:, None], np.array([0.25, 0.40, 0.05, 0.30]), np.array([0.45, 0.35, 0.15, 0.05])
        )
        kind = kinds[_rowwise_choice(rng, probs)]
        digital = kind == PCC_TYPE.index("digital")
        day = np.where(digital, day, self._office_day(day))
        tod = np.where(digital, self.tod(n, DIGITAL_HOURS), self.tod(n, OFFICE_HOURS))
        t = self.fix_gap(day * MIN_PER_DAY + tod)
        ok = (t >= self.t0) & (t < self.exposure_end[person]) & (self.age(person, day) >= 60)
        ok &= self.stay_iv.containing(person, t) < 0
        person, t, kind = person[ok], t[ok], kind[ok]
        order = np.lexsort((t, person))
        self.pcc = {"person": person[order], "time": t[order], "kind": kind[order]}

    # --- frames ---------------------------------------------------------------------------------

    def _common(self, person: np.ndarray) -> dict[str, pd.Series]:
        return {
            "person_id": _take(self.person_ids, person),
            "municipality_code": _text([m.code for m in self.munis], self.p_muni[person]),
        }

    def frames(self, population: pd.DataFrame) -> dict[str, pd.DataFrame]:
        rng = self.rng
        out: dict[str, pd.DataFrame] = {"population": population}

        # hospital_stays
        s = self.stays
        order = np.lexsort((s.person, s.adm))
        s = s.take(order)
        n = len(s.person)
        day_adm = s.adm // MIN_PER_DAY
        age = self.age(s.person, day_adm)
        still = s.dis >= self.tend
        dis_day = s.dis // MIN_PER_DAY
        mark = self.after(MARK, s.person, dis_day)
        to_care = np.isin(s.dto, (HEM, SABO, KORTTID)) & ~still
        p_true = np.where(to_care, np.where(mark, 0.92, 0.70), 0.05)
        p_missing = np.where(to_care, np.where(mark, 0.03, 0.08), np.where(s.dto == DEAD, 1.0, 0.90))
        u = rng.random(n)
        plan_value = u < p_true
        plan_missing = (u >= 1 - p_missing) | still
        # Follow-up call from the care centre.
        home = (s.dto == HEM) & ~still
        p_in = np.where(home, np.where(mark, 0.90, 0.62), np.where(to_care, 0.04, 0.0))
        p_late = np.where(home, np.where(mark, 0.05, 0.12), 0.0)
        u = rng.random(n)
        delay_h = np.where(u < p_in, rng.uniform(3, 70, n), rng.uniform(73, 200, n))
        fday = (s.dis + (delay_h * 60).astype(np.int64)) // MIN_PER_DAY
        fday = self._weekday_shift(fday)
        ftime = fday * MIN_PER_DAY + self.tod(n, OFFICE_HOURS)
        ftime = np.where(ftime <= s.dis, ftime + MIN_PER_DAY, ftime)
        ftime = self.fix_gap(ftime)
        f_ok = (u < p_in + p_late) & (ftime < self.tend) & (ftime < self.death[s.person])
        out["hospital_stays"] = pd.DataFrame(
            {
                "stay_id": _series(_id_array("VT", np.arange(1, n + 1), 8)),
                **self._common(s.person),
                "age": pd.array(age, dtype="Int64"),
                "sex": _text(list(SEXES), self.p_sex[s.person]),
                "admission_time": _timestamps(s.adm),
                "discharge_time": _timestamps(np.where(still, -1, s.dis)),
                "admission_type": _text(list(HOSP_TYPE), np.where(s.planned, PLANERAD, AKUT)),
                "discharge_to": _text(list(HOSP_DTO), np.where(still, -1, s.dto)),
                "care_plan_complete": _bools(plan_value, plan_missing),
                "followup_call_time": _timestamps(np.where(f_ok, ftime, -1)),
            }
        )

        # ed_visits: admitted visits come from the stays, the others were kept aside.
        sp = self.stays
        has_ed = sp.ed_arrival >= 0
        fp, ft, fu = self.ed_free
        inside = self.stay_iv.containing(fp, ft) >= 0
        fp, ft, fu = fp[~inside], ft[~inside], fu[~inside]
        person = np.concatenate([sp.person[has_ed], fp])
        t = np.concatenate([sp.ed_arrival[has_ed], ft])
        unit = np.concatenate([sp.ed_unit[has_ed], fu])
        admitted = np.concatenate([np.ones(has_ed.sum(), bool), np.zeros(len(fp), bool)])
        order = np.lexsort((person, t))
        person, t, unit, admitted = person[order], t[order], unit[order], admitted[order]
        n = len(person)
        age = self.age(person, t // MIN_PER_DAY)
        p_amb = np.clip(0.12 + 0.008 * (age - 60) + 0.15 * admitted, 0.05, 0.7)
        u = rng.random(n)
        mode = np.where(
            u < p_amb,
            ED_MODE.index("ambulans"),
            np.where(
                u < p_amb + 0.05,
                ED_MODE.index("annat"),
                np.where(u < p_amb + 0.08, -1, ED_MODE.index("egen")),
            ),
        )
        malt = unit == MALT
        mode = np.where(malt, np.where(rng.random(n) < 0.25, ED_MODE.index("annat"), -1), mode)
        out["ed_visits"] = pd.DataFrame(
            {
                "visit_id": _series(_id_array("AK", np.arange(1, n + 1), 8)),
                **self._common(person),
                "age": pd.array(age, dtype="Int64"),
                "sex": _text(list(SEXES), self.p_sex[person]),
                "arrival_time": _timestamps(t),
                "unit": _text(list(ED_UNIT), unit),
                "arrival_mode": _text(list(ED_MODE), mode),
                "admitted": _bools(admitted, np.zeros(n, bool)),
            }
        )

        # home_care_enrolments
        e = self.enr
        order = np.lexsort((e["person"], e["start"]))
        person, start, end = e["person"][order], e["start"][order], e["end"][order]
        n = len(person)
        out["home_care_enrolments"] = pd.DataFrame(
            {
                "enrolment_id": _series(_id_array("IN", np.arange(1, n + 1), 7)),
                **self._common(person),
                "birth_year": pd.array(self.b_year[person], dtype="Int64"),
                "sex": _text(list(SEXES), self.p_sex[person]),
                "start_date": _dates(start),
                "end_date": _dates(end),
            }
        )

        # sip
        sp_ = self.sips
        order = np.lexsort((sp_["person"], sp_["day"]))
        person, day, fu = sp_["person"][order], sp_["day"][order], sp_["followup"][order]
        n = len(person)
        out["sip"] = pd.DataFrame(
            {
                "sip_id": _series(_id_array("SIP", np.arange(1, n + 1), 7)),
                **self._common(person),
                "sip_date": _dates(day),
                "followup_date": _dates(fu),
            }
        )

        # cfs_assessments
        c = self.cfs_rows
        order = np.lexsort((c["person"], c["day"]))
        person, day, score = c["person"][order], c["day"][order], c["score"][order]
        n = len(person)
        out["cfs_assessments"] = pd.DataFrame(
            {
                "assessment_id": _series(_id_array("CFS", np.arange(1, n + 1), 7)),
                **self._common(person),
                "birth_year": pd.array(self.b_year[person], dtype="Int64"),
                "assessment_date": _dates(day),
                "cfs_score": pd.array(score, dtype="Int64"),
            }
        )

        # home_visits
        h = self.hv
        order = np.lexsort((h["person"], h["requested"]))
        person = h["person"][order]
        n = len(person)
        out["home_visits"] = pd.DataFrame(
            {
                "visit_id": _series(_id_array("HB", np.arange(1, n + 1), 8)),
                **self._common(person),
                "requested_time": _timestamps(h["requested"][order]),
                "assessed_time": _timestamps(h["assessed"][order]),
                "team": _text(list(HV_TEAM), h["team"][order]),
                "acute": _bools(h["acute"][order], np.zeros(n, bool)),
            }
        )

        # primary_care_contacts (birth year and sex are optional and sometimes missing or off by one)
        pc_ = self.pcc
        order = np.lexsort((pc_["person"], pc_["time"]))
        person, t, kind = pc_["person"][order], pc_["time"][order], pc_["kind"][order]
        n = len(person)
        by = self.b_year[person] + np.where(rng.random(n) < 0.004, rng.choice(np.array([-1, 1]), n), 0)
        by_missing = rng.random(n) < 0.03
        sex = np.where(rng.random(n) < 0.03, -1, self.p_sex[person])
        out["primary_care_contacts"] = pd.DataFrame(
            {
                "contact_id": _series(_id_array("VK", np.arange(1, n + 1), 8)),
                **self._common(person),
                "care_centre": _text(self.centre_names, self.p_centre[person]),
                "contact_time": _timestamps(t),
                "contact_type": _text(list(PCC_TYPE), kind),
                "birth_year": pd.Series(pd.arrays.IntegerArray(by.astype(np.int64), by_missing)),
                "sex": _text(list(SEXES), sex),
            }
        )

        # short_term_stays
        k = self.sts
        order = np.lexsort((k["person"], k["start"]))
        person = k["person"][order]
        n = len(person)
        out["short_term_stays"] = pd.DataFrame(
            {
                "stay_id": _series(_id_array("KT", np.arange(1, n + 1), 7)),
                **self._common(person),
                "birth_year": pd.array(self.b_year[person], dtype="Int64"),
                "sex": _text(list(SEXES), self.p_sex[person]),
                "start_date": _dates(k["start"][order]),
                "end_date": _dates(k["end"][order]),
                "discharge_to": _text(list(STS_DTO), k["dto"][order]),
            }
        )

        out["indicator_values"] = self.indicator_values()
        return {name: out[name][TABLES[name].column_names] for name in TABLES}

    def indicator_values(self) -> pd.DataFrame:
        """A few externally reported values (synthetic examples, Södra Älvsborg only)."""
        rng = self.rng
        rows: list[dict[str, object]] = []
        year1, year2 = self.end_date.year - 2, self.end_date.year - 1
        source = "Vårdanalys (syntetiskt exempel)"
        for i, m in enumerate(self.munis[:8]):
            yi = min(max(year1, self.years[0]), self.years[-1]) - self.years[0]
            pop65 = int(self.pop_counts[i, yi, 1:, :].sum())
            den = int(round(pop65 * rng.uniform(0.12, 0.16)))
            num = int(round(den * rng.uniform(0.14, 0.19)))
            rows.append(
                {
                    "indicator_id": "readmission_30d_65",
                    "indicator_name": None,
                    "municipality_code": m.code,
                    "period": str(year1),
                    "numerator": float(num),
                    "denominator": float(den),
                    "value": round(100.0 * num / den, 1),
                    "source": source,
                }
            )
            for year in (year1, year2):
                rows.append(
                    {
                        "indicator_id": "ext_hemtjanst_65",
                        "indicator_name": "Andel invånare 65+ med hemtjänst i ordinärt boende",
                        "municipality_code": m.code,
                        "period": str(year),
                        "numerator": None,
                        "denominator": None,
                        "value": round(float(rng.uniform(6.0, 10.5)), 1),
                        "source": "Kolada (syntetiskt exempel)",
                    }
                )
        rows.append(
            {
                "indicator_id": "ed_visits_80_per_1000",
                "indicator_name": None,
                "municipality_code": self.munis[0].code,
                "period": f"{year2}-Q1",
                "numerator": None,
                "denominator": None,
                "value": round(float(rng.uniform(450, 560)), 2),
                "source": source,
            }
        )
        for row in rows:
            row["sex"] = "T"
        rows += self.kolada_rows()
        columns = TABLES["indicator_values"].columns
        return pd.DataFrame(
            {
                c.name: pd.Series([r[c.name] for r in rows], dtype="float64" if c.type == "number" else "str")
                for c in columns
            }
        )


    def kolada_rows(self) -> list[dict[str, object]]:
        """Kolada-shaped reference rows with the real KPI ids of ``../shared/spec/kolada.md`` and made-up values.

        N20506 (kommun) per municipality and for riket; U79092 and U79029 (region) for Västra Götalandsregionen
        (0014) and riket; T, K and M; every full year of the data but the last (Kolada publishes a year later).
        A separate random stream, so the other tables do not change.
        """
        rng = np.random.default_rng(19_0506)
        years = [y for y in self.years if y < self.end_date.year]
        kpis = (  # (KPI, our indicator, areas, level, women minus men)
            ("N20506", "readmission_30d_65", ["0000", "0014", *[m.code for m in self.munis[:8]]], 16.0, -0.6),
            ("U79092", "readmission_30d_65", ["0000", "0014"], 17.5, -1.0),
            ("U79029", "ed_visits_80_per_1000", ["0000", "0014"], 520.0, 60.0),
        )
        rows: list[dict[str, object]] = []
        for kpi, indicator, areas, level, gap in kpis:
            for area in areas:
                area_level = level * float(rng.uniform(0.9, 1.1))
                for i, year in enumerate(years):
                    total = area_level * (1 - 0.01 * i) * float(rng.uniform(0.97, 1.03))
                    values = {"T": total, "K": total + gap / 2, "M": total - gap / 2}
                    for sex, value in values.items():
                        rows.append(
                            {
                                "indicator_id": indicator,
                                "indicator_name": None,
                                "municipality_code": area,
                                "period": str(year),
                                "numerator": None,
                                "denominator": None,
                                "value": round(value, 1),
                                "source": f"Kolada {kpi}",
                                "sex": sex,
                            }
                        )
        return rows


# --- column builders ---------------------------------------------------------------------------


def _id_array(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded numbers as a pyarrow string array (vectorised)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if len(numbers) and numbers.max() >= 10**width:
        width = len(str(int(numbers.max())))
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    total = len(head) + width
    buf = np.empty((len(numbers), total), dtype=np.uint8)
    buf[:, : len(head)] = head
    for k in range(width):
        buf[:, total - 1 - k] = 48 + (numbers // 10**k) % 10
    offsets = np.arange(0, len(numbers) * total + 1, total, dtype=np.int32)
    return pa.StringArray.from_buffers(len(numbers), pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def _series(arr: pa.Array) -> pd.Series:
    return pd.Series(pd.array(arr, dtype="str"))


def _take(arr: pa.Array, idx: np.ndarray) -> pd.Series:
    return _series(arr.take(pa.array(idx)))


def _text(categories: list[str], codes: np.ndarray) -> pd.Series:
    """Text column from category codes; code -1 -> missing."""
    codes = np.asarray(codes)
    valid = codes >= 0
    idx = pa.array(np.where(valid, codes, 0), mask=~valid)
    return _series(pa.array(categories, type=pa.string()).take(idx))


def _timestamps(minutes: np.ndarray) -> pd.Series:
    values = np.asarray(minutes, dtype=np.int64).astype("datetime64[m]").astype("datetime64[us]")
    values[np.asarray(minutes) < 0] = np.datetime64("NaT")
    return pd.Series(values)


def _dates(days: np.ndarray) -> pd.Series:
    values = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[us]")
    values[np.asarray(days) < 0] = np.datetime64("NaT")
    return pd.Series(values)


def _bools(values: np.ndarray, missing: np.ndarray) -> pd.Series:
    return pd.Series(pd.arrays.BooleanArray(np.asarray(values, bool), np.asarray(missing, bool)))


def _dedupe(person: np.ndarray, day: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    person, day = person[ok], day[ok]
    order = np.lexsort((day, person))
    person, day = person[order], day[order]
    first = np.concatenate(([True], (person[1:] != person[:-1]) | (day[1:] != day[:-1])))
    return person[first], day[first]


def generate(
    months: int = 36, seed: int = 42, scale: float = 1.0, end_date: date = DEFAULT_END_DATE
) -> dict[str, pd.DataFrame]:
    """Simulate every data-contract table; returns table name -> frame (contract column order).

    Frames follow the in-memory convention of ``data_access.contract`` (``str``,
    ``Int64``, ``boolean``, ``float64``, ``datetime64[us]``).
    """
    sim = _Simulation(months, seed, scale, end_date)
    population = sim.population()
    sim.persons()
    sim.hospital()
    sim.short_term()
    sim.enrolments()
    sim.primary_care()  # before SIP: outreach SIPs follow frequent-attender entries
    sim.sip()
    sim.cfs()
    sim.home_visits()
    return sim.frames(population)
