"""The facts rules may match on: their names, types, allowed values, and how a profile fills
them. A fact the profile leaves unknown stays absent, and a rule that mentions it does not fire."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from advisor.evidence.results import DataScalingResult, ProbeResults, SanityResult
from advisor.profile.model import (
    Activation,
    Device,
    DropoutPlacement,
    FinetuneMethod,
    LossName,
    Modality,
    ModelFamily,
    ModelKind,
    Normalization,
    OptimizerName,
    Precision,
    Profile,
    TaskType,
)

FactType = Literal["bool", "int", "float", "enum"]
FactValue = bool | int | float | str


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    doc: str
    values: tuple[str, ...] = ()
    derived: bool = False  # set by rules, not by the profile

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float")

    def accepts(self, value: object) -> bool:
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "enum":
            return isinstance(value, str) and value in self.values
        if self.type == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, int | float) and not isinstance(value, bool)


def _enum(name: str, literal: object, doc: str, derived: bool = False) -> FactSpec:
    return FactSpec(name, "enum", doc, tuple(get_args(literal)), derived)


SANITY_CHECKS = ("init_loss", "overfit_batch", "zero_input", "update_ratio", "gradient_isolation")

# What a diagnosis can conclude (rules/advisor_rules/diagnosis.yaml); each is also a derived bool fact.
VERDICTS = (
    # sanity probes: bugs come first
    "broken_init_loss", "cannot_overfit_batch", "ignores_input", "frozen_weights",
    "mixes_samples", "update_too_large", "update_too_small",
    # training curves
    "diverged", "lr_too_high", "exploding_gradients", "lr_too_low", "vanishing_gradients",
    "underfitting", "overfitting", "plateau", "still_improving", "healthy", "not_learning",
    # data scaling
    "collect_more_data", "more_capacity", "more_regularization",
)


def verdict_fact(name: str) -> str:
    return f"verdict_{name}"


# The published recipe family a profile belongs to (rules/advisor_rules/recipes.yaml sets it; "generic" when
# none applies, so rules can test for it instead of waiting on an absent fact).
RECIPES = (
    "generic", "convnet_scratch", "mobile_scratch", "convnet_finetune", "detection", "segmentation",
    "vit_scratch", "vit_finetune", "transformer_scratch", "encoder_pretrain", "encoder_finetune",
    "seq2seq_scratch",
    "seq2seq_finetune", "llm_pretrain", "llm_finetune", "adapter_finetune", "rnn_lm", "gan",
    "speech_finetune",
)

REGIMES = (
    "scratch",
    "finetune-small-similar",
    "finetune-small-different",
    "finetune-large-similar",
    "finetune-large-different",
)

_SPECS = (
    _enum("task", TaskType, "task type"),
    _enum("modality", Modality, "data modality"),
    FactSpec("num_samples", "int", "labelled training samples"),
    FactSpec("num_classes", "int", "number of classes (unknown for regression)"),
    FactSpec("imbalance_ratio", "float", "largest / smallest class count"),
    FactSpec("sparse_features", "bool", "inputs are sparse (bag-of-words, one-hot)"),
    FactSpec("sequence_length", "int", "tokens (or frames) per example"),
    FactSpec("num_tokens", "int", "training tokens in the dataset"),
    _enum("family", ModelFamily, "model family"),
    _enum("kind", ModelKind, "transformer layout"),
    _enum("norm", Normalization, "normalization layers"),
    FactSpec("num_params", "int", "parameter count"),
    FactSpec("depth", "int", "number of weight layers"),
    FactSpec("batchnorm", "bool", "the model has BatchNorm layers"),
    _enum("activation", Activation, "hidden activation"),
    _enum("dropout_placement", DropoutPlacement, "where the model applies dropout"),
    FactSpec("custom_layers", "bool", "the model has hand-written ops"),
    FactSpec("pretrained", "bool", "starts from pretrained weights"),
    _enum("finetune_method", FinetuneMethod, "how pretrained weights are trained (default full)"),
    FactSpec("lora_rank", "int", "LoRA rank r"),
    FactSpec("similarity", "enum", "target vs pretraining data", ("high", "low")),
    _enum("loss", LossName, "loss function"),
    FactSpec("auxiliary_loss", "bool", "an auxiliary loss is added to the main one"),
    FactSpec("optimizer_given", "bool", "the profile names an optimizer"),
    FactSpec("trials", "int", "trial budget"),
    FactSpec("epochs", "int", "epoch budget per trial"),
    FactSpec("steps", "int", "optimizer-step budget per trial"),
    FactSpec("tokens", "int", "token budget per trial"),
    FactSpec("budget_unit", "enum", "how the profile states the run length",
             ("epochs", "steps", "tokens", "none")),
    FactSpec("total_steps", "int", "optimizer steps per run, when the profile allows computing it"),
    FactSpec("train_tokens", "float", "tokens seen in one run, when the profile allows computing it"),
    _enum("device", Device, "accelerator kind"),
    FactSpec("memory_gb", "float", "memory per device (GiB)"),
    FactSpec("num_devices", "int", "devices used together"),
    FactSpec("max_batch_size", "int", "largest batch that fits on one device"),
    _enum("precision", Precision, "numeric precision of training"),
    FactSpec("batch_given", "bool", "the profile fixes the global batch size"),
    FactSpec("global_batch", "int", "samples per optimizer step, all devices and accumulation"),
    FactSpec("grad_accum", "int", "gradient accumulation steps the profile states"),
    FactSpec("user_lr", "float", "the learning rate the profile says it uses"),
    # Probe measurements (absent unless that probe ran and measured them).
    FactSpec("lr_probed", "bool", "an LR range test ran"),
    FactSpec("lr_probe_status", "enum", "LR range test outcome",
             ("ok", "no_clear_minimum", "diverged", "failed")),
    FactSpec("lr_suggested", "float", "LR range test suggestion"),
    FactSpec("lr_low", "float", "low end of the LR range test's range"),
    FactSpec("lr_high", "float", "high end of the LR range test's range"),
    FactSpec("lr_min_loss", "float", "LR at the smoothed loss minimum"),
    FactSpec("lr_diverge", "float", "LR where the range test diverged"),
    FactSpec("lr_confidence", "enum", "agreement of the LR pickers", ("high", "medium", "low")),
    FactSpec("lr_probe_mode", "enum", "quick: the ramp alone; thorough: short real runs decided",
             ("quick", "thorough")),
    FactSpec("batch_probed", "bool", "a batch-size memory probe ran"),
    FactSpec("batch_probe_status", "enum", "batch probe outcome",
             ("ok", "exceeds_budget_at_1", "failed")),
    FactSpec("batch_probe_max", "int", "largest batch that fits, measured"),
    # Training-curve features (`advisor diagnose`): see advisor.evidence.curve_features for definitions.
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
    # Sanity probes (`advisor probe sanity`).
    FactSpec("sanity_ran", "bool", "the sanity probes ran"),
    *(FactSpec(f"sanity_{name}", "enum", f"sanity check {name}", ("pass", "fail", "skipped"))
      for name in SANITY_CHECKS),
    FactSpec("sanity_init_loss_ratio", "float", "loss at initialization / ln(classes)"),
    FactSpec("sanity_overfit_ratio", "float", "loss after overfitting one batch / initial loss"),
    FactSpec("sanity_update_ratio_median", "float", "median |update| / |weight| over parameter tensors"),
    FactSpec("sanity_frozen_fraction", "float", "share of parameter tensors one step did not change"),
    FactSpec("sanity_zero_input_margin", "float", "zero-input loss / real-input loss, held out"),
    # Data-scaling probe (`advisor probe data-scaling`).
    FactSpec("scaling_ran", "bool", "the data-scaling probe ran"),
    FactSpec("scaling_status", "enum", "data-scaling outcome", ("ok", "no_fit", "failed")),
    FactSpec("scaling_exponent", "float", "b in val_loss = a * n^-b"),
    FactSpec("scaling_gain_2x", "float", "predicted relative val-loss reduction from 2x the data"),
    FactSpec("scaling_gain_2x_low", "float", "pessimistic end (90% interval) of that gain"),
    FactSpec("scaling_gain_4x", "float", "predicted relative val-loss reduction from 4x the data"),
    FactSpec("scaling_gap", "float", "(val - train) / val loss at the largest fraction"),
    # Derived: rules set these, later rules match on them.
    # From the profile when it names one, otherwise chosen by a rule.
    _enum("optimizer", OptimizerName, "the optimizer in use", derived=True),
    FactSpec("regime", "enum", "fine-tuning quadrant or scratch", REGIMES, derived=True),
    FactSpec("recipe", "enum", "published recipe family the profile belongs to", RECIPES, derived=True),
    FactSpec("fine_tune", "bool", "training starts from pretrained weights", derived=True),
    FactSpec(
        "dataset_size", "enum", "size class of the training set",
        ("tiny", "small", "medium", "large", "huge"), derived=True,
    ),
    FactSpec(
        "batch_regime", "enum", "batch-size regime", ("tiny", "normal", "huge"), derived=True
    ),
    FactSpec("lr_undecayed", "bool", "the run's LR was not decayed (or is not logged)", derived=True),
    FactSpec("search_tier", "int", "SRCH-01 importance tiers the trial budget affords", derived=True),
    FactSpec("adaptive", "bool", "the optimizer adapts per-parameter step sizes", derived=True),
)

FACTS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}
FACTS |= {verdict_fact(name): FactSpec(verdict_fact(name), "bool", f"verdict {name} holds", derived=True)
          for name in VERDICTS}


def profile_facts(profile: Profile, probes: ProbeResults | None = None) -> dict[str, FactValue]:
    """The facts a profile (and any probe results) state; unknowns are left out."""
    data, model, hw = profile.data, profile.model, profile.hardware
    facts: dict[str, FactValue | None] = {
        "task": profile.task,
        "modality": data.modality,
        "num_samples": data.num_samples,
        "num_classes": data.num_classes,
        "imbalance_ratio": float(data.imbalance_ratio),
        "sparse_features": data.sparse_features,
        "sequence_length": data.sequence_length,
        "num_tokens": data.num_tokens,
        "family": model.family,
        "kind": model.kind,
        "norm": model.norm or "none",
        "num_params": model.num_params,
        "depth": model.depth,
        "batchnorm": model.norm == "batchnorm",
        "activation": model.activation,
        "dropout_placement": model.dropout_placement,
        "custom_layers": model.custom_layers,
        "pretrained": model.pretrained,
        "finetune_method": model.finetuning.method if model.finetuning else "full",
        "lora_rank": model.finetuning.lora_rank if model.finetuning else None,
        "similarity": model.pretrain_similarity,
        "loss": profile.loss.name,
        "auxiliary_loss": profile.loss.auxiliary,
        "optimizer_given": profile.optimizer is not None,
        "optimizer": profile.optimizer,
        "trials": profile.budget.trials,
        "epochs": profile.budget.epochs,
        "steps": profile.budget.steps,
        "tokens": profile.budget.tokens,
        "budget_unit": _budget_unit(profile),
        "total_steps": total_steps(profile),
        "train_tokens": train_tokens(profile),
        "device": hw.device,
        "memory_gb": None if hw.memory_gb is None else float(hw.memory_gb),
        "num_devices": hw.num_devices,
        "max_batch_size": hw.max_batch_size,
        "precision": hw.precision,
        "batch_given": hw.global_batch_size is not None,
        "global_batch": hw.global_batch_size,
        "grad_accum": hw.gradient_accumulation_steps,
        "user_lr": profile.learning_rate,
    }
    facts.update(_probe_facts(probes or ProbeResults()))
    return {name: value for name, value in facts.items() if value is not None}


def _budget_unit(profile: Profile) -> str:
    budget = profile.budget
    return next((u for u in ("epochs", "steps", "tokens") if getattr(budget, u) is not None), "none")


def total_steps(profile: Profile) -> int | None:
    """Optimizer steps of one run, when the budget and a fixed global batch say it."""
    budget, batch = profile.budget, profile.hardware.global_batch_size
    if budget.steps is not None:
        return budget.steps
    if batch is None:
        return None
    if budget.epochs is not None:
        return max(1, budget.epochs * profile.data.num_samples // batch)
    if budget.tokens is not None and profile.data.sequence_length:
        return max(1, budget.tokens // (batch * profile.data.sequence_length))
    return None


def train_tokens(profile: Profile) -> float | None:
    """Tokens one run processes (the compute of language-model scaling laws is 6 x params x this)."""
    budget, data, batch = profile.budget, profile.data, profile.hardware.global_batch_size
    if budget.tokens is not None:
        return float(budget.tokens)
    if data.sequence_length is None:
        return None
    if budget.steps is not None and batch is not None:
        return float(budget.steps * batch * data.sequence_length)
    if budget.epochs is not None:
        per_epoch = data.num_tokens or data.num_samples * data.sequence_length
        return float(budget.epochs * per_epoch)
    return None


def _probe_facts(probes: ProbeResults) -> dict[str, FactValue | None]:
    lr, batch = probes.lr_range, probes.batch
    facts: dict[str, FactValue | None] = {"lr_probed": lr is not None, "batch_probed": batch is not None}
    if lr is not None:
        facts |= {"lr_probe_status": lr.status, "lr_suggested": lr.suggested_lr,
                  "lr_low": lr.lr_low, "lr_high": lr.lr_high, "lr_min_loss": lr.min_loss_lr,
                  "lr_diverge": lr.diverged_at_lr, "lr_confidence": lr.confidence,
                  "lr_probe_mode": lr.mode}
    if batch is not None:
        facts |= {"batch_probe_status": batch.status, "batch_probe_max": batch.predicted_max_batch}
        if batch.status == "ok" and batch.predicted_max_batch:
            # A measurement beats the profile's statement of what fits.
            facts["max_batch_size"] = batch.predicted_max_batch
    if probes.sanity is not None:
        facts |= sanity_facts(probes.sanity)
    if probes.scaling is not None:
        facts |= scaling_facts(probes.scaling)
    return facts


def sanity_facts(result: SanityResult) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {"sanity_ran": True}
    for name in SANITY_CHECKS:
        check = result.check(name)
        facts[f"sanity_{name}"] = check.status if check else "skipped"
    numbers = {
        "sanity_init_loss_ratio": ("init_loss", "ratio"),
        "sanity_overfit_ratio": ("overfit_batch", "final_ratio"),
        "sanity_update_ratio_median": ("update_ratio", "median"),
        "sanity_frozen_fraction": ("update_ratio", "frozen_fraction"),
        "sanity_zero_input_margin": ("zero_input", "margin"),
    }
    for fact, (check_name, key) in numbers.items():
        check = result.check(check_name)
        value = check.measured.get(key) if check else None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            facts[fact] = float(value)
    return facts


def scaling_facts(result: DataScalingResult) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {"scaling_ran": True, "scaling_status": result.status}
    if result.status != "ok":
        return facts
    values = {
        "scaling_exponent": result.exponent,
        "scaling_gain_2x": result.gain_2x,
        "scaling_gain_4x": result.gain_4x,
        "scaling_gap": result.gap,
        "scaling_gain_2x_low": result.gain_2x_interval[0] if result.gain_2x_interval else None,
    }
    facts |= {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}
    return facts
