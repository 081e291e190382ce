"""What a training history shows, as numbers the diagnosis rules match on.

Every feature is relative (a fraction of the loss or of the run) so thresholds in the rules hold
for any loss scale and run length. A feature that cannot be computed (no validation column, too
few points) is None, and the rules that need it wait.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from advisor.evidence.history import History

_RISE = 0.02  # an epoch-to-epoch move counts as a rise above this relative change
_IMPROVED = 0.01  # the running best must improve by this much to count as progress
_SMOOTH_FROM = 40  # points from which rises are read through a running median of 5
_PROGRESS = 0.01  # a train loss that moved less than this share of its first value made no progress
_RISE_PROGRESS = 0.05  # "undid its progress" needs progress above batch noise (a flat run's dips reach ~5%)


class CurveFeatures(BaseModel):
    """Shape of the curves. Positions are fractions of the run: 0 = first point, 1 = last."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    points: int
    has_val: bool
    nonfinite: bool  # a NaN or inf loss was logged
    nonfinite_at: float | None = None  # where the first one appeared
    train_drop: float | None = None  # 1 - end/start of the train loss
    train_up_frac: float | None = None  # share of moves where the train loss rose > 2%
    # How much of the progress the run undid: (end - best) / (start - best). Measured against the
    # run's own progress, not the best loss: a run that fits its data to ~0 has a near-zero best,
    # and noise at the end would look like a blow-up relative to it.
    train_rise: float | None = None
    train_start_spike: float | None = None  # first train loss / the highest later one
    train_max_rise: float | None = None  # largest epoch-to-epoch rise, in units of the first loss
    # Largest train loss / best validation loss: how far above anything attainable the loss went
    # (vs the final train loss, a run that fits its data to ~0 would look like an explosion).
    train_peak: float | None = None
    train_linearity: float | None = None  # loss drop per epoch over the last third / over the run
    train_improve_end: float | None = None  # relative improvement over the last third
    # The same improvement in units of the first loss: a run converging to ~0 still "improves"
    # by large ratios of a tiny loss, but not by any share of the problem's scale.
    train_improve_scaled: float | None = None
    train_end: float | None = None  # final train loss (median of the last three points)
    val_best_at: float | None = None
    val_rise: float | None = None  # end of the validation loss above its best, relative
    val_improve_end: float | None = None
    val_drop: float | None = None  # 1 - end/start of the validation loss
    val_metric_gain: float | None = None  # final - first validation metric (e.g. accuracy)
    # Highest - lowest validation metric: exactly 0 for a model whose predictions never changed class
    # (inputs ignored, one class always predicted), however the loss moved while it learned the prior.
    val_metric_range: float | None = None
    # The gap is measured in units of the first train loss (the problem's scale): a ratio to the
    # final train loss would call 0.05 vs 0.03 a 60% gap on a run that generalizes well.
    gap_end: float | None = None  # (val - train) / first train loss, at the end
    gap_growth: float | None = None  # gap at the end minus gap at the best validation point
    flat_frac: float | None = None  # trailing share of the run without a 1% improvement
    lr_decay: float | None = None  # last logged LR / first logged LR
    grad_spike: float | None = None  # largest gradient norm / median gradient norm
    grad_jump: float | None = None  # largest norm / median of the norms logged before it
    grad_shrink: float | None = None  # gradient norm at the end / at the start


def curve_features(history: History) -> CurveFeatures:
    train_all = history.series("train_loss")
    val_all = history.series("val_loss")
    points = max(len(train_all), len(val_all))
    bad = [x for x, v in train_all + val_all if not math.isfinite(v)]
    nonfinite_at = None
    if bad:
        xs = history.x
        span = (xs[-1] - xs[0]) or 1.0
        nonfinite_at = _r((min(bad) - xs[0]) / span)
    # After the first NaN nothing is informative: the run is dead.
    train = _finite_prefix([v for _, v in train_all])
    val = _finite_prefix([v for _, v in val_all])
    out: dict[str, float | int | bool | None] = {
        "points": points,
        "has_val": bool(val_all),
        "nonfinite": bool(bad),
        "nonfinite_at": nonfinite_at,
    }
    if len(train) >= 3:
        out |= _train_features(train)
    if len(val) >= 3:
        out |= _val_features(val)
        monitored = val
    else:
        monitored = train
    if len(monitored) >= 3:
        out["flat_frac"] = _r(_flat_frac(monitored))
    if len(train) >= 3 and len(val) >= 3:
        out |= _gap_features(history)
        if min(val) > 0:
            out["train_peak"] = _r(max(train) / min(val))
    metric = [v for _, v in history.series("val_metric") if math.isfinite(v)]
    if len(metric) >= 3:
        out["val_metric_gain"] = _r(_tail(metric) - _head(metric))
        out["val_metric_range"] = _r(max(metric) - min(metric))
    lrs = [v for _, v in history.series("lr") if math.isfinite(v) and v > 0]
    if len(lrs) >= 2:
        out["lr_decay"] = _r(lrs[-1] / lrs[0])
    grads = [v for _, v in history.series("grad_norm") if math.isfinite(v) and v >= 0]
    if len(grads) >= 5:
        median = statistics.median(grads)
        out["grad_spike"] = _r(max(grads) / median) if median > 0 else None
        out["grad_jump"] = _r(
            max(
                g / statistics.median(grads[:i])
                for i, g in enumerate(grads)
                if i >= 2 and statistics.median(grads[:i]) > 0
            )
            or 0.0
        )
        start, end = _head(grads), _tail(grads)
        out["grad_shrink"] = _r(end / start) if start > 0 else None
    return CurveFeatures.model_validate(out)


