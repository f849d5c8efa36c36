"""Operators managed from the web without painting the back office into a corner (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from provisioner.service.agence import operators
from tests.integration.test_web import PASSWORD, audit_rows, client_for, ctx, sign_in, signed_in  # noqa: F401 (a fixture)


def active_admins(ctx) -> list[str]:
    return [o["login"] for o in operators.list_operators(ctx) if o["role"] == "admin" and o["active"]]


def test_an_admin_can_neither_disable_nor_demote_themselves(ctx):
    client, token = signed_in(ctx, "admin")
    operators.add_operator(ctx, "second", "admin", PASSWORD)
    refused = client.post("/operateurs/admin/desactiver", data={"csrf_token": token})
    assert refused.status_code == 409 and "votre propre compte" in refused.text
    demoted = client.post("/operateurs/admin/role", data={"csrf_token": token, "role": "lecture"})
    assert demoted.status_code == 409 and "votre propre compte" in demoted.text
    assert sorted(active_admins(ctx)) == ["admin", "second"]
    assert audit_rows(ctx.engine, "operator_disable") == [] and audit_rows(ctx.engine, "operator_role") == []


def test_the_last_active_admin_can_be_neither_disabled_nor_demoted(ctx):
    operators.add_operator(ctx, "amina", "admin", PASSWORD)
    with pytest.raises(operators.LastAdmin, match="dernier administrateur actif"):
        operators.disable_operator(ctx, "amina", actor="someone-else")
    with pytest.raises(operators.LastAdmin):
        operators.change_role(ctx, "amina", "validation", actor="someone-else")
    # With a second admin, one of them may go; then the other is the last again.
    operators.add_operator(ctx, "omar", "admin", PASSWORD)
    operators.change_role(ctx, "amina", "validation", actor="omar")
    with pytest.raises(operators.LastAdmin):
        operators.disable_operator(ctx, "omar", actor="amina")
    assert active_admins(ctx) == ["omar"]


def test_an_admin_reenables_an_operator_and_changes_roles_with_the_audit(ctx):
    client, token = signed_in(ctx, "admin")
    operators.add_operator(ctx, "said", "lecture", PASSWORD)
    assert client.post("/operateurs/said/desactiver", data={"csrf_token": token, "confirmer": "oui"}).status_code == 200
    assert sign_in(client_for(ctx), "said").status_code == 401
    page = client.get("/operateurs").text
    assert 'action="/operateurs/said/reactiver"' in page and 'action="/operateurs/said/desactiver"' not in page
    done = client.post("/operateurs/said/reactiver", data={"csrf_token": token})
    assert done.status_code == 200 and "Opérateur said réactivé" in done.text
    assert sign_in(client_for(ctx), "said").status_code == 303  # the same password works again
    promoted = client.post("/operateurs/said/role", data={"csrf_token": token, "role": "validation"})
    assert promoted.status_code == 200 and "rôle validation" in promoted.text
    said = next(o for o in operators.list_operators(ctx) if o["login"] == "said")
    assert said["role"] == "validation" and said["active"]
    (enable,) = audit_rows(ctx.engine, "operator_enable")
    (role,) = audit_rows(ctx.engine, "operator_role")
    assert enable.actor == "admin" and role.actor == "admin" and role.target == "operator:said"
    unknown_role = client.post("/operateurs/said/role", data={"csrf_token": token, "role": "root"})
    assert unknown_role.status_code == 409 and "Rôle inconnu" in unknown_role.text


def test_the_operators_page_shows_each_last_sign_in_and_offers_no_self_action(ctx):
    operators.add_operator(ctx, "jamais", "lecture", PASSWORD)
    client, _ = signed_in(ctx, "admin")
    page = client.get("/operateurs").text
    assert "Dernière connexion" in page
    jamais_row = page[page.index('<td class="mono">jamais</td>'):].split("</tr>")[0]
    admin_row = page[page.index('<td class="mono">admin</td>'):].split("</tr>")[0]
    assert "jamais</span>" in jamais_row and "jamais</span>" not in admin_row
    assert "/operateurs/admin/desactiver" not in page and "/operateurs/admin/role" not in page
    admin = next(o for o in operators.list_operators(ctx) if o["login"] == "admin")
    assert admin["last_sign_in_at"] == ctx.clock()
