"""Keeping secrets out of the text we write into a copy (the findings' messages, sheet and column names).

Our messages never quote a password or an answer; this is the second line of
defence, should a rule ever quote a value that is also a secret (a password
typed into the Login column, say).
"""

from __future__ import annotations

from collections.abc import Iterable

from provisioner.workbook.book import as_text
from provisioner.workbook.model import ParsedWorkbook

# Secret values shorter than this are not scrubbed from messages: "Oui" or
# "1" as an answer would otherwise blank ordinary words of our own messages.
MIN_SCRUBBED_SECRET = 4
SCRUBBED = "•••"


class Scrubber:
    """Masks secret values in the text we write."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is masked whole.
        kept = {s for s in secrets if len(s) >= MIN_SCRUBBED_SECRET}
        self._secrets = sorted(kept, key=len, reverse=True)

    def __call__(self, text: str | None) -> str:
        result = text or ""
        for secret in self._secrets:
            result = result.replace(secret, SCRUBBED)
        return result


def secret_values(parsed: ParsedWorkbook | None) -> set[str]:
    """Every password and answer the workbook held (what the copy must never show)."""
    if parsed is None:
        return set()
    values: set[str] = set()
    for form in (parsed.adherent, parsed.delegue):
        values.update(c.value for c in form.cells.values() if c.field.secret and c.value)
    for table in [*parsed.users.values(), parsed.categories]:
        for fld in table.fields:
            if fld.secret and fld.key in table.frame.columns:
                values.update(t for t in map(as_text, table.frame[fld.key]) if t)
    return values
