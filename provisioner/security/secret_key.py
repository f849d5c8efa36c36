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

import errno
import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from provisioner.config import ConfigError, Settings

KEY_FILE = "secret.key"
PREFIX = "fernet:"  # marks a stored value as a token, not clear text

__all__ = ["InvalidToken", "KeyUnreadable", "current", "decrypt_text", "encrypt_text", "install", "is_encrypted",
           "load"]

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


class KeyUnreadable(ConfigError):
    """The key file holds no usable key (emptied by a full disk, damaged), or cannot be written."""

    def __init__(self, path: Path, problem: str = "is unreadable (empty or damaged)") -> None:
        super().__init__(
            f"{path} {problem}: restore it from the backup; or move it away and a new key is made,"
            " and the password emails still waiting and the quarantined files' bytes are lost")
        self.path = path


def _key_file(path: Path) -> bytes:
    """Read the key file, or create it with mode 600; two processes starting at once get one key.

    Written whole under a temporary name, synced, then linked to its name: a crash or a full disk
    leaves no empty or partial key (os.link, unlike a rename, never replaces a key another process
    has just made).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            return _read_key(path)
        except FileNotFoundError:
            pass
        key = Fernet.generate_key()
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(key + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, path)
        except FileExistsError:
            continue  # another process made it first: read theirs
        except OSError as error:  # full, read-only, too large: nothing half-written is left behind
            raise KeyUnreadable(path, f"cannot be written ({errno.errorcode.get(error.errno or 0, 'OSError')})") \
                from None
        finally:
            temporary.unlink(missing_ok=True)
        _sync_folder(path.parent)
        return key
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise KeyUnreadable(path, f"cannot be read ({errno.errorcode.get(error.errno or 0, 'OSError')})") from None
    try:
        Fernet(key)
    except ValueError:
        raise KeyUnreadable(path) from None
    return key


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
