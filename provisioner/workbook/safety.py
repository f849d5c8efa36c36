"""Look inside a submitted .xlsx before any spreadsheet library parses it.

Its kind was told by its bytes first (file_kind.py). Here the zip directory is
read and every entry is inflated, never past its declared size nor a total
budget, so that a zip bomb is refused before calamine or an XML parser touches
it; the declared shared-string count and every sheet's extent are bounded
(sheet_extent.py) before calamine allocates for them. The same pass gathers
what the values alone cannot show: formula and error cells, hidden sheets,
rows and columns.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from provisioner.wording import safety as say
from provisioner.workbook.sheet_extent import MAX_FILLED_CELLS, SheetFacts, check_extents, sheet_facts
from provisioner.workbook.unsafe_file import too_large, unreadable, wrong_type

# The zip caps, one set for a workbook and for a fiduciary's batch of workbooks (service/intake/batch.py).
MAX_ENTRIES = 200
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200  # per entry; real sheets compress 5-30x, bombs 1000x
RATIO_FLOOR = 2 * 1024 * 1024  # below this an entry may have any ratio
MAX_SHARED_STRINGS = MAX_FILLED_CELLS  # a shared string is some cell's text
_SST_WINDOW = 64 * 1024  # the table's start tag comes first in its part
_SST_TAG = re.compile(rb"<(?:[\w.-]+:)?sst\b([^>]*)>")
_SST_COUNT = re.compile(rb"""\b(?:count|uniqueCount)\s*=\s*["']([^"']*)["']""")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DOCTYPE_UTF16 = re.compile(rb"<\x00!\x00(?:D\x00O\x00C|E\x00N\x00T)")  # little or big endian
_MACRO_TYPES = (b"macroEnabled", b"vbaProject")


@dataclass
class FileFacts:
    sheet_state: dict[str, str] = field(default_factory=dict)  # sheet name → visible/hidden/veryHidden
    sheets: dict[str, SheetFacts] = field(default_factory=dict)


def inspect_zip(path: Path) -> FileFacts:
    """Read the zip directory and inflate every entry under caps; gather the sheet facts."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise unreadable(say.NOT_A_WHOLE_WORKBOOK)
            contents = _inflate_all(archive, infos)
    except zipfile.BadZipFile:
        raise unreadable(say.TRUNCATED) from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
        # RuntimeError: zipfile's answer to an encrypted entry.
        raise unreadable(say.UNSUPPORTED_ZIP) from None
    if any(marker in contents["[Content_Types].xml"] for marker in _MACRO_TYPES) or any(
            n.lower().endswith("vbaproject.bin") for n in names):
        raise wrong_type(say.MACROS)
    _check_declared_counts(contents)
    return _facts(contents)


def _check_declared_counts(contents: dict[str, bytes]) -> None:
    """Refuse a shared-string table whose declared size no bordereau reaches.

    calamine reserves memory for `count`/`uniqueCount` before reading a
    string: count="2147483647" asks for 51 GB and aborts the process. Every
    part is looked at, whatever the relationships say it is.
    """
    for data in contents.values():
        head = _as_utf8(data[:_SST_WINDOW])
        tag = _SST_TAG.search(head)
        if tag is None:
            continue
        for value in _SST_COUNT.findall(tag.group(1)):
            digits = value.strip().lstrip(b"+")
            if digits.isdigit() and int(digits) > MAX_SHARED_STRINGS:
                limit = f"{MAX_SHARED_STRINGS:,}".replace(",", " ")
                raise too_large(say.too_many_strings(limit))


def _as_utf8(head: bytes) -> bytes:
    """The start of a part as UTF-8, whichever of UTF-8 or UTF-16 it was written in."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:200]:
        encoding = "utf-16-be" if head.startswith(b"\xfe\xff") or head[:1] == b"\x00" else "utf-16-le"
        return head.decode(encoding, errors="ignore").encode("utf-8")
    return head


def zip_caps_fault(infos: list[zipfile.ZipInfo]) -> str | None:
    """Which cap a zip's directory breaks, before anything is inflated: entries, total, ratio, or None."""
    if len(infos) > MAX_ENTRIES:
        return "entries"
    if sum(info.file_size for info in infos) > MAX_TOTAL_UNCOMPRESSED:
        return "total"
    if any(info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
           for info in infos):
        return "ratio"
    return None


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    fault = zip_caps_fault(infos)
    if fault == "entries":
        raise too_large(say.too_many_entries(len(infos)))
    if fault == "total":
        raise too_large(say.TOO_BIG_UNCOMPRESSED)
    if len({info.filename.lower() for info in infos}) != len(infos):
        # Two entries of one name: which one a reader takes is up to the reader.
        raise unreadable(say.DUPLICATE_ENTRIES)
    if any(info.flag_bits & 0x1 for info in infos):
        raise unreadable(say.PASSWORD_PROTECTED)
    if fault == "ratio":
        raise too_large(say.ABNORMAL_RATIO)


def _inflate_all(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate every entry, counting real bytes: the directory may lie.

    Every entry, not only `*.xml`: a relationship may point calamine at a
    sheet named `sheet1.bin`. zipfile stops at the declared size and checks
    the CRC, so an entry that inflates past what the directory says fails here.
    """
    contents: dict[str, bytes] = {}
    budget = MAX_TOTAL_UNCOMPRESSED
    for info in infos:
        with archive.open(info) as stream:
            data = stream.read(min(info.file_size, budget) + 1)  # one buffer, inflated once
        budget -= len(data)
        if budget < 0:
            raise too_large(say.TOO_BIG_UNCOMPRESSED)
        if (_DOCTYPE.search(data[:4096]) or (b"<!" in data and _DOCTYPE.search(data))
                or (b"<\x00!" in data and _DOCTYPE_UTF16.search(data))):
            raise unreadable(say.XML_DECLARATIONS)
        contents[info.filename] = data
    return contents


def _parse(data: bytes) -> Element:
    try:
        root: Element = SafeET.fromstring(data)  # defusedxml's parse is ElementTree's, checked
        return root
    except (SafeET.ParseError, DefusedXmlException):
        raise unreadable(say.UNREADABLE_XML) from None


def _facts(contents: dict[str, bytes]) -> FileFacts:
    facts = FileFacts()
    workbook = _parse(contents["xl/workbook.xml"])
    rels_data = contents.get("xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels_data:
        for rel in _parse(rels_data).iter(f"{_NS_PKG_REL}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id", "")] = posixpath.normpath(target).lower()
    by_lower = {entry.lower(): entry for entry in contents}  # calamine finds parts ignoring case
    parts = {sheet.get("name", ""): by_lower.get(targets.get(sheet.get(f"{_NS_REL}id", ""), ""), "")
             for sheet in workbook.iter(f"{_NS_MAIN}sheet")}
    check_extents(contents, {part: name for name, part in parts.items()})
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        name = sheet.get("name", "")
        facts.sheet_state[name] = sheet.get("state", "visible")
        data = contents.get(parts[name])
        facts.sheets[name] = sheet_facts(data) if data else SheetFacts()
    return facts
