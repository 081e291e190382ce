"""The `advisor` command line: one module per command, errors turned into messages here only."""

from __future__ import annotations

import re
import sys
import traceback

import typer

from advisor.cli import diagnose, explain, probe, recommend, rules, serve, tune
from advisor.cli.terminal import Terminal
from advisor.errors import AdvisorError, InternalError, MissingDependencyError, UserModelError

app = typer.Typer(
    name="advisor",
    help="Hyperparameter advice from a rule base: a starting config and a search space, explained.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an error."),
) -> None:
    """hparam-advisor."""


app.command("recommend")(recommend.command)
app.command("explain")(explain.command)
app.command("diagnose")(diagnose.command)
app.add_typer(rules.app, name="rules")
app.add_typer(probe.app, name="probe")
app.command("tune")(tune.command)
app.command("serve")(serve.command)

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
         "study": "--study"}
_PARAM = re.compile(r"`([a-z_]+)`")


def as_flags(message: str) -> str:
    return _PARAM.sub(lambda m: FLAGS.get(m.group(1), m.group(0)), message)


def main(argv: list[str] | None = None) -> int:
    """Entry point. User errors: one line (or one per problem) on stderr and exit code 2."""
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
    except (typer.Abort, KeyboardInterrupt):
        terminal.error("interrupted")
        return 130
    except typer.TyperException as exc:  # usage errors: missing argument, bad option value
        show = getattr(exc, "show", None)
        if show is None:
            terminal.error(str(exc))
        else:
            show()
        return int(getattr(exc, "exit_code", EXIT_USAGE))
    return result if isinstance(result, int) else 0


