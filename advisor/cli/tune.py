"""`advisor tune PROFILE --objective SPEC --trials N --study FILE [--resume] [--workers N]`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from advisor.cli import Interrupted
from advisor.cli.options import RULES_DIR, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.recommendation import recommend
from advisor.outputs.files import write_atomic
from advisor.profile.model import load_profile
from advisor.tuning.study import Trial
from advisor.tuning.tuner import TuneSettings, best_trial, convergence_plot, study_trials, tune
from advisor.yamlio import dump_yaml


def command(
    profile: Path = typer.Argument(..., help="Profile file (YAML or JSON).", dir_okay=False),
    objective: str = typer.Option(..., "--objective", help="package.module:function or file.py:function;"
                                  " objective(config: dict) -> float (validation loss)."),
    trials: int | None = typer.Option(None, "--trials", min=1, show_default=False,
                                      help="Finished trials the study should reach (default: the "
                                      "profile's budget.trials)."),
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
    prof = load_profile(profile)
    rec = recommend(prof, kb=knowledge_base(rules_dir))
    total = trials or prof.budget.trials
    settings = TuneSettings(objective=objective, study=str(study), trials=total, maximize=maximize,
                            seed=seed, workers=workers, trial_timeout=trial_timeout, resume=resume)
    try:
        with terminal.progress("tune", total=total, unit="trial", every=1) as advance:
            def on_trial(trial: Trial, all_trials: list[Trial]) -> None:
                finished = sum(t.status in ("complete", "failed") for t in all_trials)
                best = best_trial(all_trials, maximize)
                shown = "failed" if trial.value is None else f"{trial.value:.4g}"
                advance(finished, f"#{trial.id} {shown}" + (f", best {best.value:.4g}" if best else ""))

            results = tune(rec, settings, on_trial)
    except KeyboardInterrupt:
        raise Interrupted(_saved(study)) from None
    out = study.parent
    terminal.out.print(_table(results, [d.name for d in rec.search_space], study, terminal.out.width))
    best = best_trial(results, maximize)
    if best is None:
        failed = [t for t in results if t.status == "failed"]
        first = f"; the first, trial #{failed[0].id}: {failed[0].error}" if failed else ""
        terminal.error(f"all {len(failed)} trials failed{first}")
        raise typer.Exit(1)
    write_atomic(out / "best_config.yaml", dump_yaml(best.config))
    plot = convergence_plot(results, maximize, out / "convergence.png")
    terminal.out.print(f"best: trial #{best.id} = {best.value:.5g}; wrote {out / 'best_config.yaml'}"
                       + (f", {plot}" if plot else ""))
    for t in results:
        if t.error:
            terminal.note(f"trial #{t.id} {t.status}: {t.error}")


def _saved(study: Path) -> str:
    finished = [t for t in study_trials(study) if t.status in ("complete", "failed")]
    if not finished:
        return f"no trial had finished, nothing is saved in {study} yet"
    n = len(finished)
    return (f"{n} finished trial{'s are' if n != 1 else ' is'} saved in {study}; "
            "run the same command with --resume to continue")


def _table(results: list[Trial], names: list[str], study: Path, width: int) -> Table:
    """One row per trial; a failed trial's error clipped to the room the other columns leave (at most
    60 characters; the notes after the table hold each whole)."""
    columns = ["id", "status", "value", *names, "seconds"]
    rows = [[str(t.id), t.status, "" if t.value is None else f"{t.value:.5g}",
             *(_cell(t.config.get(n)) for n in names), "" if t.duration is None else f"{t.duration:.2f}"]
            for t in results]
    used = sum(max(len(c), *(len(r[i]) for r in rows)) + 3 for i, c in enumerate(columns)) + 4
    room = min(60, max(12, width - used - 3))
    table = Table(title=f"{len(results)} trials in {study}", title_justify="left")
    for col in columns:
        table.add_column(col, no_wrap=True)
    table.add_column("error", overflow="ellipsis", style="red")  # the one column that gives way
    for t, row in zip(results, rows, strict=True):
        table.add_row(*row, _clip(t.error or "", room))
    return table


def _clip(text: str, width: int) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _cell(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
