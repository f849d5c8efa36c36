"""Pages rendered with Jinja2 (autoescaped: names, file names and messages come from outside)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from provisioner.domain.diff import field_line
from provisioner.domain.vocabulary import REQUEST_TYPE_LABELS, teleservice_of
from provisioner.reports.dashboard import REQUEST_KIND_LABELS, STATUS_LABELS
from provisioner.reports.report_html import DISPLAY_TIMEZONE, french_datetime

ACCOUNT_STATUS_LABELS = {"active": "actif", "disabled": "désactivé"}
ADHERENT_STATUS_LABELS = {"pending": "en attente de validation", "active": "actif"}
REQUEST_STATUS_LABELS = {"waiting": "en attente", "approved": "approuvée", "rejected": "refusée"}
# Why an account of a validated subscription or an approved request was not written.
SKIP_LABELS = {"login_taken": "login déjà pris", "account_not_found": "compte introuvable"}
MAIL_STATUS_LABELS = {"pending": "en attente", "failed": "en échec", "sent": "envoyé"}
ACTION_LABELS = {
    "activate": "validation d'abonnement", "unlock": "déblocage", "admin_password_reset":
    "nouveau mot de passe administrateur", "request_approved": "demande approuvée",
    "request_rejected": "demande refusée", "mail_retry": "email renvoyé", "operator_add": "opérateur ajouté",
    "operator_disable": "opérateur désactivé", "operator_password_reset": "mot de passe d'opérateur changé",
    "operator_locked": "opérateur bloqué après des échecs de connexion", "create": "compte créé",
    "update": "compte modifié", "disable": "compte désactivé", "enable": "compte réactivé",
    "reset_password": "mot de passe réinitialisé", "revert": "soumission annulée",
    "confirmations": "nombre de confirmations changé", "admin_password": "mot de passe administrateur changé",
}


def display_zone() -> Any:
    try:
        return ZoneInfo(DISPLAY_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _when(value: datetime | None) -> str:
    return french_datetime(value, display_zone()) if value else ""


def _teleservice(key: str | None) -> str:
    found = teleservice_of(key)
    return found.label if found is not None else (key or "")


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("provisioner.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=_when, teleservice=_teleservice, field_line=field_line)
    env.globals.update(
        submission_status={k: v[0] for k, v in STATUS_LABELS.items()}, request_types=REQUEST_TYPE_LABELS,
        request_kinds=REQUEST_KIND_LABELS, account_status=ACCOUNT_STATUS_LABELS,
        adherent_status=ADHERENT_STATUS_LABELS, request_status=REQUEST_STATUS_LABELS,
        mail_status=MAIL_STATUS_LABELS, action_labels=ACTION_LABELS)
    return env


def page(template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(template).render(**values), status_code=status_code)
