"""`advisor tune`: Bayesian search (scikit-optimize GP, ask/tell) over the recommended space.

The objective is imported by name in each worker (never pickled); every finished trial is in the
study database before the next point is asked; failed and NaN trials are told to the optimizer as
a bad value; workers share the database and each refits from its history before asking. The point
a worker runs is settled inside the claim's transaction against every running trial's point, so
workers in one process or many never repeat a config, and the starting config runs once.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import signal
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.core.recommendation import Recommendation
from advisor.core.search_space import point_to_config, to_skopt_dimensions
from advisor.errors import AdvisorError
from advisor.tuning.objective_call import call_objective
from advisor.tuning.study import HEARTBEAT_S, Owner, Study, StudyError, Trial
from advisor.user_code import import_callable

OnTrial = Callable[[Trial, list[Trial]], None]


INTERRUPTED = "interrupted (Ctrl-C)"
LIVE = ("running", "complete", "failed")  # an interrupted trial's point is free to be run again
# Per process, so two runs on one study (same --seed, same worker names) never share a seed.
_PROCESS_TOKEN = uuid.uuid4().hex


@dataclass(frozen=True)
class TuneSettings:
    objective: str
    study: str
    trials: int
    maximize: bool = False
    seed: int = 0
    workers: int = 1
    trial_timeout: float | None = None
    resume: bool = False


def fingerprint(rec: Recommendation, maximize: bool) -> dict[str, Any]:
    return {"search_space": [d.model_dump(mode="json") for d in rec.search_space],
            "direction": "maximize" if maximize else "minimize"}


def _bad_value(values: list[float]) -> float:
    # A failed trial counts as clearly worse than anything seen, without an absurd scale.
    if not values:
        return 1e6
    worst, best = max(values), min(values)
    return worst + max(1.0, worst - best)


def _seed(settings: TuneSettings, worker: str, asked: str) -> int:
    """A seed no other worker, here or in another process, uses: a hash, not a sum, of what tells
    the ask apart (a sum made `w0` after n+1 trials equal `w1` after n)."""
    key = f"{settings.seed}:{_PROCESS_TOKEN}:{os.getpid()}:{worker}:{asked}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") >> 1


def _key(config: dict[str, Any], names: list[str]) -> str:
    return json.dumps([config.get(n) for n in names], sort_keys=True)


def _ask(rec: Recommendation, live: list[Trial], settings: TuneSettings, seed: int) -> dict[str, Any]:
    """The next point, given every finished and running trial; never one of theirs while the space
    has another (a discrete space can run out)."""
    from skopt import Optimizer

    dims = rec.search_space
    names = [d.name for d in dims]
    taken = {_key(t.config, names) for t in live}
    if not dims or _key(rec.config, names) not in taken:
        return dict(rec.config)  # the starting config runs first, and once
    sign = -1.0 if settings.maximize else 1.0
    done = [t for t in live if t.status in ("complete", "failed")]
    good = [sign * t.value for t in done if t.status == "complete" and t.value is not None]
    bad = _bad_value(good)
    xs = [[t.config[n] for n in names] for t in done]
    ys = [sign * t.value if t.status == "complete" and t.value is not None else bad for t in done]
    running = [[t.config[n] for n in names] for t in live if t.status == "running"]
    opt = Optimizer(to_skopt_dimensions(dims), base_estimator="GP", acq_func="EI",
                    n_initial_points=min(5, max(1, settings.trials // 4)), random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if xs:
            opt.tell(xs, ys)
        if running:  # constant liar: pretend pending trials scored the best so far
            opt.tell(running, [min(ys) if ys else 0.0] * len(running))
        config = point_to_config(dims, opt.ask(), rec.config)
        # The GP can land on a point it was told (flat EI, a small discrete space): draw instead.
        for point in opt.space.rvs(n_samples=50, random_state=seed):
            if _key(config, names) not in taken:
                break
            config = point_to_config(dims, point, rec.config)
    return config


@contextlib.contextmanager
def _no_second_interrupt() -> Iterator[None]:
    """A second Ctrl-C (or the parent's SIGINT to its helpers) must not cut the study write short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Heartbeat:
    """Refreshes this process's running trial in the study while the objective runs (a thread with its
    own connection), so a resume elsewhere can tell a live run from a dead one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.trial: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tune-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            study = Study(self.path)  # the worker has just opened it: this never makes a new file
        except StudyError:
            return  # the worker reports it
        try:
            while not self._stop.wait(HEARTBEAT_S):
                if self.trial is not None:
                    with contextlib.suppress(StudyError):  # busy or unwell: the next beat tries again
                        study.beat([self.trial])
        finally:
            study.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_worker(rec: Recommendation, settings: TuneSettings, worker: str,
               on_trial: OnTrial | None = None) -> None:
    objective = import_callable(settings.objective)
    owner = Owner.here()
    study = Study(settings.study)
    heartbeat = _Heartbeat(settings.study)
    try:
        while True:
            live = [t for t in study.trials() if t.status in LIVE]
            if len(live) >= settings.trials:
                return
            seed = _seed(settings, worker, str(len(live)))
            prepared = _ask(rec, live, settings, seed)  # the slow GP fit, outside the write lock
            seen = {t.id for t in live}

            def propose(trials: list[Trial], prepared: dict[str, Any] = prepared, seen: set[int] = seen,
                        seed: int = seed) -> tuple[dict[str, Any], int]:
                # Inside the claim: if another worker claimed a point since, ask again seeing it.
                now = [t for t in trials if t.status in LIVE]
                if {t.id for t in now} <= seen:
                    return prepared, seed
                again = _seed(settings, worker, f"{len(now)} in the claim")
                return _ask(rec, now, settings, again), again

            claimed = study.claim_next(worker, settings.trials, propose, owner=owner)
            if claimed is None:
                return
            trial_id = heartbeat.trial = claimed.id
            started = time.perf_counter()
            try:
                value, error = call_objective(objective, claimed.config, settings.trial_timeout)
                recorded = study.finish(trial_id, value, error, time.perf_counter() - started)
            except KeyboardInterrupt:  # Ctrl-C: the trial is marked, finished ones stay saved
                with _no_second_interrupt():
                    study.interrupt(trial_id, INTERRUPTED)
                raise
            finally:
                heartbeat.trial = None
            if on_trial is not None and recorded:
                trials = study.trials()
                on_trial(next(t for t in trials if t.id == trial_id), trials)
    finally:
        heartbeat.close()
        study.close()


def _worker_main(rec_json: str, settings: TuneSettings, worker: str) -> None:
    with contextlib.suppress(KeyboardInterrupt):  # the parent reports it; no traceback per helper
        run_worker(Recommendation.model_validate_json(rec_json), settings, worker)


def _stop(helpers: list[Any]) -> None:
    """Interrupt helper workers (each marks its running trial), then wait for them to exit."""
    for proc in helpers:
        if proc.is_alive() and proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)
    for proc in helpers:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


def tune(rec: Recommendation, settings: TuneSettings, on_trial: OnTrial | None = None) -> list[Trial]:
    """Run (or resume) a study to `settings.trials` finished trials; return every trial."""
    if settings.trials < 1:
        raise AdvisorError(f"`trials` must be >= 1, got {settings.trials}")
    if not rec.search_space:
        raise AdvisorError("the recommendation has an empty search space (1 trial in the profile's "
                           "budget?); raise budget.trials")
    import_callable(settings.objective)  # fail before touching the study
    study = Study(settings.study)
    try:
        study.bind(fingerprint(rec, settings.maximize))
        existing = study.trials()
        if existing and not settings.resume:
            raise StudyError(f"{settings.study} already holds {len(existing)} trials; "
                             "set `resume` to continue it, or choose another `study` file")
        if settings.resume:
            study.interrupt_running()
    finally:
        study.close()
    context = multiprocessing.get_context("spawn")
    helpers = [context.Process(target=_worker_main, args=(rec.model_dump_json(), settings, f"w{i}"),
                               daemon=True) for i in range(1, settings.workers)]
    for proc in helpers:
        proc.start()
    try:
        run_worker(rec, settings, "w0", on_trial)
        for proc in helpers:
            proc.join()
    except KeyboardInterrupt:
        _stop(helpers)
        raise
    finally:
        for proc in helpers:
            proc.join()
    study = Study(settings.study)
    try:
        return study.trials()
    finally:
        study.close()


def study_trials(path: str | Path) -> list[Trial]:
    """Every trial of the study at `path` (none if there is no file yet)."""
    if not Path(path).is_file():
        return []
    study = Study(path)
    try:
        return study.trials()
    finally:
        study.close()


def best_trial(trials: list[Trial], maximize: bool) -> Trial | None:
    done = [t for t in trials if t.status == "complete" and t.value is not None]
    if not done:
        return None
    return max(done, key=lambda t: t.value) if maximize else min(done, key=lambda t: t.value)


def convergence_points(trials: list[Trial], maximize: bool) -> tuple[list[tuple[int, float]],
                                                                      list[tuple[int, float]]]:
    """(trial id, value) of each successful trial, and (trial id, best so far) from the first success
    on, over the finished trials: ids, not positions, so an interrupted trial leaves a gap."""
    best: float | None = None
    raw: list[tuple[int, float]] = []
    steps: list[tuple[int, float]] = []
    for t in trials:
        if t.status not in ("complete", "failed"):
            continue
        if t.value is not None:
            raw.append((t.id, t.value))
            best = t.value if best is None else (max(best, t.value) if maximize else min(best, t.value))
        if best is not None:
            steps.append((t.id, best))
    return raw, steps


def convergence_plot(trials: list[Trial], maximize: bool, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from matplotlib.ticker import MaxNLocator

    from advisor.outputs.files import write_atomic

    raw, steps = convergence_points(trials, maximize)
    fig, ax = plt.subplots(figsize=(7, 4))
    if raw:
        ax.plot(*zip(*raw, strict=True), ".", color="0.6", label="trial value")
    if steps:
        ax.step(*zip(*steps, strict=True), where="post", color="C0", lw=2, label="best so far")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial id")
    ax.set_ylabel("objective")
    ax.set_title("advisor tune: convergence")
    ax.legend()
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=120)
    plt.close(fig)
    write_atomic(path, image.getvalue())  # whole or absent; mode 0666 less the umask
    return path
