"""`advisor explain PARAMETER --profile FILE`: which rules set it, why, from which source."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from advisor.cli.options import FORMAT, RULES_DIR, Format, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.params import PARAMS
from advisor.core.recommendation import recommend
from advisor.errors import UnknownParameterError
from advisor.evidence.files import load_probe_results
from advisor.profile.model import load_profile


def command(
    parameter: str = typer.Argument(..., help="A canonical hyperparameter name."),
    profile: Path = typer.Option(..., "--profile", "-p", help="Profile file.", dir_okay=False),
    fmt: Format = FORMAT,
    rules_dir: Path | None = RULES_DIR,
    probe_files: list[Path] = typer.Option(
        [], "--probes", dir_okay=False,
        help="Saved probe results, as for `advisor recommend --probes` (the same answer as there)."),
) -> None:
    """Explain how PARAMETER was decided for a profile."""
    if parameter not in PARAMS:
        raise UnknownParameterError(parameter, list(PARAMS))
    measured = load_probe_results(probe_files) if probe_files else None
    rec = recommend(load_profile(profile), measured, kb=knowledge_base(rules_dir))
    terminal = Terminal()
    if fmt is Format.table:
        terminal.explanation(parameter, rec)
        return
    data = rec.to_dict()
    payload = {
        "parameter": parameter,
        "value": data["config"].get(parameter),
        "search": next((d for d in data["search_space"] if d["name"] == parameter), None),
        "explanations": data["explanations"].get(parameter, []),
    }
    terminal.raw(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
