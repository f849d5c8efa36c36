"""`provisioner serve`: every poll interval, take the finished files of the inbox, process them,
finish the outputs owed, send the emails due, then run the `after_poll` hook.

Built from small steps (healthchecks' `handle_one` loop): `poll_once()` is
the whole of one round and is what the tests drive; `run()` only schedules
it with APScheduler (one interval job, never two at once, missed rounds
coalesced, the first at once). SIGINT and SIGTERM set a flag: the file in
hand is finished, nothing new is started, the scheduler shuts down waiting
for the round, and the process exits 0.

Faults of the service's own parts are not the file's (`service.faults`).
Each round starts by probing the database and our folders; the state goes
to `service.health` (var/health.json, read by `status` and the dashboard).
While the database or var/ fails, no file is taken (they wait in the inbox).
A fault met while a file is in hand leaves the file claimed, retried with a
backoff (`waits`, `retry_at` in its sidecar), at once when the part is back.
Only a file that is itself the cause of an error goes to the quarantine: an
unexpected error is logged (its type and place, never its message, which
may quote a value) and the file set aside.

A death of the process (kill -9, OOM, a host restart) is never taken for
the file's fault: the file is taken up again at the next start. Only a
safety cap remains: a file in hand during MAX_INTERRUPTIONS deaths in a row
is rejected unread as FILE_UNREADABLE (with its report) and set aside, so
that one file can never keep the service in a crash loop.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from provisioner.mail import dispatch, sender
from provisioner.service import batch as batches
from provisioner.service import claimed_file, faults, quarantine
from provisioner.service.context import ServiceContext, open_context
from provisioner.service.health import Health, errno_name
from provisioner.service.inbox import MIN_AGE_SECONDS, Workspace, finished_files
from provisioner.service.names import display_name
from provisioner.service.owed import OwedOutputs
from provisioner.store.db import StoreUnavailable
from provisioner.store.tables import utcnow

if TYPE_CHECKING:
    from provisioner.config import Settings
    from provisioner.service.batch import BatchResult
    from provisioner.service.submission import Outcome

log = logging.getLogger(__name__)

MAX_INTERRUPTIONS = 10  # deaths of the process with the same file in hand before it is set aside
WAIT_MAX = timedelta(minutes=5)  # longest backoff of a file waiting for a failing part


@dataclass
class Handled:
    """What became of one claimed file.

    `status`: accepted | rejected | duplicate | quarantined | batch | waiting
    (a part of the service failed: the file stays claimed) | stopped (a
    batch stopped between two members) | error (could not even be set aside).
    """

    status: str
    outcome: Outcome | None = None
    batch: BatchResult | None = None
    fault: faults.Fault | None = None


class Service:
    def __init__(self, ctx: ServiceContext, *, after_poll: Callable[[ServiceContext], None] | None = None,
                 show_progress: bool | None = None, record_health: bool = True) -> None:
        self.ctx = ctx
        self.after_poll = after_poll
        self.stopping = threading.Event()
        self.seen: dict[str, tuple[int, int]] = {}
        self.warned: set[str] = set()
        settings = ctx.settings
        for folder in (settings.inbox, settings.outbox, settings.archive, settings.quarantine, settings.var_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.health = Health(settings, ctx.clock, persist=record_health)
        self.owed = OwedOutputs()
        self.workspace = Workspace.open(ctx)
        self._transport: Any = None
        self._progress = sys.stderr.isatty() if show_progress is None else show_progress
        self._recovered = False  # a failing part came back this round: waiting files are retried at once

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
        if self.probe():
            self._round(tally)
        mails = 0 if self.stopping.is_set() or self.health.failing(faults.DATABASE) else self.send_mail()
        if self.after_poll is not None and not self.stopping.is_set():
            try:
                self.after_poll(self.ctx)
            except Exception as error:
                claimed_file.log_failure("after_poll", "-", error)
        handled = tally["files"]
        # An idle poll every few seconds would drown the log: only polls that did something are INFO.
        level = logging.INFO if handled or mails or tally["owed"] else logging.DEBUG
        log.log(level, "poll files=%d accepted=%d rejected=%d duplicate=%d quarantined=%d waiting=%d batches=%d "
                "owed_outputs=%d mails_sent=%d duration_ms=%d", handled, tally["accepted"], tally["rejected"],
                tally["duplicate"], tally["quarantined"], tally["waiting"], tally["batches"], tally["owed"], mails,
                (time.monotonic() - started) * 1000)
        return handled

    def _round(self, tally: _Tally) -> None:
        try:
            self.workspace.adopt_abandoned()
        except Exception as error:  # recovery is retried at the next round
            claimed_file.log_failure("adoption", "-", error)
        try:  # the retention holds even when nothing new is quarantined
            quarantine.purge(self.ctx.settings)
        except Exception as error:
            claimed_file.log_failure("quarantine purge", "-", error)
        self.finish_owed(tally)
        with self._progress_view() as view, _Lanes(PARALLEL_FILES) as lanes:
            # Two files at a time: while one waits on the hash pool (both cores busy), the
            # other's checks and outputs run; hashing alone can no longer keep a core idle.
            for work in self.workspace.pending():
                if self.stopping.is_set():
                    break
                if not self._due(work):
                    continue
                view.file()
                lanes.run(self._handle, work, tally, view)
            for path in finished_files(self.ctx.settings.inbox, self.seen, warned=self.warned,
                                       incomplete_after=self.ctx.settings.incomplete_after_seconds):
                if self.stopping.is_set() or self._failing():
                    break
                lanes.wait_for_room()  # claim no further ahead than we process
                try:
                    claimed = self.workspace.claim(self.ctx, path, self.seen.get(path.name))
                except Exception as error:  # one file's trouble never ends the round for the others
                    claimed_file.log_failure("claim", "-", error)
                    continue
                if claimed is not None:
                    view.file()
                    lanes.run(self._handle, claimed, tally, view)
        self._recovered = False

    # -- named files, now (`provisioner process`) ----------------------------------------

    def take_copy(self, path: Path) -> Path:
        """Copy `path` into the work folder as a claimed file (the original stays where it is)."""
        now = self.ctx.clock()
        target = self.workspace.folder / f"C{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        # A name that is not valid UTF-8 (an SMB share, a zip tool) is kept readable, never refused.
        name = display_name(path.name)
        self.workspace.remember(target, name=name, claimed_at=now.isoformat())
        staging = target.with_name(f".{target.name}.tmp")
        try:
            shutil.copyfile(path, staging)
            os.rename(staging, target)
        except BaseException:
            staging.unlink(missing_ok=True)
            self.workspace.release(target)
            raise
        return target

    def process_now(self, paths: list[Path]) -> list[Handled]:
        """Each file as the inbox would have it, one after the other.

        A file that waits for a failing part is not kept: its copy is removed
        (the original is still there, to run again). The caller finishes the
        owed outputs after the last file: before, they would take a file
        named here for its own duplicate instead of resuming it.
        """
        results = []
        for path in paths:
            work = self.take_copy(path)
            handled = self.handle(work)
            if handled.status in ("waiting", "error", "stopped"):
                self.workspace.release(work)
            results.append(handled)
        return results

    # -- health ----------------------------------------------------------------------

    def probe(self) -> bool:
        """Check the database and our folders, record what fails; False when no file may be taken now.

        A failing outbox does not stop the round: workbooks are applied and
        their outputs owed (written once it is back). A failing database or
        var/ (work folder, archive, quarantine) does: files wait in the inbox.
        """
        settings = self.ctx.settings
        ok = True
        try:
            with self.ctx.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            self._back(faults.DATABASE)
        except Exception as error:
            self.health.fail(faults.classify(error, settings) or faults.Fault(faults.DATABASE, type(error).__name__))
            ok = False
        for part, folder in ((faults.OUTBOX, settings.outbox), (faults.VAR, self.workspace.folder),
                             (faults.ARCHIVE, settings.archive), (faults.QUARANTINE, settings.quarantine)):
            try:
                probe_folder(folder)
                self._back(part)
            except OSError as error:
                self.health.fail(faults.Fault(part, f"{type(error).__name__} {errno_name(error)}",
                                              faults.ERRNO_NAMES.get(error.errno or 0, "")))
                ok = ok and part == faults.OUTBOX
        return ok

    def _back(self, part: str) -> None:
        if self.health.ok(part):
            self._recovered = True
            self.owed = OwedOutputs()  # their backoff was the fault's: try them all now

    def _failing(self) -> bool:
        return any(self.health.failing(part) for part in (faults.DATABASE, faults.VAR, faults.ARCHIVE,
                                                            faults.QUARANTINE))

    def finish_owed(self, tally: _Tally | None = None) -> int:
        """Write the outputs owed by committed submissions (see `service.owed`); returns how many."""
        if self.health.failing(faults.OUTBOX) or self.stopping.is_set():
            return 0
        try:
            done = self.owed.finish(self.ctx)
        except Exception as error:
            fault = faults.classify(error, self.ctx.settings)
            if fault is None:
                claimed_file.log_failure("owed outputs", "-", error)
            else:
                self.health.fail(fault)
            return 0
        if done.fault is not None:
            self.health.fail(done.fault)
        if tally is not None:
            for _ in done.written:
                tally.add("owed")
        return len(done.written)

    # -- one file ----------------------------------------------------------------------

    def _due(self, work: Path) -> bool:
        """False for a file waiting for a failing part, until its retry time (or the part is back)."""
        if self._recovered:
            return True
        retry_at = self.workspace.info(work).extra.get("retry_at")
        if not retry_at:
            return True
        try:
            return datetime.fromisoformat(str(retry_at)) <= self.ctx.clock()
        except ValueError:
            return True

    def _handle(self, work: Path, tally: _Tally, view: _View) -> None:
        handled = self.handle(work, on_member=view.member)
        if handled.status == "stopped":
            return
        tally.add("files")
        if handled.batch is not None:
            tally.add("batches")
            for line in handled.batch.lines:
                tally.add("accepted" if line["status"] == "held" else line["status"])
        else:
            tally.add(handled.status)

    def handle(self, work: Path, *, on_member: Callable[[int, int], None] | None = None) -> Handled:
        """Process one claimed file; on return it has left the work folder, unless it waits."""
        ctx, workspace = self.ctx, self.workspace
        info = workspace.info(work)
        interrupted = int(info.extra.get("interrupted", 0))
        waits = int(info.extra.get("waits", 0))
        try:
            # Counted now, uncounted on every way out: what remains is the deaths with this file in hand.
            workspace.remember(work, interrupted=interrupted + 1)
            if interrupted >= MAX_INTERRUPTIONS:
                log.error("file ref=%s was in hand during %d deaths of the service: rejected unread",
                          work.name, interrupted)
                outcome = claimed_file.reject_interrupted(ctx, work, info.name, interrupted)
                handled = Handled("quarantined", outcome=outcome)
            elif batches.is_batch(work, info.name):
                result = batches.handle_batch(ctx, workspace, work, info, should_stop=self.stopping.is_set,
                                              on_member=on_member)
                if result is None:  # stopped between two members: resumed at the next start
                    workspace.remember(work, interrupted=interrupted)
                    return Handled("stopped")
                handled = Handled("batch", batch=result)
            else:
                resumed = info.claimed_at if interrupted or waits else None
                outcome = claimed_file.handle_one(ctx, work, info.name, resumed_since=resumed)
                status = ("quarantined" if outcome.parsed is None and outcome.status == "rejected"
                          else outcome.status)
                handled = Handled(status, outcome=outcome)
                if outcome.pending is not None and outcome.pending.part in faults.FOLDER_PARTS:
                    self.health.fail(outcome.pending)
        except Exception as error:
            fault = faults.classify(error, ctx.settings)
            if fault is not None:
                return self._wait(work, fault, interrupted, waits)
            claimed_file.log_failure("file", work.name, error)
            try:
                if work.exists():
                    claimed_file.quarantine(ctx, work, work.name, info.name)
                handled = Handled("quarantined")
            except Exception as again:  # left in the work folder: tried again at the next round
                claimed_file.log_failure("quarantine", work.name, again)
                self._forget_start(work, interrupted)
                return Handled("error")
        workspace.release(work)
        workspace.heartbeat()
        return handled

    def _wait(self, work: Path, fault: faults.Fault, interrupted: int, waits: int) -> Handled:
        """A part of the service failed with `work` in hand: keep it claimed, retry it later."""
        self.health.fail(fault)
        waits += 1
        delay = min(timedelta(seconds=self.ctx.settings.poll_seconds) * 2 ** min(waits - 1, 16), WAIT_MAX)
        retry_at = self.ctx.clock() + delay
        try:
            self.workspace.remember(work, interrupted=interrupted, waits=waits, retry_at=retry_at.isoformat())
        except OSError:  # var/ itself fails: the file is retried at the next round
            pass
        log.warning("file ref=%s waits for %s (%s): attempt %d, next in %d s", work.name, fault.part,
                    fault.detail, waits, delay.total_seconds())
        return Handled("waiting", fault=fault)

    def _forget_start(self, work: Path, interrupted: int) -> None:
        try:
            self.workspace.remember(work, interrupted=interrupted)
        except OSError:
            pass

    def send_mail(self) -> int:
        try:
            if self._transport is None:
                self._transport = sender.make_transport(self.ctx.settings)
            counts = dispatch.send_due(
                self.ctx.engine, self._transport, now=self.ctx.clock(),
                give_up_after=timedelta(hours=self.ctx.settings.mail_give_up_hours))
        except Exception as error:  # never stops the loop: the queue keeps the messages
            claimed_file.log_failure("mail", "-", error)
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
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(self._job, "interval", seconds=self.ctx.settings.poll_seconds, id="poll",
                          max_instances=1, coalesce=True, misfire_grace_time=None,
                          next_run_time=datetime.now(UTC))
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
            claimed_file.log_failure("poll", "-", error)

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


def open_when_reachable(settings: Settings, *, wait: bool = True) -> ServiceContext:
    """The service context; while the database cannot be reached, wait for it (health recorded).

    A host restart may start the service before its database: it waits, says
    so in var/health.json and the log, and starts once the database answers.
    A configuration error (unparsable URL, no driver) is raised at once.
    """
    health: Health | None = None
    while True:
        try:
            ctx = open_context(settings)
        except StoreUnavailable as error:
            if not wait or not str(error).startswith("cannot open the database"):
                raise
            if health is None:
                health = Health(settings, utcnow)
            health.fail(faults.Fault(faults.DATABASE, "StoreUnavailable"))
            time.sleep(settings.poll_seconds)
            continue
        if health is not None:
            health.ok(faults.DATABASE)
        return ctx


def probe_folder(folder: Path) -> None:
    """Raise OSError unless a file can be created, written, synced and removed in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".probe-", suffix=".tmp")
    try:
        os.write(fd, b"probe\n")
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


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
                claimed_file.log_failure("lane", "-", error)
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
