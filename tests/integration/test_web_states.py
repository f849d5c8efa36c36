"""The back office never shows a state that is not the store's: held changes, refused files, idle buttons."""

from __future__ import annotations

import html

from provisioner.service.agence import operators, subscriptions
from provisioner.service.read_models.accounts import list_accounts
from provisioner.service.read_models.requests import list_requests
from tests.factory import user
from tests.integration.test_agence import subscribe, update_book
from tests.integration.test_web import (  # noqa: F401 (sqlite_ctx: a fixture)
    NUMERO,
    audit_rows,
    signed_in,
    sqlite_ctx,
)


def mass_deactivation(ctx, tmp_path):
    """A company of six accounts whose Mise à jour disables five: held for the Agence Virtuelle's approval."""
    subscribe(ctx, tmp_path, users={"compte_adherent": [user(f"user{i}.ca", "compte_adherent") for i in range(6)]},
              categories=[])
    subscriptions.activate(ctx, NUMERO)
    return update_book(ctx, tmp_path, "maj.xlsx", users={"compte_adherent": [
        {"action": "Désactiver", "login": f"user{i}.ca"} for i in range(5)]})


def test_a_mass_deactivation_held_for_approval_says_nothing_is_applied_yet(sqlite_ctx, tmp_path):
    held = mass_deactivation(sqlite_ctx, tmp_path)
    client, _ = signed_in(sqlite_ctx, "validation")
    page = html.unescape(client.get(f"/soumissions/{held.submission_id}").text)
    assert "Changements à l'approbation de la demande (5)" in page and "Rien n'est encore appliqué" in page
    assert "Changements (5)" not in page
    dashboard = html.unescape(client.get("/").text)
    assert "5 comptes désactivés à l'approbation de la demande ; rien n'est encore appliqué" in dashboard
    assert all(a["status"] == "active" for a in list_accounts(sqlite_ctx, adherent=NUMERO))  # what the store says


def test_a_rejected_submission_offers_no_annulation(sqlite_ctx, tmp_path):
    rejected = update_book(sqlite_ctx, tmp_path, "inconnu.xlsx")  # a Mise à jour for a company nobody knows
    assert rejected.status == "rejected"
    client, _ = signed_in(sqlite_ctx, "validation")
    page = client.get(f"/soumissions/{rejected.submission_id}").text
    assert "Refusé" in page and 'id="annulation"' not in page and "Annuler cette soumission" not in page


def test_a_pending_company_gets_no_new_administrator_password_and_an_unlocked_one_no_unlock(sqlite_ctx, tmp_path):
    subscribe(sqlite_ctx, tmp_path)
    client, token = signed_in(sqlite_ctx, "validation")
    page = html.unescape(client.get(f"/adherents/{NUMERO}").text)
    assert "Nouveau mot de passe administrateur" not in page and ">Débloquer<" not in page
    refused = client.post(f"/adherents/{NUMERO}/reinitialiser-mot-de-passe",
                          data={"csrf_token": token, "confirmer": "oui"})
    assert refused.status_code == 409 and "attend encore sa validation" in html.unescape(refused.text)
    unlocked = client.post(f"/adherents/{NUMERO}/debloquer", data={"csrf_token": token})
    assert unlocked.status_code == 200 and "rien n'a été changé" in html.unescape(unlocked.text)
    assert audit_rows(sqlite_ctx.engine, "unlock") == [] and audit_rows(sqlite_ctx.engine, "admin_password_reset") == []
    subscriptions.activate(sqlite_ctx, NUMERO)
    assert "Nouveau mot de passe administrateur" in html.unescape(client.get(f"/adherents/{NUMERO}").text)


def test_irreversible_actions_ask_for_a_confirmation_first_without_javascript(sqlite_ctx, tmp_path):
    mass_deactivation(sqlite_ctx, tmp_path)
    client, token = signed_in(sqlite_ctx, "admin")
    operators.add_operator(sqlite_ctx, "said", "lecture", "motdepasse-operateur-1")
    [waiting] = list_requests(sqlite_ctx, "waiting")
    for url in (f"/demandes/{waiting['id']}/approuver", f"/adherents/{NUMERO}/reinitialiser-mot-de-passe",
                "/operateurs/said/desactiver"):
        first = client.post(url, data={"csrf_token": token, "motif": "Lettre du 3 décembre"})
        page = html.unescape(first.text)
        assert first.status_code == 200 and "Rien n'est fait tant que vous ne confirmez pas" in page, url
        assert f'action="{url}"' in page and 'name="confirmer" value="oui"' in page
        assert 'name="motif" value="Lettre du 3 décembre"' in page  # the first form's fields, posted again
        assert "<script" not in page
    # Nothing was done by the first steps.
    assert all(a["status"] == "active" for a in list_accounts(sqlite_ctx, adherent=NUMERO))
    assert audit_rows(sqlite_ctx.engine, "admin_password_reset") == []
    assert next(o for o in operators.list_operators(sqlite_ctx) if o["login"] == "said")["active"]
    done = client.post(f"/demandes/{waiting['id']}/approuver",
                       data={"csrf_token": token, "motif": "Lettre du 3 décembre", "confirmer": "oui"})
    assert done.status_code == 200 and f"Demande {waiting['id']} approuvée" in done.text
    assert sum(a["status"] == "disabled" for a in list_accounts(sqlite_ctx, adherent=NUMERO)) == 5
