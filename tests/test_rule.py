"""What a rule is: its YAML shape, the loaded rule (id, sources, condition, reason, position) and
what it does when it fires - through `load_knowledge_base` on small rule folders and `recommend`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from advisor import KnowledgeBase, Rule, check_rules, load_knowledge_base, recommend
from advisor.core.knowledge import default_rules_dir


def rules_dir(tmp_path: Path, text: str) -> Path:
    shutil.copy(default_rules_dir() / "sources.yaml", tmp_path / "sources.yaml")
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def kb_of(tmp_path: Path, text: str) -> KnowledgeBase:
    return load_knowledge_base(rules_dir(tmp_path, text))


def problems_of(tmp_path: Path, text: str) -> list[str]:
    kb, problems = check_rules(rules_dir(tmp_path, text))
    assert kb is None
    return [str(p) for p in problems]


TWO = """\
# a comment line before the first rule
- id: t.lr.adam
  source: [LR-01, LR-02]
  when: optimizer == "adam" and num_samples > 1000
  salience: 3
  then:
    learning_rate: {default: 3.0e-3, range: [1.0e-3, 1.0e-2], scale: log}
  because: >
    Adam-family optimizers start well
    between 1e-3 and 1e-2.

- id: t.momentum
  source: [LR-01]
  when: true
  then: {momentum: 0.9}
  because: A bare value is the default.
"""


def test_a_loaded_rule_keeps_what_the_yaml_says(tmp_path: Path) -> None:
    kb = kb_of(tmp_path, TWO)
    rule = kb.rule("t.lr.adam")
    assert isinstance(rule, Rule)
    assert (rule.id, rule.source, rule.salience) == ("t.lr.adam", ("LR-01", "LR-02"), 3)
    assert rule.because == "Adam-family optimizers start well between 1e-3 and 1e-2."  # folded, stripped
    assert rule.when.text == 'optimizer == "adam" and num_samples > 1000'
    assert (rule.file, rule.line) == ("rules.yaml", 2)
    assert rule.specificity == 2
    plain = kb.rule("t.momentum")
    assert (plain.line, plain.salience, plain.specificity) == (12, 0, 0)
    assert plain.when.text == "true"  # the YAML boolean, as a condition
    assert [r.id for r in kb.rules] == ["t.lr.adam", "t.momentum"]


def test_describe_is_the_json_view_of_the_rule(tmp_path: Path) -> None:
    described = kb_of(tmp_path, TWO).rule("t.lr.adam").describe()
    assert {k: described[k] for k in ("id", "source", "when", "salience", "specificity", "file", "line")} == {
        "id": "t.lr.adam", "source": ["LR-01", "LR-02"], "when": 'optimizer == "adam" and num_samples > 1000',
        "salience": 3, "specificity": 2, "file": "rules.yaml", "line": 2}
    assert list(described["then"]) == ["learning_rate"]


def test_a_rule_fires_only_when_its_condition_holds(tmp_path: Path, make_profile) -> None:
    kb = kb_of(tmp_path, TWO)
    adam = recommend(make_profile(optimizer="adam"), kb=kb)
    assert adam.fired == ("t.lr.adam", "t.momentum")  # higher salience first
    assert (adam.config["learning_rate"], adam.config["momentum"]) == (3e-3, 0.9)
    [why] = [e for e in adam.explanations["learning_rate"] if e.rule == "t.lr.adam"]
    assert why.because.startswith("Adam-family") and why.source == ("LR-01", "LR-02")
    sgd = recommend(make_profile(optimizer="sgd"), kb=kb)
    assert sgd.fired == ("t.momentum",) and "learning_rate" not in sgd.config
    small = recommend(make_profile(optimizer="adam", **{"data.num_samples": 1000}), kb=kb)
    assert "t.lr.adam" not in small.fired  # `>` is strict


def test_a_condition_on_an_unknown_fact_waits(tmp_path: Path, make_profile) -> None:
    kb = kb_of(tmp_path, """\
- id: t.unknown-is-not-false
  source: [LR-01]
  when: not pretrained or sequence_length > 100
  then: {dropout: 0.2}
  because: Fires on a known fact only.
- id: t.negated
  source: [LR-01]
  when: not (sequence_length > 100)
  then: {label_smoothing: 0.1}
  because: A negation of an unknown stays unknown.
""")
    rec = recommend(make_profile(), kb=kb)  # tabular: no sequence_length
    assert rec.fired == ()
    assert "dropout" not in rec.config and "label_smoothing" not in rec.config


def test_value_expressions_are_computed_from_the_facts_when_the_rule_fires(tmp_path: Path,
                                                                           make_profile) -> None:
    kb = kb_of(tmp_path, """\
- id: t.computed
  source: [LR-01]
  when: "true"
  then:
    learning_rate:
      default_expr: "1000 / num_samples"
      range_expr: ["num_samples / 1e5", "num_samples / 1e7"]
      scale: log
  because: Values that follow the data size.
