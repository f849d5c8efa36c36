"""`submission_origins`: which door each submission came through (the inbox, the mailbox, the portal,
`provisioner process`) and the door's reference for it, written in the submission's transaction.

Submissions made before it have no row: they all came through the inbox or `process`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_origins",
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("door", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(255), server_default="", nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name="pk_submission_origins"),
    )
    op.create_index("ix_submission_origins_door_reference", "submission_origins", ["door", "reference"])


def downgrade() -> None:
    op.drop_index("ix_submission_origins_door_reference", table_name="submission_origins")
    op.drop_table("submission_origins")
