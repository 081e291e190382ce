"""Toy objectives for the tune tests: quick, deterministic, with ways to fail."""

import math
import os
import time


def quadratic(config):
    time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
    return (math.log10(config["learning_rate"]) + 2.5) ** 2 + (config["batch_size"] - 128) ** 2 / 1e5


def flaky(config):
    lr = config["learning_rate"]
    if lr > 3e-3:
        raise ValueError("diverged")
    if lr < 3e-4:
        return float("nan")
    if 5e-4 < lr < 6e-4:
        return "oops"
    return quadratic(config)


def sleepy(config):
    time.sleep(5)
    return 1.0
