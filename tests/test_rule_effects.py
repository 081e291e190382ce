"""The value effects rules may conclude: per-batch LR scaling, computed factors, omission, copied
facts, alternatives (one warmup unit), and the declared exclusions checked at load."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from advisor import KnowledgeBaseError, recommend
from advisor.core.expression import compile_expression
from advisor.core.facts import FACTS

from .test_engine import mini_kb

BATCH = """\
- id: t.batch
  source: [BS-02]
  when: "true"
  then: {batch_size: {default: 128, choices: [64, 128, 256]}}
  because: A per-device batch.
- id: t.devices
  source: [C4]
  when: num_devices > 1
  salience: 5
  then: {batch_size: {multiply_expr: num_devices}}
  because: Data parallel - the global batch grows with the devices.
- id: t.lr
  source: [EXT-GOYAL17]
  when: "true"
  then:
    learning_rate: {default: 0.1, range: [0.03, 0.3], scale: log, per_batch: {reference: 256, rule: RULE}}
  because: The LR is stated per 256 samples.
"""


@pytest.mark.parametrize("rule, devices, batch, lr", [
    ("linear", 8, 1024, 0.4), ("linear", 1, 128, 0.05), ("sqrt", 8, 1024, 0.2), ("sqrt", 1, 128, 0.07071),
])
def test_the_lr_follows_the_recommended_batch(tmp_path: Path, make_profile, rule, devices, batch, lr) -> None:
    kb = mini_kb(tmp_path, BATCH.replace("RULE", rule))
    rec = recommend(make_profile(**{"hardware.num_devices": devices}), kb=kb)
    assert rec.config["batch_size"] == batch
    assert rec.config["learning_rate"] == pytest.approx(lr, rel=1e-3)
    [lr_range] = [d for d in rec.ranges if d.name == "learning_rate"]
    factor = lr / 0.1
    assert (lr_range.low, lr_range.high) == pytest.approx((0.03 * factor, 0.3 * factor), rel=1e-3)
    assert any(f"{rule} scaling to batch {batch}" in e.effect for e in rec.explanations["learning_rate"]) \
        or batch == 256
    [batch_dim] = [d for d in rec.ranges if d.name == "batch_size"]
    assert batch_dim.categories == tuple(c * devices for c in (64, 128, 256))


def test_only_above_keeps_the_value_for_smaller_batches(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, BATCH.replace("rule: RULE", "rule: linear, only_above: true"))
    assert recommend(make_profile(), kb=kb).config["learning_rate"] == 0.1  # batch 128 < 256
    assert recommend(make_profile(**{"hardware.num_devices": 8}), kb=kb).config["learning_rate"] == 0.4


def test_omit_and_default_from(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.patience
  source: [REG-07]
  when: "true"
  then: {early_stopping_patience: {default: 10}}
  because: Early stopping in general.
- id: t.no-patience
  source: [REG-07]
  when: epochs <= 5
  salience: 5
  then: {early_stopping_patience: {omit: true}}
  because: Too short a run for patience.
- id: t.precision
  source: [EXT-MICIKEVICIUS18]
  when: precision in ["fp16", "bf16"]
  then: {precision: {default_from: precision}}
  because: The profile states its precision.
""")
    short = recommend(make_profile(**{"budget.epochs": 3, "hardware.precision": "fp16"}), kb=kb)
    assert "early_stopping_patience" not in short.config and short.config["precision"] == "fp16"
    assert "t.no-patience" in {e.rule for e in short.explanations["early_stopping_patience"]}
    assert recommend(make_profile(**{"budget.epochs": 30}), kb=kb).config["early_stopping_patience"] == 10


@pytest.mark.parametrize("effect, message", [
    ("{precision: {default_from: nope}}", "unknown fact 'nope'"),
    ("{learning_rate: {default_from: modality}}", "is a number"),
    ("{precision: {default_from: recipe}}", "is derived"),
    ("{batch_size: {default: 4, per_batch: {reference: 256, rule: linear}}}", "learning_rate only"),
    ("{early_stopping_patience: {omit: true, default: 3}}", "cannot also give a default"),
    ("{batch_size: {multiply_expr: 'num_devices > 2'}}", "expected num"),
])
def test_bad_effects_are_load_errors(tmp_path: Path, effect: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message):
        mini_kb(tmp_path, f"- id: t.x\n  source: [LR-01]\n  when: 'true'\n  then: {effect}\n"
                          "  because: Broken on purpose.\n")


def test_powers_in_expressions_are_safe() -> None:
    law = compile_expression("0.3118 * (6 * num_params * train_tokens) ** -0.125", FACTS, "num")
    assert law.evaluate({"num_params": 125e6, "train_tokens": 3e11}) == pytest.approx(8.91e-4, rel=1e-3)
    huge = compile_expression("num_params ** 400", FACTS, "num")
    assert huge.evaluate({"num_params": 10**300}) == math.inf  # no OverflowError
    negative = compile_expression("(0 - num_params) ** 0.5", FACTS, "num")
    assert math.isnan(negative.evaluate({"num_params": 4}))  # no complex number


def test_one_warmup_unit_survives(profiles) -> None:
    rec = recommend(profiles["whisper-finetune"])  # steps (Whisper) and ratio (fine-tuning) both apply
    units = [k for k in ("warmup_steps", "warmup_ratio", "warmup_epochs") if k in rec.config]
    assert units == ["warmup_steps"]
    assert any("dropped" in e.effect for e in rec.explanations["warmup_ratio"])
    assert "warmup_ratio" not in {d.name for d in rec.ranges}


EXCLUSIVE = """\
- id: t.a
  source: [ARCH-01]
  when: task == "classification"
  then: {advice: {text: Softmax output layer.}}
  because: One output layer.
- id: t.b
  source: [ARCH-01]
  when: num_classes == 2
  then: {advice: {text: Sigmoid output unit.}}
  because: The other output layer.
"""


def test_exclusions_that_can_both_fire_are_refused(tmp_path: Path) -> None:
    (tmp_path / "exclusions.yaml").write_text(
        "- id: out\n  rules: [t.a, t.b]\n  because: One output layer only.\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"t\.a and t\.b can both fire"):
        mini_kb(tmp_path, EXCLUSIVE)
    fixed = EXCLUSIVE.replace('when: num_classes == 2', 'when: task == "regression"')
    assert [e.id for e in mini_kb(tmp_path, fixed).exclusions] == ["out"]
    (tmp_path / "exclusions.yaml").write_text(
        "- id: out\n  rules: [t.a, t.nope]\n  because: One output layer only.\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="unknown rules"):
        mini_kb(tmp_path, fixed)


def test_an_omitted_parameter_ignores_modifiers(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.patience
  source: [REG-07]
  when: "true"
  then: {early_stopping_patience: {default: 10, range: [2, 20]}}
  because: Early stopping in general.
- id: t.omit
  source: [REG-07]
  when: "true"
  salience: 5
  then: {early_stopping_patience: {omit: true}}
  because: Not for this run.
- id: t.scale
  source: [REG-07]
  when: "true"
  then: {early_stopping_patience: {multiply: 2, cap: 5}}
  because: A modifier that must not touch an omitted value.
""")
    rec = recommend(make_profile(), kb=kb)
    assert "early_stopping_patience" not in rec.config
    assert "early_stopping_patience" not in {d.name for d in rec.ranges}
