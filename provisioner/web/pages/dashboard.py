"""`/`: what outbox/index.html shows, live, from the same read model (reports/dashboard.py)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.reports.dashboard import build_view, collect
from provisioner.service.lookup import PAGE_SIZE
from provisioner.web.guard import Web, guarded


@guarded("lecture")
def dashboard(web: Web) -> Response:
    now = web.ctx.clock()
    facts = collect(web.ctx, now)
    facts.recent = facts.recent[:PAGE_SIZE]  # the page lists 50 (the file lists more); each costs file checks
    view = build_view(facts, web.ctx.outbox, now)
    return web.render("dashboard.html", view=view)


routes = [Route("/", dashboard, methods=["GET"])]
