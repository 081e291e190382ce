"""`advisor probe lr | batch --target SPEC`: measurements on the real model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from advisor.cli.options import FORMAT, RULES_DIR, Format, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.diagnosis import diagnose
from advisor.core.recommendation import recommend
from advisor.errors import ProbeError
from advisor.evidence.results import ProbeResults
from advisor.profile.model import Profile, load_profile
from advisor.yamlio import dump_yaml

app = typer.Typer(help="Measure on your model: LR range test, batch-size memory probe, sanity checks, "
                  "data scaling.",
                  no_args_is_help=True)

TARGET = typer.Option(..., "--target", "-t", help="package.module:function, file.py:function, "
                      "or a built-in: digits-mlp, digits-cnn, lstm.")
SEED = typer.Option(0, "--seed", help="Same seed, same result.")
OPTIMIZER = typer.Option("adam", "--optimizer", help="Canonical optimizer name.")
PROBED_OPTIMIZER = typer.Option(None, "--optimizer", help="Canonical optimizer name (default: the "
                                "profile's, else adam).")
PROFILE = typer.Option(None, "--profile", "-p", dir_okay=False, help="Your profile: its optimizer, budget "
                       "and hardware fill the options not given, and the table shows the value `advisor "
                       "recommend --probes` starts from, with the rules that moved it.")
PLOT = typer.Option(None, "--plot", dir_okay=False, help="Write a PNG plot here.")
DEVICE = typer.Option(None, "--device", help="Move the model here first: cpu, cuda, cuda:1, mps "
                      "(default: where the target put it).")


@app.command("lr")
def lr(
    target: str = TARGET,
    optimizer: str | None = PROBED_OPTIMIZER,
    steps: int = typer.Option(100, "--steps", min=5, max=1000, help="LR steps in the ramp."),
    start_lr: float = typer.Option(1e-6, "--start-lr", help="First LR of the ramp."),
    end_lr: float = typer.Option(10.0, "--end-lr", help="Last LR of the ramp."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1,
                                          help="Batch size when the target returns a Dataset."),
    amp: str | None = typer.Option(None, "--amp", help="Mixed precision for the ramp: bf16 or fp16 "
                                   "(fp16 adds a GradScaler on CUDA)."),
    mode: str = typer.Option("quick", "--mode", help="quick: the ramp alone (--steps steps); thorough: "
                             "the ramp, then short real runs ranked by held-out loss."),
    run_steps: int | None = typer.Option(
        None, "--run-steps", min=1, help="Optimizer steps of one training run: the thorough search takes "
        "20% of it (500 steps when not given) and moves its answer to the run's length."),
    seed: int = SEED,
    device: str | None = DEVICE,
    fmt: Format = FORMAT,
    plot: Path | None = PLOT,
    profile: Path | None = PROFILE,
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """LR range test: a suggested learning rate, a range and a confidence."""
    if mode not in ("quick", "thorough"):
        raise ProbeError(f"--mode must be quick or thorough, got {mode!r}")
    prof = load_profile(profile) if profile is not None else None
    if prof is not None:
        run_steps = run_steps or prof.budget.steps
        if amp is None and prof.hardware.precision in ("bf16", "fp16"):
            amp = prof.hardware.precision
    terminal = Terminal()
    with terminal.progress(f"LR probe ({mode})", total=steps if mode == "quick" else None) as advance:
        result = _runners().run_lr(target, optimizer=_optimizer(optimizer, prof), seed=seed, steps=steps,
                        start_lr=start_lr, end_lr=end_lr, batch_size=batch_size, device=device, mode=mode,
                        run_steps=run_steps, amp=amp,
                        progress=lambda i, n, lr_, loss: advance(i, f"lr {lr_:.2g} loss {loss:.4g}"))
    render = _with_profile(terminal, terminal.lr_result, prof, rules_dir, "lr_range", "learning_rate")
    _show(terminal, fmt, result, render, plot, "plot_lr")


@app.command("batch")
def batch(
    target: str = TARGET,
    optimizer: str | None = PROBED_OPTIMIZER,
    memory: str | None = typer.Option(None, "--memory", help="Memory budget, e.g. 24GiB."),
    gpu: str | None = typer.Option(None, "--gpu", help="A GPU by name, e.g. a100-80gb (10% kept free)."),
    effective_batch: int | None = typer.Option(
        None, "--effective-batch", min=1, help="Keep this effective batch via gradient accumulation."),
    seed: int = SEED,
    device: str | None = DEVICE,
    fmt: Format = FORMAT,
    plot: Path | None = PLOT,
    profile: Path | None = PROFILE,
    rules_dir: Path | None = RULES_DIR,
) -> None:
    """Batch-size memory probe: the largest batch that fits, predicted and confirmed."""
    prof = load_profile(profile) if profile is not None else None
    if prof is not None:
        if memory is None and gpu is None and prof.hardware.memory_gb is not None:
            memory = f"{prof.hardware.memory_gb}GiB"
        effective_batch = effective_batch or prof.hardware.global_batch_size
    terminal = Terminal()
    with terminal.progress("batch-size probe", total=None) as advance:
        result = _runners().run_batch(target, optimizer=_optimizer(optimizer, prof), seed=seed,
                                      memory=memory, gpu=gpu, effective_batch=effective_batch, device=device,
                           progress=lambda msg: advance(None, msg))
    render = _with_profile(terminal, terminal.batch_result, prof, rules_dir, "batch", "batch_size")
    _show(terminal, fmt, result, render, plot, "plot_memory")


@app.command("sanity")
def sanity(
    target: str = TARGET,
    optimizer: str = OPTIMIZER,
    lr: float = typer.Option(1e-3, "--lr", help="Learning rate for the overfit, baseline and update checks."),
    batch_size: int = typer.Option(16, "--batch-size", min=2, help="The one batch to overfit."),
    checks: str | None = typer.Option(
        None, "--checks", help="Comma-separated subset of: init_loss, overfit_batch, zero_input, "
        "update_ratio, gradient_isolation."),
    seed: int = SEED,
    device: str | None = DEVICE,
    fmt: Format = FORMAT,
) -> None:
    """Sanity checks of the recipe: init loss, overfit one batch, zero-input baseline, update
    ratio, gradient isolation - each pass/fail with what it measured."""
    terminal = Terminal()
    names = [c.strip() for c in checks.split(",") if c.strip()] if checks else None
    with terminal.progress("sanity checks", total=None) as advance:
        result = _runners().run_sanity(target, optimizer=optimizer, lr=lr, batch_size=batch_size,
                                       checks=names, seed=seed, device=device, progress=lambda name: advance(None, name))
    title = f"{target} (sanity checks)"
    _show(terminal, fmt, result, lambda r: terminal.diagnosis(diagnose(sanity=r), title))


@app.command("data-scaling")
def data_scaling(
    target: str = TARGET,
    fractions: str = typer.Option("0.1,0.2,0.4,0.8", "--fractions",
                                  help="Fractions of the training data (after the held-out 20%)."),
    optimizer: str = OPTIMIZER,
    lr: float = typer.Option(1e-3, "--lr", help="Learning rate for each run."),
    batch_size: int = typer.Option(32, "--batch-size", min=1),
    epochs: int = typer.Option(30, "--epochs", min=1, help="Epochs per fraction (best validation kept)."),
    seed: int = SEED,
    device: str | None = DEVICE,
    fmt: Format = FORMAT,
    plot: Path | None = PLOT,
) -> None:
    """Validation loss vs training-set size, a power-law fit, and what 2x / 4x data would buy."""
    terminal = Terminal()
    try:
        values = [float(f) for f in fractions.split(",") if f.strip()]
    except ValueError:
        raise ProbeError(f"--fractions must be comma-separated numbers, got {fractions!r}") from None
    with terminal.progress("data scaling", total=len(values)) as advance:
        result = _runners().run_scaling(target, fractions=values, optimizer=optimizer, lr=lr,
                                        batch_size=batch_size, epochs=epochs, seed=seed, device=device,
                             progress=lambda i, n, msg: advance(i, msg))
    title = f"{target} (data scaling)"
    render = lambda r: terminal.diagnosis(diagnose(scaling=r), title)  # noqa: E731
    _show(terminal, fmt, result, render, plot, "plot_scaling")


def _optimizer(given: str | None, profile: Profile | None) -> str:
    return given or (profile.optimizer if profile is not None and profile.optimizer else None) or "adam"


def _with_profile(terminal: Terminal, render: Callable[[Any], None], profile: Profile | None,
                  rules_dir: Path | None, evidence: str, parameter: str) -> Callable[[Any], None]:
    """The probe's table, then (with a profile) the value the recommendation takes from it and why:
    the number `recommend --probes` and `explain --probes` give for the same saved result."""
    if profile is None:
        return render

    def both(result: Any) -> None:
        render(result)
        rec = recommend(profile, ProbeResults(**{evidence: result}), kb=knowledge_base(rules_dir))
        terminal.explanation(parameter, rec, f"\nWith {profile.name or 'your profile'}, "
                             "`advisor recommend --probes` starts from:")

    return both


def _show(terminal: Terminal, fmt: Format, result: BaseModel, render: Callable[[Any], None],
          plot: Path | None = None, plot_function: str = "") -> None:
    """Write the plot if asked, then the result: a table, or its JSON / YAML (what `diagnose`,
    `recommend --probes` and `explain --probes` read)."""
    if plot is not None:
        _plot(plot, result, plot_function, terminal)
    if fmt is Format.table:
        render(result)
    elif fmt is Format.yaml:
        terminal.raw(dump_yaml(result.model_dump(mode="json")))
    else:
        terminal.raw(result.model_dump_json(indent=2) + "\n")


def _plot(path: Path, result: object, function: str, terminal: Terminal) -> None:
    try:
        from advisor_probes import plots
    except ImportError as exc:  # pragma: no cover - matplotlib missing
        raise ProbeError(f"plotting needs matplotlib: {exc}") from None
    written = getattr(plots, function)(result, path)
    terminal.note(f"wrote {written}")


def _runners() -> Any:
    """The torch side, imported only when a probe runs (a missing extra is a clear error)."""
    from advisor_probes import runners

    return runners
