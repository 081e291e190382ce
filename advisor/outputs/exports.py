"""The recommended search space in the formats of the tuners people use.

Text only: writing an export needs none of those libraries (the tests load each export in its
real library). The starting config is the first trial wherever the format allows one. Every format
runs the same number of trials, `render_exports`' `trials`: the profile's trial budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from advisor.core.recommendation import Dimension, Recommendation
from advisor.errors import UnknownExportError
from advisor.yamlio import dump_yaml


def _num(x: Any) -> str:
    return repr(float(x)) if isinstance(x, float) else repr(x)


def _fixed(rec: Recommendation) -> dict[str, Any]:
    searched = {d.name for d in rec.search_space}
    return {k: v for k, v in rec.config.items() if k not in searched}


def skopt(rec: Recommendation, trials: int) -> dict[str, str]:
    dims = [{k: v for k, v in d.model_dump(mode="json").items() if v is not None} for d in rec.search_space]
    space = {"dimensions": dims, "x0": [rec.config[d.name] for d in rec.search_space],
             "fixed": _fixed(rec)}
    script = f'''"""Bayesian search over the advisor's space with scikit-optimize (GP).

    python tune_skopt.py mypkg.train:objective [n_calls]   # n_calls: default N_CALLS, the trial budget

`objective(config: dict) -> float` returns the validation loss; the starting config runs first.
"""
import importlib
import json
import sys
from pathlib import Path

from skopt import gp_minimize
from skopt.space import Categorical, Integer, Real

SPACE = json.loads(Path(__file__).with_name("search_space.skopt.json").read_text())
N_CALLS = {trials}


def dimensions():
    out = []
    for d in SPACE["dimensions"]:
        if d["type"] == "categorical":
            out.append(Categorical(d["categories"], name=d["name"]))
        elif d["type"] == "integer":
            out.append(Integer(d["low"], d["high"], prior=d["prior"], name=d["name"]))
        else:
            out.append(Real(d["low"], d["high"], prior=d["prior"], name=d["name"]))
    return out


def to_config(point):
    config = dict(SPACE["fixed"])
    for d, value in zip(SPACE["dimensions"], point):
        config[d["name"]] = value.item() if hasattr(value, "item") else value
    return config


def main():
    module, _, name = sys.argv[1].partition(":")
    objective = getattr(importlib.import_module(module), name)
    n_calls = int(sys.argv[2]) if len(sys.argv) > 2 else N_CALLS
    result = gp_minimize(lambda p: float(objective(to_config(p))), dimensions(), x0=SPACE["x0"],
                         n_calls=n_calls, n_initial_points=min(10, max(1, n_calls - 2)),
                         random_state=0)
    sys.stdout.write(json.dumps({{"best": to_config(result.x), "value": float(result.fun)}}) + "\\n")


if __name__ == "__main__":
    main()
'''
    return {"search_space.skopt.json": json.dumps(space, indent=2) + "\n", "tune_skopt.py": script}


def _optuna_distribution(d: Dimension) -> dict[str, Any]:
    if d.type == "categorical":
        return {"name": "CategoricalDistribution", "attributes": {"choices": list(d.categories or ())}}
    log = d.prior == "log-uniform"
    if d.type == "integer":
        return {"name": "IntDistribution",
                "attributes": {"low": int(d.low), "high": int(d.high), "log": log, "step": 1}}
    return {"name": "FloatDistribution",
            "attributes": {"low": float(d.low), "high": float(d.high), "log": log, "step": None}}


def optuna(rec: Recommendation, trials: int) -> dict[str, str]:
    # Each value is Optuna's own JSON (optuna.distributions.json_to_distribution reads it).
    space = {d.name: json.dumps(_optuna_distribution(d)) for d in rec.search_space}
    lines = []
    for d in rec.search_space:
        if d.type == "categorical":
            lines.append(f"    config[{d.name!r}] = trial.suggest_categorical({d.name!r}, "
                         f"{list(d.categories or ())!r})")
        elif d.type == "integer":
            lines.append(f"    config[{d.name!r}] = trial.suggest_int({d.name!r}, {int(d.low)}, "
                         f"{int(d.high)}, log={d.prior == 'log-uniform'})")
        else:
            lines.append(f"    config[{d.name!r}] = trial.suggest_float({d.name!r}, {_num(d.low)}, "
                         f"{_num(d.high)}, log={d.prior == 'log-uniform'})")
    body = "\n".join(lines) or "    pass"
    start = {d.name: rec.config[d.name] for d in rec.search_space}
    script = f'''"""The advisor's search space for Optuna.

    study = optuna.create_study(direction="minimize", storage="sqlite:///study.db")  # or PostgreSQL
    enqueue_starting_config(study)
    study.optimize(lambda trial: objective(suggest(trial)), n_trials=N_TRIALS)
"""
N_TRIALS = {trials}  # the profile's trial budget
FIXED = {_fixed(rec)!r}
STARTING_CONFIG = {start!r}


def suggest(trial):
    config = dict(FIXED)
{body}
    return config


def enqueue_starting_config(study):
    """Run the advisor's starting config as the first trial."""
    study.enqueue_trial(STARTING_CONFIG, skip_if_exists=True)
