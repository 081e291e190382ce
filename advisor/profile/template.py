"""A profile written as commented YAML: the values known, every other field as a commented line with
its description and allowed values. Derived from the Profile model, so it never drifts from it."""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from advisor.profile.model import Profile

# Fields a user always sets (written even when unknown, as `field:` with a note) and fields kept out
# of templates because a newer field replaces them.
_REQUIRED_NOTE = "required"
_LEGACY = {("model", "batchnorm")}
# What the model's descriptions leave out but a newcomer asks.
_NOTES = {
    "name": "a name for this project (shown in outputs)",
    "model.num_params": "parameters, all of them (trainable or not)",
    "model.pretrained": "true when training starts from pretrained weights",
    "budget.epochs": "training length: give one of epochs | steps | tokens",
    "hardware.memory_gb": "memory of one device in GB",
    "hardware.num_devices": "devices training data-parallel",
    "hardware.gradient_accumulation_steps": "micro-batches accumulated per optimizer step",
}


def allowed_values(annotation: Any) -> list[Any]:
    """The values of the Literal inside an annotation (Optional and Annotated unwrapped), else []."""
    origin = get_origin(annotation)
    if origin is Literal:
        return list(get_args(annotation))
    if origin is Annotated:
        return allowed_values(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [v for arg in get_args(annotation) for v in allowed_values(arg)]
    return []


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _submodel(arg)
            if found:
                return found
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        plain = value.replace("_", "").replace("-", "").replace(".", "").isalnum()
        return (
            value
            if plain and value not in {"true", "false", "null", "yes", "no", "on", "off"}
            else json.dumps(value)
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(value)


def _hint(model: type[BaseModel], name: str, dotted: str = "") -> str:
    field = model.model_fields[name]
    description = _NOTES.get(dotted) or field.description
    parts = [description.rstrip(".")] if description else []
    allowed = allowed_values(field.annotation)
    if allowed and not (field.description and " | " in field.description):
        parts.append("one of: " + " | ".join(str(v) for v in allowed))
    return "; ".join(parts)


def render_profile(
    values: Mapping[str, Any], notes: Mapping[str, str] | None = None, header: str | None = None
) -> str:
    """YAML text of a profile: `values` (nested like the profile) written out, each with its note
    (keyed by dotted path) as a comment; every other field commented out with what it means."""
    notes = notes or {}
    lines = [f"# {line}" if line else "#" for line in (header or "").splitlines()]
    _render(Profile, values, notes, (), lines)
    return "\n".join(lines) + "\n"


def _render(
    model: type[BaseModel],
    values: Mapping[str, Any],
    notes: Mapping[str, str],
    path: tuple[str, ...],
    lines: list[str],
) -> None:
    indent = "  " * len(path)
    for name, field in model.model_fields.items():
        here = (*path, name)
        if here in _LEGACY:
            continue
        dotted = ".".join(here)
        sub = _submodel(field.annotation)
        if sub is not None:
            given = values.get(name)
            if isinstance(given, Mapping) or field.is_required():
                lines.append(f"{indent}{name}:" + (f"  # {notes[dotted]}" if dotted in notes else ""))
                _render(sub, given if isinstance(given, Mapping) else {}, notes, here, lines)
            else:
                hint = _hint(model, name, dotted)
                lines.append(f"{indent}# {name}:" + (f"  # {hint}" if hint else ""))
                _render_commented(sub, f"{indent}#   ", here, lines)
            continue
        if name in values:
            note = notes.get(dotted) or _hint(model, name, dotted)
            lines.append(f"{indent}{name}: {_scalar(values[name])}" + (f"  # {note}" if note else ""))
        elif field.is_required():
            note = "; ".join(
                p for p in (_REQUIRED_NOTE, notes.get(dotted) or _hint(model, name, dotted)) if p
            )
            lines.append(f"{indent}{name}:  # {note}")
        else:
            default = field.get_default(call_default_factory=True)
            shown = "" if default is None or isinstance(default, BaseModel) else f" {_scalar(default)}"
            note = notes.get(dotted) or _hint(model, name, dotted)
            lines.append(f"{indent}# {name}:{shown}" + (f"  # {note}" if note else ""))


def _render_commented(model: type[BaseModel], prefix: str, path: tuple[str, ...], lines: list[str]) -> None:
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "" if default is None else f" {_scalar(default)}"
        hint = _hint(model, name, ".".join((*path, name)))
        lines.append(f"{prefix}{name}:{shown}" + (f"  # {hint}" if hint else ""))


def profile_template() -> str:
    """A commented template with every field: fill in the required ones, uncomment what you know."""
    return render_profile(
        {},
        header=(
            "hparam-advisor profile: fill in the fields marked required, uncomment the others you know.\n"
            "`advisor init --target module:function` fills in what it can infer from your model and data.\n"
            "Then: advisor recommend profile.yaml --out out/"
        ),
    )
