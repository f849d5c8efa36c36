"""A submitted file refused before any spreadsheet library parses it (its words: wording.safety).

Apart from the checks that raise it (file_kind, sheet_extent, safety), so that
each of them can refuse a file without importing the others.
"""

from __future__ import annotations

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error


class UnsafeFile(Exception):
    """The file cannot be read safely; `finding` says why, in French."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


def too_large(message: str) -> UnsafeFile:
    return UnsafeFile(error(FindingCode.FILE_TOO_LARGE, message))


def unreadable(message: str) -> UnsafeFile:
    return UnsafeFile(error(FindingCode.FILE_UNREADABLE, message))


def wrong_type(message: str) -> UnsafeFile:
    return UnsafeFile(error(FindingCode.FILE_TYPE, message))
