"""Curve features: each one computed by hand on small curves, the edge cases (NaN / inf, too few
points, one loss column only, zero losses), and the scale-freeness the rules' thresholds rely on."""

from __future__ import annotations

import math

import pytest

from advisor.evidence.curve_features import CurveFeatures, curve_features
from advisor.evidence.history import History

TRAIN_FEATURES = ("train_drop", "train_up_frac", "train_rise", "train_start_spike", "train_max_rise",
                  "train_linearity", "train_improve_end", "train_improve_scaled", "train_end")
VAL_FEATURES = ("val_best_at", "val_rise", "val_improve_end", "val_drop")


def history(x: list[float] | None = None, **columns: list[float | None]) -> History:
    n = max(len(v) for v in columns.values())
    return History(format="csv", x_name="epoch", x=tuple(x or range(n)),
                   columns={name: tuple(values) for name, values in columns.items()})


def computed(features: CurveFeatures, *groups: tuple[str, ...] | str) -> list[str]:
    """The features named (by group or one by one) that have a value."""
    names = [n for g in groups for n in ((g,) if isinstance(g, str) else g)]
    return [name for name in names if getattr(features, name) is not None]


def test_a_smooth_descent_by_hand() -> None:
    f = curve_features(history(train_loss=[4.0, 3.0, 2.0, 1.5, 1.2, 1.0]))
    # start 4, end = median of the last three = 1.2, best 1.0; the last third starts at
    # median(2, 1.5, 1.2) = 1.5.
    assert (f.points, f.has_val, f.nonfinite, f.nonfinite_at) == (6, False, False, None)
    assert f.train_drop == pytest.approx(1 - 1.2 / 4)
    assert f.train_up_frac == 0.0
    assert f.train_rise == 0.0  # it fell all the way: the best read like the end (a median of 3) is 1.2
    assert f.train_start_spike == pytest.approx(4 / 3, rel=1e-3)
    assert f.train_max_rise == pytest.approx(-0.2 / 4)  # it never rose: the smallest fall
    assert f.train_linearity == pytest.approx(((1.5 - 1.2) / 2) / ((4 - 1.2) / 5), rel=1e-3)
    assert f.train_improve_end == pytest.approx(1 - 1.2 / 1.5)
    assert f.train_improve_scaled == pytest.approx((1.5 - 1.2) / 4)
    assert f.train_end == 1.2
    assert f.flat_frac == 0.0  # still improving at the last point
    assert computed(f, VAL_FEATURES, "gap_end", "gap_growth", "train_peak") == []


def test_overfitting_by_hand() -> None:
    f = curve_features(history(train_loss=[2.0, 1.5, 1.0, 0.7, 0.5, 0.3],
                               val_loss=[2.1, 1.7, 1.4, 1.5, 1.7, 2.0]))
    assert f.has_val and f.points == 6
    assert f.val_best_at == 0.4  # epoch 2 of 0..5
    assert f.val_rise == pytest.approx((1.7 - 1.4) / 1.4, rel=1e-3)  # end: median(1.5, 1.7, 2.0)
    assert f.val_drop == pytest.approx(1 - 1.7 / 2.1, rel=1e-3)
    assert f.val_improve_end == pytest.approx(1 - 1.7 / 1.5, rel=1e-3)
    # Gaps in units of the first train loss: 0.05 .. 0.85; at the end median(0.4, 0.6, 0.85).
    assert f.gap_end == pytest.approx(0.6)
    assert f.gap_growth == pytest.approx(0.6 - 0.2)  # minus the gap at the best val epoch
    assert f.train_peak == pytest.approx(2.0 / 1.4, rel=1e-3)
    # The validation loss is the one watched: its best (1.4) has not improved for 3 of 5 moves.
    assert f.flat_frac == 0.6


def test_an_oscillating_loss_counts_its_rises() -> None:
    f = curve_features(history(train_loss=[2.0, 2.5, 2.0, 2.5, 2.0, 2.5]))
    assert f.train_up_frac == 0.6  # 3 rises in 5 moves
    assert f.train_max_rise == 0.25  # +0.5 over a first loss of 2
    assert f.train_drop == -0.25  # ends (median of the last three: 2.5) above where it started
    assert f.train_rise == 0.0  # never went below its start: no progress to undo
    assert f.train_linearity == 0.0


