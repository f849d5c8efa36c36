"""What the subscription form may carry: the keys it takes, checked, as text its fonts print.

Secrets: the form never carries a password. Only the keys below are taken
and any other is refused (a `password`, a whole row read from the
workbook), so a caller cannot pass one by mistake. Text is kept as typed
(Arabic, Latin Extended: form_fonts covers them); a character no shipped
font has is printed "?", and the checker has already warned about it
(UNPRINTABLE_CHARACTER), so the change is never silent.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import TypedDict

from provisioner.reports.form_fonts import unprintable

# The only keys the form accepts.
TOP_KEYS = ("numero", "raison_sociale", "submission_id", "date", "company", "delegue")
COMPANY_KEYS = (
    "adresse", "ville", "rc", "localite_rc", "patente", "site_web", "civilite", "nom", "prenom",
    "fonction", "tel1", "tel2", "fax", "gsm", "email",
)
DELEGUE_KEYS = ("civilite", "nom", "prenom", "fonction", "tel", "gsm", "fax", "email")


class FormDataError(ValueError):
    """The data for the subscription form has a key the form does not take."""


class CheckedForm(TypedDict):
    """What the form prints: every value as one printable line, and the submission's moment."""

    numero: str
    raison_sociale: str
    submission_id: str
    moment: datetime
    company: dict[str, str]  # COMPANY_KEYS
    delegue: dict[str, str]  # DELEGUE_KEYS


def form_data(
    *, numero: str, raison_sociale: str | None, submission_id: str, date: object,
    company: Mapping[str, object], delegue: Mapping[str, object],
) -> dict[str, object]:
    """Data for the form picked from wider mappings (the workbook's forms).

    Only COMPANY_KEYS and DELEGUE_KEYS are copied: the Délégué sheet's
    password cells stay behind.
    """
    return {
        "numero": numero, "raison_sociale": raison_sociale, "submission_id": submission_id,
        "date": date,
        "company": {k: company.get(k) for k in COMPANY_KEYS},
        "delegue": {k: delegue.get(k) for k in DELEGUE_KEYS},
    }


def checked(data: Mapping[str, object]) -> CheckedForm:
    """The form's values as printable text and its moment; FormDataError on any key it does not take."""
    _refuse_unknown("form data", data, TOP_KEYS)
    company = _refuse_unknown("company", data.get("company") or {}, COMPANY_KEYS)
    delegue = _refuse_unknown("delegue", data.get("delegue") or {}, DELEGUE_KEYS)
    return {
        "numero": _text(data.get("numero")),
        "raison_sociale": _text(data.get("raison_sociale")),
        "submission_id": _text(data.get("submission_id")),
        "moment": _moment(data.get("date")),
        "company": {k: _text(company.get(k)) for k in COMPANY_KEYS},
        "delegue": {k: _text(delegue.get(k)) for k in DELEGUE_KEYS},
    }


def _refuse_unknown(what: str, data: object, allowed: tuple[str, ...]) -> Mapping[str, object]:
    """`data` when it is a mapping with none but the `allowed` keys."""
    if not isinstance(data, Mapping):
        raise FormDataError(f"{what} is not a mapping")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        # Names only: the value of an unexpected key may be the secret itself.
        raise FormDataError(f"{what} has unknown key(s): {', '.join(map(str, unknown))}")
    return data


def _text(value: object) -> str:
    """A value as one line the form's fonts can print."""
    if value is None:
        return ""
    text = _one_line(str(value))
    missing = unprintable(text)
    return text.translate({ord(ch): "?" for ch in missing}) if missing else text


def unprintable_in(value: str) -> str:
    """The characters of `value` the form will print as "?" (for the checker's warning)."""
    return unprintable(_one_line(value))


def _one_line(value: str) -> str:
    return unicodedata.normalize("NFKC", " ".join(value.split()))  # no line breaks or tabs inside


def _moment(value: object) -> datetime:
    """The submission's time, aware (naive = UTC, the service's clock)."""
    if value is None or value == "":
        raise FormDataError("form data lacks the submission date")
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(12, 0))
    if not isinstance(value, datetime):
        raise FormDataError("form data date is not a date")
    return value if value.tzinfo else value.replace(tzinfo=UTC)
