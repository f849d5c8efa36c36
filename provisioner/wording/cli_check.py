"""What `provisioner check` says to the person at the terminal: a workbook's summary line, the places and
severities of its table of findings, the annotated copy, and why a check could not be done (cli.check).
Names and values come already made printable."""

from __future__ import annotations

from provisioner.wording.phrases import nombre

INTERNAL_ERROR = ("Erreur : la vérification n'a pas pu aboutir (erreur interne). Le détail technique "
                  "est dans le journal.")
ANNOTATE_ONE_WORKBOOK = ("--annotate s'applique à un classeur seul : pour un lot .zip, vérifiez avec --annotate "
                         "chaque classeur à annoter.")


def batch_refused(name: str, code: str, message: str) -> str:
    return f"« {name} » : refusé — {code} : {message}"


# --- The annotated copy --------------------------------------------------------------------

NO_ANNOTATED_COPY = ("Pas de copie annotée : le fichier n'a pas pu être lu comme un classeur .xlsx, il n'a "
                     "aucune cellule à marquer.")


def copy_not_written(path: str) -> str:
    return (f"Erreur : la copie annotée n'a pas pu être écrite dans « {path} » (dossier absent ou droits "
            "insuffisants).")


def copy_written(path: str) -> str:
    return f"Copie annotée écrite : {path}"


# --- A workbook's summary line --------------------------------------------------------------

UNKNOWN_REQUEST_TYPE = "type de demande non reconnu"


def about(request: str, numero: str) -> str:
    """What the workbook is: its request type (a label) and its adherent number (may be blank)."""
    return f" ({request}, adhérent {numero or 'non renseigné'})"


def counts(errors: int, warnings: int) -> str:
    return f"{nombre(errors, 'erreur', 'erreurs')}, {nombre(warnings, 'avertissement', 'avertissements')}"


def accepted(name: str, about: str, counts: str) -> str:
    return f"« {name} »{about} : accepté — {counts}."


def refused(name: str, about: str, counts: str) -> str:
    return f"« {name} »{about} : refusé — {counts}. Corrigez chaque cellule indiquée, puis renvoyez le fichier."


def refused_unread(name: str, message: str) -> str:
    """A file not read as a workbook (.xls, .ods, damaged): no cell to correct; its finding says what to do."""
    return f"« {name} » : refusé — {message}"


# --- The findings' table ---------------------------------------------------------------------

TABLE_HEADERS = ("Gravité", "Code", "Emplacement", "Message")
ERROR = "ERREUR"
WARNING = "AVERTISSEMENT"
WHOLE_WORKBOOK = "classeur"


def row_place(sheet: str, row: int) -> str:
    return f"{sheet}, ligne {row}"


def column_place(sheet: str, column: str) -> str:
    return f"{sheet}, « {column} »"
