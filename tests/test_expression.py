from __future__ import annotations

import pytest

from advisor.core.expression import ExpressionError, compile_expression
from advisor.core.facts import FACTS


def c(text: str, expect: str = "bool"):
    return compile_expression(text, FACTS, expect)


@pytest.mark.parametrize("text,facts,expected", [
    ('optimizer in ["adam", "adamax"] and not fine_tune', {"optimizer": "adam", "fine_tune": False}, True),
    ('optimizer in ["adam", "adamax"] and not fine_tune', {"optimizer": "sgd", "fine_tune": False}, False),
    ("num_samples / num_classes < 5000", {"num_samples": 40000, "num_classes": 10}, True),
    ("num_samples / num_classes < 5000", {"num_samples": 60000, "num_classes": 10}, False),
    ("max_batch_size * num_devices > 6000", {"max_batch_size": 128, "num_devices": 64}, True),
    ("1000 <= num_samples < 5000", {"num_samples": 4999}, True),
    ("1000 <= num_samples < 5000", {"num_samples": 5000}, False),
    ("batchnorm or sparse_features", {"batchnorm": False, "sparse_features": True}, True),
    ("batchnorm == false", {"batchnorm": False}, True),
    ('family not in ["rnn", "lstm"]', {"family": "mlp"}, True),
    ("-depth < -3", {"depth": 5}, True),
    ("num_samples / num_classes > 1", {"num_samples": 5, "num_classes": 0}, True),  # x/0 = inf
    ("true", {}, True),
])
def test_evaluates(text: str, facts: dict, expected: bool) -> None:
    assert c(text).evaluate(facts) is expected


@pytest.mark.parametrize("text,message", [
    ('__import__("os").system("true")', "Call is not allowed"),
    ("open", "unknown fact 'open'"),
    ("model.family", "Attribute is not allowed"),
    ("facts[0]", "Subscript is not allowed"),
    ("[x for x in range(3)]", "ListComp is not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
    ("optimzer == 'adam'", "did you mean 'optimizer'"),
    ("optimizer == 'adma'", "'adma' is not a value of fact 'optimizer'"),
    ("num_samples == 'many'", "cannot compare num == str"),
    ("optimizer < 'b'", "needs numbers"),
    ("batchnorm + 1 > 0", "arithmetic needs numbers"),
    ("num_samples", "is num, expected bool"),
    ("not num_samples", "`not` needs a bool"),
    ("num_samples % 2 > 1", "operator Mod is not allowed"),
    ("family in family", "needs a literal list"),
    ("family in ['mlp', 3]", "expected str"),
    ("batchnorm and", "syntax error"),
    ("", "non-empty"),
    ("num_samples > None", "constant None is not allowed"),
])
def test_rejected_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("[", r"\[")
                       .replace("*", r"\*")):
        c(text)


def test_facts_and_specificity() -> None:
    expr = c('optimizer in ["adam"] and not fine_tune and num_samples > 10')
    assert expr.facts == {"optimizer", "fine_tune", "num_samples"}
    assert expr.atoms == 3
    assert c("true").atoms == 0
    assert c("batchnorm").atoms == 1


def test_numeric_expression() -> None:
    expr = c("max_batch_size * num_devices", expect="num")
    assert expr.evaluate({"max_batch_size": 64, "num_devices": 8}) == 512


def test_satisfiability() -> None:
    assert c("num_samples > 10 and num_samples < 5").satisfiable(FACTS) is False
    assert c('optimizer == "adam" and optimizer == "sgd"').satisfiable(FACTS) is False
    assert c("num_samples / num_classes < 100").satisfiable(FACTS) is True
    assert c("batchnorm and not batchnorm").satisfiable(FACTS) is False


@pytest.mark.parametrize("text,expected", [
    ("num_samples * 1.5 > 1", True),            # int * float: int too large for a float
    ("num_samples + 0.5 > 1", True),
    ("0.5 - num_samples < 0", True),
    ("num_samples / 3 > 1", True),              # int / int: quotient beyond the float range
    ("(0 - num_samples) / 3 < 0", True),
    ("num_samples / 1e300 > 1", True),
    ("num_classes / num_samples >= 0", True),   # tiny, not an overflow
])
def test_arithmetic_with_integers_beyond_floats_does_not_raise(text: str, expected: bool) -> None:
    # Profiles bound their numbers (advisor.profile.model.LIMITS); the evaluator holds without them.
    assert c(text).evaluate({"num_samples": 10**4000, "num_classes": 3}) is expected
