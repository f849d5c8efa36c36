"""A `provisioner` process run by a test, on a service of its own under one folder: its environment, a
command's run, and `provisioner serve` running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
        "PROVISIONER_PORTAL_ENABLED": "0",  # the companies' portal likewise
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


class Serve:
    """`provisioner serve` on the folders of `root` with `env`, its output in `root/NAME.log`.

    In a session of its own, as a terminal gives: its process group is the service and its hash
    workers, and nothing of pytest's.
    """

    def __init__(self, root: Path, env: dict[str, str], name: str = "serve") -> None:
        self.root, self.env = root, env
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Serve:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "provisioner", "serve"], cwd=self.root,
                                            env=self.env, stdout=log, stderr=log, start_new_session=True)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def kill9(self) -> None:
        """SIGKILL to the service and its hash workers at once, as the OOM killer or a power cut would."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self) -> str:
        return self.text()[-4000:]


class Started:
    """The services a test starts under `root`, each named NAME-N; `kill_all` ends those still running."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.services: list[Serve] = []

    def start(self, env: dict[str, str], name: str = "serve") -> Serve:
        service = Serve(self.root, env, f"{name}-{len(self.services)}").start()
        self.services.append(service)
        return service

    def kill_all(self) -> None:
        for service in self.services:
            if service.alive():
                service.kill9()


def wait_for(condition: Callable[[], Any], timeout: float, *running: Serve) -> Any:
    """`condition()` once true; the test fails when `timeout` seconds pass or a `running` service exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for service in running:
            if not service.alive():
                assert service.process is not None
                pytest.fail(f"serve exited with {service.process.returncode}:\n{service.tail()}")
        time.sleep(0.1)
    logs = "\n".join(s.tail() for s in running)
    pytest.fail(f"timed out after {timeout} s\n{logs}")

