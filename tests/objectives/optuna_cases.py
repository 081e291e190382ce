"""Objectives for the Optuna engine's tests: quick and deterministic, each failing one way."""

import os
import time
from pathlib import Path


def as_dict(config):
    return {"value": (config["learning_rate"] - 0.05) ** 2 + config["momentum"], "note": "a dict"}


def raises(config):
    raise ValueError(f"diverged at lr {config['learning_rate']:g}")


def nan(config):
    return float("nan")


def text(config):
    return "oops"


def sleepy(config):
    time.sleep(30)
    return 1.0


def hang_then_mark(config):
    """Leaves its pid in MARK_FILE, then hangs: the test kills the process mid-trial."""
    Path(os.environ["MARK_FILE"]).write_text(str(os.getpid()))
    time.sleep(120)
    return 1.0


CALLS = 0


def machine(config):
    """A worker on a 'machine': quick (SLEEP_S per trial), and after GATE_AFTER calls in this process it
    hangs until killed. Each call leaves its process's pid in MACHINE_DIR, so the test sees who works;
    with AWAIT_DIR set, no call returns before AWAIT_N processes have left theirs there (the other machine
    has joined)."""
    global CALLS
    CALLS += 1
    folder = Path(os.environ["MACHINE_DIR"])
    folder.mkdir(exist_ok=True)
    (folder / str(os.getpid())).touch()
    if int(os.environ.get("GATE_AFTER", "1000000")) < CALLS:
        time.sleep(600)
    time.sleep(float(os.environ.get("SLEEP_S", "0.1")))
    if "AWAIT_DIR" in os.environ:
        deadline = time.monotonic() + 120
        while not Path(os.environ["AWAIT_DIR"]).is_dir() or \
                len(list(Path(os.environ["AWAIT_DIR"]).iterdir())) < int(os.environ["AWAIT_N"]):
            if time.monotonic() > deadline:
                raise TimeoutError("the other machine never joined")
            time.sleep(0.05)
    lr, batch = config["learning_rate"], config["batch_size"]
    return (lr - 0.05) ** 2 + (batch - 128) ** 2 / 1e5 + config["momentum"]
