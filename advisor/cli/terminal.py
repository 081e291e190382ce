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

from advisor.core.diagnosis import Diagnosis
from advisor.core.recommendation import Recommendation
from advisor.core.rule import Rule
from advisor.evidence.results import BatchProbeResult, DataScalingResult, LRRangeResult, SanityResult

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
        what = "LR range test" if r.mode == "quick" else "LR search (ramp + short runs)"
        self.out.print(Text(f"{what} ({r.optimizer}, {r.cost_steps} steps, seed {r.seed}): ",
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
        rows += [(f"run at lr {t.lr:.3g}, {t.steps} steps", "diverged" if t.heldout_loss is None
                  else f"held-out loss {t.heldout_loss:.4g}") for t in r.trials]
        if r.cost_share is not None:
            rows += [("cost", f"{r.cost_steps} optimizer steps, {r.cost_share:.0%} of one run")]
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
                ("largest batch memory allows", r.memory_max_batch),
                ("training samples", r.train_samples),
                ("largest batch that fits" + (" (the data)" if r.data_limited else ""),
                 r.predicted_max_batch),
                ("recommended (power of two)", None if r.recommended_batch is None else
                 f"{r.recommended_batch}  (<= {1 - r.headroom:.0%} of the memory maximum and "
                 "<= a tenth of the data)"),
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

    def diagnosis(self, d: Diagnosis, title: str) -> None:
        head = Text(f"Diagnosis of {title}", style="bold")
        if d.history:
            h = d.history
            head += Text(f"  ({h['points']} points by {h['x']}, {h['format']}; "
                         f"columns {', '.join(h['columns'])})", style="dim")
        self.out.print(head)
        for note in (d.history or {}).get("notes", []):
            self.note(f"note: {note}")
        if d.history and d.history["ignored_columns"]:
            self.note("ignored columns: " + ", ".join(d.history["ignored_columns"]))
        if d.sanity:
            self.sanity_result(d.sanity)
        if d.scaling:
            self.scaling_result(d.scaling)
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

    def sanity_result(self, r: SanityResult) -> None:
        table = Table(title="Sanity checks", title_justify="left")
        for col in ("check", "result", "measured"):
            table.add_column(col, overflow="fold")
        styles = {"pass": "green", "fail": "bold red", "skipped": "dim"}
        for c in r.checks:
            table.add_row(c.name, Text(c.status, style=styles[c.status]), c.detail)
        self.out.print(table)

    def scaling_result(self, r: DataScalingResult) -> None:
        table = Table(title=f"Data scaling ({r.status}{': ' + r.reason if r.reason else ''})",
                      title_justify="left")
        for col in ("fraction", "samples", "train loss", "val loss"):
            table.add_column(col, justify="right")
        for p in r.points:
            table.add_row(f"{p.fraction:g}", str(p.samples), f"{p.train_loss:.4g}", f"{p.val_loss:.4g}")
        self.out.print(table)
        if r.exponent is not None and r.exponent_interval and r.gain_2x_interval and r.gain_4x_interval:
            lo, hi = r.exponent_interval
            self.out.print(f"val_loss ≈ {r.coefficient:.3g} · n^-{r.exponent:.3f}  "
                           f"(exponent 90% interval [{lo:.3f}, {hi:.3f}], R² {r.r_squared:.3f})")
            g2, g4 = r.gain_2x_interval, r.gain_4x_interval
            self.out.print(f"predicted val-loss reduction: 2x data {r.gain_2x:.1%} "
                           f"[{g2[0]:.1%}, {g2[1]:.1%}], "
                           f"4x data {r.gain_4x:.1%} [{g4[0]:.1%}, {g4[1]:.1%}]")

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
