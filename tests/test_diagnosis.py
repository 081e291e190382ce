"""Diagnosis: real training histories get the right top verdict; edge cases never crash."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from advisor import parse_profile
from advisor.core.diagnosis import diagnose, render, request_from_payload
from advisor.core.knowledge import load_knowledge_base
from advisor.errors import AdvisorError, KnowledgeBaseError
from advisor.evidence.history import load_history, parse_history_json, parse_history_text
from advisor.evidence.results import DataScalingResult, SanityCheck, SanityResult

from .conftest import HISTORIES as FIXTURES
from .conftest import base_profile

HISTORIES = Path(__file__).parent / "histories"


def expected_top(path: Path) -> str | None:
    name = path.name.split(".")[0]
    return None if name == "none" else name


def test_every_regime_has_a_fixture() -> None:
    regimes = {expected_top(p) for p in FIXTURES}
    assert {
        "diverged",
        "lr_too_high",
        "lr_too_low",
        "overfitting",
        "underfitting",
        "plateau",
        "still_improving",
        "healthy",
        "vanishing_gradients",
        None,
    } <= regimes


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_regime_fixture_gets_the_right_top_verdict(path: Path) -> None:
    d = diagnose(load_history(path))
    assert d.top == expected_top(path), [(v.name, v.evidence[0].text) for v in d.verdicts]
    if not d.verdicts:
        assert d.advice
        return
    top = d.verdicts[0]
    assert top.evidence and all(e.source for e in top.evidence)
    assert top.next_steps, "every verdict says what to do next"
    assert [s.order for s in top.next_steps] == sorted(s.order for s in top.next_steps)


def test_diverged_run_also_blames_the_learning_rate() -> None:
    names = [v.name for v in diagnose(load_history(HISTORIES / "diverged.csv")).verdicts]
    assert names[:2] == ["diverged", "lr_too_high"]


def test_overfitting_steps_follow_karpathys_order_and_use_the_profile() -> None:
    history = load_history(HISTORIES / "overfitting.lightning.csv")
    bare = diagnose(history).verdicts[0]
    image = parse_profile(base_profile(**{"data.modality": "image", "model.pretrained": False}))
    with_profile = diagnose(history, profile=image).verdicts[0]
    bare_rules = [s.rule for s in bare.next_steps]
    rules = [s.rule for s in with_profile.next_steps]
    assert bare_rules[0] == rules[0] == "diag.curve.overfitting.step-data"
    assert (
        "diag.curve.overfitting.step-augment" in rules
        and "diag.curve.overfitting.step-augment" not in bare_rules
    )
    assert "diag.curve.overfitting.step-pretrain" in rules
    assert rules.index("diag.curve.overfitting.step-augment") < rules.index(
        "diag.curve.overfitting.step-regularize"
    )


def test_chance_level_needs_the_profile() -> None:
    history = parse_history_json(
        {"loss": [2.4, 2.3, 2.29, 2.29, 2.29, 2.29], "val_loss": [2.4, 2.31] + [2.3] * 4}
    )
    profile = parse_profile(base_profile(**{"data.num_classes": 10}))
    d = diagnose(history, profile=profile)
    assert d.facts["curve_train_vs_chance"] == pytest.approx(2.29 / math.log(10), rel=1e-3)
    assert "underfitting" in [v.name for v in d.verdicts]


def test_healthy_is_exclusive() -> None:
    # A healthy-looking curve that also plateaus with an undecayed LR: plateau wins, healthy is dropped.
    y = [2.0 * math.exp(-i / 3) + 0.1 for i in range(12)] + [0.1 + 0.001] * 12
    d = diagnose(parse_history_json({"loss": y, "val_loss": [v * 1.02 for v in y], "lr": [0.1] * 24}))
    names = [v.name for v in d.verdicts]
    assert "plateau" in names and "healthy" not in names


def test_gradient_norm_history_feeds_the_diagnosis() -> None:
    rows = [
        {
            "epoch": i,
            "loss": 1.0 - 0.01 * i,
            "val_loss": 1.0 - 0.01 * i,
            "grad_norm": 500.0 if i == 7 else 1.0,
        }
        for i in range(12)
    ]
    assert "exploding_gradients" in [v.name for v in diagnose(parse_history_json(rows)).verdicts]
    shrinking = [
        {"epoch": i, "loss": 2.3 - 0.01 * i, "val_loss": 2.3, "grad_norm": 10 ** -(i / 3)} for i in range(12)
    ]
    assert "vanishing_gradients" in [v.name for v in diagnose(parse_history_json(shrinking)).verdicts]


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("epoch,loss,val_loss\n0,1.0,1.1\n", "diag.curve.too-short"),
        ("epoch,loss\n0,1.0\n1,0.8\n2,0.6\n3,0.5\n", "diag.curve.no-validation"),
    ],
)
def test_edge_cases_give_advice_not_errors(text: str, advice: str) -> None:
    d = diagnose(parse_history_text(text))
    assert advice in [a.id for a in d.advice]


def test_nan_rows_mean_diverged() -> None:
    d = diagnose(parse_history_text("epoch,loss,val_loss\n0,2,2\n1,1.5,1.6\n2,nan,nan\n3,nan,nan\n"))
    assert d.top == "diverged"
    assert d.to_json()  # NaN never reaches the JSON output


def test_non_monotonic_epochs_diagnose_like_sorted_ones() -> None:
    rows = load_history(HISTORIES / "plateau.csv")
    shuffled = parse_history_json(
        [
            {"epoch": x, "train_loss": t, "val_loss": v}
            for x, t, v in reversed(
                list(zip(rows.x, rows.columns["train_loss"], rows.columns["val_loss"], strict=True))
            )
        ]
    )
    assert diagnose(shuffled).top == "plateau"


def test_100k_rows_diagnose() -> None:
    n = 100_000
    rows = {
        "loss": [2 / (1 + i / 1000) for i in range(n)],
        "val_loss": [2.1 / (1 + i / 1000) for i in range(n)],
    }
    d = diagnose(parse_history_json(rows))
    assert d.history and d.history.points == n and d.top == "still_improving"


def test_nothing_to_diagnose() -> None:
    with pytest.raises(AdvisorError, match="nothing to diagnose"):
        diagnose()


def test_sanity_and_scaling_results_become_verdicts() -> None:
    sanity = SanityResult(
        checks=(
            SanityCheck(name="init_loss", status="fail", detail="x", measured={"ratio": 0.01}),
            SanityCheck(name="gradient_isolation", status="fail", detail="x"),
            SanityCheck(
                name="update_ratio",
                status="fail",
                detail="x",
                measured={"median": 0.3, "frozen_fraction": 0.0},
            ),
        )
    )
    scaling = DataScalingResult(
        status="ok", exponent=0.5, gain_2x=0.29, gain_2x_interval=(0.2, 0.35), gain_4x=0.5, gap=0.1
    )
    d = diagnose(sanity=sanity, scaling=scaling)
    names = [v.name for v in d.verdicts]
    assert names[:2] == ["mixes_samples", "broken_init_loss"]
    assert "update_too_large" in names and "collect_more_data" in names
    assert names.index("collect_more_data") > names.index("update_too_large")
    flat = DataScalingResult(
        status="ok", exponent=0.01, gain_2x=0.007, gain_2x_interval=(0.0, 0.02), gain_4x=0.014, gap=0.6
    )
    assert diagnose(scaling=flat).top == "more_regularization"
    tight = flat.model_copy(update={"gap": 0.05})
    assert diagnose(scaling=tight).top == "more_capacity"


def test_evidence_templates_render_facts() -> None:
    assert render("rose {x:.0%} at {y}", {"x": 0.25, "y": 3}) == "rose 25% at 3"
    assert render("missing {x:.2f}", {}) == "missing n/a"


def test_bare_history_and_wrapped_request_payloads() -> None:
    bare = request_from_payload({"loss": [1, 0.5]})
    assert bare.history == {"loss": [1, 0.5]} and bare.profile is None
    wrapped = request_from_payload({"history": [{"loss": 1}], "profile": base_profile()})
    assert wrapped.profile is not None and wrapped.history == [{"loss": 1}]


@pytest.mark.parametrize(
    ("then", "message"),
    [
        (
            {"verdict": {"name": "overfit", "rank": 1, "evidence": "some evidence"}},
            "unknown verdict 'overfit' (did you mean 'overfitting'?)",
        ),
        (
            {"verdict": {"name": "overfitting", "rank": 1, "evidence": "gap {curve_gapp:.0%}"}},
            "unknown fact {curve_gapp}",
        ),
        (
            {"verdict": {"name": "overfitting", "rank": 1, "evidence": "gap {curve_gap_end:.0q}"}},
            "bad format",
        ),
        ({"step": {"verdict": "nope", "order": 1, "text": "do something"}}, "step.verdict: unknown verdict"),
    ],
)
def test_verdict_rules_are_checked_at_load(rules_copy: Path, then: dict, message: str) -> None:
    import yaml

    (rules_copy / "zz.yaml").write_text(
        yaml.safe_dump(
            [
                {
                    "id": "diag.test.bad",
                    "source": ["DBG-05"],
                    "when": "curve_has_val",
                    "then": then,
                    "because": "a test rule that must not load",
                }
            ]
        )
    )
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(rules_copy)
    assert message in str(err.value)


def test_recommend_never_fires_diagnosis_rules(kb, profiles) -> None:
    from advisor import recommend

    for profile in profiles.values():
        assert not any(r.startswith("diag.") for r in recommend(profile, kb=kb).fired)
