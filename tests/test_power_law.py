"""The log-log power-law fit behind the data-scaling probe."""

from __future__ import annotations

import math
import random

import pytest

from advisor.errors import AdvisorError
from advisor.evidence.power_law import fit_power_law


@pytest.mark.parametrize("b", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(10))
def test_recovers_a_noisy_power_law_within_10_percent(b: float, seed: int) -> None:
    rng = random.Random(seed)
    n = [100 * 2**k for k in range(6)]  # 100 .. 3200, like fractions of a dataset
    y = [2.5 * v**-b * math.exp(rng.gauss(0, 0.02)) for v in n]
    law = fit_power_law(n, y)
    assert abs(law.b - b) <= 0.10 * b
    assert law.r_squared > 0.9


def test_exact_law_and_gains() -> None:
    law = fit_power_law([10, 20, 40, 80], [10**-0.5, 20**-0.5, 40**-0.5, 80**-0.5])
    assert law.b == pytest.approx(0.5) and law.a == pytest.approx(1.0)
    gain, low, high = law.gain(2)
    assert gain == pytest.approx(1 - 2**-0.5) and low == pytest.approx(gain) and high == pytest.approx(gain)
    assert law.predict(160) == pytest.approx(160**-0.5)


def test_interval_coverage_is_about_90_percent() -> None:
    rng = random.Random(0)
    hits, runs = 0, 400
    for _ in range(runs):
        n = [50, 100, 200, 400, 800]
        law = fit_power_law(n, [v**-0.4 * math.exp(rng.gauss(0, 0.05)) for v in n])
        hits += law.b_low <= 0.4 <= law.b_high
    assert 0.84 <= hits / runs <= 0.96


def test_two_points_give_an_unbounded_interval() -> None:
    law = fit_power_law([10, 20], [1.0, 0.5])
    assert law.b == pytest.approx(1.0) and math.isinf(law.b_high)


@pytest.mark.parametrize(
    ("n", "y", "message"),
    [
        ([1, 2], [1.0], "same length"),
        ([10, 10, 10], [1.0, 0.9, 0.8], "two different sizes"),
        ([10, 20], [1.0, 0.0], "positive"),
        ([10, 20], [1.0, math.nan], "finite"),
    ],
)
def test_bad_input(n: list[float], y: list[float], message: str) -> None:
    with pytest.raises(AdvisorError, match=message):
        fit_power_law(n, y)
