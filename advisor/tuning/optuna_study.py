"""`advisor tune` on Optuna: a study in any storage Optuna's `RDBStorage` takes (a SQLite file, PostgreSQL,
any SQLAlchemy URL), bound to the recommendation's search space and direction, run by local worker
processes that share the storage URL.

The study is Optuna's own, readable with the plain Optuna API and optuna-dashboard. What the advisor
adds: the fingerprint of the space in the study's user attrs (a study of another space is refused,
naming the difference); the starting config enqueued as trial 0, once; a claim that keeps the total of
finished-or-running trials at exactly `n_trials` across every worker; a heartbeat, so a killed
worker's trial becomes FAIL with `interrupted = "worker died"` and its slot is run again (at once when
the worker ran on this host and its process is gone, else once its heartbeat is stale); pruning through
the `report` callable the objective may take (`advisor.tuning.pruning`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import multiprocessing
import os
import signal
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from advisor.core.recommendation import Recommendation
from advisor.core.search_space import Dimension
from advisor.errors import AdvisorError, StudyError
from advisor.tuning.objective_call import Outcome, call_objective
from advisor.tuning.pruning import PRUNERS, CurveRules, Reporter, optuna_pruner
from advisor.tuning.skopt_sampler import SkoptSampler, distributions
from advisor.tuning.trials import ERROR, INTERRUPTED, PRUNED_BY, WORKER, TrialRecord, record
from advisor.user_code import import_callable

log = logging.getLogger(__name__)

FINGERPRINT = "advisor:fingerprint"  # study user attrs
BASE_CONFIG = "advisor:base_config"
READY = "advisor:ready"
STARTING = "advisor:starting_config"  # trial user attrs
OWNER = "advisor:owner"  # {"host", "pid", "started"}: tells a dead local worker from a live one
WORKER_DIED = "worker died"
CTRL_C = "interrupted (Ctrl-C)"
SAMPLERS = ("gp", "optuna-gp", "tpe")
HEARTBEAT_S = 10
READY_WAIT_S = 60.0
POLL_S = 0.5  # while other workers finish the last trials
OnTrial = Callable[[TrialRecord, list[TrialRecord]], None]
OLD_FORMAT = ("{path} is a study file of the old `advisor tune` format, which Optuna cannot read; "
              "move it away (or give another `storage`) to start a new study")


def fingerprint(rec: Recommendation, maximize: bool) -> dict[str, Any]:
    """What binds a study to its recommendation: the search space and the direction."""
    return {"search_space": [d.model_dump(mode="json") for d in rec.search_space],
            "direction": "maximize" if maximize else "minimize"}


def storage_url(storage: str | Path) -> str:
    """A URL as given; a path becomes `sqlite:///<absolute path>` (its folder is made)."""
    text = str(storage)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    if path.exists():
        check_sqlite_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def check_sqlite_file(path: Path) -> None:
    """An existing study file must be a sound SQLite database and not the pre-Optuna format: SQLite
    would open a truncated file as an empty database, and the trials would be gone without a word."""
    import sqlite3

    from advisor.tuning.sqlite_files import connect_existing, damage

    if not path.is_file():
        raise StudyError(f"{path}: not a regular file; pass a study file or a database URL")
    if path.stat().st_size == 0:
        return  # an empty file is an empty database: Optuna makes its tables in it
    why = damage(path)
    if why:
        raise StudyError(f"{path}: not a usable study database ({why}); move it away to start a new "
                         "study, or restore it from a backup")
    with contextlib.closing(connect_existing(path, timeout=30)) as db:
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"{path}: not a usable study database ({exc})") from None
    if "meta" in tables and "trials" in tables and "studies" not in tables:
        raise StudyError(OLD_FORMAT.format(path=path))


def shown_url(url: str) -> str:
    """The URL with its password hidden, for messages and the terminal."""
    with contextlib.suppress(Exception):
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    return url.split("@")[-1]


def _on_stale(study: optuna.Study, trial: FrozenTrial) -> None:
    log.warning("trial %d of %s: its worker died; marked FAIL", trial.number, study.study_name)


def _unusable(url: str, exc: Exception) -> StudyError:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return StudyError(f"{shown_url(url)}: cannot open the study storage ({type(exc).__name__}: {first})")


def make_storage(url: str, heartbeat_interval: int = HEARTBEAT_S,
                 grace_period: int | None = None) -> RDBStorage:
    """Optuna's `RDBStorage` with a heartbeat; on SQLite every transaction is `BEGIN IMMEDIATE`, so
    worker processes wait for each other (busy timeout) instead of failing with 'database is locked'."""
    sqlite = url.startswith("sqlite")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}} if sqlite else {"pool_pre_ping": True}
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(4):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=heartbeat_interval,
                                     grace_period=grace_period, heartbeat_stale_trial_callback=_on_stale)
            break
        except (IntegrityError, OperationalError) as exc:
            # Two processes making the tables of a new database at once: the loser finds them made.
            if attempt == 3:
                raise _unusable(url, exc) from None
            time.sleep(0.2 * (attempt + 1))
        except Exception as exc:  # bad URL, missing driver, unreachable server, not an Optuna database
            raise _unusable(url, exc) from None
    if sqlite:
        from sqlalchemy import event

        @event.listens_for(storage.engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(storage.engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        storage.engine.dispose()  # connections made before the listeners are not reused
    return storage


def _describe(dim: dict[str, Any]) -> str:
    if dim.get("type") == "categorical":
        return f"categorical {tuple(dim.get('categories') or ())}"
    prior = f" {dim['prior']}" if dim.get("prior") else ""
    return f"{dim.get('type')} [{dim.get('low')}, {dim.get('high')}]{prior}"


def differences(stored: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What differs between two fingerprints, one phrase per dimension (or the direction)."""
    out = []
    if stored.get("direction") != wanted.get("direction"):
        out.append(f"direction: stored {stored.get('direction')}, now {wanted.get('direction')}")
    old = {d["name"]: d for d in stored.get("search_space", [])}
    new = {d["name"]: d for d in wanted.get("search_space", [])}
    for name in [*old, *(n for n in new if n not in old)]:
        if name not in new:
            out.append(f"{name}: only in the stored space ({_describe(old[name])})")
        elif name not in old:
            out.append(f"{name}: not in the stored space (now {_describe(new[name])})")
        elif old[name] != new[name]:
            out.append(f"{name}: stored {_describe(old[name])}, now {_describe(new[name])}")
    if not out and list(old) != list(new):
        out.append(f"order of the dimensions: stored {list(old)}, now {list(new)}")
    return out


