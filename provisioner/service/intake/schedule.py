"""Run a job at a fixed interval until SIGINT, SIGTERM or SIGHUP (APScheduler: one interval job, never two at
once, missed runs coalesced, the first at once). A signal sets the stop flag: the job in hand is left to
finish (the scheduler shuts down waiting for it)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType

log = logging.getLogger(__name__)


def run_every(seconds: float, job: Callable[[], None], stopping: threading.Event,
              wake: threading.Event | None = None) -> None:
    """Run `job` every `seconds`, the first at once, until `stopping` is set (inside `stop_on_signals`, by a
    signal). Setting `wake` runs it now (once the run in hand, if any, is over) instead of at its time."""
    # APScheduler is loaded only by the running service, not by the commands that build one.
    from apscheduler.schedulers.background import BackgroundScheduler

    _quiet_scheduler_logs()
    busy = threading.Event()

    def run() -> None:
        busy.set()
        try:
            if wake is not None:
                wake.clear()  # before the job looks: a wake that comes later runs it again
            job()
        finally:
            busy.clear()

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(run, "interval", seconds=seconds, id="poll", max_instances=1, coalesce=True,
                      misfire_grace_time=None, next_run_time=datetime.now(UTC))
    scheduler.start()
    try:
        while not stopping.wait(0.2 if wake is not None else 1.0):
            if wake is not None and wake.is_set() and not busy.is_set():
                scheduler.modify_job("poll", next_run_time=datetime.now(UTC))
    finally:
        scheduler.shutdown(wait=True)  # waits for the job in hand, which stops between files


@contextmanager
def stop_on_signals(stopping: threading.Event) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP (the terminal closed, an ssh session gone) set `stopping`
    instead of interrupting; the handlers are restored after."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stopping.is_set():
            log.info("signal %s: finishing the file in hand, then stopping", signal.Signals(signum).name)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _DropBusyWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _quiet_scheduler_logs() -> None:
    # A round longer than the interval is normal (a large batch): not worth a warning per tick.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_DropBusyWarnings())
