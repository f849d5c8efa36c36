"""Files handled side by side in one round: at most a few in hand at once, and the round's counts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.intake import claimed_file

if TYPE_CHECKING:
    from provisioner.service.intake.file_in_hand import Handled

P = ParamSpec("P")


class Tally(Counter[str]):
    """Outcome counts of one round, added to from the lanes' threads."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def add(self, key: str) -> None:
        with self._lock:
            self[key] += 1

    def count(self, handled: Handled) -> None:
        """A file handled to its end: its outcome, or a batch's members one by one (a held one as accepted)."""
        self.add("files")
        if handled.batch is not None:
            self.add("batches")
            for line in handled.batch.lines:
                self.add(SubmissionStatus.ACCEPTED if line["status"] == SubmissionStatus.HELD else line["status"])
        else:
            self.add(handled.status)


class Lanes:
    """At most `width` files in hand at once, each on its own thread; leaving waits for all.

    A failure inside a lane is the lane's own business (the round's handler
    quarantines and logs); anything escaping it is logged here so the round goes on.
    """

    def __init__(self, width: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="file")
        self._room = threading.Semaphore(width)

    def wait_for_room(self) -> None:
        self._room.acquire()
        self._room.release()

    def run(self, fn: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
        self._room.acquire()

        def lane() -> None:
            try:
                fn(*args, **kwargs)
            except Exception as error:
                claimed_file.log_failure("lane", "-", error)
            finally:
                self._room.release()

        self._pool.submit(lane)

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
