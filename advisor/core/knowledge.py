"""Loading and checking the knowledge base. All-or-nothing: any problem refuses the whole KB."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter, ValidationError

from advisor.core import check_cache
from advisor.core.effects import (
    PARAM_FIELDS,
    BaseParamEffect,
    Effect,
    SearchEffect,
    SetFact,
    StepEffect,
    VerdictEffect,
    effect_items,
)
from advisor.core.exclusions import EXCLUSIONS_FILE, Exclusion, load_exclusions
from advisor.core.expression import Expression, ExpressionError, compile_expression
from advisor.core.facts import FACTS, VERDICTS
from advisor.core.params import PARAMS, ParamSpec
from advisor.core.rule import Rule, RuleSpec, Source
from advisor.errors import InputFileError, KnowledgeBaseError, RuleProblem, UnknownRuleError
from advisor.profile.model import problems_from_error_dicts, problems_from_validation
from advisor.yamlio import load_yaml, load_yaml_items

SOURCES_FILE = "sources.yaml"
TEMPLATE_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*)(?::([^{}]*))?\}")


@dataclass(frozen=True)
class KnowledgeBase:
    rules: tuple[Rule, ...]
    sources: Mapping[str, Source]
    documents: Mapping[str, Mapping[str, Any]]
    directory: str
    exclusions: tuple[Exclusion, ...] = ()
    # Indexes the engine and the assembly derive from the rules alone, built on first use and kept
    # with the KB they describe (advisor.core.engine's plans, advisor.core.recommendation's parts).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {rule.id: rule for rule in self.rules})

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, rule_id: str) -> Rule:
        try:
            return self._by_id[rule_id]  # type: ignore[attr-defined]
        except KeyError:
            close = difflib.get_close_matches(rule_id, list(self._by_id), n=3)  # type: ignore[attr-defined]
            raise UnknownRuleError(rule_id, close) from None

    def cite(self, source_id: str) -> str:
        """'LR-01: S0 14.2.6' — the human form of a citation."""
        src = self.sources.get(source_id)
        return f"{source_id}: {src.section}" if src and src.section else source_id


def default_rules_dir() -> Path:
    """The rules shipped with the package (installed as `advisor_rules`)."""
    return Path(str(resources.files("advisor_rules")))


@cache
def default_knowledge_base() -> KnowledgeBase:
    """The shipped KB, loaded once per process (a cache, not mutable global state)."""
    return load_knowledge_base()


def load_knowledge_base(directory: str | Path | None = None) -> KnowledgeBase:
    """Load and check every rule file in `directory`; raise KnowledgeBaseError on any problem."""
    kb, problems = _load(Path(directory) if directory else default_rules_dir(), use_cache=True)
    if problems or kb is None:
        raise KnowledgeBaseError(problems)
    return kb


def check_rules(directory: str | Path | None = None) -> tuple[KnowledgeBase | None, list[RuleProblem]]:
    """The linter: the KB if it is clean, and every problem found."""
    return _load(Path(directory) if directory else default_rules_dir())


class _Problems(list[RuleProblem]):
    def add(self, file: str, line: int, rule_id: str | None, message: str) -> None:
        self.append(RuleProblem(file, line, rule_id, message))


def _load(directory: Path, use_cache: bool = False) -> tuple[KnowledgeBase | None, list[RuleProblem]]:
    """`use_cache`: skip the exhaustive satisfiability searches for rule files that passed them
    before (advisor.core.check_cache); the linter never does."""
    problems = _Problems()
    if not directory.is_dir():
        problems.add(str(directory), 0, None, "not a directory")
        return None, problems
    key = check_cache.digest(directory.glob("*.yaml"))
    exhaustive = not (use_cache and check_cache.already_checked(key))
    files = _YamlFiles({} if exhaustive else check_cache.parsed_files(key))
    documents, sources = _load_sources(directory / SOURCES_FILE, problems, files)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    paths = sorted(p for p in directory.glob("*.yaml") if p.name not in (SOURCES_FILE, EXCLUSIONS_FILE))
    if not paths:
        problems.add(str(directory), 0, None, "no rule files (*.yaml) found")
    for path in paths:
        for raw, line in _rule_entries(path, problems, files):
            rule_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(rule_id, str):
                if rule_id in seen:
                    problems.add(path.name, line, rule_id,
                                 f"duplicate rule id (first at {seen[rule_id]})")
                    continue
                seen[rule_id] = f"{path.name}:{line}"
            rule = _build_rule(raw, path.name, line, len(rules), sources, problems, exhaustive)
            if rule is not None:
                rules.append(rule)
    _check_reachability(rules, problems)
    exclusions = load_exclusions(
        directory / EXCLUSIONS_FILE, {r.id: r for r in rules},
        lambda line, message: problems.add(EXCLUSIONS_FILE, line, None, message), exhaustive, files.items)
    if problems:
        return None, sorted(problems, key=lambda p: (p.file, p.line))
    if exhaustive:
        check_cache.record_checked(key, files.parsed)
    return KnowledgeBase(tuple(rules), sources, documents, str(directory), exclusions), []


class _YamlFiles:
    """The rule files as the YAML reader returns them: from the check cache's record of this very
    directory state when there is one, else parsed (and kept in `parsed` for the record)."""

    def __init__(self, recorded: dict[str, Any]) -> None:
        self.recorded = recorded
        self.parsed: dict[str, Any] = {}

    def items(self, path: Path) -> tuple[Any, list[int]]:
        value = self.recorded.get(path.name)
        if value is None:
            value = load_yaml_items(path.read_text(encoding="utf-8"), path.name)
        self.parsed[path.name] = value
        return value  # type: ignore[no-any-return]

    def document(self, path: Path) -> Any:
        value = self.recorded.get(path.name)
        if value is None:
            value = (load_yaml(path.read_text(encoding="utf-8"), path.name),)
        self.parsed[path.name] = value
        return value[0]


def _load_sources(path: Path, problems: _Problems,
                  files: _YamlFiles) -> tuple[dict[str, Any], dict[str, Source]]:
    try:
        data = files.document(path)
    except FileNotFoundError:
        problems.add(path.name, 0, None, "missing: the citation ids rules may use")
        return {}, {}
    except InputFileError as exc:
        problems.add(path.name, 0, None, str(exc))
        return {}, {}
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        problems.add(path.name, 1, None, "expected a mapping with 'documents' and 'sources'")
        return {}, {}
    documents = data.get("documents") or {}
    sources = {}
    for sid, entry in data["sources"].items():
        entry = entry or {}
        docs = tuple(entry.get("documents") or ())
        unknown = [d for d in docs if d not in documents]
        if unknown:
            problems.add(path.name, 0, None, f"source {sid}: unknown documents {unknown}")
        sources[sid] = Source(sid, docs, str(entry.get("section", "")), str(entry.get("text", "")))
    return documents, sources


def _rule_entries(path: Path, problems: _Problems, files: _YamlFiles) -> Iterator[tuple[Any, int]]:
    try:
        data, lines = files.items(path)
    except (InputFileError, OSError, UnicodeDecodeError) as exc:
        problems.add(path.name, _line_of(str(exc)), None, str(exc).split(": ", 1)[-1])
        return
    if data is None:
        return
    if not isinstance(data, list):
        problems.add(path.name, 1, None, "a rule file is a YAML list of rules")
        return
    yield from zip(data, lines, strict=True)


def _line_of(message: str) -> int:
    head = message.split(": ", 1)[0]
    tail = head.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _build_rule(raw: Any, file: str, line: int, order: int, sources: Mapping[str, Source],
                problems: _Problems, exhaustive: bool = True) -> Rule | None:
    """YAML item -> RuleSpec (pydantic) -> typed effects (pydantic, the `Effect` union) -> checks ->
    compiled expressions -> Rule, by keyword. Every problem is reported, none stops the others."""
    rule_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    before = len(problems)

    def bad(message: str) -> None:
        problems.add(file, line, rule_id, message)

    try:
        spec = RuleSpec.model_validate(raw)
    except ValidationError as exc:
        for p in problems_from_validation(exc):
            bad(str(p))
        return None
    for sid in spec.source:
        if sid not in sources:
            close = difflib.get_close_matches(sid, list(sources), n=1)
            bad(f"unknown source id {sid!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    when = _compile(spec.when if isinstance(spec.when, str) else str(spec.when).lower(), "bool", bad)
    if not spec.then:
        bad("`then` concludes nothing")
    items, unreadable = effect_items(spec.then, PARAMS)
    for message in unreadable:
        bad(message)
    effects = [e for where, item in items if (e := _effect(where, item, bad)) is not None]
    for effect in effects:
        check = _CHECKS.get(type(effect))
        if check is not None:
            check(effect, bad)
    by_param: dict[str, list[Any]] = {}
    for effect in effects:
        if isinstance(effect, BaseParamEffect):
            by_param.setdefault(effect.param, []).append(effect)
    for name, group in by_param.items():
        _check_param(PARAMS[name], group, bad)
    expressions = {}
    for effect in effects:
        for label, text in effect.expression_texts().items() if isinstance(effect, BaseParamEffect) else ():
            compiled = _compile(text, "num", lambda m, k=effect.param, a=label: bad(f"{k}.{a}: {m}"))
            if compiled is not None:
                expressions[effect.param, label] = compiled
    if exhaustive and when is not None and len(problems) == before and when.satisfiable(FACTS) is False:
        bad(f"never fires: no facts can make `{when.text}` true")
    if len(problems) > before or when is None:
        return None
    return Rule(id=spec.id, source=spec.source, when=when, salience=spec.salience,
                because=spec.because.strip(), effects=tuple(effects), expressions=expressions,
                file=file, line=line, order=order)


@cache
def _effect_adapter() -> TypeAdapter[Any]:
    return TypeAdapter(Effect)


def _effect(where: str, item: dict[str, Any], bad: Any) -> Any:
    """One tagged item validated as the `Effect` union; errors named `<yaml key>.<field>: ...`."""
    try:
        return _effect_adapter().validate_python(item)
    except ValidationError as exc:
        errors = [{**e, "loc": e["loc"][1:]} for e in exc.errors(include_url=False)]  # drop the tag
        for p in problems_from_error_dicts(errors):
            bad(f"{where}.{p}")
        return None


def _check_set(effect: SetFact, bad: Any) -> None:
    spec = FACTS.get(effect.fact)
    if spec is None:
        bad(f"set: unknown fact {effect.fact!r}")
    elif not spec.derived:
        bad(f"set: fact {effect.fact!r} comes from the profile; rules cannot change it")
    elif not spec.accepts(effect.value):
        allowed = f" (allowed: {', '.join(spec.values)})" if spec.values else ""
        bad(f"set: {effect.fact}={effect.value!r} is not a valid {spec.type}{allowed}")


def _check_search(effect: SearchEffect, bad: Any) -> None:
    for name in effect.include + effect.exclude:
        if name not in PARAMS:
            bad(f"search: unknown hyperparameter {name!r}")


def _check_verdict(effect: VerdictEffect, bad: Any) -> None:
    if _known_verdict(effect.name, "verdict.name", bad):
        _check_template(effect.evidence, bad)


def _check_step(effect: StepEffect, bad: Any) -> None:
    _known_verdict(effect.verdict, "step.verdict", bad)


# What the loader checks beyond the schema, per effect kind (parameter effects: `_check_param`).
_CHECKS: dict[type, Any] = {SetFact: _check_set, SearchEffect: _check_search,
                            VerdictEffect: _check_verdict, StepEffect: _check_step}


def _known_verdict(name: str, where: str, bad: Any) -> bool:
    if name in VERDICTS:
        return True
    close = difflib.get_close_matches(name, VERDICTS, n=1)
    bad(f"{where}: unknown verdict {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return False


def _check_template(text: str, bad: Any) -> None:
    """Evidence quotes facts by name; each must exist and format as a number."""
    for name, spec in TEMPLATE_FIELD.findall(text):
        fact = FACTS.get(name)
        if fact is None:
            bad(f"verdict.evidence: unknown fact {{{name}}}")
            continue
        try:
            format(1.0 if fact.numeric else "x", spec)
        except ValueError as exc:
            bad(f"verdict.evidence: bad format {{{name}:{spec}}}: {exc}")


def _compile(text: str, expect: str, bad: Any) -> Expression | None:
    try:
        return compile_expression(text, FACTS, expect)
    except ExpressionError as exc:
        bad(f"when: {exc}" if expect == "bool" else str(exc))
        return None


def _check_param(spec: ParamSpec, effects: list[Any], bad: Any) -> None:
    """Checks across one hyperparameter's entry (its effects together, as written)."""
    name = spec.name
    fields = {k: v for e in effects for k, v in e if k not in ("kind", "param")}
    effect = SimpleNamespace(**dict.fromkeys(PARAM_FIELDS) | {"omit": False} | fields)
    values = [("default", effect.default)] if effect.default is not None else []
    if effect.range is not None:
        low, high = effect.range
        values += [("range low", low), ("range high", high)]
        if not low <= high:
            bad(f"{name}.range: low <= high must hold, but got low={low:g}, high={high:g}")
        if effect.scale == "log" and low <= 0:
            bad(f"{name}.range: a log scale needs low > 0, got {low:g}")
    values += [("choice", c) for c in effect.choices or ()]
    for what, value in values:
        why = spec.check_value(value)
        if why:
            bad(f"{name} {what}: {why}")
    if spec.kind in ("categorical", "structured") and (effect.range or effect.scale):
        bad(f"{name} is {spec.kind}: it takes choices, not a range or scale")
    if effect.range and effect.choices:
        bad(f"{name}: give a range or choices, not both")
    default = effect.default
    numeric = isinstance(default, int | float) and not isinstance(default, bool)
    if numeric and effect.range and not effect.range[0] <= default <= effect.range[1]:  # type: ignore[operator]
        bad(f"{name}: default {default:g} lies outside its own range "
            f"[{effect.range[0]:g}, {effect.range[1]:g}]")
    if effect.choices and default is not None and default not in effect.choices:
        bad(f"{name}: default {default!r} is not one of its choices {list(effect.choices)}")
    if effect.default_from is not None:
        fact = FACTS.get(effect.default_from)
        if fact is None:
            bad(f"{name}.default_from: unknown fact {effect.default_from!r}")
        elif fact.derived:
            bad(f"{name}.default_from: {effect.default_from!r} is derived; copy a profile fact")
        elif spec.kind in ("real", "integer") and not fact.numeric:
            bad(f"{name}.default_from: {name} is a number, fact {effect.default_from!r} is {fact.type}")
        elif spec.kind == "categorical" and fact.type != "enum":
            bad(f"{name}.default_from: {name} takes a name, fact {effect.default_from!r} is {fact.type}")
        if effect.default is not None or effect.default_expr is not None or effect.omit:
            bad(f"{name}: give one of default, default_expr, default_from, omit")
    if effect.omit and (effect.default is not None or effect.default_expr is not None):
        bad(f"{name}: omit leaves the parameter out; it cannot also give a default")
    if effect.per_batch is not None and name != "learning_rate":
        bad(f"{name}: per_batch scaling applies to learning_rate only")
    if effect.default is not None and effect.default_expr is not None:
        bad(f"{name}: give default or default_expr, not both")
    if effect.range is not None and effect.range_expr is not None:
        bad(f"{name}: give range or range_expr, not both")
    computed = effect.default_expr is not None or effect.range_expr is not None
    modifies = effect.multiply or effect.multiply_range or effect.cap is not None or effect.multiply_expr
    if (modifies or computed) and spec.kind not in (
        "real", "integer"
    ):
        bad(f"{name}: multiply/cap/expressions apply to numbers only")
    for factor in (effect.multiply, *(effect.multiply_range or ())):
        if factor is not None and not math.isfinite(factor):
            bad(f"{name}: multiply factors must be finite")


