"""A rule's `then` mapping read into typed effects: the YAML-key table, the discriminated union, and
the rule's indexes of its effects."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from advisor.core.effects import (
    PARAM_FIELDS,
    Advice,
    Cap,
    Effect,
    Multiply,
    SetChoices,
    SetDefault,
    SetFact,
    SetRange,
    SetScale,
    effect_items,
)
from advisor.core.params import PARAMS

from .test_engine import mini_kb


def test_yaml_keys_become_tagged_items_in_applying_order() -> None:
    items, problems = effect_items({
        "learning_rate": {"cap": "max_lr", "scale": "log", "range": [1e-4, 1e-2], "default": 1e-3,
                          "multiply_range": [0.5, 2.0], "multiply": 2.0},
        "momentum": 0.9,
        "set": {"regime": "scratch", "fine_tune": False},
        "advice": {"text": "Some advice here."},
    }, PARAMS)
    assert problems == []
    assert [(where, item["kind"]) for where, item in items] == [
        ("learning_rate", "default"), ("learning_rate", "range"), ("learning_rate", "scale"),
        ("learning_rate", "multiply"), ("learning_rate", "cap"), ("momentum", "default"),
        ("set.regime", "set"), ("set.fine_tune", "set"), ("advice", "advice")]
    multiply = next(item for _, item in items if item["kind"] == "multiply")
    assert multiply == {"kind": "multiply", "param": "learning_rate", "multiply_range": [0.5, 2.0],
                        "multiply": 2.0}


def test_unreadable_keys_are_problems_not_effects() -> None:
    items, problems = effect_items({"learning_rat": {"default": 1}, "momentum": {"defualt": 0.9},
                                    "set": [1], "advice": "text"}, PARAMS)
    assert items == []
    assert problems == [
        "then: unknown key 'learning_rat' (did you mean 'learning_rate'?); allowed: a hyperparameter name, "
        "set, advice, search, verdict, step",
        "momentum.defualt: unknown field; remove it or check its spelling",
        "set: expected a mapping of fact: value",
        "advice: expected a mapping",
    ]
    assert set(PARAM_FIELDS) >= {"default", "range", "choices", "scale", "cap", "multiply_expr", "per_batch"}


def test_the_union_is_discriminated_by_kind() -> None:
    adapter = TypeAdapter(Effect)
    assert isinstance(adapter.validate_python({"kind": "range", "param": "lr", "range": [1, 2]}), SetRange)
    assert isinstance(adapter.validate_python({"kind": "cap", "param": "b", "cap": "x * 2"}), Cap)
    assert isinstance(adapter.validate_python({"kind": "set", "fact": "regime", "value": "x"}), SetFact)
    assert isinstance(adapter.validate_python({"kind": "advice", "text": "hello world"}), Advice)
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python({"kind": "multiply", "param": "lr", "multiply": -1})
    assert raised.value.errors()[0]["loc"] == ("multiply", "multiply")  # the tag, then the YAML field


def test_claims_compete_and_modifiers_compose() -> None:
    default = SetDefault(param="lr", default=0.1)
    choices = SetChoices(param="lr", choices=(1, 2))
    assert (default.aspect, default.claim, default.plain()) == ("default", 0.1, 0.1)
    assert (choices.aspect, choices.claim) == ("domain", ("choices", (1, 2)))
    assert choices.plain() == {"choices": [1, 2]}
    assert SetScale(param="lr", scale="log").aspect == "scale"
    assert Multiply(param="lr", multiply=2).aspect is None and Cap(param="lr", cap=3).aspect is None
    assert Cap(param="lr", cap=3).expression_texts() == {"cap": "3"}


def test_a_rule_indexes_its_effects(tmp_path: Path) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.all
  source: [LR-01]
  when: num_devices > 1
  then:
    learning_rate: {default_expr: "0.1 * num_devices", range: [0.01, 1.0], scale: log, cap: max_batch_size}
    batch_size: {multiply_expr: num_devices}
    set: {regime: scratch}
    advice: {text: Scale the learning rate with the devices.}
  because: Uses every index of a rule.
""")
    rule = kb.rule("t.all")
    assert [type(e).__name__ for e in rule.claims] == ["ComputeDefault", "SetRange", "SetScale"]
    assert [type(e).__name__ for e in rule.modifiers] == ["Cap", "MultiplyExpr"]
    assert rule.computed == {("learning_rate", "default")}
    assert rule.sets == {"regime": "scratch"} and rule.advice is not None and rule.search is None
    assert rule.needs == {"num_devices", "max_batch_size"}
    assert set(rule.expressions) == {("learning_rate", "default"), ("learning_rate", "cap"),
                                     ("batch_size", "multiply_expr")}
    [(param, aspect, computed, claim), *_] = rule.concluded({"num_devices": 4, "max_batch_size": 64})
    assert (param, aspect, claim) == ("learning_rate", "default", 0.4) and isinstance(computed, SetDefault)
    assert rule.describe()["then"]["learning_rate"] == {
        "range": (0.01, 1.0), "scale": "log", "cap": "max_batch_size", "default_expr": "0.1 * num_devices"}
