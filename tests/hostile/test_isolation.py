"""Untrusted files are read in children under limits; absurd declared sizes are refused before a reader
allocates; formats that are not .xlsx are named by their bytes (issue 10 case 5, issue 11 point 6).

Every file is built here, in code: a workbook whose shared-string table declares 2^31 - 1 strings (calamine
reserves 51 GB for it and aborts the whole process), an OpenDocument zip, a CSV, compound (OLE2) files.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from provisioner.workbook.checker import check_file
from provisioner.workbook.isolation import ChildFailed, Limits, ReaderPool
from tests.factory import make_workbook, with_shared_strings

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"




# calamine with none of our checks before it (pandas' calamine engine); importable, so a child can run it.
read_with_calamine = partial(pd.read_excel, sheet_name=None, engine="calamine")


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("valid") / "bordereau.xlsx")


@pytest.fixture
def pool() -> Iterator[ReaderPool]:
    pool = ReaderPool(Limits(memory_mb=1024, seconds=30), children=1)
    yield pool
    pool.close()


# --- declared sizes -------------------------------------------------------------------------------


def test_a_shared_string_table_declaring_two_billion_strings_is_refused_and_the_process_lives(
        tmp_path: Path, valid: Path) -> None:
    crafted = with_shared_strings(valid, tmp_path / "piege.xlsx", 2_147_483_647)

    result = check_file(crafted)

    assert [f.code for f in result.errors] == ["FILE_TOO_LARGE"]
    assert "textes différents" in result.errors[0].message
    assert check_file(valid).accepted  # and the next file is read as usual


def test_a_plausible_shared_string_table_is_read(tmp_path: Path, valid: Path) -> None:
    assert check_file(with_shared_strings(valid, tmp_path / "normal.xlsx", 1)).accepted


# --- the children ---------------------------------------------------------------------------------


def test_a_child_that_aborts_on_an_allocation_is_reported_and_replaced(
        tmp_path: Path, valid: Path, pool: ReaderPool) -> None:
    crafted = with_shared_strings(valid, tmp_path / "piege.xlsx", 2_147_483_647)
    # calamine itself on the crafted file, past our checks: Rust aborts the process it runs in.
    with pytest.raises(ChildFailed) as failed:
        pool.call(read_with_calamine, str(crafted))
    assert failed.value.kind == "memory"
    assert pool.call(read_with_calamine, str(valid))  # a fresh child


def test_a_child_is_stopped_by_its_memory_limit(tmp_path: Path, valid: Path) -> None:
    # 5 million declared strings: calamine reserves 120 MB, which a child may not take with 64 MB of room.
    heavy = with_shared_strings(valid, tmp_path / "lourd.xlsx", 5_000_000)
    tight = ReaderPool(Limits(memory_mb=64, seconds=30), children=1)
    roomy = ReaderPool(Limits(memory_mb=1024, seconds=30), children=1)
    try:
        with pytest.raises(ChildFailed) as failed:
            tight.call(read_with_calamine, str(heavy))
        assert failed.value.kind == "memory"
        assert roomy.call(read_with_calamine, str(heavy))  # the limit did it
    finally:
        tight.close()
        roomy.close()


def test_a_child_that_overruns_its_time_is_killed_and_the_next_job_runs(valid: Path) -> None:
    slow = ReaderPool(Limits(memory_mb=1024, seconds=1), children=1)
    try:
        started = time.monotonic()
        with pytest.raises(ChildFailed) as failed:
            slow.call(time.sleep, 30)
        assert failed.value.kind == "timeout"
        assert time.monotonic() - started < 10
        assert slow.call(read_with_calamine, str(valid))
    finally:
        slow.close()


# --- formats told by their bytes ------------------------------------------------------------------


def ods_zip(path: Path) -> Path:
    """An OpenDocument spreadsheet as ODF lays it out: `mimetype` first, stored, then the content."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        archive.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
                         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    return path


def assert_names_format(path: Path, name: str, words: str) -> None:
    result = check_file(path, name=name)
    assert [f.code for f in result.errors] == ["FILE_TYPE"], result.errors
    message = result.errors[0].message
    assert words in message, message
    assert "« Excel 2007-365 (.xlsx) »" in message and "Excel" in message and "LibreOffice" in message


@pytest.mark.parametrize("name", ["bordereau.xlsx", "bordereau.ods"])
def test_an_opendocument_spreadsheet_is_named_whatever_its_name(tmp_path: Path, name: str) -> None:
    assert_names_format(ods_zip(tmp_path / "classeur"), name, "OpenDocument (.ods")


@pytest.mark.parametrize("content", [
    "Login;Nom;Prénom\nsara.td;Alaoui;Sara\n".encode("cp1252"),
    "Login,Nom,Prénom\r\nsara.td,Alaoui,Sara\r\n".encode("utf-8-sig"),
])
def test_a_csv_is_named_whatever_its_name(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "export"
    path.write_bytes(content)
    assert_names_format(path, "bordereau.xlsx", "texte (.csv)")


def test_a_legacy_excel_file_is_named_by_its_directory(tmp_path: Path) -> None:
    # The directory of a compound file names its streams in UTF-16: a .xls holds "Workbook".
    path = tmp_path / "ancien"
    path.write_bytes(OLE2_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1024))
    assert_names_format(path, "bordereau.xlsx", "Excel 97-2003 (.xls)")


def test_an_encrypted_workbook_is_told_apart_from_a_legacy_one(tmp_path: Path) -> None:
    path = tmp_path / "chiffre"
    path.write_bytes(OLE2_MAGIC + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(1024))
    result = check_file(path, name="bordereau.xlsx")
    assert [f.code for f in result.errors] == ["FILE_UNREADABLE"]
    assert "mot de passe" in result.errors[0].message and "ancien format" not in result.errors[0].message


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_files_saved_by_libreoffice_as_xls_and_ods_are_named(tmp_path: Path, valid: Path) -> None:
    profile = tmp_path / "profile"
    for fmt in ("xls", "ods"):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(tmp_path), str(valid)], check=True, capture_output=True, timeout=180)
    assert_names_format(tmp_path / "bordereau.xls", "bordereau.xlsx", "Excel 97-2003 (.xls)")
    assert_names_format(tmp_path / "bordereau.ods", "bordereau.xlsx", "OpenDocument (.ods")
