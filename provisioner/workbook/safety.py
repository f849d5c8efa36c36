"""Look at a submitted file before any spreadsheet library parses it.

What the file is comes from its bytes, not its name; the zip directory is
read first and every entry is inflated here, never past its declared size
nor a total budget, so that a zip bomb is refused before calamine or an XML
parser touches it; every sheet's extent is bounded before calamine allocates
it. The same pass notes what the values alone cannot show: formula and error
cells, hidden sheets, rows and columns.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from provisioner.domain.findings import Finding, error
from provisioner.workbook.text import column_letter

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

# The zip caps, one set for a workbook and for a fiduciary's batch of workbooks (service/batch.py).
MAX_ENTRIES = 200
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200  # per entry; real sheets compress 5-30x, bombs 1000x
RATIO_FLOOR = 2 * 1024 * 1024  # below this an entry may have any ratio
# calamine allocates every sheet as a dense rows × columns grid: one cell at
# XFD1048576 asks for 512 GB and aborts the process. Cap the used range.
MAX_SHEET_ROWS = 20_000  # 5,000 users with room for blank rows
MAX_SHEET_CELLS = 1_000_000  # rows × columns of a sheet's used range
MAX_FILLED_CELLS = 300_000  # in the whole workbook: 5,000 users × 21 columns + categories, twice over
MAX_SHARED_STRINGS = MAX_FILLED_CELLS  # a shared string is some cell's text
_SST_WINDOW = 64 * 1024  # the table's start tag comes first in its part
_SST_TAG = re.compile(rb"<(?:[\w.-]+:)?sst\b([^>]*)>")
_SST_COUNT = re.compile(rb"""\b(?:count|uniqueCount)\s*=\s*["']([^"']*)["']""")

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Scans for a literal first, not one alternation: a pattern that starts with a literal is far faster.
_QUICK_SCANS = ((b"<f", re.compile(rb"<f[\s>/]")), (b":f", re.compile(rb"<\w+:f[\s>/]")),
                (b't="e"', re.compile(rb'\bt="e"')), (b'hidden="', re.compile(rb'\bhidden="(?:1|true)"')))
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DOCTYPE_UTF16 = re.compile(rb"<\x00!\x00(?:D\x00O\x00C|E\x00N\x00T)")  # little or big endian
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")
_SHEET_DATA_UTF16 = "sheetData".encode("utf-16-le")  # found in big-endian text too
# A cell start tag as Excel, LibreOffice and openpyxl write it: `r` first, double quotes, no
# character reference, no second `r` (prefixed or not). Linear: no byte can match two ways.
# Groups: column letters and row of a cell with content; empty for an empty one (`<c .../>`,
# an empty styled cell, or `<c ...></c>`), which calamine skips.
_ATTRIBUTES = rb'(?: (?!(?:[\w.-]+:)?r=)[\w:.-]+="[^"<>&]*")*'
_CANONICAL_CELL = re.compile(rb'<c r="(?:([A-Z]{1,3})([0-9]{1,7})"' + _ATTRIBUTES + rb">(?!</)"
                             rb'|[A-Z]{1,3}[0-9]{1,7}"' + _ATTRIBUTES + rb"/?>)")
_REF = re.compile(r"[A-Za-z]+[0-9]+")
_CELL_STARTS = (b"<c ", b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")  # every way an XML tag `c` can start
SEGMENT = 4 * 1024 * 1024  # of XML scanned at a time, so that the matches stay few
_MACRO_TYPES = (b"macroEnabled", b"vbaProject")


class UnsafeFile(Exception):
    """The file cannot be read safely; `finding` says why, in French."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


@dataclass
class SheetFacts:
    """What a sheet's XML says beyond its values (0-based column indexes, Excel rows)."""

    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    error_cells: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


@dataclass
class FileFacts:
    sheet_state: dict[str, str] = field(default_factory=dict)  # sheet name → visible/hidden/veryHidden
    sheets: dict[str, SheetFacts] = field(default_factory=dict)


