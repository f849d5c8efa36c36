"""What the service says about a workbook itself: why a file is not a workbook it can read (its kind, its
size), and the fixed texts it writes into the copies it makes (annotated, pre-filled, rebuilt)."""

from __future__ import annotations

# -- a file that is not an .xlsx (workbook.file_kind, workbook.unsafe_file) ------------------

SAVE_AS_XLSX = "Enregistrez le fichier au format « Classeur Excel (.xlsx) » et renvoyez-le."
HOW_TO_SAVE_XLSX = ("Ouvrez-le et enregistrez-le au format .xlsx : dans Excel, « Fichier › Enregistrer sous », "
                    "type « Classeur Excel (*.xlsx) » ; dans LibreOffice, « Fichier › Enregistrer sous », type "
                    "« Excel 2007-365 (.xlsx) ». Puis renvoyez-le.")
# What a file is, told by its bytes: its kind → how a person would call it.
FORMAT_NAMES = {
    "xls": "un classeur Excel 97-2003 (.xls)",
    "ods": "un classeur OpenDocument (.ods, LibreOffice ou OpenOffice)",
    "odf": "un document OpenDocument qui n'est pas un classeur",
    "csv": "un fichier texte (.csv), sans feuilles ni mise en forme",
}


def _then_save_as() -> str:
    return SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:]


def file_too_large(size: int, max_bytes: int) -> str:
    return (f"Le fichier pèse {size / 1_048_576:.1f} Mo ; la limite est de "
            f"{max_bytes / 1_048_576:.0f} Mo. Envoyez un fichier par adhérent, sans images ni pièces jointes.")


ENCRYPTED = ("Le fichier est protégé par un mot de passe (chiffré). Retirez la protection "
             "(« Fichier › Informations › Protéger le classeur » dans Excel) et " + _then_save_as())
ENCRYPTED_OR_OLD = ("Le fichier est protégé par un mot de passe (chiffré) ou enregistré dans un ancien format. "
                    "Retirez la protection et " + _then_save_as())
UNEXPECTED_CONTENT = "Ce fichier n'est pas un classeur Excel lisible (contenu inattendu). " + SAVE_AS_XLSX


def wrong_format(kind: str) -> str:
    """A file of a kind of FORMAT_NAMES."""
    return f"Ce fichier est {FORMAT_NAMES[kind]}, pas un classeur .xlsx. {HOW_TO_SAVE_XLSX}"


def not_xlsx(suffix: str) -> str:
    shown = suffix or "sans extension"
    return f"Seuls les classeurs .xlsx sont acceptés (fichier {shown}). " + SAVE_AS_XLSX


# -- the subscription form (workbook.form_print) --------------------------------------------

def unprintable(missing: str) -> str:
    """Characters of a form value the printed subscription form cannot show."""
    shown = ", ".join(f"« {ch} » (U+{ord(ch):04X})" for ch in missing)
    what = ("Ce caractère ne peut pas être imprimé sur le formulaire d'abonnement : {}. Il y figure"
            if len(missing) == 1 else
            "Ces caractères ne peuvent pas être imprimés sur le formulaire d'abonnement : {}. Ils y figurent")
    return (what.format(shown) + " comme « ? » ; la valeur est enregistrée telle quelle. Si le formulaire "
            "doit la porter entière, écrivez-la autrement (en lettres latines ou arabes).")


# -- the pre-filled workbook (workbook.prefill) ---------------------------------------------

def disabled_comment(action_label: str, reactivate: str) -> str:
    return (f"Compte désactivé. Laissez « {action_label} » vide pour le garder tel quel, "
            f"ou choisissez « {reactivate} » pour le réactiver.")


PASSWORD_COMMENT = ("Saisissez ici le mot de passe actuel de l'administrateur des utilisateurs : il "
                    "authentifie le fichier. Il n'a pas été pré-rempli.")


def prefilled_title(title: str, numero: str) -> str:
    return f"{title} — pré-rempli pour l'adhérent {numero}"


def template_title(title: str, version: str) -> str:
    """The blank template's document title (workbook.template)."""
    return f"{title} — modèle {version}"


def prefilled_subtitle(version: str, day: str, numero: str, name: str, adherent_sheet: str) -> str:
    """`name`: « (raison sociale) » with its leading space, or empty."""
    return (f"Modèle {version} pré-rempli le {day} pour l'adhérent "
            f"{numero}{name}. Lisez d'abord la note en bas de l'onglet "
            f"« {adherent_sheet} ».")


def prefill_note(day: str, numero: str, delegue_sheet: str, action_label: str) -> str:
    return (f"Fichier pré-rempli le {day} avec les données enregistrées pour l'adhérent {numero}. "
            "Modifiez seulement ce qui change. Laissez vides les mots de passe, les questions et les "
            "réponses secrètes des lignes que vous ne changez pas : une cellule vide conserve la valeur "
            f"actuelle. Avant d'envoyer le fichier, saisissez le mot de passe actuel de l'administrateur "
            f"dans l'onglet « {delegue_sheet} » (« Mot de passe »). Les comptes désactivés figurent "
            f"aussi, en gris : laissez leur « {action_label} » vide pour les garder désactivés.")


