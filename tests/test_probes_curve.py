from __future__ import annotations

import numpy as np

from advisor_probes.curve import centred_smooth, decades, read_curve


def _valley(best_log_lr: float, n: int = 100, noise: float = 0.01, seed: int = 0):
    rng = np.random.default_rng(seed)
    lrs = np.geomspace(1e-6, 10, n)
    x = np.log10(lrs)
    # Flat, then falling towards a minimum at best_log_lr + 1, then blowing up.
    loss = 2.3 - 1.8 / (1 + np.exp(-(x - best_log_lr) * 3)) + np.exp((x - best_log_lr - 1.2) * 4)
    return lrs, loss + rng.normal(0, noise, n)


def test_centred_smoothing_has_no_lag() -> None:
    x = np.r_[np.zeros(50), np.ones(50)]
    smooth = centred_smooth(x, 9)
    assert abs(int(np.argmax(smooth > 0.5)) - 50) <= 1  # an EMA would cross ~10+ steps later


def test_suggestion_sits_on_the_descent_below_the_minimum() -> None:
    lrs, loss = _valley(-3.0)
    reading = read_curve(lrs, loss, diverged_at=None)
    assert reading.status == "ok" and reading.confidence in ("high", "medium")
    assert reading.low <= reading.suggested <= reading.high
    assert reading.suggested < reading.min_loss_lr
    assert decades(reading.suggested, 1e-3) < 0.5  # the steepest descent is at 1e-3


def test_flat_curve_has_no_clear_minimum() -> None:
    lrs = np.geomspace(1e-6, 10, 100)
    loss = 2.3 + np.random.default_rng(1).normal(0, 0.02, 100)
    reading = read_curve(lrs, loss, diverged_at=None)
    assert reading.status == "no_clear_minimum" and "no clear valley" in reading.reason
    assert reading.suggested is None


def test_divergence_at_once() -> None:
    lrs = np.geomspace(1e-6, 10, 100)
    reading = read_curve(lrs[:3], np.array([2.3, 50.0, np.nan]), diverged_at=1)
    assert reading.status == "diverged" and "diverged after 1 steps" in reading.reason


def test_still_falling_at_the_end() -> None:
    lrs = np.geomspace(1e-6, 10, 100)
    loss = np.linspace(3, 1, 100)
    reading = read_curve(lrs, loss, diverged_at=None)
    assert reading.status == "no_clear_minimum" and "still falling" in reading.reason
