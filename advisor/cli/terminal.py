"""All terminal output goes through one Terminal, which owns the rich Console."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..probe_results import BatchProbeResult, LRRangeResult
from ..recommendation import Recommendation
from ..rule import Rule

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


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

    def raw(self, text: str) -> None:
        """Machine-readable output, written as-is (no wrapping, no markup)."""
        self.out.file.write(text)
        self.out.file.flush()

    def note(self, message: str) -> None:
        self.err.print(Text(message, style="dim"))

    @contextmanager
    def progress(self, title: str, total: int | None) -> Iterator[Callable[[int | None, str], None]]:
        """A progress bar on stderr (stdout stays clean for --format json)."""
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

    def lr_result(self, r: LRRangeResult) -> None:
        style = "green" if r.status == "ok" else "yellow"
        self.out.print(Text(f"LR range test ({r.optimizer}, {r.steps_run} steps, seed {r.seed}): ",
                            style="bold") + Text(r.status, style=style))
        if r.reason:
            self.out.print(Text(r.reason, style=style))
        table = Table(show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value")
        rows = [("suggested lr", r.suggested_lr), ("range", None if r.lr_low is None else
                 f"[{r.lr_low:.3g}, {r.lr_high:.3g}]"), ("confidence", r.confidence),
                ("loss minimum at lr", r.min_loss_lr), ("diverged at lr", r.diverged_at_lr)]
        rows += [(f"pick: {p.method}", p.lr) for p in r.picks]
        rows += [("state restored", "yes, bit for bit" if r.state_restored else "NO")]
        for name, value in rows:
            if value is not None:
                table.add_row(name, f"{value:.3g}" if isinstance(value, float) else str(value))
        self.out.print(table)

    def batch_result(self, r: BatchProbeResult) -> None:
        mib = 1 << 20
        style = "green" if r.status == "ok" else "red"
        self.out.print(Text(f"Batch-size probe on {r.device}: ", style="bold") + Text(r.status, style=style))
        if r.reason:
            self.out.print(Text(r.reason, style=style))
        table = Table(show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value")
        rows = [("budget", f"{r.budget_bytes / mib:,.1f} MiB"),
                ("resident (weights, grads, optimizer)", f"{r.resident_bytes / mib:,.2f} MiB"),
                ("largest batch that fits", r.predicted_max_batch),
                ("recommended (power of two)", r.recommended_batch),
                ("gradient accumulation", r.gradient_accumulation_steps),
                ("peak at recommended", None if r.peak_at_recommended_bytes is None
                 else f"{r.peak_at_recommended_bytes / mib:,.2f} MiB"),
                ("real steps run / OOMs", f"{r.real_runs} / {r.ooms}"),
                ("method", ("exact envelope, " + ("confirmed" if r.confirmed else "NOT confirmed here"))
                 if r.exact else "measured (doubling + bisection)"),
                ("state restored", "yes, bit for bit" if r.state_restored else "NO")]
        for name, value in rows:
            if value is not None:
                table.add_row(name, str(value))
        self.out.print(table)

    def recommendation(self, rec: Recommendation, title: str) -> None:
        facts = ", ".join(f"{k}={v}" for k, v in rec.facts.items())
        self.out.print(Text(title, style="bold"), Text(f"  ({facts})", style="dim"))
        config = Table(title="Starting config", title_justify="left", expand=False)
        config.add_column("parameter", style="bold", no_wrap=True)
        config.add_column("value")
        config.add_column("decided by", style="dim", overflow="fold")
        for name, value in rec.config.items():
            rules = [e.rule for e in rec.explanations.get(name, ()) if not e.overridden_by
                     and e.effect.startswith(("default", "=", "capped", "range ×"))]
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

    def explanation(self, name: str, rec: Recommendation) -> None:
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
