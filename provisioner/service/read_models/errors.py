"""What a read can be asked wrongly: an unknown status, téléservice, submission or account.

Each is an `AgenceError` (its docstring is the message), so the CLI prints
one line and the web answers 404 or 400 the same way as for the use cases.
"""

from __future__ import annotations

from provisioner.service.agence.operator_commands import AgenceError


class UnknownStatus(AgenceError):
    """Statut inconnu : {value}."""


class UnknownTeleservice(AgenceError):
    """Téléservice inconnu : {key}."""


class UnknownSubmission(AgenceError):
    """Aucune soumission n'a la référence {id}."""


class UnknownAccount(AgenceError):
    """Aucun compte n'a le login « {login} »."""