def open_study(rec: Recommendation, storage: str | Path, name: str = "advisor", maximize: bool = False,
               resume: bool = False, *, heartbeat_interval: int = HEARTBEAT_S,
               grace_period: int | None = None) -> optuna.Study:
    """Create the study `name` in `storage` (a path or a SQLAlchemy URL), or, with `resume`, open it.

    A new study gets the fingerprint and the starting config (enqueued as trial 0), then `READY`; a
    process that opens it meanwhile waits for `READY`. An existing study is refused without `resume`,
    and always when its space or direction differs from `rec`'s."""
    if not rec.search_space:
        raise AdvisorError("the recommendation has an empty search space (1 trial in the profile's "
                           "budget?); raise budget.trials")
    url = storage_url(storage)
    store = make_storage(url, heartbeat_interval, grace_period)
    wanted = fingerprint(rec, maximize)
    direction = wanted["direction"]
    quiet = optuna.samplers.RandomSampler()
    try:
        study = optuna.create_study(storage=store, study_name=name, direction=direction, sampler=quiet)
    except DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=store, sampler=quiet)
    else:
        config = rec.model_dump(mode="json")["config"]
        study.set_user_attr(FINGERPRINT, wanted)
        study.set_user_attr(BASE_CONFIG, config)
        study.enqueue_trial({d.name: config[d.name] for d in rec.search_space}, user_attrs={STARTING: True})
        study.set_user_attr(READY, True)
        return study
    where = f"study {name!r} in {shown_url(url)}"
    deadline = time.monotonic() + READY_WAIT_S
    while not study.user_attrs.get(READY):
        if FINGERPRINT not in study.user_attrs and study.get_trials(deepcopy=False):
            raise StudyError(f"{where} was not made by `advisor tune` (no search-space fingerprint); "
                             "choose another `study_name`")
        if time.monotonic() > deadline:
            raise StudyError(f"{where} is not set up: the process creating it stopped before it was ready; "
                             "choose another `study_name`, or delete it with optuna.delete_study")
        time.sleep(0.1)
    diffs = differences(study.user_attrs.get(FINGERPRINT, {}), wanted)
    if diffs:
        raise StudyError(f"{where} belongs to another search space or direction: {'; '.join(diffs)}; "
                         "choose another `study_name` or `storage`")
    if not resume:
        done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)))
        raise StudyError(f"{where} already exists ({done} finished trials); set `resume` to continue it, "
                         "or choose another `study_name`")
    return study


