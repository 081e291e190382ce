from __future__ import annotations

from pathlib import Path

import pytest

from advisor import KnowledgeBaseError, UnknownRuleError, check_rules, load_knowledge_base


def write_rule(directory: Path, text: str, name: str = "extra.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_for(directory: Path) -> list[str]:
    kb, problems = check_rules(directory)
    assert kb is None
    return [str(p) for p in problems]


def test_shipped_kb_is_clean(kb) -> None:
    assert len(kb) >= 120
    assert check_rules()[1] == []


def test_rule_lookup(kb) -> None:
    assert kb.rule("lr.initial.adam-family").source == ("LR-01",)
    with pytest.raises(UnknownRuleError, match=r"did you mean 'lr\.initial\.adam-family'"):
        kb.rule("lr.initial.adam-famly")


GOOD = """\
- id: extra.ok
  source: [LR-01]
  when: optimizer == "adam"
  then:
    learning_rate: {default: 1.0e-3, range: [1.0e-4, 1.0e-2], scale: log}
  because: A rule that is fine.
"""


def test_a_good_extra_rule_loads(rules_copy: Path) -> None:
    write_rule(rules_copy, GOOD)
    assert load_knowledge_base(rules_copy).rule("extra.ok").specificity == 1


@pytest.mark.parametrize("body,message", [
    ('  when: optimzer == "adam"\n', "unknown fact 'optimzer' (did you mean 'optimizer'?)"),
    ('  when: optimizer == "adma"\n', "'adma' is not a value of fact 'optimizer'"),
    ("  when: num_samples == 'many'\n", "cannot compare num == str"),
    ('  when: __import__("os").system("echo pwned")\n', "Call is not allowed"),
    ("  when: num_samples > 10 and num_samples < 5\n", "never fires"),
])
def test_condition_errors_name_file_line_and_rule(rules_copy: Path, body: str, message: str) -> None:
    write_rule(rules_copy, "\n\n- id: extra.bad\n  source: [LR-01]\n" + body +
               "  then: {learning_rate: {default: 0.001}}\n  because: Broken on purpose.\n")
    problems = problems_for(rules_copy)
    assert len(problems) == 1
    assert problems[0].startswith("extra.yaml:3: rule 'extra.bad':")
    assert message in problems[0]


@pytest.mark.parametrize("then,message", [
    ("{learning_rate: {default: 0.5, range: [1.0e-4, 1.0e-2]}}", "default 0.5 lies outside its own range"),
    ("{learning_rate: {range: [1.0e-2, 1.0e-4]}}", "low <= high must hold, but got low=0.01, high=0.0001"),
    ("{learning_rate: {range: [0.0, 1.0e-2], scale: log}}", "a log scale needs low > 0"),
    ("{dropout: {default: 1.5}}", "dropout default: must be < 1, got 1.5"),
    ("{batch_size: {default: 12.5}}", "expected an integer"),
    ("{momentum: {default: 0.9, choices: [0.5, 0.99]}}", "not one of its choices"),
    ("{learning_rat: {default: 0.1}}", "unknown key 'learning_rat' (did you mean 'learning_rate'?)"),
    ("{set: {regime: sideways}}", "regime='sideways' is not a valid enum"),
    ("{set: {num_samples: 3}}", "comes from the profile"),
    ("{set: {colour: red}}", "unknown fact 'colour'"),
    ("{search: {exclude: [betas]}}", "unknown hyperparameter 'betas'"),
    ("{advice: {severity: fatal, text: hello world}}", "advice.severity"),
    ("{optimizer: {range: [1, 2]}}", "categorical: it takes choices"),
    ("{batch_size: {cap: max_batch_size > 3}}", "is bool, expected num"),
    ("{}", "concludes nothing"),
])
def test_conclusion_errors(rules_copy: Path, then: str, message: str) -> None:
    write_rule(rules_copy, f"- id: extra.bad\n  source: [LR-01]\n  then: {then}\n"
               "  because: Broken on purpose.\n")
    problems = problems_for(rules_copy)
    assert any(message in p for p in problems), problems


def test_schema_errors(rules_copy: Path) -> None:
    write_rule(rules_copy, "- id: Not An Id\n  source: []\n  then: {momentum: 0.9}\n  because: short\n"
               "  colour: blue\n")
    text = "\n".join(problems_for(rules_copy))
    for field in ("id:", "source:", "because:", "colour: unknown field"):
        assert field in text


def test_unknown_source_and_duplicate_id(rules_copy: Path) -> None:
    write_rule(rules_copy, GOOD.replace("[LR-01]", "[LR-99]") + "\n" + GOOD)
    problems = problems_for(rules_copy)
    assert any("unknown source id 'LR-99'" in p for p in problems)
    assert any("extra.yaml:8: rule 'extra.ok': duplicate rule id (first at extra.yaml:1)" in p
               for p in problems)


def test_derived_fact_nobody_sets_never_fires(rules_copy: Path) -> None:
    for path in rules_copy.glob("recipes.yaml"):
        path.unlink()  # the only rules that set recipe
    problems = problems_for(rules_copy)
    assert any("fact 'recipe' is derived but no rule sets it" in p for p in problems)


def test_derived_fact_cycle_is_rejected(rules_copy: Path) -> None:
    write_rule(rules_copy, """\
- id: extra.a
  source: [FT-01]
  when: fine_tune
  then: {set: {regime: scratch}}
  because: Sets regime from fine_tune.
- id: extra.b
  source: [FT-01]
  when: regime == "scratch"
  then: {set: {fine_tune: false}}
  because: Sets fine_tune from regime.
""")
    assert any("rule cycle" in p for p in problems_for(rules_copy))


def test_yaml_problems(rules_copy: Path) -> None:
    write_rule(rules_copy, "- id: a.b\n  when: [\n")
    write_rule(rules_copy, "id: not-a-list\n", name="mapping.yaml")
    problems = problems_for(rules_copy)
    assert any(p.startswith("extra.yaml:") and "invalid YAML" in p for p in problems)
    assert any(p.startswith("mapping.yaml:1:") and "a YAML list of rules" in p for p in problems)


def test_refuses_a_partly_valid_kb(rules_copy: Path) -> None:
    write_rule(rules_copy, GOOD.replace("optimizer", "optimiser"))
    with pytest.raises(KnowledgeBaseError, match="1 problem"):
        load_knowledge_base(rules_copy)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="not a directory"):
        load_knowledge_base(tmp_path / "nope")


