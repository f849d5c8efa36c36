"""`provisioner serve`: every poll interval, take the finished files of the inbox, process them,
send the emails due, then run the `after_poll` hook.

Built from small steps (healthchecks' `handle_one` loop): `poll_once()` is
the whole of one round and is what the tests drive; `run()` only schedules
it with APScheduler (one interval job, never two at once, missed rounds
coalesced, the first at once). SIGINT and SIGTERM set a flag: the file in
hand is finished, nothing new is started, the scheduler shuts down waiting
for the round, and the process exits 0. No file ever kills the loop: an
unexpected error is logged (its type and place, never its message, which
may quote a value) and the file goes to the quarantine.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from provisioner.service import batch as batches
from provisioner.service import intake
from provisioner.service.inbox import MIN_AGE_SECONDS, Workspace, finished_files

if TYPE_CHECKING:
    from provisioner.service.context import Context

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a file that crashed the process this many times is quarantined unread


class Service:
    def __init__(self, ctx: Context, *, after_poll: Callable[[Context], None] | None = None,
                 show_progress: bool | None = None) -> None:
        self.ctx = ctx
        self.after_poll = after_poll
        self.stopping = threading.Event()
        self.seen: dict[str, tuple[int, int]] = {}
        self.warned: set[str] = set()
        settings = ctx.settings
        for folder in (settings.inbox, settings.outbox, settings.archive, settings.quarantine, settings.var_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.workspace = Workspace.open(ctx)
        self._transport: Any = None
        self._progress = sys.stderr.isatty() if show_progress is None else show_progress

    def close(self) -> None:
        self.workspace.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one round -----------------------------------------------------------------

    def poll_once(self) -> int:
        """Handle every finished file, send the due emails, run the hook; returns the files handled."""
        started = time.monotonic()
        tally = _Tally()
        self.workspace.heartbeat()
        try:
            self.workspace.adopt_abandoned(self.ctx)
        except Exception as error:  # recovery is retried at the next round
            intake.log_failure("adoption", "-", error)
        with self._progress_view() as view, _Lanes(PARALLEL_FILES) as lanes:
            # Two files at a time: while one waits on the hash pool (both cores busy), the
            # other's checks and outputs run; hashing alone can no longer keep a core idle.
            for work in self.workspace.pending():
                if self.stopping.is_set():
                    break
                view.file()
                lanes.run(self._handle, work, tally, view)
            for path in finished_files(self.ctx.settings.inbox, self.seen, warned=self.warned,
                                       incomplete_after=self.ctx.settings.incomplete_after_seconds):
                if self.stopping.is_set():
                    break
                lanes.wait_for_room()  # claim no further ahead than we process
                try:
                    work = self.workspace.claim(self.ctx, path, self.seen.get(path.name))
                except Exception as error:  # one file's trouble (a full disk, say) never ends the round
                    intake.log_failure("claim", "-", error)
                    continue
                if work is not None:
                    view.file()
                    lanes.run(self._handle, work, tally, view)
        mails = 0 if self.stopping.is_set() else self._send_mail()
        if self.after_poll is not None and not self.stopping.is_set():
            try:
                self.after_poll(self.ctx)
            except Exception as error:
                intake.log_failure("after_poll", "-", error)
        handled = tally["files"]
        # An idle poll every few seconds would drown the log: only polls that did something are INFO.
        level = logging.INFO if handled or mails else logging.DEBUG
        log.log(level, "poll files=%d accepted=%d rejected=%d duplicate=%d quarantined=%d batches=%d mails_sent=%d "
                 "duration_ms=%d", handled, tally["accepted"], tally["rejected"],
                 tally["duplicate"], tally["quarantined"], tally["batches"], mails,
                 (time.monotonic() - started) * 1000)
        return handled

    def _handle(self, work: Path, tally: _Tally, view: _View) -> None:
        ctx, workspace = self.ctx, self.workspace
        tally.add("files")
        info = workspace.info(work)
        attempts = int(info.extra.get("attempts", 0)) + 1
        workspace.remember(work, attempts=attempts)
        try:
            if attempts > MAX_ATTEMPTS:
                log.error("file ref=%s failed %d times: quarantined unread", work.name, attempts - 1)
                intake.quarantine(ctx, work, work.name, info.name)
                tally.add("quarantined")
            elif batches.is_batch(work, info.name):
                result = batches.handle_batch(ctx, workspace, work, info, should_stop=self.stopping.is_set,
                                              on_member=view.member)
                if result is None:  # stopped between two members: resumed at the next start
                    workspace.remember(work, attempts=attempts - 1)
                    return
                tally.add("batches")
                for line in result.lines:
                    tally.add("accepted" if line["status"] == "held" else line["status"])
            else:
                resumed = info.claimed_at if attempts > 1 else None
                outcome = intake.handle_one(ctx, work, info.name, resumed_since=resumed)
                tally.add("quarantined" if outcome.parsed is None and outcome.status == "rejected"
                          else outcome.status)
        except Exception as error:
            intake.log_failure("file", work.name, error)
            try:
                if work.exists():
                    intake.quarantine(ctx, work, work.name, info.name)
                tally.add("quarantined")
            except Exception as again:  # left in the work folder: tried again, then quarantined unread
                intake.log_failure("quarantine", work.name, again)
                return
        workspace.release(ctx, work)
        workspace.heartbeat()

    def _send_mail(self) -> int:
        try:
            from provisioner.mail import dispatch, sender
        except ImportError:
            return 0
        try:
            if self._transport is None:
                self._transport = sender.make_transport(self.ctx.settings)
            counts = dispatch.send_due(
                self.ctx.engine, self._transport, now=self.ctx.clock(),
                give_up_after=timedelta(hours=self.ctx.settings.mail_give_up_hours))
        except Exception as error:  # never stops the loop: the queue keeps the messages
            intake.log_failure("mail", "-", error)
            return 0
        return int(counts.sent)

    # -- running -----------------------------------------------------------------------

    def run_once(self) -> int:
        """One round for scripts: a first look, a pause so that files can prove stable, then the round."""
        with self._signals():
            finished_files(self.ctx.settings.inbox, self.seen, warned=self.warned,
                           incomplete_after=self.ctx.settings.incomplete_after_seconds)
            if self.stopping.wait(MIN_AGE_SECONDS):
                return 0
            return self.poll_once()

    def run(self) -> int:
        """Poll every `poll_seconds` until SIGINT or SIGTERM; returns the exit code (0)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        _quiet_scheduler_logs()
        scheduler = BackgroundScheduler(timezone=timezone.utc)
        scheduler.add_job(self._job, "interval", seconds=self.ctx.settings.poll_seconds, id="poll",
                          max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=datetime.now(timezone.utc))
        log.info("service started: inbox=%s poll_seconds=%s", self.ctx.settings.inbox,
                 self.ctx.settings.poll_seconds)
        with self._signals():
            scheduler.start()
            try:
                while not self.stopping.wait(1.0):
                    pass
            finally:
                scheduler.shutdown(wait=True)  # waits for the round in hand, which stops between files
        log.info("service stopped")
        return 0

    @contextmanager
    def _signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        self.stopping.set()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self.stopping.is_set():
            log.info("signal %s: finishing the file in hand, then stopping", signal.Signals(signum).name)
        self.stopping.set()

    def _job(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.poll_once()
        except Exception as error:  # a database outage, say: the next round tries again
            intake.log_failure("poll", "-", error)

    # -- progress in a terminal ----------------------------------------------------------

    @contextmanager
    def _progress_view(self) -> Iterator[_View]:
        if not self._progress:
            yield _View()
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as progress:
            # Inside, sys.stderr is rich's proxy: log lines printed through it stay above the bars.
            moved = [h for h in logging.getLogger().handlers
                     if isinstance(h, logging.StreamHandler) and h.stream is sys.__stderr__]
            for handler in moved:
                handler.setStream(sys.stderr)
            try:
                yield _RichView(progress)
            finally:
                for handler in moved:
                    handler.setStream(sys.__stderr__)


PARALLEL_FILES = 3


class _Tally(Counter[str]):
    """Outcome counts of one round, added to from the lanes' threads."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self[key] += 1


class _Lanes:
    """At most `width` files in hand at once, each on its own thread; leaving waits for all.

    A failure inside a lane is the lane's own business (`_handle` quarantines and
    logs); anything escaping it is logged here so the round goes on.
    """

    def __init__(self, width: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="file")
        self._room = threading.Semaphore(width)

    def wait_for_room(self) -> None:
        self._room.acquire()
        self._room.release()

    def run(self, fn: Callable[..., None], *args: Any) -> None:
        self._room.acquire()

        def lane() -> None:
            try:
                fn(*args)
            except Exception as error:
                intake.log_failure("lane", "-", error)
            finally:
                self._room.release()

        self._pool.submit(lane)

    def __enter__(self) -> _Lanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)


class _View:
    """No progress shown (stderr is not a terminal)."""

    def file(self) -> None:
        pass

    def member(self, done: int, total: int) -> None:
        pass


class _RichView(_View):
    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.files = progress.add_task("Fichiers", total=None)
        self.batch: Any = None

    def file(self) -> None:
        self.progress.advance(self.files)
        if self.batch is not None:
            self.progress.remove_task(self.batch)
            self.batch = None

    def member(self, done: int, total: int) -> None:
        if self.batch is None:
            self.batch = self.progress.add_task("Lot", total=total)
        self.progress.update(self.batch, completed=done, total=total)


class _DropBusyWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _quiet_scheduler_logs() -> None:
    # A round longer than the interval is normal (a large batch): not worth a warning per tick.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_DropBusyWarnings())
