"""The error codes of each submission, counted, so the dashboard ranks them in SQL.

Existing submissions get theirs from their stored report (the same count as
`repository.error_codes`, frozen here: a migration must not change with the
code after it), read a page of rows at a time so a store of large rejected
reports is never in memory whole.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PAGE = 500
CODE_LENGTH = 64


def upgrade() -> None:
    op.create_table(
        "submission_errors",
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("code", sa.String(CODE_LENGTH), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE",
                                name="fk_submission_errors_submission_id_submissions"),
        sa.PrimaryKeyConstraint("submission_id", "code", name="pk_submission_errors"),
    )
    _fill()


def downgrade() -> None:
    op.drop_table("submission_errors")


def _fill() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    submissions = sa.Table("submissions", meta, sa.Column("id", sa.String(32)), sa.Column("report", sa.JSON()))
    errors = sa.Table("submission_errors", meta, sa.Column("submission_id", sa.String(32)),
                      sa.Column("code", sa.String(CODE_LENGTH)), sa.Column("occurrences", sa.Integer()))
    last = ""
    while True:
        page = conn.execute(sa.select(submissions.c.id, submissions.c.report["errors"])
                            .where(submissions.c.id > last).order_by(submissions.c.id).limit(PAGE)).all()
        if not page:
            return
        rows = [{"submission_id": submission_id, "code": code, "occurrences": count}
                for submission_id, found in page for code, count in _codes(found).items()]
        if rows:
            conn.execute(sa.insert(errors), rows)
        last = page[-1][0]


def _codes(errors: object) -> Counter[str]:
    if not isinstance(errors, list):
        return Counter()
    return Counter(str(e.get("code"))[:CODE_LENGTH] for e in errors if isinstance(e, dict))
