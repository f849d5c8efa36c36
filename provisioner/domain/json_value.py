"""JSON of a shape no TypedDict describes (a stored payload read back, a value passed through as it came)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

# Recursive: what json.loads can return. Read-only containers, so that a list[str] or a dict[str, int] is
# one too (list and dict are invariant). Known shapes (rapport.json, request payloads) have their TypedDicts.
JsonValue: TypeAlias = "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
