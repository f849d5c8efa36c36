"""Whether a submission (or a revert) is undone, in words: the CLI, the web and the emails say it alike.

A revert can itself be reverted: after `revert S…` then `revert R1`, S is in
effect again. `undone` is what read_models.change_sets gives: the revert of a
change set (id, at, operator, reason), `reverted_by` its own revert (and so
on), `in_effect` whether it still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def revert_state(undone: Mapping[str, Any] | None, when: Callable[[Any], str]) -> str:
    """« Annulée par R1 le … (amina) : motif. », or, when R1 was itself undone,
    « Annulée par R1 le … (amina), annulation elle-même annulée par R2 le … (omar) : de nouveau en vigueur. »"""
    if not undone:
        return ""
    steps: list[str] = []
    level: Mapping[str, Any] | None = undone
    while level:
        reason = f", motif : « {level['reason']} »" if level.get("reason") else ""
        steps.append(f"{level['id']} le {when(level['at'])} ({level['operator']}{reason})")
        level = level.get("reverted_by")
    text = "Annulée par " + ", annulation elle-même annulée par ".join(steps)
    if len(steps) == 1:
        return text + "."
    return text + (" : annulée." if undone["in_effect"] else " : de nouveau en vigueur.")


def revert_mark(undone: Mapping[str, Any] | None) -> str:
    """A list's column: `R1` when undone, `rétablie (R2)` when that revert was itself undone, else nothing."""
    if not undone:
        return ""
    if undone["in_effect"]:
        return str(undone["id"])
    return f"rétablie ({undone['reverted_by']['id']})"
