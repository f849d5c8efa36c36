"""Messages rendered from templates: one folder per kind, each a subject, a text and an HTML body.

`templates/<kind>/subject.txt`, `body.txt` and `body.html` (package data).
The HTML is autoescaped (by its `.html` extension), the text and the subject
are not: they are never read as markup. Undefined keys are errors, so a
misspelt key fails in the tests instead of leaving a blank in a mail; `None`
values render as nothing, never as "None". Each template documents the keys
it expects in a comment at its top. Every template gets `subject` (the
rendered subject) besides the caller's keys.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from provisioner.domain.diff import before_after, field_line
from provisioner.wording import contact
from provisioner.wording.dates import NBSP, date_fr
from provisioner.wording.labels import (
    action_label,
    request_kind_label,
    request_type_label,
    status_label,
    teleservice_name,
)
from provisioner.wording.phrases import (
    adherent_label,
    adherent_numero,
    by_teleservice,
    counts_summary,
    nombre,
    place,
)

KINDS: tuple[str, ...] = (
    "accepted",
    "rejected",
    "duplicate",
    "controle",
    "subscription_received",
    "subscription_validated",
    "generated_password",
    "company_locked",
    "request_waiting",
    "request_decided",
    "admin_password_reset",
    "batch_summary",
    "submission_reverted",
    "prefilled_workbook",
    "mail_reply",
)

# The only kinds whose body holds a password: blanked in the queue once sent.
SECRET_KINDS: frozenset[str] = frozenset({"generated_password", "admin_password_reset"})

SUBJECT_MAX = 255  # mail_queue.subject is String(255)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class UnknownKind(ValueError):
    """No templates for this message kind."""


def render(kind: str, context: Mapping[str, object]) -> RenderedMail:
    """The subject, text and HTML of a `kind` message for `context` (plain dicts)."""
    if kind not in KINDS:
        raise UnknownKind(kind)
    env = _environment()
    subject = _one_line(env.get_template(f"{kind}/subject.txt").render(context))
    full = {**context, "subject": subject}
    text = _tidy_text(env.get_template(f"{kind}/body.txt").render(full))
    html = env.get_template(f"{kind}/body.html").render(full)
    return RenderedMail(subject=subject, text=text, html=html)


@functools.cache
def _environment() -> Environment:
    # Built once: templates are compiled on first use and kept (no reload check).
    env = Environment(
        loader=PackageLoader("provisioner.mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        finalize=lambda value: "" if value is None else value,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        date_fr=date_fr,
        teleservice=teleservice_name,
        action=action_label,
        request_type=request_type_label,
        request_kind=request_kind_label,
        status=status_label,
        place=place,
        nombre=nombre,
        adherent=adherent_label,
        numero=adherent_numero,
        counts_summary=counts_summary,
        by_teleservice=by_teleservice,
        before_after=before_after,
        field_line=field_line,
    )
    env.globals.update(agence=contact)  # the signature's address
    return env


def _one_line(value: str) -> str:
    # A subject is a header: any CR/LF (a file name can hold one) would break it.
    # Runs of whitespace become one space, except the no-break spaces of French
    # typography (str.split() would take them too).
    subject = re.sub(r"[^\S\u00a0\u202f]+", " ", value).strip()
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    return subject


def _tidy_text(value: str) -> str:
    lines = [line.rstrip() for line in value.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


__all__ = ["KINDS", "NBSP", "SECRET_KINDS", "RenderedMail", "UnknownKind", "render"]