'''
    return {"optuna_space.json": json.dumps(space, indent=2) + "\n", "optuna_suggest.py": script}


def ray(rec: Recommendation, trials: int) -> dict[str, str]:
    entries = []
    for d in rec.search_space:
        if d.type == "categorical":
            entries.append(f"    {d.name!r}: tune.choice({list(d.categories or ())!r}),")
        elif d.type == "integer":
            fn = "lograndint" if d.prior == "log-uniform" else "randint"
            # Ray's integer upper bound is exclusive.
            entries.append(f"    {d.name!r}: tune.{fn}({int(d.low)}, {int(d.high) + 1}),")
        else:
            fn = "loguniform" if d.prior == "log-uniform" else "uniform"
            entries.append(f"    {d.name!r}: tune.{fn}({_num(d.low)}, {_num(d.high)}),")
    fixed = "\n".join(f"    {k!r}: {v!r}," for k, v in _fixed(rec).items())
    start = {d.name: rec.config[d.name] for d in rec.search_space}
    script = f'''"""The advisor's search space for Ray Tune. Ray 2.x removed its scikit-optimize searcher:
pair it with OptunaSearch, the starting config as the first point.

    from ray import tune
    from ray.tune.search.optuna import OptunaSearch
    tuner = tune.Tuner(trainable, param_space=param_space, tune_config=tune_config())
"""
from ray import tune

NUM_SAMPLES = {trials}  # the profile's trial budget

param_space = {{
{fixed}
{chr(10).join(entries)}
}}
POINTS_TO_EVALUATE = [{start!r}]


def search_alg(metric="val_loss", mode="min"):
    from ray.tune.search.optuna import OptunaSearch

    return OptunaSearch(metric=metric, mode=mode, points_to_evaluate=POINTS_TO_EVALUATE)


def tune_config(metric="val_loss", mode="min"):
    return tune.TuneConfig(metric=metric, mode=mode, num_samples=NUM_SAMPLES,
                           search_alg=search_alg(metric, mode))
'''
    return {"ray_param_space.py": script}


def wandb(rec: Recommendation, trials: int) -> dict[str, str]:
    params: dict[str, Any] = {k: {"value": v} for k, v in _fixed(rec).items()}
    for d in rec.search_space:
        if d.type == "categorical":
            params[d.name] = {"values": list(d.categories or ())}
        elif d.type == "integer":
            params[d.name] = ({"distribution": "q_log_uniform_values", "min": int(d.low),
                               "max": int(d.high), "q": 1} if d.prior == "log-uniform" else
                              {"distribution": "int_uniform", "min": int(d.low), "max": int(d.high)})
        else:
            # log_uniform_values takes the bounds themselves; log_uniform would take ln(bounds).
            params[d.name] = {"distribution": "log_uniform_values" if d.prior == "log-uniform"
                              else "uniform", "min": float(d.low), "max": float(d.high)}
    sweep = {"method": "bayes", "metric": {"name": "val_loss", "goal": "minimize"},
             "run_cap": trials, "parameters": params}
    note = ("# W&B sweep (wandb sweep wandb_sweep.yaml). A sweep has no 'first trial' setting:\n"
            "# run the starting config (config.yaml) once yourself to seed the Bayesian model.\n")
    return {"wandb_sweep.yaml": note + dump_yaml(sweep)}


def _hydra_value(d: Dimension) -> str:
    if d.type == "categorical":
        return "choice(" + ", ".join(json.dumps(c) for c in d.categories or ()) + ")"
    low, high = (int(d.low), int(d.high)) if d.type == "integer" else (float(d.low), float(d.high))
    body = f"interval({low!r}, {high!r})"
    body = f"int({body})" if d.type == "integer" else body
    return f"tag(log, {body})" if d.prior == "log-uniform" else body


def hydra(rec: Recommendation, trials: int) -> dict[str, str]:
    config = {
        "defaults": [{"override hydra/sweeper": "optuna"}],
        "hydra": {"sweeper": {
            "sampler": {"_target_": "optuna.samplers.TPESampler", "seed": 0},
            "direction": "minimize", "n_trials": trials, "n_jobs": 1,
            "params": {d.name: _hydra_value(d) for d in rec.search_space}}},
        **{k: v for k, v in _fixed(rec).items()},
        **{d.name: rec.config[d.name] for d in rec.search_space},
    }
    note = ("# Hydra Optuna sweeper (hydra-optuna-sweeper): python train.py --multirun\n"
            "# The defaults below are the advisor's starting config.\n")
    return {"hydra_optuna_sweeper.yaml": note + dump_yaml(config)}


# name -> (recommendation, trials) -> {file name: text}; `trials` is the profile's trial budget.
FORMATS: dict[str, Callable[[Recommendation, int], dict[str, str]]] = {
    "skopt": skopt, "optuna": optuna, "ray": ray, "wandb": wandb, "hydra": hydra,
}


def render_exports(rec: Recommendation, names: list[str], trials: int) -> dict[str, str]:
    """File name -> text for each requested format, each running `trials` trials (the budget)."""
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UnknownExportError(unknown, list(FORMATS))
    files: dict[str, str] = {}
    for name in names:
        files.update(FORMATS[name](rec, trials))
    return files
