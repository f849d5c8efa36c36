"""Look at a submitted file before any spreadsheet library parses it.

What the file is comes from its bytes, not its name; the zip directory is
read first and every entry is inflated here, in bounded chunks, so that a
zip bomb is refused before calamine or an XML parser touches it. The same
pass notes what the values alone cannot show: formula and error cells,
hidden sheets, rows and columns.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from provisioner.workbook.findings import Finding, error

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

MAX_ENTRIES = 200
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200  # per entry; real sheets compress 5-30x, bombs 1000x
RATIO_FLOOR = 2 * 1024 * 1024  # below this an entry may have any ratio
CHUNK = 256 * 1024

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_QUICK_SCAN = re.compile(rb'<(?:\w+:)?f[\s>/]|\bt="e"|\bhidden="(?:1|true)"')
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
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


def check_kind(path: Path, name: str, max_bytes: int) -> None:
    """Raise UnsafeFile unless `path` looks like an .xlsx within the size limit."""
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_large(
            f"Le fichier pèse {size / 1_048_576:.1f} Mo ; la limite est de "
            f"{max_bytes / 1_048_576:.0f} Mo. Envoyez un fichier par adhérent, sans images ni pièces jointes.")
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = PurePosixPath(name.lower()).suffix
    if head == OLE2_MAGIC:
        if suffix == ".xlsx":
            raise _unreadable(
                "Le fichier est protégé par un mot de passe (chiffré) ou enregistré dans un ancien format. "
                "Retirez la protection et " + SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:])
        raise _wrong_type("Ce fichier est au format Excel 97-2003 (.xls). " + SAVE_AS_XLSX)
    if suffix != ".xlsx":
        shown = suffix or "sans extension"
        raise _wrong_type(f"Seuls les classeurs .xlsx sont acceptés (fichier {shown}). " + SAVE_AS_XLSX)
    if size == 0 or head[:4] != ZIP_MAGIC:
        raise _unreadable("Ce fichier n'est pas un classeur Excel lisible (contenu inattendu). " + SAVE_AS_XLSX)


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
    return _facts(contents)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise _too_large(f"Le classeur contient {len(infos)} éléments internes ; c'est anormal pour un bordereau. "
                         "Repartez du modèle vierge.")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise _too_large("Le classeur décompressé dépasse la taille admise. Repartez du modèle vierge.")
    for info in infos:
        if info.flag_bits & 0x1:
            raise _unreadable("Le fichier est protégé par un mot de passe. Retirez la protection et renvoyez-le.")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_large("Le classeur se décompresse à une taille anormale (fichier piégé ?). "
                             "Repartez du modèle vierge.")


def _inflate_all(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate the XML parts in chunks, counting real bytes: the directory may lie."""
    contents: dict[str, bytes] = {}
    budget = MAX_TOTAL_UNCOMPRESSED
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        parts: list[bytes] = []
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                budget -= len(chunk)
                if budget < 0:
                    raise _too_large("Le classeur décompressé dépasse la taille admise. Repartez du modèle vierge.")
                parts.append(chunk)
        data = b"".join(parts)
        if _DOCTYPE.search(data[:4096]) or (b"<!" in data and _DOCTYPE.search(data)):
            raise _unreadable("Le classeur contient des déclarations XML non admises. " + SAVE_AS_XLSX)
        contents[info.filename] = data
    return contents


def _parse(data: bytes):  # noqa: ANN202 - ElementTree element
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
            targets[rel.get("Id", "")] = str(PurePosixPath(target))
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        name = sheet.get("name", "")
        facts.sheet_state[name] = sheet.get("state", "visible")
        part = targets.get(sheet.get(f"{_NS_REL}id", ""), "")
        data = contents.get(part)
        facts.sheets[name] = _sheet_facts(data) if data else SheetFacts()
    return facts


def _sheet_facts(data: bytes) -> SheetFacts:
    facts = SheetFacts()
    if not _QUICK_SCAN.search(data):
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
