"""Fitting y = a * n^-b by least squares on log-log axes, with a 90% interval on b."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from advisor.errors import AdvisorError

# Two-sided 90% Student-t quantiles by degrees of freedom (beyond the table: the normal's).
_T90 = {
    1: 6.314,
    2: 2.920,
    3: 2.353,
    4: 2.132,
    5: 2.015,
    6: 1.943,
    7: 1.895,
    8: 1.860,
    9: 1.833,
    10: 1.812,
    12: 1.782,
    15: 1.753,
    20: 1.725,
    30: 1.697,
}


@dataclass(frozen=True)
class PowerLaw:
    a: float
    b: float
    b_low: float
    b_high: float
    r_squared: float

    def predict(self, n: float) -> float:
        return self.a * n**-self.b

    def gain(self, factor: float) -> tuple[float, float, float]:
        """Relative reduction of y from `factor` x more n: (estimate, low, high)."""

        def g(b: float) -> float:
            return 1 - factor**-b

        return g(self.b), g(self.b_low), g(self.b_high)


def fit_power_law(n: Sequence[float], y: Sequence[float]) -> PowerLaw:
    if len(n) != len(y):
        raise AdvisorError(f"n and y must have the same length, got {len(n)} and {len(y)}")
    if any(v <= 0 or not math.isfinite(v) for v in [*n, *y]):
        raise AdvisorError("a power-law fit needs positive, finite sizes and values")
    if len(set(n)) < 2:
        raise AdvisorError("a power-law fit needs at least two different sizes")
    xs, ys = [math.log(v) for v in n], [math.log(v) for v in y]
    m = len(xs)
    mx, my = sum(xs) / m, sum(ys) / m
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (v - my) for x, v in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    sse = sum((v - intercept - slope * x) ** 2 for x, v in zip(xs, ys, strict=True))
    syy = sum((v - my) ** 2 for v in ys)
    r2 = 1 - sse / syy if syy > 0 else 1.0
    dof = m - 2
    if dof > 0:
        se = math.sqrt(sse / dof / sxx)
        half = _t90(dof) * se
    else:
        half = math.inf  # two points: a line through them, no idea how wrong it is
    b = -slope
    return PowerLaw(math.exp(intercept), b, b - half, b + half, r2)


def _t90(dof: int) -> float:
    keys = sorted(_T90)
    for k in keys:
        if dof <= k:
            return _T90[k]
    return 1.645
