"""uvicorn for the back office: alone (`provisioner web`) or in a thread beside the scheduler (`serve`).

The companies' portal (provisioner/portal/server.py) runs the same way, on its own listener.

uvicorn always runs in a thread: there it leaves the signals alone (they
belong to the main thread, where the scheduler, or `run_alone`, catches
them and ends cleanly); stopping it is `should_exit`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import uvicorn
from starlette.types import ASGIApp

from provisioner.service.context import ServiceContext
from provisioner.web.app import create_app

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0


class WebUnavailable(Exception):
    """The back office (or the portal) could not start (address in use, say)."""


def make_server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    # No access log: a search's query string may hold a person's name or email, a portal's path a jeton.
    # No proxy headers: the portal believes X-Forwarded-For from its configured proxies only.
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", access_log=False, log_level="warning",
                            server_header=False, proxy_headers=False)
    return uvicorn.Server(config)


def url(ctx: ServiceContext) -> str:
    return f"http://{ctx.settings.web_host}:{ctx.settings.web_port}/connexion"


def run_alone(ctx: ServiceContext,
              beside: Callable[[ServiceContext], AbstractContextManager[uvicorn.Server]] | None = None) -> None:
    """Serve (the back office, or `beside`'s server) until SIGINT/SIGTERM, then return normally (exit 0)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _signum, _frame: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with (beside or running_beside)(ctx) as server:
            while not stop.wait(0.5) and not server.should_exit:
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def running_beside(ctx: ServiceContext) -> AbstractContextManager[uvicorn.Server]:
    """The back office in a thread for the duration of the block; stopped, and waited for, at its end."""
    settings = ctx.settings
    return running(create_app(ctx), settings.web_host, settings.web_port, what="back office", shown=url(ctx))


@contextmanager
def running(app: ASGIApp, host: str, port: int, *, what: str, shown: str) -> Iterator[uvicorn.Server]:
    """`app` served by uvicorn in a thread for the duration of the block; stopped, and waited for, at its end."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=_run_quietly, args=(server,), name=what, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        raise WebUnavailable(f"{what}: cannot listen on {host}:{port}")
    log.info("%s on %s", what, shown)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join()


def _run_quietly(server: uvicorn.Server) -> None:
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind: the caller sees `started` stay False
        pass
