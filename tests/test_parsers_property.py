"""Property tests of the profile and history parsers: whatever the document holds (huge integers,
NaN/inf, lone surrogates, deep nesting, long strings), the answer is a valid object or the library's
own error - never another exception."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from advisor import InputFileError, ProfileError, parse_profile
from advisor.errors import HistoryError
from advisor.evidence.history import parse_history_json, parse_history_text
from advisor.profile.model import LIMITS

from .conftest import base_profile

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OURS = (ProfileError, HistoryError, InputFileError)

text = st.text(st.characters(codec=None), max_size=30) | st.sampled_from(
    ["\ud800", "a\udfffb", "x" * 5000, "", "adamw", "text", "NaN", "1e400"])
numbers = (st.integers(min_value=-(10**4000), max_value=10**4000) | st.sampled_from([10**4000, -(10**300)])
           | st.floats(allow_nan=True, allow_infinity=True) | st.booleans())
scalars = st.none() | numbers | text
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(text, inner, max_size=4), max_leaves=30)


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return raw


@SETTINGS
@given(path=st.sampled_from([*LIMITS, "name", "task", "optimizer", "data.modality", "model.family",
                             "data", "model", "budget", "extra", "data.extra", "\ud800"]),
       value=documents | st.integers(0, 200).map(_nested))
def test_profile_parser_gives_a_profile_or_a_profile_error(path: str, value: Any) -> None:
    try:
        profile = parse_profile(_set(base_profile(), path, value))
    except ProfileError as exc:
        str(exc).encode("utf-8")  # the message can always be written
        assert len(exc.problems) <= 21
        return
    json.dumps(profile.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    for name, limit in LIMITS.items():
        node: Any = profile
        for part in name.split("."):
            node = getattr(node, part, None)
        assert node is None or (math.isfinite(node) and node <= limit)


@SETTINGS
@given(document=documents)
def test_any_document_as_a_profile(document: Any) -> None:
    try:
        parse_profile(document)
    except ProfileError as exc:
        str(exc).encode("utf-8")


rows = st.lists(st.dictionaries(st.sampled_from(["epoch", "step", "loss", "val_loss", "lr", "acc", "\ud800",
                                                 "x" * 300]) | text, scalars, max_size=5), max_size=8)


@SETTINGS
@given(data=rows | st.dictionaries(text, st.lists(scalars, max_size=5), max_size=4)
       | st.fixed_dictionaries({"log_history": st.lists(st.dictionaries(
           st.sampled_from(["loss", "eval_loss", "step", "epoch", "learning_rate"]), numbers), max_size=6)})
       | documents)
def test_history_parser_gives_a_history_or_a_history_error(data: Any) -> None:
    try:
        history = parse_history_json(data)
    except OURS as exc:
        str(exc).encode("utf-8")
        return
    json.dumps(history.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    assert history.columns and len(history.x) == len(next(iter(history.columns.values())))


@SETTINGS
@given(cells=st.lists(st.lists(text | numbers.map(str), min_size=1, max_size=4), min_size=1, max_size=6),
       header=st.lists(st.sampled_from(["epoch", "loss", "val_loss", "step", "lr"]) | text, min_size=1,
                       max_size=4))
def test_csv_history_text(cells: list[list[str]], header: list[str]) -> None:
    body = "\n".join(",".join(row) for row in [header, *cells])
    try:
        parse_history_text(body, "h.csv")
    except OURS as exc:
        str(exc).encode("utf-8")
