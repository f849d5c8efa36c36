"""The workbook of template version 2026.1, as spec.md names it.

Every sheet name, label, column header and closed list lives here, once: the
template writer, the reader, the schemas and the annotated copy all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from provisioner.domain.columns import ACCOUNT_LABELS, ANSWER_KEYS, QUESTION_KEYS, account_columns
from provisioner.domain.vocabulary import (
    ACTIONS,
    CATEGORIES,
    CATEGORY_MARKS,
    CONFIRMATIONS,
    REQUEST_TYPE_LABELS,
    RequestType,
    Teleservice,
)
from provisioner.wording.passwords import PASSWORD_HINT

TEMPLATE_VERSION = "2026.1"

CIVILITES = ("M.", "Mme", "Mlle")
OUI_NON = ("Oui", "Non")
MODES = ("Fichier préétabli", "Formulaire de saisie")

# Suggestions offered by the dropdown; a company may type its own question.
SECRET_QUESTIONS = (
    "Quel est le prénom de votre grand-mère maternelle ?",
    "Quel est votre secteur préféré ?",
    "Quel est le nom de votre première école ?",
    "Quelle est votre ville de naissance ?",
    "Quel est le prénom de votre meilleur ami d'enfance ?",
    "Quel est le nom de votre premier animal de compagnie ?",
    "Quel est votre plat préféré ?",
    "Quel est le métier de votre grand-père ?",
)


class Kind(str, Enum):
    """How a value is checked and how its column is formatted in the template."""

    TEXT = "text"
    DIGITS = "digits"  # member number, RC, patente: kept as text in Excel
    PHONE = "phone"
    EMAIL = "email"
    CHOICE = "choice"
    PASSWORD = "password"  # secret: never written anywhere
    ANSWER = "answer"  # secret: never written anywhere
    LOGIN = "login"
    QUESTION = "question"
    MARK = "mark"  # category matrix cell


SECRET_KINDS = frozenset({Kind.PASSWORD, Kind.ANSWER})
# What the annotated copy writes in each secret cell it emptied, to be typed again. Sent back
# still there, it is SECRET_NOT_RETYPED at that cell (a blank cell keeps its usual meaning).
RETYPE_MARKER = "À RESSAISIR"
TEXT_FORMAT_KINDS = frozenset({Kind.DIGITS, Kind.PHONE, Kind.PASSWORD, Kind.LOGIN, Kind.ANSWER})


@dataclass(frozen=True)
class Field:
    """One label of a form sheet or one column of a table sheet."""

    key: str
    label: str
    kind: Kind = Kind.TEXT
    choices: tuple[str, ...] = ()
    # Request types for which the value is required ("always" = every type).
    required_for: frozenset[str] = frozenset()
    hint: str = ""
    width: int = 18

    @property
    def secret(self) -> bool:
        return self.kind in SECRET_KINDS


ALWAYS = frozenset(RequestType)
FOR_ABONNEMENT = frozenset({RequestType.ABONNEMENT})

PHONE_HINT = "Numéro marocain (0522123456, 0661234567) ou international (+33 1 23 45 67 89)."

# --- Sheet "Adhérent" (form: label in column A, value in column B) ---------

ADHERENT_SHEET = "Adhérent"
ADHERENT_FIELDS: tuple[Field, ...] = (
    Field("version", "Version du modèle", hint="Ne pas modifier : 2026.1."),
    Field("type_demande", "Type de demande", Kind.CHOICE, tuple(REQUEST_TYPE_LABELS.values()), ALWAYS,
          "Abonnement : première inscription. Mise à jour : changer les comptes. "
          "Contrôle seul : vérifier le fichier sans rien appliquer."),
    Field("numero", "Numéro d'adhérent", Kind.DIGITS, required_for=ALWAYS,
          hint="De 4 à 10 chiffres, tel qu'il figure sur vos bordereaux CIMR."),
    Field("raison_sociale", "Raison sociale"),
    Field("adresse", "Adresse", required_for=FOR_ABONNEMENT),
    Field("ville", "Ville", required_for=FOR_ABONNEMENT),
    Field("rc", "Numéro RC", Kind.DIGITS, required_for=FOR_ABONNEMENT, hint="Chiffres uniquement."),
    Field("localite_rc", "Localité RC", required_for=FOR_ABONNEMENT),
    Field("patente", "Numéro de patente", Kind.DIGITS, required_for=FOR_ABONNEMENT,
          hint="Chiffres uniquement."),
    Field("site_web", "Site web"),
    Field("confirmations", "Nombre de confirmations E@syPaiement", Kind.CHOICE, CONFIRMATIONS,
          hint="1 ou 2 validations par paiement. Laisser vide pour garder le réglage actuel."),
    Field("civilite", "Civilité", Kind.CHOICE, CIVILITES),
    Field("nom", "Nom", required_for=FOR_ABONNEMENT),
    Field("prenom", "Prénom", required_for=FOR_ABONNEMENT),
    Field("fonction", "Fonction", required_for=FOR_ABONNEMENT),
    Field("tel1", "Téléphone fixe 1", Kind.PHONE, hint=PHONE_HINT),
    Field("tel2", "Téléphone fixe 2", Kind.PHONE, hint=PHONE_HINT),
    Field("fax", "Fax", Kind.PHONE, hint=PHONE_HINT),
    Field("gsm", "GSM", Kind.PHONE, hint=PHONE_HINT),
    Field("email", "Email", Kind.EMAIL),
    Field("email_notification", "Email de notification", Kind.EMAIL,
          hint="Adresse supplémentaire qui reçoit aussi le rapport (par exemple celle de votre fiduciaire)."),
)

# --- Sheet "Délégué" (form) -------------------------------------------------

DELEGUE_SHEET = "Délégué"
DELEGUE_FIELDS: tuple[Field, ...] = (
    Field("civilite", "Civilité", Kind.CHOICE, CIVILITES),
    Field("nom", "Nom", required_for=FOR_ABONNEMENT),
    Field("prenom", "Prénom", required_for=FOR_ABONNEMENT),
    Field("fonction", "Fonction", required_for=FOR_ABONNEMENT),
    Field("tel", "Téléphone direct", Kind.PHONE, hint=PHONE_HINT),
    Field("gsm", "GSM", Kind.PHONE, hint=PHONE_HINT),
    Field("fax", "Fax", Kind.PHONE, hint=PHONE_HINT),
    Field("email", "Email", Kind.EMAIL, required_for=FOR_ABONNEMENT,
          hint="L'adresse de l'administrateur des utilisateurs : elle reçoit les rapports."),
    Field("password", "Mot de passe", Kind.PASSWORD, required_for=ALWAYS,
          hint="Abonnement : le mot de passe choisi pour l'administrateur. Mise à jour et "
               "Contrôle seul : le mot de passe actuel de l'administrateur. " + PASSWORD_HINT),
    Field("password_confirm", "Confirmation du mot de passe", Kind.PASSWORD,
          required_for=FOR_ABONNEMENT, hint="Abonnement : le même mot de passe, une seconde fois."),
    Field("new_password", "Nouveau mot de passe", Kind.PASSWORD,
          hint="Mise à jour seulement : pour changer le mot de passe de l'administrateur. " + PASSWORD_HINT),
    Field("new_password_confirm", "Confirmation du nouveau mot de passe", Kind.PASSWORD,
          hint="Le nouveau mot de passe, une seconde fois."),
)

# --- The six user sheets (tables: headers in row 1) -------------------------

ACTION = Field("action", "Action", Kind.CHOICE, ACTIONS, width=24,
               hint="Vide : créer ou mettre à jour selon le login. Créer, Modifier, Désactiver "
                    "(départ ou réaffectation), Réactiver, Réinitialiser mot de passe.")
CIVILITE = Field("civilite", ACCOUNT_LABELS["civilite"], Kind.CHOICE, CIVILITES, width=10)
NOM = Field("nom", ACCOUNT_LABELS["nom"])
PRENOM = Field("prenom", ACCOUNT_LABELS["prenom"])
FONCTION = Field("fonction", ACCOUNT_LABELS["fonction"])
TELEPHONE = Field("telephone", ACCOUNT_LABELS["telephone"], Kind.PHONE, hint=PHONE_HINT, width=15)
FAX = Field("fax", ACCOUNT_LABELS["fax"], Kind.PHONE, hint=PHONE_HINT, width=15)
GSM = Field("gsm", ACCOUNT_LABELS["gsm"], Kind.PHONE, hint=PHONE_HINT, width=15)
EMAIL = Field("email", ACCOUNT_LABELS["email"], Kind.EMAIL, width=28)
LOGIN = Field("login", ACCOUNT_LABELS["login"], Kind.LOGIN, width=16,
              hint="3 à 30 caractères : lettres, chiffres, point, tiret, souligné. "
                   "Un login différent pour chaque téléservice.")
PASSWORD = Field("password", ACCOUNT_LABELS["password"], Kind.PASSWORD, width=14,
                 hint=PASSWORD_HINT + " Vide à la création : un mot de passe est généré "
                      "et envoyé à l'utilisateur.")
PASSWORD_CONFIRM = Field("password_confirm", ACCOUNT_LABELS["password_confirm"], Kind.PASSWORD, width=14)
QUESTIONS = tuple(
    Field(key, ACCOUNT_LABELS[key], Kind.QUESTION, SECRET_QUESTIONS, width=40,
          hint="Choisissez une question dans la liste ou écrivez la vôtre ; trois questions différentes.")
    for key in QUESTION_KEYS
)
ANSWERS = tuple(Field(key, ACCOUNT_LABELS[key], Kind.ANSWER, width=16) for key in ANSWER_KEYS)
MODE = Field("mode", ACCOUNT_LABELS["mode"], Kind.CHOICE, MODES, width=22)
PRESTATAIRE = Field("prestataire", ACCOUNT_LABELS["prestataire"], width=26)
ORDONNATEUR = Field("ordonnateur", ACCOUNT_LABELS["ordonnateur"], Kind.CHOICE, OUI_NON, width=12,
                    hint="Oui : peut ordonner les paiements.")
VALIDATEUR = Field("validateur", ACCOUNT_LABELS["validateur"], Kind.CHOICE, OUI_NON, width=12,
                   hint="Oui : peut valider les paiements.")

SECRET_QA: tuple[tuple[Field, Field], ...] = tuple(zip(QUESTIONS, ANSWERS))
_ACCOUNT_COLUMNS = {f.key: f for f in (CIVILITE, NOM, PRENOM, FONCTION, TELEPHONE, FAX, GSM, EMAIL, LOGIN,
                                       PASSWORD, PASSWORD_CONFIRM, *QUESTIONS, *ANSWERS, MODE, PRESTATAIRE,
                                       ORDONNATEUR, VALIDATEUR)}


@dataclass(frozen=True)
class UserSheet:
    """The sheet of one téléservice's users: one row per account."""

    teleservice: Teleservice
    sheet: str
    # Columns a complete record (blank Action) needs besides the common ones.
    record_keys: tuple[str, ...] = ()

    @property
    def key(self) -> Teleservice:
        return self.teleservice

    @property
    def name(self) -> str:
        return self.teleservice.label

    @property
    def categories(self) -> bool:
        return self.teleservice.has_categories

    @property
    def columns(self) -> tuple[Field, ...]:
        return _COLUMNS[self.teleservice]

    def column(self, key: str) -> Field:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


