"""Hostile files (security.md, "Reading files safely"): each one ends in its finding, never an exception.

Every file is built here, in code: no binary fixture is committed. The bombs
and the sheets that claim a million rows are checked by `provisioner check`
in a child process whose address space and CPU time are capped, so that a
regression fails a test instead of taking the machine down; the child's peak
resident memory is part of what is asserted.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from provisioner.domain.findings import Finding
from provisioner.workbook import layout
from provisioner.workbook.checker import CheckResult, check_file
from tests.factory import adherent, delegue, make_workbook, user

REPO = Path(__file__).resolve().parents[2]
SHEET_TDI = "Télédéclaration interne"
SHEET_TDI_PART = "xl/worksheets/sheet4.xml"  # openpyxl writes the sheets in layout order
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024
CHILD_MEMORY_CAP = 1 << 30  # 1 GB of address space: a bomb that escapes fails, the machine stays up
CHILD_CPU_SECONDS = 60
PEAK_MEMORY_MB = 300  # the goal for any check
BOMB_PEAK_MEMORY_MB = 150  # a refused bomb costs the interpreter and the imports, no more

XML_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>\n")
XXE_FILE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
XXE_DTD = b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
# Rows added at the end of a sheet: each asks calamine for a grid far beyond any bordereau.
FAR_CELLS = {
    "row-1000000": b'<row r="1000000"><c r="S1000000" t="inlineStr"><is><t>x</t></is></c></row>',
    # Used to abort the process: calamine asked for a 512 GB grid.
    "last-cell-of-excel": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "far-formula": b'<row r="1000000"><c r="L1000000"><f>A1</f></c></row>',
    "far-row-no-cell-ref": b'<row r="1000000"><c t="inlineStr"><is><t>x</t></is></c></row>',
    "thirty-thousand-unnumbered-rows": b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 30_000,
    "namespace-prefix": b'<row r="1048576"><x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        b'main" r="XFD1048576"><x:v>1</x:v></x:c></row>',
    # XML allows what a regex may not expect: each is read as a parser reads it.
    "single-quotes-and-spaces": b"<row r='1048576'><c r = 'XFD1048576' ><v>1</v></c></row>",
    "quoted-greater-than": b'<row r="1048576"><c s=">" r="XFD1048576"><v>1</v></c></row>',
    "character-reference": b'<row r="1048576"><c r="&#88;FD1048576"><v>1</v></c></row>',
    "tab-after-tag-name": b'<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row>',
    "prefixed-second-r": b'<row r="1048576"><c r="A1" x:r="XFD1048576" xmlns:x="urn:x"><v>1</v></c></row>',
}


# --- Checking, in process and in a capped child ----------------------------------------


def codes(result: CheckResult) -> set[str]:
    return {f.code for f in result.errors}


def only_error(result: CheckResult, code: str) -> Finding:
    """The file is refused as a whole: one error, of `code`, with a French message."""
    assert result.workbook is None
    assert [f.code for f in result.errors] == [code], result.errors
    finding = result.errors[0]
    assert finding.message and finding.message != code
    return finding


def error_at(result: CheckResult, sheet: str, cell: str) -> Finding:
    found = [f for f in result.errors if f.sheet == sheet and f.cell == cell]
    assert found, f"no error at {sheet}!{cell}: {[(f.code, f.sheet, f.cell) for f in result.errors]}"
    return found[0]


@dataclass
class ChildRun:
    returncode: int
    report: dict[str, object]
    stderr: str
    peak_mb: float
    seconds: float

    @property
    def error_codes(self) -> list[str]:
        return [e["code"] for e in self.report["errors"]]  # type: ignore[index, union-attr]


def _cap_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_CAP, CHILD_MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))


# The CLI, reporting its own peak memory on the way out. VmHWM, not the parent's
# ru_maxrss of the child: that one also counts the pages of this (large) test
# process that the forked child held before it exec'd.
CLI_REPORTING_PEAK = """
import atexit, resource, sys

def report_peak():
    # The file is read in a child (isolation.py), reaped before this runs: its peak counts too.
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    sys.stderr.write("\\nPEAK_KB=" + str(peak) + "\\n")

