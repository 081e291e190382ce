"""Remember which knowledge bases already passed the exhaustive satisfiability searches.

Checking that every condition can fire and that no two declared-exclusive rules can fire together
enumerates fact assignments: about 0.1 s for the shipped rules, paid by every cold start of the CLI.
The outcome depends only on the rule files and the fact registry, so a passed check is recorded
under a digest of both (in the user's cache directory) and skipped when the same inputs come back.
A failed check is never recorded; `advisor rules check` always runs everything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from advisor.core.facts import FACTS


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hparam-advisor" / "checked-knowledge-bases"


def digest(files: Iterable[Path]) -> str:
    """Of the rule files' names and bytes, and of every fact's name, type and values."""
    h = hashlib.sha256()
    for spec in FACTS.values():
        h.update(repr((spec.name, spec.type, spec.values, spec.derived)).encode())
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def already_checked(key: str) -> bool:
    return (_cache_dir() / key).is_file()


def record_checked(key: str) -> None:
    """Best effort: an unwritable cache only means the next load checks again."""
    try:
        folder = _cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).touch()
    except OSError:
        pass