def _check_reachability(rules: list[Rule], problems: _Problems) -> None:
    """Rules that wait on a fact nobody provides never fire; derived facts must not cycle."""
    set_by: dict[str, list[Rule]] = {}
    for rule in rules:
        for name in rule.sets:
            set_by.setdefault(name, []).append(rule)
    from_profile = {name for name, spec in FACTS.items() if not spec.derived} | {"optimizer"}
    for rule in rules:
        for name in sorted(rule.needs):
            if name not in from_profile and name not in set_by:
                problems.add(rule.file, rule.line, rule.id,
                             f"never fires: fact {name!r} is derived but no rule sets it")
    # Cycle: a derived fact that (through the rules that set it) depends on itself.
    deps = {fact: {d for r in setters for d in r.needs if d in set_by and d != fact}
            for fact, setters in set_by.items()}
    for fact in sorted(deps):
        if _reaches(fact, fact, deps, set()):
            rule = set_by[fact][0]
            problems.add(rule.file, rule.line, rule.id,
                         f"rule cycle: derived fact {fact!r} depends on itself")


def _reaches(start: str, target: str, deps: Mapping[str, set[str]], seen: set[str]) -> bool:
    for nxt in deps.get(start, ()):
        if nxt == target:
            return True
        if nxt not in seen:
            seen.add(nxt)
            if _reaches(nxt, target, deps, seen):
                return True
    return False