# The account's columns in the domain's order, after the Action column.
_COLUMNS = {t: (ACTION, *(_ACCOUNT_COLUMNS[key] for key in account_columns(t))) for t in Teleservice}

COMMON_RECORD_KEYS = ("nom", "prenom", "fonction", "email", "login")

TELESERVICES: tuple[UserSheet, ...] = (
    UserSheet(Teleservice.TD_INTERNE, "Télédéclaration interne", ("mode",)),
    UserSheet(Teleservice.TD_EXTERNE, "Télédéclaration externe", ("prestataire", "mode")),
    UserSheet(Teleservice.COMPTE_ADHERENT, "Compte Adhérent"),
    UserSheet(Teleservice.EASYPAIEMENT, "E@syPaiement"),
    UserSheet(Teleservice.ELIQUIDATION, "e-Liquidation@"),
    UserSheet(Teleservice.SANCTIONS, "Sanctions"),
)
TELESERVICE_BY_KEY: dict[str, UserSheet] = {t.key: t for t in TELESERVICES}

# --- Sheet "Catégories" ------------------------------------------------------

CATEGORIES_SHEET = "Catégories"
CATEGORY_LOGIN = Field("login", "Login", Kind.LOGIN, width=20,
                       hint="Le login d'un utilisateur de Télédéclaration (interne ou externe).")
