"""The sentences of the findings the workbook reader makes: a file, a sheet, a label, a column or a cell
that could not be read as the person meant it, each with what to do.

Said to the companies (the report, the annotated copy, the CLI, the portal); the reader only
chooses which and where (workbook/reader.py, table_reader.py, cell_values.py).
"""

from __future__ import annotations

# --- The file --------------------------------------------------------------------

DAMAGED_FILE = ("Le classeur est endommagé et ne peut pas être lu. Enregistrez-le de nouveau au format .xlsx "
                "depuis Excel et renvoyez-le.")
DAMAGED_SHEET = ("Une feuille du classeur est endommagée et ne peut pas être lue. Repartez du modèle vierge et "
                 "renvoyez le fichier.")
READ_TOO_LONG = ("La lecture du classeur a pris trop de temps : il est bien plus lourd ou plus complexe qu'un "
                 "bordereau. Repartez du modèle vierge, sans images ni formules, et renvoyez le fichier.")
READ_TOO_BIG = ("Le classeur demande bien plus de mémoire qu'un bordereau pour être lu (fichier piégé ou "
                "endommagé ?). Repartez du modèle vierge et renvoyez le fichier.")
READER_DIED = ("Le classeur est endommagé et ne peut pas être lu. Enregistrez-le de nouveau au format .xlsx "
               "(ou repartez du modèle vierge) et renvoyez-le.")


def too_many_rows(total: int, limit: int) -> str:
    return (f"Le classeur contient {total} lignes d'utilisateurs ; la limite est de {limit}. "
            "Répartissez-les sur plusieurs fichiers.")


# --- Sheets, labels, columns, rows -------------------------------------------------


def unknown_sheet(sheet: str) -> str:
    return f"La feuille « {sheet} » ne fait pas partie du modèle : elle est ignorée."


def hidden_sheet(sheet: str) -> str:
    return (f"La feuille « {sheet} » est masquée. Affichez-la (clic droit sur un onglet, « Afficher ») et "
            "vérifiez son contenu avant de renvoyer le fichier.")


def missing_sheet(sheet: str, version: str) -> str:
    return (f"La feuille « {sheet} » est absente. Repartez du modèle {version} sans renommer ni "
            "supprimer ses feuilles.")


def missing_label(label: str, sheet: str) -> str:
    return (f"Le libellé « {label} » est absent de la feuille « {sheet} » (colonne A). Repartez du modèle sans "
            "modifier les libellés.")


def hidden_form_row(label: str) -> str:
    return (f"La ligne « {label} » est masquée mais renseignée. Affichez-la et vérifiez-la avant de renvoyer "
            "le fichier.")


def missing_header_row(sheet: str) -> str:
    return (f"La ligne d'en-têtes de la feuille « {sheet} » est absente. Repartez du modèle sans supprimer la "
            "première ligne.")


def unknown_column(text: str) -> str:
    return f"La colonne « {text} » ne fait pas partie du modèle : elle est ignorée."


def duplicate_column(label: str, letter: str) -> str:
    return f"La colonne « {label} » apparaît deux fois. Supprimez la copie (colonne {letter})."


def hidden_column(label: str) -> str:
    return (f"La colonne « {label} » est masquée. Affichez-la et vérifiez son contenu avant de renvoyer le "
            "fichier.")


def missing_column(label: str, sheet: str) -> str:
    return (f"La colonne « {label} » est absente de la feuille « {sheet} ». Repartez du modèle sans supprimer "
            "ni renommer de colonne.")


def hidden_table_row(row: int) -> str:
    return (f"La ligne {row} est masquée mais contient des données. Affichez-la (ou supprimez-la) et "
            "vérifiez-la avant de renvoyer le fichier.")


# --- Cells -----------------------------------------------------------------------

EXCEL_ERROR = "La cellule contient une erreur Excel (#N/A, #REF!…). Saisissez la valeur elle-même."
FORMULA_NOT_ADMITTED = "Une formule n'est pas admise dans cette cellule. Saisissez la valeur elle-même."
FORMULA_KEPT = ("Cette cellule contient une formule : la valeur affichée a été retenue. Préférez saisir la valeur "
                "elle-même.")
PASSWORD_AS_NUMBER = ("Le mot de passe a été enregistré comme un nombre et a pu perdre des zéros. Mettez la cellule "
                      "au format Texte et saisissez-le de nouveau.")


def too_long(length: int, limit: int) -> str:
    return f"La valeur est trop longue ({length} caractères, {limit} au plus). Raccourcissez-la."


def date_in_text(value: str) -> str:
    return (f"Cette cellule contient une date, enregistrée telle quelle : « {value} ». Si ce n'en est pas une, "
            "mettez la cellule au format Texte et saisissez de nouveau la valeur.")


def not_retyped(marker: str, *, answer: bool) -> str:
    """A password or an answer cell that still holds the annotated copy's marker."""
    what = "la réponse (la copie annotée ne la" if answer else "le mot de passe (la copie annotée ne le"
    return (f"La cellule porte encore « {marker} » : saisissez de nouveau {what} recopie jamais), ou videz "
            "la cellule pour la laisser vide.")
