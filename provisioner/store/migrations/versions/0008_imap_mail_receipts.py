"""The IMAP door: `mail_receipts` (each mail taken from the mailbox, keyed by folder, UIDVALIDITY and
UID) and `mail_queue.headers` (a reply's In-Reply-To and References).

Revision ID: 0008_imap
Revises: 0008_portal
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_imap"
down_revision = "0008_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_receipts",
        sa.Column("folder", sa.String(255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('in_hand', 'processed', 'ignored')", name="ck_mail_receipts_state"),
        sa.PrimaryKeyConstraint("folder", "uidvalidity", "uid", name="pk_mail_receipts"),
    )
    op.create_index("ix_mail_receipts_folder_digest", "mail_receipts", ["folder", "digest"])
    with op.batch_alter_table("mail_queue") as batch:
        batch.add_column(sa.Column("headers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mail_queue") as batch:
        batch.drop_column("headers")
    op.drop_index("ix_mail_receipts_folder_digest", table_name="mail_receipts")
    op.drop_table("mail_receipts")
