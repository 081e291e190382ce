"""The engine's two conflict policies, each with a case that another policy would decide otherwise:
facts - first fired wins; parameter aspects and search decisions - highest priority wins."""

from __future__ import annotations

from pathlib import Path

from advisor import recommend
from advisor.core.engine import FACT_POLICY, PARAMETER_POLICY, ConflictPolicy, infer
from advisor.core.facts import profile_facts

from .test_engine import mini_kb

# t.unlock fires with the lowest priority and sets fine_tune; every rule that waits on fine_tune
# fires after it, whatever its salience.
UNLOCK = """\
- id: t.unlock
  source: [FT-01]
  when: "true"
  salience: -5
  then: {set: {fine_tune: true}}
  because: Sets the fact the late rules wait for, last of the ready rules.
"""


def test_the_policies_have_names() -> None:
    assert FACT_POLICY is ConflictPolicy.FIRST_FIRED_WINS == "first fired wins"
    assert PARAMETER_POLICY is ConflictPolicy.HIGHEST_PRIORITY_WINS == "highest priority wins"


def test_a_fact_goes_to_the_first_rule_that_fires_not_the_highest(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, UNLOCK + """\
- id: t.early
  source: [DATA-03]
  when: "true"
  then: {set: {dataset_size: small}}
  because: Low priority, ready at once - fires before t.unlock.
- id: t.late
  source: [DATA-02]
  when: fine_tune
  salience: 10
  then: {set: {dataset_size: tiny}}
  because: High priority, but waits for fine_tune - fires last.
""")
    result = infer(kb, profile_facts(make_profile()))
    assert [r.id for r in result.fired] == ["t.early", "t.unlock", "t.late"]
    assert kb.rule("t.late").priority < kb.rule("t.early").priority  # t.late ranks higher...
    assert result.facts["dataset_size"] == "small"  # ...and still loses: the fact was set first
    [conflict] = result.conflicts
    assert (conflict.target, conflict.rule, conflict.lost_to) == ("fact:dataset_size", "t.late", "t.early")
    assert (conflict.value, conflict.policy) == ("tiny", FACT_POLICY)
    assert "set once" in conflict.reason


def test_a_fact_the_profile_states_is_never_replaced(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.adam
  source: [OPT-04]
  when: "true"
  salience: 100
  then: {set: {optimizer: adam}}
  because: Tries to set a fact the profile already states.
""")
    result = infer(kb, profile_facts(make_profile(optimizer="sgd")))
    assert result.facts["optimizer"] == "sgd"
    [conflict] = result.conflicts
    assert (conflict.rule, conflict.lost_to, conflict.policy) == ("t.adam", "profile", FACT_POLICY)


PARAMS = UNLOCK + """\
- id: t.low-early
  source: [OPT-01]
  when: "true"
  then: {momentum: {default: 0.5}}
  because: Low priority, fires first.
- id: t.high-late
  source: [OPT-01]
  when: fine_tune
  salience: 10
  then: {momentum: {default: 0.9}}
  because: High priority, fires last (waits for fine_tune).
- id: t.high-early
  source: [REG-02]
  when: "true"
  salience: 10
  then: {dropout: {default: 0.1, range: [0.0, 0.5]}}
  because: High priority, fires first.
- id: t.low-late
  source: [REG-02]
  when: fine_tune
  then: {dropout: {default: 0.3, range: [0.1, 0.6]}}
  because: Low priority, fires last.
"""


def test_a_parameter_goes_to_the_highest_priority_whatever_the_firing_order(tmp_path: Path,
                                                                           make_profile) -> None:
    kb = mini_kb(tmp_path, PARAMS)
    result = infer(kb, profile_facts(make_profile()))
    fired = [r.id for r in result.fired]
    assert fired.index("t.low-early") < fired.index("t.high-late")  # first fired would say 0.5
    assert fired.index("t.high-early") < fired.index("t.low-late")  # last fired would say 0.3
    assert result.decisions["momentum"]["default"].rule.id == "t.high-late"
    assert result.decisions["dropout"]["default"].rule.id == "t.high-early"
    assert result.decisions["dropout"]["domain"].rule.id == "t.high-early"
    lost = {(c.rule, c.aspect): c for c in result.conflicts}
    assert set(lost) == {("t.low-early", "default"), ("t.low-late", "default"), ("t.low-late", "domain")}
    assert all(c.policy == PARAMETER_POLICY and c.target.startswith("param:") for c in lost.values())
    assert lost["t.low-early", "default"].lost_to == "t.high-late"
    assert lost["t.low-late", "domain"].value == {"range": [0.1, 0.6]}
    rec = recommend(make_profile(), kb=kb)
    assert (rec.config["momentum"], rec.config["dropout"]) == (0.9, 0.1)
    [loser] = [e for e in rec.explanations["dropout"] if e.overridden_by]
    assert (loser.rule, loser.overridden_by) == ("t.low-late", "t.high-early")
    assert [c.kind for c in loser.changes] == ["default", "range"]
    assert loser.effect == "default 0.3, range [0.1, 0.6]"


def test_search_decisions_follow_the_parameter_policy(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, UNLOCK + """\
- id: t.range
  source: [REG-02]
  when: "true"
  then: {dropout: {default: 0.1, range: [0.0, 0.5]}}
  because: A searchable parameter.
- id: t.exclude-early
  source: [SRCH-01]
  when: "true"
  then: {search: {exclude: [dropout]}}
  because: Low priority, fires first.
- id: t.include-late
  source: [SRCH-01]
  when: fine_tune
  salience: 10
  then: {search: {include: [dropout]}}
  because: High priority, fires last.
""")
    result = infer(kb, profile_facts(make_profile()))
    assert result.search["dropout"].value is True and result.search["dropout"].rule.id == "t.include-late"
    [conflict] = result.conflicts
    assert (conflict.target, conflict.aspect, conflict.rule, conflict.lost_to, conflict.policy) == (
        "search:dropout", "exclude", "t.exclude-early", "t.include-late", PARAMETER_POLICY)
    assert "dropout" in {d.name for d in recommend(make_profile(), kb=kb).search_space}
