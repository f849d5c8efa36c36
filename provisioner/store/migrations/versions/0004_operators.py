"""The back office on the web: operators, their sessions, and the indexes its pages search on.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        _ts("locked_until", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.CheckConstraint("role IN ('lecture', 'validation', 'admin')", name="ck_operators_role"),
        sa.CheckConstraint("failed_logins >= 0", name="ck_operators_failed_logins"),
        sa.PrimaryKeyConstraint("id", name="pk_operators"),
        sa.UniqueConstraint("login", name="uq_operators_login"),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("last_seen_at"),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name="fk_operator_sessions_operator_id_operators"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_operator_sessions"),
    )
    op.create_index("ix_operator_sessions_operator_id", "operator_sessions", ["operator_id"])
    op.create_index("ix_accounts_lower_nom", "accounts", [sa.text("lower(nom)")])
    op.create_index("ix_accounts_lower_prenom", "accounts", [sa.text("lower(prenom)")])
    op.create_index("ix_accounts_lower_email", "accounts", [sa.text("lower(email)")])
    op.create_index("ix_adherents_lower_raison_sociale", "adherents", [sa.text("lower(raison_sociale)")])
    op.create_index("ix_adherents_locked_until", "adherents", ["locked_until"])
    op.create_index("ix_submissions_received_at", "submissions", ["received_at"])
    op.create_index("ix_submissions_status_received_at", "submissions", ["status", "received_at"])
    op.create_index("ix_submissions_finished_at", "submissions", ["finished_at"])
    op.create_index("ix_audit_actor_id", "audit", ["actor", "id"])


def downgrade() -> None:
    for name, table in (("ix_audit_actor_id", "audit"), ("ix_submissions_received_at", "submissions"),
                        ("ix_submissions_status_received_at", "submissions"),
                        ("ix_submissions_finished_at", "submissions"), ("ix_adherents_locked_until", "adherents"),
                        ("ix_adherents_lower_raison_sociale", "adherents"), ("ix_accounts_lower_email", "accounts"),
                        ("ix_accounts_lower_prenom", "accounts"), ("ix_accounts_lower_nom", "accounts")):
        op.drop_index(name, table_name=table)
    op.drop_table("operator_sessions")
    op.drop_table("operators")
