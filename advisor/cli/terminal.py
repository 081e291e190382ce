"""All terminal output goes through one Terminal, which owns the rich Console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # annotations only: `advisor recommend` need not import the diagnosis
    from pydantic import BaseModel

    from advisor.core.diagnosis import Diagnosis
    from advisor.core.recommendation import Recommendation
    from advisor.core.rule import Rule

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


class _PlainProgress:
    """Progress as log lines: `tune: trial 3/20 done, ...`, `lr range test: 40%, ...`."""

    def __init__(self, console: Console, title: str, total: int | None, unit: str, every: int | None) -> None:
        self.console, self.title, self.total, self.unit = console, title, total, unit
        self.every = every or max(1, (total or 0) // 10)
        self.shown: int | None = None  # the last `done` written
        self.status: str | None = None  # the last status written while `done` was unknown

    def advance(self, done: int | None, status: str) -> None:
        if done is None:
            if status and status != self.status:
                self.status = status
                self._line(f"{self.title}: {status}")
            return
        last = self.shown
        if last is not None and done >= last:  # done < last: the next of several probes starts at 0
            finished = self.total is not None and done >= self.total
            if done == last or (done - last < self.every and not finished):
                return
        self.shown, self.status = done, None
        if self.unit == "%":
            head = f"{self.title}: {done}%"
        else:
            head = f"{self.title}: {self.unit} {done}" + (f"/{self.total}" if self.total else "") + " done"
        self._line(head + (f", {status}" if status else ""))

    def _line(self, text: str) -> None:
        self.console.print(Text(text), soft_wrap=True, highlight=False)


class Terminal:
    def __init__(self, stdout: Any = None, stderr: Any = None) -> None:
        self.out = Console(file=stdout or sys.stdout, highlight=False, soft_wrap=False)
        # Errors never wrap: one problem, one line, greppable.
        self.err = Console(file=stderr or sys.stderr, highlight=False, stderr=True, soft_wrap=True)

    def error(self, message: str) -> None:
        first, *rest = message.rstrip().splitlines()
        self.err.print(Text("error: ", style="bold red") + Text(first))
        for line in rest:
            self.err.print(Text(line))

    def interrupted(self, saved: str | None) -> None:
        """The one line Ctrl-C ends with: what was saved where (when the command said)."""
        self.err.print(Text("interrupted", style="bold yellow") + Text(f": {saved}" if saved else ""))

    def raw(self, text: str) -> None:
        """Machine-readable output, written as-is (no wrapping, no markup)."""
        self.out.file.write(text)
        self.out.file.flush()

    def note(self, message: str) -> None:
        self.err.print(Text(message, style="dim"))

    @contextmanager
    def progress(self, title: str, total: int | None, unit: str = "%",
                 every: int | None = None) -> Iterator[Callable[[int | None, str], None]]:
        """A progress bar on stderr (stdout stays clean for --format json). Where stderr is not a
        terminal (a log file, CI, a pipe) one plain line per meaningful change instead: `done` moved
        by `every` (default a tenth of `total`) or reached `total`, or a new status while `done` is
        unknown (a new stage). `unit` "%" shows `done` as a percentage, else as "unit done/total"."""
        if not self.err.is_terminal:
            yield _PlainProgress(self.err, title, total, unit, every).advance
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        columns = [TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}" if total else ""),
                   TextColumn("{task.fields[status]}", style="dim"), TimeElapsedColumn()]
        with Progress(*columns, console=self.err, transient=True) as bar:
            task = bar.add_task(title, total=total, status="")

            def advance(done: int | None, status: str) -> None:
                if done is None:
                    bar.update(task, status=status)
                else:
                    bar.update(task, completed=done, status=status)

            yield advance

    def evidence(self, result: BaseModel) -> None:
        """A probe result, rendered by its kind (advisor.evidence.kinds)."""
        from advisor.evidence.registry import kinds

        kind = next(k for k in kinds() if isinstance(result, k.result))
        for item in kind.render(result) if kind.render else ():
            self.out.print(item)

    def diagnosis(self, d: Diagnosis, title: str) -> None:
        head = Text(f"Diagnosis of {title}", style="bold")
        h = d.history
        if h is not None:
            head += Text(f"  ({h.points} points by {h.x}, {h.format}; columns {', '.join(h.columns)})",
                         style="dim")
        self.out.print(head)
        for note in h.notes if h is not None else ():
            self.note(f"note: {note}")
        if h is not None and h.ignored_columns:
            self.note("ignored columns: " + ", ".join(h.ignored_columns))
        if d.sanity:
            self.evidence(d.sanity)
        if d.scaling:
            self.evidence(d.scaling)
        if not d.verdicts and not d.advice:
            self.out.print(Text("No verdict: nothing the rules recognise (see the facts with -f json).",
                                style="yellow"))
        for i, v in enumerate(d.verdicts, start=1):
            name = Text(v.name.replace("_", " "), style="bold " + _SEVERITY_STYLE[v.severity])
            self.out.print(Text(f"{i}. ", style="bold") + name + Text(f"  ({v.severity})", style="dim"))
            for e in v.evidence:
                self.out.print(Text("   because ") + Text(e.text)
                               + Text(f"  [{e.rule}; {', '.join(e.source)}]", style="dim"))
            for step in v.next_steps:
                self.out.print(Text(f"   {step.order}) ", style="green") + Text(step.text)
                               + Text(f"  [{', '.join(step.source)}]", style="dim"))
        for item in d.advice:
            self.out.print(Text(f"{item.severity}: ", style=_SEVERITY_STYLE[item.severity]) + Text(item.text)
                           + Text(f"  [{', '.join(item.source)}]", style="dim"))

    def recommendation(self, rec: Recommendation, title: str) -> None:
        facts = ", ".join(f"{k}={v}" for k, v in rec.facts.items())
        self.out.print(Text(title, style="bold"), Text(f"  ({facts})", style="dim"))
        config = Table(title="Starting config", title_justify="left", expand=False)
        config.add_column("parameter", style="bold", no_wrap=True)
        config.add_column("value")
        config.add_column("decided by", style="dim", overflow="fold")
        for name, value in rec.config.items():
            rules = [e.rule for e in rec.explanations.get(name, ()) if e.moves_value]
            config.add_row(name, _value(value), ", ".join(dict.fromkeys(rules)))
        self.out.print(config)
        space = Table(title=f"Search space ({len(rec.search_space)} dimensions)",
                      title_justify="left")
        for col in ("parameter", "type", "domain", "prior"):
            space.add_column(col)
        for dim in rec.search_space:
            domain = (f"{list(dim.categories)}" if dim.type == "categorical"
                      else f"[{_value(dim.low)}, {_value(dim.high)}]")
            space.add_row(dim.name, dim.type, domain, dim.prior or "")
        self.out.print(space)
        self.out.print(Text(f"Advice ({len(rec.advice)})", style="italic"))
        for item in rec.advice:
            self.out.print(Text(f"  {item.severity:<8} ", style=_SEVERITY_STYLE[item.severity])
                           + Text(item.text) + Text(f"  [{', '.join(item.source)}]", style="dim"))
        self.out.print(Text(
            f"{len(rec.fired)} rules fired, {len(rec.conflicts)} conflicting conclusions "
            "overridden. `advisor explain <parameter> --profile FILE` shows why.", style="dim"))

    def explanation(self, name: str, rec: Recommendation, context: str | None = None) -> None:
        if context:
            self.out.print(Text(context, style="italic"))
        value = rec.config.get(name, "(not set)")
        dim = next((d for d in rec.search_space if d.name == name), None)
        head = Text(f"{name} = {_value(value)}", style="bold")
        if dim is not None:
            domain = (f"{list(dim.categories)}" if dim.type == "categorical"
                      else f"[{_value(dim.low)}, {_value(dim.high)}] {dim.prior}")
            head += Text(f"   searched over {domain}")
        self.out.print(head)
        for e in rec.explanations.get(name, ()):
            mark, style = ("x", "dim") if e.overridden_by else ("+", "green")
            line = Text(f" {mark} ", style=style) + Text(e.rule, style="bold " + style)
            line += Text(f"  {e.effect}")
            if e.overridden_by:
                line += Text(f"  (overridden by {e.overridden_by})", style="yellow")
            if e.source:
                line += Text(f"  [{', '.join(e.source)}]", style="dim")
            self.out.print(line)
            self.out.print(Text(f"     {e.because}", style="dim"))

    def rules(self, rules: list[Rule]) -> None:
        table = Table(title=f"{len(rules)} rules", title_justify="left")
        table.add_column("id", no_wrap=True)
        for col in ("salience", "when", "concludes", "source"):
            table.add_column(col, overflow="fold")
        for rule in rules:
            concludes = [*rule.params, *(f"set {k}" for k in rule.sets)]
            concludes += ["advice"] if rule.advice else []
            concludes += ["search"] if rule.search else []
            table.add_row(rule.id, str(rule.salience), rule.when.text, ", ".join(concludes),
                          ", ".join(rule.source))
        self.out.print(table)

    def rule(self, rule: Rule, citations: list[str]) -> None:
        info = rule.describe()
        self.out.print(Text(rule.id, style="bold"), Text(f"  {rule.file}:{rule.line}", style="dim"))
        self.out.print(f"when:     {info['when']}")
        self.out.print(f"salience: {rule.salience}   specificity: {rule.specificity}")
        self.out.print("then:")
        for key, value in info["then"].items():
            self.out.print(f"  {key}: {_value(value)}")
        self.out.print(f"because:  {rule.because}")
        self.out.print("source:")
        for line in citations:
            self.out.print(f"  {line}")
