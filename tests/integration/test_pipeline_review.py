"""Hostile review of the apply engine against spec.md and security.md: one test per bug found."""

from __future__ import annotations

from sqlalchemy import select

from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import account_categories, accounts, requests, submissions
from tests.factory import ADMIN_PASSWORD, adherent, user
from tests.integration.test_pipeline import codes, count, subscribed, update_book


def _categories_of(ctx, login: str) -> list[str]:
    with ctx.engine.connect() as conn:
        return sorted(conn.execute(
            select(account_categories.c.category)
            .join(accounts, accounts.c.id == account_categories.c.account_id)
            .where(accounts.c.login == login)).scalars())


def test_a_controle_seul_that_would_be_held_is_not_stored_as_held(ctx, tmp_path):
    """Contrôle seul applies nothing and creates no request: nothing waits for the Agence Virtuelle."""
    users = {"td_interne": [user(f"u{i}.td") for i in range(6)]}
    subscribed(ctx, tmp_path, users=users, categories=[{"login": f"u{i}.td", "D": "X"} for i in range(6)])
    outcome = process_file(ctx, update_book(
        tmp_path, "c.xlsx", adherent_values=adherent(type_demande="Contrôle seul"),
        users={"td_interne": [{"action": "Désactiver", "login": f"u{i}.td"} for i in range(5)]}))
    assert outcome.status == "accepted"
    assert count(ctx.engine, requests) == 0
    with ctx.engine.connect() as conn:
        status = conn.execute(select(submissions.c.status).where(
            submissions.c.id == outcome.submission_id)).scalar_one()
    assert status == "accepted"
    assert outcome.report["held"] is False
    held = [w for w in outcome.report["warnings"] if w["code"] == "MASS_DISABLE_HELD"]
    assert held and "vous contactera" not in held[0]["message"]


def test_a_controle_seul_lists_the_confirmations_and_administrator_password_it_would_change(ctx, tmp_path):
    """spec.md §5: the report lists what would change — the company settings too."""
    subscribed(ctx, tmp_path, users={"td_interne": [user("hind.td")], "easypaiement": [
        user("p1.ep", "easypaiement"), user("p2.ep", "easypaiement")]})
    outcome = process_file(ctx, update_book(
        tmp_path, "c.xlsx", adherent_values=adherent(type_demande="Contrôle seul", confirmations="2"),
        users={}, delegue_values={"password": ADMIN_PASSWORD, "new_password": "Neuf2027",
                                  "new_password_confirm": "Neuf2027"}))
    assert outcome.status == "accepted", outcome.report["errors"]
    kinds = {c["kind"]: c["status"] for c in outcome.report["company_changes"]}
    assert kinds == {"confirmations": "applied", "admin_password": "applied"}
    assert "Neuf2027" not in str(outcome.report)


def test_a_category_row_for_a_disabled_user_only_in_the_store_replaces_its_categories(ctx, tmp_path):
    """spec.md: "A row replaces the user's categories" — not silently ignored for a disabled user."""
    subscribed(ctx, tmp_path)
    off = process_file(ctx, update_book(tmp_path, "d.xlsx", users={
        "td_interne": [{"action": "Désactiver", "login": "hind.td"}]}))
    assert off.status == "accepted", off.report["errors"]
    outcome = process_file(ctx, update_book(tmp_path, "c.xlsx", users={},
                                            categories=[{"login": "HIND.td", "S3": "X"}]))
    assert outcome.status == "accepted", outcome.report["errors"]
    assert outcome.report["changes"] == [{"action": "update", "teleservice": "td_interne", "login": "hind.td",
                                          "fields": [{"column": "Catégories", "old": "D, S0", "new": "S3"}]}]
    assert _categories_of(ctx, "hind.td") == ["S3"]


def test_an_empty_category_row_for_a_disabled_user_only_in_the_store_is_category_missing(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    process_file(ctx, update_book(tmp_path, "d.xlsx", users={
        "td_interne": [{"action": "Désactiver", "login": "hind.td"}]}))
    outcome = process_file(ctx, update_book(tmp_path, "c.xlsx", users={}, categories=[{"login": "hind.td"}]))
    assert ("CATEGORY_MISSING", "Catégories", "A2") in codes(outcome)
    assert _categories_of(ctx, "hind.td") == ["D", "S0"]
