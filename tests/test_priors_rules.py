"""Priors from tuning data (rules/advisor_rules/priors.yaml): tabular MLPs start unregularized at a small
batch and search regularization early; other families keep the seeds' defaults."""

from __future__ import annotations

from typing import Any

import pytest

from advisor import default_knowledge_base, parse_profile, recommend


def _rec(optimizer: str | None = "adam", trials: int = 20, num_samples: int = 1000, **overrides: Any):
    profile: dict[str, Any] = {
        "name": "t", "task": "classification",
        "data": {"modality": "tabular", "num_samples": num_samples, "num_classes": 3},
        "model": {"family": "mlp", "depth": 3, "activation": "relu"},
        "budget": {"trials": trials, "epochs": 50}, "hardware": {"device": "cpu"},
    }
    if optimizer:
        profile["optimizer"] = optimizer
    for key, value in overrides.items():
        profile[key] = {**profile.get(key, {}), **value} if isinstance(value, dict) else value
    return recommend(parse_profile(profile))


def _searched(rec) -> dict[str, Any]:
    return {d.name: d for d in rec.search_space}


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "nadam", "rmsprop", None])
def test_adaptive_optimizers_start_without_weight_decay_or_dropout(optimizer: str | None) -> None:
    rec = _rec(optimizer)
    assert rec.config["weight_decay"] == 1e-8  # the log range's floor, standing for none
    assert rec.config["dropout"] == 0.0
    assert "input_dropout" not in rec.config
    space = _searched(rec)
    # below 10k rows the search reaches C5's lambda <= 10 on the summed loss: 10 / N (coupled decay only)
    high = 1e-3 if optimizer in ("adamw", None) else 10 / 1000
    assert (space["weight_decay"].low, space["weight_decay"].high) == pytest.approx((1e-8, high))
    assert (space["dropout"].low, space["dropout"].high) == (0.0, 0.5)
    rules = {e.rule for e in rec.explanations["weight_decay"] if not e.overridden_by}
    assert "reg.c1.evidence.tabular-mlp-adaptive" in rules


def test_the_weight_decay_range_follows_the_data_size() -> None:
    for n, high in ((400, 0.025), (5000, 2e-3), (10_000, 1e-3), (500_000, 1e-3)):
        wd = _searched(_rec("adam", num_samples=n))["weight_decay"]
        assert (wd.low, wd.high, wd.prior) == (1e-8, pytest.approx(high), "log-uniform"), n


def test_sgd_keeps_the_evidence_weight_decay() -> None:
    rec = _rec("momentum")
    assert rec.config["weight_decay"] == 1e-4
    assert rec.config["learning_rate"] == 0.03
    lr = _searched(rec)["learning_rate"]
    assert (lr.low, lr.high) == (0.003, 0.1)


def test_small_tabular_data_gets_a_small_batch_and_reaches_below_it() -> None:
    rec = _rec(num_samples=800)
    assert rec.config["batch_size"] == 16
    assert _searched(rec)["batch_size"].categories == (4, 8, 16, 32, 64)
    big = _rec(num_samples=200_000)
    assert big.config["batch_size"] == 16
    assert big.search_space[1].categories == (8, 16, 32, 64, 128)


def test_a_given_batch_wins_over_the_prior() -> None:
    rec = _rec(hardware={"global_batch_size": 256})
    assert rec.config["batch_size"] == 256


@pytest.mark.parametrize(("trials", "expected"), [
    (3, {"learning_rate"}),
    (10, {"learning_rate", "batch_size", "weight_decay", "dropout"}),
    (20, {"learning_rate", "batch_size", "weight_decay", "dropout"}),
])
def test_regularization_enters_the_search_with_the_second_tier(trials: int, expected: set[str]) -> None:
    assert set(_searched(_rec(trials=trials))) == expected


def test_the_seeds_keep_the_families_the_tables_do_not_cover() -> None:
    cnn = recommend(parse_profile({
        "name": "cnn", "task": "classification",
        "data": {"modality": "image", "num_samples": 50_000, "num_classes": 10},
        "model": {"family": "cnn", "depth": 8, "activation": "relu"}, "optimizer": "adam",
        "budget": {"trials": 20, "epochs": 50}}))
    assert cnn.config["weight_decay"] == 5e-4  # C1's seed default
    assert "weight_decay" not in _searched(cnn)
    image_mlp = recommend(parse_profile({
        "name": "mlp", "task": "classification",
        "data": {"modality": "image", "num_samples": 50_000, "num_classes": 10},
        "model": {"family": "mlp", "depth": 3, "activation": "relu"}, "optimizer": "sgd",
        "budget": {"trials": 20, "epochs": 50}}))
    assert image_mlp.config["dropout"] == 0.5  # C2's seed default for MLPs off the tables


def test_every_data_prior_cites_its_data_and_method() -> None:
    kb = default_knowledge_base()
    prior_rules = [r for r in kb.rules if any(s.startswith("EXT-PRIOR-") for s in r.source)]
    assert len(prior_rules) >= 6
    for source_id in {s for r in prior_rules for s in r.source if s.startswith("EXT-PRIOR-")}:
        text = kb.sources[source_id].text.lower()
        assert "data" in text and "method" in text and ("tasks" in text or "data sets" in text), source_id
    # every prior that overrides a seed default names the seed conflict it resolves
    for rule in prior_rules:
        if any(p in rule.params for p in ("weight_decay", "dropout", "batch_size")):
            assert {"C1", "C2", "C4", "C5"} & set(rule.source), rule.id
