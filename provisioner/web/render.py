"""Pages rendered with Jinja2 (autoescaped: names, file names and messages come from outside)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from provisioner.domain.diff import field_line
from provisioner.wording import dates
from provisioner.wording.labels import (
    ACCOUNT_STATUS,
    ADHERENT_STATUS,
    EVENT,
    MAIL_STATUS,
    OPERATOR_ROLE,
    REQUEST_KIND_SHORT,
    REQUEST_STATUS,
    REQUEST_TYPE,
    SUBMISSION_BADGE,
    capital,
    teleservice_name,
)
from provisioner.wording.reverts import revert_state


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("provisioner.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=dates.french, teleservice=teleservice_name, field_line=field_line,
                       revert_state=lambda undone: revert_state(undone, dates.french))
    env.globals.update(
        submission_status=SUBMISSION_BADGE, request_types=REQUEST_TYPE,
        request_kinds={k: capital(v) for k, v in REQUEST_KIND_SHORT.items()}, account_status=ACCOUNT_STATUS,
        adherent_status=ADHERENT_STATUS, request_status=REQUEST_STATUS, mail_status=MAIL_STATUS,
        action_labels=EVENT, role_labels=OPERATOR_ROLE)
    return env


def page(template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(template).render(**values), status_code=status_code)
