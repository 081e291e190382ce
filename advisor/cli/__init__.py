"""The `advisor` command line: one module per command, errors turned into messages here only.

Commands load lazily: `advisor recommend` imports the recommend module and what it uses, nothing
of the other commands; `advisor --help` lists every command from `COMMANDS` without importing any.
"""

from __future__ import annotations

import importlib
import re
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from advisor.errors import AdvisorError, InternalError, MissingDependencyError, UserModelError


def _probe_help() -> str:  # the probe kinds come from the evidence registry
    return importlib.import_module("advisor.cli.probe").app.info.help


# name -> (module, attribute: a command function or a Typer group, the help `advisor --help` shows).
# tests/test_cli.py checks each help against the loaded command's own.
COMMANDS: dict[str, tuple[str, str, str | Callable[[], str]]] = {
    "init": ("advisor.cli.init", "command",
             "Write a profile: inferred from a model with --target, else a commented template."),
    "recommend": ("advisor.cli.recommend", "command",
                  "Recommend a starting config and a search space for PROFILE."),
    "explain": ("advisor.cli.explain", "command", "Explain how PARAMETER was decided for a profile."),
    "diagnose": ("advisor.cli.diagnose", "command",
                 "Diagnose a training run: diverged, LR too high/low, under/overfitting, plateau, ..."),
    "tune": ("advisor.cli.tune", "command",
             "Search the recommended space; every finished trial is saved before the next starts."),
    "serve": ("advisor.cli.serve", "command",
              "Serve the HTTP API (/v1/recommend, /v1/diagnose, /v1/probe-jobs, /metrics, /docs)."),
    "rules": ("advisor.cli.rules", "app", "Inspect and check the knowledge base."),
    "probe": ("advisor.cli.probe", "app", _probe_help),
}


def load_command(name: str) -> Any:
    """The click command (or group) of one entry of COMMANDS: imports its module."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A group whose commands are imported when one is run. `self.commands` holds light stubs (the
    names, for "did you mean", and the help `advisor --help` lists); the real ones load on use."""

    _listing = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = {name: TyperCommand(name=name) for name in COMMANDS}
        self._loaded: dict[str, Any] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            stub, text = self.commands[cmd_name], COMMANDS[cmd_name][2]
            stub.help = text if isinstance(text, str) else text()
            return stub
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load_command(cmd_name)
        return self._loaded[cmd_name]

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:  # typer would turn it into a bare exit code 130
            raise _CtrlC(exc) from exc

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="advisor",
    help="Hyperparameter advice from a rule base: a starting config and a search space, explained.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _show_version(value: bool) -> None:
    if value:  # eager: runs before any command module is imported
        from advisor.cli.terminal import Terminal
        from advisor.version import __version__  # its own module: no cycle through `advisor`

        Terminal().raw(f"advisor {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an error."),
    version: bool = typer.Option(False, "--version", is_eager=True, expose_value=False,
                                 callback=_show_version, help="Show the version and exit."),
) -> None:
    """hparam-advisor."""


EXIT_USAGE = 2
# Exit status by error class, most specific first (the exception's MRO decides): the one place where
# the library's errors become exit codes. sysexits.h: 69 unavailable, 70 internal software error.
EXIT_CODES: dict[type[AdvisorError], int] = {
    UserModelError: 3,  # your model/target code raised: the advisor's input was fine
    MissingDependencyError: 69,
    InternalError: 70,
    AdvisorError: EXIT_USAGE,
}


def exit_code_of(exc: AdvisorError) -> int:
    return next(EXIT_CODES[c] for c in type(exc).__mro__ if c in EXIT_CODES)


# Library messages name parameters in backticks; on the command line those are these flags.
FLAGS = {"memory": "--memory", "gpu": "--gpu", "trials": "--trials", "resume": "--resume",
         "storage": "--storage", "study_name": "--study-name",
         "sampler": "--sampler", "pruner": "--pruner"}
_PARAM = re.compile(r"`([a-z_]+)`")


def as_flags(message: str) -> str:
    return _PARAM.sub(lambda m: FLAGS.get(m.group(1), m.group(0)), message)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what the command had saved by then: `main` prints `interrupted: <saved>`."""

    def __init__(self, saved: str) -> None:
        super().__init__(saved)
        self.saved = saved


class _CtrlC(Exception):
    """A KeyboardInterrupt carried out of typer to `main` (an Exception, so typer lets it through)."""

    def __init__(self, interrupt: KeyboardInterrupt) -> None:
        super().__init__(str(interrupt))
        self.interrupt = interrupt


def _interrupted(terminal: Any, exc: BaseException | None, debug: bool) -> int:
    """Exit 130 (128 + SIGINT) with one line on what was saved where, if the command said."""
    if debug and exc is not None:
        traceback.print_exception(exc)
    terminal.interrupted(exc.saved if isinstance(exc, Interrupted) else None)
    return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point. User errors: one line (or one per problem) on stderr and exit code 2."""
    from advisor.cli.terminal import Terminal

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    terminal = Terminal()
    try:
        result = app(args=args, prog_name="advisor", standalone_mode=False)
    except AdvisorError as exc:
        if debug:
            traceback.print_exc()
        code = exit_code_of(exc)
        message = as_flags(str(exc))
        terminal.error(f"internal error (a bug, please report it): {message}" if code == 70 else message)
        return code
    except typer.Exit as exc:
        return exc.exit_code
    except _CtrlC as exc:
        return _interrupted(terminal, exc.interrupt, debug)
    except (typer.Abort, KeyboardInterrupt) as exc:
        return _interrupted(terminal, exc, debug)
    except typer.TyperException as exc:  # usage errors: missing argument, bad option value
        show = getattr(exc, "show", None)
        if show is None:
            terminal.error(str(exc))
        else:
            show()
        return int(getattr(exc, "exit_code", EXIT_USAGE))
    return result if isinstance(result, int) else 0


