"""Dependencies one way (docs/architecture.md): no import circle in messenger/ or gui/, and an import
inside a function that reaches into another feature says why on its line (or the line above).

The layers themselves are import-linter contracts (pyproject.toml, ``lint-imports`` in .ci/run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("messenger", "gui")
# The feature packages (messenger/<feature>/): routes, sockets, service, store.
FEATURES = frozenset(p.parent.name for p in (ROOT / "messenger").glob("*/__init__.py")) - {
    "core", "i18n", "realtime", "state", "storage"}


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_in_messenger_or_gui() -> None:
    # Every import counts here, the ones inside functions too: a lazy import does not end a circle.
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    assert _cycles(graph) == []


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "messenger" and len(parts) > 1 else parts[0]


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[int, str]] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] if node.module != "messenger" else [f"messenger.{a.name}" for a in node.names]
                out.extend((node.lineno, name) for name in names)
            elif isinstance(node, ast.Import):
                out.extend((node.lineno, alias.name) for alias in node.names)
    return out


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, or on the line above its block of imports (one reason for a group)."""
    i = lineno - 1
    while i >= 0:
        text = lines[i].strip()
        if "#" in text:
            return True
        if not text.startswith(("from ", "import ")):
            return False
        i -= 1
    return False


def test_a_function_level_import_of_another_feature_says_why() -> None:
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
            lines = path.read_text(encoding="utf-8").splitlines()
            for lineno, imported in _function_level_imports(path):
                if not imported.startswith("messenger.") or _package_of(imported) not in FEATURES \
                        or _package_of(imported) == _package_of(module):
                    continue
                if not _explained(lines, lineno):
                    unexplained.append(f"{rel}:{lineno} imports {imported}")
    assert unexplained == []


def test_every_package_of_messenger_has_its_layer() -> None:
    """A new feature package (or module beside app.py that others import) is placed in the layers
    contract, so import-linter checks it too."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in layer.replace("|", ":").split(":")}
    packages = {f"messenger.{p.parent.name}" for p in (ROOT / "messenger").glob("*/__init__.py")}
    assert sorted(packages - named) == []
