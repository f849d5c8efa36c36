"""Untrusted bytes are parsed in a child process with limits on memory and time.

The zip inspection, calamine (Rust) and any XML parser may meet a file made to
exhaust them: an allocation of 51 GB aborts the whole process, a pathological
file may spin for minutes. Whatever happens, it happens in a child: the
service sees a `ChildFailed` and tells the person the file could not be read.

Cost matters (hundreds of workbooks a poll): children are started once (forked
directly, or from a forkserver that has the reader imported when the process
has threads), kept warm, reused, and replaced only when one dies or overruns.
Each child takes one job at a time; a job that overruns kills its own child
only, never another lane's.
"""

from __future__ import annotations

import atexit
import gc
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import ParamSpec, TypeVar, cast

from provisioner import forkserver

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_MEMORY_MB = 1024  # address space a child may add to what it starts with
DEFAULT_SECONDS = 60.0
MAX_CHILDREN = 2  # the serve loop reads at most two files at once
STARTUP_SECONDS = 60.0  # a cold forkserver imports pandas and calamine first
_READY = "ready"


class ChildFailed(Exception):
    """The child reading a file died, ran out of memory or overran its time; `kind` says which."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind, detail)
        self.kind = kind  # "memory" | "timeout" | "died"
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    memory_mb: int = DEFAULT_MEMORY_MB
    seconds: float = DEFAULT_SECONDS


class ReaderUnavailable(Exception):
    """No reader child could be started: a fault of this host, not of any file."""


class _Child:
    def __init__(self, context: multiprocessing.context.BaseContext, limits: Limits) -> None:
        self.conn, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child_end, self.conn, limits.memory_mb), daemon=True, name="provisioner-reader")
        self.process.start()
        child_end.close()
        # Ready only once limited and waiting: a child that dies before has met no file.
        try:
            ready = self.conn.poll(STARTUP_SECONDS) and self.conn.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise ReaderUnavailable(f"reader child did not start (exit {self.process.exitcode})")

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class ReaderPool:
    """Warm children, each running one job at a time under `limits`. Safe to call from any thread."""

    def __init__(self, limits: Limits | None = None, children: int = MAX_CHILDREN) -> None:
        self.limits = limits or Limits()
        self._max = children
        self._idle: list[_Child] = []
        self._busy = 0
        self._cond = threading.Condition()

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in a child; its result, or ChildFailed. `fn` must be importable (pickled
        by name)."""
        child = self._take()
        healthy = False
        try:
            result = self._run(child, fn, args, kwargs)
            healthy = True
            return result
        finally:
            self._give_back(child, healthy)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the children alive and idle (Linux; 0 elsewhere): for benchmarks."""
        with self._cond:
            pids = [child.process.pid for child in self._idle]
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                continue
        return total

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
        for child in idle:
            try:
                child.conn.send(None)  # a clean exit
            except OSError:
                pass
            child.process.join(1)
            child.kill()

    # -- children ------------------------------------------------------------------

    def _take(self) -> _Child:
        with self._cond:
            while not self._idle and self._busy >= self._max:
                self._cond.wait()
            self._busy += 1
            if self._idle:
                return self._idle.pop()
        try:
            return _Child(_start_context(), self.limits)
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise

    def _give_back(self, child: _Child, healthy: bool) -> None:
        if not healthy:
            child.kill()
        with self._cond:
            self._busy -= 1
            if healthy:
                self._idle.append(child)
            self._cond.notify()

    def _run(self, child: _Child, fn: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
        started = time.monotonic()
        try:
            child.conn.send((fn, args, kwargs))
            if not child.conn.poll(self.limits.seconds):
                log.warning("reader child overran %.0f s: killed", self.limits.seconds)
                raise ChildFailed("timeout")
            status, value = child.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            child.process.join(5)
            code = child.process.exitcode
            # SIGABRT is how Rust ends on a failed allocation, SIGKILL the kernel's OOM killer.
            kind = "memory" if code in (-signal.SIGABRT, -signal.SIGKILL) else "died"
            log.warning("reader child died exit=%s after %.0f ms", code, (time.monotonic() - started) * 1000)
            raise ChildFailed(kind, f"exit {code}") from None
        if status == "ok":
            return cast("T", value)  # what fn returned, pickled back
        if status == "memory":
            raise ChildFailed("memory", "MemoryError")
        log.error("reader child raised %s", value)  # a type name: never a value from the file
        raise ChildFailed("died", str(value))


def _serve(conn: Connection, parent_end: Connection, memory_mb: int) -> None:
    """The child: limit itself, then answer jobs until told to stop or its parent goes."""
    # A forked child holds a copy of the parent's end too: closed, so that the parent's death is
    # an end of file here (else the child outlives it, holding the parent's stdout open).
    parent_end.close()
    # What a forked child inherits (the parent's imports: pandas and the rest) is never its garbage:
    # frozen, the collector walks only what the child allocates, and leaves those pages shared.
    gc.freeze()
    gc.enable()  # whatever the parent paused (cli/check.py): this child may read many files
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service decides when to stop, not Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked child must not run the service's handler
    limit = _address_space() + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # a process capped from outside stays within its cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(_READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args, kwargs = job
        answer: tuple[str, object]
        try:
            answer = ("ok", fn(*args, **kwargs))
        except MemoryError:
            answer = ("memory", None)
        except BaseException as exc:
            answer = ("error", type(exc).__name__)
        try:
            conn.send(answer)
        except MemoryError:
            conn.send(("memory", None))
        except Exception as exc:
            conn.send(("error", type(exc).__name__))
        if answer[0] == "memory":
            return  # a child that hit its limit may be in a bad state: a fresh one replaces it


def _address_space() -> int:
    """The child's virtual size now (bytes): the limit is set above what the imports already take."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
        return pages * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _start_context() -> multiprocessing.context.BaseContext:
    """fork() while this process has one thread: the child has the imports already, at no cost
    (`provisioner check` pays no second interpreter start). Otherwise, as the hash pool does, a
    forkserver with the reader's imports done: fork() from a threaded process can copy a lock
    that another thread holds, and hang the child."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return forkserver.context()


_default: ReaderPool | None = None
_default_limits = Limits()
_default_lock = threading.Lock()


def configure(limits: Limits) -> None:
    """The limits of the process's reader children (from the settings); restarts them if they changed."""
    global _default_limits, _default
    with _default_lock:
        if limits == _default_limits:
            return
        _default_limits = limits
        pool, _default = _default, None
    if pool is not None:
        pool.close()


def readers() -> ReaderPool:
    """The process's reader children, started on first need."""
    global _default
    with _default_lock:
        if _default is None:
            _default = ReaderPool(_default_limits)
        return _default


@atexit.register
def _close_default() -> None:
    if _default is not None:
        _default.close()
