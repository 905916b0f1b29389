"""The code outside the chat keeps the shape issue 16 set: small modules, functions and classes, no import
cycle, no private name borrowed from another module (``benchmarks/structure.py`` prints the breaches)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "structure.py"


def _structure():
    spec = importlib.util.spec_from_file_location("structure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_askdoc_outside_the_chat_keeps_its_structure_limits():
    assert _structure().breaches() == []


def test_the_structure_check_finds_a_cycle_a_private_import_and_a_long_function(tmp_path):
    structure = _structure()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from .b import _hidden\n" + "    x = 1\n" * 61)
    (package / "b.py").write_text("from . import a\n_hidden = 1\n")
    found = structure.modules(package)
    graph, private = structure.dependencies(found)
    assert structure.cycles(graph) == [["pkg.a", "pkg.b"]]
    assert len(private) == 1 and "_hidden" in private[0]
    long = [line for line in structure.sizes(found) if " f is " in line]
    assert len(long) == 1
