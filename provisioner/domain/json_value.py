"""JSON of a shape no TypedDict describes (a stored payload read back, a value passed through as it came)."""

from __future__ import annotations

from typing import TypeAlias

# Recursive: what json.loads can return. Known shapes (rapport.json, request payloads) have their TypedDicts.
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
