"""The chat's modules stay readable: no import cycle, no private name borrowed, no module, class or function too long."""

from __future__ import annotations

import ast
from pathlib import Path

import askdoc.tui

TUI = Path(askdoc.tui.__file__).parent
MAX_MODULE_LINES, MAX_CLASS_LINES, MAX_FUNCTION_LINES = 400, 300, 60


def modules() -> dict[str, tuple[str, ast.Module]]:
    """Every tui module by dotted name (``askdoc.tui.screens.chat``): its text, parsed."""
    found = {}
    for path in sorted(TUI.rglob("*.py")):
        parts = ("askdoc", "tui", *path.relative_to(TUI).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        text = path.read_text(encoding="utf-8")
        found[name] = (text, ast.parse(text, filename=str(path)))
    return found


def imports(name: str, tree: ast.Module, known: set[str]) -> list[tuple[str, str]]:
    """(module imported, name taken from it) for every import anywhere in the module: in functions and
    ``if TYPE_CHECKING:`` blocks too, since either can close a cycle."""
    package = name if name in ("askdoc.tui", "askdoc.tui.screens", "askdoc.tui.widgets") else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, "") if submodule in known else (base, alias.name))
    return found


def test_no_tui_module_imports_another_in_a_cycle():
    trees = modules()
    graph = {
        name: {target for target, _ in imports(name, tree, set(trees)) if target in trees}
        for name, (_, tree) in trees.items()
    }

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for after in graph[node] - {node}:
                if after == start:
                    return path + [start]
                if after not in path:
                    stack.append((after, path + [after]))
        return None

    cycles = [" -> ".join(cycle) for name in graph if (cycle := cycle_from(name))]
    assert not cycles


def test_no_tui_module_imports_a_private_name():
    trees = modules()
    private = [
        f"{name} imports {taken} from {source}"
        for name, (_, tree) in trees.items()
        for source, taken in imports(name, tree, set(trees))
        if taken.startswith("_") or any(part.startswith("_") and part != "__future__" for part in source.split("."))
    ]
    assert not private


def test_tui_modules_classes_and_functions_are_short():
    too_long = []
    limits = {
        ast.ClassDef: MAX_CLASS_LINES,
        ast.FunctionDef: MAX_FUNCTION_LINES,
        ast.AsyncFunctionDef: MAX_FUNCTION_LINES,
    }
    for name, (text, tree) in modules().items():
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(name)
        for node in ast.walk(tree):
            limit = limits.get(type(node))
            if (
                limit
                and isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and node.end_lineno
                and node.end_lineno - node.lineno + 1 > limit
            ):
                too_long.append(f"{name}.{node.name}")
    assert not too_long
