"""A `provisioner` process run by a test, on a service of its own under one folder: its environment and its run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_SMTP_KEYS = ("PROVISIONER_SMTP_HOST", "PROVISIONER_SMTP_USER", "PROVISIONER_SMTP_PASSWORD")


def service_env(root: Path, database_url: str | None = None, *, hash_workers: int = 1,
                **extra: str) -> dict[str, str]:
    """os.environ with: no config file, every folder under `root`, `database_url` (by default
    SQLite under root/var), `hash_workers` hash processes, and no SMTP unless `extra` sets it.

    `extra` holds more PROVISIONER_* variables; it wins over everything above.
    """
    env = {key: value for key, value in os.environ.items() if key not in _SMTP_KEYS}
    env.update({
        "PYTHONPATH": str(REPO), "COLUMNS": "200",
        "PROVISIONER_CONFIG": str(root / "absent.toml"),
        "PROVISIONER_INBOX": str(root / "inbox"), "PROVISIONER_OUTBOX": str(root / "outbox"),
        "PROVISIONER_ARCHIVE": str(root / "archive"), "PROVISIONER_VAR_DIR": str(root / "var"),
        "PROVISIONER_QUARANTINE": str(root / "var" / "quarantine"),
        "PROVISIONER_DATABASE_URL": database_url or f"sqlite:///{(root / 'var' / 'provisioner.db').as_posix()}",
        "PROVISIONER_HASH_WORKERS": str(hash_workers),
        # The web back office listens on a fixed port: tests that want it turn it on with a port of their own.
        "PROVISIONER_WEB_ENABLED": "0",
    })
    env.update(extra)
    return env


def run_provisioner(root: Path, env: dict[str, str], *args: str | Path,
                    expect: int | None = 0, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """`provisioner ARGS` as a process in `root` (`input_text` on its stdin): never a traceback, and exit
    `expect` unless None."""
    result = subprocess.run([sys.executable, "-m", "provisioner", *map(str, args)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300, input=input_text)
    assert "Traceback" not in result.stderr, result.stderr
    if expect is not None:
        assert result.returncode == expect, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result
