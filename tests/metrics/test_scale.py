"""The whole computation on the synthetic sample (scale 1): invariants hold at scale.

Speed is measured in benchmarks/ (docs/benchmarks.md), never asserted in a timed test.
"""

import numpy as np
import pytest

from metrics.compute import compute_all
from metrics.registry import INDICATORS

generator = pytest.importorskip("sample_data.generator", reason="the sample data generator is not available")


@pytest.fixture(scope="module")
def sample():
    return generator.generate(months=36, seed=42, scale=1.0)


def test_scale_1_totals_are_consistent(sample):
    t = compute_all(sample, period="month")
    assert set(t["indicator_id"]) == set(INDICATORS)
    ok = t[t["status"] != "saknar_underlag"]
    assert len(ok) > 0.3 * len(t)
    # ALL = sum of the municipalities, for every additive indicator
    additive = ok[ok["indicator_id"].map(lambda i: INDICATORS[i].value_kind != "median")]
    munis = (
        additive[additive["municipality_code"] != "ALL"]
        .groupby(["indicator_id", "sex", "period"])["numerator"]
        .sum()
    )
    alls = additive[additive["municipality_code"] == "ALL"].set_index(["indicator_id", "sex", "period"])[
        "numerator"
    ]
    assert np.allclose(alls.sort_index(), munis.reindex(alls.index).sort_index())
