"""Slow salted hashes for passwords and secret answers (argon2id).

Parameters are at least OWASP's minimum for argon2id (m=19456 KiB, t=2, p=1).
Hashing dominates the cost of a large workbook, so `Hasher.hash_many` spreads
it over the cores. Nothing here logs, returns or raises with a secret in it.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from provisioner import forkserver
from provisioner.domain.keys import answer_key

log = logging.getLogger(__name__)

TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
)


def hash_secret(value: str) -> str:
    """An argon2id hash of `value` (a password), with a fresh random salt."""
    return _hasher.hash(value)


def verify_secret(hash: str | None, value: str) -> bool:
    """True when `value` matches `hash`; False on a mismatch or a missing or malformed hash."""
    if not hash:
        return False
    try:
        return _hasher.verify(hash, value)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_answer(value: str) -> str:
    """A hash of a secret answer, normalised first (trim, case, accents, inner spaces)."""
    return hash_secret(answer_key(value))


def verify_answer(hash: str | None, value: str) -> bool:
    return verify_secret(hash, answer_key(value))


# A hash of a random value nobody knows: an unknown company costs the same
# verification as a known one, so timing does not tell which member numbers exist.
DUMMY_HASH = hash_secret(secrets.token_urlsafe(16))


def verify_admin(hash: str | None, password: str) -> bool:
    """Check a company's administrator password, in the same time whether the company exists or not."""
    if hash is None:
        verify_secret(DUMMY_HASH, password)
        return False
    return verify_secret(hash, password)


# Below this many values a pool costs more to start than it saves.
POOL_THRESHOLD = 4
# Hashes per task at least (about 0.3 s of work), unless that would leave a worker idle.
MIN_CHUNK = 16


def chunk_size(values: int, workers: int) -> int:
    """Hashes per task of the pool: four tasks a worker for a large batch, so that the workers
    finish together; never tasks so small that handing them out costs the service real CPU.

    Each task costs the service's process some 0.5 ms of its own (the pool's feeder and
    manager threads pickle it, wake up, read its result): at five hashes a task, the 41
    hashes of a 10-user Abonnement made 9 tasks and 4.6 ms of the service's CPU; 3 tasks
    of at most 16 now, 1.6 ms.
    """
    return max(1, values // (workers * 4), min(MIN_CHUNK, -(-values // workers)))


def _ignore_interrupt() -> None:
    # Ctrl-C in a terminal signals the whole process group. The service decides
    # when to stop (it finishes the files in hand); a worker that took the
    # SIGINT would die mid-hash with a KeyboardInterrupt traceback on stderr.
    # SIGTERM keeps its default: a worker stopped by it is replaced by
    # in-process hashing (BrokenProcessPool below).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Hasher:
    """Hashes many secrets at once over a process pool, started on first need and reused.

    `workers` 0 means one per core. Use as a context manager, or call
    `close()`, to stop the pool. Safe to call from any thread.
    """

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def hash_many(self, values: list[str]) -> list[str]:
        """The hashes of `values`, in the same order."""
        if len(values) < POOL_THRESHOLD or self.workers == 1:
            return [hash_secret(v) for v in values]
        pool = self._get_pool()
        chunk = chunk_size(len(values), self.workers)
        try:
            return list(pool.map(hash_secret, values, chunksize=chunk))
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the work must still be done.
            log.warning("hash pool broken; hashing %d values in-process", len(values))
            self._discard(pool)
            return [hash_secret(v) for v in values]

    def hash_answers(self, values: list[str]) -> list[str]:
        """The hashes of secret answers, normalised as `hash_answer` does, in the same order."""
        return self.hash_many([answer_key(v) for v in values])

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self) -> Hasher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=forkserver.context(),
                    initializer=_ignore_interrupt,
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)
