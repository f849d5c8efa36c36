"""`provisioner check`, run as a person runs it: the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.factory import adherent, delegue, make_workbook, user

REPO = Path(__file__).resolve().parents[2]
FINDING_KEYS = {"code", "message", "sheet", "row", "column", "cell"}


def provisioner(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "provisioner", "check", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # one JSON object, nothing else on stdout
    data: dict[str, Any] = json.loads(lines[0])
    return data


def test_a_valid_workbook_exits_0_with_a_french_summary(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx")

    result = provisioner(path, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "accepté" in result.stdout and "0 erreur" in result.stdout


def test_a_rejected_workbook_exits_1_with_one_line_per_finding(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx", users={"td_interne": [user("hind.td", email="hind@")]})

    result = provisioner(path, cwd=tmp_path)

    assert result.returncode == 1
    assert "refusé" in result.stdout
    assert "INVALID_FORMAT" in result.stdout and "Télédéclaration interne!J2" in result.stdout


def test_json_prints_one_object_with_the_report_shape(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx", users={
        "td_interne": [user("hind.td", password="abc", password_confirm="abc")]})

    result = provisioner(path, "--json", cwd=tmp_path)

    assert result.returncode == 1
    data = report(result)
    assert set(data) == {"schema", "file", "status", "request_type", "adherent", "errors", "warnings"}
    assert (data["schema"], data["file"], data["status"]) == (1, "bordereau.xlsx", "rejected")
    assert (data["request_type"], data["adherent"]) == ("abonnement", "123456")
    assert data["errors"] == [{
        "code": "PASSWORD_POLICY", "message": data["errors"][0]["message"],
        "sheet": "Télédéclaration interne", "row": 2, "column": "Mot de passe", "cell": "L2"}]
    assert data["warnings"] == []


def test_json_of_an_accepted_workbook_says_accepted(tmp_path: Path) -> None:
    result = provisioner(make_workbook(tmp_path / "bordereau.xlsx"), "--json", cwd=tmp_path)

    assert result.returncode == 0
    assert report(result)["status"] == "accepted"


@pytest.mark.parametrize("args", [
    pytest.param(("absent.xlsx",), id="a missing file"),
    pytest.param((), id="no file at all"),
    pytest.param(("bordereau.xlsx", "--no-such-option"), id="an unknown option"),
])
def test_a_usage_error_exits_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    make_workbook(tmp_path / "bordereau.xlsx")

    result = provisioner(*args, cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name, content, code", [
    pytest.param("casse.xlsx", b"PK\x03\x04" + os.urandom(300), "FILE_UNREADABLE", id="a corrupt xlsx"),
    pytest.param("vide.xlsx", b"", "FILE_UNREADABLE", id="an empty file"),
    pytest.param("donnees.csv", b"login;nom\n", "FILE_TYPE", id="a csv"),
])
def test_a_broken_file_is_a_finding_never_a_traceback(tmp_path: Path, name: str, content: bytes,
                                                       code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    result = provisioner(path, "--json", cwd=tmp_path)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    data = report(result)
    assert [e["code"] for e in data["errors"]] == [code]
    assert set(data["errors"][0]) == FINDING_KEYS
    assert (data["request_type"], data["adherent"]) == (None, None)


def test_annotate_writes_the_marked_copy(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx", users={"td_interne": [user("hind.td", nom=None)]})
    out = tmp_path / "annote.xlsx"

    result = provisioner(path, "--annotate", out, cwd=tmp_path)

    assert result.returncode == 1
    assert zipfile.is_zipfile(out)


def test_annotate_into_a_missing_folder_is_a_french_error_not_a_traceback(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bordereau.xlsx")

    result = provisioner(path, "--annotate", tmp_path / "absent" / "annote.xlsx", cwd=tmp_path)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "copie annotée n'a pas pu être écrite" in result.stderr


# --- Secrets: canaries in every password and answer cell --------------------------------


def canary(prefix: str = "") -> str:
    return f"{prefix}cnry{secrets.token_hex(3)}"  # 10 characters: compliant unless prefixed


@pytest.fixture
def canary_workbook(tmp_path: Path) -> tuple[Path, list[str]]:
    """A rejected workbook with a distinct canary in every secret cell, many of them at fault."""
    admin = {"password": canary("#"), "password_confirm": canary(), "new_password": canary(),
             "new_password_confirm": canary()}
    rows = []
    for i in range(3):
        rows.append({"password": canary("!") if i == 0 else canary(), "password_confirm": canary(),
                     "answer1": canary(), "answer2": canary(), "answer3": canary()})
    rows[2]["password_confirm"] = None
    path = make_workbook(
        tmp_path / "bordereau.xlsx", adherent_values=adherent(numero="12"), delegue_values=delegue(**admin),
        users={"td_interne": [user("hind.td", **rows[0])],
               "eliquidation": [user("hind.liq", "eliquidation", question2=None, **rows[1])],
               "sanctions": [user("hind.sa", "sanctions", question3=None, **rows[2])]})
    return path, [*admin.values(), *(v for r in rows for v in r.values() if v)]


@pytest.mark.parametrize("options", [(), ("--json",)], ids=["text", "json"])
def test_no_password_or_answer_reaches_stdout_or_stderr(
        tmp_path: Path, canary_workbook: tuple[Path, list[str]], options: tuple[str, ...]) -> None:
    path, canaries = canary_workbook
    out = tmp_path / "annote.xlsx"

    result = provisioner(path, *options, "--annotate", out, cwd=tmp_path)

    assert result.returncode == 1
    assert "PASSWORD_POLICY" in result.stdout and "PASSWORD_MISMATCH" in result.stdout
    with zipfile.ZipFile(out) as archive:
        annotated = b"".join(archive.read(name) for name in archive.namelist())
    for value in canaries:
        assert value not in result.stdout and value not in result.stderr
        assert value.encode() not in annotated


# --- A fiduciary's zip ----------------------------------------------------------------


def lot(tmp_path: Path, *books: tuple[str, Path]) -> Path:
    path = tmp_path / "lot.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, book in books:
            archive.write(book, name)
        archive.writestr("__MACOSX/._bon.xlsx", b"resource fork")  # skipped, as process skips it
    return path


def test_a_zip_gets_one_line_per_workbook_and_exit_1_when_any_is_rejected(tmp_path: Path) -> None:
    # Before: « Seuls les classeurs .xlsx… » for the zip itself, while `process` takes it.
    good = make_workbook(tmp_path / "a.xlsx")
    bad = make_workbook(tmp_path / "b.xlsx", adherent_values=adherent(rc="45A789"))
    result = provisioner(lot(tmp_path, ("bon.xlsx", good), ("client/mauvais.xlsx", bad)), cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith("« bon.xlsx » (Abonnement, adhérent 123456) : accepté")
    assert lines[1].startswith("« mauvais.xlsx » (Abonnement, adhérent 123456) : refusé — 1 erreur")


def test_a_zip_of_valid_workbooks_exits_0_and_json_gives_one_object_a_line(tmp_path: Path) -> None:
    good = make_workbook(tmp_path / "a.xlsx")
    other = make_workbook(tmp_path / "b.xlsx", adherent_values=adherent(numero="654321"))
    result = provisioner(lot(tmp_path, ("a.xlsx", good), ("b.xlsx", other)), "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["file"], r["status"], r["adherent"]) for r in reports] == [
        ("a.xlsx", "accepted", "123456"), ("b.xlsx", "accepted", "654321")]


def test_a_zip_without_a_workbook_is_refused_in_one_french_line(tmp_path: Path) -> None:
    path = tmp_path / "vide.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("dossier/", b"")
    result = provisioner(path, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip() == ("« vide.zip » : refusé — FILE_UNREADABLE : Le fichier .zip ne contient "
                                     "aucun classeur.")
    assert "Traceback" not in result.stderr


def test_a_file_in_another_format_gets_instructions_that_fit_and_no_annotated_copy(tmp_path: Path) -> None:
    # Before: an « annotated copy » holding only Anomalies, and « Corrigez chaque cellule indiquée ».
    path = tmp_path / "bordereau.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    out = tmp_path / "annote.xlsx"

    result = provisioner(path, "--annotate", out, cwd=tmp_path)

    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("« bordereau.ods » : refusé — Ce fichier est un classeur OpenDocument")
    assert "enregistrez-le au format .xlsx" in line and "cellule" not in line
    assert not out.exists() and "Pas de copie annotée" in result.stderr
