"""`advisor probe NAME --target SPEC`: measurements on the real model, one command per probe kind of
the evidence registry - its options (flags, defaults, bounds, help) come from the kind's options model."""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from advisor.cli import Interrupted
from advisor.cli.options import FORMAT, RULES_DIR, Format, knowledge_base
from advisor.cli.terminal import Terminal
from advisor.core.diagnosis import diagnose
from advisor.core.recommendation import recommend
from advisor.errors import ProbeError
from advisor.evidence.registry import EvidenceKind, probe_kinds
from advisor.evidence.results import ProbeResults
from advisor.evidence.targets import BUILTIN_TARGETS
from advisor.profile.model import Profile, load_profile
from advisor.user_code import import_callable
from advisor.yamlio import dump_yaml

app = typer.Typer(help="Measure on your model: " + "; ".join(k.title for k in probe_kinds()) + ".",
                  no_args_is_help=True)

_P = inspect.Parameter
_COMMON = [
    _P("target", _P.KEYWORD_ONLY, annotation=str, default=typer.Option(
        ..., "--target", "-t", help="package.module:function, file.py:function, or a built-in: "
        + ", ".join(BUILTIN_TARGETS) + ".")),
    _P("device", _P.KEYWORD_ONLY, annotation=str | None, default=typer.Option(
        None, "--device", help="Move the model here first: cpu, cuda, cuda:1, mps (default: where the "
        "target put it).")),
    _P("fmt", _P.KEYWORD_ONLY, annotation=Format, default=FORMAT),
]
_PLOT = _P("plot", _P.KEYWORD_ONLY, annotation=Path | None, default=typer.Option(
    None, "--plot", dir_okay=False, help="Write a PNG plot here."))
_PROFILE = [
    _P("profile", _P.KEYWORD_ONLY, annotation=Path | None, default=typer.Option(
        None, "--profile", "-p", dir_okay=False, help="Your profile: it fills the options not given, and "
        "the table shows the value `advisor recommend --probes` starts from, with the rules that moved it.")),
    _P("rules_dir", _P.KEYWORD_ONLY, annotation=Path | None, default=RULES_DIR),
]


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def _help(field: Any) -> str:
    default = field.default
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    return (field.description or "") + ("" if default is None else f" (default {shown})")


def _metavar(annotation: Any) -> str:
    """INT, FLOAT, TEXT, a|b for a choice, X,Y,... for a list - read from the field's type."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _metavar(args[0])
    if typing.get_origin(annotation) is typing.Literal:
        return "|".join(map(str, args)) if len(args) <= 4 else "NAME"
    if typing.get_origin(annotation) is tuple:
        return _metavar(args[0]) + ",..."
    if typing.get_origin(annotation) is typing.Annotated:
        return _metavar(args[0])
    return {int: "INT", float: "FLOAT"}.get(annotation, "TEXT")


def _register(kind: EvidenceKind) -> None:
    assert kind.options is not None
    fields = [_P(name, _P.KEYWORD_ONLY, annotation=str | None,
                 default=typer.Option(None, flag(name), help=_help(field), show_default=False,
                                      metavar=_metavar(field.annotation)))
              for name, field in kind.options.model_fields.items()]
    params = [*_COMMON[:1], *fields, *_COMMON[1:], *([_PLOT] if kind.plot else []),
              *(_PROFILE if kind.from_profile or kind.parameter else [])]

    def command(**given: Any) -> None:
        _run(kind, given)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = kind.doc
    app.command(kind.name, help=kind.doc)(command)


def _is_sequence(annotation: Any) -> bool:
    """A tuple field, possibly optional: given on the command line as comma-separated values."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_sequence(a) for a in typing.get_args(annotation))
    return typing.get_origin(annotation) is tuple


def options_of(kind: EvidenceKind, given: dict[str, str], profile: Profile | None) -> BaseModel:
    """The probe's options: its defaults, then what the profile states, then the flags given."""
    assert kind.options is not None
    fields = kind.options.model_fields
    values: dict[str, Any] = {}
    if profile is not None and kind.from_profile is not None:
        stated = kind.from_profile(profile, frozenset(given))
        values |= {k: v for k, v in stated.items() if v is not None and k in fields}
    for name, raw in given.items():
        values[name] = ([part.strip() for part in raw.split(",") if part.strip()]
                        if _is_sequence(fields[name].annotation) else raw)
    try:
        return kind.options.model_validate(values)
    except ValidationError as exc:
        raise ProbeError("; ".join(_problem(e, given) for e in exc.errors(include_url=False))) from None


def _problem(error: Any, given: dict[str, str]) -> str:
    loc = error["loc"]
    name = str(loc[0]) if loc else ""
    where = flag(name) if name in given else name
    if error["type"] == "literal_error":
        return f"unknown {name.replace('_', ' ')} {error['input']!r}; allowed: {error['ctx']['expected']}"
    if len(loc) > 1 and error["type"] in ("float_parsing", "int_parsing"):
        return f"{where} must be comma-separated numbers, got {given.get(name, error['input'])!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _run(kind: EvidenceKind, args: dict[str, Any]) -> None:
    target, device, fmt = args.pop("target"), args.pop("device"), args.pop("fmt")
    plot, profile_path = args.pop("plot", None), args.pop("profile", None)
    rules_dir = args.pop("rules_dir", None)
    profile = load_profile(profile_path) if profile_path is not None else None
    options = options_of(kind, {k: v for k, v in args.items() if v is not None}, profile)
    from advisor_probes.runners import run_probe  # torch, only once a probe runs

    terminal = Terminal()
    try:
        with terminal.progress(kind.title, total=100) as advance:
            result = run_probe(kind.name, target, options, device=device,
                               progress=lambda done, status: advance(
                                   None if done is None else round(100 * done), status))
    except KeyboardInterrupt:
        raise Interrupted(f"the {kind.title.lower()} did not finish; nothing was saved "
                          "(its result is printed, and --plot written, only at the end)") from None
    if plot is not None and kind.plot:
        try:
            terminal.note(f"wrote {import_callable(kind.plot, what='plot')(result, plot)}")
        except KeyboardInterrupt:
            raise Interrupted(f"while writing {plot}, which may be incomplete; the result was not "
                              "printed") from None
    if fmt is Format.yaml:
        terminal.raw(dump_yaml(result.model_dump(mode="json")))
    elif fmt is Format.json:
        terminal.raw(result.model_dump_json(indent=2) + "\n")
    elif kind.consumer == "diagnose":
        terminal.diagnosis(diagnose(**{kind.slot: result}), f"{target} ({kind.title.lower()})")
    else:
        terminal.evidence(result)
        if profile is not None and kind.parameter:
            rec = recommend(profile, ProbeResults(**{kind.slot: result}), kb=knowledge_base(rules_dir))
            terminal.explanation(kind.parameter, rec, f"\nWith {profile.name or 'your profile'}, "
                                 "`advisor recommend --probes` starts from:")


for _kind in probe_kinds():
    _register(_kind)
