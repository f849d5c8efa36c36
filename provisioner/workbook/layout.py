"""The workbook of template version 2026.1, as spec.md names it.

Every sheet name, label, column header and closed list lives here, once: the
template writer, the reader, the schemas and the annotated copy all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from provisioner.wording.passwords import PASSWORD_HINT

TEMPLATE_VERSION = "2026.1"

# Request types: the value typed in the workbook → the key used in reports.
ABONNEMENT = "abonnement"
MISE_A_JOUR = "mise_a_jour"
CONTROLE = "controle"
REQUEST_TYPES = {
    "Abonnement": ABONNEMENT,
    "Mise à jour": MISE_A_JOUR,
    "Contrôle seul": CONTROLE,
}

CIVILITES = ("M.", "Mme", "Mlle")
OUI_NON = ("Oui", "Non")
CONFIRMATIONS = ("1", "2")
MODES = ("Fichier préétabli", "Formulaire de saisie")
CATEGORIES = ("D", "S0", "S1", "S2", "S3")
CATEGORY_MARKS = ("X", "Oui")


class Action(str, Enum):
    """What a user row asks for. BLANK is the declarative "make it so" row."""

    BLANK = ""
    CREER = "Créer"
    MODIFIER = "Modifier"
    DESACTIVER = "Désactiver"
    REACTIVER = "Réactiver"
    REINITIALISER = "Réinitialiser mot de passe"


ACTIONS = tuple(a.value for a in Action if a is not Action.BLANK)

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


ALWAYS = frozenset({ABONNEMENT, MISE_A_JOUR, CONTROLE})
FOR_ABONNEMENT = frozenset({ABONNEMENT})

PHONE_HINT = "Numéro marocain (0522123456, 0661234567) ou international (+33 1 23 45 67 89)."

# --- Sheet "Adhérent" (form: label in column A, value in column B) ---------

ADHERENT_SHEET = "Adhérent"
ADHERENT_FIELDS: tuple[Field, ...] = (
    Field("version", "Version du modèle", hint="Ne pas modifier : 2026.1."),
    Field("type_demande", "Type de demande", Kind.CHOICE, tuple(REQUEST_TYPES), ALWAYS,
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

# Company details that a Mise à jour does not apply but turns into a request.
ADHERENT_DETAIL_KEYS = (
    "raison_sociale", "adresse", "ville", "rc", "localite_rc", "patente", "site_web",
    "civilite", "nom", "prenom", "fonction", "tel1", "tel2", "fax", "gsm", "email",
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

# Delegate changes the fund requires a signed letter for: they become requests.
DELEGUE_DETAIL_KEYS = ("civilite", "nom", "prenom", "fonction", "tel", "gsm", "fax", "email")

# --- The six user sheets (tables: headers in row 1) -------------------------

ACTION = Field("action", "Action", Kind.CHOICE, ACTIONS, width=24,
               hint="Vide : créer ou mettre à jour selon le login. Créer, Modifier, Désactiver "
                    "(départ ou réaffectation), Réactiver, Réinitialiser mot de passe.")
CIVILITE = Field("civilite", "Civilité", Kind.CHOICE, CIVILITES, width=10)
NOM = Field("nom", "Nom")
PRENOM = Field("prenom", "Prénom")
FONCTION = Field("fonction", "Fonction")
TELEPHONE = Field("telephone", "Téléphone", Kind.PHONE, hint=PHONE_HINT, width=15)
FAX = Field("fax", "Fax", Kind.PHONE, hint=PHONE_HINT, width=15)
GSM = Field("gsm", "GSM", Kind.PHONE, hint=PHONE_HINT, width=15)
EMAIL = Field("email", "Email", Kind.EMAIL, width=28)
LOGIN = Field("login", "Login", Kind.LOGIN, width=16,
              hint="3 à 30 caractères : lettres, chiffres, point, tiret, souligné. "
                   "Un login différent pour chaque téléservice.")
PASSWORD = Field("password", "Mot de passe", Kind.PASSWORD, width=14,
                 hint=PASSWORD_HINT + " Vide à la création : un mot de passe est généré "
                      "et envoyé à l'utilisateur.")
PASSWORD_CONFIRM = Field("password_confirm", "Confirmation mot de passe", Kind.PASSWORD, width=14)
QUESTIONS = tuple(
    Field(f"question{i}", f"Question {i}", Kind.QUESTION, SECRET_QUESTIONS, width=40,
          hint="Choisissez une question dans la liste ou écrivez la vôtre ; trois questions différentes.")
    for i in (1, 2, 3)
)
ANSWERS = tuple(Field(f"answer{i}", f"Réponse {i}", Kind.ANSWER, width=16) for i in (1, 2, 3))
MODE = Field("mode", "Mode de télédéclaration", Kind.CHOICE, MODES, width=22)
PRESTATAIRE = Field("prestataire", "Raison sociale du prestataire", width=26)
ORDONNATEUR = Field("ordonnateur", "Ordonnateur", Kind.CHOICE, OUI_NON, width=12,
                    hint="Oui : peut ordonner les paiements.")
VALIDATEUR = Field("validateur", "Validateur", Kind.CHOICE, OUI_NON, width=12,
                   hint="Oui : peut valider les paiements.")

SECRET_QA: tuple[tuple[Field, Field], ...] = tuple(zip(QUESTIONS, ANSWERS))


def _user_columns(*extra: Field) -> tuple[Field, ...]:
    # Extra columns follow Fonction, as in the fund's forms and the samples.
    return (ACTION, CIVILITE, NOM, PRENOM, FONCTION, *extra, TELEPHONE, FAX, GSM, EMAIL, LOGIN,
            PASSWORD, PASSWORD_CONFIRM, QUESTIONS[0], ANSWERS[0], QUESTIONS[1], ANSWERS[1],
            QUESTIONS[2], ANSWERS[2])


@dataclass(frozen=True)
class Teleservice:
    key: str
    name: str
    sheet: str
    columns: tuple[Field, ...]
    # Columns a complete record (blank Action) needs besides the common ones.
    record_keys: tuple[str, ...] = ()
    categories: bool = False  # télédéclaration users carry categories

    def column(self, key: str) -> Field:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


COMMON_RECORD_KEYS = ("nom", "prenom", "fonction", "email", "login")

TELESERVICES: tuple[Teleservice, ...] = (
    Teleservice("td_interne", "Télédéclaration (utilisateur interne)", "Télédéclaration interne",
                _user_columns(MODE), ("mode",), categories=True),
    Teleservice("td_externe",
                "Télédéclaration (utilisateur externe : fiduciaire ou autre prestataire)",
                "Télédéclaration externe", _user_columns(PRESTATAIRE, MODE),
                ("prestataire", "mode"), categories=True),
    Teleservice("compte_adherent", "Compte Adhérent", "Compte Adhérent", _user_columns()),
    Teleservice("easypaiement", "E@syPaiement (règlement des cotisations)", "E@syPaiement",
                _user_columns(ORDONNATEUR, VALIDATEUR)),
    Teleservice("eliquidation", "e-Liquidation@ (liquidation des dossiers de pension)",
                "e-Liquidation@", _user_columns()),
    Teleservice("sanctions", "Sanctions", "Sanctions", _user_columns()),
)
TELESERVICE_BY_KEY = {t.key: t for t in TELESERVICES}

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
LOGIN_PATTERN = r"[A-Za-z0-9._-]{3,30}"
PASSWORD_PATTERN = r"[A-Za-z0-9]{5,10}"


@dataclass(frozen=True)
class FormSheet:
    name: str
    fields: tuple[Field, ...] = field(default_factory=tuple)


FORM_SHEETS = (FormSheet(ADHERENT_SHEET, ADHERENT_FIELDS), FormSheet(DELEGUE_SHEET, DELEGUE_FIELDS))
FORM_FIELD = {(form.name, f.key): f for form in FORM_SHEETS for f in form.fields}
