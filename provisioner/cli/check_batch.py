"""`provisioner check lot.zip`: each workbook of a fiduciary's zip checked as `process` would take it.

The zip is read as the service reads a batch (service.batch_members: its
directory checked before anything is inflated, members by base name, each
inflated to a scratch file of our own name, bounded), then each member goes
through the same checks as a lone workbook. Nothing is written but the
scratch files, removed at the end.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from provisioner.domain.finding_codes import FindingCode
from provisioner.service.intake.batch_members import BatchRefused, extract, members
from provisioner.wording import intake as intake_text
from provisioner.workbook.checker import CheckResult, check_file
from provisioner.workbook.reader import DEFAULT_MAX_BYTES


def check_members(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  check: Callable[..., CheckResult] = check_file) -> Iterator[tuple[str, CheckResult]]:
    """(member name, result) for each workbook of the zip at `path`, in the zip's order.

    Raises BatchRefused when the zip itself cannot be taken (too many entries,
    a bomb, no workbook, damaged), with the French message the service gives.
    """
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="provisioner-") as folder:
            for index, display, entry in members(archive):
                scratch = Path(folder) / f"m{index:03d}"
                extract(archive, entry, scratch, max_bytes + 1)  # one byte over: reported too large
                yield display, check(scratch, name=display, max_bytes=max_bytes)
                scratch.unlink(missing_ok=True)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise BatchRefused(FindingCode.FILE_UNREADABLE, intake_text.ZIP_DAMAGED_CHECK) from exc
