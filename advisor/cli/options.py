"""Options shared by several commands, and the helpers that read their values."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from advisor.core.knowledge import KnowledgeBase, default_knowledge_base, load_knowledge_base


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
    return load_knowledge_base(rules_dir) if rules_dir else default_knowledge_base()
