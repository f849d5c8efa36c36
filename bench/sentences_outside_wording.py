"""Count the French literals written in provisioner/ outside wording/ (issue 17: people's sentences live in wording/).

A literal counts when it is not a docstring, holds a space, and has an accented letter, a guillemet or a common
French word. The workbook's own text (workbook/layout.py, readme.py) is exempt by design. The count is a guide,
not a verdict: it also counts the FindingCode table's labels, the vocabulary's labels, column headers and
migrations, which belong where they are; `-v` lists each literal to judge.

    .venv/bin/python bench/sentences_outside_wording.py [-v]
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "provisioner"
EXEMPT = ("wording/", "workbook/layout.py", "workbook/readme.py")
FRENCH = re.compile(r"[éèêàâçôîûùëïÉÈÀÇ«»]|\b(le|la|les|des|du|une|est|sont|pour|dans|avec|aucun|aucune|votre|"
                    r"vos|nous|vous|ce|cette|n'|d'|l')\b", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def french_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                  and " " in node.value.strip() and FRENCH.search(node.value))


def main() -> None:
    verbose = "-v" in sys.argv
    total = 0
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(EXEMPT):
            continue
        found = french_literals(path)
        total += len(found)
        if found:
            print(f"{len(found):4d} {rel}")
            if verbose:
                for line, text in found:
                    print(f"       {line}: {text[:80]!r}")
    print("total", total)


if __name__ == "__main__":
    main()
