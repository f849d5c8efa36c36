"""Lists an operator can work with: filters, and CSV exports that open right in a French Excel."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

from sqlalchemy import insert

from provisioner.service import subscriptions
from provisioner.service.pipeline import process_file
from provisioner.service.read_models.exports import in_chunks
from provisioner.service.read_models.submissions import Cursor, list_submissions
from provisioner.store.tables import audit, submissions, utcnow
from tests.factory import make_workbook, user
from tests.integration.test_agence import subscribe
from tests.integration.test_web import (  # noqa: F401 (ctx, sqlite_ctx: fixtures)
    NUMERO,
    ctx,
    signed_in,
    sqlite_ctx,
)


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    text = response.content.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_exports_keep_the_page_s_filters_in_french_and_never_a_formula(sqlite_ctx, tmp_path):
    ca_users = [user(f"ca{i}.user", "compte_adherent") for i in range(3)]
    subscribe(sqlite_ctx, tmp_path, users={"compte_adherent": ca_users, "td_interne": [user("td.user")]},
              categories=[{"login": "td.user", "D": "X", "S0": "X"}])
    subscriptions.activate(sqlite_ctx, NUMERO, actor="validation")
    trap = process_file(sqlite_ctx, make_workbook(tmp_path / "=HYPERLINK(1).xlsx"))  # a hostile file name
    assert trap.status in ("duplicate", "rejected", "accepted")
    client, _ = signed_in(sqlite_ctx, "admin")

    submissions = read_csv(client.get("/soumissions.csv"))
    assert submissions[0] == ["Reçue le", "Soumission", "Fichier", "Adhérent", "Type", "Statut", "Erreurs"]
    assert len(submissions) == 3 and "'=HYPERLINK(1).xlsx" in [r[2] for r in submissions]
    accepted = read_csv(client.get("/soumissions.csv", params={"statut": "accepted"}))
    assert [r[5] for r in accepted[1:]] == ["Accepté"] and accepted[1][2] == "abonnement.xlsx"

    accounts = read_csv(client.get("/comptes.csv", params={"teleservice": "compte_adherent"}))
    assert accounts[0][:3] == ["Login", "Téléservice", "Statut"]
    assert sorted(r[0] for r in accounts[1:]) == ["ca0.user", "ca1.user", "ca2.user"]
    assert {r[1] for r in accounts[1:]} == {"Compte Adhérent"} and {r[2] for r in accounts[1:]} == {"actif"}
    assert [r[0] for r in read_csv(client.get("/comptes.csv", params={"q": "td."}))[1:]] == ["td.user"]

    journal = read_csv(client.get("/journal.csv", params={"action": "activate"}))
    assert journal[0] == ["Quand", "Qui", "Action", "Adhérent", "Sur", "Motif"]
    assert [r[1:5] for r in journal[1:]] == [["validation", "validation d'abonnement", NUMERO, f"adhérent {NUMERO}"]]


def test_the_list_pages_filter_accounts_requests_and_the_journal(sqlite_ctx, tmp_path):
    subscribe(sqlite_ctx, tmp_path, users={"compte_adherent": [user("ca0.user", "compte_adherent")],
                                           "td_interne": [user("td.user")]},
              categories=[{"login": "td.user", "D": "X", "S0": "X"}])
    subscriptions.activate(sqlite_ctx, NUMERO, actor="validation")
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get("/comptes", params={"teleservice": "td_interne", "statut": "active"}).text
    assert "td.user" in page and "ca0.user" not in page and 'href="/comptes.csv?teleservice=td_interne' in page
    assert "td.user" not in client.get("/comptes", params={"statut": "disabled"}).text
    journal = client.get("/journal", params={"action": "activate"}).text
    assert "<td>validation d&#39;abonnement</td>" in journal and "<td>compte créé</td>" not in journal
    assert "<td>compte créé</td>" in client.get("/journal", params={"action": "create"}).text
    assert "Aucune action" in client.get("/journal", params={"date": "2001-01-01"}).text
    assert "Aucune demande" in client.get("/demandes", params={"type": "mass_disable"}).text


def test_exports_read_every_row_once_by_key_even_with_equal_times(ctx):
    now = utcnow()
    with ctx.engine.begin() as conn:  # many rows at the very same instant: the key, not the time, orders them
        conn.execute(insert(audit), [{"at": now, "actor": "x", "action": "unlock", "target": str(i)}
                                     for i in range(23)])
    query = audit.select().with_only_columns(audit.c.id, audit.c.at, audit.c.target)
    seen = [r["target"] for r in in_chunks(ctx, query, [audit.c.at, audit.c.id], descending=True, chunk=5)]
    assert seen == [str(i) for i in reversed(range(23))]


def _submissions(ctx, count: int) -> None:
    """`count` submission rows, three at each instant (ties the keyset must break by id)."""
    start = utcnow()
    with ctx.engine.begin() as conn:
        conn.execute(insert(submissions), [
            {"id": f"S{i:05d}", "sha256": f"{i:064x}", "file_name": f"f{i}.xlsx", "received_at": start
             - timedelta(minutes=i // 3), "adherent_numero": f"{1000 + i % 7}",
             "status": "rejected" if i % 4 == 0 else "accepted", "request_type": "mise_a_jour",
             "report": {"errors": []}} for i in range(count)])


def test_submissions_are_paged_by_key_with_their_total_page_numbers_and_sorts(ctx):
    _submissions(ctx, 130)
    first = list_submissions(ctx)
    assert (first.total, first.pages, len(first.rows), first.has_next) == (130, 3, 50, True)
    seen, page, after = [], first, None
    while True:  # following "Suivante": each page starts after the last row of the one before
        seen += [r["id"] for r in page.rows]
        if not page.has_next:
            break
        after = Cursor.parse(page.extra["after"])
        page = list_submissions(ctx, page=page.number + 1, after=after)
    newest_first = sorted(range(130), key=lambda i: (i // 3, -i))  # three at each instant, then by id
    assert seen == [f"S{i:05d}" for i in newest_first]  # none twice, none lost
    assert [r["id"] for r in list_submissions(ctx, page=3).rows] == seen[100:]  # a page asked by number
    oldest = list_submissions(ctx, sort="ancien").rows[0]["id"]
    assert oldest == "S00129"
    by_status = [r["status"] for r in list_submissions(ctx, sort="statut", page=2).rows]
    assert by_status == sorted(by_status)
    assert list_submissions(ctx, status="rejected").total == 33


def test_the_submissions_page_shows_the_total_the_page_numbers_and_a_cursor(sqlite_ctx):
    _submissions(sqlite_ctx, 130)
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get("/soumissions").text
    assert "130 résultats" in page and "Page 1 sur 3" in page and 'page=3">Dernière' in page
    following = re.search(r'href="\?page=2&amp;apres=([^"]+)">Suivante', page)
    assert following, page[-1500:]
    second = client.get("/soumissions?page=2&apres=" + html.unescape(following.group(1))).text
    assert "Page 2 sur 3" in second and ">S00048<" in second and ">S00049<" not in second
    assert "S00000" in client.get("/soumissions?tri=ancien&page=3").text
    assert client.get("/soumissions?apres=n%27importe%20quoi").status_code == 200  # a bad cursor: page 1