# -- the copies of a received workbook (workbook.rebuild) ------------------------------------

def unread_copy(*, annotate: bool) -> str:
    where = " Voir la feuille « Anomalies »." if annotate else ""
    return ("Le fichier reçu n'a pas pu être lu : cette copie ne contient aucune de ses "
            "valeurs." + where)


ANNOTATED_COPY = ("Copie annotée du fichier envoyé : commencez par la feuille « Anomalies », qui liste "
                  "les cellules à corriger. Les mots de passe et les réponses secrètes n'y sont jamais "
                  "recopiés : leurs cellules, en mauve, portent « À RESSAISIR » et sont à remplir de nouveau.")
ARCHIVE_COPY = ("Copie d'archive du fichier reçu, reconstituée à partir des valeurs lues : voir la feuille "
                "« Adhérent ». Les mots de passe et les réponses secrètes en ont été effacés.")

# The comments on an emptied secret cell, and on its column's header past the cell-by-cell limit.
PASSWORD_TO_RETYPE = "Mot de passe à ressaisir : il n'est jamais renvoyé."
ANSWER_TO_RETYPE = "Réponse à ressaisir : elle n'est jamais renvoyée."
PASSWORDS_TO_RETYPE = "Cellules en mauve : mots de passe à ressaisir ; ils ne sont jamais renvoyés."
ANSWERS_TO_RETYPE = "Cellules en mauve : réponses à ressaisir ; elles ne sont jamais renvoyées."


# -- the check of a workbook (workbook.checker) ----------------------------------------------

UNEXPECTED = ("Le classeur n'a pas pu être vérifié entièrement à cause d'une erreur inattendue du "
              "service. Vérifiez qu'il suit le modèle {version} ; si le problème persiste, "
              "contactez l'Agence Virtuelle.")


def abonnement_too_large(limit: int, users: int) -> str:
    return (f"Un abonnement comporte au plus {limit} utilisateurs ; ce classeur en "
            f"contient {users}. Renvoyez-le avec {limit} utilisateurs au plus, puis, une fois "
            "l'abonnement validé par l'Agence Virtuelle, envoyez les autres dans un bordereau "
            "« Mise à jour ».")


# -- the annotated copy's `Anomalies` sheet (workbook.anomalies_sheet) -----------------------

RETYPE_LABEL = "À ressaisir"


def anomalies_summary(errors: int, warnings: int, retype: int, fix_advice: str) -> str:
    """The title line of the `Anomalies` sheet."""
    counts = f"{_count(errors, 'erreur', feminine=True)} et {_count(warnings, 'avertissement')}"
    if errors:
        marked = "la cellule mauve marquée" if retype == 1 else f"les {retype} cellules mauves marquées"
        again = (f" Ressaisissez aussi {marked} « À RESSAISIR » (en fin de liste) : un fichier renvoyé avec "
                 "cette mention est refusé." if retype else "")
        return f"Le fichier a été refusé : {counts}. {fix_advice}{again}"
    erased = "les mots de passe et les réponses secrètes ne sont jamais recopiés."
    if warnings:
        return f"{counts[0].upper()}{counts[1:]}. Vérifiez les cellules en orange ; {erased}"
    return f"Aucune anomalie ; {erased}"


def retype_message(cells: int) -> str:
    """The message of a sheet row's emptied secret cells (`cells` of them)."""
    what = "ce mot de passe ou cette réponse" if cells == 1 else "ces mots de passe et réponses"
    return (f"Saisissez de nouveau {what} : la copie annotée ne les recopie jamais. Laissée telle quelle, "
            "la mention « À RESSAISIR » fait refuser le fichier.")


def _count(n: int, noun: str, *, feminine: bool = False) -> str:
    if n == 0:
        return f"{'aucune' if feminine else 'aucun'} {noun}"
    return f"{n} {noun}{'s' if n > 1 else ''}"


# -- the template's dropdowns and "Listes de choix" (workbook.dropdowns, workbook.render) -------

LISTS_TITLE = "Listes de choix"
LISTS_NOTE = "Valeurs proposées par les menus déroulants. Ne pas modifier."
YES_NO_LIST = "Oui / Non"
CATEGORY_MARK_LIST = "Marque de catégorie"
SUGGESTED_QUESTIONS_LIST = "Questions secrètes proposées"
REQUIRED_FOR_ABONNEMENT = "Obligatoire pour un Abonnement."
UNEXPECTED_VALUE = "Valeur non prévue"  # the title of Excel's refusal of a value not in the list
QUESTION_TITLE = "Question secrète"  # the input message's title of the three question columns


def choose_in_list(choices: tuple[str, ...]) -> str:
    return "Choisissez une valeur dans la liste : " + ", ".join(choices) + "."
