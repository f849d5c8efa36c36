"""The rules both the store-free check (workbook/) and the planner (domain.cross_checks) apply.

The check judges what a workbook says alone, the planner what the store plus
the workbook lead to; each rule is one predicate here and one message in
wording.check_findings, so the two never disagree on what is wrong nor on what
to do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from provisioner.domain.vocabulary import CATEGORIES

if TYPE_CHECKING:
    import numpy as np

# One user's powers, or a column of them (the check judges a whole table at once).
Truth = TypeVar("Truth", bool, "np.ndarray")


def lacks_role(ordonnateur: Truth, validateur: Truth) -> Truth:
    """EASYPAIEMENT_ROLE: neither Ordonnateur nor Validateur (`^ True` negates a bool and a column alike)."""
    neither: Truth = (ordonnateur | validateur) ^ True
    return neither


def leaves_no_category(marks: frozenset[str] | set[str]) -> bool:
    """CATEGORY_MISSING: an active Télédéclaration user keeps at least one category."""
    return not marks & set(CATEGORIES)
