"""`/`: what outbox/index.html shows, live, from the same read model (service.read_models.dashboard).

Each list is cut at a page (50 rows) with its count; the files a submission
left are offered on its own page (`/soumissions/{id}`), so this one looks at
no file.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.reports.dashboard import build_view
from provisioner.service.read_models.dashboard import collect
from provisioner.service.read_models.paging import PAGE_SIZE
from provisioner.web.guard import Web, guarded


@guarded("lecture")
def dashboard(web: Web) -> Response:
    now = web.ctx.clock()
    # Emails are only counted here: /courriels lists them.
    facts = collect(web.ctx, now, rows=PAGE_SIZE, recent=PAGE_SIZE, mails=0)
    view = build_view(facts, None, now)
    return web.render("dashboard.html", view=view)


routes = [Route("/", dashboard, methods=["GET"])]
