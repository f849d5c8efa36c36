"""The inbox's two small judgements on real bytes: is a zip written to its end, and how a name is shown."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from provisioner.service.intake.names import MAX_SHOWN, display_name
from provisioner.service.intake.zip_end import is_unfinished_zip
from tests import factory


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return factory.make_workbook(tmp_path_factory.mktemp("zip") / "b.xlsx").read_bytes()


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.5, 0.99])
def test_a_workbook_cut_anywhere_is_unfinished(tmp_path: Path, workbook: bytes, fraction: float) -> None:
    path = tmp_path / "b.xlsx"
    path.write_bytes(workbook[: int(len(workbook) * fraction)])
    assert is_unfinished_zip(path)


def test_a_whole_workbook_a_commented_zip_and_an_empty_zip_are_finished(tmp_path: Path, workbook: bytes) -> None:
    commented, empty = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(commented, "w") as archive:
        archive.comment = b"envoi du cabinet"
        archive.writestr("a.xlsx", workbook)
    with zipfile.ZipFile(empty, "w"):
        pass
    for data in (workbook, commented.getvalue(), empty.getvalue()):
        path = tmp_path / "f.zip"
        path.write_bytes(data)
        assert not is_unfinished_zip(path)


def test_a_batch_cut_just_after_a_stored_workbook_is_unfinished(tmp_path: Path, workbook: bytes) -> None:
    # The stored workbook's own end record is then the last thing in the file: it is not the batch's.
    batch = io.BytesIO()
    with zipfile.ZipFile(batch, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.xlsx", workbook)
        archive.writestr("b.xlsx", workbook)
    data = batch.getvalue()
    path = tmp_path / "lot.zip"
    path.write_bytes(data[: data.index(b"PK\x05\x06") + 22])
    assert is_unfinished_zip(path)


def test_what_is_not_a_zip_is_never_unfinished(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0 an old Excel file")
    assert not is_unfinished_zip(path)


@pytest.mark.parametrize(("name", "shown"), [
    (os.fsdecode(b"r\xe9sum\xe9.xlsx"), "r\\xe9sum\\xe9.xlsx"),
    (b"r\xe9sum\xe9.xlsx", "r\\xe9sum\\xe9.xlsx"),
    ("ligne\nsuivante\t.xlsx", "ligne\\nsuivante\\t.xlsx"),
    ("facture\u202excod.exe", "facture\\u202excod.exe"),  # a right-to-left override hides the real extension
    ("Société A.xlsx", "Société A.xlsx"),
    ("", "fichier-sans-nom"),
])
def test_a_name_is_shown_as_one_line_of_valid_text(name: str | bytes, shown: str) -> None:
    assert display_name(name) == shown
    assert display_name(shown) == shown  # shown twice, unchanged


def test_a_very_long_name_keeps_its_start_and_its_extension() -> None:
    shown = display_name("bordereau-" + "x" * 400 + ".xlsx")
    assert len(shown) == MAX_SHOWN
    assert shown.startswith("bordereau-xxx") and shown.endswith("xxx.xlsx") and "…" in shown
