"""`inbox_claims` dropped: it was written for every file taken and never read.

Taking a file is its atomic rename into the instance's work folder
(`var/work/<instance>/`): the rename is the claim, and the folder's name
already says which instance holds the file. The row repeated that, best
effort (a failed write was only logged), and nothing asked it anything.
Downgrade recreates the empty table as 0001 made it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("inbox_claims")


def downgrade() -> None:
    op.create_table(
        "inbox_claims",
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("claimed_by", sa.String(255), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("path", name="pk_inbox_claims"),
    )