def _too_large(message: str) -> UnsafeFile:
    return UnsafeFile(error("FILE_TOO_LARGE", message))


def _unreadable(message: str) -> UnsafeFile:
    return UnsafeFile(error("FILE_UNREADABLE", message))


def _wrong_type(message: str) -> UnsafeFile:
    return UnsafeFile(error("FILE_TYPE", message))


SAVE_AS_XLSX = "Enregistrez le fichier au format « Classeur Excel (.xlsx) » et renvoyez-le."
HOW_TO_SAVE_XLSX = ("Ouvrez-le et enregistrez-le au format .xlsx : dans Excel, « Fichier › Enregistrer sous », "
                    "type « Classeur Excel (*.xlsx) » ; dans LibreOffice, « Fichier › Enregistrer sous », type "
                    "« Excel 2007-365 (.xlsx) ». Puis renvoyez-le.")
# What a file is, told by its bytes: name → how a person would call it.
_FORMAT_NAMES = {
    "xls": "un classeur Excel 97-2003 (.xls)",
    "ods": "un classeur OpenDocument (.ods, LibreOffice ou OpenOffice)",
    "odf": "un document OpenDocument qui n'est pas un classeur",
    "csv": "un fichier texte (.csv), sans feuilles ni mise en forme",
}
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ODF_MIMETYPE = b"application/vnd.oasis.opendocument."
# Stream names of a compound (OLE2) file, as its directory spells them (UTF-16-LE).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_LEGACY_WORKBOOK = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
_SNIFF = 8192
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


def check_kind(path: Path, name: str, max_bytes: int) -> None:
    """Raise UnsafeFile unless `path` looks like an .xlsx within the size limit."""
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_large(
            f"Le fichier pèse {size / 1_048_576:.1f} Mo ; la limite est de "
            f"{max_bytes / 1_048_576:.0f} Mo. Envoyez un fichier par adhérent, sans images ni pièces jointes.")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF)
    kind = detect_kind(path, head)
    suffix = PurePosixPath(name.lower()).suffix
    if kind == "ole2" and suffix == ".xls":
        kind = "xls"  # a compound file named .xls: its name and its bytes agree
    if kind == "encrypted":
        raise _unreadable("Le fichier est protégé par un mot de passe (chiffré). Retirez la protection "
                          "(« Fichier › Informations › Protéger le classeur » dans Excel) et "
                          + SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:])
    if kind in _FORMAT_NAMES:
        raise _wrong_type(f"Ce fichier est {_FORMAT_NAMES[kind]}, pas un classeur .xlsx. {HOW_TO_SAVE_XLSX}")
    if kind == "ole2":
        raise _unreadable(
            "Le fichier est protégé par un mot de passe (chiffré) ou enregistré dans un ancien format. "
            "Retirez la protection et " + SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:])
    if suffix != ".xlsx":
        shown = suffix or "sans extension"
        raise _wrong_type(f"Seuls les classeurs .xlsx sont acceptés (fichier {shown}). " + SAVE_AS_XLSX)
    if size == 0 or head[:4] != ZIP_MAGIC:
        raise _unreadable("Ce fichier n'est pas un classeur Excel lisible (contenu inattendu). " + SAVE_AS_XLSX)


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


