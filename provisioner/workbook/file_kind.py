"""What a submitted file is, told by its bytes, not its name; anything but an .xlsx is refused here.

A person who sent an .xls, an .ods, a .csv or a password-protected workbook is
told what the file is and how to save it as an .xlsx.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from provisioner.wording import workbook_text
from provisioner.workbook.unsafe_file import too_large, unreadable, wrong_type

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SNIFF = 8192  # bytes read from the start of a file to tell what it is

_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODF_MIMETYPE = b"application/vnd.oasis.opendocument."
# Stream names of a compound (OLE2) file, as its directory spells them (UTF-16-LE).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_LEGACY_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


def check_kind(path: Path, name: str, max_bytes: int) -> None:
    """Raise UnsafeFile unless `path` looks like an .xlsx within the size limit."""
    size = path.stat().st_size
    if size > max_bytes:
        raise too_large(workbook_text.file_too_large(size, max_bytes))
    with path.open("rb") as handle:
        head = handle.read(SNIFF)
    kind = detect_kind(path, head)
    suffix = PurePosixPath(name.lower()).suffix
    if kind == "ole2" and suffix == ".xls":
        kind = "xls"  # a compound file named .xls: its name and its bytes agree
    if kind == "encrypted":
        raise unreadable(workbook_text.ENCRYPTED)
    if kind in workbook_text.FORMAT_NAMES:
        raise wrong_type(workbook_text.wrong_format(kind))
    if kind == "ole2":
        raise unreadable(workbook_text.ENCRYPTED_OR_OLD)
    if suffix != ".xlsx":
        raise wrong_type(workbook_text.not_xlsx(suffix))
    if size == 0 or head[:4] != ZIP_MAGIC:
        raise unreadable(workbook_text.UNEXPECTED_CONTENT)


def detect_kind(path: Path, head: bytes) -> str:
    """What the bytes say the file is: zip, encrypted, xls, ole2 (unknown compound file), ods, odf, csv or
    unknown. Names are not looked at: a `.xls` renamed `.xlsx` is still a `.xls`."""
    if head.startswith(OLE2_MAGIC):
        # The directory of a compound file may lie anywhere in it; the file is within the size cap.
        data = path.read_bytes()
        if _ENCRYPTED_PACKAGE in data:
            return "encrypted"  # an .xlsx saved with a password is a compound file around the zip
        return "xls" if any(stream in data for stream in _LEGACY_WORKBOOK) else "ole2"
    if head.startswith(ZIP_MAGIC):
        # ODF puts an uncompressed `mimetype` entry first: its name at byte 30, its content after it.
        if head[30:38] == b"mimetype":
            if head[38:38 + len(_ODS_MIMETYPE)] == _ODS_MIMETYPE:
                return "ods"
            if head[38:38 + len(_ODF_MIMETYPE)] == _ODF_MIMETYPE:
                return "odf"
        return "zip"
    return "csv" if _looks_like_csv(head) else "unknown"


def _looks_like_csv(head: bytes) -> bool:
    """Text in a usual encoding, with a separator on its first line."""
    if not head:
        return False
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(encoding, errors="ignore")
            break
    else:
        if any(byte in _TEXT_CONTROLS for byte in head):
            return False
        text = head.decode("utf-8", errors="ignore") if _is_utf8(head) else head.decode("cp1252", errors="replace")
    if any(ord(ch) in _TEXT_CONTROLS for ch in text):
        return False
    first = text.splitlines()[0] if text.splitlines() else ""
    return any(sep in first for sep in (";", ",", "\t"))


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut by the end of the sample
    return True
