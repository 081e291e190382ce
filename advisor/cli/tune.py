"""`advisor tune PROFILE --objective SPEC [--trials N] [--storage PATH|URL] [--study-name NAME] [--resume]
[--workers N] [--sampler gp|optuna-gp|tpe] [--pruner curve|median|halving|none]`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from advisor.cli import Interrupted
from advisor.cli.options import RULES_DIR, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.recommendation import recommend
from advisor.errors import MissingDependencyError
from advisor.outputs.files import write_atomic
from advisor.profile.model import load_profile
from advisor.yamlio import dump_yaml

if TYPE_CHECKING:
    from advisor.tuning.trials import TrialRecord

def command(
    profile: Path = typer.Argument(..., help="Profile file (YAML or JSON).", dir_okay=False),
    objective: str = typer.Option(..., "--objective", help="package.module:function or file.py:function;"
                                  " objective(config: dict) -> float (validation loss), or "
                                  "objective(config, report) calling report(step, value) to be prunable."),
    trials: int | None = typer.Option(None, "--trials", min=1, show_default=False,
                                      help="Finished trials the study should reach (default: the "
                                      "profile's budget.trials)."),
    storage: str = typer.Option("out/study.db", "--storage",
                                help="SQLite study file, or a database URL every machine joins "
                                "(postgresql://user:pw@host/db)."),
    study_name: str = typer.Option("advisor", "--study-name", help="Study name inside the storage."),
    resume: bool = typer.Option(False, "--resume", help="Continue (or join) an existing study."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Local worker processes."),
    sampler: str = typer.Option("gp", "--sampler", help="gp (scikit-optimize GP), optuna-gp or tpe."),
    pruner: str = typer.Option("curve", "--pruner", help="curve (the diagnosis rules), median or halving "
                               "(Optuna's, with the curve rules), or none; needs an objective that reports."),
    maximize: bool = typer.Option(False, "--maximize", help="The objective is a score to maximize."),
    trial_timeout: float | None = typer.Option(None, "--trial-timeout", min=0.001,
                                               help="Seconds before a trial counts as failed."),
    heartbeat: int = typer.Option(10, "--heartbeat", min=1, help="Seconds between a running trial's "
                                  "heartbeats; a trial silent for twice that is its dead worker's."),
    out: Path | None = typer.Option(None, "--out", file_okay=False, show_default=False,
                                    help="Folder for best_config.yaml and convergence.png (default: the "
                                    "study file's folder, or ./out for a URL)."),
    seed: int = typer.Option(0, "--seed"),
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """Search the recommended space; every finished trial is saved before the next starts."""
    try:
        import optuna  # noqa: F401
        import skopt  # noqa: F401
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(exc.name or "optuna", "search", "advisor tune") from None
    from advisor.tuning.optuna_study import shown_url
    from advisor.tuning.trials import best_trial, convergence_plot
    from advisor.tuning.tuner import TuneSettings, tune

    terminal = Terminal()
    prof = load_profile(profile)
    rec = recommend(prof, kb=knowledge_base(rules_dir))
    total = trials or prof.budget.trials
    settings = TuneSettings(objective=objective, storage=storage, study_name=study_name, trials=total,
                            maximize=maximize, seed=seed, workers=workers, trial_timeout=trial_timeout,
                            resume=resume, sampler=sampler, pruner=pruner, heartbeat=heartbeat)
    where = f"study {study_name!r} in {shown_url(storage) if '://' in storage else storage}"
    try:
        with terminal.progress("tune", total=total, unit="trial", every=1) as advance:
            def on_trial(trial: TrialRecord, all_trials: list[TrialRecord]) -> None:
                finished = sum(t.status in ("complete", "failed", "pruned") for t in all_trials)
                best = best_trial(all_trials, maximize)
                shown = {"complete": f"{trial.value:.4g}" if trial.value is not None else "",
                         "pruned": f"pruned at step {(trial.pruned_by or {}).get('step')}"
                         }.get(trial.status, trial.status)
                advance(finished, f"#{trial.id} {shown}" + (f", best {best.value:.4g}" if best else ""))

            results = tune(rec, settings, on_trial)
    except KeyboardInterrupt:
        raise Interrupted(_saved(storage, study_name, where)) from None
    folder = out or (Path(storage).parent if "://" not in storage else Path("out"))
    terminal.out.print(_table(results, [d.name for d in rec.search_space], where, terminal.out.width))
    best = best_trial(results, maximize)
    if best is None:
        failed = [t for t in results if t.status == "failed"]
        first = f"; the first, trial #{failed[0].id}: {failed[0].error}" if failed else ""
        terminal.error(f"all {len(failed)} trials failed{first}")
        raise typer.Exit(1)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "best_config.yaml", dump_yaml(best.config))
    plot = convergence_plot(results, maximize, folder / "convergence.png")
    terminal.out.print(f"best: trial #{best.id} = {best.value:.5g}; wrote {folder / 'best_config.yaml'}"
                       + (f", {plot}" if plot else ""))
    for t in results:
        if t.status == "pruned" and t.pruned_by:
            terminal.note(f"trial #{t.id} {t.error}")  # "pruned at step N by ...": its own sentence
        elif t.error:
            terminal.note(f"trial #{t.id} {t.status}: {t.error}")


def _saved(storage: str, study_name: str, where: str) -> str:
    from advisor.tuning.tuner import study_records

    finished = [t for t in study_records(storage, study_name) if t.status in ("complete", "failed", "pruned")]
    if not finished:
        return f"no trial had finished, nothing is saved in {where} yet"
    n = len(finished)
    return (f"{n} finished trial{'s are' if n != 1 else ' is'} saved in {where}; "
            "run the same command with --resume to continue")


def _table(results: list[TrialRecord], names: list[str], where: str, width: int) -> Table:
    """One row per trial; a failed trial's error clipped to the room the other columns leave (at most
    60 characters; the notes after the table hold each whole)."""
    columns = ["id", "status", "value", *names, "seconds"]
    rows = [[str(t.id), t.status, "" if t.value is None else f"{t.value:.5g}",
             *(_cell(t.config.get(n)) for n in names), "" if t.duration is None else f"{t.duration:.2f}"]
            for t in results]
    used = sum(max(len(c), *(len(r[i]) for r in rows)) + 3 for i, c in enumerate(columns)) + 4
    room = min(60, max(22, width - used - 3))  # "lr_too_high at step 12" fits
    table = Table(title=f"{len(results)} trials of {where}", title_justify="left")
    for col in columns:
        table.add_column(col, no_wrap=True)
    table.add_column("error / why pruned", overflow="ellipsis", style="red")  # the column that gives way
    for t, row in zip(results, rows, strict=True):
        table.add_row(*row, _clip(_why(t), room))
    return table


def _why(trial: TrialRecord) -> str:
    """The error, or for a pruned trial what stopped it and when (the note after the table says why)."""
    if trial.status == "pruned" and trial.pruned_by:
        who = trial.pruned_by.get("verdict") or trial.pruned_by.get("pruner")
        return f"{who} at step {trial.pruned_by.get('step')}"
    return trial.error or ""


def _clip(text: str, width: int) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[:width - 1] + "…"


def _cell(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