def test_a_flat_run_made_no_progress() -> None:
    f = curve_features(history(train_loss=[1.0] * 8, val_loss=[1.1] * 8))
    assert (f.train_drop, f.train_rise, f.train_linearity, f.train_up_frac) == (0.0, 0.0, 0.0, 0.0)
    assert f.flat_frac == 1.0
    assert (f.val_best_at, f.val_rise, f.val_drop) == (0.0, 0.0, 0.0)
    assert f.gap_end == pytest.approx(0.1)  # (1.1 - 1) / 1
    assert f.gap_growth == 0.0  # the same gap at the best validation point (the first of equals)


@pytest.mark.parametrize("n", [1, 2])
def test_too_short_histories_give_no_shape_features(n: int) -> None:
    f = curve_features(history(train_loss=[1.0, 0.5][:n], val_loss=[1.2, 0.7][:n], lr=[0.1, 0.1][:n]))
    assert (f.points, f.has_val, f.nonfinite) == (n, True, False)
    assert computed(f, TRAIN_FEATURES, VAL_FEATURES, "flat_frac", "gap_end", "gap_growth", "train_peak") == []
    assert f.lr_decay == (1.0 if n == 2 else None)


def test_three_points_are_enough() -> None:
    f = curve_features(history(train_loss=[1.0, 0.8, 0.6], val_loss=[1.1, 0.9, 0.8]))
    assert all(getattr(f, name) is not None for name in TRAIN_FEATURES + VAL_FEATURES)
    assert f.train_end == 0.8  # the median of all three
    assert f.val_best_at == 1.0


def test_a_history_with_only_val_loss() -> None:
    f = curve_features(history(val_loss=[2.0, 1.5, 1.2, 1.1, 1.09]))
    assert (f.points, f.has_val, f.nonfinite) == (5, True, False)
    assert computed(f, TRAIN_FEATURES, "gap_end", "gap_growth", "train_peak") == []
    assert f.val_best_at == 1.0
    assert f.val_drop == pytest.approx(1 - 1.1 / 2.0)  # end: median(1.2, 1.1, 1.09)
    assert f.val_rise == pytest.approx((1.1 - 1.09) / 1.09, rel=1e-3)
    # The best (1.09) is within 1% of 1.1: the last move is flat.
    assert f.flat_frac == 0.25


def test_a_history_with_only_train_loss_has_no_val_features() -> None:
    f = curve_features(history(train_loss=[3.0, 2.0, 1.0, 1.0, 1.0]))
    assert f.has_val is False
    assert computed(f, VAL_FEATURES, "gap_end", "gap_growth", "train_peak", "val_metric_gain") == []
    assert f.flat_frac == 0.5  # the train loss is watched instead: no progress over the last 2 of 4 moves


def test_nan_midway_ends_the_informative_part() -> None:
    train = [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, math.nan, math.nan, 5.0, 4.0]
    f = curve_features(history(train_loss=train))
    assert f.nonfinite is True
    assert f.nonfinite_at == pytest.approx(6 / 9, rel=1e-3)
    # Features come from the six points before the NaN only (the 5.0 and 4.0 after it are ignored).
    assert f.points == 10
    assert f.train_end == 0.9 and f.train_drop == pytest.approx(1 - 0.9 / 2.0)
    assert f.train_start_spike == pytest.approx(2.0 / 1.5, rel=1e-3)


def test_inf_in_the_validation_loss_is_nonfinite_too() -> None:
    f = curve_features(history(x=[0, 10, 20, 30, 40], train_loss=[1.0, 0.8, 0.7, 0.6, 0.5],
                               val_loss=[1.1, 0.9, math.inf, 0.8, 0.7]))
    assert f.nonfinite is True and f.nonfinite_at == 0.5  # position in x, not in rows
    assert computed(f, VAL_FEATURES) == []  # two finite val points before the inf: too few
    assert f.train_end == 0.6  # the train loss stayed finite: all of it counts
    assert f.gap_end is None and f.train_peak is None  # they need a validation curve before the inf


def test_nan_at_the_start_leaves_nothing_to_measure() -> None:
    f = curve_features(history(train_loss=[math.nan, 1.0, 0.5, 0.2], val_loss=[-math.inf, 1.0, 0.6, 0.3]))
    assert (f.nonfinite, f.nonfinite_at) == (True, 0.0)
    assert computed(f, TRAIN_FEATURES, VAL_FEATURES, "flat_frac", "train_peak") == []


