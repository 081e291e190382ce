"""What a cold start need not redo for a rules directory it has seen: the exhaustive satisfiability
searches it passed, and the parsing of its YAML.

Checking that every condition can fire and that no two declared-exclusive rules can fire together
enumerates fact assignments: about 0.1 s for the shipped rules, paid by every cold start of the CLI.
The outcome depends only on the rule files and the fact registry, so a passed check is recorded
under a digest of both (in the user's cache directory) and skipped when the same inputs come back.
A failed check is never recorded; `advisor rules check` always runs everything.

Parsing the files' YAML costs about as much again, so the record holds the parsed files too (plain
dicts, lists, strings and numbers, in `marshal` form: read back in a millisecond). The digest covers
the YAML reader's source as well, so a changed reader never sees data parsed by the old one.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from advisor.core.facts import FACTS


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hparam-advisor" / "checked-knowledge-bases"


@cache
def _reader_version() -> bytes:
    import advisor.yamlio as yamlio

    return Path(yamlio.__file__).read_bytes() + repr((sys.version_info[:2], marshal.version)).encode()


def digest(files: Iterable[Path]) -> str:
    """Of the rule files' names and bytes, every fact's name, type and values, and the YAML reader."""
    h = hashlib.sha256(_reader_version())
    for spec in FACTS.values():
        h.update(repr((spec.name, spec.type, spec.values, spec.derived)).encode())
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def already_checked(key: str) -> bool:
    return (_cache_dir() / key).is_file()


def parsed_files(key: str) -> dict[str, Any]:
    """The parsed files recorded with a passed check: file name -> what the YAML reader returned."""
    try:
        data = marshal.loads((_cache_dir() / key).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def record_checked(key: str, parsed: dict[str, Any] | None = None) -> None:
    """Best effort: an unwritable cache only means the next load parses and checks again."""
    try:
        blob = marshal.dumps(parsed or {})
    except ValueError:  # something marshal cannot hold (a YAML timestamp): record the check alone
        blob = marshal.dumps({})
    try:
        folder = _cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, folder / key)  # a reader sees the whole record or none
    except OSError:
        pass
