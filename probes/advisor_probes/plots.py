"""PNG plots of probe results; matplotlib is imported only here, only when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from advisor.core.diagnosis import Diagnosis
from advisor.errors import MissingDependencyError
from advisor.evidence.history import History
from advisor.evidence.results import BatchProbeResult, DataScalingResult, LRRangeResult


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("matplotlib", "probes", "plotting") from None
    return plt


def _save(plt: Any, fig: Any, ax: Any, path: str | Path) -> Path:
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_lr(result: LRRangeResult, path: str | Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    lrs = np.array(result.lrs)
    ax.plot(lrs, result.losses, ".", color="0.6", ms=4, label="loss per step (raw)")
    if result.smoothed:
        ax.plot(
            lrs[: len(result.smoothed)],
            result.smoothed,
            "-",
            color="C0",
            lw=2,
            label="centred smoothing (no lag)",
        )
    if result.lr_low and result.lr_high:
        ax.axvspan(result.lr_low, result.lr_high, color="C2", alpha=0.15, label="suggested range")
    if result.suggested_lr:
        ax.axvline(
            result.suggested_lr,
            color="C2",
            lw=2,
            label=f"suggested {result.suggested_lr:.2g} ({result.confidence})",
        )
    if result.diverged_at_lr:
        ax.axvline(result.diverged_at_lr, color="C3", ls="--", label=f"diverged {result.diverged_at_lr:.2g}")
    ax.set_xscale("log")
    finite = [v for v in result.losses if np.isfinite(v)]
    if finite:
        ax.set_ylim(min(finite) * 0.95, min(max(finite), 3 * np.median(finite)) * 1.05)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(f"LR range test ({result.optimizer}): {result.status}")
    return _save(plt, fig, ax, path)


def plot_memory(result: BatchProbeResult, path: str | Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    mib = 1 << 20
    for source, marker in (("trace", "o"), ("confirm", "s")):
        pts = [(p.batch_size, p.peak_bytes / mib) for p in result.points if p.source == source]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker, label=f"measured ({source})")
    if result.predicted_max_batch:
        xs = np.linspace(1, result.predicted_max_batch * 1.3, 200)
        if result.envelope:
            lines = np.array(result.envelope)
            peak = np.max(lines[:, :1] + lines[:, 1:] * xs[None, :], axis=0)
            ax.plot(xs, peak / mib, "-", color="C0", alpha=0.7, label="predicted peak (envelope of lines)")
        ax.axvline(result.predicted_max_batch, color="C2", label=f"max batch {result.predicted_max_batch}")
    if result.recommended_batch:
        ax.axvline(
            result.recommended_batch, color="C2", ls=":", label=f"recommended {result.recommended_batch}"
        )
    ax.axhline(result.budget_bytes / mib, color="C3", ls="--", label="budget")
    ax.set_xlabel("batch size")
    ax.set_ylabel("peak memory of one step (MiB)")
    ax.set_title(f"batch-size memory probe on {result.device}: {result.status}")
    return _save(plt, fig, ax, path)


def plot_scaling(result: DataScalingResult, path: str | Path) -> Path:
    """Validation (and train) loss vs training-set size on log-log axes, the fit extrapolated."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    n = np.array([p.samples for p in result.points], dtype=float)
    ax.plot(n, [p.val_loss for p in result.points], "o", color="C0", label="validation loss (best epoch)")
    ax.plot(n, [p.train_loss for p in result.points], "x", color="0.5", label="train loss at that epoch")
    if result.status == "ok" and result.exponent is not None and result.coefficient is not None:
        xs = np.geomspace(n.min(), n.max() * 4, 100)
        a, b = result.coefficient, result.exponent
        ax.plot(xs, a * xs**-b, "-", color="C0", label=f"fit: {a:.3g} n^-{b:.3f}")
        if result.exponent_interval:
            lo, hi = result.exponent_interval
            # The band pivots at the largest measured size: extrapolation uncertainty only.
            pivot = n.max()
            y0 = a * pivot**-b
            ax.fill_between(
                xs,
                y0 * (xs / pivot) ** -lo,
                y0 * (xs / pivot) ** -hi,
                where=xs >= pivot,
                color="C0",
                alpha=0.15,
                label="90% interval (2x, 4x data)",
            )
        for k in (2, 4):
            ax.axvline(n.max() * k, color="0.8", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training samples")
    ax.set_ylabel("loss")
    ax.set_title(f"data scaling: {result.status}")
    return _save(plt, fig, ax, path)


def plot_history(history: History, diagnosis: Diagnosis, path: str | Path) -> Path:
    """Train/validation loss (log scale), the best validation point, LR on a second axis, and
    the verdicts in the title - what `advisor diagnose --plot` draws."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for column, style, label in (("train_loss", "-", "train loss"), ("val_loss", "-", "validation loss")):
        pts = [(x, v) for x, v in history.series(column) if np.isfinite(v) and v > 0]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, style, label=label, lw=1.6)
            if column == "val_loss":
                i = int(np.argmin(ys))
                ax.plot(
                    [xs[i]], [ys[i]], "o", color="C1", label=f"best validation ({history.x_name} {xs[i]:g})"
                )
    bad = [x for c in ("train_loss", "val_loss") for x, v in history.series(c) if not np.isfinite(v)]
    if bad:
        ax.axvline(min(bad), color="C3", ls="--", label="first NaN/inf")
    ax.set_yscale("log")
    ax.set_xlabel(history.x_name)
    ax.set_ylabel("loss")
    lrs = history.series("lr")
    if lrs:
        twin = ax.twinx()
        twin.plot(*zip(*lrs, strict=True), ":", color="0.5", lw=1)
        twin.set_ylabel("learning rate", color="0.5")
        twin.set_yscale("log")
    names = [v.name.replace("_", " ") for v in diagnosis.verdicts[:3]]
    ax.set_title("diagnosis: " + (", ".join(names) if names else "no verdict"))
    return _save(plt, fig, ax, path)