NEVER_FIRES = ("- id: extra.never\n  source: [LR-01]\n  when: num_samples < 0\n"
               "  then: {momentum: 0.9}\n  because: Can never fire.\n")


def test_a_passed_exhaustive_check_is_remembered(rules_copy: Path, tmp_path: Path, monkeypatch) -> None:
    from advisor.core import check_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    load_knowledge_base(rules_copy)
    stamps = list((tmp_path / "cache").rglob("*"))
    assert [p.name for p in stamps if p.is_file()] == [check_cache.digest(rules_copy.glob("*.yaml"))]
    # Any change to a rule file is a new digest: the searches run again and catch the new rule.
    write_rule(rules_copy, NEVER_FIRES)
    with pytest.raises(KnowledgeBaseError, match="never fires"):
        load_knowledge_base(rules_copy)


def test_the_linter_ignores_the_cache(rules_copy: Path, tmp_path: Path, monkeypatch) -> None:
    from advisor.core import check_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_rule(rules_copy, NEVER_FIRES)
    check_cache.record_checked(check_cache.digest(rules_copy.glob("*.yaml")))  # as if it had passed
    assert len(load_knowledge_base(rules_copy)) > 0  # the loader trusts the record...
    assert any("never fires" in p for p in problems_for(rules_copy))  # ...the linter does not


def test_a_passed_check_keeps_the_parsed_files(rules_copy: Path, tmp_path: Path, monkeypatch) -> None:
    from advisor.core import knowledge

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = load_knowledge_base(rules_copy)

    def no_yaml(*args: object) -> None:
        raise AssertionError("parsed YAML again")

    monkeypatch.setattr(knowledge, "load_yaml_items", no_yaml)
    monkeypatch.setattr(knowledge, "load_yaml", no_yaml)
    again = load_knowledge_base(rules_copy)  # the same files: read from the record, not parsed
    assert [(r.id, r.file, r.line) for r in again.rules] == [(r.id, r.file, r.line) for r in first.rules]
    assert again.sources == first.sources and len(again.exclusions) == len(first.exclusions)
    with pytest.raises(AssertionError, match="parsed YAML again"):
        check_rules(rules_copy)  # the linter always reads the files
