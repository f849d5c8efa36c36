"""The password policy of the CIMR's accounts, as people read it (layout.PASSWORD_PATTERN checks it).

One rule, said three ways: the finding on a cell that breaks it, the help beside a password cell,
the paragraph of the workbook's instructions.
"""

from __future__ import annotations

LENGTH = "de 5 à 10 caractères"

# The finding on a password that breaks the policy.
POLICY_MESSAGE = (f"Le mot de passe doit compter {LENGTH}, uniquement des lettres sans accent et des "
                  "chiffres (ni espace, ni ponctuation) : choisissez-en un autre.")
# The help of a password cell (column C of a form, a column's comment).
PASSWORD_HINT = f"{LENGTH[:1].upper()}{LENGTH[1:]} : lettres (sans accent) et chiffres uniquement."
# The workbook's instructions, « Les mots de passe ».
POLICY_PARAGRAPH = (f"Un mot de passe compte {LENGTH} : uniquement des lettres sans accent (a à z, A à Z) "
                    "et des chiffres (0 à 9), sans espace ni signe de ponctuation.")
