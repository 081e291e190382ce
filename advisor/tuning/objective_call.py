"""Calling the user's objective once: its value, or the error that makes the trial failed. Shared by
the tuning engines so an exception, NaN, a non-number or a timeout reads the same everywhere."""

from __future__ import annotations

import math
import signal
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


class TrialTimeout(Exception):
    pass


def call_objective(objective: Callable[[dict[str, Any]], Any], config: dict[str, Any],
                   timeout: float | None) -> tuple[float | None, str | None]:
    """(value, None) or (None, error). The objective returns a number or a dict with "value"; the
    timeout is a SIGALRM, so it applies on the main thread only."""
    use_alarm = timeout is not None and threading.current_thread() is threading.main_thread()

    def on_alarm(signum: int, frame: Any) -> None:
        raise TrialTimeout

    if use_alarm:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = objective(dict(config))
    except TrialTimeout:
        return None, f"timed out after {timeout:g} s"
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return None, f"{type(exc).__name__}: {exc} (at {Path(tb.filename).name}:{tb.lineno})"
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if isinstance(result, dict):
        if "value" not in result:
            return None, f"objective returned a dict without 'value' (keys: {sorted(map(str, result))})"
        result = result["value"]
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None, f"objective returned {result!r} ({type(result).__name__}), expected a number"
    if not math.isfinite(result):
        return None, f"objective returned {result}"
    return float(result), None
