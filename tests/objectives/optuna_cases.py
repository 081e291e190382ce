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