atexit.register(report_peak)
from provisioner.cli import main
main()
"""


def check_in_child(path: Path) -> ChildRun:
    """`provisioner check PATH --json` in a child capped in memory and CPU time."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # BLAS threads reserve address space
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", CLI_REPORTING_PEAK, "check", str(path), "--json"],
                           capture_output=True, cwd=REPO, env=env, preexec_fn=_cap_child,
                           timeout=2 * CHILD_CPU_SECONDS, check=False)
    seconds = time.perf_counter() - started
    stderr = child.stderr.decode(errors="replace")
    assert child.returncode in (0, 1), f"check died ({child.returncode}): {stderr[-2000:]}"
    peak_kb = int(stderr.rsplit("PEAK_KB=", 1)[1].split()[0])
    return ChildRun(child.returncode, json.loads(child.stdout), stderr, peak_kb / 1024, seconds)


# --- Building hostile files -------------------------------------------------------------


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="session")
def valid(files: Path) -> Path:
    """A valid Abonnement (one internal télédéclaration user): the base of most hostile files."""
    return make_workbook(files / "valide.xlsx")


def rewrite_zip(src: Path, dst: Path, *, replace: dict[str, Callable[[bytes], bytes]] | None = None,
                add: dict[str, bytes] | None = None, drop: tuple[str, ...] = (),
                stored: tuple[str, ...] = ()) -> Path:
    """Copy a zip entry by entry, changing what the test needs."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, lambda d: d)(zin.read(info))
            zout.writestr(info.filename, data)
        for name, data in add.items():
            zout.writestr(name, data, zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)
    return dst


def add_to_sheet_data(xml: bytes) -> Callable[[bytes], bytes]:
    """Append rows to the end of a sheet's <sheetData>."""
    return lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>")


def with_doctype(doctype: bytes, *, entity_in: bytes = b"") -> Callable[[bytes], bytes]:
    """Put a DOCTYPE before the root element, and an entity reference in place of `Mme`."""
    def change(data: bytes) -> bytes:
        if entity_in:
            data = data.replace(b"<t>Mme</t>", b"<t>" + entity_in + b"</t>")
        return XML_HEAD + doctype + data
    return change


