from __future__ import annotations

import math

import pytest

from advisor.tuning.objective_call import Outcome, Pruned, call_objective, takes_report


def test_a_value_or_the_error_that_fails_the_trial() -> None:
    assert call_objective(lambda c: c["x"] * 2, {"x": 1.5}, None) == Outcome(3.0)
    assert call_objective(lambda c: {"value": 0.25, "epochs": 3}, {}, None) == Outcome(0.25)
    assert "without 'value'" in call_objective(lambda c: {"loss": 1}, {}, None).error
    assert call_objective(lambda c: math.nan, {}, None) == Outcome(error="objective returned nan")
    assert "expected a number" in call_objective(lambda c: True, {}, None).error
    outcome = call_objective(lambda c: 1 / 0, {}, None)
    assert outcome.value is None
    assert outcome.error.startswith("ZeroDivisionError: division by zero (at test_objective_call.py:")


def test_the_timeout_stops_a_slow_objective() -> None:
    def slow(config: dict) -> float:
        while True:
            pass

    assert call_objective(slow, {}, 0.05) == Outcome(error="timed out after 0.05 s")


def test_report_is_passed_only_to_an_objective_that_takes_it() -> None:
    seen: list[tuple] = []

    def report(step: int, value: float, **metrics: float) -> None:
        seen.append((step, value, metrics))

    def with_report(config: dict, report) -> float:
        report(0, 2.0, train_loss=1.0)
        return 1.0

    def by_keyword(config: dict, *, report=None) -> float:
        report(3, 0.5)
        return 0.5

    assert call_objective(with_report, {}, None, report) == Outcome(1.0)
    assert call_objective(by_keyword, {}, None, report) == Outcome(0.5)
    assert call_objective(lambda c: 7.0, {}, None, report) == Outcome(7.0)  # config only: no report
    assert seen == [(0, 2.0, {"train_loss": 1.0}), (3, 0.5, {})]
    assert not takes_report(lambda c: 1.0) and takes_report(lambda c, r: 1.0)


def test_pruned_is_an_outcome_not_an_error() -> None:
    def stopped(config: dict, report) -> float:
        raise Pruned({"pruner": "median", "step": 4})

    assert call_objective(stopped, {}, None, lambda *a, **k: None) == Outcome(
        pruned={"pruner": "median", "step": 4})


@pytest.mark.parametrize(("history", "rows", "error"), [
    ([3.0, 2.0], [{"value": 3.0, "step": 0}, {"value": 2.0, "step": 1}], None),
    ([{"step": 5, "value": 1.0, "train_loss": 0.5}], [{"step": 5, "value": 1.0, "train_loss": 0.5}], None),
    ("curve", [], "a 'history' that is not a list (str)"),
    ([1.0, "x"], [], "whose item 1 is not a number or {step, value}"),
])
def test_a_returned_history(history, rows, error: str | None) -> None:
    outcome = call_objective(lambda c: {"value": 1.0, "history": history}, {}, None)
    assert outcome.history == rows
    assert (outcome.error is None) if error is None else (error in outcome.error)
