"""`provisioner serve`: every poll interval, take the finished files of the inbox, process them,
finish the outputs owed, send the emails due, then run the `after_poll` hook.

Built from small steps (healthchecks' `handle_one` loop): `poll_once()` is
the whole of one round and is what the tests drive; `run()` only schedules
it (`service.schedule`). SIGINT and SIGTERM set a flag: the file in hand is
finished, nothing new is started, and the process exits 0.

Faults of the service's own parts are not the file's (`service.faults`).
Each round starts by probing the database and our folders; the state goes
to `service.health` (var/health.json, read by `status` and the dashboard).
While the database or var/ fails, no file is taken (they wait in the inbox).
What becomes of a file in hand, waiting for a failing part (retried at once
when the part is back) or set aside, is `service.file_in_hand`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.context import ServiceContext
from provisioner.service.intake import claimed_file, faults, file_in_hand, named_files, quarantine
from provisioner.service.intake import drop as intake
from provisioner.service.intake.file_in_hand import Handled
from provisioner.service.intake.health import Health, HealthRecord
from provisioner.service.intake.inbox import MIN_AGE_SECONDS, finished_files
from provisioner.service.intake.lanes import Lanes, Tally
from provisioner.service.intake.mail_delivery import MailDelivery
from provisioner.service.intake.owed import OwedOutputs, finish_owed
from provisioner.service.intake.probes import probe_parts
from provisioner.service.intake.progress_view import View, progress_view
from provisioner.service.intake.schedule import run_every, stop_on_signals
from provisioner.service.intake.workspace import Workspace

if TYPE_CHECKING:
    from provisioner.service.mailbox.imap_door import ImapDoor

log = logging.getLogger(__name__)

PARALLEL_FILES = 3  # files in hand at once in a round


class Service:
    def __init__(self, ctx: ServiceContext, *,
                 after_poll: Callable[[ServiceContext, HealthRecord], None] | None = None,
                 show_progress: bool | None = None, record_health: bool = True) -> None:
        self.ctx = ctx
        self.after_poll = after_poll
        self.stopping = threading.Event()
        self.woken = threading.Event()  # a door deposited a file: run a round now (`wake`)
        self.seen: dict[str, tuple[int, int]] = {}
        self.warned: set[str] = set()
        settings = ctx.settings
        for folder in (settings.inbox, settings.outbox, settings.archive, settings.quarantine, settings.var_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.health = Health(settings, ctx.clock, persist=record_health)
        self.owed = OwedOutputs()
        self.workspace = Workspace.open(ctx)
        self.mail = MailDelivery(ctx)
        self._progress = sys.stderr.isatty() if show_progress is None else show_progress
        self._recovered = False  # a failing part came back this round: waiting files are retried at once
        self.door: ImapDoor | None = None
        if settings.imap_host:  # the IMAP door beside the rounds
            from provisioner.service.mailbox.imap_door import ImapDoor  # lazy: imap-tools only where a mailbox is read

            self.door = ImapDoor(ctx, self.health, wake=self.wake, stopping=self.stopping)

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
        tally = Tally()
        self.workspace.heartbeat()
        if self.probe():
            self._round(tally)
        self.health.refresh()  # its updated_at says the record is current (health_view.stale_after)
        mails = 0 if self.stopping.is_set() or self.health.failing(faults.DATABASE) else self.send_mail()
        if self.after_poll is not None and not self.stopping.is_set():
            try:
                self.after_poll(self.ctx, self.health.snapshot())
            except Exception as error:
                claimed_file.log_failure("after_poll", "-", error)
        handled = tally["files"]
        # An idle poll every few seconds would drown the log: only polls that did something are INFO.
        level = logging.INFO if handled or mails or tally["owed"] else logging.DEBUG
        log.log(level, "poll files=%d accepted=%d rejected=%d duplicate=%d quarantined=%d waiting=%d batches=%d "
                "owed_outputs=%d mails_sent=%d duration_ms=%d", handled, tally[SubmissionStatus.ACCEPTED],
                tally[SubmissionStatus.REJECTED], tally[SubmissionStatus.DUPLICATE], tally["quarantined"],
                tally["waiting"], tally["batches"], tally["owed"], mails, (time.monotonic() - started) * 1000)
        return handled

    def _round(self, tally: Tally) -> None:
        try:
            self.workspace.adopt_abandoned()
        except Exception as error:  # recovery is retried at the next round
            claimed_file.log_failure("adoption", "-", error)
        try:  # the retention holds even when nothing new is quarantined
            quarantine.purge(self.ctx.settings)
        except Exception as error:
            claimed_file.log_failure("quarantine purge", "-", error)
        self.finish_owed(tally)
        with progress_view(self._progress) as view, Lanes(PARALLEL_FILES) as lanes:
            # Two files at a time: while one waits on the hash pool (both cores busy), the
            # other's checks and outputs run; hashing alone can no longer keep a core idle.
            for work in self.workspace.pending():
                if self.stopping.is_set():
                    break
                if not self._due(work):
                    continue
                view.file()
                lanes.run(self._handle, work, tally, view)
            self._take_deposits(lanes, tally, view)
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

    def _take_deposits(self, lanes: Lanes, tally: Tally, view: View) -> None:
        """The files the other doors deposited (`service.intake`), before the inbox's: they have waited."""
        try:
            deposits = intake.waiting(self.ctx.settings)
        except OSError as error:
            claimed_file.log_failure("intake", "-", error)
            return
        for deposit in deposits:
            if self.stopping.is_set() or self._failing():
                return
            lanes.wait_for_room()
            try:
                claimed = self.workspace.claim_drop(self.ctx, deposit)
            except Exception as error:  # one deposit's trouble never ends the round for the others
                claimed_file.log_failure("claim deposit", deposit.path.name, error)
                continue
            if claimed is not None:
                view.file()
                lanes.run(self._handle, claimed, tally, view)

    def wake(self) -> None:
        """Run a round now rather than at the next poll (a door has just deposited a file)."""
        self.woken.set()

    # -- named files, now (`provisioner process`) ----------------------------------------

    def process_now(self, paths: list[Path]) -> list[Handled]:
        """Each file as the inbox would have it, one after the other.

        A file that waits for a failing part is not kept: its copy is removed
        (the original is still there, to run again). The caller finishes the
        owed outputs after the last file: before, they would take a file
        named here for its own duplicate instead of resuming it.
        """
        results = []
        for path in paths:
            work = named_files.take_copy(self.ctx, self.workspace, path)
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
        ok = True
        for part, fault in probe_parts(self.ctx, self.workspace.folder):
            if fault is None:
                self._back(part)
            else:
                self.health.fail(fault)
                ok = ok and part == faults.OUTBOX
        return ok

    def _back(self, part: str) -> None:
        if self.health.ok(part):
            self._recovered = True
            self.owed = OwedOutputs()  # their backoff was the fault's: try them all now

    def _failing(self) -> bool:
        return any(self.health.failing(part) for part in (faults.DATABASE, faults.VAR, faults.ARCHIVE,
                                                            faults.QUARANTINE))

    def finish_owed(self, tally: Tally | None = None) -> int:
        """Write the outputs owed by committed submissions (see `service.owed`); returns how many."""
        if self.stopping.is_set():
            return 0
        return finish_owed(self.ctx, self.owed, self.health, tally)

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

    def _handle(self, work: Path, tally: Tally, view: View) -> None:
        handled = self.handle(work, on_member=view.member)
        if handled.status == "stopped":
            return
        tally.count(handled)
        if handled.mail is not None and self.door is not None:
            self.door.finished.set()  # the door moves it to its folder now

    def handle(self, work: Path, *, on_member: Callable[[int, int], None] | None = None) -> Handled:
        """Process one claimed file; on return it has left the work folder, unless it waits."""
        return file_in_hand.handle(self.ctx, self.workspace, self.health, work, should_stop=self.stopping.is_set,
                                   on_member=on_member)

    def send_mail(self) -> int:
        return self.mail.send_due()

    # -- running -----------------------------------------------------------------------

    def run_once(self) -> int:
        """One round for scripts: a first look, a pause so that files can prove stable, then the round
        (the mailbox swept before it, and after it to move what it finished)."""
        with stop_on_signals(self.stopping):
            if self.door is not None:
                self.door.sweep_recorded()
            finished_files(self.ctx.settings.inbox, self.seen, warned=self.warned,
                           incomplete_after=self.ctx.settings.incomplete_after_seconds)
            if self.stopping.wait(MIN_AGE_SECONDS):
                return 0
            handled = self.poll_once()
            if self.door is not None:
                self.door.sweep_recorded()
            return handled

    def run(self) -> int:
        """Poll every `poll_seconds` until SIGINT or SIGTERM; returns the exit code (0)."""
        # The handlers are in place before "service started" is said: a stop that follows it is always graceful.
        with stop_on_signals(self.stopping):
            log.info("service started: inbox=%s poll_seconds=%s", self.ctx.settings.inbox,
                     self.ctx.settings.poll_seconds)
            if self.door is not None:
                self.door.start()
            run_every(self.ctx.settings.poll_seconds, self._job, self.stopping, wake=self.woken)
            if self.door is not None:
                self.door.join(timeout=30)
        log.info("service stopped")
        return 0

    def stop(self) -> None:
        self.stopping.set()

    def _job(self) -> None:
        if self.stopping.is_set():
            return
        try:
            self.poll_once()
        except Exception as error:  # a database outage, say: the next round tries again
            claimed_file.log_failure("poll", "-", error)