def counts(trial: FrozenTrial) -> bool:
    """Whether a trial takes one of the study's `n_trials` slots (an interrupted one frees its slot; a
    pruned one keeps it: pruning saves epochs, not trials)."""
    return not trial.user_attrs.get(INTERRUPTED)


def _ranks(trials: Sequence[FrozenTrial]) -> dict[int, int]:
    """Each trial's place among the slot-taking trials before it (by number): a trial runs only while
    its place is below `n_trials`. Trial numbers are unique, so two workers never both get a last slot;
    a place can only fall (a dead worker's trial frees its slot), so a trial let in stays in."""
    place, out = 0, {}
    for t in sorted(trials, key=lambda t: t.number):
        out[t.number] = place
        place += counts(t)
    return out


def rdb(storage: Any) -> RDBStorage | None:
    """The `RDBStorage` under a study's storage (Optuna wraps it in a cache), or None."""
    backend = getattr(storage, "_backend", storage)
    return backend if isinstance(backend, RDBStorage) else None


def _owner() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _process_start(os.getpid())}


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


def _gone(owner: Any) -> bool:
    """Whether `owner` was a process on this host that no longer runs."""
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    started = owner.get("started")
    return started is not None and _process_start(pid) not in (None, started)


def fail_stale_trials(study: optuna.Study) -> None:
    """Trials whose worker is gone: FAIL, marked `interrupted = "worker died"` (set while still RUNNING,
    since Optuna refuses attrs on a finished trial), then Optuna's stale-trial callback. Gone means a
    process of this host that no longer runs, or a heartbeat older than the grace period."""
    storage = rdb(study._storage)
    if storage is None:
        return
    dead: dict[int, str] = {}
    for t in storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.RUNNING,)):
        if _gone(t.user_attrs.get(OWNER)):
            dead[t._trial_id] = f"worker died (process {t.user_attrs[OWNER]['pid']} is gone)"
    if storage.get_heartbeat_interval() is not None:
        grace = storage.grace_period or 2 * storage.heartbeat_interval
        for trial_id in storage._get_stale_trial_ids(study._study_id):
            dead.setdefault(trial_id, f"worker died (no heartbeat for more than {grace} s)")
    for trial_id, why in dead.items():
        try:
            storage.set_trial_user_attr(trial_id, INTERRUPTED, WORKER_DIED)
            storage.set_trial_user_attr(trial_id, ERROR, why)
            failed = storage.set_trial_state_values(trial_id, state=TrialState.FAIL)
        except UpdateFinishedTrialError:
            continue  # another worker failed it, or its own worker finished it just now
        callback = storage.get_heartbeat_stale_trial_callback()
        if failed and callback is not None:
            callback(study, storage.get_trial(trial_id))


def claim(study: optuna.Study, n_trials: int) -> int | None:
    """A RUNNING trial id for this worker, or None when all `n_trials` slots are taken: a WAITING trial
    in budget (the starting config) is popped (Optuna's atomic WAITING -> RUNNING); else a new trial is
    made, and handed back as WAITING if its number came out past the budget (a race with another worker)."""
    storage, sid = study._storage, study._study_id
    for _ in range(1000):
        trials = storage.get_all_trials(sid, deepcopy=False)
        ranks = _ranks(trials)
        waiting = [t for t in trials if t.state == TrialState.WAITING and ranks[t.number] < n_trials]
        if waiting:
            trial_id = None
            for t in sorted(waiting, key=lambda t: t.number):
                with contextlib.suppress(UpdateFinishedTrialError):
                    if storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING):
                        trial_id = t._trial_id
                        break
            if trial_id is None:
                continue
        elif sum(counts(t) for t in trials) >= n_trials:
            return None
        else:
            trial_id = storage.create_new_trial(sid)
        number = storage.get_trial_number_from_id(trial_id)
        if _ranks(storage.get_all_trials(sid, deepcopy=False))[number] < n_trials:
            return trial_id
        storage.set_trial_state_values(trial_id, state=TrialState.WAITING)  # past the budget: not ours
    raise StudyError(f"study {study.study_name!r}: no trial slot could be claimed (too much contention)")


