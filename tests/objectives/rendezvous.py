"""A quick, deterministic objective that makes workers overlap whatever the machine's load: every call
waits until RENDEZVOUS_N processes have started a trial (each leaves its pid in RENDEZVOUS_DIR), so the
first trials of all of them run at the same time."""

import math
import os
import time
from pathlib import Path


def objective(config):
    folder = Path(os.environ["RENDEZVOUS_DIR"])
    folder.mkdir(exist_ok=True)
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 120
    while len(list(folder.iterdir())) < int(os.environ["RENDEZVOUS_N"]):
        if time.monotonic() > deadline:
            raise TimeoutError("the other workers never started a trial")
        time.sleep(0.01)
    return (math.log10(config["learning_rate"]) + 2.5) ** 2 + (config["batch_size"] - 128) ** 2 / 1e5
