"""Smaller things an operator looks for: a zip batch's files, a duplicate's original, the site's icon."""

from __future__ import annotations

import html
import shutil

from provisioner.service.submission.pipeline import process_file
from tests.factory import adherent, make_workbook
from tests.integration.test_web import client_for, signed_in, sqlite_ctx  # noqa: F401 (a fixture)


def test_a_batch_and_a_duplicate_can_be_found_from_their_submissions(sqlite_ctx, tmp_path):
    book = make_workbook(tmp_path / "a.xlsx")
    copy = shutil.copyfile(book, tmp_path / "a-encore.xlsx")  # the same bytes, sent again
    first = process_file(sqlite_ctx, book, batch="B20261207-lot")
    other = process_file(sqlite_ctx, make_workbook(tmp_path / "b.xlsx", adherent_values=adherent(numero="654321")),
                         batch="B20261207-lot")
    again = process_file(sqlite_ctx, copy)
    assert again.status == "duplicate"
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get(f"/soumissions/{first.submission_id}").text
    assert 'href="/soumissions?lot=B20261207-lot"' in page
    batch = client.get("/soumissions", params={"lot": "B20261207-lot"}).text
    assert first.submission_id in batch and other.submission_id in batch and again.submission_id not in batch
    assert "2 résultats" in batch
    duplicate = client.get(f"/soumissions/{again.submission_id}")
    assert duplicate.status_code == 200 and "avait déjà été reçu" in html.unescape(duplicate.text)
    assert f'href="/soumissions/{first.submission_id}"' in duplicate.text and "a-encore.xlsx" in duplicate.text
    assert client.get("/soumissions/S20991231T000000-deadbeef").status_code == 404


def test_the_site_has_an_icon(sqlite_ctx):
    client = client_for(sqlite_ctx)
    assert client.get("/favicon.ico").headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/connexion").text
