"""A training history (`advisor diagnose FILE`): the curve features the diagnosis rules read.

Not a probe - the user's own run logged it - so no options and no runner."""

from __future__ import annotations

from advisor.evidence.curve_features import curve_features
from advisor.evidence.fact import FactSpec, FactValue
from advisor.evidence.history import History
from advisor.evidence.registry import EvidenceKind

_FACTS = (
    FactSpec("curve_points", "int", "points in the training history"),
    FactSpec("curve_has_val", "bool", "the history has a validation loss"),
    FactSpec("curve_nonfinite", "bool", "a NaN or inf loss was logged"),
    FactSpec("curve_nonfinite_at", "float", "where in the run the first NaN/inf appeared (0..1)"),
    FactSpec("curve_train_drop", "float", "1 - end/start of the train loss"),
    FactSpec("curve_train_up_frac", "float", "share of epochs where the train loss rose > 2%"),
    FactSpec("curve_train_rise", "float", "share of the train-loss progress undone by the end: "
             "(end - best) / (start - best)"),
    FactSpec("curve_train_start_spike", "float", "first train loss / the highest later one"),
    FactSpec("curve_train_max_rise", "float", "largest epoch-to-epoch train-loss rise / first loss"),
    FactSpec("curve_train_peak", "float", "largest train loss / best validation loss"),
    FactSpec("curve_train_linearity", "float", "train loss drop rate, last third / whole run"),
    FactSpec("curve_train_improve_end", "float", "relative train-loss improvement in the last third"),
    FactSpec("curve_train_improve_scaled", "float", "train-loss improvement in the last third / first loss"),
    FactSpec("curve_train_end", "float", "final train loss"),
    FactSpec("curve_train_vs_chance", "float", "final train loss / ln(classes) (chance level)"),
    FactSpec("curve_val_best_at", "float", "where the best validation loss lies (0..1)"),
    FactSpec("curve_val_rise", "float", "end of the validation loss above its best, relative"),
    FactSpec("curve_val_improve_end", "float", "relative val-loss improvement in the last third"),
    FactSpec("curve_val_drop", "float", "1 - end/start of the validation loss"),
    FactSpec("curve_val_metric_gain", "float", "final minus first validation metric (e.g. accuracy)"),
    FactSpec("curve_val_metric_range", "float", "highest minus lowest validation metric"),
    FactSpec("curve_gap_end", "float", "(val - train) / train at the end"),
    FactSpec("curve_gap_growth", "float", "gap at the end minus gap at the best validation point"),
    FactSpec("curve_flat_frac", "float", "trailing share of the run without a 1% improvement"),
    FactSpec("curve_has_lr", "bool", "the history logs the learning rate"),
    FactSpec("curve_lr_decay", "float", "last logged LR / first logged LR"),
    FactSpec("curve_grad_spike", "float", "largest / median gradient norm"),
    FactSpec("curve_grad_jump", "float", "largest gradient norm / median of the norms before it"),
    FactSpec("curve_grad_shrink", "float", "gradient norm at the end / at the start"),
)

_NAMES = {spec.name for spec in _FACTS}


def _facts(history: History) -> dict[str, FactValue | None]:
    features = curve_features(history).model_dump()
    facts: dict[str, FactValue | None] = {f"curve_{name}": value for name, value in features.items()}
    facts["curve_has_lr"] = "lr" in history.columns
    return {name: value for name, value in facts.items() if name in _NAMES}




KIND = EvidenceKind(
    name="history", slot="history", title="Training history", order=90, result=History, marker="columns",
    to_facts=_facts, consumer="diagnose",
    doc="A training history: loss and metric curves, the learning rate and gradient norms if logged.",
    facts=_FACTS,
)
