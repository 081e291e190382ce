"""No recommendation contradicts itself: declared exclusions, and config values that must agree."""

from __future__ import annotations

import random
from typing import Any

import pytest

from advisor import Profile, Recommendation, parse_profile, recommend

from .conftest import ALL_PROFILES
from .test_recommendation import _random_profile

ADAM_FAMILY = {"adam", "adamw", "adamax", "nadam", "lamb"}
MOMENTUM_USERS = {"momentum", "nesterov", "lars", "rmsprop"}
WARMUP_KEYS = ("warmup_steps", "warmup_ratio", "warmup_epochs")


def contradictions(kb: Any, profile: Profile, rec: Recommendation) -> list[str]:
    """Every way the recommendation disagrees with itself or with its profile."""
    out = [f"exclusion {ex.id}: {', '.join(hit)} all fired"
           for ex in kb.exclusions if (hit := ex.violated_by(rec.fired))]
    config = rec.config
    warmups = [k for k in WARMUP_KEYS if config.get(k)]
    if len(warmups) > 1:
        out.append(f"two warmup lengths: {warmups}")
    epochs, patience = profile.budget.epochs, config.get("early_stopping_patience")
    if epochs is not None and patience is not None and patience >= epochs:
        out.append(f"early_stopping_patience {patience} >= epochs {epochs}")
    optimizer = config.get("optimizer")
    if "momentum" in config and optimizer not in MOMENTUM_USERS:
        out.append(f"momentum with {optimizer}")
    if any(k in config for k in ("beta1", "beta2")) and optimizer not in ADAM_FAMILY:
        out.append(f"Adam betas with {optimizer}")
    method = profile.model.finetuning.method if profile.model.finetuning else "full"
    if any(k.startswith("lora_") for k in config) and method not in ("lora", "qlora"):
        out.append(f"LoRA parameters with fine-tuning method {method}")
    if ("freeze" in config or "layer_lr_decay" in config) and not profile.model.pretrained:
        out.append("a fine-tuning plan for a model trained from scratch")
    texts = " ".join(a.text for a in rec.advice)
    if profile.loss.name == "cross_entropy" and "Output layer: sigmoid" in texts:
        out.append("sigmoid/BCE output advice with a cross-entropy loss")
    if profile.loss.name in ("bce", "focal") and "softmax over the classes" in texts:
        out.append(f"softmax advice with a {profile.loss.name} loss")
    if profile.loss.name != "cross_entropy" and "about ln(C)" in texts:
        out.append(f"ln(C) initial-loss check with a {profile.loss.name} loss")
    return out


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.stem)
def test_bundled_profiles_are_coherent(kb, profiles, path) -> None:
    profile = profiles[path.stem]
    assert contradictions(kb, profile, recommend(profile)) == []


def test_random_profiles_are_coherent(kb) -> None:
    rng = random.Random(10)
    problems = {}
    for i in range(400):
        profile = parse_profile(_random_profile(rng))
        found = contradictions(kb, profile, recommend(profile))
        if found:
            problems[i] = found
    assert problems == {}


def test_the_checks_catch_a_contradiction(kb, profiles) -> None:
    """The checker itself can fail: a recommendation with both output layers is reported."""
    rec = recommend(profiles["imbalanced-fraud"])
    forged = rec.model_copy(update={"fired": (*rec.fired, "arch.output.softmax", "arch.output.sigmoid"),
                                    "config": {**rec.config, "warmup_steps": 10, "warmup_ratio": 0.1}})
    found = contradictions(kb, profiles["imbalanced-fraud"], forged)
    assert any("exclusion output-layer" in f for f in found)
    assert any("two warmup lengths" in f for f in found)
