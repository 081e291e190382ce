"""`advisor init [--target T] --out FILE`: a profile inferred from a model, or a commented template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from advisor.cli.terminal import Terminal
from advisor.errors import InputFileError
from advisor.outputs.files import write_atomic
from advisor.profile.model import load_profile

# What a model and its data cannot tell, and where the user says it.
_NOT_INFERABLE = {
    "model.pretrained": "not inferable from the model: true when training starts from pretrained weights",
    "model.pretrain_similarity": "not inferable: how close your data is to the pretraining data; high | low",
    "budget.trials": "not inferable: how many training runs the search may use (default 20)",
    "budget.epochs": "not inferable: training length, give one of epochs | steps | tokens",
    "hardware.device": "not inferable: where the real training runs; cpu | gpu | tpu",
    "hardware.memory_gb": "not inferable: memory of one device in GB",
    "hardware.precision": "not inferable: fp32 | tf32 | fp16 | bf16",
}


def _known(
    name: str | None,
    pretrained: bool | None,
    similarity: str | None,
    finetuning: str | None,
    trials: int | None,
    epochs: int | None,
    steps: int | None,
    device: str | None,
    memory_gb: float | None,
    num_devices: int | None,
    precision: str | None,
) -> dict[str, Any]:
    """The flags given, nested like a profile."""
    known: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        if value is None:
            return
        *parents, leaf = path.split(".")
        node = known
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    put("name", name)
    put(
        "model.pretrained",
        pretrained if pretrained is not None else (True if similarity or finetuning else None),
    )
    put("model.pretrain_similarity", similarity)
    put("model.finetuning.method", finetuning)
    put("budget.trials", trials)
    put("budget.epochs", epochs)
    put("budget.steps", steps)
    put("hardware.device", device)
    put("hardware.memory_gb", memory_gb)
    put("hardware.num_devices", num_devices)
    put("hardware.precision", precision)
    return known


def command(
    out: Path | None = typer.Option(
        None, "--out", "-o", dir_okay=False, help="Write the profile here (default: print it)."
    ),
    target: str | None = typer.Option(
        None,
        "--target",
        "-t",
        help="Infer from this model: package.module:function or file.py:function returning "
        "(model, dataset_or_dataloader, loss_fn), or a built-in target.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
    name: str | None = typer.Option(None, "--name", help="Project name."),
    pretrained: bool | None = typer.Option(
        None, "--pretrained/--from-scratch", help="Training starts from pretrained weights, or not."
    ),
    similarity: str | None = typer.Option(None, "--similarity", help="Data vs pretraining data: high | low."),
    finetuning: str | None = typer.Option(
        None, "--finetuning", help="full | linear_probe | lora | qlora | adapters."
    ),
    trials: int | None = typer.Option(None, "--trials", help="Training runs the search may use."),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs per run."),
    steps: int | None = typer.Option(None, "--steps", help="Optimizer steps per run (instead of --epochs)."),
    device: str | None = typer.Option(None, "--device", help="cpu | gpu | tpu (where the real run trains)."),
    memory_gb: float | None = typer.Option(None, "--memory-gb", help="Memory of one device, GB."),
    num_devices: int | None = typer.Option(None, "--num-devices", help="Data-parallel devices."),
    precision: str | None = typer.Option(None, "--precision", help="fp32 | tf32 | fp16 | bf16."),
) -> None:
    """Write a profile: inferred from a model with --target, else a commented template."""
    from advisor.profile.template import profile_template, render_profile

    terminal = Terminal()
    if out is not None and out.exists() and not force:
        raise InputFileError(f"{out} exists; choose another --out or add --force")
    known = _known(
        name,
        pretrained,
        similarity,
        finetuning,
        trials,
        epochs,
        steps,
        device,
        memory_gb,
        num_devices,
        precision,
    )
    if target is None:
        text = profile_template() if not known else render_profile(known, header=_HEADER)
        inferred = 0
    else:
        from advisor.integrations.profile_inference import infer_profile  # torch, only now
        from advisor_probes.targets import load_target

        loaded = load_target(target)
        inference = infer_profile(loaded.model, loaded.data, loaded.loss_fn)
        values = inference.merged(known)
        inference.profile(known)  # every inferred value must make a valid profile before it is written
        notes = {path: f"inferred: {why}" for path, why in inference.notes.items()}
        notes |= {path: "given" for path in _paths(known)}
        notes |= {path: why for path, why in _NOT_INFERABLE.items() if path not in notes}
        text = render_profile(values, notes, header=_HEADER + f"\nInferred from {target}.")
        inferred = len(inference.notes)
    if out is None:
        terminal.raw(text)
        return
    write_atomic(out, text)
    if target is not None:
        load_profile(out)  # what was written passes `advisor recommend` unchanged
        terminal.note(
            f"wrote {out}: {inferred} fields inferred from the model; review the commented "
            f"lines (pretrained, budget, hardware), then: advisor recommend {out} --out out/"
        )
    else:
        terminal.note(f"wrote {out}: fill in the fields marked required, then: advisor recommend {out}")


_HEADER = (
    "hparam-advisor profile (`advisor init`). Uncomment and set what you know; every field is\n"
    "described in the README's profile section. Then: advisor recommend <this file> --out out/"
)


def _paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        out += _paths(value, path + ".") if isinstance(value, dict) else [path]
    return out
