"""The facts rules may match on: their names, types, allowed values, and how a profile fills
them. A fact the profile leaves unknown stays absent, and a rule that mentions it does not fire."""

from __future__ import annotations

from typing import get_args

from advisor.evidence.fact import FactSpec, FactType, FactValue
from advisor.evidence.registry import evidence_facts, kinds
from advisor.evidence.results import ProbeResults
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

__all__ = ["FACTS", "FactSpec", "FactType", "FactValue", "profile_facts"]


def _enum(name: str, literal: object, doc: str, derived: bool = False) -> FactSpec:
    return FactSpec(name, "enum", doc, tuple(get_args(literal)), derived)


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

# The profile's facts, every kind of evidence's (advisor.evidence.kinds), and the verdicts.
FACTS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS} | evidence_facts()
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


def _probe_facts(probes: ProbeResults) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {}
    for kind in kinds():
        if kind.is_probe:
            facts |= kind.facts_of(getattr(probes, kind.slot))
    return facts
