"""What a submitted file is, told by its bytes, not its name; anything but an .xlsx is refused here.

A person who sent an .xls, an .ods, a .csv or a password-protected workbook is
told what the file is and how to save it as an .xlsx.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from provisioner.workbook.unsafe_file import SAVE_AS_XLSX, too_large, unreadable, wrong_type

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SNIFF = 8192  # bytes read from the start of a file to tell what it is

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
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


def check_kind(path: Path, name: str, max_bytes: int) -> None:
    """Raise UnsafeFile unless `path` looks like an .xlsx within the size limit."""
    size = path.stat().st_size
    if size > max_bytes:
        raise too_large(
            f"Le fichier pèse {size / 1_048_576:.1f} Mo ; la limite est de "
            f"{max_bytes / 1_048_576:.0f} Mo. Envoyez un fichier par adhérent, sans images ni pièces jointes.")
    with path.open("rb") as handle:
        head = handle.read(SNIFF)
    kind = detect_kind(path, head)
    suffix = PurePosixPath(name.lower()).suffix
    if kind == "ole2" and suffix == ".xls":
        kind = "xls"  # a compound file named .xls: its name and its bytes agree
    if kind == "encrypted":
        raise unreadable("Le fichier est protégé par un mot de passe (chiffré). Retirez la protection "
                          "(« Fichier › Informations › Protéger le classeur » dans Excel) et "
                          + SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:])
    if kind in _FORMAT_NAMES:
        raise wrong_type(f"Ce fichier est {_FORMAT_NAMES[kind]}, pas un classeur .xlsx. {HOW_TO_SAVE_XLSX}")
    if kind == "ole2":
        raise unreadable(
            "Le fichier est protégé par un mot de passe (chiffré) ou enregistré dans un ancien format. "
            "Retirez la protection et " + SAVE_AS_XLSX[0].lower() + SAVE_AS_XLSX[1:])
    if suffix != ".xlsx":
        shown = suffix or "sans extension"
        raise wrong_type(f"Seuls les classeurs .xlsx sont acceptés (fichier {shown}). " + SAVE_AS_XLSX)
    if size == 0 or head[:4] != ZIP_MAGIC:
        raise unreadable("Ce fichier n'est pas un classeur Excel lisible (contenu inattendu). " + SAVE_AS_XLSX)


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
