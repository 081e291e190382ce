from __future__ import annotations

import json
import math

import pytest
from skopt import gp_minimize
from skopt.space import Categorical, Integer, Real

from advisor import recommend
from advisor.core.search_space import config_to_point, point_to_config


def test_converts_to_skopt_dimensions(profiles) -> None:
    rec = recommend(profiles["imbalanced-fraud"])
    dims = {d.name: d for d in rec.to_skopt()}
    assert isinstance(dims["learning_rate"], Real) and dims["learning_rate"].prior == "log-uniform"
    assert isinstance(dims["batch_size"], Categorical)
    assert isinstance(dims["dropout"], Real) and dims["dropout"].prior == "uniform"
    assert list(dims) == [d.name for d in rec.search_space]


def test_integer_dimension(profiles) -> None:
    from advisor.core.recommendation import Dimension
    from advisor.core.search_space import to_skopt_dimensions

    [dim] = to_skopt_dimensions([Dimension(name="batch_size", type="integer", low=16, high=512,
                                           prior="log-uniform")])
    assert isinstance(dim, Integer) and (dim.low, dim.high) == (16, 512)


def test_gp_minimize_runs_on_a_recommended_space(profiles) -> None:
    rec = recommend(profiles["imbalanced-fraud"])
    dims = rec.to_skopt()
    x0 = config_to_point(rec.search_space, rec.config)
    best_lr = 3e-3

    def objective(point: list) -> float:
        config = point_to_config(rec.search_space, point, rec.config)
        return (math.log10(config["learning_rate"]) - math.log10(best_lr)) ** 2 + config["dropout"]

    result = gp_minimize(objective, dims, x0=x0, n_calls=8, n_initial_points=4, random_state=0)
    best = point_to_config(rec.search_space, result.x, rec.config)
    json.dumps(best)  # numpy scalars were converted to plain Python
    assert result.func_vals[0] == pytest.approx(objective(x0))  # the starting config ran first
    assert result.fun <= objective(x0)
