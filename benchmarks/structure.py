"""The shape limits of askdoc's code outside the chat (issue 16), checked: prints each breach, exits 1 if any.

    python benchmarks/structure.py [--include-tui]

- no module over 400 lines, no function over 60, no class over 300;
- no import cycle between modules, counting imports inside functions (``TYPE_CHECKING`` ones aside);
- no private name (``_name``) imported from another module.

``tests/test_structure.py`` runs the same checks, so that the limits stay kept.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "askdoc"
MODULE_LINES = 400
FUNCTION_LINES = 60
CLASS_LINES = 300


def modules(root: Path = PACKAGE, include_tui: bool = False) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (the chat's left out unless asked)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if not include_tui and parts[1:2] == ("tui",):
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _shown(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent)) if path.is_relative_to(PACKAGE.parent) else str(path)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import of a module, at any depth, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            stack.append(child)


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import reads from."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def dependencies(found: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """Which of the package's modules each imports, and every private name imported from another module."""
    graph: dict[str, set[str]] = {name: set() for name in found}
    private = []
    for name, path in found.items():
        tree = ast.parse(path.read_text("utf-8"))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _target(name, path.name == "__init__.py", node)
                targets = []
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.append(submodule if submodule in found else source)
                    if alias.name.startswith("_") and not alias.name.startswith("__") and submodule not in found:
                        private.append(f"{_shown(path)}:{node.lineno}: imports {alias.name} from {source}")
            graph[name].update(t for t in targets if t in found and t != name)
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def sizes(found: dict[str, Path]) -> list[str]:
    """Modules, functions and classes over their limits."""
    breaches = []
    for path in found.values():
        where = _shown(path)
        text = path.read_text("utf-8")
        lines = len(text.splitlines())
        if lines > MODULE_LINES:
            breaches.append(f"{where}: {lines} lines (limit {MODULE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                limit = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
                if length > limit:
                    breaches.append(f"{where}:{node.lineno}: {node.name} is {length} lines (limit {limit})")
    return breaches


def breaches(include_tui: bool = False) -> list[str]:
    found = modules(include_tui=include_tui)
    graph, private = dependencies(found)
    found_cycles = [f"import cycle: {' <-> '.join(group)}" for group in cycles(graph)]
    return sizes(found) + found_cycles + private


def main() -> int:
    found = breaches(include_tui="--include-tui" in sys.argv[1:])
    for line in found:
        print(line)
    print(f"{len(found)} breaches of the structure limits" if found else "structure limits kept")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
