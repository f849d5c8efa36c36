"""The password policy, and passwords generated when a workbook leaves them blank."""

from __future__ import annotations

import re
import secrets
import string

from provisioner.domain.vocabulary import PASSWORD_PATTERN

GENERATED_LENGTH = 10
_ALPHABET = string.ascii_letters + string.digits
_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


def is_compliant(value: object) -> bool:
    """5 to 10 ASCII letters and digits, checked on the raw value.

    Not `str.isalnum()`: it accepts full-width letters (`ａｂｃ１２`) and
    superscript digits (`²³¹45`) that no login form lets a user type back.
    """
    return isinstance(value, str) and re.fullmatch(PASSWORD_PATTERN, value) is not None


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random compliant password with a lower-case letter, an upper-case letter and a digit."""
    if not 5 <= length <= 10:
        raise ValueError("a compliant password has 5 to 10 characters")
    while True:
        # Drawing again until every class is present keeps the choice uniform
        # among qualifying passwords (82% of 10-character draws qualify).
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(c in chars for c in candidate) for chars in _CLASSES):
            return candidate
