"""The companies' portal: its jetons (verifications and followed submissions) and its rate counters.

They live in the store so that several portals behind one reverse proxy
share them.

Revision ID: 0008_portal
Revises: 0008_office
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_portal"
down_revision = "0008_office"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "portal_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        _ts("created_at"),
        _ts("expires_at"),
        sa.CheckConstraint("kind IN ('verification', 'suivi')", name="ck_portal_tokens_kind"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_portal_tokens"),
    )
    op.create_index("ix_portal_tokens_expires_at", "portal_tokens", ["expires_at"])
    op.create_table(
        "portal_counters",
        sa.Column("key", sa.String(128), nullable=False),
        _ts("window_start"),
        sa.Column("hits", sa.Integer(), nullable=False),
        _ts("expires_at"),
        sa.CheckConstraint("hits >= 0", name="ck_portal_counters_hits"),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_portal_counters"),
    )
    op.create_index("ix_portal_counters_expires_at", "portal_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_portal_counters_expires_at", table_name="portal_counters")
    op.drop_table("portal_counters")
    op.drop_index("ix_portal_tokens_expires_at", table_name="portal_tokens")
    op.drop_table("portal_tokens")
