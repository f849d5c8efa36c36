"""The IMAP door: the fund's mailbox read by `provisioner serve`, each mail deposited into the shared intake.

A thread beside the rounds (`run`): log in, create the processed and ignored folders when missing, then
sweep the folder and wait (IMAP IDLE, in short slices so that a stop or a finished mail is seen at once),
until the service stops. A sweep (`sweep`):

- takes every mail the store does not know: its size read first (RFC822.SIZE; over
  `PROVISIONER_IMAP_MAX_MESSAGE_MB` only its header is fetched, and the round answers FILE_TOO_LARGE), its
  key (folder, UIDVALIDITY, UID) inserted in `mail_receipts` (the claim: one instance wins), the raw
  mail deposited (the work folder is the only place on disk it ever is) in that same transaction, then
  the rounds are woken;
- moves every mail the store says is finished to the processed or ignored folder, with UID MOVE (the
  capabilities are read again after login: imap-tools keeps those from before it, where Dovecot does not
  announce MOVE, and would fall back to COPY + EXPUNGE, which expunges every \\Deleted mail of the folder).

A mail seen again under a new UIDVALIDITY is found by its SHA-256 and not taken twice. A mailbox that
cannot be reached or refuses the login is a fault of the service's own parts (`faults.MAILBOX`, in
var/health.json), retried with a backoff; the inbox folder is served meanwhile. Nothing of a mail reaches
the log but its key.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import secrets
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import timedelta

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderCreateError, MailboxLoginError
from imap_tools.utils import encode_folder

from provisioner.domain.vocabulary import Door, MailState
from provisioner.service.context import ServiceContext
from provisioner.service.intake import drop as intake
from provisioner.service.intake import faults
from provisioner.service.intake.claimed_file import log_failure
from provisioner.service.intake.drop import ClaimExtra
from provisioner.service.intake.health import Health
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.mail_receipts import MailKey, Receipt

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0
IDLE_SLICE_S = 1.0  # IDLE in slices this long: a stop, a finished mail or a new one is seen within it
BACKOFF_MAX = timedelta(minutes=5)
HEADER_ONLY = "BODY.PEEK[HEADER]"


class ImapDoor:
    def __init__(self, ctx: ServiceContext, health: Health, *, wake: Callable[[], None] = lambda: None,
                 stopping: threading.Event | None = None) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.health = health
        self.wake = wake
        self.stopping = stopping or threading.Event()
        self.finished = threading.Event()  # set by the round when a mail is finished: move it now
        self._thread: threading.Thread | None = None

    # -- the thread ------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="imap-door", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Serve the mailbox until `stopping`; a fault is recorded and retried with a backoff."""
        failures = 0
        while not self.stopping.is_set():
            try:
                with self.connect() as box:
                    failures = 0
                    self.health.ok(faults.MAILBOX)
                    while not self.stopping.is_set():
                        self.sweep(box)
                        self._wait(box)
            except Exception as error:
                fault = None if _mailbox_fault(error) else faults.classify(error, self.settings)
                if fault is None and not _mailbox_fault(error):
                    log_failure("imap door", "-", error)
                failures += 1
                self.health.fail(fault or faults.Fault(faults.MAILBOX, type(error).__name__))
                delay = min(timedelta(seconds=self.settings.poll_seconds) * 2 ** min(failures - 1, 16), BACKOFF_MAX)
                log.warning("mailbox unreachable (%s): attempt %d, next in %d s", type(error).__name__, failures,
                            delay.total_seconds())
                self.stopping.wait(delay.total_seconds())

    def sweep_once(self) -> int:
        """One connection, one sweep (tests, `serve --once`); raises when the mailbox fails."""
        with self.connect() as box:
            return self.sweep(box)

    def sweep_recorded(self) -> None:
        """`sweep_once`, its fault recorded in the health instead of raised (`serve --once`)."""
        try:
            self.sweep_once()
            self.health.ok(faults.MAILBOX)
        except Exception as error:  # the mailbox is a part of ours: the inbox is still served
            self.health.fail(faults.Fault(faults.MAILBOX, type(error).__name__))

    # -- the mailbox -----------------------------------------------------------------

    def connect(self) -> BaseMailBox:
        """A logged-in mailbox whose capabilities are those after login, our folders created."""
        s = self.settings
        box: BaseMailBox
        if s.imap_ssl:
            box = MailBox(s.imap_host, s.effective_imap_port, timeout=TIMEOUT_S,
                          ssl_context=ssl.create_default_context())
        elif s.imap_starttls:
            box = MailBoxStartTls(s.imap_host, s.effective_imap_port, timeout=TIMEOUT_S,
                                  ssl_context=ssl.create_default_context())
        else:
            box = MailBoxUnencrypted(s.imap_host, s.effective_imap_port, timeout=TIMEOUT_S)
        try:
            box.login(s.imap_user, s.imap_password, initial_folder=None)
            status, data = box.client.capability()
            if status == "OK" and data and isinstance(data[-1], bytes):
                box.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
            for folder in (s.imap_processed_folder, s.imap_ignored_folder):
                _create_folder(box, folder)
        except BaseException:
            _logout_quietly(box)
            raise
        return box

    def sweep(self, box: BaseMailBox) -> int:
        """Take the new mails of the folder, move the finished ones; returns how many were taken."""
        folder = self.settings.imap_folder
        box.folder.set(folder)
        uidvalidity = int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])
        uids = [int(uid) for uid in box.uids("UNDELETED")]  # one a person deleted is not for us
        with UnitOfWork(self.ctx, read_only=True) as uow:
            known = uow.mail_receipts.in_folder(folder, uidvalidity)
        taken = 0
        for uid in uids:
            if self.stopping.is_set():
                break
            receipt = known.get(uid)
            if receipt is None:
                receipt = self._take(box, MailKey(folder, uidvalidity, uid))
                taken += receipt is None
            if receipt is not None and receipt.state != MailState.IN_HAND:
                self._move(box, uid, receipt.state)
        if taken:
            self.wake()
        return taken

    def _take(self, box: BaseMailBox, key: MailKey) -> Receipt | None:
        """Deposit the mail `key` unless the store knows it (taken by another instance, or under an older
        UIDVALIDITY); returns what the store knew, None when deposited now."""
        size = _size(box, key.uid)
        limit = int(self.settings.imap_max_message_mb * 1024 * 1024)
        raw = _fetch(box, key.uid, "BODY.PEEK[]" if size <= limit else HEADER_ONLY)
        digest = hashlib.sha256(raw + (b"" if size <= limit else str(size).encode())).hexdigest()
        token = secrets.token_hex(8)
        with UnitOfWork(self.ctx) as uow:
            before = uow.mail_receipts.by_digest(key.folder, digest)
            if before is not None:
                log.info("mail ref=%s is mail ref=%s seen before (state %s)", key.reference,
                         before.key.reference, before.state)
                return before
            if not uow.mail_receipts.take(key, digest=digest, token=token, now=self.ctx.clock()):
                return uow.mail_receipts.get(key)
            extra: ClaimExtra = {"imap_token": token} if size <= limit else {"imap_token": token,
                                                                              "imap_too_large": size}
            # Deposited before the commit: a crash between the two leaves a deposit whose receipt does not
            # exist, which the round drops (mail_round); never a receipt without its mail.
            intake.deposit(self.settings, raw, f"courriel-{key.uid}.eml",
                           intake.Origin(Door.IMAP, key.reference), extra)
            uow.commit()
        log.info("mail ref=%s taken size=%d", key.reference, size)
        return None

    def _move(self, box: BaseMailBox, uid: int, state: MailState) -> None:
        target = (self.settings.imap_processed_folder if state == MailState.PROCESSED
                  else self.settings.imap_ignored_folder)
        folder = encode_folder(target).decode("ascii")  # modified UTF-7, quoted
        if "MOVE" in box.client.capabilities:
            status, _ = box.client.uid("MOVE", str(uid), folder)
        else:  # RFC 4315's UID EXPUNGE removes this mail only, never another one marked \Deleted
            status, _ = box.client.uid("COPY", str(uid), folder)
            if status == "OK" and "UIDPLUS" in box.client.capabilities:
                box.client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
                box.client.uid("EXPUNGE", str(uid))
        if status == "OK":
            log.info("mail uid=%d moved to %s", uid, "processed" if state == MailState.PROCESSED else "ignored")

    def _wait(self, box: BaseMailBox) -> None:
        """IDLE until a mail arrives, a mail is finished, the service stops or a poll interval passes.

        Between two IDLE slices the folder's UIDNEXT is read too: a mail that arrives while no IDLE is
        running is announced only at the next command, which imap-tools' IDLE start does not keep.
        """
        folder = self.settings.imap_folder
        seen = _uidnext(box, folder)
        idle = "IDLE" in box.client.capabilities
        for _ in range(max(1, int(self.settings.poll_seconds / IDLE_SLICE_S))):
            if self.stopping.is_set() or self.finished.is_set():
                break
            if idle:
                if box.idle.wait(timeout=IDLE_SLICE_S):
                    break
            else:
                self.stopping.wait(IDLE_SLICE_S)
            if _uidnext(box, folder) != seen:
                break
        self.finished.clear()


