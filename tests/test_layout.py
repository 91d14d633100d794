"""The package layout keeps its rules, read from the code's own imports with ``ast``.

* no import cycle between modules (lazy, function-level imports included);
* imports follow the flow data -> models -> finance/sufficiency -> scenarios -> report ->
  workflow -> cli: nothing lower imports anything higher;
* no module over ~600 lines.
"""

from __future__ import annotations

import ast
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

PKG = ROOT / "sendforecast"
MAX_LINES = 650  # "about 600"

#: Layer of each part of the package, lowest first (a module may import its own layer
#: and any lower one).  The package face (sendforecast/__init__.py) hands names on lazily
#: and sits with the report layer: only report, workflow and cli may import it.
LAYERS = [
    ("foundation", ["sendforecast.errors", "sendforecast.defaults", "sendforecast.intervals",
                    "sendforecast.years", "sendforecast.config"]),
    ("data", ["sendforecast.data"]),
    ("models", ["sendforecast.models"]),
    ("finance", ["sendforecast.finance", "sendforecast.sufficiency", "sendforecast.scap",
                 "sendforecast.sufficiency_need"]),
    ("scenarios", ["sendforecast.scenarios"]),
    ("report", ["sendforecast.report", "sendforecast"]),
    ("workflow", ["sendforecast.workflow", "sendforecast.batch"]),
    ("cli", ["sendforecast.cli", "sendforecast.__main__"]),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _resolve(mod: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(mod: str) -> set[str]:
    """Internal modules that ``mod`` imports anywhere in its body (lazy imports included)."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(mod, node, path.name == "__init__.py")
            names = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target
                     for a in node.names]
        else:
            continue
        for n in names:
            while n and n not in MODULES:  # `import sendforecast.x.y` -> nearest module
                n = n.rpartition(".")[0]
            if n and n != mod:
                found.add(n)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def layer(mod: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            inside = mod == p or (p != "sendforecast" and mod.startswith(p + "."))
            if inside and len(p) > best:  # the face "sendforecast" matches only itself
                best, rank = len(p), i
    assert rank is not None, f"{mod} belongs to no layer: add it to LAYERS"
    return rank


def test_every_module_has_a_layer():
    for m in MODULES:
        layer(m)


def test_imports_follow_the_flow():
    wrong = [f"{m} ({LAYERS[layer(m)][0]}) imports {t} ({LAYERS[layer(t)][0]})"
             for m, targets in GRAPH.items() for t in sorted(targets) if layer(t) > layer(m)]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    # Tarjan's strongly connected components over the module graph
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    # a package face importing its own submodules is not a cycle of jobs: drop the
    # edges from a submodule up to its own package's __init__ before judging
    real = []
    for comp in cycles:
        faces = {c for c in comp if MODULES[c].name == "__init__.py"}
        rest = [c for c in comp if c not in faces]
        if len(rest) > 1 and any(t in rest for c in rest for t in GRAPH[c]):
            real.append(comp)
    assert not real, f"import cycles: {real}"


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_no_module_is_too_long(mod):
    n = len(MODULES[mod].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{MODULES[mod].relative_to(ROOT)} has {n} lines (> {MAX_LINES})"


@contextmanager
def planted(*edges: tuple[str, str]):
    """Add import arrows to the graph for the duration of a check, then take them out."""
    added = [(a, b) for a, b in edges if b not in GRAPH[a]]
    for a, b in added:
        GRAPH[a].add(b)
    try:
        yield
    finally:
        for a, b in added:
            GRAPH[a].discard(b)


def test_the_rules_can_fail():
    """The checker sees a planted upward import and a planted cycle."""
    with planted(("sendforecast.data.taxonomy", "sendforecast.cli.main")), \
            pytest.raises(AssertionError, match="imports sendforecast.cli.main"):
        test_imports_follow_the_flow()
    with planted(("sendforecast.errors", "sendforecast.defaults"),
                 ("sendforecast.defaults", "sendforecast.errors")), \
            pytest.raises(AssertionError, match="import cycles"):
        test_no_import_cycles()