def _train_features(y: Sequence[float]) -> dict[str, float]:
    n = len(y)
    start, end, best = y[0], _tail(y), min(y)
    third = max(1, n // 3)
    # Rises are counted on a running median once there are enough points: one noisy epoch (a small
    # dataset, a per-step log averaged over few steps) is not oscillation; a rise that lasts is.
    ys = _running_median(y, 5) if n >= _SMOOTH_FROM else list(y)
    rises = sum(1 for a, b in itertools.pairwise(ys) if b > a * (1 + _RISE) + 1e-12)
    whole_rate = (start - end) / (n - 1)
    mark = _around(y, n - third - 1)  # where the last third starts, read through the noise
    last_rate = (mark - end) / third
    later = max(y[1:])  # a healthy run starts at or near its highest loss
    # Shares of progress and slopes mean nothing for a run that barely moved: noise over a ~0 drop
    # reads as "undid 70% of its progress" or "a straight line". Below these it counts as no progress.
    # (abs: a loss may be <= 0, e.g. a log-likelihood; a run that starts at its best made no progress.)
    progressed = start > best and start - best >= _RISE_PROGRESS * abs(start)
    moved = start > end and start - end >= _PROGRESS * abs(start)
    return {
        "train_drop": _r(1 - end / start) if start > 0 else 0.0,
        "train_up_frac": _r(rises / (n - 1)),
        "train_rise": _r(max(0.0, end - _tail_best(y)) / (start - best)) if progressed else 0.0,
        "train_start_spike": _r(start / later) if later > 0 else 0.0,
        # In units of the first loss: near-zero losses make relative blips meaningless.
        "train_max_rise": _r(max(b - a for a, b in itertools.pairwise(ys)) / start)
        if start > 0 and n > 2
        else 0.0,
        # ~1 for a straight line (LR too low), ~0 for a curve that saturated.
        "train_linearity": _r(last_rate / whole_rate) if whole_rate > 0 and moved else 0.0,
        "train_improve_end": _r(1 - end / mark) if mark > 0 else 0.0,
        "train_improve_scaled": _r((mark - end) / start) if start > 0 else 0.0,
        "train_end": _r(end),
    }


def _val_features(raw: Sequence[float]) -> dict[str, float]:
    # Validation losses are noisy epoch to epoch; the minimum of a noisy series is biased low, so
    # best / rise are read on a centred running median.
    y = _running_median(raw, 5) if len(raw) >= 7 else list(raw)
    n = len(y)
    best_i = min(range(n), key=y.__getitem__)
    best, end = y[best_i], _tail(y)
    third = max(1, n // 3)
    return {
        "val_drop": _r(1 - end / raw[0]) if raw[0] > 0 else 0.0,
        "val_best_at": _r(best_i / (n - 1)),
        "val_rise": _r((end - best) / abs(best)) if best else 0.0,
        "val_improve_end": _r(1 - end / y[n - third - 1]) if y[n - third - 1] > 0 else 0.0,
    }


def _gap_features(history: History) -> dict[str, float]:
    """The generalization gap on the points where both losses were logged."""
    train = dict(history.series("train_loss"))
    pairs = [
        (train[x], v)
        for x, v in history.series("val_loss")
        if x in train and math.isfinite(v) and math.isfinite(train[x])
    ]
    scale = next((v for _, v in history.series("train_loss") if math.isfinite(v)), 0.0)
    if len(pairs) < 3 or scale <= 0:
        return {}
    gaps = [(v - t) / scale for t, v in pairs]
    best_i = min(range(len(pairs)), key=lambda i: pairs[i][1])
    gap_end = _tail(gaps)
    return {"gap_end": _r(gap_end), "gap_growth": _r(gap_end - gaps[best_i])}


def _flat_frac(y: Sequence[float]) -> float:
    """The trailing share of the run over which the running best improved by less than 1% in
    total (slow steady progress is not flat; a stall is)."""
    final = min(y)
    best, start = math.inf, 0
    for i, v in enumerate(y):
        best = min(best, v)
        if best > final * (1 + _IMPROVED) + 1e-12:
            start = i + 1
    return (len(y) - 1 - min(start, len(y) - 1)) / (len(y) - 1)


def _around(values: Sequence[float], i: int) -> float:
    return statistics.median(values[max(0, i - 1) : i + 2])


def _running_median(values: Sequence[float], width: int) -> list[float]:
    half = width // 2
    return [statistics.median(values[max(0, i - half) : i + half + 1]) for i in range(len(values))]


def _finite_prefix(values: Sequence[float]) -> list[float]:
    out = []
    for v in values:
        if not math.isfinite(v):
            break
        out.append(v)
    return out


def _tail(values: Sequence[float]) -> float:
    return statistics.median(values[-3:])


def _tail_best(values: Sequence[float]) -> float:
    """The best the curve reached, read like its end (`_tail`: a median of 3 points), so a curve that
    fell all the way has no rise: a raw minimum against a median end called the last, largest drop
    of a short curve a rise above its best."""
    if len(values) < 3:
        return min(values)
    return min(statistics.median(values[i:i + 3]) for i in range(len(values) - 2))


def _head(values: Sequence[float]) -> float:
    return statistics.median(values[:3])


def _r(x: float) -> float:
    return float(f"{x:.4g}")
