from __future__ import annotations

import pytest

from advisor.errors import InputFileError
from advisor.jsonio import DuplicateKeyError, load_json, loads_strict


def test_a_key_given_twice_is_refused_at_any_depth() -> None:
    assert loads_strict('{"a": {"b": 1}, "c": [{"d": 2}]}') == {"a": {"b": 1}, "c": [{"d": 2}]}
    with pytest.raises(DuplicateKeyError, match="'b'"):
        loads_strict('{"a": {"b": 1, "b": 2}}')
    with pytest.raises(InputFileError, match=r"p\.json: invalid JSON: duplicate key 'task'"):
        load_json('{"task": "classification", "task": "regression"}', "p.json")


def test_syntax_errors_name_the_file_and_line() -> None:
    with pytest.raises(InputFileError, match=r"p\.json:2: invalid JSON"):
        load_json('{"a": 1,\n}', "p.json")


def test_huge_integers_and_deep_nesting_are_value_errors_not_crashes() -> None:
    with pytest.raises(ValueError):
        loads_strict("1" * 5000)
    with pytest.raises(ValueError, match="nested too deeply"):
        loads_strict("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputFileError, match=r"p\.json: invalid JSON"):
        load_json('{"n": ' + "9" * 5000 + "}", "p.json")
