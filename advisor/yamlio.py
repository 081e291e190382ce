"""Reading input files: YAML with fixes over PyYAML's defaults (`1e-4` is a float as in YAML 1.2, a
key given twice or an integer too long to convert is an error, errors carry the file and line), and
the boundary every input file and document passes: only regular files, read up to a size cap without
blocking (`read_text`), and no string that cannot be written back out (`document_problems`)."""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
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


    def construct_yaml_int(self, node: Any) -> Any:
        # int() refuses more than sys.get_int_max_str_digits() digits with a bare ValueError.
        digits = sum(ch.isdigit() for ch in node.value)
        if digits > _MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {digits} digits is too long (at most {_MAX_INT_DIGITS})",
                node.start_mark)
        return super().construct_yaml_int(node)


_MAX_INT_DIGITS = min(sys.get_int_max_str_digits() or 4300, 4300)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
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
    except RecursionError:
        raise InputFileError(f"{filename}: invalid YAML: nested too deeply") from None


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
    except RecursionError:
        raise InputFileError(f"{filename}: invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    lines = [item.start_mark.line + 1 for item in node.value] if isinstance(data, list) else []
    return data, lines


def dump_yaml(data: Any) -> str:
    """Block-style YAML with keys in the order given (stable, diff-friendly)."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


# ---- The file boundary ------------------------------------------------------------------------
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB".replace(".0 ", " ") if n >= 2**20 else f"{n:,} bytes"


def check_regular_file(path: Path, limit: int, what: str) -> int:
    """The size of `path` (symlinks followed) when it is a regular file of at most `limit` bytes;
    else InputFileError. Stat only: a FIFO or a device is refused before anything opens it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: cannot read the {what}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    return _regular(path, st, limit, what)


def _regular(path: Path, st: os.stat_result, limit: int, what: str) -> int:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise InputFileError(f"{path}: cannot read the {what}: it is {kind}, not a regular file")
    if st.st_size > limit:
        raise InputFileError(f"{path}: the {what} is {_size(st.st_size)}, over the {_size(limit)} limit")
    return st.st_size


def read_text(path: str | Path, limit: int, what: str, encoding: str = "utf-8") -> str:
    """A regular file's text, at most `limit` bytes; every failure is one InputFileError naming the
    file. Checked by stat before opening, opened non-blocking (a FIFO swapped in meanwhile cannot
    hang it), checked again on the open descriptor, and never read past `limit` + 1 bytes (a file
    that grows, or lies about its size, still stops there)."""
    path = Path(path)
    check_regular_file(path, limit, what)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(f"{path}: cannot read the {what}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    try:
        _regular(path, os.fstat(fd), limit, what)
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise InputFileError(f"{path}: the {what} is over the {_size(limit)} limit")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: cannot read the {what}: not UTF-8 text "
                             f"(byte {exc.start}: {exc.reason})") from None


def load_document(path: str | Path, limit: int, what: str) -> Any:
    """A YAML or JSON file (by its suffix) read within `limit` bytes; JSON with YAML's rules."""
    path = Path(path)
    text = read_text(path, limit, what)
    if path.suffix.lower() == ".json":
        return load_json_text(text, str(path))
    return load_yaml(text, str(path))


def load_json_text(text: str, filename: str) -> Any:
    """advisor.jsonio.load_json: duplicate keys, huge integers and deep nesting are input errors."""
    from advisor.jsonio import load_json

    return load_json(text, filename)


# ---- The document boundary --------------------------------------------------------------------
MAX_DEPTH = 32
MAX_PROBLEMS = 20


def shown(value: Any, width: int = 60) -> str:
    """A value as an error message shows it: repr (which escapes what cannot be encoded), cut to
    `width`; an integer too long for repr (or to read) by its number of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        try:
            return f"an integer of {len(str(abs(value)))} digits"
        except ValueError:  # over sys.get_int_max_str_digits()
            return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def unencodable(text: str) -> str | None:
    """Why `text` cannot be written as UTF-8 (a lone surrogate, from a JSON escape such as
    "\\ud800" or a Python caller), or None when it can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"not valid text: {shown(text[exc.start])} at character {exc.start} cannot be "
                "written as UTF-8 (a lone UTF-16 surrogate)")
    return None


def key_text(key: Any) -> str | int:
    """A mapping key as a location part: ints kept, text made printable (escapes, never a surrogate)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    text = key if isinstance(key, str) else repr(key)
    return text if unencodable(text) is None else text.encode("utf-8", "backslashreplace").decode()


def document_problems(data: Any, max_keys: int | None = None, max_depth: int = MAX_DEPTH,
                      max_int: int | None = None) -> list[tuple[tuple[str | int, ...], str]]:
    """What a decoded document (mappings, lists, scalars) holds that no input may, as (location,
    message), at most MAX_PROBLEMS: text that cannot be encoded, in keys or values; nesting deeper
    than `max_depth`; a mapping of more than `max_keys` keys; an integer beyond +-`max_int`.
    Iterative, and each value is looked at once: a hostile document costs its size, no more."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for loc, problem in _walk(data, max_keys, max_depth, max_int):
        out.append((loc, problem))
        if len(out) >= MAX_PROBLEMS:
            break
    return out


def _walk(data: Any, max_keys: int | None, max_depth: int,
          max_int: int | None) -> Iterator[tuple[tuple[str | int, ...], str]]:
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            why = unencodable(value)
            if why:
                yield loc, why
        elif isinstance(value, int) and not isinstance(value, bool):
            if max_int is not None and abs(value) > max_int:
                yield loc, f"{shown(value)} is out of range (at most {max_int:.0e} in size)"
        elif isinstance(value, dict | list | tuple):
            if len(loc) >= max_depth:
                yield loc, f"nested deeper than {max_depth} levels"
                continue
            if isinstance(value, dict):
                if max_keys is not None and len(value) > max_keys:
                    yield loc, f"{len(value):,} keys; at most {max_keys} are allowed here"
                    continue
                children: list[tuple[tuple[str | int, ...], Any]] = []
                for key, item in value.items():
                    if isinstance(key, str) and (why := unencodable(key)):
                        yield (*loc, key_text(key)), f"the key is {why}"
                        continue
                    children.append(((*loc, key_text(key)), item))
            else:
                children = [((*loc, i), item) for i, item in enumerate(value)]
            stack.extend(reversed(children))
