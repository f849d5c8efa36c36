"""Pages rendered with Jinja2 (autoescaped: names, file names and messages come from outside).

The back office's templates, and the companies' portal's (provisioner/portal/templates/, which
fall back on these for what both use): one environment each, with the same filters and labels.
"""

from __future__ import annotations

from functools import cache

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

from provisioner.domain.diff import field_line
from provisioner.web import words
from provisioner.wording import contact, dates, results
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
from provisioner.wording.phrases import nombre
from provisioner.wording.reverts import revert_state

PACKAGE = "provisioner.web"  # the back office's templates; the portal's package names its own


@cache
def environment(package: str = PACKAGE) -> Environment:
    """The templates of `package`, then the back office's."""
    loaders = [PackageLoader(name, "templates") for name in dict.fromkeys((package, "provisioner.web"))]
    env = Environment(loader=ChoiceLoader(loaders), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=dates.french, teleservice=teleservice_name, field_line=field_line, nombre=nombre,
                       audit_actor=words.actor, audit_target=words.target,
                       revert_state=lambda undone: revert_state(undone, dates.french))
    env.globals.update(
        submission_status=SUBMISSION_BADGE, request_types=REQUEST_TYPE,
        request_kinds={k: capital(v) for k, v in REQUEST_KIND_SHORT.items()}, account_status=ACCOUNT_STATUS,
        adherent_status=ADHERENT_STATUS, request_status=REQUEST_STATUS, mail_status=MAIL_STATUS,
        action_labels=EVENT, role_labels=OPERATOR_ROLE, nombre=nombre, notified=results.notified,
        reverted=results.reverted, left_as_they_are=results.left_as_they_are, words=words,
        fields_in_order=words.fields_in_order, request_changes=words.request_changes, agence=contact)
    return env


def page(template: str, status_code: int = 200, *, package: str = PACKAGE, **values: object) -> HTMLResponse:
    return HTMLResponse(environment(package).get_template(template).render(**values), status_code=status_code)
