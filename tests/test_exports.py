"""Each export is loaded by its real library (Hydra's is parsed with Hydra's own grammar)."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import yaml

from advisor import load_profile, recommend
from advisor.cli import main
from advisor.outputs.exports import render_exports

from .conftest import ROOT

FORMATS = ["skopt", "optuna", "ray", "wandb", "hydra"]


@pytest.fixture(scope="module")
def rec(profiles):
    return recommend(profiles["imbalanced-fraud"])  # real, integer-free, categorical and log dims


@pytest.fixture(scope="module")
def out(rec, profiles, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("exports")
    for name, text in render_exports(rec, FORMATS, profiles["imbalanced-fraud"].budget.trials).items():
        (directory / name).write_text(text)
    return directory


@pytest.fixture(scope="module")
def out7(tmp_path_factory) -> Path:
    """Every export of a profile whose trial budget is 7, written by `advisor recommend --export`."""
    directory = tmp_path_factory.mktemp("exports7")
    raw = yaml.safe_load((ROOT / "examples" / "imbalanced-fraud.yaml").read_text())
    raw["budget"]["trials"] = 7
    profile = directory / "seven.yaml"
    profile.write_text(yaml.safe_dump(raw))
    assert recommend(load_profile(profile)).search_space  # 7 trials still open a search
    assert main(["recommend", str(profile), "--out", str(directory), "--export", ",".join(FORMATS),
                 "-f", "json"]) == 0
    return directory


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _objective(config: dict) -> float:
    return (math.log10(config["learning_rate"]) + 2.5) ** 2 + config["dropout"]


def test_skopt_script_runs_with_the_starting_config_first(rec, out) -> None:
    from skopt import gp_minimize

    script = _module(out / "tune_skopt.py")
    dims = script.dimensions()
    assert [d.name for d in dims] == [d.name for d in rec.search_space]
    x0 = script.SPACE["x0"]
    result = gp_minimize(lambda p: _objective(script.to_config(p)), dims, x0=x0, n_calls=6,
                         n_initial_points=3, random_state=0)
    assert result.x_iters[0] == x0
    assert json.dumps(script.to_config(result.x))  # plain Python values


def test_optuna_distributions_and_suggest(rec, out, tmp_path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = json.loads((out / "optuna_space.json").read_text())
    dists = {k: optuna.distributions.json_to_distribution(v) for k, v in space.items()}
    assert dists["learning_rate"].log and dists["learning_rate"].low == 1e-4
    module = _module(out / "optuna_suggest.py")
    storage = f"sqlite:///{tmp_path / 'study.db'}"  # the scale-out path: any RDB URL works here
    study = optuna.create_study(study_name="s", storage=storage, direction="minimize")
    module.enqueue_starting_config(study)
    study.optimize(lambda trial: _objective(module.suggest(trial)), n_trials=5)
    first = study.trials[0].params
    assert first == module.STARTING_CONFIG
    reloaded = optuna.load_study(study_name="s", storage=storage)
    assert len(reloaded.trials) == 5
    assert all(reloaded.trials[0].distributions[k] == dists[k] for k in dists)


def test_ray_param_space_with_optuna_search(rec, out) -> None:
    from ray.tune.search.sample import Domain

    module = _module(out / "ray_param_space.py")
    searched = {d.name for d in rec.search_space}
    assert all(isinstance(module.param_space[name], Domain) for name in searched)
    searcher = module.search_alg()
    assert searcher.set_search_properties("val_loss", "min", module.param_space)
    first = searcher.suggest("trial-1")
    assert {k: first[k] for k in searched} == module.POINTS_TO_EVALUATE[0]


def test_wandb_sweep_is_read_by_wandb(rec, out) -> None:
    from wandb.sdk.launch.sweeps.utils import load_sweep_config
    from wandb.sdk.sweeps.scheduler.optuna import search_space_from_sweep_config

    sweep = load_sweep_config(str(out / "wandb_sweep.yaml"))
    assert sweep["method"] == "bayes"
    lr = sweep["parameters"]["learning_rate"]
    assert lr["distribution"] == "log_uniform_values" and lr["min"] == 1e-4  # not ln-exponents
    space = search_space_from_sweep_config(sweep["parameters"])
    assert space["learning_rate"].log and space["learning_rate"].low == 1e-4
    assert list(space["batch_size"].choices) == [8, 16, 32, 64, 128]  # the tabular-MLP prior


def test_hydra_sweeper_yaml_parses_with_hydra_grammar(rec, out) -> None:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    config = OmegaConf.create(yaml.safe_load((out / "hydra_optuna_sweeper.yaml").read_text()))
    params = config.hydra.sweeper.params
    parsed = OverridesParser.create().parse_overrides([f"{k}={v}" for k, v in params.items()])
    by_key = {o.key_or_group: o for o in parsed}
    assert by_key["learning_rate"].is_sweep_override() and "log" in by_key["learning_rate"].value().tags
    assert by_key["batch_size"].is_choice_sweep()
    assert config.learning_rate == rec.config["learning_rate"]


def test_unknown_export_format_writes_nothing(cli, tmp_path) -> None:
    from .conftest import EXAMPLES

    result = cli("recommend", EXAMPLES[0], "--out", tmp_path / "o", "--export", "skopt,excel")
    assert result.code == 2 and "unknown export format(s) excel" in result.err
    assert not (tmp_path / "o").exists()
    assert cli("recommend", EXAMPLES[0], "--export", "skopt").code == 2  # needs --out


@pytest.mark.slow
def test_ray_tune_runs_the_export_end_to_end(rec, out, tmp_path) -> None:
    """The scale-out recipe on a local Ray 'cluster': Tuner + exported param_space + OptunaSearch."""
    import ray
    from ray import tune

    module = _module(out / "ray_param_space.py")

    def trainable(config):
        return {"val_loss": _objective(config)}

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tuner = tune.Tuner(trainable, param_space=module.param_space,
                           tune_config=tune.TuneConfig(metric="val_loss", mode="min", num_samples=4,
                                                       search_alg=module.search_alg()),
                           run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0))
        grid = tuner.fit()
    finally:
        ray.shutdown()
    assert len(grid) == 4 and not grid.errors
    assert all(r.metrics["val_loss"] >= 0 for r in grid)
    configs = [{k: r.config[k] for k in module.POINTS_TO_EVALUATE[0]} for r in grid]
    assert module.POINTS_TO_EVALUATE[0] in configs  # the starting config was evaluated


def test_the_skopt_script_runs_as_a_program(out) -> None:
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "objectives")}
    done = subprocess.run([sys.executable, str(out / "tune_skopt.py"), "toy:quadratic", "6"], env=env,
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["value"] >= 0 and "learning_rate" in result["best"]


# The trial budget reaches every format: a profile with `budget: {trials: 7}` runs 7 trials in each.

COUNTING = """\
from pathlib import Path


