"""Writing outputs so that a reader never sees half a file.

security.md: "Write outputs to a temporary name, then rename." A crash while
writing leaves at worst a stray temporary file, never a truncated report that
the Agence Virtuelle or a fiduciary's script would take for a real one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o640) -> Path:
    """Write `data` to `path` atomically, with `mode`; `str` is written as UTF-8.

    The temporary file lives in the target's own directory because
    `os.replace` is atomic only within one file system. It is fsynced before
    the rename so that a power cut cannot leave an empty file under the final
    name. The parent directory must exist: creating the outbox layout is the
    caller's decision, not a side effect of writing one file.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # A leading dot and a ".tmp" suffix keep half-written files out of the
    # way of anything that lists the folder for finished outputs.
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp creates the file 0600; outputs are meant to be read by the
        # people and tools of the service's group, never by every account of
        # the host (security: no world-readable file under var/ or outbox/).
        # Not derived from the umask: reading it means setting it, which races
        # with other threads.
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        # Also on KeyboardInterrupt: never leave the temporary file behind.
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where unsupported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
