"""The recipe benchmark's files load as valid profiles, and its scorer measures what it says."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest
import yaml

from advisor import parse_profile, recommend

from .conftest import ROOT

RECIPES = sorted((ROOT / "benchmarks" / "recipes").rglob("*.yaml"))


def _bench():
    """The benchmark script as a module (dataclasses need it registered in sys.modules)."""
    if "recipe_benchmark" not in sys.modules:
        path = ROOT / "benchmarks" / "recipe_benchmark.py"
        spec = importlib.util.spec_from_file_location("recipe_benchmark", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["recipe_benchmark"] = module
        spec.loader.exec_module(module)
    return sys.modules["recipe_benchmark"]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_recipe_is_a_valid_profile_with_a_citation(path: Path) -> None:
    recipes = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert len({r["id"] for r in recipes}) == len(recipes)
    for recipe in recipes:
        parse_profile(recipe["profile"])
        assert len(recipe["citation"]) > 10
        assert set(recipe.get("recalled") or ()) <= set(recipe["published"]), recipe["id"]


def _recipe(published: dict) -> dict:
    profile = {"task": "classification", "optimizer": "adamw",
               "data": {"modality": "text", "num_samples": 8000, "num_classes": 2},
               "model": {"family": "transformer", "pretrained": True, "pretrain_similarity": "high"},
               "budget": {"trials": 20, "epochs": 3}, "hardware": {"global_batch_size": 32}}
    return {"id": "t", "category": "encoder-finetune", "citation": "a test", "profile": profile,
            "published": published}


def test_the_scorer_measures_distance_ranges_and_agreements() -> None:
    bench = _bench()
    rec = recommend(parse_profile(_recipe({})["profile"]))
    lr = rec.config["learning_rate"]
    exact = bench.score("t", _recipe({"learning_rate": lr, "batch_size": 32, "lr_schedule": "linear",
                                      "warmup": True, "grad_clip_norm": 1.0, "optimizer": "adamw"}), False)
    assert exact.lr_decades == 0 and exact.lr_in_range and exact.all_in_range
    assert exact.schedule == ("linear", "linear") and exact.warmup == (True, True)
    assert exact.clipping == (True, True) and exact.optimizer == ("adamw", "adamw")
    off = bench.score("t", _recipe({"learning_rate": lr * 100, "grad_clip_norm": None, "warmup": False,
                                    "lr_schedule": "cosine", "label_smoothing": 0.3}), False)
    assert off.lr_decades == pytest.approx(2.0) and off.lr_in_range is False
    assert off.params_in_range == {"grad_clip_norm": False, "label_smoothing": False, "learning_rate": False}
    assert off.schedule == ("cosine", "linear") and off.warmup == (False, True)
    # The published LR moves to the recommended batch by the recipe's own rule before comparing.
    moved = bench.score("t", _recipe({"learning_rate": lr * 4, "batch_size": 128, "lr_scaling": "linear"}),
                        False)
    assert moved.lr_published == pytest.approx(lr) and moved.lr_decades == pytest.approx(0, abs=1e-9)
    summary = bench.summarize([exact, off])
    assert summary["lr_within_0.5"] == "50% (1/2)" and math.isclose(summary["lr_median_decades"], 1.0)


def test_an_invalid_profile_is_reported_not_raised() -> None:
    bench = _bench()
    bad = _recipe({"learning_rate": 1e-3})
    bad["profile"]["model"]["kind"] = "decoder_only"
    result = bench.score("t", bad, False)
    assert result.error and "invalid profile" in result.error
    assert bench.summarize([result])["invalid"] == 1
