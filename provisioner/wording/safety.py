"""The sentences of the findings that refuse a file before it is read (workbook/safety.py,
workbook/sheet_extent.py): a zip that is not a workbook, damaged, locked, booby-trapped or far bigger than
a bordereau, each with what to do. Said to the companies (the report, the CLI, the portal)."""

from __future__ import annotations

from provisioner.wording.workbook_text import SAVE_AS_XLSX

BLANK_TEMPLATE = "Repartez du modèle vierge."

# --- The zip and its parts (workbook.safety) ---------------------------------------------

NOT_A_WHOLE_WORKBOOK = "Le fichier n'est pas un classeur Excel (.xlsx) complet. " + SAVE_AS_XLSX
TRUNCATED = "Le fichier est endommagé ou incomplet (tronqué). " + SAVE_AS_XLSX
UNSUPPORTED_ZIP = ("Le fichier est endommagé, chiffré ou compressé d'une façon non prise en charge. "
                   + SAVE_AS_XLSX)
MACROS = "Le classeur contient des macros (.xlsm). " + SAVE_AS_XLSX
DUPLICATE_ENTRIES = "Le fichier est endommagé (éléments internes en double). " + SAVE_AS_XLSX
PASSWORD_PROTECTED = "Le fichier est protégé par un mot de passe. Retirez la protection et renvoyez-le."
TOO_BIG_UNCOMPRESSED = "Le classeur décompressé dépasse la taille admise. " + BLANK_TEMPLATE
ABNORMAL_RATIO = "Le classeur se décompresse à une taille anormale (fichier piégé ?). " + BLANK_TEMPLATE
XML_DECLARATIONS = "Le classeur contient des déclarations XML non admises. " + SAVE_AS_XLSX
UNREADABLE_XML = "Le classeur est endommagé (XML illisible). " + SAVE_AS_XLSX
UNREADABLE_SHEET = "Le classeur est endommagé (feuille illisible). " + SAVE_AS_XLSX


def too_many_entries(count: int) -> str:
    return f"Le classeur contient {count} éléments internes ; c'est anormal pour un bordereau. " + BLANK_TEMPLATE


def too_many_strings(limit: str) -> str:
    """`limit` comes written with spaces between thousands."""
    return (f"Le classeur annonce plus de {limit} textes différents : c'est bien plus qu'un bordereau de "
            "5 000 utilisateurs. " + BLANK_TEMPLATE)


# --- The sheets' extent (workbook.sheet_extent) -------------------------------------------


def too_many_cells(limit: str) -> str:
    """`limit` comes written with spaces between thousands."""
    return (f"Le classeur contient plus de {limit} cellules remplies : c'est bien plus qu'un bordereau de "
            "5 000 utilisateurs. Répartissez les utilisateurs sur plusieurs fichiers.")


def sheet_too_far(sheet: str | None, rows: int, column: str) -> str:
    """A sheet whose used range reaches far beyond a bordereau; `sheet` None when its name is unknown."""
    where = f"La feuille « {sheet} »" if sheet else "Une feuille du classeur"
    return (f"{where} contient des données jusqu'à la ligne {rows}, colonne {column} : c'est bien au-delà de ce "
            "qu'un bordereau peut contenir. Supprimez les lignes et colonnes inutilisées (ou repartez du modèle "
            "vierge) et renvoyez le fichier.")
