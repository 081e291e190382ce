"""The fact table and how a profile fills it: typed values, unknowns left absent, and the run
length (optimizer steps, tokens) computed only when the profile states enough."""

from __future__ import annotations

import pytest

from advisor.core.facts import FACTS, FactSpec, profile_facts, total_steps, train_tokens

from .conftest import ALL_PROFILES

LM = {"task": "causal_lm", "data.modality": "text", "data.num_classes": None, "model.family": "transformer",
      "model.activation": None, "model.depth": None}


def test_every_fact_is_typed_and_enums_list_their_values() -> None:
    for name, spec in FACTS.items():
        assert spec.name == name
        assert spec.type in ("bool", "int", "float", "enum")
        assert bool(spec.values) == (spec.type == "enum"), name
        assert spec.numeric == (spec.type in ("int", "float"))


@pytest.mark.parametrize(("spec", "good", "bad"), [
    (FactSpec("f", "bool", "a flag"), [True, False], [1, 0, "true", None, 1.0]),
    (FactSpec("f", "int", "a count"), [0, 3, -2, 10**12], [True, 3.0, "3", None]),
    (FactSpec("f", "float", "a ratio"), [0.5, 3, -1.5, 0], [True, False, "0.5", None]),
    (FactSpec("f", "enum", "a choice", ("adam", "sgd")), ["adam", "sgd"], ["Adam", "rmsprop", 1, True, None]),
])
def test_accepts_takes_exactly_its_type(spec: FactSpec, good: list, bad: list) -> None:
    assert [spec.accepts(v) for v in good] == [True] * len(good)
    assert [spec.accepts(v) for v in bad] == [False] * len(bad)


def test_a_minimal_profile_states_what_it_says_and_leaves_the_rest_absent(make_profile) -> None:
    facts = profile_facts(make_profile())
    assert {k: facts[k] for k in ("task", "modality", "num_samples", "num_classes", "family", "depth",
                                  "activation", "trials", "device", "num_devices")} == {
        "task": "classification", "modality": "tabular", "num_samples": 20000, "num_classes": 3,
        "family": "mlp", "depth": 3, "activation": "relu", "trials": 20, "device": "gpu", "num_devices": 1}
    # Stated defaults of the profile model are facts too ...
    assert (facts["imbalance_ratio"], facts["pretrained"], facts["optimizer_given"]) == (1.0, False, False)
    assert (facts["norm"], facts["batchnorm"], facts["finetune_method"]) == ("none", False, "full")
    assert (facts["budget_unit"], facts["batch_given"], facts["loss"]) == ("none", False, "cross_entropy")
    # ... but what the profile does not say is absent, never None: rules on it wait.
    for unknown in ("optimizer", "sequence_length", "num_tokens", "num_params", "kind", "lora_rank",
                    "similarity", "epochs", "steps", "tokens", "total_steps", "train_tokens", "memory_gb",
                    "max_batch_size", "precision", "global_batch", "grad_accum", "user_lr"):
        assert unknown not in facts, unknown
    assert None not in facts.values()
    assert not any(FACTS[name].derived for name in facts if name != "optimizer")


def test_stated_values_become_typed_facts(make_profile) -> None:
    facts = profile_facts(make_profile(**{
        "optimizer": "adamw", "learning_rate": 0.003, "data.imbalance_ratio": 4,
        "model.pretrained": True, "model.pretrain_similarity": "low", "model.normalization": "batchnorm",
        "model.finetuning": {"method": "lora", "lora_rank": 8}, "hardware.memory_gb": 16,
        "hardware.global_batch_size": 256, "hardware.gradient_accumulation_steps": 2,
        "hardware.precision": "bf16", "budget.epochs": 5,
    }))
    assert facts["optimizer"] == "adamw" and facts["optimizer_given"] is True
    assert facts["user_lr"] == 0.003
    assert facts["imbalance_ratio"] == 4.0 and isinstance(facts["imbalance_ratio"], float)
    assert facts["memory_gb"] == 16.0 and isinstance(facts["memory_gb"], float)
    assert (facts["similarity"], facts["finetune_method"], facts["lora_rank"]) == ("low", "lora", 8)
    assert (facts["norm"], facts["batchnorm"]) == ("batchnorm", True)
    assert (facts["global_batch"], facts["batch_given"], facts["grad_accum"]) == (256, True, 2)
    assert (facts["epochs"], facts["budget_unit"], facts["total_steps"]) == (5, "epochs", 5 * 20000 // 256)


def test_v1_batchnorm_flag_is_the_norm_fact(make_profile) -> None:
    facts = profile_facts(make_profile(**{"model.batchnorm": True}))
    assert (facts["norm"], facts["batchnorm"]) == ("batchnorm", True)


@pytest.mark.parametrize("path", ALL_PROFILES, ids=lambda p: p.stem)
def test_every_bundled_profile_gives_facts_of_the_declared_types(path, profiles) -> None:
    facts = profile_facts(profiles[path.stem])
    for name, value in facts.items():
        assert name in FACTS, name
        assert FACTS[name].accepts(value), f"{name}={value!r} is not a {FACTS[name].type}"


@pytest.mark.parametrize(("overrides", "steps"), [
    ({"budget.steps": 777}, 777),  # stated: no batch needed
    ({"budget.steps": 777, "hardware.global_batch_size": 64}, 777),
    ({"budget.epochs": 10, "hardware.global_batch_size": 128}, 10 * 20000 // 128),
    ({"budget.epochs": 1, "data.num_samples": 10, "hardware.global_batch_size": 1024}, 1),  # at least 1
    ({"budget.epochs": 10}, None),  # no fixed batch: unknown
    ({"hardware.global_batch_size": 128}, None),  # no run length
    ({**LM, "budget.tokens": 10**9, "data.sequence_length": 512, "hardware.global_batch_size": 256},
     10**9 // (256 * 512)),
    ({**LM, "budget.tokens": 1000, "data.sequence_length": 512, "hardware.global_batch_size": 256}, 1),
    ({**LM, "budget.tokens": 10**9, "hardware.global_batch_size": 256}, None),  # no sequence length
])
def test_total_steps(make_profile, overrides: dict, steps: int | None) -> None:
    profile = make_profile(**overrides)
    assert total_steps(profile) == steps
    facts = profile_facts(profile)
    assert facts.get("total_steps") == steps and ("total_steps" in facts) == (steps is not None)


@pytest.mark.parametrize(("overrides", "tokens"), [
    ({**LM, "budget.tokens": 5 * 10**9}, 5e9),  # stated, even without a sequence length
    ({**LM, "budget.steps": 1000, "hardware.global_batch_size": 32, "data.sequence_length": 2048},
     1000 * 32 * 2048.0),
    ({**LM, "budget.steps": 1000, "data.sequence_length": 2048}, None),  # no batch
    ({**LM, "budget.epochs": 3, "data.sequence_length": 128}, 3 * 20000 * 128.0),  # samples x length
    ({**LM, "budget.epochs": 3, "data.sequence_length": 128, "data.num_tokens": 10**6}, 3e6),  # counted
    ({**LM, "budget.epochs": 3}, None),  # no sequence length
    ({"budget.epochs": 3, "hardware.global_batch_size": 32}, None),  # tabular: no tokens at all
    ({**LM, "data.sequence_length": 128}, None),  # no run length
])
def test_train_tokens(make_profile, overrides: dict, tokens: float | None) -> None:
    profile = make_profile(**overrides)
    got = train_tokens(profile)
    assert got == tokens and (got is None or isinstance(got, float))
    assert profile_facts(profile).get("train_tokens") == tokens
