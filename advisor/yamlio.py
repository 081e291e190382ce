"""YAML reading with two fixes over PyYAML's defaults: `1e-4` is a float (YAML 1.2), and errors
carry the file and line."""

from __future__ import annotations

import re
from typing import Any

import yaml

from advisor.errors import InputFileError

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.1 (PyYAML) needs a dot in a float, so `1e-4` would load as the string "1e-4"; this
# resolver follows YAML 1.2 and reads it as the number people meant.
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        # PyYAML keeps the last of two equal keys silently; a rule with two `when:` is a bug.
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for key, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _error(exc: yaml.YAMLError, filename: str) -> InputFileError:
    mark = getattr(exc, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return InputFileError(f"{filename}{line}: invalid YAML: {problem}")


def load_yaml(text: str, filename: str = "<string>") -> Any:
    """Parse one YAML document."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _error(exc, filename) from None


def load_yaml_items(text: str, filename: str) -> tuple[Any, list[int]]:
    """Parse a document; when it is a sequence, also return each item's 1-based start line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _error(exc, filename) from None
    finally:
        loader.dispose()
    lines = [item.start_mark.line + 1 for item in node.value] if isinstance(data, list) else []
    return data, lines


def dump_yaml(data: Any) -> str:
    """Block-style YAML with keys in the order given (stable, diff-friendly)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
