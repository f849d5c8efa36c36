"""Is a zip file (an .xlsx, a .zip batch) written to its end?

A zip ends with its end-of-central-directory record, written last. A writer
that pauses (a VPN, an SMB copy) leaves a file that looks stable for a while
but has no such record yet: that file is still being written, not broken.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

ZIP_START = b"PK\x03\x04"
_END = b"PK\x05\x06"
_DIRECTORY = b"PK\x01\x02"
_END_SIZE = 22
_MAX_COMMENT = 0xFFFF
_ZIP64 = 0xFFFFFFFF  # the real sizes are in the zip64 record before it
_END_FORMAT = "<4s4H2LH"  # signature, disk numbers, entry counts, directory size and offset, comment length


def is_unfinished_zip(path: Path) -> bool:
    """True when `path` starts as a zip (or is still empty) but has no end record at its end yet.

    The record must end the file exactly (its comment length says where) and
    point at the central directory: the end record of a workbook stored inside
    a half-written batch is not it. Other files (not a zip at all) are never
    "unfinished": the reader judges them.
    """
    with path.open("rb") as handle:
        head = handle.read(len(ZIP_START))
        if not ZIP_START.startswith(head):
            return False
        if len(head) < len(ZIP_START):
            return True  # created, not yet written: nothing tells it from a zip to come
        size = handle.seek(0, 2)
        start = max(0, size - _END_SIZE - _MAX_COMMENT)
        handle.seek(start)
        tail = handle.read()
        return not any(_directory_at(handle, offset, length)
                       for offset, length in _end_records(tail, start))


def _end_records(tail: bytes, start: int) -> list[tuple[int, int]]:
    """(offset, size) of the central directory named by each end record that ends the file exactly."""
    found = []
    at = tail.rfind(_END)
    while at >= 0:
        record = tail[at:at + _END_SIZE]
        if len(record) == _END_SIZE:
            *_, directory_size, directory_offset, comment = struct.unpack(_END_FORMAT, record)
            if at + _END_SIZE + comment == len(tail) and (
                    _ZIP64 in (directory_size, directory_offset)
                    or directory_offset + directory_size <= start + at):
                found.append((directory_offset, directory_size))
        at = tail.rfind(_END, 0, at)
    return found


def _directory_at(handle: BinaryIO, offset: int, size: int) -> bool:
    if size == 0 or _ZIP64 in (offset, size):
        return True  # an empty zip; or zip64, whose real offset is elsewhere: the reader judges it
    handle.seek(offset)
    return handle.read(len(_DIRECTORY)) == _DIRECTORY
