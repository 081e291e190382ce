from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from advisor import load_knowledge_base, recommend
from advisor.core.engine import infer
from advisor.core.facts import profile_facts
from advisor.core.knowledge import default_rules_dir

from .conftest import ROOT


def mini_kb(tmp_path: Path, text: str):
    shutil.copy(default_rules_dir() / "sources.yaml", tmp_path / "sources.yaml")
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    return load_knowledge_base(tmp_path)


CHAIN = """\
- id: t.size
  source: [DATA-03]
  when: num_samples < 100000
  then: {set: {dataset_size: small}}
  because: Derives a fact from the profile.
- id: t.regime
  source: [FT-01]
  when: pretrained and dataset_size == "small" and similarity == "high"
  then: {set: {regime: finetune-small-similar, fine_tune: true}}
  because: Derives a fact from a derived fact.
- id: t.lr
  source: [LR-02]
  when: fine_tune
  then: {learning_rate: {default: 1.0e-4}}
  because: Matches the fact two steps down the chain.
- id: t.general
  source: [LR-01]
  when: "true"
  then: {learning_rate: {default: 1.0e-3, range: [1.0e-5, 1.0e-2], scale: log}}
  because: The general rule, least specific.
"""


def test_forward_chaining_reaches_derived_facts(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, CHAIN)
    profile = make_profile(**{"model.pretrained": True, "model.pretrain_similarity": "high"})
    result = infer(kb, profile_facts(profile))
    # Highest priority first; a rule unblocked by a new fact joins the agenda at its priority.
    assert [r.id for r in result.fired] == ["t.size", "t.regime", "t.lr", "t.general"]
    assert result.facts["regime"] == "finetune-small-similar"
    assert result.fact_setters["fine_tune"] == "t.regime"
    winner = result.decisions["learning_rate"]["default"]
    assert (winner.value, winner.rule.id) == (1e-4, "t.lr")  # more specific wins
    [lost] = result.conflicts
    assert (lost.rule, lost.lost_to, lost.value) == ("t.general", "t.lr", 1e-3)
    assert "less specific" in lost.reason


def test_rules_waiting_on_unknown_facts_do_not_fire(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, CHAIN)
    result = infer(kb, profile_facts(make_profile()))  # not pretrained: no similarity fact
    assert [r.id for r in result.fired] == ["t.size", "t.general"]


def test_salience_beats_specificity_and_order_breaks_ties(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.specific
  source: [LR-01]
  when: num_samples > 10 and depth > 1
  then: {momentum: {default: 0.5}}
  because: More specific, lower salience.
- id: t.salient
  source: [LR-01]
  when: "true"
  salience: 5
  then: {momentum: {default: 0.9}}
  because: Less specific, higher salience.
- id: t.first
  source: [LR-01]
  when: "true"
  then: {dropout: {default: 0.1}}
  because: Tie with the next rule; earlier in the file.
- id: t.second
  source: [LR-01]
  when: "true"
  then: {dropout: {default: 0.3}}
  because: Tie with the previous rule; later in the file.
""")
    result = infer(kb, profile_facts(make_profile()))
    assert result.decisions["momentum"]["default"].rule.id == "t.salient"
    assert result.decisions["dropout"]["default"].rule.id == "t.first"
    reasons = {c.rule: c.reason for c in result.conflicts}
    assert "lower salience (0 < 5)" in reasons["t.specific"]
    assert "earlier in the knowledge base" in reasons["t.second"]


def test_a_fact_is_set_once_and_the_loser_is_recorded(tmp_path: Path, make_profile) -> None:
    kb = mini_kb(tmp_path, """\
- id: t.tiny
  source: [DATA-02]
  when: num_samples < 50000
  salience: 1
  then: {set: {dataset_size: tiny}}
  because: Fires first, higher salience.
- id: t.small
  source: [DATA-03]
  when: num_samples < 100000
  then: {set: {dataset_size: small}}
  because: Fires second, cannot overwrite.
""")
    result = infer(kb, profile_facts(make_profile()))
    assert result.facts["dataset_size"] == "tiny"
    [conflict] = result.conflicts
    assert (conflict.target, conflict.rule, conflict.lost_to) == ("fact:dataset_size", "t.small", "t.tiny")


def test_shipped_kb_chains_regime_into_the_plan(profiles) -> None:
    rec = recommend(profiles["generic-finetune-gru-different"])  # no recipe family: S0's FT-01 plan
    fired = list(rec.fired)
    assert fired.index("finetune.regime.small-different") < fired.index("finetune.plan.small-different")
    assert rec.config["freeze"]["stages"] == [{"train": "head"}, {"train": "upper_half"}]


def test_output_is_byte_identical_across_processes() -> None:
    script = ("from advisor import load_profile, recommend;"
              "print(recommend(load_profile('examples/imagenet-large-batch.yaml')).to_json())")
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                                   capture_output=True, text=True, check=True).stdout)
    assert len(outputs) == 1


def _fired_by_brute_force(kb, initial) -> list[str]:
    """The definition the indexed engine must match: each step, of the rules not fired yet whose
    facts are all known and whose condition holds, the highest-priority one fires."""
    facts, fired, done = dict(initial), [], set()
    while True:
        ready = [r for r in kb.rules
                 if r.order not in done and r.needs <= facts.keys() and r.when.evaluate(facts)]
        if not ready:
            return fired
        rule = min(ready, key=lambda r: r.priority)
        done.add(rule.order)
        fired.append(rule.id)
        for name, value in rule.sets.items():
            facts.setdefault(name, value)


def test_the_indexed_engine_fires_what_brute_force_does(kb, profiles) -> None:
    for name, profile in profiles.items():
        facts = profile_facts(profile)
        assert [r.id for r in infer(kb, facts).fired] == _fired_by_brute_force(kb, facts), name
