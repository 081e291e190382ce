from __future__ import annotations

import math

from advisor.tuning.objective_call import call_objective


def test_a_value_or_the_error_that_fails_the_trial() -> None:
    assert call_objective(lambda c: c["x"] * 2, {"x": 1.5}, None) == (3.0, None)
    assert call_objective(lambda c: {"value": 0.25, "epochs": 3}, {}, None) == (0.25, None)
    assert "without 'value'" in call_objective(lambda c: {"loss": 1}, {}, None)[1]
    assert call_objective(lambda c: math.nan, {}, None) == (None, "objective returned nan")
    assert "expected a number" in call_objective(lambda c: True, {}, None)[1]
    value, error = call_objective(lambda c: 1 / 0, {}, None)
    assert value is None
    assert error.startswith("ZeroDivisionError: division by zero (at test_objective_call.py:")


def test_the_timeout_stops_a_slow_objective() -> None:
    def slow(config: dict) -> float:
        while True:
            pass

    assert call_objective(slow, {}, 0.05) == (None, "timed out after 0.05 s")
