"""The packages by concern and their layering: every import (lazy ones included) points down.

A static read of the source, as a tool would do it: each `import` / `from ... import` resolves to a
folder, and the package graph has no cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
FOLDERS = {"advisor": ROOT / "advisor", "advisor_probes": ROOT / "probes" / "advisor_probes",
           "advisor_api": ROOT / "api" / "advisor_api", "advisor_rules": ROOT / "rules" / "advisor_rules"}
# Layers, lowest first; a unit may import from its own layer's unit and from units listed before it.
LAYERS = [
    {"advisor.errors", "advisor.yamlio", "advisor.jsonio", "advisor.user_code", "advisor.version"},
    {"advisor.profile"},
    {"advisor.evidence"},
    {"advisor.core", "advisor_rules"},
    {"advisor.outputs"},
    {"advisor.tuning", "advisor_probes"},
    {"advisor.jobs"},
    {"advisor.integrations"},
    {"advisor.cli", "advisor_api", "advisor"},
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "advisor":
        return parts[0] if parts[0] in RANK else None
    return ".".join(parts[:2]) if len(parts) > 1 and ".".join(parts[:2]) in RANK else "advisor"


def imports(path: Path, package: str) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((name, node.lineno))
            found += [(f"{name}.{alias.name}", node.lineno) for alias in node.names]
    return found


def edges() -> list[tuple[str, str, str]]:
    out = []
    for top, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("").parts
            module = ".".join((top, *rel))
            package = module.rsplit(".", 1)[0] if rel[-1] != "__init__" else module.removesuffix(".__init__")
            source = unit_of(module.removesuffix(".__init__"))
            for name, line in imports(path, package):
                target = unit_of(name)
                if target and source and target != source:
                    out.append((source, target, f"{path.relative_to(ROOT)}:{line} imports {name}"))
    return out


def test_every_first_party_import_resolves_to_a_file_in_its_folder() -> None:
    missing = []
    for _, _, where in edges():
        name = where.rsplit(" ", 1)[1]
        top, *rest = name.split(".")
        folder = FOLDERS[top]
        for cut in range(len(rest), -1, -1):
            candidate = folder.joinpath(*rest[:cut])
            if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
                break
        else:
            missing.append(where)
    assert missing == []


def test_imports_point_down_the_layers() -> None:
    upward = [where for source, target, where in edges()
              if RANK[target] > RANK[source] and not (source == "advisor" and target == "advisor")]
    assert upward == []


def test_the_package_graph_has_no_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for source, target, _ in edges():
        graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    cycles = [c for n in sorted(graph) if n not in state and (c := visit(n, []))]
    assert cycles == []
