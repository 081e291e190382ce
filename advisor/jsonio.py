"""Reading JSON with the rule YAML reading has (advisor.yamlio): a key given twice in one object is
an error naming the key, never "last one wins". Used for JSON files and HTTP bodies alike."""

from __future__ import annotations

import json
import sys
from typing import Any

from advisor.errors import InputFileError


class DuplicateKeyError(ValueError):
    """A JSON object with the same key twice."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(f"duplicate key {key!r}")
        out[key] = value
    return out


def loads_strict(text: str | bytes) -> Any:
    """json.loads, refusing duplicate keys (DuplicateKeyError). Every refusal is a ValueError:
    json's syntax errors, integers over Python's digit limit, and nesting too deep to parse."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # int() refusing a number past the digit limit
            raise ValueError(f"an integer of more than {sys.get_int_max_str_digits()} digits") from None
        raise


def load_json(text: str, filename: str = "<string>") -> Any:
    """A JSON document from a file's text; errors name the file (and the line for syntax errors)."""
    try:
        return loads_strict(text)
    except DuplicateKeyError as exc:
        raise InputFileError(f"{filename}: invalid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{filename}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:  # an integer over the digit limit, nesting too deep
        raise InputFileError(f"{filename}: invalid JSON: {exc}") from None
