"""scikit-optimize's GP (the design card's optimizer) as an Optuna sampler.

Optuna's own `SkoptSampler` is gone upstream, so this adapter refits `skopt.Optimizer(base_estimator="GP")`
from the study at every trial: COMPLETE trials with their value (negated for a maximized study), FAIL
trials as a bad value (an interrupted one not at all), PRUNED ones with their last reported value,
RUNNING trials with a constant liar, so workers sharing a storage never get one point twice.
Parameters outside the search space are drawn by a `RandomSampler`.
Imported only by `advisor tune`'s Optuna engine: it loads optuna and skopt.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from advisor.core.search_space import Dimension, plain
from advisor.tuning.trials import INTERRUPTED, PRUNED_BY

REASKS = 32  # candidates drawn when the GP's point is one already run or running


def distributions(dimensions: Iterable[Dimension]) -> dict[str, BaseDistribution]:
    """The advisor's search space as Optuna distributions (log-uniform -> `log=True`)."""
    out: dict[str, BaseDistribution] = {}
    for dim in dimensions:
        log = dim.prior == "log-uniform"
        if dim.type == "categorical":
            out[dim.name] = CategoricalDistribution(list(dim.categories or ()))
        elif dim.type == "integer":
            out[dim.name] = IntDistribution(int(dim.low), int(dim.high), log=log)
        else:
            out[dim.name] = FloatDistribution(float(dim.low), float(dim.high), log=log)
    return out


def _skopt_dimension(name: str, dist: BaseDistribution) -> Any:
    from skopt.space import Categorical, Integer, Real

    if isinstance(dist, CategoricalDistribution):
        return Categorical(list(dist.choices), name=name)
    if isinstance(dist, IntDistribution) and dist.step == 1:
        return Integer(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform", name=name)
    if isinstance(dist, FloatDistribution) and dist.step is None:
        return Real(dist.low, dist.high, prior="log-uniform" if dist.log else "uniform", name=name)
    raise ValueError(f"SkoptSampler cannot model {name!r}: {dist} (a stepped distribution)")


def bad_value(values: Sequence[float]) -> float:
    """What a failed trial is told as: clearly worse than anything seen, without an absurd scale."""
    if not values:
        return 1e6
    worst, best = max(values), min(values)
    return worst + max(1.0, worst - best)


def _key(point: Sequence[Any]) -> str:
    return json.dumps([plain(v) for v in point])


class SkoptSampler(BaseSampler):
    """scikit-optimize `Optimizer` (GP, EI) over `search_space`, refit from the study at each trial.

    Deterministic given `seed`: each trial's optimizer is seeded from (seed, trial number), and the
    study's trials are told in trial-number order. `n_initial_points` random points come first
    (counting every told trial, failed and running ones included)."""

    def __init__(self, search_space: dict[str, BaseDistribution], *, seed: int | None = None,
                 n_initial_points: int = 5, acq_func: str = "EI",
                 independent_sampler: BaseSampler | None = None) -> None:
        for name, dist in search_space.items():
            _skopt_dimension(name, dist)  # refuse what skopt cannot model now, not at the first trial
        self._space = dict(search_space)
        self._seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big") >> 1
        self._n_initial_points = n_initial_points
        self._acq_func = acq_func
        self._independent = independent_sampler or RandomSampler(seed=seed)

    def reseed_rng(self) -> None:
        self._seed = int.from_bytes(os.urandom(4), "big") >> 1
        self._independent.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return dict(self._space)

    def _trial_seed(self, number: int) -> int:
        key = f"{self._seed}:{number}".encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") >> 1

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        self._raise_error_if_multi_objective(study)
        if not search_space:
            return {}
        fixed = trial.system_attrs.get("fixed_params", {})
        if all(name in fixed for name in search_space):
            return {}  # an enqueued trial (the starting config): nothing to fit
        from skopt import Optimizer

        names = list(search_space)
        dims = [_skopt_dimension(n, search_space[n]) for n in names]
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        done: list[tuple[list[Any], float | None]] = []
        running: list[list[Any]] = []
        for t in study.get_trials(deepcopy=False):
            if t.number == trial.number:
                continue
            if not all(n in t.params and _compatible(search_space[n], t.params[n]) for n in names):
                continue  # from another space, or it died before its point was stored
            point = [t.params[n] for n in names]
            if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value):
                done.append((point, sign * t.value))
            elif t.state == TrialState.PRUNED:
                done.append((point, _pruned_value(t, sign)))
            elif t.state == TrialState.FAIL and t.user_attrs.get(INTERRUPTED):
                continue  # a dead worker's or a Ctrl-C'd trial says nothing about its point
            elif t.state == TrialState.FAIL or t.state == TrialState.COMPLETE:
                done.append((point, None))
            elif t.state == TrialState.RUNNING:
                running.append(point)
        good = [y for _, y in done if y is not None]
        bad = bad_value(good)
        xs = [x for x, _ in done]
        ys = [bad if y is None else y for _, y in done]
        seed = self._trial_seed(trial.number)
        opt = Optimizer(dims, base_estimator="GP", acq_func=self._acq_func,
                        n_initial_points=self._n_initial_points, random_state=seed)
        taken = {_key(x) for x in xs} | {_key(x) for x in running}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if xs or running:
                # Constant liar: a pending point is told the best value so far, so the GP asks elsewhere.
                opt.tell(xs + running, ys + [min(ys) if ys else 0.0] * len(running))
            point = opt.ask()
            if _key(point) in taken:  # flat EI, a small discrete space: draw instead (bounded)
                for candidate in opt.space.rvs(n_samples=REASKS, random_state=seed):
                    if _key(candidate) not in taken:
                        point = candidate
                        break
        return {n: _inside(search_space[n], plain(v)) for n, v in zip(names, point, strict=True)}

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)


def _pruned_value(trial: FrozenTrial, sign: float) -> float | None:
    """A pruned trial is told its last reported value (stopped early, it would only have improved so
    much); one the curve rules stopped (diverged, LR too high) is told as a failure."""
    if (trial.user_attrs.get(PRUNED_BY) or {}).get("pruner") == "curve":
        return None
    values = trial.intermediate_values
    last = values[max(values)] if values else None
    return sign * last if last is not None and math.isfinite(last) else None


def _inside(dist: BaseDistribution, value: Any) -> Any:
    """skopt's log transform can land a hair outside a bound (0.30000000000000004): clip it back."""
    if isinstance(dist, FloatDistribution):
        return min(max(float(value), dist.low), dist.high)
    if isinstance(dist, IntDistribution):
        return min(max(int(value), dist.low), dist.high)
    return value


def _compatible(dist: BaseDistribution, value: Any) -> bool:
    """Whether a stored value lies in `dist` (a trial of another space is left out of the fit)."""
    try:
        return bool(dist._contains(dist.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


__all__ = ["SkoptSampler", "bad_value", "distributions"]
