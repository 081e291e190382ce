"""Explanations as typed changes: each kind renders the text the output contract has always shown,
the contract carries both, and the typed form survives a JSON round trip."""

from __future__ import annotations

import math

import pytest

from advisor import Recommendation, load_profile, recommend
from advisor.core.explanation import (
    AddChoiceChange,
    BatchScalingChange,
    CapChange,
    ChoicesChange,
    DefaultChange,
    DropChange,
    Explanation,
    FactorChange,
    MidpointChange,
    MultiplyChange,
    OmitChange,
    RangeChange,
    ScaleChange,
    SearchChange,
    ValueChange,
    WidenChange,
    finite_or_none,
)

from .conftest import ROOT


@pytest.mark.parametrize("change, text, moves", [
    (ValueChange(value="adamw"), "= adamw", True),
    (DefaultChange(value=0.1), "default 0.1", True),
    (DefaultChange(value={"name": "cosine"}), 'default {"name": "cosine"}', True),
    (OmitChange(), "left out: does not apply to this profile", False),
    (RangeChange(low=1e-4, high=0.01), "range [0.0001, 0.01]", False),
    (ChoicesChange(values=(64, 128)), "choices [64, 128]", False),
    (ScaleChange(scale="log"), "log scale", False),
    (MultiplyChange(factor=0.1, range_factors=(0.1, 0.5)), "default ×0.1, range ×[0.1, 0.5]", True),
    (MultiplyChange(range_factors=(2.0, 2.0)), "range ×[2, 2]", False),
    (MultiplyChange(), "no-op", False),
    (FactorChange(factor=8, expression="num_devices"), "×8 (`num_devices`)", True),
    (CapChange(cap=1024, expression="max_batch_size * num_devices"),
     "capped at 1024 (`max_batch_size * num_devices`)", True),
    (BatchScalingChange(aspect="default", rule="linear", reference=256, batch=8192, factor=32.0, before=0.1),
     "0.1 per 256 samples, linear scaling to batch 8192: ×32", True),
    (BatchScalingChange(aspect="range", rule="sqrt", reference=256, batch=1024, factor=2.0),
     "range ×2: sqrt scaling from 256 to batch 1024 samples", False),
    (MidpointChange(value=0.001), "default 0.001: middle of its range", True),
    (WidenChange(low=1, high=64), "range widened to [1, 64] to hold the default", False),
    (AddChoiceChange(value=96), "default 96 added to the choices", False),
    (SearchChange(searched=True, explicit=True), "searched (explicit search decision)", False),
    (SearchChange(searched=False), "fixed: not a parameter the search tunes", False),
    (SearchChange(searched=True, tier=2, budget_tier=2), "searched: importance tier 2 <= budget tier 2",
     False),
    (SearchChange(searched=False, tier=3, budget_tier=2), "fixed: importance tier 3 > budget tier 2", False),
    (DropChange(kept="warmup_steps", winner="schedule.x"),
     "dropped: the warmup is given as warmup_steps by schedule.x", False),
])
def test_each_change_renders_its_text(change, text: str, moves: bool) -> None:
    assert change.text() == text
    assert change.moves_value is moves
    assert change.as_dict()["kind"] == change.kind and None not in change.as_dict().values()


def test_an_explanation_joins_its_changes_and_keeps_both_forms() -> None:
    entry = Explanation(rule="r.x", because="a reason given", source=("LR-01",),
                        changes=(DefaultChange(value=0.1), ScaleChange(scale="log")))
    assert entry.effect == "default 0.1, log scale" and entry.moves_value
    assert entry.as_dict() == {"rule": "r.x", "because": "a reason given", "source": ["LR-01"],
                               "effect": "default 0.1, log scale",
                               "changes": [{"kind": "default", "value": 0.1},
                                           {"kind": "scale", "scale": "log"}]}
    lost = entry.model_copy(update={"overridden_by": "r.y"})
    assert not lost.moves_value and lost.as_dict()["overridden_by"] == "r.y"
    # The rendered `effect` is in the dump; read back, it is dropped (it follows from the changes).
    assert Explanation.model_validate(entry.model_dump()) == entry


def test_a_recommendation_round_trips_with_its_typed_explanations() -> None:
    rec = recommend(load_profile(ROOT / "examples" / "imagenet-large-batch.yaml"))
    again = Recommendation.model_validate_json(rec.model_dump_json())
    assert again.to_dict() == rec.to_dict()
    lr = rec.to_dict()["explanations"]["learning_rate"]
    scaled = next(e for e in lr if any(c["kind"] == "batch_scaling" for c in e["changes"]))
    assert scaled["effect"].endswith("linear scaling to batch 8192: ×32")


def test_json_has_no_infinities() -> None:
    assert finite_or_none({"a": (1.0, math.inf), "b": [math.nan]}) == {"a": [1.0, None], "b": [None]}