def _uidnext(box: BaseMailBox, folder: str) -> int:
    return int(box.folder.status(folder, ["UIDNEXT"])["UIDNEXT"])


def _size(box: BaseMailBox, uid: int) -> int:
    status, data = box.client.uid("FETCH", str(uid), "(RFC822.SIZE)")
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        found = re.search(rb"RFC822\.SIZE (\d+)", line or b"")
        if status == "OK" and found:
            return int(found.group(1))
    raise imaplib.IMAP4.error(f"no size for uid {uid}")


def _fetch(box: BaseMailBox, uid: int, part: str) -> bytes:
    status, data = box.client.uid("FETCH", str(uid), f"({part})")
    for item in data:
        if status == "OK" and isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise imaplib.IMAP4.error(f"no body for uid {uid}")


def _mailbox_fault(error: BaseException) -> bool:
    """The mailbox failed (network, TLS, login, protocol), not our code."""
    return isinstance(error, (OSError, socket.timeout, ssl.SSLError, imaplib.IMAP4.error, MailboxLoginError))


def _logout_quietly(box: BaseMailBox) -> None:
    try:
        box.logout()
    except Exception:  # already broken: nothing more to say to it
        pass


def _create_folder(box: BaseMailBox, folder: str) -> None:
    """Create `folder` unless it is there. Two instances on one mailbox may both find it missing and both
    create it: the one the server answers ALREADYEXISTS has what it wanted, not a mailbox fault."""
    if box.folder.exists(folder):
        return
    try:
        box.folder.create(folder)
    except MailboxFolderCreateError:
        if not box.folder.exists(folder):
            raise
