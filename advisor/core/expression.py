"""The condition language of rules: a typed, whitelisted subset of Python expression syntax.

Text is parsed with `ast`, every node is checked against a whitelist and typed against the fact
registry, then turned into plain closures. Nothing is ever passed to eval/exec: an unknown fact,
a wrong type, a call, an attribute or a subscript is an error at load time.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.core.facts import FactSpec
from advisor.errors import ExpressionError

Facts = Mapping[str, Any]
Fn = Callable[[Facts], Any]

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.In: "in", ast.NotIn: "not in"}
_CONSTANT_NAMES = {"true": True, "false": False, "True": True, "False": False}
_LIMIT_COMBINATIONS = 50_000


def _safe_div(a: float, b: float) -> float:
    # Dividing by zero gives inf rather than an exception: a rule never crashes the engine.
    return a / b if b else float("inf")


def _as_float(x: Any) -> float:
    """A number as a float; an int beyond the float range as the infinity of its sign."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _overflowed(op: Callable[[Any, Any], Any], a: Any, b: Any) -> float:
    """What `op(a, b)` is in floats when an int too large for a float met a float (or a quotient of
    ints is): the overflow becomes inf, as it would between floats, instead of an exception."""
    if op is _safe_div and b and isinstance(a, int) and isinstance(b, int):
        return math.inf if (a > 0) == (b > 0) else -math.inf  # |a / b| is beyond the float range
    return float(op(_as_float(a), _as_float(b)))


def _safe_pow(a: float, b: float) -> float:
    # Published scaling-law fits need powers; overflow and complex results become inf / nan
    # rather than exceptions.
    try:
        out = float(a) ** float(b)
    except (OverflowError, ZeroDivisionError):
        return float("inf")
    return out if isinstance(out, float) else float("nan")


_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: _safe_div,
          ast.Pow: _safe_pow}


@dataclass(frozen=True)
class _Typed:
    fn: Fn
    type: str  # "bool" | "num" | "str"
    fact: FactSpec | None = None  # the fact, when the node is a bare fact name
    const: Any = None
    is_const: bool = False

    @property
    def name(self) -> str | None:
        return self.fact.name if self.fact is not None else None


# Closures specialised for the common shapes: each saves a Python call (or a generator) per
# evaluation, and the engine evaluates a few hundred conditions per recommendation.
def _all(fns: tuple[Fn, ...]) -> Fn:
    if len(fns) == 2:
        a, b = fns
        return lambda f: bool(a(f) and b(f))
    if len(fns) == 3:
        a, b, c = fns
        return lambda f: bool(a(f) and b(f) and c(f))
    return lambda f: all(fn(f) for fn in fns)


def _any(fns: tuple[Fn, ...]) -> Fn:
    if len(fns) == 2:
        a, b = fns
        return lambda f: bool(a(f) or b(f))
    return lambda f: any(fn(f) for fn in fns)


def _comparison(op: Callable[[Any, Any], bool], left: _Typed, right: _Typed) -> Fn:
    name, lf, rf = left.name, left.fn, right.fn
    if name is not None and right.is_const:
        const = right.const
        return lambda f: op(f[name], const)
    if name is not None and right.name is not None:
        other = right.name
        return lambda f: op(f[name], f[other])
    return lambda f: op(lf(f), rf(f))


@dataclass(frozen=True)
class Expression:
    """A compiled condition or numeric expression."""

    text: str
    evaluate: Fn
    type: str
    facts: frozenset[str]
    atoms: int  # comparisons and bare boolean facts: the rule's specificity
    candidates: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # Necessary tests on one enum or bool fact each: (fact, the values that can make it true). A
    # condition is false whenever one of its gates fails, so the engine indexes rules by them.
    gates: tuple[tuple[str, frozenset[Any]], ...] = ()

    def satisfiable(self, specs: Mapping[str, FactSpec]) -> bool | None:
        """Whether some assignment of the facts makes it true; None when too many to try."""
        names = sorted(self.facts)
        domains = [self.candidates.get(n) or _domain(specs[n]) for n in names]
        if math.prod(len(d) for d in domains) > _LIMIT_COMBINATIONS:
            return None
        return any(self.evaluate(dict(zip(names, combo, strict=True)))
                   for combo in itertools.product(*domains))


def jointly_satisfiable(exprs: tuple[Expression, ...], specs: Mapping[str, FactSpec]) -> bool | None:
    """Whether one assignment of the facts makes every expression true; None when too many to try.

    Derived facts are free variables here: rules that set them are not followed. Each expression's
    satisfying assignments are extended by the next one's remaining facts only, so a selective
    first condition keeps the search small."""
    candidates: dict[str, set[Any]] = {}
    for e in exprs:
        for name, values in e.candidates.items():
            candidates.setdefault(name, set()).update(values)

    def domain(name: str) -> tuple[Any, ...]:
        return tuple(sorted(candidates[name])) if name in candidates else _domain(specs[name])

    partial: list[dict[str, Any]] = [{}]
    tried = 0
    for e in exprs:
        new = sorted(e.facts - set(partial[0]))
        domains = [domain(n) for n in new]
        extended = []
        for base in partial:
            facts = dict(base)
            for combo in itertools.product(*domains):
                tried += 1
                if tried > _LIMIT_COMBINATIONS:
                    return None
                facts.update(zip(new, combo, strict=True))
                if e.evaluate(facts):
                    if e is exprs[-1]:
                        return True
                    extended.append(dict(facts))
        if not extended:
            return False
        partial = extended
    return True


