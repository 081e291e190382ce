"""`advisor rules list | show ID | check [DIR]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from advisor.cli.options import FORMAT, RULES_DIR, Format, check_rules_files, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.knowledge import check_rules, default_rules_dir
from advisor.errors import AdvisorError

app = typer.Typer(help="Inspect and check the knowledge base.", no_args_is_help=True)


@app.command("list")
def list_rules(
    topic: str | None = typer.Option(None, "--topic", help="Only rules from this file, e.g. learning_rate."),
    fmt: Format = FORMAT,
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """List the rules."""
    kb = knowledge_base(rules_dir)
    topics = sorted({r.file.removesuffix(".yaml") for r in kb.rules})
    if topic is not None and topic not in topics:
        raise AdvisorError(f"unknown topic {topic!r}; valid topics: {', '.join(topics)}")
    rules = [r for r in kb.rules if topic is None or r.file.removesuffix(".yaml") == topic]
    terminal = Terminal()
    if fmt is Format.table:
        terminal.rules(rules)
    else:
        terminal.raw(json.dumps([r.describe() for r in rules], indent=2, ensure_ascii=False) + "\n")


@app.command("show")
def show(
    rule_id: str = typer.Argument(..., help="Rule id, e.g. lr.initial.adam-family."),
    fmt: Format = FORMAT,
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """Show one rule with its full citations."""
    kb = knowledge_base(rules_dir)
    rule = kb.rule(rule_id)
    citations = []
    for sid in rule.source:
        src = kb.sources[sid]
        docs = ", ".join(f"{d} ({kb.documents.get(d, {}).get('file') or 'external'})"
                         for d in src.documents)
        citations.append(f"{sid} [{docs}] {src.section}: {src.text}")
    terminal = Terminal()
    if fmt is Format.table:
        terminal.rule(rule, citations)
    else:
        terminal.raw(json.dumps({**rule.describe(), "citations": citations}, indent=2,
                                ensure_ascii=False) + "\n")


@app.command("check")
def check(
    directory: Path | None = typer.Argument(None, help="Rules directory (default: the shipped KB)."),
) -> int:
    """Validate a rules directory: syntax, schema, facts, types, ids, sources, reachability."""
    target = directory or default_rules_dir()
    check_rules_files(target)
    kb, problems = check_rules(target)
    terminal = Terminal()
    for problem in problems:
        terminal.error(str(problem))
    if problems:
        terminal.error(f"{len(problems)} problem(s) in {target}")
        return 2
    assert kb is not None
    terminal.out.print(f"ok: {len(kb)} rules, {len(kb.sources)} citable sources in {target}")
    return 0
