"""The service's words: téléservices, actions, statuses, request types and kinds, closed lists.

The values are the strings the store, rapport.json and the workbook already hold: a
StrEnum member equals its value, so `AccountStatus.ACTIVE == "active"`. The workbook's
geometry (sheets, columns, headers) lives in `workbook.layout`, which uses these words.
"""

from __future__ import annotations

from enum import StrEnum


class Teleservice(StrEnum):
    """The fund's online services a user account belongs to (one login per service)."""

    TD_INTERNE = "td_interne"
    TD_EXTERNE = "td_externe"
    COMPTE_ADHERENT = "compte_adherent"
    EASYPAIEMENT = "easypaiement"
    ELIQUIDATION = "eliquidation"
    SANCTIONS = "sanctions"

    @property
    def label(self) -> str:
        """The service's name as people read it."""
        return TELESERVICE_LABELS[self]

    @property
    def has_categories(self) -> bool:
        """Télédéclaration users carry categories (D, S0 to S3)."""
        return self in (Teleservice.TD_INTERNE, Teleservice.TD_EXTERNE)

    @property
    def has_powers(self) -> bool:
        """E@syPaiement users order and/or validate payments."""
        return self is Teleservice.EASYPAIEMENT


TELESERVICE_LABELS: dict[str, str] = {
    Teleservice.TD_INTERNE: "Télédéclaration (utilisateur interne)",
    Teleservice.TD_EXTERNE: "Télédéclaration (utilisateur externe : fiduciaire ou autre prestataire)",
    Teleservice.COMPTE_ADHERENT: "Compte Adhérent",
    Teleservice.EASYPAIEMENT: "E@syPaiement (règlement des cotisations)",
    Teleservice.ELIQUIDATION: "e-Liquidation@ (liquidation des dossiers de pension)",
    Teleservice.SANCTIONS: "Sanctions",
}


def teleservice_of(key: str | None) -> Teleservice | None:
    """The téléservice a stored or typed key names, None for a key the service no longer knows."""
    try:
        return Teleservice(key or "")
    except ValueError:
        return None


class Action(StrEnum):
    """What a user row of the workbook asks for, as typed. BLANK is the declarative "make it so" row."""

    BLANK = ""
    CREER = "Créer"
    MODIFIER = "Modifier"
    DESACTIVER = "Désactiver"
    REACTIVER = "Réactiver"
    REINITIALISER = "Réinitialiser mot de passe"


ACTIONS = tuple(a.value for a in Action if a is not Action.BLANK)


class ChangeAction(StrEnum):
    """What a change does to an account: the key the history and rapport.json hold."""

    CREATE = "create"
    UPDATE = "update"
    DISABLE = "disable"
    ENABLE = "enable"
    RESET = "reset_password"
    UNCHANGED = "unchanged"


class RequestType(StrEnum):
    """The workbook's Type de demande; the value is the key stored and reported."""

    ABONNEMENT = "abonnement"
    MISE_A_JOUR = "mise_a_jour"
    CONTROLE = "controle"

    @property
    def label(self) -> str:
        """As typed in the workbook and read in the reports."""
        return REQUEST_TYPE_LABELS[self]


REQUEST_TYPE_LABELS: dict[str, str] = {
    RequestType.ABONNEMENT: "Abonnement",
    RequestType.MISE_A_JOUR: "Mise à jour",
    RequestType.CONTROLE: "Contrôle seul",
}


class RequestKind(StrEnum):
    """A change that waits for the Agence Virtuelle's approval."""

    DELEGUE_CHANGE = "delegue_change"
    COMPANY_CHANGE = "company_change"
    MASS_DISABLE = "mass_disable"


class RequestStatus(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"


class SubmissionStatus(StrEnum):
    PROCESSING = "processing"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    HELD = "held"


class AdherentStatus(StrEnum):
    PENDING = "pending"  # subscribed, waiting for the Agence Virtuelle's validation
    ACTIVE = "active"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


# Télédéclaration categories, and the marks that assign one in the Catégories sheet.
CATEGORIES = ("D", "S0", "S1", "S2", "S3")
CATEGORY_MARKS = ("X", "Oui")
# E@syPaiement: how many validations a payment needs (the company's setting).
CONFIRMATIONS = ("1", "2")

# Company details that a Mise à jour does not apply but turns into a request.
ADHERENT_DETAIL_KEYS = (
    "raison_sociale", "adresse", "ville", "rc", "localite_rc", "patente", "site_web",
    "civilite", "nom", "prenom", "fonction", "tel1", "tel2", "fax", "gsm", "email",
)
# Delegate changes the fund requires a signed letter for: they become requests.
DELEGUE_DETAIL_KEYS = ("civilite", "nom", "prenom", "fonction", "tel", "gsm", "fax", "email")

# security.md: what a login and a password may be.
LOGIN_PATTERN = r"[A-Za-z0-9._-]{3,30}"
PASSWORD_PATTERN = r"[A-Za-z0-9]{5,10}"


class Door(StrEnum):
    """How a workbook reached the service: the spec's three doors, and an operator's `provisioner process`."""

    INBOX = "inbox"
    IMAP = "imap"
    PORTAL = "portal"
    PROCESS = "process"
