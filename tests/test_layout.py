"""The package's shape: no import cycle, small modules, one registry, a lazy top level."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import llstopic
from llstopic.factorizers import _registry

PACKAGE = Path(llstopic.__file__).parent
ROOT = PACKAGE.parent
MAX_LINES = 420   # "no module over ~400 lines"


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _module_level_imports(name, path):
    """Modules of llstopic that ``name`` imports when it is itself imported (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in tree.body:   # module level only: imports inside functions run later
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("llstopic"):
                found.add(target)
                for alias in node.names:   # ``from . import _x`` imports a submodule
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("llstopic"))
    return found


def test_no_import_cycle_between_modules():
    modules = dict(_modules())
    # an edge to one's own ancestor package is no cycle: the ancestor is imported first
    graph = {name: {t for t in _module_level_imports(name, path)
                    if t in modules and t != name and not name.startswith(t + ".")}
             for name, path in modules.items()}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


@pytest.mark.parametrize("name, path", list(_modules()), ids=lambda v: str(v))
def test_module_is_small(name, path):
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{name} has {n_lines} lines; split it by concern"


@pytest.mark.slow
def test_every_module_imports_on_its_own():
    # one fresh interpreter imports each module first thing, in turn (a cycle or a missing
    # import shows as an ImportError naming the module)
    names = [name for name, _ in _modules()]
    code = ("import importlib, subprocess, sys\n"
            "bad = []\n"
            "for name in sys.argv[1:]:\n"
            "    r = subprocess.run([sys.executable, '-c', f'import {name}'], capture_output=True, text=True)\n"
            "    last = r.stderr.strip().splitlines()[-1] if r.returncode else ''\n"
            "    # a module of an optional extra says how to install it: that is its contract\n"
            "    if r.returncode and 'pip install' not in last: bad.append((name, last))\n"
            "print(bad)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=600, check=True)
    assert out.stdout.strip() == "[]"


def test_the_registry_is_one_table_of_located_classes():
    for name in ("anchor", "nmf", "lda"):
        klass = _registry.resolve(name)
        assert klass._registry_name == name
        assert _registry.registry_name_of(klass) == name


def test_a_moved_builtin_fails_at_registration(monkeypatch):
    monkeypatch.setitem(_registry._TABLE, "lda-moved", "llstopic.somewhere_else:GensimLDA")
    from llstopic.factorizers.lda import GensimLDA

    class Moved(GensimLDA):
        pass

    with pytest.raises(ValueError, match="already registered"):
        _registry.register_factorizer("lda-moved", Moved)


def test_top_level_import_is_lazy():
    code = ("import sys, llstopic; heavy = [m for m in ('gensim', 'sklearn', 'numba', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
