"""What a single typed value must be: an email, a phone number, a login, a member number…

Pure predicates (the schemas' cell tests and rules.py use them), the format
tests of one field by check name, and how a typed value is quoted back in a
French message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from provisioner.domain.vocabulary import LOGIN_PATTERN, PASSWORD_PATTERN
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.phones import is_phone

MAX_EMAIL_LENGTH = 254
MAX_SHOWN = 40  # characters of a typed value quoted back in a message
_MEMBER_NUMBER = re.compile(r"[0-9]{4,10}")
_DIGITS = re.compile(r"[0-9]+")
_LOGIN = re.compile(LOGIN_PATTERN)
_PASSWORD = re.compile(PASSWORD_PATTERN)

# The shapes nearly every cell has, judged without the libraries: one call of email_validator
# (or phonenumbers: phones.py does the same) costs some 0.1 ms, 15,000 of them a 5,000-user
# workbook. Each shape is a strict subset of what the library accepts (tests/unit/test_value_shapes.py checks the
# library agrees); anything else is asked of the library, so the verdicts do not change.
# An ASCII dot-atom local part (at most 64 characters, RFC 5321) at a domain of plain labels
# (no label starting, ending or doubled with "-": email_validator refuses `ab--c` labels)
# ending in an alphabetic top-level domain.
_PLAIN_EMAIL = re.compile(r"(?P<local>[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*)"
                          r"@(?P<domain>(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+[A-Za-z]{2,63})")
_LOCAL_PART_MAX = 64
_DOMAIN_MAX = 253
_LABEL_MAX = 63


def is_email(value: str) -> bool:
    """One address, no CR/LF, at most 254 characters; syntax only (no DNS)."""
    return _plain_email(value) or _library_email(value)


def _plain_email(value: str) -> bool:
    plain = _PLAIN_EMAIL.fullmatch(value)
    if plain is None or len(value) > MAX_EMAIL_LENGTH or len(plain["local"]) > _LOCAL_PART_MAX:
        return False
    labels = plain["domain"].split(".")
    return (len(plain["domain"]) <= _DOMAIN_MAX and max(map(len, labels)) <= _LABEL_MAX
            and labels[-1].lower() not in SPECIAL_USE_DOMAIN_NAMES)


@lru_cache(maxsize=8192)  # a sheet repeats addresses and numbers; each library call is slow
def _library_email(value: str) -> bool:
    if len(value) > MAX_EMAIL_LENGTH or "\r" in value or "\n" in value:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def is_login(value: str) -> bool:
    return _LOGIN.fullmatch(value) is not None


def meets_password_policy(value: str) -> bool:
    # fullmatch on the raw value, never isalnum(): that accepts `ａｂｃ１２` and `²³¹45`.
    return _PASSWORD.fullmatch(value) is not None


def is_member_number(value: str) -> bool:
    return _MEMBER_NUMBER.fullmatch(value) is not None


def is_digits(value: str) -> bool:
    return _DIGITS.fullmatch(value) is not None


# --- French wording ----------------------------------------------------------


def shown(value: str) -> str:
    """A typed (non-secret) value, safe to quote: short, one line, no control characters."""
    text = "".join(c if c.isprintable() else (" " if c.isspace() else "\ufffd") for c in value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def one_of(choices: tuple[str, ...]) -> str:
    """`A, B ou C`."""
    return choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " ou " + choices[-1]


# --- Cell tests ----------------------------------------------------------------


Predicate = Callable[[str], bool]


def blank_or(predicate: Predicate) -> Predicate:
    """A cell test; blank always passes (being required is another check)."""

    def test(value: object) -> bool:
        try:
            return value == "" or predicate(str(value))
        except Exception:  # a library choking on odd input: the value is not valid
            return False

    return test


def field_tests(fld: Field, *, password_policy: bool = False) -> dict[str, Predicate]:
    """The format tests of one field, by check name."""
    if fld.kind in (Kind.CHOICE, Kind.MARK):
        return {"choice": blank_or(frozenset(fld.choices).__contains__)}
    if fld.kind is Kind.EMAIL:
        return {"email": blank_or(is_email)}
    if fld.kind is Kind.PHONE:
        return {"phone": blank_or(is_phone)}
    if fld.kind is Kind.LOGIN:
        return {"login": blank_or(is_login)}
    if fld.kind is Kind.DIGITS:
        member = fld.key == "numero"
        return {"numero": blank_or(is_member_number)} if member else {"digits": blank_or(is_digits)}
    if fld.kind is Kind.PASSWORD and password_policy:
        return {"password_policy": blank_or(meets_password_policy)}
    return {}
