"""The tuning-table analysis behind the data-derived priors measures what it says (constructed tables)."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT


def _module(name: str):
    """A benchmarks/ script as a module (its siblings importable, dataclasses registered)."""
    bench = str(ROOT / "benchmarks")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


tt = _module("tuning_tables")


def _table(score_fn, **grid) -> tt.TuningTable:
    params = tuple(grid)
    settings = np.array(list(itertools.product(*grid.values())), dtype=float)
    score = np.array([score_fn(dict(zip(params, row, strict=True))) for row in settings])
    return tt.TuningTable("t", params, settings, score)


def test_expected_best_of_is_exact() -> None:
    scores = np.array([0.1, 0.5, 0.9])
    assert tt.expected_best_of(scores, 1) == pytest.approx(0.5)
    # k=2 with replacement: all 9 ordered pairs enumerated
    pairs = [max(a, b) for a in scores for b in scores]
    assert tt.expected_best_of(scores, 2) == pytest.approx(np.mean(pairs))
    assert tt.expected_best_of(scores, 200) == pytest.approx(0.9, abs=1e-6)


def test_importance_finds_the_parameter_that_matters() -> None:
    table = _table(lambda s: -abs(np.log10(s["learning_rate"]) + 3), learning_rate=[1e-4, 1e-3, 1e-2],
                   dropout=[0.0, 0.25, 0.5])
    imp = tt.importance(table)
    assert imp["learning_rate"] == pytest.approx(1.0)
    assert imp["dropout"] == pytest.approx(0.0)


def test_regret_and_rank_by_value() -> None:
    table = _table(lambda s: 1.0 - s["dropout"] - 0.1 * s["wd"], dropout=[0.0, 0.5], wd=[0.0, 1.0])
    assert tt.regret_by_value([table], "dropout") == {0.0: 0.0, 0.5: pytest.approx(0.5)}
    assert tt.median_rank_by_value([table], "dropout") == {0.0: 100.0, 0.5: 0.0}


def test_long_csv_averages_architectures_and_seeds(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["task", "learning_rate", "width", "seed", "acc"])
        for lr, width, seed in itertools.product([1e-3, 1e-2], [64, 256], [0, 1]):
            w.writerow(["a", lr, width, seed, 100 * lr + width / 1000 + seed])
        w.writerow(["a", 1e-3, 64, 2, "nan"])  # a failed run is skipped, not averaged in
    table = tt.read_long_csv(path, task_column="task", params=("learning_rate",), score="acc")["a"]
    assert table.score.tolist() == pytest.approx([0.1 + 0.16 + 0.5, 1.0 + 0.16 + 0.5])
    lower = tt.read_long_csv(path, task_column="task", params=("learning_rate",), score="acc",
                             higher_is_better=False)["a"]
    assert lower.score.max() == pytest.approx(-0.76)


def test_nearest_and_percentile() -> None:
    values = np.array([0.0, 1e-5, 1e-3])
    assert tt.nearest(values, 3e-4, "weight_decay") == 1e-3  # log distance
    assert tt.nearest(values, 0.0, "weight_decay") == 0.0
    assert tt.nearest(np.array([0.0, 0.3, 0.6]), 0.2, "dropout") == 0.3
    table = _table(lambda s: s["x"], x=[1.0, 2.0, 3.0, 4.0, 5.0])
    assert tt.percentile(table, 4) == 100.0 and tt.percentile(table, 0) == 0.0


# ---- the benchmark: start, space and regret on a table whose answer is known -------------------

pb = _module("prior_benchmark")


def _sklearn_case(best: dict[str, float]) -> object:
    def score(s: dict[str, float]) -> float:
        return -(abs(np.log10(s["learning_rate"] / best["learning_rate"]))
                 + abs(np.log2(s["batch_size"] / best["batch_size"])) + 10 * s["alpha"])

    table = _table(score, learning_rate=[1e-4, 1e-3, 1e-2, 1e-1], batch_size=[4, 16, 64, 256],
                   alpha=[0.0, 1e-4, 1e-2, 1.0])
    profile = {"name": "t", "task": "classification",
               "data": {"modality": "tabular", "num_samples": 1000, "num_classes": 2},
               "model": {"family": "mlp", "depth": 2, "activation": "relu"}, "optimizer": "adam",
               "budget": {"epochs": 50}, "hardware": {"device": "cpu"}}
    return pb.Case("test", table, profile, {"learning_rate": 1e-3, "batch_size": 32, "alpha": 0.0},
                   pb.SKLEARN_COLUMNS)


def test_the_advisor_start_and_space_are_scored_on_the_grid() -> None:
    from advisor import default_knowledge_base

    case = _sklearn_case({"learning_rate": 1e-3, "batch_size": 16})
    s = pb.score_case(case, default_knowledge_base(), trials=20)
    # the start (Adam 1e-3, batch 16, no decay) is the grid's best setting
    assert s.start_pct == 100.0 and s.start_ge_default
    assert s.best_inside
    assert s.regret_space < s.regret_grid
    assert 0 < s.space_share < 1


def test_a_best_setting_outside_the_space_is_reported() -> None:
    from advisor import default_knowledge_base

    case = _sklearn_case({"learning_rate": 1e-1, "batch_size": 256})  # outside lr and batch ranges
    s = pb.score_case(case, default_knowledge_base(), trials=20)
    assert not s.best_inside
    assert s.start_pct < 100.0


def test_unsearched_parameters_stay_at_the_start() -> None:
    from advisor import default_knowledge_base, parse_profile, recommend

    case = _sklearn_case({"learning_rate": 1e-3, "batch_size": 16})
    rec = recommend(parse_profile({**case.profile, "budget": {"epochs": 50, "trials": 3}}),
                    kb=default_knowledge_base())
    assert [d.name for d in rec.search_space] == ["learning_rate"]
    mask = pb.space_mask(case, rec.config, rec.search_space)
    rows = case.table.settings[mask]
    assert set(rows[:, 1]) == {16.0}  # batch fixed at the start
    assert set(rows[:, 2]) == {0.0}  # alpha = weight decay (none) x batch, snapped to the grid
    assert set(rows[:, 0]) == {1e-4, 1e-3, 1e-2}


def test_the_lcbench_split_keeps_the_reserved_data_sets_out() -> None:
    dp = _module("derive_priors")
    meta = dp.task_meta()
    names = {t: r["dataset"] for t, r in meta.items()}
    derive, check = dp.lcbench_split(list(meta), names)
    assert len(meta) == 34 and len(check) == 8 and len(derive) == 26
    assert {names[t] for t in check} == dp.RESERVED_DATASETS
    assert not {names[t] for t in derive} & dp.RESERVED_DATASETS
    assert all(int(r["n_instances"]) > 0 and r["source"] for r in meta.values())


def test_a_table_described_by_a_spec_is_scored(tmp_path: Path) -> None:
    """An FCNet-shaped table: two dropout columns, a text schedule column, an architecture column."""
    from advisor import default_knowledge_base

    path = tmp_path / "fc.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["init_lr", "batch_size", "dropout_1", "dropout_2", "lr_schedule", "n_units", "mse"])
        for lr, b, d1, d2, sched, units in itertools.product(
                [5e-4, 1e-3, 1e-2, 1e-1], [8, 16, 32, 64], [0.0, 0.3, 0.6], [0.0, 0.3, 0.6],
                ["cosine", "const"], [16, 512]):
            mse = abs(np.log10(lr / 1e-3)) + abs(np.log2(b / 16)) + d1 + d2 + (sched == "const") + units / 1e4
            w.writerow([lr, b, d1, d2, sched, units, mse])
    spec = {
        "name": "fc", "group": "test", "csv": "fc.csv", "score": {"column": "mse", "higher_is_better": False},
        "columns": {"init_lr": "learning_rate", "batch_size": "batch_size", "dropout_1": "dropout",
                    "dropout_2": "dropout",
                    "lr_schedule": {"param": "lr_schedule.name", "values": {"cosine": "cosine",
                                                                            "const": "constant"},
                                    "other": "const"}},
        "defaults": {"init_lr": 1e-3, "batch_size": 32, "dropout_1": 0, "dropout_2": 0, "lr_schedule": 1},
        "profile": {"name": "fc", "task": "regression", "data": {"modality": "tabular", "num_samples": 20000},
                    "model": {"family": "mlp", "depth": 2, "activation": "relu"}, "optimizer": "adam",
                    "budget": {"epochs": 100}},
    }
    (tmp_path / "fc.yaml").write_text(__import__("yaml").safe_dump(spec))
    (case,) = pb.spec_cases(tmp_path / "fc.yaml")
    assert set(case.table.params) == {"init_lr", "batch_size", "dropout_1", "dropout_2", "lr_schedule"}
    assert len(case.table.score) == 4 * 4 * 3 * 3 * 2  # the architecture averaged out
    s = pb.score_case(case, default_knowledge_base(), trials=20)
    # Adam 1e-3, batch 16, no dropout, cosine: the constructed optimum, ahead of the defaults
    assert s.start_pct == 100.0 and s.start_ge_default and s.default_pct < 100.0
    assert s.best_inside and s.regret_space < s.regret_grid
