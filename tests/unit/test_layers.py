"""Layer boundaries: the domain needs only the standard library; security, mail and store need no workbook."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import provisioner

PACKAGE = Path(provisioner.__file__).parent
FORBIDDEN = ("pandas", "sqlalchemy", "provisioner.workbook", "provisioner.store", "provisioner.service")


def _loaded_after_import(modules: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after importing `modules` (this checkout's code)."""
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print('\\n'.join(sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return set(done.stdout.split())


def _package_modules(folder: str) -> list[str]:
    return sorted(f"provisioner.{folder}." + p.stem if p.stem != "__init__" else f"provisioner.{folder}"
                  for p in (PACKAGE / folder).glob("*.py"))


def _offenders(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_the_domain_imports_no_pandas_no_sqlalchemy_and_no_outer_layer() -> None:
    modules = _package_modules("domain")
    assert "provisioner.domain.plan" in modules  # the planner is among what is checked
    assert _offenders(_loaded_after_import(modules)) == []


def test_security_mail_and_store_import_nothing_from_the_workbook() -> None:
    loaded = _loaded_after_import([*_package_modules("security"), *_package_modules("mail"),
                                   *_package_modules("store")])
    assert "provisioner.store.repositories" in loaded
    assert sorted(m for m in loaded if m.startswith("provisioner.workbook")) == []


def test_the_reports_render_what_they_are_given_and_import_no_service() -> None:
    modules = _package_modules("reports")
    assert "provisioner.reports.dashboard" in modules  # the page once read the store itself
    assert sorted(m for m in _loaded_after_import(modules) if m.startswith(("provisioner.service",
                                                                           "provisioner.store"))) == []


WRITES = {"insert", "update", "delete"}


def _sql_writes(path: Path) -> list[int]:
    """The lines of `path` that build an INSERT, UPDATE or DELETE: sqlalchemy's insert/update/delete
    called, or a table's .insert()/.update()/.delete()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                and (n.module or "").startswith("sqlalchemy") for a in n.names} & WRITES

    def builds(call: ast.Call) -> bool:
        if isinstance(call.func, ast.Name):
            return call.func.id in imported
        return isinstance(call.func, ast.Attribute) and call.func.attr in WRITES and not call.args \
            and not call.keywords

    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and builds(n)]


def test_no_insert_update_or_delete_is_built_outside_the_store() -> None:
    assert _sql_writes(PACKAGE / "store" / "accounts.py")  # the check sees the store's own writes
    outside = {str(p.relative_to(PACKAGE)): lines for p in sorted(PACKAGE.rglob("*.py"))
               if "store" not in p.relative_to(PACKAGE).parts and (lines := _sql_writes(p))}
    assert outside == {}
