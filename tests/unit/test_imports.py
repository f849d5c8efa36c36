"""No import cycle in the package, and none dodged: a function-level import of provisioner in the layers
below the CLI and the web is there only to keep something heavy out of a start-up, and says so
(`# lazy: why`). The CLI's function-level imports are its lazy loading (test_cli.py guards them)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.service_env import REPO

PACKAGE = REPO / "provisioner"
LAYERS = ("service", "domain", "store", "workbook", "reports", "mail", "security")
LAZY_MARK = "# lazy:"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The package's modules an import statement names (`from a import b` is a.b when b is a module)."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        names = {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    return {name for name in names if name in modules}


def _module_level_imports(tree: ast.Module, modules: dict[str, Path]) -> set[str]:
    """What a module imports when it is imported: its statements outside functions and TYPE_CHECKING."""
    found: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= _imported(node, modules)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, as the list of its modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_modules_import_one_another_without_a_cycle() -> None:
    modules = _modules()
    graph = {name: _module_level_imports(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
             for name, path in modules.items()}
    assert _cycle(graph) is None


def _imports_the_package(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("provisioner")
    return isinstance(node, ast.Import) and any(a.name.startswith("provisioner") for a in node.names)


def test_no_function_level_import_dodges_a_cycle() -> None:
    unmarked = []
    for name, path in _modules().items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS:
            continue
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if _imports_the_package(node) and LAZY_MARK not in lines[node.lineno - 1]:
                    unmarked.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not unmarked, unmarked


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    """Each module imported before any other of the package: a cycle would fail one of them."""
    script = (
        "import importlib, json, sys\n"
        "failed = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    for loaded in [m for m in sys.modules if m == 'provisioner' or m.startswith('provisioner.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed[name] = f'{type(error).__name__}: {error}'\n"
        "print(json.dumps(failed))\n")
    # The alembic environment runs inside a migration only (it reads alembic's context); __main__ runs the CLI.
    names = [name for name in _modules()
             if not name.startswith("provisioner.store.migrations") and name != "provisioner.__main__"]
    result = subprocess.run([sys.executable, "-c", script, json.dumps(names)], cwd=REPO, capture_output=True,
                            text=True, timeout=300, check=True)
    assert json.loads(result.stdout) == {}