CATEGORY_COLUMNS: tuple[Field, ...] = (CATEGORY_LOGIN, *(
    Field(c, c, Kind.MARK, CATEGORY_MARKS, width=8, hint="X : catégorie affectée (régime Normal).")
    for c in CATEGORIES
))
TABLE_FIELD = {**{(t.sheet, f.key): f for t in TELESERVICES for f in t.columns},
               **{(CATEGORIES_SHEET, f.key): f for f in CATEGORY_COLUMNS}}

README_SHEET = "Lisez-moi"
SHEET_ORDER = (README_SHEET, ADHERENT_SHEET, DELEGUE_SHEET,
               *(t.sheet for t in TELESERVICES), CATEGORIES_SHEET)
# The first sheet of the annotated copy sent back with a rejection: never
# read, and no warning when the corrected copy comes back with it.
ANOMALIES_SHEET = "Anomalies"

# --- Limits (security.md: cap rows and cell lengths; reject, never truncate) --

MAX_USER_ROWS = 5000
MAX_CELL_LENGTH = 255


@dataclass(frozen=True)
class FormSheet:
    name: str
    fields: tuple[Field, ...] = field(default_factory=tuple)


FORM_SHEETS = (FormSheet(ADHERENT_SHEET, ADHERENT_FIELDS), FormSheet(DELEGUE_SHEET, DELEGUE_FIELDS))
FORM_FIELD = {(form.name, f.key): f for form in FORM_SHEETS for f in form.fields}
