"""A real IMAP server for the tests: Debian's Dovecot on a free port of 127.0.0.1, with a throwaway
configuration in a temporary folder (no TLS, one passwd-file user, maildir storage).

Tests run as root: Dovecot refuses to serve mail as uid 0, so the mailbox belongs to `nobody` and
lives in a folder of its own that `nobody` can reach (pytest's tmp_path is private to root). Run as
another user, Dovecot runs as that user entirely.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp_server import free_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "guichet", "imap-test-password"
START_TIMEOUT_S = 10

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = provisioner-test-{port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
mail_location = maildir:~/Maildir
first_valid_uid = 1
{users_as_self}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


def unavailable() -> str | None:
    """Why Dovecot cannot run here, or None."""
    if not Path(DOVECOT).is_file():
        return f"{DOVECOT} missing (Debian package dovecot-imapd)"
    return None


class ImapServer:
    """Dovecot listening on `port` of 127.0.0.1 with one user, `USER`/`PASSWORD`; `stop()` and
    `start()` again on the same port and mailbox, as a mailbox that goes down and comes back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.user, self.password = USER, PASSWORD
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam("nobody")
            uid, gid, users_as_self = owner.pw_uid, owner.pw_gid, ""
        else:
            uid, gid = os.getuid(), os.getgid()
            login = pwd.getpwuid(uid).pw_name
            users_as_self = (f"default_internal_user = {login}\ndefault_login_user = {login}\n"
                             f"default_internal_group = {pwd.getpwuid(uid).pw_gid}")
        self.root.chmod(0o755)
        home = self.root / "mail" / USER
        home.mkdir(parents=True)
        os.chown(home, uid, gid)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{home}::\n")
        (self.root / "dovecot.conf").write_text(_CONFIG.format(root=self.root, port=self.port,
                                                               users_as_self=users_as_self))
        # Whatever umask the process has by now (the service sets 027 when it starts in-process), Dovecot's
        # own unprivileged users must reach the mailbox and read the passwd-file.
        for path in (self.root / "mail", self.root / "users", self.root / "dovecot.conf"):
            path.chmod(0o755 if path.is_dir() else 0o644)

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / USER / "Maildir"

    def start(self) -> None:
        """Dovecot in the foreground, as our child; returns once it accepts a login."""
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited {self.process.returncode}: {error.strip()[:500]}")
            try:
                with self.connect():
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT_S} s: {self.log()[-500:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- what a test does to the mailbox, as a mail client would ------------------------

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(self.user, self.password)
        return client

    def append(self, message: bytes, folder: str = "INBOX") -> int:
        """Put `message` into `folder` (IMAP APPEND, no mail transfer agent); returns its UID."""
        with self.connect() as client:
            status, data = client.append(_quote(folder), None, None, message)
        assert status == "OK", data
        # [APPENDUID <uidvalidity> <uid>] (RFC 4315, which Dovecot answers)
        text = data[0].decode() if data and isinstance(data[0], bytes) else ""
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])

    def uids(self, folder: str) -> list[int]:
        """The UIDs in `folder`; [] when it does not exist."""
        with self.connect() as client:
            status, _ = client.select(_quote(folder), readonly=True)
            if status != "OK":
                return []
            status, data = client.uid("SEARCH", "ALL")
        return [int(uid) for uid in (data[0] or b"").split()]

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connect() as client:
            status, data = client.status(_quote(folder), "(UIDVALIDITY)")
        assert status == "OK", data
        text = data[0].decode() if isinstance(data[0], bytes) else ""
        return int(text.split("UIDVALIDITY", 1)[1].strip(" )"))

    def fetch(self, folder: str, uid: int) -> bytes:
        with self.connect() as client:
            client.select(_quote(folder), readonly=True)
            status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        item = data[0]
        assert status == "OK" and isinstance(item, tuple), data
        return bytes(item[1])

    def change_uidvalidity(self) -> None:
        """Give INBOX a new UIDVALIDITY (and new UIDs), as a restored or rebuilt mailbox does."""
        was_running = self.process is not None
        self.stop()
        for name in ("dovecot-uidlist", "dovecot-uidvalidity", "dovecot.index", "dovecot.index.log",
                     "dovecot.index.cache"):
            (self.maildir / name).unlink(missing_ok=True)
        for stale in self.maildir.glob("dovecot-uidvalidity.*"):
            stale.unlink()
        time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock, in seconds
        if was_running:
            self.start()


def _quote(folder: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501), quoted."""
    from imap_tools.imap_utf7 import utf7_encode

    return '"' + utf7_encode(folder).decode() + '"'
