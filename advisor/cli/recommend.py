"""`advisor recommend PROFILE`: the starting config, search space and advice."""

from __future__ import annotations

from pathlib import Path

import typer

from ..output import write_outputs
from ..profile import load_profile
from ..recommendation import recommend
from ..yamlio import dump_yaml
from .options import FORMAT, RULES_DIR, Format, knowledge_base
from .terminal import Terminal


def command(
    profile: Path = typer.Argument(..., help="Profile file (YAML or JSON).", dir_okay=False),
    fmt: Format = FORMAT,
    out: Path | None = typer.Option(
        None, "--out", "-o", file_okay=False,
        help="Write config.yaml, search_space.yaml and recommendation.json into this directory.",
    ),
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """Recommend a starting config and a search space for PROFILE."""
    terminal = Terminal()
    prof = load_profile(profile)
    rec = recommend(prof, kb=knowledge_base(rules_dir))
    if fmt is Format.json:
        terminal.raw(rec.to_json())
    elif fmt is Format.yaml:
        terminal.raw(dump_yaml(rec.to_dict()))
    else:
        terminal.recommendation(rec, prof.name or profile.stem)
    if out is not None:
        written = write_outputs(rec, out)
        terminal.note("wrote " + ", ".join(str(p) for p in written))