""")
    rec = recommend(make_profile(**{"data.num_samples": 30000}), kb=kb)
    assert rec.config["learning_rate"] == 0.03333  # four significant digits
    [lr] = [d for d in rec.ranges if d.name == "learning_rate"]
    assert (lr.low, lr.high) == (0.003, 0.3)  # the ends in order, whichever expression gave which


def test_a_fact_used_only_in_a_value_expression_must_be_known_too(tmp_path: Path, make_profile) -> None:
    kb = kb_of(tmp_path, """\
- id: t.from-user-lr
  source: [LR-01]
  when: "true"
  then: {learning_rate: {default_expr: "user_lr * 2"}}
  because: Twice the learning rate the profile uses.
""")
    assert kb.rule("t.from-user-lr").specificity == 0
    assert recommend(make_profile(), kb=kb).fired == ()  # no learning_rate in the profile
    rec = recommend(make_profile(learning_rate=0.01), kb=kb)
    assert rec.fired == ("t.from-user-lr",) and rec.config["learning_rate"] == 0.02


def test_the_more_specific_rule_wins_and_the_loser_is_explained(tmp_path: Path, make_profile) -> None:
    kb = kb_of(tmp_path, """\
- id: t.general
  source: [LR-01]
  when: "true"
  then: {dropout: 0.1}
  because: The general default.
- id: t.specific
  source: [LR-02]
  when: num_samples < 50000 and depth >= 3
  then: {dropout: 0.3}
  because: Small data and a deep model.
""")
    rec = recommend(make_profile(), kb=kb)
    assert rec.config["dropout"] == 0.3
    [lost] = [e for e in rec.explanations["dropout"] if e.rule == "t.general"]
    assert lost.overridden_by == "t.specific" and lost.source == ("LR-01",)
    assert rec.fired == ("t.specific", "t.general")  # specificity orders the agenda too


def test_advice_carries_the_rule_id_source_and_severity(tmp_path: Path, make_profile) -> None:
    kb = kb_of(tmp_path, """\
- id: t.note
  source: [LR-01]
  when: "true"
  then: {advice: {text: A plain note.}}
  because: Advice defaults to info.
- id: t.warn
  source: [LR-02]
  when: imbalance_ratio >= 10
  then: {advice: {severity: critical, text: Resample or weight the classes.}}
  because: Heavy imbalance.
""")
    balanced = recommend(make_profile(), kb=kb)
    assert [(a.id, a.severity, a.text, a.source) for a in balanced.advice] == [
        ("t.note", "info", "A plain note.", ("LR-01",))]
    skewed = recommend(make_profile(**{"data.imbalance_ratio": 10}), kb=kb)
    assert [a.id for a in skewed.advice] == ["t.warn", "t.note"]  # critical first


@pytest.mark.parametrize("rule_id", ["a.b", "lr.initial.adam-family", "x1.y_2.z-3"])
def test_good_rule_ids(tmp_path: Path, rule_id: str) -> None:
    kb = kb_of(tmp_path, f"- id: {rule_id}\n  source: [LR-01]\n  then: {{momentum: 0.9}}\n"
                         "  because: Only the id varies.\n")
    assert kb.rule(rule_id).id == rule_id


@pytest.mark.parametrize("rule_id", ["nodot", "Upper.case", "a..b", "a.b.", ".a.b", "a.b c", "-a.b"])
def test_bad_rule_ids_are_refused_at_their_line(tmp_path: Path, rule_id: str) -> None:
    problems = problems_of(tmp_path, f"- id: t.fine\n  source: [LR-01]\n  then: {{momentum: 0.9}}\n"
                                     f"  because: The first rule is fine.\n- id: '{rule_id}'\n"
                                     "  source: [LR-01]\n  then: {momentum: 0.9}\n"
                                     "  because: Only the id varies.\n")
    assert len(problems) == 1 and problems[0].startswith("rules.yaml:5:") and "id:" in problems[0]


@pytest.mark.parametrize(("field", "message"), [
    ("  source: []\n", "source:"),
    ("  because: Too short\n", "because:"),
    ("  salience: high\n", "salience:"),
    ("  priority: 3\n", "priority: unknown field"),
    ("  when: false\n", "never fires"),
    ("  when: num_samples\n", "when:"),  # a number is not a condition
])
def test_malformed_rules_are_refused(tmp_path: Path, field: str, message: str) -> None:
    base = {"source": "  source: [LR-01]\n", "because": "  because: Long enough reason.\n"}
    key = field.strip().split(":")[0]
    parts = {**base, key: field} if key in base else {**base, "extra": field}
    text = "- id: t.rule\n" + "".join(parts.values()) + "  then: {momentum: 0.9}\n"
    problems = problems_of(tmp_path, text)
    assert any(message in p and "rule 't.rule'" in p for p in problems), problems
