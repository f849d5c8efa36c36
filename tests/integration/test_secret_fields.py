"""A creation's password reads « choisi » or « généré », an update's « changé »: rapport.json, rapport.html,
the delegate's email and the web pages alike, never the value (issue 21, point 7)."""

from __future__ import annotations

import html
import json

from provisioner.service.agence import subscriptions
from tests.factory import USER_PASSWORD, user
from tests.integration import test_web
from tests.integration.test_agence import mails, password_in
from tests.integration.test_web import NUMERO, signed_in, subscribe, update_book

sqlite_ctx = test_web.sqlite_ctx  # the report does not depend on the database: SQLite only

CANARY = "Canari27"  # sara.ca's new password
CHOSEN = "choisi (jamais affiché)"
GENERATED = "généré, envoyé à l'utilisateur (jamais affiché)"
CHANGED = "changé (jamais affiché)"


def test_a_creation_tells_a_chosen_password_from_a_generated_one_and_an_update_says_changed(sqlite_ctx, tmp_path):
    ctx = sqlite_ctx
    subscribe(ctx, tmp_path, categories=[], users={"compte_adherent": [user("sara.ca", "compte_adherent")]})
    subscriptions.activate(ctx, NUMERO)
    maj = update_book(ctx, tmp_path, "maj.xlsx", users={"compte_adherent": [
        user("new.ca", "compte_adherent"),
        user("gen.ca", "compte_adherent", password=None, password_confirm=None),
        {"action": "Modifier", "login": "sara.ca", "password": CANARY, "password_confirm": CANARY}]})
    assert maj.status == "accepted", maj.report["errors"]

    written = (ctx.outbox / str(maj.submission_id) / "rapport.json").read_text(encoding="utf-8")
    secrets = {(c["login"], f["column"]): f for c in json.loads(written)["changes"] for f in c["fields"]
               if "old" not in f}
    assert secrets == {
        ("new.ca", "Mot de passe"): {"column": "Mot de passe", "secret": "chosen"},
        **{("new.ca", f"Réponse {i}"): {"column": f"Réponse {i}", "secret": "chosen"} for i in (1, 2, 3)},
        ("gen.ca", "Mot de passe"): {"column": "Mot de passe", "secret": "generated"},
        **{("gen.ca", f"Réponse {i}"): {"column": f"Réponse {i}", "secret": "chosen"} for i in (1, 2, 3)},
        ("sara.ca", "Mot de passe"): {"column": "Mot de passe"},  # an update: changed, as ever
    }

    report_html = html.unescape((ctx.outbox / str(maj.submission_id) / "rapport.html").read_text(encoding="utf-8"))
    for text in (CHOSEN, GENERATED, CHANGED, "choisie (jamais affichée)"):
        assert text in report_html

    [mail] = mails(ctx.engine, "accepted")
    accepted, accepted_html = mail.body_text, mail.body_html
    for login, line in (("new.ca", f"Mot de passe : {CHOSEN}"), ("gen.ca", f"Mot de passe : {GENERATED}"),
                        ("sara.ca", f"Mot de passe : {CHANGED}")):
        assert line in accepted[accepted.index(login):], login
    assert GENERATED in html.unescape(accepted_html) and CHOSEN in html.unescape(accepted_html)

    client, _ = signed_in(ctx, "validation")
    pages = {path: html.unescape(client.get(path).text)
             for path in ("/comptes/new.ca", "/comptes/gen.ca", "/comptes/sara.ca", f"/adherents/{NUMERO}")}
    assert f"Mot de passe : {CHOSEN}" in pages["/comptes/new.ca"]
    assert f"Mot de passe : {GENERATED}" in pages["/comptes/gen.ca"]
    assert f"Mot de passe : {CHANGED}" in pages["/comptes/sara.ca"]
    assert all(text in pages[f"/adherents/{NUMERO}"] for text in (CHOSEN, GENERATED, CHANGED))

    # The generated password went to gen.ca alone, and no password is written where the others read.
    [to_user] = mails(ctx.engine, "generated_password")
    assert to_user.recipients == ["gen.ca@exemple.ma"]
    for shown in (written, report_html, accepted, accepted_html, *pages.values()):
        for secret in (password_in(to_user), CANARY, USER_PASSWORD, "$argon2"):
            assert secret not in shown