def objective(config):
    with Path(__file__).with_name("calls").open("a") as calls:
        calls.write("x")
    return config["dropout"]
"""


def test_skopt_script_runs_the_trial_budget(out7, tmp_path) -> None:
    import os
    import subprocess
    import sys

    assert _module(out7 / "tune_skopt.py").N_CALLS == 7
    (tmp_path / "counting.py").write_text(COUNTING)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    subprocess.run([sys.executable, str(out7 / "tune_skopt.py"), "counting:objective"], env=env,
                   capture_output=True, text=True, check=True)  # no n_calls given: the budget
    assert (tmp_path / "calls").read_text() == "x" * 7


def test_optuna_export_runs_the_trial_budget(out7) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    module = _module(out7 / "optuna_suggest.py")
    assert module.N_TRIALS == 7 and "n_trials=N_TRIALS" in module.__doc__
    study = optuna.create_study(direction="minimize")
    module.enqueue_starting_config(study)
    study.optimize(lambda trial: _objective(module.suggest(trial)), n_trials=module.N_TRIALS)
    assert len(study.trials) == 7


def test_ray_export_runs_the_trial_budget(out7) -> None:
    module = _module(out7 / "ray_param_space.py")
    config = module.tune_config()
    assert module.NUM_SAMPLES == 7 and config.num_samples == 7
    assert config.metric == "val_loss" and config.search_alg is not None


def test_wandb_sweep_caps_runs_at_the_trial_budget(out7) -> None:
    from wandb.sdk.launch.sweeps.utils import load_sweep_config

    assert load_sweep_config(str(out7 / "wandb_sweep.yaml"))["run_cap"] == 7


def test_hydra_sweeper_runs_the_trial_budget(out7) -> None:
    from omegaconf import OmegaConf

    config = OmegaConf.create(yaml.safe_load((out7 / "hydra_optuna_sweeper.yaml").read_text()))
    assert config.hydra.sweeper.n_trials == 7
