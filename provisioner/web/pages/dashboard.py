"""`/`: what outbox/index.html shows, live, from the same read model (reports/dashboard.py)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.reports.dashboard import build_view, collect
from provisioner.web.guard import Web, guarded
from provisioner.web.render import display_zone


@guarded("lecture")
def dashboard(web: Web) -> Response:
    now = web.ctx.clock()
    view = build_view(collect(web.ctx, now), web.ctx.outbox, now, display_zone())
    return web.render("dashboard.html", view=view)


routes = [Route("/", dashboard, methods=["GET"])]
