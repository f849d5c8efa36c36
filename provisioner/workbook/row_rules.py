"""The rules across a row's cells: the record an action needs, the password pair, E@syPaiement powers.

Each rule judges its own columns for every row of a table at once (numpy on
columns taken out of the frame once per table: these run on every sheet of
every workbook); the schemas turn a failed cell into its finding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from provisioner.domain.shared_rules import lacks_role
from provisioner.domain.vocabulary import Action

# Actions whose row is a whole record (spec: "blank" and `Créer` need it all).
RECORD_ACTIONS = (Action.BLANK.value, Action.CREER.value)


Cells = dict[str, np.ndarray]  # field key → one bool per row (False: that cell fails)
Columns = Mapping[str, np.ndarray]  # a table's columns, by field key


@dataclass(frozen=True)
class RowRule:
    """A rule across the cells of a row: `cells` judges each of the rule's own columns, every row at once.

    numpy rather than pandas operators, on columns taken out of the frame
    once per table: these run on every sheet of every workbook.
    """

    name: str
    cells: Callable[[Columns], Cells]


def columns_of(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {str(key): frame[key].to_numpy() for key in frame.columns}


def is_record(columns: Columns) -> np.ndarray:
    action = columns["action"]
    return np.asarray(np.logical_or.reduce([action == a for a in RECORD_ACTIONS]), dtype=bool)


def record_required(record_keys: tuple[str, ...]) -> RowRule:
    """Blank or `Créer`: the whole record; any other action: the login."""

    def cells(columns: Columns) -> Cells:
        record = is_record(columns)
        out = {key: ~(record & (columns[key] == "")) for key in record_keys if key != "login"}
        out["login"] = columns["login"] != ""
        return out

    return RowRule("record_required", cells)


def password_pair() -> list[RowRule]:
    """The password and its confirmation go together (spec: "Passwords")."""

    def pair(columns: Columns) -> tuple[np.ndarray, np.ndarray]:
        return columns["password"] != "", columns["password_confirm"] != ""

    def differs(columns: Columns) -> Cells:
        typed, confirmed = pair(columns)
        same = columns["password"] == columns["password_confirm"]
        return {"password_confirm": ~(typed & confirmed & ~same)}

    def confirmation_missing(columns: Columns) -> Cells:
        typed, confirmed = pair(columns)
        return {"password_confirm": ~(typed & ~confirmed)}

    def password_missing(columns: Columns) -> Cells:
        typed, confirmed = pair(columns)
        return {"password": ~(~typed & confirmed)}

    return [RowRule("confirmation_differs", differs),
            RowRule("confirmation_missing", confirmation_missing),
            RowRule("password_missing", password_missing)]


def easypaiement_role() -> RowRule:
    """A record row needs at least one `Oui`; a Modifier row may not set both powers to `Non`.

    A Modifier row that leaves one power blank keeps the stored one: only the
    store can tell, so it is not judged here. The failure sits on Ordonnateur.
    """

    def cells(columns: Columns) -> Cells:
        ordo, valid = columns["ordonnateur"], columns["validateur"]
        no_power = is_record(columns) & lacks_role(ordo == "Oui", valid == "Oui")
        modifier = columns["action"] == Action.MODIFIER.value
        both_non = modifier & (ordo == "Non") & (valid == "Non")  # lacks_role once the blanks are known
        return {"ordonnateur": ~(no_power | both_non)}

    return RowRule("easypaiement_role", cells)
