"""`advisor tune PROFILE --objective SPEC --trials N --study FILE [--resume] [--workers N]`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from advisor.cli.options import RULES_DIR, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.recommendation import recommend
from advisor.outputs.files import write_atomic
from advisor.profile.model import load_profile
from advisor.tuning.study import Trial
from advisor.tuning.tuner import TuneSettings, best_trial, convergence_plot, tune
from advisor.yamlio import dump_yaml


def command(
    profile: Path = typer.Argument(..., help="Profile file (YAML or JSON).", dir_okay=False),
    objective: str = typer.Option(..., "--objective", help="package.module:function or file.py:function;"
                                  " objective(config: dict) -> float (validation loss)."),
    trials: int = typer.Option(30, "--trials", min=1, help="Finished trials the study should reach."),
    study: Path = typer.Option(Path("out/study.db"), "--study", dir_okay=False, help="SQLite study file."),
    resume: bool = typer.Option(False, "--resume", help="Continue an existing study."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Local worker processes."),
    maximize: bool = typer.Option(False, "--maximize", help="The objective is a score to maximize."),
    trial_timeout: float | None = typer.Option(None, "--trial-timeout", min=0.001,
                                               help="Seconds before a trial counts as failed."),
    seed: int = typer.Option(0, "--seed"),
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """Search the recommended space; every finished trial is saved before the next starts."""
    terminal = Terminal()
    rec = recommend(load_profile(profile), kb=knowledge_base(rules_dir))
    settings = TuneSettings(objective=objective, study=str(study), trials=trials, maximize=maximize,
                            seed=seed, workers=workers, trial_timeout=trial_timeout, resume=resume)
    with terminal.progress("tune", total=trials) as advance:
        def on_trial(trial: Trial, all_trials: list[Trial]) -> None:
            finished = sum(t.status in ("complete", "failed") for t in all_trials)
            best = best_trial(all_trials, maximize)
            shown = "failed" if trial.value is None else f"{trial.value:.4g}"
            advance(finished, f"#{trial.id} {shown} | best {best.value:.4g}" if best else shown)

        results = tune(rec, settings, on_trial)
    out = study.parent
    table = Table(title=f"{len(results)} trials in {study}", title_justify="left")
    names = [d.name for d in rec.search_space]
    for col in ("id", "status", "value", *names, "seconds"):
        table.add_column(col)
    for t in results:
        table.add_row(str(t.id), t.status, "" if t.value is None else f"{t.value:.5g}",
                      *(_cell(t.config.get(n)) for n in names),
                      "" if t.duration is None else f"{t.duration:.2f}")
    terminal.out.print(table)
    best = best_trial(results, maximize)
    if best is None:
        terminal.error("no trial finished successfully; see the errors in the table and the study")
        raise typer.Exit(1)
    write_atomic(out / "best_config.yaml", dump_yaml(best.config))
    plot = convergence_plot(results, maximize, out / "convergence.png")
    terminal.out.print(f"best: trial #{best.id} = {best.value:.5g}; wrote {out / 'best_config.yaml'}"
                       + (f", {plot}" if plot else ""))
    for t in results:
        if t.error:
            terminal.note(f"trial #{t.id} {t.status}: {t.error}")


def _cell(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