def test_a_zero_validation_loss_does_not_divide_by_zero() -> None:
    f = curve_features(history(train_loss=[1.0, 0.5, 0.2, 0.1], val_loss=[0.0, 0.0, 0.0, 0.0]))
    assert (f.val_rise, f.val_drop, f.val_improve_end, f.val_best_at) == (0.0, 0.0, 0.0, 0.0)
    assert f.train_peak is None  # no best validation loss to measure the peak in
    assert f.gap_end == pytest.approx(-0.2)  # (0 - median(0.5, 0.2, 0.1)) / first train loss 1.0


@pytest.mark.parametrize("train", [[0.0] * 4, [0.0, 0.1, 0.0, 0.0], [-1.0] * 4])
def test_a_train_loss_starting_at_its_best_at_or_below_zero(train: list[float]) -> None:
    f = curve_features(history(train_loss=train))
    assert f.train_rise == 0.0 and f.train_drop == 0.0 and f.train_linearity == 0.0


def test_long_runs_read_rises_through_a_running_median() -> None:
    """One noisy epoch is not oscillation once there are 40 points; below 40 every rise counts."""
    def curve(n: int) -> list[float]:
        values = [2.0 * 0.97**i for i in range(n)]
        values[n // 2] *= 1.5  # a single spike
        return values

    assert curve_features(history(train_loss=curve(39))).train_up_frac == pytest.approx(1 / 38, rel=1e-3)
    assert curve_features(history(train_loss=curve(40))).train_up_frac == 0.0


def test_the_best_validation_point_is_read_through_the_noise() -> None:
    """From 7 points on, one low outlier (epoch 2) is not the best epoch."""
    val = [2.0, 1.8, 0.5, 1.6, 1.5, 1.4, 1.3]
    # Running medians of 5: 1.8, 1.7, 1.6, 1.5, 1.4, 1.45, 1.4: the best is epoch 4 of 0..6.
    assert curve_features(history(val_loss=val)).val_best_at == pytest.approx(4 / 6, rel=1e-3)
    assert curve_features(history(val_loss=val[:6])).val_best_at == 0.4  # 6 points: raw minimum


def test_metric_lr_and_gradient_norm_features() -> None:
    f = curve_features(history(
        train_loss=[1.0, 0.9, 0.8, 0.7, 0.6, 0.5],
        val_metric=[0.10, 0.30, 0.50, 0.55, 0.60, 0.40],
        lr=[0.1, 0.1, 0.05, 0.0, math.nan, 0.01],  # zero and NaN learning rates are skipped
        grad_norm=[2.0, 1.0, 1.0, 8.0, 1.0, 0.5],
    ))
    assert f.val_metric_gain == pytest.approx(0.55 - 0.30)  # median of the last three - of the first three
    assert f.val_metric_range == pytest.approx(0.5)
    assert f.lr_decay == pytest.approx(0.1)
    assert f.grad_spike == 8.0  # over the median norm, 1.0
    assert f.grad_jump == pytest.approx(8.0)  # 8 / median(2, 1, 1)
    assert f.grad_shrink == pytest.approx(1.0 / 1.0)  # median(1, 0.5, ...) of the ends: 1 and 1
    assert f.has_val is False  # a metric alone is not a validation loss


def test_too_few_metric_lr_or_gradient_points() -> None:
    f = curve_features(history(train_loss=[1.0, 0.9, 0.8, 0.7], val_metric=[0.1, 0.2, None, None],
                               lr=[0.1, None, None, None], grad_norm=[1.0, 2.0, 1.0, 1.0]))
    assert (f.val_metric_gain, f.val_metric_range, f.lr_decay) == (None, None, None)
    assert (f.grad_spike, f.grad_jump, f.grad_shrink) == (None, None, None)  # 5 norms needed


def test_every_loss_feature_is_scale_free() -> None:
    train = [3.0, 2.2, 1.9, 2.0, 1.4, 1.3, 1.35, 1.2, 1.25, 1.3]
    val = [3.1, 2.5, 2.2, 2.1, 1.9, 1.95, 2.0, 2.1, 2.3, 2.4]
    base = curve_features(history(train_loss=train, val_loss=val)).model_dump()
    scaled = curve_features(history(train_loss=[v * 1000 for v in train],
                                    val_loss=[v * 1000 for v in val])).model_dump()
    assert scaled.pop("train_end") == pytest.approx(1000 * base.pop("train_end"))
    assert scaled == pytest.approx(base)
