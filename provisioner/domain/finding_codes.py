"""Every finding code, once: its name, its label in French, its severity, its message where fixed.

The spec's codes are never renamed (rapport.json, the annotated copy and the
companies' habits hold them); the project adds its own, mostly warnings. A
module that emits or reads a code names its member here, never a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from provisioner.wording.check_findings import EASYPAIEMENT_ROLE_MESSAGE


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class FindingCode(StrEnum):
    FILE_TYPE = "FILE_TYPE"
    FILE_UNREADABLE = "FILE_UNREADABLE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TEMPLATE_MISMATCH = "TEMPLATE_MISMATCH"
    REQUIRED = "REQUIRED"
    INVALID_VALUE = "INVALID_VALUE"
    INVALID_FORMAT = "INVALID_FORMAT"
    PASSWORD_POLICY = "PASSWORD_POLICY"
    PASSWORD_MISMATCH = "PASSWORD_MISMATCH"
    SECRET_QUESTIONS = "SECRET_QUESTIONS"
    SECRET_NOT_RETYPED = "SECRET_NOT_RETYPED"
    LOGIN_DUPLICATE = "LOGIN_DUPLICATE"
    LOGIN_TAKEN = "LOGIN_TAKEN"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    CATEGORY_MISSING = "CATEGORY_MISSING"
    CATEGORY_UNKNOWN_LOGIN = "CATEGORY_UNKNOWN_LOGIN"
    EASYPAIEMENT_ROLE = "EASYPAIEMENT_ROLE"
    EASYPAIEMENT_VALIDATORS = "EASYPAIEMENT_VALIDATORS"
    AUTH_FAILED = "AUTH_FAILED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    ADHERENT_PENDING = "ADHERENT_PENDING"
    ADHERENT_EXISTS = "ADHERENT_EXISTS"
    # The project's own.
    DUPLICATE = "DUPLICATE"
    HIDDEN_CONTENT = "HIDDEN_CONTENT"
    UNKNOWN_SHEET = "UNKNOWN_SHEET"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    FORMULA = "FORMULA"
    REQUEST_WAITING = "REQUEST_WAITING"
    MASS_DISABLE_HELD = "MASS_DISABLE_HELD"
    DATE_IN_TEXT = "DATE_IN_TEXT"
    UNPRINTABLE_CHARACTER = "UNPRINTABLE_CHARACTER"

    @property
    def entry(self) -> CodeEntry:
        return CODES[self]

    @property
    def label(self) -> str:
        """What went wrong in a few words the Agence Virtuelle can act on (the dashboard's)."""
        return CODES[self].label

    @property
    def severity(self) -> Severity:
        return CODES[self].severity


@dataclass(frozen=True)
class CodeEntry:
    label: str
    severity: Severity = Severity.ERROR
    spec: bool = True  # one of the spec's codes, never renamed
    message: str | None = None  # the whole message, when it draws on nothing of the cell


E, W = Severity.ERROR, Severity.WARNING
CODES: dict[FindingCode, CodeEntry] = {
    FindingCode.FILE_TYPE: CodeEntry("fichier qui n'est pas un .xlsx"),
    FindingCode.FILE_UNREADABLE: CodeEntry("fichier illisible ou protégé"),
    FindingCode.FILE_TOO_LARGE: CodeEntry("fichier trop volumineux"),
    FindingCode.TEMPLATE_MISMATCH: CodeEntry("modèle modifié ou ancien"),
    FindingCode.REQUIRED: CodeEntry("valeur obligatoire manquante"),
    FindingCode.INVALID_VALUE: CodeEntry("valeur hors liste"),
    FindingCode.INVALID_FORMAT: CodeEntry("format incorrect (email, téléphone, login, numéro)"),
    FindingCode.PASSWORD_POLICY: CodeEntry("mot de passe non conforme"),
    FindingCode.PASSWORD_MISMATCH: CodeEntry("confirmation du mot de passe différente"),
    FindingCode.SECRET_QUESTIONS: CodeEntry("questions secrètes incomplètes"),
    FindingCode.SECRET_NOT_RETYPED: CodeEntry("mot de passe ou réponse à ressaisir", E, spec=False),
    FindingCode.LOGIN_DUPLICATE: CodeEntry("login en double dans le fichier"),
    FindingCode.LOGIN_TAKEN: CodeEntry("login déjà pris"),
    FindingCode.USER_NOT_FOUND: CodeEntry("compte introuvable"),
    FindingCode.CATEGORY_MISSING: CodeEntry("utilisateur sans catégorie"),
    FindingCode.CATEGORY_UNKNOWN_LOGIN: CodeEntry("catégories pour un login inconnu"),
    FindingCode.EASYPAIEMENT_ROLE: CodeEntry("E@syPaiement : ni ordonnateur ni validateur",
                                             message=EASYPAIEMENT_ROLE_MESSAGE),
    FindingCode.EASYPAIEMENT_VALIDATORS: CodeEntry("E@syPaiement : validateurs insuffisants"),
    FindingCode.AUTH_FAILED: CodeEntry("authentification refusée"),
    FindingCode.ACCOUNT_LOCKED: CodeEntry("accès bloqué"),
    FindingCode.ADHERENT_PENDING: CodeEntry("abonnement pas encore validé"),
    FindingCode.ADHERENT_EXISTS: CodeEntry("abonnement déjà enregistré"),
    FindingCode.DUPLICATE: CodeEntry("fichier déjà reçu", W, spec=False),
    FindingCode.HIDDEN_CONTENT: CodeEntry("contenu masqué", E, spec=False),
    FindingCode.UNKNOWN_SHEET: CodeEntry("feuille hors modèle", W, spec=False),
    FindingCode.UNKNOWN_COLUMN: CodeEntry("colonne hors modèle", W, spec=False),
    FindingCode.FORMULA: CodeEntry("formule remplacée par sa valeur", W, spec=False),
    FindingCode.REQUEST_WAITING: CodeEntry("modification en attente d'un courrier signé", W, spec=False),
    FindingCode.MASS_DISABLE_HELD: CodeEntry("désactivation massive retenue", W, spec=False),
    FindingCode.DATE_IN_TEXT: CodeEntry("date saisie dans un champ texte", W, spec=False),
    FindingCode.UNPRINTABLE_CHARACTER: CodeEntry("caractère impossible à imprimer", W, spec=False),
}

# The spec's codes: what an error of the check may carry.
ERROR_CODES = frozenset(code for code, entry in CODES.items() if entry.spec)
