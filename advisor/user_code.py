"""Import a callable from `package.module:function` or `path/to/file.py:function`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from advisor.errors import ImportSpecError


def import_callable(spec: str, what: str = "objective") -> Any:
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise ImportSpecError(f"{what} {spec!r}: expected 'package.module:function' or 'file.py:function'")
    try:
        if module_part.endswith(".py"):
            path = Path(module_part)
            if not path.is_file():
                raise ImportSpecError(f"{what} {spec!r}: no such file {path}")
            name = f"_advisor_{what}_{path.stem}"
            loader_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(loader_spec)  # type: ignore[arg-type]
            sys.modules[name] = module
            loader_spec.loader.exec_module(module)  # type: ignore[union-attr]
        else:
            module = importlib.import_module(module_part)
    except ImportSpecError:
        raise
    except Exception as exc:
        raise ImportSpecError(f"{what} {spec!r}: importing {module_part} failed: "
                              f"{type(exc).__name__}: {exc}") from exc
    found = getattr(module, attr, None)
    if found is None:
        raise ImportSpecError(f"{what} {spec!r}: {module_part} has no attribute {attr!r}")
    if not callable(found):
        raise ImportSpecError(f"{what} {spec!r} is not callable")
    return found
