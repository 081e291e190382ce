"""The one JSON format of every response the API writes: success, problem+json, jobs, rules, health.

    json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")

Compact (no spaces, no trailing newline), UTF-8 with non-ASCII characters as themselves (no `\\u`
escapes), keys in the order the value has them, and no NaN or Infinity: JSON has none, so
non-finite floats are written as null (as pydantic's JSON mode and the output contract do). This is
Starlette's JSONResponse format, so /openapi.json follows it too. FastAPI's pydantic fast path
(`dump_json`, which writes floats differently: `1e-5` for Python's `1e-05`) is not used: the app's
default response class is `JSONBody`.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from advisor.core.explanation import finite_or_none

PROBLEM_JSON = "application/problem+json"


def encode_json(value: Any) -> bytes:
    """`value` in the API's one JSON format (see the module docstring)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a NaN or an infinity somewhere: rare, so only then walk the value
        text = json.dumps(finite_or_none(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed from a request: JSON's \u escape is valid
        return json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":")).encode("ascii")


class JSONBody(JSONResponse):
    """A JSON response in the one format; `media_type=PROBLEM_JSON` for errors."""

    def render(self, content: Any) -> bytes:
        return encode_json(content)
