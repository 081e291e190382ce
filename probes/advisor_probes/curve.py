"""Reading an LR range-test curve: lag-free smoothing and the pickers (numpy only, no torch).

The anchors (fastai, torch-lr-finder, Lightning) smooth with an exponential moving average, which
lags the loss by 18-32 steps, and then pick the steepest point of that lagged curve. Here the
smoother is centred (no lag), slopes are taken against log10(LR), only the part of the curve below
the smoothed minimum and before divergence is searched, and several pickers vote.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_POINTS = 8


@dataclass(frozen=True)
class CurveReading:
    status: str  # ok | no_clear_minimum | diverged
    reason: str
    smoothed: np.ndarray
    picks: dict[str, float]
    suggested: float | None
    low: float | None
    high: float | None
    confidence: str | None
    min_loss_lr: float | None


def centred_smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Centred running median followed by a centred running mean: robust, and without lag."""
    n = len(values)
    half = max(1, window // 2)
    med = np.array([np.median(values[max(0, i - half): i + half + 1]) for i in range(n)])
    return np.array([med[max(0, i - half): i + half + 1].mean() for i in range(n)])


def _longest_descent(y: np.ndarray) -> tuple[int, int]:
    """Start and end index of the longest run where the curve keeps going down."""
    best = (0, 0)
    start = 0
    for i in range(1, len(y)):
        if y[i] > y[i - 1]:
            start = i
        elif i - start > best[1] - best[0]:
            best = (start, i)
    return best


def read_curve(lrs: np.ndarray, losses: np.ndarray, diverged_at: int | None) -> CurveReading:
    """Turn the raw (lr, loss) steps into a suggestion, a range and a confidence, or a reason."""
    usable = len(losses) if diverged_at is None else diverged_at
    lrs, losses = lrs[:usable], losses[:usable]
    if usable < MIN_POINTS:
        lr = lrs[0] if len(lrs) else float("nan")
        return CurveReading("diverged", f"the loss diverged after {usable} steps (at lr {lr:.2g}); "
                            "start the ramp lower or check the loss for NaN at step 0",
                            losses, {}, None, None, None, None, None)
    window = max(5, (usable // 8) | 1)
    smooth = centred_smooth(losses, window)
    x = np.log10(lrs)
    m = int(np.argmin(smooth))
    # Robust noise (median absolute deviation): a few wild steps near divergence don't hide a valley.
    noise = float(1.4826 * np.median(np.abs(losses - smooth)))
    drop = float(smooth[: m + 1].max() - smooth[m])
    if m < 3 or drop <= noise or drop <= 0.02 * abs(float(smooth[: m + 1].max())):
        return CurveReading("no_clear_minimum", f"no clear valley: the smoothed loss falls by "
                            f"{drop:.3g} against step-to-step noise {noise:.3g}; the model may "
                            "not learn from these batches, or the ramp starts too high",
                            smooth, {}, None, None, None, None, float(lrs[m]))
    if m >= usable - 2 and diverged_at is None:
        return CurveReading("no_clear_minimum", "the loss is still falling at the end of the "
                            "ramp; raise end_lr", smooth, {}, None, None, None, None, float(lrs[m]))
    slope = np.gradient(smooth[: m + 1], x[: m + 1])
    steep = int(np.argmin(slope))
    v0, v1 = _longest_descent(smooth[: m + 1])
    picks = {
        "steepest": float(lrs[steep]),
        "valley": float(lrs[v0 + (2 * (v1 - v0)) // 3]),
        "min/10": float(lrs[m] / 10),
        "min/30": float(lrs[m] / 30),
    }
    logs = np.log10(list(picks.values()))
    suggested = float(10 ** np.median(logs))
    spread = float(logs.max() - logs.min())
    confidence = "high" if spread <= 0.6 else "medium" if spread <= 1.2 else "low"
    return CurveReading("ok", "", smooth, picks, suggested, float(10 ** logs.min()),
                        float(10 ** logs.max()), confidence, float(lrs[m]))


def decades(a: float, b: float) -> float:
    return abs(math.log10(a) - math.log10(b))
