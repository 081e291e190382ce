"""`advisor recommend PROFILE`: the starting config, search space and advice."""

from __future__ import annotations

from pathlib import Path

import typer

from advisor.cli import Interrupted
from advisor.cli.options import FORMAT, RULES_DIR, Format, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.recommendation import recommend
from advisor.errors import InputFileError, ProbeError
from advisor.evidence.files import load_probe_results
from advisor.evidence.registry import probe_names
from advisor.evidence.results import ProbeResults
from advisor.evidence.targets import BUILTIN_TARGETS
from advisor.outputs.files import write_outputs
from advisor.profile.model import load_profile
from advisor.yamlio import dump_yaml


def command(
    profile: Path = typer.Argument(..., help="Profile file (YAML or JSON).", dir_okay=False),
    fmt: Format = FORMAT,
    out: Path | None = typer.Option(
        None, "--out", "-o", file_okay=False,
        help="Write config.yaml, search_space.yaml and recommendation.json into this directory.",
    ),
    rules_dir: Path | None = RULES_DIR,
    export: str | None = typer.Option(
        None, "--export", help="With --out: also write these formats, e.g. skopt,optuna,ray,wandb,hydra."),
    target: str | None = typer.Option(None, "--target", "-t", help="Probe target (see `advisor probe`)."),
    probe: list[str] = typer.Option([], "--probe", "-p",
                                    help="Run this probe first: lr, batch, sanity, data-scaling."),
    seed: int = typer.Option(0, "--seed", help="Seed for the probes."),
    memory: str | None = typer.Option(None, "--memory", help="Memory budget for --probe batch."),
    gpu: str | None = typer.Option(None, "--gpu", help="Named GPU for --probe batch."),
    probe_files: list[Path] = typer.Option(
        [], "--probes", dir_okay=False,
        help="Saved probe results to use (JSON or YAML, as `advisor probe lr|batch -f json` prints)."),
) -> None:
    """Recommend a starting config and a search space for PROFILE."""
    terminal = Terminal()
    exports = [name.strip() for name in export.split(",") if name.strip()] if export else []
    if exports and out is None:
        raise InputFileError("--export needs --out DIR")
    if exports:
        from advisor.outputs.exports import FORMATS, UnknownExportError

        unknown = [name for name in exports if name not in FORMATS]
        if unknown:
            raise UnknownExportError(unknown, list(FORMATS))
    prof = load_profile(profile)
    kb = knowledge_base(rules_dir)
    try:
        measured = _run_probes(terminal, probe, target, prof.optimizer, seed, memory, gpu)
    except KeyboardInterrupt:
        where = f"nothing was written to {out}" if out is not None else "nothing was saved"
        raise Interrupted(f"the probes did not finish; {where}") from None
    if probe_files:
        measured = load_probe_results(probe_files, measured)
    rec = recommend(prof, measured, kb=kb)
    if fmt is Format.json:
        terminal.raw(rec.to_json())
    elif fmt is Format.yaml:
        terminal.raw(dump_yaml(rec.to_dict()))
    else:
        terminal.recommendation(rec, prof.name or profile.stem)
    if out is not None:
        try:
            written = write_outputs(rec, out, exports, trials=prof.budget.trials)
        except KeyboardInterrupt:  # each file is replaced whole: none is half-written
            raise Interrupted(f"while writing to {out}: each file there is whole, either its old or "
                              "its new version") from None
        terminal.note("wrote " + ", ".join(str(p) for p in written))


def _run_probes(terminal: Terminal, names: list[str], target: str | None, optimizer: str | None,
                seed: int, memory: str | None, gpu: str | None) -> ProbeResults | None:
    if not names:
        if target is not None:
            raise ProbeError("--target given without --probe; add --probe lr and/or --probe batch")
        return None
    unknown = sorted(set(names) - set(probe_names()))
    if unknown:
        raise ProbeError(f"unknown probe(s) {', '.join(unknown)}; allowed: {', '.join(probe_names())}")
    if target is None:
        raise ProbeError("--probe needs --target (package.module:function, file.py:function, "
                         "or a built-in: " + ", ".join(BUILTIN_TARGETS) + ")")
    from advisor_probes.runners import run_probes  # torch, only once a probe runs

    common = {"optimizer": optimizer or "adam", "seed": seed}
    options = {name: common | ({"memory": memory, "gpu": gpu} if name == "batch" else {}) for name in names}
    with terminal.progress("probes", total=100) as advance:
        return run_probes(names, target, options=options,
                          progress=lambda done, status: advance(None if done is None else round(100 * done),
                                                                status))
