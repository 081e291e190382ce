"""Options shared by several commands, and the helpers that read their values."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from advisor.core.knowledge import KnowledgeBase, default_knowledge_base, load_knowledge_base
from advisor.yamlio import check_regular_file

# A rules file is trusted, but still read only when it is a regular file of at most this size (a
# symlink to /dev/zero or a FIFO among them would otherwise hang the loader).
MAX_RULES_FILE_BYTES = 4 * 1024 * 1024


class Format(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


FORMAT = typer.Option(Format.table, "--format", "-f", help="Output format.")
RULES_DIR = typer.Option(
    None, "--rules", help="A rules directory to use instead of the shipped knowledge base.",
    exists=True, file_okay=False,
)


def knowledge_base(rules_dir: Path | None) -> KnowledgeBase:
    if not rules_dir:
        return default_knowledge_base()
    check_rules_files(rules_dir)
    return load_knowledge_base(rules_dir)


def check_rules_files(rules_dir: Path) -> None:
    """Every file the knowledge-base loader reads from `rules_dir` is a regular file within the cap."""
    for path in sorted(rules_dir.glob("*.yaml")):
        check_regular_file(path, MAX_RULES_FILE_BYTES, "rules file")
