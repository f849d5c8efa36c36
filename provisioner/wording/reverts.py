"""Whether a submission (or a revert) is undone, in words: the CLI, the web and the emails say it alike.

A revert can itself be reverted: after `revert S…` then `revert R1`, S is in
effect again. `undone` is what read_models.change_sets gives: the revert of a
change set (id, at, operator, reason), `reverted_by` its own revert (and so
on), `in_effect` whether it still holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

When = Callable[[datetime | str | None], str]  # a moment as the surface writes it (dates.french, the CLI's)


def revert_state(undone: Mapping[str, object] | None, when: When) -> str:
    """« Annulée par R1 le … (amina) : motif. », or, when R1 was itself undone,
    « Annulée par R1 le … (amina), annulation elle-même annulée par R2 le … (omar) : de nouveau en vigueur. »"""
    if not undone:
        return ""
    steps: list[str] = []
    level: Mapping[str, object] | None = undone
    while level:
        reason = f", motif : « {level['reason']} »" if level.get("reason") else ""
        at = level["at"]
        steps.append(f"{level['id']} le {when(at if isinstance(at, datetime | str) else None)} "
                     f"({level['operator']}{reason})")
        level = _later(level)
    text = "Annulée par " + ", annulation elle-même annulée par ".join(steps)
    if len(steps) == 1:
        return text + "."
    return text + (" : annulée." if undone["in_effect"] else " : de nouveau en vigueur.")


def revert_mark(undone: Mapping[str, object] | None) -> str:
    """A list's column: `R1` when undone, `rétablie (R2)` when that revert was itself undone, else nothing."""
    if not undone:
        return ""
    if undone["in_effect"]:
        return str(undone["id"])
    later = _later(undone)
    return f"rétablie ({later['id']})" if later else "rétablie"  # in effect again: a later revert undid it


def _later(undone: Mapping[str, object]) -> Mapping[str, object] | None:
    """The revert that undid this one, if any."""
    later = undone.get("reverted_by")
    return later if isinstance(later, Mapping) else None
