"""The service's key for secrets at rest (Fernet, from `cryptography`: no cipher of our own).

The key is `PROVISIONER_SECRET_KEY` (a Fernet key: `python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`),
or, when that is unset, `var/secret.key`, generated once with mode 600 and
reused by every later run (`serve`, `process`, the commands).

What it protects: a generated password waiting in the mail queue, and the
bytes of a quarantined file. Every process that builds a ServiceContext installs
its key here (`install`); the mail queue and the quarantine use `current()`.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from provisioner.config import ConfigError, Settings

KEY_FILE = "secret.key"
PREFIX = "fernet:"  # marks a stored value as a token, not clear text

__all__ = ["InvalidToken", "current", "decrypt_text", "encrypt_text", "install", "is_encrypted", "load"]

_lock = threading.Lock()
_installed: dict[tuple[str, str], Fernet] = {}
_current: Fernet | None = None


def load(settings: Settings) -> Fernet:
    """The key the settings name, or the one under `var_dir` (created on first use)."""
    if settings.secret_key:
        try:
            return Fernet(settings.secret_key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ConfigError("PROVISIONER_SECRET_KEY: not a Fernet key (32 bytes, URL-safe base64)") from None
    return Fernet(_key_file(settings.var_dir / KEY_FILE))


def install(settings: Settings) -> Fernet:
    """Load the settings' key (once per key and folder) and make it this process's current key."""
    global _current
    ident = (settings.secret_key, str(settings.var_dir.resolve()))
    with _lock:
        fernet = _installed.get(ident)
        if fernet is None:
            fernet = _installed[ident] = load(settings)
        _current = fernet
    return fernet


def current() -> Fernet:
    if _current is None:
        raise RuntimeError("no secret key installed: build a ServiceContext from the settings first")
    return _current


def encrypt_text(text: str) -> str:
    return PREFIX + current().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_text(stored: str) -> str:
    """Clear text of a stored value; a value without the prefix was stored clear (before encryption came)."""
    if not is_encrypted(stored):
        return stored
    return current().decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)  # type: ignore[union-attr]


def _key_file(path: Path) -> bytes:
    """Read the key file, or create it with mode 600; two processes starting at once get one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
        if not key:  # another process is writing it this very moment
            time.sleep(0.2)
            key = path.read_bytes().strip()
        return key
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key
