"""History of every change, and reverts.

`history` holds one row per change to an account or a company setting, with
its origin and what a revert needs (the public state it replaced, and apart
the hashes it replaced); `reverts` one row per submission undone. Existing
stores are brought forward from their audit trail: each account change it
recorded becomes a history row (without previous hashes: the audit never
kept them, so a password reset made before this migration cannot be undone).

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import warnings
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACCOUNT_ACTIONS = ("create", "update", "disable", "enable", "reset_password")
# Frozen here: the labels of the workbook 2026.1, as the audit's keys name them.
LABELS = {
    "civilite": "Civilité", "nom": "Nom", "prenom": "Prénom", "fonction": "Fonction",
    "telephone": "Téléphone", "fax": "Fax", "gsm": "GSM", "email": "Email",
    "mode": "Mode de télédéclaration", "prestataire": "Raison sociale du prestataire",
    "ordonnateur": "Ordonnateur", "validateur": "Validateur", "categories": "Catégories", "status": "Statut",
}
STATUS = {"active": "Actif", "disabled": "Désactivé"}


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adherent_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("teleservice", sa.String(32), nullable=True),
        sa.Column("login", sa.String(30), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("change_set", sa.String(32), nullable=True),
        sa.Column("reference", sa.String(1024), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("previous_password_hash", sa.String(255), nullable=True),
        sa.Column("previous_answer1_hash", sa.String(255), nullable=True),
        sa.Column("previous_answer2_hash", sa.String(255), nullable=True),
        sa.Column("previous_answer3_hash", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
        sa.ForeignKeyConstraint(["adherent_id"], ["adherents.id"], name="fk_history_adherent_id_adherents"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_history_account_id_accounts",
                                ondelete="CASCADE"),
        sa.CheckConstraint("origin IN ('submission', 'subscription', 'request', 'operator', 'revert')",
                           name="ck_history_origin"),
    )
    op.create_index("ix_history_account_id_id", "history", ["account_id", "id"])
    op.create_index("ix_history_adherent_id_id", "history", ["adherent_id", "id"])
    op.create_index("ix_history_change_set", "history", ["change_set"])
    op.create_table(
        "reverts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("adherent_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("forced", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("left", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reverts"),
        sa.ForeignKeyConstraint(["adherent_id"], ["adherents.id"], name="fk_reverts_adherent_id_adherents"),
        sa.UniqueConstraint("target", name="uq_reverts_target"),
    )
    _history_from_audit()


def downgrade() -> None:
    op.drop_table("reverts")
    op.drop_index("ix_history_change_set", "history")
    op.drop_index("ix_history_adherent_id_id", "history")
    op.drop_index("ix_history_account_id_id", "history")
    op.drop_table("history")


def _history_from_audit() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    with warnings.catch_warnings():
        # SQLite cannot reflect the expression indexes (lower(nom)…) and says so on every fresh
        # database, on the operator's terminal: only the columns are read here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        audit = sa.Table("audit", meta, autoload_with=conn)
        accounts = sa.Table("accounts", meta, autoload_with=conn)
        history = sa.Table("history", meta, autoload_with=conn)
    known = {(r.teleservice, r.login_key): r for r in conn.execute(
        sa.select(accounts.c.id, accounts.c.adherent_id, accounts.c.teleservice, accounts.c.login_key))}
    rows = []
    for row in conn.execute(sa.select(audit).where(audit.c.action.in_(ACCOUNT_ACTIONS)).order_by(audit.c.id)):
        teleservice, _, login = (row.target or "").partition(":")
        account = known.get((teleservice, login.casefold()))
        if account is None:
            continue
        actor = str(row.actor)
        submission = actor.removeprefix("submission:") if actor.startswith("submission:") else None
        rows.append({
            "at": row.at, "adherent_id": account.adherent_id, "account_id": account.id,
            "teleservice": teleservice, "login": login, "action": row.action,
            "fields": _fields(row.before, row.after or {}), "before": row.before,
            "origin": "submission" if submission else "operator", "change_set": submission,
            "actor": actor[:64],
        })
    if rows:
        conn.execute(sa.insert(history), rows)


def _fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    fields = []
    for key, new in after.items():
        old = (before or {}).get(key) if before is not None else None
        if key == "categories":
            old = ", ".join(old) if old else None
            new = ", ".join(new) if new else None
        elif key == "status":
            old, new = STATUS.get(old, old) if old else None, STATUS.get(new, new)
        elif key in ("ordonnateur", "validateur"):
            old = None if old is None else ("Oui" if old else "Non")
            new = "Oui" if new else "Non"
        if key in LABELS and old != new:
            fields.append({"column": LABELS[key], "old": old or None, "new": new or None})
    return fields
