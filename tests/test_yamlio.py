from __future__ import annotations

import pytest

from advisor import InputFileError
from advisor.yamlio import dump_yaml, load_yaml, load_yaml_items


@pytest.mark.parametrize("text,value", [
    ("1e-4", 1e-4), ("1.0e-4", 1e-4), ("-3E2", -300.0), (".5", 0.5), ("3", 3), ("1_000", 1000),
    ("x1e3", "x1e3"), ("'1e-4'", "1e-4"), (".inf", float("inf")),
])
def test_scientific_notation_without_a_dot_is_a_float(text: str, value: object) -> None:
    loaded = load_yaml(f"v: {text}")["v"]
    assert loaded == value and type(loaded) is type(value)


def test_items_carry_their_start_lines() -> None:
    data, lines = load_yaml_items("# c\n- a: 1\n\n- b: 2\n  c: 3\n- d\n", "f.yaml")
    assert data == [{"a": 1}, {"b": 2, "c": 3}, "d"]
    assert lines == [2, 4, 6]


def test_syntax_errors_carry_file_and_line() -> None:
    with pytest.raises(InputFileError, match=r"^f\.yaml:3: invalid YAML: found character"):
        load_yaml_items("a: 1\nb: 2\nc: @x\n", "f.yaml")


def test_duplicate_keys_are_errors() -> None:
    message = r"f\.yaml:3: invalid YAML: duplicate key 'when' \(first on line 2\)"
    with pytest.raises(InputFileError, match=message):
        load_yaml_items("- id: a.b\n  when: 'true'\n  when: 'false'\n", "f.yaml")


def test_dump_keeps_key_order() -> None:
    assert dump_yaml({"b": 1, "a": 2}).splitlines() == ["b: 1", "a: 2"]
