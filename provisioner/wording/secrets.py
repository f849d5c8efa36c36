"""A secret column of a change, in words: it was set, never what it is (rapport.html, emails, CLI and web alike).

rapport.json names a secret column without "old" nor "new". On a creation or
a reset its "secret" says how it was set: "chosen" (typed in the workbook) or
"generated" (drawn by the service and emailed to that user alone). Without
"secret" the column changed: an update, a revert, every report and history
row written before the key existed.
"""

from __future__ import annotations

CHOSEN = "chosen"
GENERATED = "generated"
CHANGED = "changed"
SECRET_STATES = (CHOSEN, GENERATED, CHANGED)

# (masculine, feminine): « Mot de passe : choisi », « Réponse 1 : choisie ».
_SET = {
    CHOSEN: ("choisi", "choisie"),
    GENERATED: ("généré, envoyé à l'utilisateur", "générée, envoyée à l'utilisateur"),
    CHANGED: ("changé", "changée"),
}
_NEVER_SHOWN = ("jamais affiché", "jamais affichée")


def secret_text(state: str | None, *, feminine: bool = False) -> str:
    """« choisi (jamais affiché) », « généré, envoyé à l'utilisateur (jamais affiché) », « changé (jamais affiché) »."""
    gender = int(feminine)
    return f"{_SET.get(state or CHANGED, _SET[CHANGED])[gender]} ({_NEVER_SHOWN[gender]})"
