"""`advisor diagnose HISTORY`: ranked verdicts on a training run, each with its next steps."""

from __future__ import annotations

from pathlib import Path

import typer

from advisor.cli.options import FORMAT, RULES_DIR, Format, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.diagnosis import diagnose
from advisor.errors import InputFileError
from advisor.evidence.files import load_result
from advisor.evidence.history import ALIASES, load_history
from advisor.evidence.results import DataScalingResult, SanityResult
from advisor.profile.model import load_profile
from advisor.yamlio import dump_yaml

_COLUMNS_HELP = "; ".join(f"{name}: {', '.join(names)}" for name, names in ALIASES.items())


def command(
    history: Path | None = typer.Argument(
        None,
        dir_okay=False,
        help="Per-epoch history: CSV/TSV (plain, Lightning CSVLogger), Keras History JSON, "
        f"HF trainer_state.json. Columns (case-insensitive): epoch or step; {_COLUMNS_HELP}.",
    ),
    profile: Path | None = typer.Option(
        None, "--profile", "-P", dir_okay=False, help="The run's profile: more specific next steps."
    ),
    sanity: Path | None = typer.Option(
        None, "--sanity", dir_okay=False, help="JSON from `advisor probe sanity -f json`."
    ),
    scaling: Path | None = typer.Option(
        None, "--scaling", dir_okay=False, help="JSON from `advisor probe data-scaling -f json`."
    ),
    fmt: Format = FORMAT,
    rules_dir: Path | None = RULES_DIR,
    plot: Path | None = typer.Option(
        None, "--plot", dir_okay=False, help="Write a PNG of the curves with the verdicts (needs matplotlib)."
    ),
) -> None:
    """Diagnose a training run: diverged, LR too high/low, under/overfitting, plateau, ..."""
    if history is None and sanity is None and scaling is None:
        raise InputFileError("give a history file, or --sanity / --scaling results to diagnose")
    kb = knowledge_base(rules_dir)
    parsed = load_history(history) if history else None
    if plot is not None and parsed is None:
        raise InputFileError("--plot draws a history: give a history file")
    result = diagnose(
        parsed,
        profile=load_profile(profile) if profile else None,
        sanity=load_result(sanity, SanityResult) if sanity else None,
        scaling=load_result(scaling, DataScalingResult) if scaling else None,
        kb=kb,
    )
    terminal = Terminal()
    if plot is not None and parsed is not None:
        from advisor_probes.plots import plot_history

        terminal.note(f"wrote {plot_history(parsed, result, plot)}")
    if fmt is Format.json:
        terminal.raw(result.to_json())
    elif fmt is Format.yaml:
        terminal.raw(dump_yaml(result.to_dict()))
    else:
        terminal.diagnosis(result, str(history or sanity or scaling))

