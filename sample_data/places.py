"""Municipalities, their sizes and (invented) care centre names for the sample data.

Södra Älvsborg's eight municipalities carry their real approximate sizes. For
``scale > 1`` further real kommunkoder are added: first the rest of Västra
Götaland, then the other counties in code order, read from
``data_access/municipalities.csv``. Their sizes are synthetic (drawn, then
scaled so that the total population is ``scale`` × Södra Älvsborg's), so
"Göteborg" may well be a town of 30 000 in the sample data.

Care centre names are invented but plausible; none is meant to be a real unit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_access.contract import SODRA_ALVSBORG

# Approximate number of inhabitants and share aged 80+ (the real figures are
# about 5-7 %; the rural municipalities are older than Borås).
SODRA_ALVSBORG_SIZE: dict[str, int] = {
    "1490": 114_900,
    "1463": 35_200,
    "1491": 25_100,
    "1442": 12_500,
    "1452": 11_900,
    "1465": 10_800,
    "1443": 9_800,
    "1466": 9_500,
}
SODRA_ALVSBORG_SHARE_80: dict[str, float] = {
    "1490": 0.053,
    "1463": 0.062,
    "1491": 0.061,
    "1442": 0.056,
    "1452": 0.067,
    "1465": 0.068,
    "1443": 0.052,
    "1466": 0.066,
}

# The care centre the access-control demo user ``vc_demo`` is bound to.
DEMO_CARE_CENTRE = "Vårdcentralen Sandared"

# (name, relative list size). Invented; place names are real villages/districts.
SODRA_ALVSBORG_CARE_CENTRES: dict[str, tuple[tuple[str, float], ...]] = {
    "1490": (
        ("Närhälsan Norrby", 1.3),
        (DEMO_CARE_CENTRE, 1.0),
        ("Vårdcentralen Hässleholmen", 1.1),
        ("Närhälsan Dalsjöfors", 0.8),
        ("Vårdcentralen Fristad", 0.7),
        ("Läkarhuset Knalleland", 1.2),
        ("Närhälsan Sjömarken", 0.7),
        ("Vårdcentralen Byttorp", 0.9),
    ),
    "1463": (
        ("Närhälsan Kinna", 1.3),
        ("Vårdcentralen Skene", 1.1),
        ("Närhälsan Örby", 0.6),
        ("Vårdcentralen Horred", 0.5),
        ("Läkarhuset Fritsla", 0.6),
    ),
    "1491": (
        ("Närhälsan Ulricehamn", 1.4),
        ("Vårdcentralen Stenbocken", 1.0),
        ("Vårdcentralen Gällstad", 0.5),
    ),
    "1443": (("Närhälsan Bollebygd", 1.0), ("Vårdcentralen Olsfors", 0.6)),
    "1466": (("Närhälsan Herrljunga", 1.0), ("Vårdcentralen Ljung", 0.5)),
    "1465": (("Närhälsan Svenljunga", 1.0), ("Vårdcentralen Överlida", 0.4)),
    "1452": (
        ("Närhälsan Tranemo", 1.0),
        ("Vårdcentralen Limmared", 0.6),
        ("Vårdcentralen Länghem", 0.4),
    ),
    "1442": (("Närhälsan Vårgårda", 1.0), ("Vårdcentralen Kullen", 0.7)),
}

# Templates for the invented care centres of the other municipalities.
_CENTRE_TEMPLATES = (
    "Vårdcentralen {n}",
    "Närhälsan {n} centrum",
    "Vårdcentralen {n} norra",
    "Hälsocentralen {n} södra",
    "Läkarhuset {n}",
    "Vårdcentralen {n} väster",
    "Familjeläkarna {n}",
    "Vårdcentralen {n} öster",
)

MUNICIPALITIES_CSV = Path(__file__).resolve().parent.parent / "data_access" / "municipalities.csv"

# Fallback when data_access/municipalities.csv is missing: the other real
# kommunkoder of Västra Götalands län (enough for scale ≤ ~6).
_VASTRA_GOTALAND_FALLBACK = (
    "1401 Härryda;1402 Partille;1407 Öckerö;1415 Stenungsund;1419 Tjörn;1421 Orust;1427 Sotenäs;"
    "1430 Munkedal;1435 Tanum;1438 Dals-Ed;1439 Färgelanda;1440 Ale;1441 Lerum;1444 Grästorp;"
    "1445 Essunga;1446 Karlsborg;1447 Gullspång;1460 Bengtsfors;1461 Mellerud;1462 Lilla Edet;"
    "1470 Vara;1471 Götene;1472 Tibro;1473 Töreboda;1480 Göteborg;1481 Mölndal;1482 Kungälv;"
    "1484 Lysekil;1485 Uddevalla;1486 Strömstad;1487 Vänersborg;1488 Trollhättan;1489 Alingsås;"
    "1492 Åmål;1493 Mariestad;1494 Lidköping;1495 Skara;1496 Skövde;1497 Hjo;1498 Tidaholm;"
    "1499 Falköping"
)


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    size: int  # inhabitants in the base year
    share_80: float  # share aged 80+
    care_centres: tuple[tuple[str, float], ...]


def _other_codes() -> list[tuple[str, str]]:
    """Real (code, name) pairs outside Södra Älvsborg: Västra Götaland first, then by code."""
    rows: list[tuple[str, str, str]] = []
    if MUNICIPALITIES_CSV.exists():
        with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                rows.append((rec["code"].strip().zfill(4), rec["name"].strip(), rec["county_code"].strip()))
    else:
        for item in _VASTRA_GOTALAND_FALLBACK.split(";"):
            code, name = item.split(" ", 1)
            rows.append((code, name, "14"))
    rows = [r for r in rows if r[0] not in SODRA_ALVSBORG]
    rows.sort(key=lambda r: (r[2] != "14", r[0]))
    return [(code, name) for code, name, _ in rows]


def municipalities(scale: float, seed: int) -> list[Municipality]:
    """The municipalities simulated at ``scale`` (Södra Älvsborg first, in contract order)."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    base_total = sum(SODRA_ALVSBORG_SIZE.values())
    own_factor = min(scale, 1.0)
    result = [
        Municipality(
            code,
            name,
            max(200, round(SODRA_ALVSBORG_SIZE[code] * own_factor)),
            SODRA_ALVSBORG_SHARE_80[code],
            SODRA_ALVSBORG_CARE_CENTRES[code],
        )
        for code, name in SODRA_ALVSBORG.items()
    ]
    if scale <= 1:
        return result
    others = _other_codes()
    n_extra = min(len(others), max(1, round(len(SODRA_ALVSBORG) * scale) - len(SODRA_ALVSBORG)))
    rng = np.random.default_rng([seed, 7])
    weights = rng.lognormal(0.0, 0.8, n_extra)
    remaining = base_total * (scale - 1.0)
    sizes = np.maximum(2_500, np.round(remaining * weights / weights.sum())).astype(int)
    shares = rng.uniform(0.045, 0.075, n_extra)
    for (code, name), size, share in zip(others[:n_extra], sizes, shares, strict=True):
        n_centres = int(min(8, max(2, round(size / 12_000) + 1)))
        centre_weights = rng.uniform(0.5, 1.3, n_centres)
        centres = tuple(
            (_CENTRE_TEMPLATES[i].format(n=name), round(float(w), 3)) for i, w in enumerate(centre_weights)
        )
        result.append(Municipality(code, name, int(size), round(float(share), 4), centres))
    return result
