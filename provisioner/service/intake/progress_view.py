"""The progress of a round shown in a terminal (files taken, members of a batch), or nothing."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from provisioner.wording import intake as intake_text

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class View:
    """No progress shown (stderr is not a terminal)."""

    def file(self) -> None:
        pass

    def member(self, done: int, total: int) -> None:
        pass


class RichView(View):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files = progress.add_task(intake_text.PROGRESS_FILES, total=None)
        self.batch: TaskID | None = None

    def file(self) -> None:
        self.progress.advance(self.files)
        if self.batch is not None:
            self.progress.remove_task(self.batch)
            self.batch = None

    def member(self, done: int, total: int) -> None:
        if self.batch is None:
            self.batch = self.progress.add_task(intake_text.PROGRESS_BATCH, total=total)
        self.progress.update(self.batch, completed=done, total=total)


@contextmanager
def progress_view(shown: bool) -> Iterator[View]:
    """Bars on stderr while the round runs when `shown`, else a view that shows nothing."""
    if not shown:
        yield View()
        return
    # rich is loaded only for a round shown in a terminal: scripts and the service never pay for it.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        # Inside, sys.stderr is rich's proxy: log lines printed through it stay above the bars.
        moved = [h for h in logging.getLogger().handlers
                 if isinstance(h, logging.StreamHandler) and h.stream is sys.__stderr__]
        for handler in moved:
            handler.setStream(sys.stderr)
        try:
            yield RichView(progress)
        finally:
            for handler in moved:
                handler.setStream(sys.__stderr__)
