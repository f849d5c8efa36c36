"""uvicorn for the portal, on its own listener: beside the scheduler (`serve`) or alone (`provisioner portal`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import uvicorn

from provisioner.portal.app import create_portal_app
from provisioner.service.context import ServiceContext
from provisioner.web.server import running


def url(ctx: ServiceContext) -> str:
    return f"http://{ctx.settings.portal_host}:{ctx.settings.portal_port}/"


def portal_beside(ctx: ServiceContext, *,
                  wake: Callable[[], None] | None = None) -> AbstractContextManager[uvicorn.Server]:
    """The portal in a thread for the duration of the block; `wake` runs the scheduler's round after a deposit."""
    settings = ctx.settings
    return running(create_portal_app(ctx, wake=wake), settings.portal_host, settings.portal_port,
                   what="companies' portal", shown=url(ctx))
