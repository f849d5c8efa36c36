"""uvicorn for the back office: alone (`provisioner web`) or in a thread beside the scheduler (`serve`).

uvicorn always runs in a thread: there it leaves the signals alone (they
belong to the main thread, where the scheduler, or `run_alone`, catches
them and ends cleanly); stopping it is `should_exit`.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from provisioner.service.context import ServiceContext
from provisioner.web.app import create_app

log = logging.getLogger(__name__)
START_TIMEOUT = 30.0


class WebUnavailable(Exception):
    """The back office could not start (address in use, say)."""


def make_server(ctx: ServiceContext) -> uvicorn.Server:
    settings = ctx.settings
    # No access log: a search's query string may hold a person's name or email.
    config = uvicorn.Config(create_app(ctx), host=settings.web_host, port=settings.web_port, lifespan="off",
                            access_log=False, log_level="warning", server_header=False, proxy_headers=False)
    return uvicorn.Server(config)


def url(ctx: ServiceContext) -> str:
    return f"http://{ctx.settings.web_host}:{ctx.settings.web_port}/connexion"


def run_alone(ctx: ServiceContext) -> None:
    """Serve until SIGINT/SIGTERM, then return normally (exit 0, as `serve` does)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _signum, _frame: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with running_beside(ctx) as server:
            while not stop.wait(0.5) and not server.should_exit:
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def running_beside(ctx: ServiceContext) -> Iterator[uvicorn.Server]:
    """The back office in a thread for the duration of the block; stopped, and waited for, at its end."""
    server = make_server(ctx)
    thread = threading.Thread(target=_run_quietly, args=(server,), name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        raise WebUnavailable(f"cannot listen on {ctx.settings.web_host}:{ctx.settings.web_port}")
    log.info("back office on %s", url(ctx))
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