class _SamplingLock:
    """One worker at a time, among this machine's processes on a study, claims a trial and stores its
    point, so each sampler sees every other running trial's point (the constant liar needs it): two GP
    fits on one history can land on one point (a corner of the space). Workers on other machines
    (a shared PostgreSQL) are not serialized by it; their samplers still see points already stored."""

    def __init__(self, url: str, study_name: str) -> None:
        key = hashlib.blake2b(f"{url}\0{study_name}".encode(), digest_size=8).hexdigest()
        self.path = Path(tempfile.gettempdir()) / f"advisor-optuna-{key}.lock"
        self._file = open(self.path, "a+b")  # noqa: SIM115 - held for the worker's life, closed in close()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): the samplers' view of stored points is all there is
            yield
            return
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)

    def close(self) -> None:
        self._file.close()


class _Heartbeat:
    """Beats for this worker's running trial from a thread, while the objective runs."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.trial: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tune-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        interval = self.storage.get_heartbeat_interval() or HEARTBEAT_S
        while not self._stop.wait(interval):
            trial = self.trial
            if trial is not None:
                with contextlib.suppress(Exception):  # a busy storage: the next beat tries again
                    self.storage.record_heartbeat(trial)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def make_sampler(kind: str, space: dict[str, Any], seed: int, n_trials: int) -> optuna.samplers.BaseSampler:
    startup = min(5, max(1, n_trials // 4))
    if kind == "gp":
        return SkoptSampler(space, seed=seed, n_initial_points=startup)
    if kind == "optuna-gp":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.GPSampler(seed=seed, n_startup_trials=startup)
    if kind == "tpe":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)
    raise AdvisorError(f"unknown sampler {kind!r}; allowed: {', '.join(SAMPLERS)}")


def _suggest(trial: optuna.Trial, name: str, dist: Any) -> Any:
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, optuna.distributions.IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, log=dist.log)


@dataclass(frozen=True)
class _Work:
    url: str
    study_name: str
    objective: str
    n_trials: int
    sampler: str
    trial_timeout: float | None
    seed: int
    heartbeat_interval: int | None
    grace_period: int | None
    pruner: str = "curve"


def _worker_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index) % (2**31 - 1)


def _tell(study: optuna.Study, trial: optuna.Trial, outcome: Outcome) -> None:
    """Store a trial's outcome: its value, its error (FAIL), or why it was pruned (PRUNED, told with its
    last reported value); a returned history becomes its intermediate values."""
    reported = set(trial.storage.get_trial(trial._trial_id).intermediate_values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in outcome.history:
            if row["step"] not in reported and math.isfinite(row["value"]):
                trial.report(float(row["value"]), row["step"])
    if outcome.pruned is not None:
        trial.set_user_attr(PRUNED_BY, outcome.pruned)
        study.tell(trial, state=TrialState.PRUNED)
    elif outcome.error is None:
        study.tell(trial, outcome.value)
    else:
        trial.set_user_attr(ERROR, outcome.error)
        study.tell(trial, state=TrialState.FAIL)


def records(study: optuna.Study) -> list[TrialRecord]:
    """Every trial of the study but the WAITING ones (slots handed back), as the advisor shows them."""
    base = dict(study.user_attrs.get(BASE_CONFIG, {}))
    return [record(t, base) for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING]


def _others_running(study: optuna.Study) -> bool:
    return any(counts(t) for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))


def run_worker(study: optuna.Study, work: _Work, index: int, on_trial: OnTrial | None = None) -> None:
    """Claim, run and tell trials until every slot is taken and no other worker still runs one (a slot
    its dead worker frees is claimed again)."""
    objective = import_callable(work.objective)
    dims = [Dimension.model_validate(d) for d in study.user_attrs[FINGERPRINT]["search_space"]]
    base = dict(study.user_attrs[BASE_CONFIG])
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    space = distributions(dims)
    sampler = make_sampler(work.sampler, space, _worker_seed(work.seed, index), work.n_trials)
    study = optuna.Study(study_name=study.study_name, storage=study._storage, sampler=sampler,
                         pruner=optuna_pruner(work.pruner, work.n_trials))
    curve = CurveRules(maximize=maximize) if work.pruner != "none" else None
    storage = study._storage
    worker = f"{socket.gethostname()}:{os.getpid()}:w{index}"
    owner = _owner()
    heartbeat = _Heartbeat(storage) if storage.get_heartbeat_interval() is not None else None
    lock = _SamplingLock(work.url, study.study_name)
    try:
        while True:
            fail_stale_trials(study)
            with lock.held():
                trial_id = claim(study, work.n_trials)
            if trial_id is None:
                if not _others_running(study):
                    return
                time.sleep(POLL_S)  # the last trials run elsewhere; a dead worker's slot comes back
                continue
            trial = optuna.Trial(study, trial_id)
            try:
                with lock.held():
                    if heartbeat is not None:
                        storage.record_heartbeat(trial_id)
                        heartbeat.trial = trial_id
                    trial.set_user_attr(WORKER, worker)
                    trial.set_user_attr(OWNER, owner)
                    params = {n: _suggest(trial, n, d) for n, d in space.items()}  # stored before the unlock
                outcome = call_objective(objective, {**base, **params}, work.trial_timeout,
                                         Reporter(trial, work.pruner, curve))
            except KeyboardInterrupt:  # the slot is freed: a resumed study runs it again
                with contextlib.suppress(Exception):
                    trial.set_user_attr(INTERRUPTED, CTRL_C)
                    trial.set_user_attr(ERROR, CTRL_C)
                    study.tell(trial, state=TrialState.FAIL)
                raise
            finally:
                if heartbeat is not None:
                    heartbeat.trial = None
            try:
                _tell(study, trial, outcome)
            except UpdateFinishedTrialError:
                log.warning("trial %d was failed as stale while it ran; its result is dropped", trial.number)
                continue
            if on_trial is not None:
                done = records(study)
                on_trial(next(r for r in done if r.id == trial.number), done)
    finally:
        lock.close()
        if heartbeat is not None:
            heartbeat.close()


def _worker_main(work: _Work, index: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(work.url, work.heartbeat_interval or HEARTBEAT_S, work.grace_period)
    study = optuna.load_study(study_name=work.study_name, storage=storage,
                              sampler=optuna.samplers.RandomSampler())
    with contextlib.suppress(KeyboardInterrupt):  # the parent reports it
        run_worker(study, work, index)


def _stop(helpers: list[Any]) -> None:
    for proc in helpers:
        if proc.is_alive() and proc.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)
    for proc in helpers:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()


def run_trials(study: optuna.Study, objective_spec: str, n_trials: int, *, sampler: str = "gp",
               pruner: str = "curve", trial_timeout: float | None = None, workers: int = 1, seed: int = 0,
               on_trial: OnTrial | None = None) -> list[FrozenTrial]:
    """Run the study until `n_trials` trials are finished (across every process sharing it); `workers`
    local processes (this one and `workers - 1` spawned) share its storage URL. `on_trial` is called
    after each trial this process finishes, with it and every trial. Returns every trial."""
    if n_trials < 1:
        raise AdvisorError(f"`trials` must be >= 1, got {n_trials}")
    if workers < 1:
        raise AdvisorError(f"`workers` must be >= 1, got {workers}")
    if sampler not in SAMPLERS:
        raise AdvisorError(f"unknown sampler {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if pruner not in PRUNERS:
        raise AdvisorError(f"unknown pruner {pruner!r}; allowed: {', '.join(PRUNERS)}")
    if FINGERPRINT not in study.user_attrs:
        raise StudyError(f"study {study.study_name!r} was not opened with open_study (no fingerprint)")
    import_callable(objective_spec)  # fail before any trial is claimed
    storage = rdb(study._storage)
    if workers > 1 and storage is None:
        raise StudyError("worker processes need an RDB storage URL they can share")
    url = storage.url if storage else ""
    beat = storage.get_heartbeat_interval() if storage else None
    grace = storage.grace_period if storage else None
    work = _Work(url, study.study_name, objective_spec, n_trials, sampler, trial_timeout, seed, beat, grace,
                 pruner)
    context = multiprocessing.get_context("spawn")
    helpers = [context.Process(target=_worker_main, args=(work, i), daemon=True) for i in range(1, workers)]
    for proc in helpers:
        proc.start()
    try:
        run_worker(study, work, 0, on_trial)
        for proc in helpers:
            proc.join()
    except KeyboardInterrupt:
        _stop(helpers)
        raise
    failed = [p.exitcode for p in helpers if p.exitcode]
    if failed:
        raise StudyError(f"{len(failed)} worker process(es) stopped with an error (exit codes {failed})")
    return study.get_trials(deepcopy=False)


def config_of(study: optuna.Study, trial: FrozenTrial) -> dict[str, Any]:
    """The full config a trial ran: the starting config with the trial's point over it."""
    return {**study.user_attrs[BASE_CONFIG], **trial.params}
