"""`advisor tune` across machines on a real PostgreSQL server that the suite starts itself
(tests/pg_server.py): two `advisor tune --workers 2` processes, each in its own working directory, join
one study by URL; one of them is killed with SIGKILL (its whole process group, as a machine that dies)
while both its workers are inside a trial. Where the sandbox allows it, the killed process runs in a
UTS namespace of its own with another host name, so the survivor can only tell that it died from its
silent heartbeat, as across real machines.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import optuna
from optuna.trial import TrialState

from advisor import load_profile, recommend

from .conftest import ROOT
from .pg_server import postgres_url, wait_for  # noqa: F401

PROFILE = ROOT / "tests" / "profiles" / "vision-auto-optimizer.yaml"  # lr (log) + batch + momentum
CASES = ROOT / "tests" / "objectives" / "optuna_cases.py"
N_TRIALS = 16

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _other_host_prefix() -> list[str]:
    """`unshare --uts` with a host name of its own, where this sandbox allows it; else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "--uts", "sh", "-c", "hostname machine-b"], capture_output=True)
    if probe.returncode != 0:
        return []
    return [unshare, "--uts", "sh", "-c", 'hostname machine-b && exec "$0" "$@"']


def _trials(storage: optuna.storages.RDBStorage, name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)




def test_two_machines_on_postgres_one_killed_mid_trial(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    name = f"machines-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{CASES}:machine",
           "--trials", str(N_TRIALS), "--storage", postgres_url, "--study-name", name, "--workers", "2",
           "--heartbeat", "1"]
    a, b = tmp_path / "machine-a", tmp_path / "machine-b"
    a.mkdir()
    b.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLEEP_S": "0.3"}
    survivor = subprocess.Popen(cmd, cwd=a, env={**env, "MACHINE_DIR": str(a / "pids"),
                                                 "AWAIT_DIR": str(b / "pids"), "AWAIT_N": "2"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: (a / "pids").is_dir(), "the first machine to start a trial")  # the study exists
    other_host = _other_host_prefix()
    reader = optuna.storages.RDBStorage(postgres_url)  # one pool for every poll: one per poll runs out
    doomed = subprocess.Popen([*other_host, *cmd, "--resume"], cwd=b, start_new_session=True,
                              env={**env, "MACHINE_DIR": str(b / "pids"), "GATE_AFTER": "2"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    def ran_on_b(trial: optuna.trial.FrozenTrial) -> bool:
        return (b / "pids" / str(trial.user_attrs.get("advisor:owner", {}).get("pid"))).exists()

    try:
        def doomed_hangs() -> list | None:
            trials = _trials(reader, name)
            on_b = [t for t in trials if ran_on_b(t)]
            done = [t for t in on_b if t.state == TrialState.COMPLETE]
            running = [t for t in on_b if t.state == TrialState.RUNNING]
            return trials if len(done) >= 4 and len(running) == 2 else None

        before = wait_for(doomed_hangs, "both workers of machine B to finish 2 trials and hang", 120)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies: both of its worker processes
        doomed.wait()
    finished_before = {t.number: t.params for t in before if t.state == TrialState.COMPLETE}
    killed = [t.number for t in before if t.state == TrialState.RUNNING and ran_on_b(t)]
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    trials = _trials(reader, name)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == N_TRIALS  # the killed trials' slots were run again
    for number, params in finished_before.items():  # every trial finished before the kill, unchanged
        assert [t.params for t in trials if t.number == number] == [params]
    names = [d.name for d in recommend(load_profile(PROFILE)).search_space]
    points = [json.dumps([t.params[n] for n in names]) for t in complete]
    assert len(set(points)) == N_TRIALS  # no config ran twice, across machines
    assert sum("advisor:starting_config" in t.user_attrs for t in complete) == 1
    dead = {t.number: t for t in trials if t.state == TrialState.FAIL}
    assert sorted(dead) == sorted(killed) and len(killed) == 2
    why = "no heartbeat for more than 2 s" if other_host else "is gone"
    for t in dead.values():
        assert t.user_attrs["interrupted"] == "worker died" and why in t.user_attrs["error"], t.user_attrs
    assert len({t.user_attrs["advisor:worker"] for t in complete}) == 4  # 2 machines x 2 workers took part
    assert (a / "out" / "best_config.yaml").is_file()  # each machine writes in its own working directory
    assert not (b / "out").exists()
    reader.engine.dispose()
    assert f"{N_TRIALS + 2} trials of study '{name}' in " in out  # 16 complete, the 2 interrupted