def bomb(src: Path, dst: Path, *, inflated: int, entry: str = SHEET_TDI_PART,
         rename_to: str | None = None, filler: bytes = b" ") -> Path:
    """Replace one sheet by `inflated` bytes of XML, streamed through zlib at level 9.

    The default filler (spaces between rows) compresses about 1000:1; a cell
    filler is what would cost calamine memory if it were ever inflated.
    """
    head = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1">')
    chunk = filler * (MB // len(filler))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if rename_to and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(entry[len("xl/"):].encode(), rename_to[len("xl/"):].encode())
            if info.filename != entry:
                zout.writestr(info.filename, data)
                continue
            with zout.open(rename_to or entry, "w") as out:
                out.write(head)
                for _ in range(inflated // len(chunk) + 1):
                    out.write(chunk)
                out.write(b"</row></sheetData></worksheet>")
    return dst


def patch_directory(src: Path, dst: Path, entry: str, *, file_size: int | None = None,
                    flag_bits: int | None = None) -> Path:
    """Make the zip lie: the declared size (or flags) of `entry`, in its local header and in the
    central directory, as a hand-crafted file would."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as archive:
        local, directory = archive.getinfo(entry).header_offset, archive.start_dir  # CPython's offset
    if file_size is not None:
        struct.pack_into("<L", data, local + 22, file_size)
    if flag_bits is not None:
        struct.pack_into("<H", data, local + 6, flag_bits)
    pos = directory
    while data[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, pos + 28)
        if bytes(data[pos + 46:pos + 46 + name_len]).decode() == entry:
            if file_size is not None:
                struct.pack_into("<L", data, pos + 24, file_size)
            if flag_bits is not None:
                struct.pack_into("<H", data, pos + 8, flag_bits)
        pos += 46 + name_len + extra_len + comment_len
    dst.write_bytes(bytes(data))
    return dst


def edit(src: Path, dst: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    """Open with openpyxl, change, save: what a person does in Excel."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


# --- Zip bombs ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def zip_bomb(files: Path, valid: Path) -> Path:
    """A valid workbook whose internal télédéclaration sheet inflates to 500 MB."""
    return bomb(valid, files / "bombe.xlsx", inflated=500 * MB)


def test_a_zip_bomb_is_refused_as_too_large_before_it_is_inflated(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 1 * MB  # small file...
    with zipfile.ZipFile(zip_bomb) as archive:
        assert archive.getinfo(SHEET_TDI_PART).file_size >= 500 * MB  # ...that inflates to 500 MB

    run = check_in_child(zip_bomb)

    assert run.returncode == 1
    assert run.error_codes == ["FILE_TOO_LARGE"]
    assert run.peak_mb < BOMB_PEAK_MEMORY_MB, run.peak_mb
    assert run.seconds < 10  # the interpreter and its imports; the refusal itself takes milliseconds


@pytest.mark.parametrize("part", [
    SHEET_TDI_PART,
    "xl/worksheets/sheet4.bin",  # calamine follows the relationship to any name: inflated under the cap too
], ids=["xml-part", "part-not-named-xml"])
def test_a_zip_bomb_that_lies_about_its_size_is_never_inflated_past_the_cap(
        files: Path, valid: Path, part: str) -> None:
    cells = b'<c r="A1" t="inlineStr"><is><t>x</t></is></c>'  # what would cost memory once parsed
    rename_to = part if part != SHEET_TDI_PART else None
    honest = bomb(valid, files / f"bombe-{bool(rename_to)}.xlsx", inflated=160 * MB, rename_to=rename_to,
                  filler=cells)
    liar = patch_directory(honest, files / f"menteuse-{bool(rename_to)}.xlsx", part, file_size=100_000)
    with zipfile.ZipFile(liar) as archive:
        assert archive.getinfo(part).file_size == 100_000  # the directory now claims 100 KB

    run = check_in_child(liar)

    assert run.returncode == 1
    assert run.error_codes in (["FILE_UNREADABLE"], ["FILE_TOO_LARGE"])
    assert run.peak_mb < BOMB_PEAK_MEMORY_MB, run.peak_mb


def test_an_encrypted_zip_entry_is_unreadable(files: Path, valid: Path) -> None:
    locked = patch_directory(valid, files / "chiffre.xlsx", SHEET_TDI_PART, flag_bits=0x1)
    only_error(check_file(locked), "FILE_UNREADABLE")


@pytest.mark.parametrize("second_name", [SHEET_TDI_PART, "xl/WORKSHEETS/Sheet4.xml"], ids=["same", "other-case"])
def test_two_entries_of_one_name_are_unreadable(files: Path, valid: Path, second_name: str) -> None:
    # Which copy a reader takes is up to the reader: the checks could see one, calamine the other.
    evil = add_to_sheet_data(FAR_CELLS["last-cell-of-excel"])
    with zipfile.ZipFile(valid) as archive:
        second = evil(archive.read(SHEET_TDI_PART))
    twice = files / "double.xlsx"
    twice.write_bytes(valid.read_bytes())
    with warnings.catch_warnings(), zipfile.ZipFile(twice, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is asked to write
        archive.writestr(second_name, second)

    run = check_in_child(twice)  # in a child: were the copy read, the process would abort

    assert run.error_codes == ["FILE_UNREADABLE"]


# --- XML entities -------------------------------------------------------------------------


@pytest.mark.parametrize("part, change", [
    ("xl/workbook.xml", with_doctype(BILLION_LAUGHS)),
    (SHEET_TDI_PART, with_doctype(BILLION_LAUGHS, entity_in=b"&lol9;")),
    ("[Content_Types].xml", with_doctype(BILLION_LAUGHS)),
    ("docProps/core.xml", with_doctype(BILLION_LAUGHS)),
    (SHEET_TDI_PART, lambda data: with_doctype(BILLION_LAUGHS, entity_in=b"&lol9;")(data)
     .replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")),
    (SHEET_TDI_PART, with_doctype(XXE_FILE, entity_in=b"&xxe;")),
    ("xl/workbook.xml", with_doctype(XXE_DTD)),
], ids=["laughs-workbook", "laughs-sheet", "laughs-content-types", "laughs-doc-props", "laughs-sheet-utf16",
        "xxe-file-sheet", "xxe-external-dtd-workbook"])
def test_xml_entities_make_the_file_unreadable(files: Path, valid: Path, part: str,
                                               change: Callable[[bytes], bytes]) -> None:
    hostile = rewrite_zip(valid, files / "entites.xlsx", replace={part: change})

    started = time.perf_counter()
    finding = only_error(check_file(hostile), "FILE_UNREADABLE")

    assert time.perf_counter() - started < 1
    assert "root:" not in finding.message and "lol" not in finding.message


def test_an_entity_bomb_costs_no_memory(files: Path, valid: Path) -> None:
    hostile = rewrite_zip(valid, files / "rires.xlsx",
                          replace={SHEET_TDI_PART: with_doctype(BILLION_LAUGHS, entity_in=b"&lol9;")})
    run = check_in_child(hostile)
    assert run.error_codes == ["FILE_UNREADABLE"]
    assert run.peak_mb < BOMB_PEAK_MEMORY_MB, run.peak_mb


# --- Not an xlsx, whatever its name says -------------------------------------------------------


@pytest.mark.parametrize("name, code", [
    ("bordereau.xlsx", "FILE_UNREADABLE"),  # encrypted workbooks are OLE2 too
    ("bordereau.xls", "FILE_TYPE"),
])
def test_an_ole2_file_is_refused(files: Path, name: str, code: str) -> None:
    ole = files / name
    ole.write_bytes(OLE2_MAGIC + random.Random(1).randbytes(4096))
    only_error(check_file(ole), code)


@pytest.mark.parametrize("name", ["bordereau.xls", "bordereau.xlsm", "bordereau.csv", "bordereau",
                                  "bordereau.xlsx.exe", "bordereau.ods"])
def test_a_valid_workbook_under_another_extension_is_the_wrong_type(valid: Path, name: str) -> None:
    only_error(check_file(valid, name=name), "FILE_TYPE")


def test_the_extension_is_matched_ignoring_case(valid: Path) -> None:
    assert check_file(valid, name="BORDEREAU.XLSX").accepted


def test_a_workbook_with_macros_renamed_xlsx_is_the_wrong_type(files: Path, valid: Path) -> None:
    macro = rewrite_zip(valid, files / "macros.xlsx", add={"xl/vbaProject.bin": OLE2_MAGIC + b"\0" * 512},
                        replace={"[Content_Types].xml": lambda d: d.replace(
                            b"</Types>", b'<Default Extension="bin" ContentType="application/'
                            b'vnd.ms-office.vbaProject"/></Types>')})
    only_error(check_file(macro), "FILE_TYPE")


def test_a_macro_enabled_content_type_is_the_wrong_type(files: Path, valid: Path) -> None:
    macro = rewrite_zip(valid, files / "xlsm.xlsx", replace={"[Content_Types].xml": lambda d: d.replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")})
    only_error(check_file(macro), "FILE_TYPE")


def test_a_truncated_workbook_is_unreadable(files: Path, valid: Path) -> None:
    data = valid.read_bytes()
    truncated = files / "tronque.xlsx"
    truncated.write_bytes(data[:len(data) // 2])
    only_error(check_file(truncated), "FILE_UNREADABLE")


@pytest.mark.parametrize("content", [
    b"",
    random.Random(2).randbytes(50_000),
    b"PK\x03\x04" + random.Random(3).randbytes(5_000),
], ids=["empty", "random-bytes", "zip-magic-then-junk"])  # a CSV is named as such: test_isolation.py
def test_what_is_no_workbook_at_all_is_unreadable(files: Path, content: bytes) -> None:
    path = files / "pas-un-classeur.xlsx"
    path.write_bytes(content)
    only_error(check_file(path), "FILE_UNREADABLE")


@pytest.mark.parametrize("drop", [("[Content_Types].xml",), ("xl/workbook.xml",)])
def test_a_zip_without_the_parts_of_a_workbook_is_unreadable(files: Path, valid: Path,
                                                            drop: tuple[str, ...]) -> None:
    only_error(check_file(rewrite_zip(valid, files / "incomplet.xlsx", drop=drop)), "FILE_UNREADABLE")


def test_a_zip_of_something_else_is_unreadable(files: Path) -> None:
    path = files / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lisez-moi.txt", "bonjour")
    only_error(check_file(path), "FILE_UNREADABLE")


def test_a_file_over_10_mb_is_too_large(files: Path, valid: Path) -> None:
    heavy = rewrite_zip(valid, files / "lourd.xlsx", add={"xl/media/image1.png": os.urandom(11 * MB)},
                        stored=("xl/media/image1.png",))
    assert heavy.stat().st_size > 10 * MB
    only_error(check_file(heavy), "FILE_TOO_LARGE")


def test_the_size_limit_is_a_parameter(valid: Path) -> None:
    size = valid.stat().st_size
    only_error(check_file(valid, max_bytes=size - 1), "FILE_TOO_LARGE")
    assert check_file(valid, max_bytes=size).accepted


# --- Credential cells ----------------------------------------------------------------------


def test_a_formula_in_a_password_cell_is_an_error_at_that_cell(files: Path) -> None:
    path = make_workbook(files / "formule.xlsx", users={"td_interne": [
        user("hind.td", password="=A1", password_confirm="=A1")]})

    result = check_file(path)

    assert error_at(result, SHEET_TDI, "L2").code == "INVALID_VALUE"
    assert error_at(result, SHEET_TDI, "M2").code == "INVALID_VALUE"


def test_a_formula_alone_on_its_row_is_still_seen(files: Path) -> None:
    # openpyxl saves no cached result: the cell reads as empty, past calamine's last row.
    path = make_workbook(files / "formule-seule.xlsx", users={"td_interne": [
        user("hind.td"), {"answer1": "=B2"}]})
    assert error_at(check_file(path), SHEET_TDI, "O3").code == "INVALID_VALUE"


def test_a_formula_in_the_delegate_password_is_an_error_at_that_cell(files: Path) -> None:
    row = 1 + [f.key for f in layout.DELEGUE_FIELDS].index("password")
    path = make_workbook(files / "formule-delegue.xlsx",
                         delegue_values=delegue(password="=B1", password_confirm="=B1"))
    assert error_at(check_file(path), layout.DELEGUE_SHEET, f"B{row}").code == "INVALID_VALUE"


def test_an_error_value_in_a_password_cell_is_an_error_at_that_cell(files: Path) -> None:
    path = make_workbook(files / "erreur.xlsx", users={"td_interne": [
        user("hind.td", password="#N/A", password_confirm="#N/A")]})
    assert error_at(check_file(path), SHEET_TDI, "L2").code == "INVALID_VALUE"


@pytest.mark.parametrize("typed", ["NA", "null", "None", "nan", "NaN", "NULL", "N/A", "#NA"])
def test_words_pandas_reads_as_missing_stay_the_strings_typed(files: Path, typed: str) -> None:
    path = make_workbook(files / "na.xlsx", users={"td_interne": [
        user("hind.td", password=typed, password_confirm=typed)]})

    result = check_file(path)

    assert result.workbook is not None
    row = result.workbook.users["td_interne"].frame.loc[2]
    assert (row["password"], row["password_confirm"]) == (typed, typed)
    assert error_at(result, SHEET_TDI, "L2").code == "PASSWORD_POLICY"  # too short, as a string
    assert "REQUIRED" not in codes(result)


@pytest.mark.parametrize("typed", ["nullnull", "NoneNone", "NaN2026"])
def test_such_words_pass_the_policy_when_the_string_does(files: Path, typed: str) -> None:
    path = make_workbook(files / "na-ok.xlsx", users={"td_interne": [
        user("hind.td", password=typed, password_confirm=typed)]})

    result = check_file(path)

    assert result.accepted, result.errors
    assert result.workbook is not None
    assert result.workbook.users["td_interne"].frame.loc[2, "password"] == typed


def test_a_password_typed_as_a_number_breaks_the_policy(files: Path) -> None:
    path = make_workbook(files / "nombre.xlsx", users={"td_interne": [
        user("hind.td", password=1234, password_confirm=1234)]})
    assert error_at(check_file(path), SHEET_TDI, "L2").code == "PASSWORD_POLICY"


@pytest.mark.parametrize("typed", ["ａｂｃ１２", "²³¹45", "Abc١٢٣45", "pässwort"])
def test_letters_and_digits_outside_ascii_break_the_policy(files: Path, typed: str) -> None:
    path = make_workbook(files / "pleine-chasse.xlsx", users={"td_interne": [
        user("hind.td", password=typed, password_confirm=typed)]})
    assert error_at(check_file(path), SHEET_TDI, "L2").code == "PASSWORD_POLICY"


# --- Hidden content ------------------------------------------------------------------------


def test_a_hidden_sheet_is_hidden_content(files: Path, valid: Path) -> None:
    def hide(wb: openpyxl.Workbook) -> None:
        wb["Compte Adhérent"].sheet_state = "hidden"
        wb["Sanctions"].sheet_state = "veryHidden"

    result = check_file(edit(valid, files / "feuille-masquee.xlsx", hide))

    hidden = {f.sheet for f in result.errors if f.code == "HIDDEN_CONTENT"}
    assert hidden == {"Compte Adhérent", "Sanctions"}


def test_a_hidden_row_with_data_is_hidden_content_at_that_row(files: Path) -> None:
    path = make_workbook(files / "ligne.xlsx", users={"td_interne": [user("hind.td"), user("cache.td")]},
                         categories=[{"login": "hind.td", "D": "X"}, {"login": "cache.td", "D": "X"}])

    def hide(wb: openpyxl.Workbook) -> None:
        wb[SHEET_TDI].row_dimensions[3].hidden = True

    result = check_file(edit(path, files / "ligne-masquee.xlsx", hide))

    hidden = [f for f in result.errors if f.code == "HIDDEN_CONTENT"]
    assert [(f.sheet, f.row) for f in hidden] == [(SHEET_TDI, 3)]


def test_a_hidden_column_is_hidden_content(files: Path, valid: Path) -> None:
    def hide(wb: openpyxl.Workbook) -> None:
        wb[SHEET_TDI].column_dimensions["L"].hidden = True

    result = check_file(edit(valid, files / "colonne-masquee.xlsx", hide))

    assert [(f.code, f.column) for f in result.errors] == [("HIDDEN_CONTENT", "Mot de passe")]


# --- Sizes: rows, cells, ranges -----------------------------------------------------------------


def test_a_40000_character_cell_is_an_invalid_format_at_that_cell(files: Path) -> None:
    path = make_workbook(files / "long.xlsx", users={"td_interne": [user("hind.td", nom="x" * 40_000)]})
    assert error_at(check_file(path), SHEET_TDI, "C2").code == "INVALID_FORMAT"


def test_a_40000_character_form_value_is_an_invalid_format_at_that_cell(files: Path) -> None:
    row = 1 + [f.key for f in layout.ADHERENT_FIELDS].index("raison_sociale")
    path = make_workbook(files / "long-form.xlsx",
                         adherent_values=adherent(raison_sociale="é" * 40_000))
    assert error_at(check_file(path), layout.ADHERENT_SHEET, f"B{row}").code == "INVALID_FORMAT"


@pytest.fixture(scope="session")
def five_thousand_and_one(files: Path) -> Path:
    users = {"td_interne": [user(f"u{i}.td") for i in range(2_600)],
             "sanctions": [user(f"s{i}.sa", "sanctions") for i in range(2_401)]}
    return make_workbook(files / "5001.xlsx", users=users, categories=[])


def test_more_than_5000_user_rows_is_too_large(five_thousand_and_one: Path) -> None:
    finding = only_error(check_file(five_thousand_and_one), "FILE_TOO_LARGE")
    assert "5001" in finding.message


def test_a_dimension_claiming_a_million_rows_is_read_in_bounded_memory(files: Path, valid: Path) -> None:
    claims = rewrite_zip(valid, files / "dimension.xlsx", replace={SHEET_TDI_PART: lambda d: d.replace(
        b'<dimension ref="A1:S2"/>', b'<dimension ref="A1:T1048576"/>')})

    run = check_in_child(claims)

    assert run.returncode == 0, run.report
    assert run.peak_mb < PEAK_MEMORY_MB, run.peak_mb
    assert run.seconds < 10


@pytest.mark.parametrize("rows", FAR_CELLS.values(), ids=FAR_CELLS.keys())
def test_a_cell_far_down_the_sheet_is_refused_in_bounded_memory(files: Path, valid: Path, rows: bytes) -> None:
    far = rewrite_zip(valid, files / "loin.xlsx", replace={SHEET_TDI_PART: add_to_sheet_data(rows)})

    run = check_in_child(far)

    assert run.error_codes == ["FILE_TOO_LARGE"]
    assert run.report["errors"][0]["sheet"] == SHEET_TDI  # type: ignore[index]
    assert run.peak_mb < PEAK_MEMORY_MB, run.peak_mb


@pytest.mark.parametrize("rows", [
    b'<row r="1048576"><c r="A1" r="XFD1048576"><v>1</v></c></row>',  # which r would a reader keep?
    b"<c " * 600_000,  # tags that never end (1.8 MB): a backtracking regex would take hours here
], ids=["second-r-attribute", "tags-that-never-end"])
def test_a_malformed_sheet_is_unreadable_quickly(files: Path, valid: Path, rows: bytes) -> None:
    bad = rewrite_zip(valid, files / "malforme.xlsx", replace={SHEET_TDI_PART: add_to_sheet_data(rows)})

    run = check_in_child(bad)

    assert run.error_codes == ["FILE_UNREADABLE"]
    assert run.seconds < 15


def test_a_far_cell_in_a_sheet_found_by_another_spelling_of_its_name_is_refused(
        files: Path, valid: Path) -> None:
    # calamine looks parts up ignoring case: the caps must find the sheet the same way.
    far = rewrite_zip(valid, files / "casse.xlsx", replace={
        SHEET_TDI_PART: add_to_sheet_data(FAR_CELLS["last-cell-of-excel"]),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b'Target="/xl/worksheets/sheet4.xml"',
                                                          b'Target="WORKSHEETS/SHEET4.XML"')})
    assert check_in_child(far).error_codes == ["FILE_TOO_LARGE"]


def test_styled_empty_cells_far_down_are_no_data(files: Path, valid: Path) -> None:
    # Excel writes formatted but empty cells; calamine skips them, so do the caps.
    styled = b"".join(b'<row r="%d"><c r="A%d" s="0"/><c r="T%d" s="0"></c></row>' % (r, r, r)
                      for r in range(50_000, 50_100))
    path = rewrite_zip(valid, files / "styles.xlsx", replace={SHEET_TDI_PART: add_to_sheet_data(styled)})
    assert check_file(path).accepted


def test_cells_and_rows_without_references_are_read_not_refused(files: Path) -> None:
    # Some writers leave out `r`: calamine places such cells one after the other; the caps bound
    # where they may land by the widest row, not by their number.
    logins = [f"u{i}.td" for i in range(300)]
    path = make_workbook(files / "sans-ref-source.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
                         users={"td_interne": [user(login) for login in logins]},
                         categories=[{"login": login, "D": "X"} for login in logins])
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
    strip = lambda data: re.sub(rb'(<c|<row) r="[A-Z]*\d+"', rb"\1", data)  # noqa: E731
    bare = rewrite_zip(path, files / "sans-ref.xlsx", replace=dict.fromkeys(sheets, strip))

    result = check_file(bare)

    assert result.workbook is not None, result.errors
    assert result.workbook.users["td_interne"].rows == 300
    assert not {"FILE_TOO_LARGE", "FILE_UNREADABLE"} & codes(result)


def test_more_filled_cells_than_5000_users_need_is_too_large(files: Path, valid: Path) -> None:
    # 300,001 cells (calamine keeps each one), all within A1:T20 so that no range cap applies; random
    # values, so that the part passes the compression-ratio cap.
    rng = random.Random(4)
    cells = b"".join(b'<c r="%s%d"><v>%d</v></c>' % (bytes([65 + i % 20]), 1 + i // 20 % 20, rng.getrandbits(10))
                     for i in range(300_001))
    path = rewrite_zip(valid, files / "cellules.xlsx",
                       replace={SHEET_TDI_PART: add_to_sheet_data(b'<row r="30">' + cells + b"</row>")})
    assert path.stat().st_size < 10 * MB

    run = check_in_child(path)

    assert run.error_codes == ["FILE_TOO_LARGE"]
    assert run.peak_mb < PEAK_MEMORY_MB, run.peak_mb


def test_a_valid_workbook_passes_in_a_capped_child(valid: Path) -> None:
    run = check_in_child(valid)  # the control: the caps themselves do not break a real check
    assert run.returncode == 0 and run.report["status"] == "accepted", run.report
    assert run.peak_mb < PEAK_MEMORY_MB

