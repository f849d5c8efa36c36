"""Lists an operator can work with: filters, and CSV exports that open right in a French Excel."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from datetime import timedelta

from sqlalchemy import insert

from provisioner.domain.vocabulary import Door
from provisioner.service.agence import subscriptions
from provisioner.service.intake.drop import Origin
from provisioner.service.read_models.accounts import search_accounts
from provisioner.service.read_models.companies import search_adherents
from provisioner.service.read_models.duplicates import list_duplicates
from provisioner.service.read_models.exports import in_chunks
from provisioner.service.read_models.submissions import Cursor, list_submissions
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import accounts, adherents, audit, submissions, utcnow
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
    seen = [r["target"] for r in in_chunks(ctx, query, [audit.c.at, audit.c.id], dict, descending=True, chunk=5)]
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


def _companies_and_accounts(ctx) -> None:
    """60 companies (names, statuses and dates in no order of their numbers), two accounts each."""
    start = utcnow()
    names = ["Zénith", "alpha", "Bâtiment", "Ciment", "delta", "Échos"]
    with ctx.engine.begin() as conn:
        conn.execute(insert(adherents), [
            {"id": i + 1, "numero": f"{5000 + i}", "raison_sociale": f"{names[i % 6]} {i:02d}",
             "status": "pending" if i % 3 == 0 else "active", "company": {}, "delegue": {},
             "admin_password_hash": "x", "created_at": start - timedelta(days=(i * 7) % 60)} for i in range(60)])
        conn.execute(insert(accounts), [
            {"adherent_id": i // 2 + 1, "teleservice": ("td_interne", "compte_adherent")[i % 2],
             "login": f"u{i:03d}", "login_key": f"u{i:03d}", "status": ("active", "disabled")[i % 5 == 0],
             "nom": f"Nom{(i * 37) % 120:03d}", "prenom": "P", "fonction": "F", "email": f"u{i}@example.ma",
             "password_hash": "x"} for i in range(120)])


def test_companies_sort_by_number_name_status_and_date_with_their_total(ctx):
    _companies_and_accounts(ctx)
    by_number = search_adherents(ctx)
    assert by_number.total == 60 and by_number.rows[0]["numero"] == "5000" and by_number.has_next
    names = [r["raison_sociale"] for p in (1, 2) for r in search_adherents(ctx, sort="nom", page=p).rows]
    assert len(names) == 60 and names[:2] == ["alpha 01", "alpha 07"]  # case aside: « alpha » before « Bâtiment »
    statuses = [r["status"] for p in (1, 2) for r in search_adherents(ctx, sort="statut", page=p).rows]
    assert statuses == sorted(statuses) and len(statuses) == 60
    newest = [r["created_at"] for r in search_adherents(ctx, sort="recent").rows]
    assert newest == sorted(newest, reverse=True) and newest[0] > newest[-1]
    pending = search_adherents(ctx, status="pending", sort="nom")
    assert pending.total == 20 and {r["status"] for r in pending.rows} == {"pending"}


def test_accounts_sort_by_login_name_teleservice_and_status_across_pages(ctx):
    _companies_and_accounts(ctx)
    for sort, key in (("login", "login"), ("nom", "nom"), ("teleservice", "teleservice"), ("statut", "status")):
        pages = [search_accounts(ctx, "u0", sort=sort, page=p) for p in (1, 2, 3)]
        rows = [r for p in pages for r in p.rows]
        assert len({r["login"] for r in rows}) == 100, sort  # u000…u099: none twice, none lost
        assert [(r[key], r["login"]) for r in rows] == sorted((r[key], r["login"]) for r in rows), sort
    disabled_first = search_accounts(ctx, "", teleservice="td_interne", sort="statut")
    assert disabled_first.total == 60 and disabled_first.rows[0]["status"] == "active"
    assert disabled_first.rows[-1]["status"] == "disabled"


def test_the_companies_and_accounts_pages_offer_their_sorts_and_keep_them_in_links(sqlite_ctx):
    _companies_and_accounts(sqlite_ctx)
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get("/adherents", params={"tri": "nom"}).text
    assert '<option value="nom" selected>par raison sociale</option>' in page and "60 résultats" in page
    assert page.index("alpha 01") < page.index("alpha 07") and "Échos 05" not in page  # page 2 holds it
    assert 'href="?tri=nom&amp;page=2"' in page or 'href="?tri=nom&page=2"' in page
    assert "Échos 05" in client.get("/adherents", params={"tri": "nom", "page": 2}).text
    accounts_page = client.get("/comptes", params={"teleservice": "td_interne", "tri": "nom"}).text
    assert '<option value="nom" selected>par nom</option>' in accounts_page
    shown = re.findall(r">(Nom\d{3})<", accounts_page.replace("P Nom", ">Nom"))
    assert len(shown) == 50 and shown == sorted(shown)
    assert 'href="/comptes.csv?teleservice=td_interne"' in accounts_page  # the export: every row, by login
    assert client.get("/comptes", params={"q": "u0", "tri": "n'importe"}).status_code == 200  # default sort


def test_duplicates_are_listed_from_where_they_are_recorded_with_their_door_and_original(sqlite_ctx, tmp_path):
    book = make_workbook(tmp_path / "a.xlsx")
    first = process_file(sqlite_ctx, book, origin=Origin(Door.INBOX))
    again = process_file(sqlite_ctx, shutil.copyfile(book, tmp_path / "a-encore.xlsx"),
                         origin=Origin(Door.PORTAL, "jeton-1"))
    assert (first.status, again.status) == ("accepted", "duplicate")
    found = list_duplicates(sqlite_ctx)
    assert found.total == 1 and [r["id"] for r in found.rows] == [again.submission_id]
    assert found.rows[0]["duplicate_of"] == first.submission_id and found.rows[0]["file_name"] == "a-encore.xlsx"
    client, _ = signed_in(sqlite_ctx, "lecture")
    page = client.get("/soumissions", params={"statut": "duplicate"}).text
    assert '<option value="duplicate" selected>Déjà traité</option>' in page and "1 résultat" in page
    assert f'href="/soumissions/{again.submission_id}"' in page and f'href="/soumissions/{first.submission_id}"' in page
    assert "portail des adhérents" in page and "/soumissions.csv" not in page  # a duplicate has no row to export
    assert again.submission_id not in client.get("/soumissions").text  # the submissions' list: rows only
    other_day = client.get("/soumissions", params={"statut": "duplicate", "date": "2001-01-01"}).text
    assert "Aucun doublon ne correspond." in other_day
    told = client.get("/soumissions", params={"statut": "duplicate", "adherent": NUMERO}).text
    assert "ne s&#39;y appliquent pas" in told or "ne s'y appliquent pas" in told