def inspect_zip(path: Path) -> FileFacts:
    """Read the zip directory and inflate every entry under caps; gather the sheet facts."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise _unreadable("Le fichier n'est pas un classeur Excel (.xlsx) complet. " + SAVE_AS_XLSX)
            contents = _inflate_all(archive, infos)
    except zipfile.BadZipFile:
        raise _unreadable("Le fichier est endommagé ou incomplet (tronqué). " + SAVE_AS_XLSX) from None
    except (zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
        # RuntimeError: zipfile's answer to an encrypted entry.
        raise _unreadable("Le fichier est endommagé, chiffré ou compressé d'une façon non prise en charge. "
                          + SAVE_AS_XLSX) from None
    if any(marker in contents["[Content_Types].xml"] for marker in _MACRO_TYPES) or any(
            n.lower().endswith("vbaproject.bin") for n in names):
        raise _wrong_type("Le classeur contient des macros (.xlsm). " + SAVE_AS_XLSX)
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
                raise _too_large(f"Le classeur annonce plus de {limit} textes différents : c'est bien plus "
                                 "qu'un bordereau de 5 000 utilisateurs. Repartez du modèle vierge.")


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
        raise _too_large(f"Le classeur contient {len(infos)} éléments internes ; c'est anormal pour un bordereau. "
                         "Repartez du modèle vierge.")
    if fault == "total":
        raise _too_large("Le classeur décompressé dépasse la taille admise. Repartez du modèle vierge.")
    if len({info.filename.lower() for info in infos}) != len(infos):
        # Two entries of one name: which one a reader takes is up to the reader.
        raise _unreadable("Le fichier est endommagé (éléments internes en double). " + SAVE_AS_XLSX)
    if any(info.flag_bits & 0x1 for info in infos):
        raise _unreadable("Le fichier est protégé par un mot de passe. Retirez la protection et renvoyez-le.")
    if fault == "ratio":
        raise _too_large("Le classeur se décompresse à une taille anormale (fichier piégé ?). "
                         "Repartez du modèle vierge.")


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
            raise _too_large("Le classeur décompressé dépasse la taille admise. Repartez du modèle vierge.")
        if (_DOCTYPE.search(data[:4096]) or (b"<!" in data and _DOCTYPE.search(data))
                or (b"<\x00!" in data and _DOCTYPE_UTF16.search(data))):
            raise _unreadable("Le classeur contient des déclarations XML non admises. " + SAVE_AS_XLSX)
        contents[info.filename] = data
    return contents


def _parse(data: bytes) -> Any:
    try:
        return SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException):
        raise _unreadable("Le classeur est endommagé (XML illisible). " + SAVE_AS_XLSX) from None


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
    _check_extents(contents, {part: name for name, part in parts.items()})
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        name = sheet.get("name", "")
        facts.sheet_state[name] = sheet.get("state", "visible")
        data = contents.get(parts[name])
        facts.sheets[name] = _sheet_facts(data) if data else SheetFacts()
    return facts


def _check_extents(contents: dict[str, bytes], sheet_names: dict[str, str]) -> None:
    filled = 0
    for entry, data in contents.items():
        # Every part that holds cells, whatever the relationships say it is.
        if _SHEET_DATA.search(data) or _SHEET_DATA_UTF16 in data:
            filled += _check_extent(data, sheet_names.get(entry))
    if filled > MAX_FILLED_CELLS:
        limit = f"{MAX_FILLED_CELLS:,}".replace(",", " ")
        raise _too_large(f"Le classeur contient plus de {limit} cellules remplies : c'est bien plus qu'un "
                         "bordereau de 5 000 utilisateurs. Répartissez les utilisateurs sur plusieurs fichiers.")


def _check_extent(data: bytes, sheet: str | None) -> int:
    """Refuse a sheet whose used range calamine could not allocate sanely; count its filled cells."""
    count, rows, columns = _extent_of_canonical(data) or _extent_by_parsing(data)
    if rows > MAX_SHEET_ROWS or rows * columns > MAX_SHEET_CELLS:
        where = f"La feuille « {sheet} »" if sheet else "Une feuille du classeur"
        raise UnsafeFile(error(
            "FILE_TOO_LARGE", f"{where} contient des données jusqu'à la ligne {rows}, colonne "
            f"{column_letter(max(columns, 1) - 1)} : c'est bien au-delà de ce qu'un bordereau peut contenir. "
            "Supprimez les lignes et colonnes inutilisées (ou repartez du modèle vierge) et renvoyez le fichier.",
            sheet=sheet))
    return count


def _extent_of_canonical(data: bytes) -> tuple[int, int, int] | None:
    """(filled cells, last row, last column) by one regex, or None when any cell tag is written
    otherwise than _CANONICAL_CELL reads it (a prefix, quotes, spacing, UTF-16...): then only a
    parser is exact."""
    if b":c" in data or b"\x00" in data:
        return None
    count = rows = columns = matched = pos = 0
    while pos < len(data):
        end = data.find(b"<", pos + SEGMENT)  # a match holds no "<" but its first byte
        end = len(data) if end < 0 else end
        tags = _CANONICAL_CELL.findall(data, pos, end)
        if tags:
            matched += len(tags)
            letters, digits = zip(*tags)  # C loops; the Python ones below run over distinct values only
            count += len(tags) - digits.count(b"")
            rows = max(rows, 0, *map(int, set(digits) - {b""}))
            columns = max(columns, 0, *(_split_ref(col.decode("ascii") + "1")[1] + 1
                                        for col in set(letters) - {b""}))
        if count > MAX_FILLED_CELLS:
            return count, rows, columns  # refused whatever the rest holds
        pos = end
    if matched != sum(data.count(start) for start in _CELL_STARTS):
        return None
    return count, rows, columns


def _extent_by_parsing(data: bytes) -> tuple[int, int, int]:
    """(filled cells, last row, last column) as calamine places them, read by expat (no DOCTYPE
    gets here). A cell without `r` follows the previous one; a row without `r`, the last row seen."""
    count = rows = columns = row = column = 0
    pending: tuple[int, int] | None = None  # (row, column) of a cell whose value is still to come

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count, rows, columns, row, column, pending
        local = name.rpartition(":")[2]
        if local == "row":
            number = attrs.get("r", "")
            row = int(number) if number.isdigit() else max(row, rows) + 1
            column = 0
        elif local == "c":
            # Every attribute named r, prefixed or not: the farthest place any reader could take.
            places = [_split_ref(ref.upper()) for key, ref in attrs.items()
                      if key.rpartition(":")[2] == "r" and _REF.fullmatch(ref)]
            if places:
                cell_row, column = max(r for r, _ in places), max(c for _, c in places) + 1
            else:
                cell_row, column = max(row, 1), column + 1
            pending = (cell_row, column)
        elif local in ("v", "is", "f") and pending:
            count += 1
            rows, columns = max(rows, pending[0]), max(columns, pending[1])
            pending = None
            if count > MAX_FILLED_CELLS:
                raise _StopScan

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except _StopScan:
        pass
    except expat.ExpatError:
        raise _unreadable("Le classeur est endommagé (feuille illisible). " + SAVE_AS_XLSX) from None
    return count, rows, columns


class _StopScan(Exception):
    """Enough cells counted to refuse the file."""


def _sheet_facts(data: bytes) -> SheetFacts:
    facts = SheetFacts()
    if not any(literal in data and scan.search(data) for literal, scan in _QUICK_SCANS):
        return facts  # the common case: nothing to find, no parse needed
    try:
        # "end" events: a cell's <f> child exists only once the cell is complete.
        for _, elem in SafeET.iterparse(BytesIO(data), events=("end",)):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "row":
                if elem.get("hidden") in ("1", "true") and elem.get("r", "").isdigit():
                    facts.hidden_rows.add(int(elem.get("r")))
                elem.clear()  # keep memory flat on large sheets
            elif tag == "col" and elem.get("hidden") in ("1", "true"):
                low, high = int(elem.get("min", "1")), int(elem.get("max", "1"))
                facts.hidden_cols.update(range(low - 1, min(high, 16384)))
            elif tag == "c":
                ref = elem.get("r", "")
                if elem.get("t") == "e" and ref:
                    facts.error_cells.add(_split_ref(ref))
                for child in elem:
                    if child.tag.rsplit("}", 1)[-1] == "f" and ref:
                        facts.formula_cells.add(_split_ref(ref))
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise _unreadable("Le classeur est endommagé (feuille illisible). " + SAVE_AS_XLSX) from None
    return facts


def _split_ref(ref: str) -> tuple[int, int]:
    """`K7` → (7, 10): Excel row, 0-based column."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]), col - 1
