"""Objectives that report a curve, for the pruning tests: quick and deterministic."""

import math


def _loss(lr: float, epoch: int) -> float:
    """A train loss that falls for a moderate LR and climbs for a large one (as an LR above the stable
    range does)."""
    if lr > 0.05:
        return 2.0 * (1.6 ** epoch)
    return 2.0 * math.exp(-epoch * lr * 20) + 0.1 * abs(math.log10(lr) + 2.5)


def reporting(config, report):
    lr = config["learning_rate"]
    for epoch in range(10):
        loss = _loss(lr, epoch)
        report(epoch, loss * 1.1, train_loss=loss)
    return _loss(lr, 9) * 1.1


def value_only(config, report):
    """Reports only its objective value; it turns NaN at epoch 2 for a large LR."""
    lr = config["learning_rate"]
    for epoch in range(6):
        report(epoch, float("nan") if lr > 0.05 and epoch == 2 else _loss(min(lr, 0.05), epoch))
    return _loss(min(lr, 0.05), 5)


def returned_history(config):
    lr = config["learning_rate"]
    history = [_loss(min(lr, 0.05), e) for e in range(5)]
    return {"value": history[-1], "history": history}


def bad_step(config, report):
    report(1, 1.0)
    report(1, 0.5)
    return 0.5
