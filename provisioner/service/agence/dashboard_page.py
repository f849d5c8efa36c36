"""The dashboard use case: read the facts and the health, have the page rendered, write outbox/index.html.

Rebuilt after each poll (`serve`), after `process` and by `provisioner
dashboard`. The reading is the dashboard's read model (shared with the
web's `/`), the health comes from var/ (so the page can say the database
is down), and reports.dashboard only turns both into HTML.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from provisioner.reports import dashboard
from provisioner.reports.files import write_atomic
from provisioner.service.context import ServiceContext
from provisioner.service.intake import faults
from provisioner.service.intake.health import describe_all, read_health
from provisioner.service.intake.health_view import assess
from provisioner.service.read_models.dashboard import collect
from provisioner.wording import dates
from provisioner.wording.intake import PART_LABELS

INDEX_NAME = "index.html"
MAIL_LIMIT = 50
# A temporary file left by a process killed while writing the page: removed
# once surely abandoned (another instance may be writing its own right now).
STALE_TEMPORARY = timedelta(minutes=10)


def dashboard_path(outbox: Path) -> Path:
    return outbox / INDEX_NAME


def write_dashboard(ctx: ServiceContext, held: Mapping[str, object] | None = None) -> None:
    """Rebuild `outbox/index.html` (atomically: a reader sees the old page or the new one).

    `held`: the health the running service holds in memory (Health.snapshot), which it may have failed
    to write to var/; without it (`process`, `provisioner dashboard`), var/health.json, checked."""
    ctx.outbox.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(ctx.outbox)
    write_atomic(dashboard_path(ctx.outbox), render_dashboard(ctx, held))


def render_dashboard(ctx: ServiceContext, held: Mapping[str, object] | None = None, *,
                     tz: str = dates.PEOPLE_TIMEZONE) -> str:
    """The page; while the database is down, a short page that says so (the health)."""
    now = ctx.clock()
    zone = dates.zone(tz)
    health = describe_all(held, now) if held is not None else assess(ctx.settings, read_health(ctx.settings), now)[0]
    try:
        facts = collect(ctx, now, rows=None, recent=dashboard.RECENT_LIMIT, mails=MAIL_LIMIT)
    except Exception as error:
        if faults.classify(error, ctx.settings) is None:
            raise
        return dashboard.render_degraded(now, zone, health or [PART_LABELS[faults.DATABASE]])
    return dashboard.render_page(facts, ctx.outbox, now, zone, health)


def _remove_stale_temporaries(outbox: Path) -> None:
    cutoff = time.time() - STALE_TEMPORARY.total_seconds()
    for leftover in _temporaries(outbox):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass  # gone already (another instance), or not ours to remove: harmless


def _temporaries(outbox: Path) -> Iterable[Path]:
    # write_atomic's naming: ".index.html.<random>.tmp" beside the page.
    return outbox.glob(f".{INDEX_NAME}.*.tmp")
