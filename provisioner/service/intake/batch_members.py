"""The zip of a batch, read as hostile like any file: what it is, its directory checked before anything is
inflated (entries, total size, ratio per entry), its members known by the base name of their entry only (no
path is ever built from it; directories, `__MACOSX/`, dotfiles and lock files skipped), and each member
inflated in bounded chunks to a scratch file of our own name."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from provisioner.domain.finding_codes import FindingCode
from provisioner.service.intake.names import display_name
from provisioner.wording import intake as intake_text
from provisioner.workbook.file_kind import ZIP_MAGIC
from provisioner.workbook.safety import MAX_ENTRIES, MAX_TOTAL_UNCOMPRESSED, zip_caps_fault

CHUNK = 256 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # the zip local file header, 30 bytes


class BatchRefused(Exception):
    """The zip itself cannot be taken; `code` and `message` (French) say why."""

    def __init__(self, code: FindingCode, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def is_batch(path: Path, name: str) -> bool:
    """A `.zip` by its name AND its bytes, and not a workbook that was given a `.zip` name."""
    if PurePosixPath(name.lower()).suffix != ".zip":
        return False
    with path.open("rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # a broken zip: refused as a batch, with a message about the zip
    return not {"[Content_Types].xml", "xl/workbook.xml"} <= names


def members(archive: zipfile.ZipFile) -> list[tuple[int, str, zipfile.ZipInfo]]:
    """(number in the zip, base name, entry) of the members to process, after the directory checks."""
    infos = archive.infolist()
    fault = zip_caps_fault(infos)  # the caps of any zip (safety.py)
    if fault == "entries":
        raise BatchRefused(FindingCode.FILE_TOO_LARGE, intake_text.too_many_members(len(infos), MAX_ENTRIES))
    if fault == "total":
        raise BatchRefused(FindingCode.FILE_TOO_LARGE,
                           intake_text.too_large_unpacked(MAX_TOTAL_UNCOMPRESSED // (1024 * 1024)))
    if fault == "ratio":
        raise BatchRefused(FindingCode.FILE_TOO_LARGE, intake_text.ZIP_BOMB)
    members = []
    for index, info in enumerate(infos, start=1):
        display = member_name(info)
        if display is not None:
            members.append((index, display, info))
    if not members:
        raise BatchRefused(FindingCode.FILE_UNREADABLE, intake_text.ZIP_EMPTY)
    return members


def member_name(info: zipfile.ZipInfo) -> str | None:
    """The base name of a member to process, or None for what a batch may hold besides workbooks."""
    raw = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile read it as cp437
        try:
            raw = raw.encode("cp437").decode("utf-8")
        except UnicodeError:
            try:
                raw = raw.encode("cp437").decode("cp850")  # Windows' OEM code page in French
            except UnicodeError:
                pass
    parts = [p for p in raw.replace("\\", "/").split("/") if p]
    if info.is_dir() or not parts or parts[0] == "__MACOSX":
        return None
    base = parts[-1]
    if base.startswith((".", "~$")) or base.lower() in ("thumbs.db", "desktop.ini"):
        return None
    return display_name(base)


def extract(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, limit: int) -> None:
    """Inflate `entry` to `target`, at most `limit` bytes; what cannot be inflated is kept as stored.

    A member over the limit is cut at limit + 1 bytes: its report then says
    it is too large. An encrypted or damaged member keeps its stored bytes,
    which its report calls unreadable.
    """
    written = 0
    try:
        with archive.open(entry) as source, target.open("wb") as sink:
            while written < limit and (chunk := source.read(min(CHUNK, limit - written))):
                sink.write(chunk)
                written += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError):
        target.write_bytes(_stored_bytes(archive, entry, limit))


def _stored_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    handle = archive.fp
    if handle is None:
        return b""
    try:
        handle.seek(entry.header_offset)
        header = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        handle.seek(header[-2] + header[-1], 1)  # file name and extra field
        return handle.read(min(entry.compress_size, limit))
    except (OSError, struct.error):
        return b""
