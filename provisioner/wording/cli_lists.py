"""What the operators' list commands print when there is nothing to list."""

from __future__ import annotations

NO_ACCOUNT = "Aucun compte."
NO_ADHERENT = "Aucun adhérent."
NO_OPERATOR = "Aucun opérateur."
NO_REQUEST = "Aucune demande."
NO_REQUEST_WAITING = "Aucune demande en attente."
NO_SUBMISSION = "Aucune soumission."