def _domain(spec: FactSpec) -> tuple[Any, ...]:
    if spec.type == "bool":
        return (False, True)
    if spec.type == "enum":
        return spec.values
    return (0, 1, 2, 10, 1000, 10**6, 10**9)


class _Compiler:
    def __init__(self, text: str, specs: Mapping[str, FactSpec]) -> None:
        self.text = text
        self.specs = specs
        self.facts: set[str] = set()
        self.atoms = 0
        self.numbers: set[float] = set()

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        col = getattr(node, "col_offset", None)
        where = f" at column {col + 1}" if col is not None else ""
        return ExpressionError(f"{message}{where} in `{self.text}`")

    def compile(self, node: ast.AST) -> _Typed:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, f"{type(node).__name__} is not allowed in a condition "
                            "(allowed: facts, constants, comparisons, and/or/not, in, + - * / **)")
        return method(node)

    def _bare_fact(self, node: ast.AST) -> None:
        # A bare boolean fact (`batchnorm`, `not fine_tune`) is a test too: it adds specificity.
        if isinstance(node, ast.Name) and node.id not in _CONSTANT_NAMES:
            self.atoms += 1

    def _BoolOp(self, node: ast.BoolOp) -> _Typed:
        for value in node.values:
            self._bare_fact(value)
        parts = [self.compile(v) for v in node.values]
        for part, value in zip(parts, node.values, strict=True):
            if part.type != "bool":
                raise self.fail(value, f"`{ast.unparse(value)}` is {part.type}, expected bool")
        return _Typed(_all(tuple(p.fn for p in parts)) if isinstance(node.op, ast.And)
                      else _any(tuple(p.fn for p in parts)), "bool")

    def _UnaryOp(self, node: ast.UnaryOp) -> _Typed:
        inner = self.compile(node.operand)
        fn = inner.fn
        if isinstance(node.op, ast.Not):
            self._bare_fact(node.operand)
            if inner.type != "bool":
                raise self.fail(node, f"`not` needs a bool, got {inner.type}")
            return _Typed(lambda f: not fn(f), "bool")
        if isinstance(node.op, ast.USub | ast.UAdd) and inner.type == "num":
            if isinstance(node.op, ast.UAdd):
                return inner
            if inner.is_const:
                return _Typed(lambda f, c=-inner.const: c, "num", const=-inner.const, is_const=True)
            return _Typed(lambda f: -fn(f), "num")
        raise self.fail(node, f"unary {type(node.op).__name__} is not allowed on {inner.type}")

    def _BinOp(self, node: ast.BinOp) -> _Typed:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed (+ - * / **)")
        left, right = self.compile(node.left), self.compile(node.right)
        if left.type != "num" or right.type != "num":
            raise self.fail(node, f"arithmetic needs numbers, got {left.type} and {right.type}")
        lf, rf = left.fn, right.fn

        def arith(f: Facts) -> Any:
            a, b = lf(f), rf(f)
            try:
                return op(a, b)
            except OverflowError:
                return _overflowed(op, a, b)

        return _Typed(arith, "num")

    def _Compare(self, node: ast.Compare) -> _Typed:
        tests: list[Fn] = []
        left_node, left = node.left, self.compile(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            self.atoms += 1
            if isinstance(op, ast.In | ast.NotIn):
                tests.append(self._membership(left_node, left, op, right_node))
                left_node, left = right_node, None  # type: ignore[assignment]
                continue
            right = self.compile(right_node)
            self._check_pair(node, left, op, right)
            tests.append(_comparison(_COMPARE[type(op)], left, right))
            left_node, left = right_node, right
        return _Typed(tests[0] if len(tests) == 1 else _all(tuple(tests)), "bool")

    def _check_pair(self, node: ast.AST, left: _Typed, op: ast.cmpop, right: _Typed) -> None:
        sym = _SYMBOL[type(op)]
        if left.type != right.type:
            raise self.fail(node, f"cannot compare {left.type} {sym} {right.type}")
        if left.type != "num" and isinstance(op, _ORDERING):
            raise self.fail(node, f"`{sym}` needs numbers, got {left.type}")
        for side, other in ((left, right), (right, left)):
            if side.fact is not None and side.fact.type == "enum" and other.is_const:
                self._check_enum(node, side.fact, other.const)
        for side in (left, right):
            if side.is_const and side.type == "num":
                self.numbers.add(side.const)

    def _membership(self, node: ast.AST, left: _Typed, op: ast.cmpop, right: ast.AST) -> Fn:
        if not isinstance(right, ast.List | ast.Tuple | ast.Set):
            raise self.fail(right, "`in` needs a literal list on its right, e.g. [\"adam\", \"sgd\"]")
        items = [self.compile(elt) for elt in right.elts]
        for item, elt in zip(items, right.elts, strict=True):
            if not item.is_const:
                raise self.fail(elt, "list items must be constants")
            if item.type != left.type:
                raise self.fail(elt, f"list item {item.const!r} is {item.type}, "
                                f"expected {left.type}")
            if left.fact is not None and left.fact.type == "enum":
                self._check_enum(elt, left.fact, item.const)
            if item.type == "num":
                self.numbers.add(item.const)
        values = frozenset(i.const for i in items)
        lf, name = left.fn, left.name
        if isinstance(op, ast.In):
            return (lambda f: f[name] in values) if name else (lambda f: lf(f) in values)
        return (lambda f: f[name] not in values) if name else (lambda f: lf(f) not in values)

    def _check_enum(self, node: ast.AST, spec: FactSpec, value: Any) -> None:
        if value not in spec.values:
            raise self.fail(node, f"{value!r} is not a value of fact '{spec.name}' "
                            f"(allowed: {', '.join(spec.values)})")

    def _Name(self, node: ast.Name) -> _Typed:
        if node.id in _CONSTANT_NAMES:
            value = _CONSTANT_NAMES[node.id]
            return _Typed(lambda f: value, "bool", const=value, is_const=True)
        spec = self.specs.get(node.id)
        if spec is None:
            close = difflib.get_close_matches(node.id, list(self.specs), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.fail(node, f"unknown fact '{node.id}'{hint}")
        self.facts.add(node.id)
        name = node.id
        kind = {"bool": "bool", "enum": "str"}.get(spec.type, "num")
        return _Typed(lambda f: f[name], kind, fact=spec)

    def _Constant(self, node: ast.Constant) -> _Typed:
        value = node.value
        if isinstance(value, bool):
            kind = "bool"
        elif isinstance(value, int | float):
            kind = "num"
        elif isinstance(value, str):
            kind = "str"
        else:
            raise self.fail(node, f"constant {value!r} is not allowed")
        return _Typed(lambda f: value, kind, const=value, is_const=True)

    def candidates(self) -> dict[str, tuple[Any, ...]]:
        """Values worth trying per fact when checking whether a condition can ever hold."""
        probes = {0.0, 1.0}
        for c in self.numbers:
            probes.update({c, c - 1, c + 1, c / 2, c * 2, c * 1000, c / 1000})
        # Facts are counts and sizes, non-negative, unless the condition compares with a negative
        # constant: then its author says the fact can go below zero (a loss that rose: drop < -1).
        signed = any(c < 0 for c in self.numbers)
        out: dict[str, tuple[Any, ...]] = {}
        for name in self.facts:
            spec = self.specs[name]
            if spec.numeric:
                vals = sorted(v for v in probes if v >= 0 or signed)
                out[name] = tuple(int(v) if spec.type == "int" else v for v in vals)
        return out


def compile_expression(
    text: str, specs: Mapping[str, FactSpec], expect: str = "bool"
) -> Expression:
    """Parse, check and compile `text`; raise ExpressionError naming what is wrong and where."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression must be a non-empty string")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: `{text}`") from None
    compiler = _Compiler(text.strip(), specs)
    compiler._bare_fact(tree.body)
    typed = compiler.compile(tree.body)
    if typed.type != expect:
        raise ExpressionError(f"`{text}` is {typed.type}, expected {expect}")
    return Expression(
        text=compiler.text,
        evaluate=typed.fn,
        type=typed.type,
        facts=frozenset(compiler.facts),
        atoms=compiler.atoms,
        candidates=compiler.candidates(),
        gates=_gates(tree.body, specs) if typed.type == "bool" else (),
    )


def _gates(node: ast.AST, specs: Mapping[str, FactSpec]) -> tuple[tuple[str, frozenset[Any]], ...]:
    """The conjuncts of a checked condition that test one enum or bool fact against constants."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return tuple(gate for value in node.values for gate in _gates(value, specs))
    negate = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)
    inner = node.operand if negate else node  # type: ignore[attr-defined]
    if isinstance(inner, ast.Name) and inner.id in specs and specs[inner.id].type == "bool":
        return ((inner.id, frozenset({not negate})),)
    if negate or not (isinstance(inner, ast.Compare) and len(inner.ops) == 1
                      and isinstance(inner.left, ast.Name) and inner.left.id in specs):
        return ()
    spec, op, right = specs[inner.left.id], inner.ops[0], inner.comparators[0]
    domain = frozenset(spec.values) if spec.type == "enum" else frozenset({False, True})
    if spec.type not in ("enum", "bool"):
        return ()
    if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Constant):
        values = frozenset({right.value})
    elif isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.List | ast.Tuple | ast.Set):
        values = frozenset(e.value for e in right.elts if isinstance(e, ast.Constant))
    else:
        return ()
    allowed = values if isinstance(op, ast.Eq | ast.In) else domain - values
    return ((spec.name, allowed),)
