"""The back office's sign-in: each operator's last sign-in, failed sign-ins per client address, and the
indexes its deep list pages read.

`operators.last_sign_in_at` is shown on the operators page.
`sign_in_failures` holds one row per failed sign-in (the client's address,
when), so that the per-address limit holds across processes and restarts;
rows older than the window are deleted as new ones come. The indexes hold
every column a list page sorts and pages on: its page 799 is a walk of one
index, not a read of 40,000 rows (each with its report).

Revision ID: 0008_office
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_office"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("operators", sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_failures"),
    )
    op.create_index("ix_sign_in_failures_address_at", "sign_in_failures", ["address", "at"])
    op.create_index("ix_sign_in_failures_at", "sign_in_failures", ["at"])
    op.create_index("ix_submissions_received_at_id", "submissions", ["received_at", "id"])
    op.create_index("ix_accounts_status_login_key_id", "accounts", ["status", "login_key", "id"])
    op.create_index("ix_accounts_teleservice_login_key_id", "accounts", ["teleservice", "login_key", "id"])
    op.create_index("ix_adherents_status_numero", "adherents", ["status", "numero"])
    op.create_index("ix_adherents_created_at_numero", "adherents", ["created_at", "numero"])
    op.create_index("ix_accounts_status_nom_prenom_login_key_id_teleservice", "accounts",
                    ["status", "nom", "prenom", "login_key", "id", "teleservice"])
    op.create_index("ix_accounts_teleservice_nom_prenom_login_key_id_status", "accounts",
                    ["teleservice", "nom", "prenom", "login_key", "id", "status"])
    op.create_index("ix_adherents_lower_raison_sociale_numero", "adherents",
                    [sa.text("lower(raison_sociale)"), "numero"])
    op.create_index("ix_adherents_status_lower_raison_sociale_numero", "adherents",
                    ["status", sa.text("lower(raison_sociale)"), "numero"])
    op.create_index("ix_accounts_status_teleservice_login_key_id", "accounts",
                    ["status", "teleservice", "login_key", "id"])
    op.create_index("ix_accounts_teleservice_status_login_key_id", "accounts",
                    ["teleservice", "status", "login_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_teleservice_status_login_key_id", "accounts")
    op.drop_index("ix_accounts_status_teleservice_login_key_id", "accounts")
    op.drop_index("ix_adherents_status_lower_raison_sociale_numero", "adherents")
    op.drop_index("ix_adherents_lower_raison_sociale_numero", "adherents")
    op.drop_index("ix_accounts_teleservice_nom_prenom_login_key_id_status", "accounts")
    op.drop_index("ix_accounts_status_nom_prenom_login_key_id_teleservice", "accounts")
    op.drop_index("ix_adherents_created_at_numero", "adherents")
    op.drop_index("ix_adherents_status_numero", "adherents")
    op.drop_index("ix_accounts_teleservice_login_key_id", "accounts")
    op.drop_index("ix_accounts_status_login_key_id", "accounts")
    op.drop_index("ix_submissions_received_at_id", "submissions")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("last_sign_in_at")
