"""Submissions: one row per file received (a duplicate has none), the error codes of its report, and the
door each came through."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table

from provisioner.store.tables.schema import (
    ERROR_CODE_LENGTH,
    SUBMISSION_STATUSES,
    UtcDateTime,
    metadata,
    one_of,
    utcnow,
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(32), primary_key=True),  # short and sortable: S20261126-xxxxxxxx
    Column("sha256", String(64), nullable=False, unique=True),  # same bytes → duplicate
    Column("file_name", String(1024), nullable=False),  # as received: show escaped
    Column("received_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("finished_at", UtcDateTime()),
    Column("adherent_numero", String(10)),
    Column("request_type", String(16)),
    Column("status", String(16), nullable=False, server_default="processing"),
    Column("report", JSON(none_as_null=True)),
    Column("duration_ms", Integer),
    Column("batch_id", String(32)),
    CheckConstraint(one_of("status", SUBMISSION_STATUSES), name="status"),
)
Index(None, submissions.c.status)
Index(None, submissions.c.adherent_numero)
Index(None, submissions.c.batch_id)

# The error codes of each submission's report, counted, written with the submission: the dashboard ranks
# the codes of a week's rejections in SQL instead of decoding every report (some are megabytes).
submission_errors = Table(
    "submission_errors",
    metadata,
    Column("submission_id", String(32), ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(ERROR_CODE_LENGTH), nullable=False),
    Column("occurrences", Integer, nullable=False),
    PrimaryKeyConstraint("submission_id", "code"),
)

# Which door each submission came through (service.intake): the inbox, the mailbox, the companies' portal,
# `provisioner process`, with the door's own reference (a mail's key, a portal jeton). Written in the
# submission's transaction. No foreign key: a duplicate has its report and its id but no submission row.
submission_origins = Table(
    "submission_origins",
    metadata,
    Column("submission_id", String(32), primary_key=True),
    Column("door", String(16), nullable=False),
    Column("reference", String(255), nullable=False, server_default=""),
    Column("recorded_at", UtcDateTime(), nullable=False, default=utcnow),
)
Index(None, submission_origins.c.door, submission_origins.c.reference)
# Every column a deep list page sorts and pages on (the list reads ids from the index alone).
Index(None, submissions.c.received_at, submissions.c.id)
# What the dashboard sorts on and counts: its latest submissions, its counts by status over the last 24 hours,
# its unfinished submissions.
Index(None, submissions.c.received_at)
Index(None, submissions.c.status, submissions.c.received_at)
Index(None, submissions.c.finished_at)
