"""Mail: the outbox of messages to send, and the IMAP door's receipts of the mails it takes."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, Integer, String, Table, Text, text

from provisioner.store.tables.schema import (
    MAIL_RECEIPT_STATES,
    MAIL_STATUSES,
    UtcDateTime,
    created_column,
    metadata,
    one_of,
    utcnow,
)

# Transactional outbox: written in the submission's transaction, sent after commit.
mail_queue = Table(
    "mail_queue",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(255), nullable=False, unique=True),  # stable across retries
    Column("kind", String(32), nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("subject", String(255), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text),
    Column("attachments", JSON, nullable=False, default=list),  # file paths
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("last_error", Text),
    created_column(),
    Column("sent_at", UtcDateTime()),
    Column("submission_id", String(32)),
    Column("headers", JSON),  # a reply's threading: {"In-Reply-To": …, "References": …} (migration 0008_imap)
    CheckConstraint(one_of("status", MAIL_STATUSES), name="status"),
)
Index(None, mail_queue.c.status, mail_queue.c.next_attempt_at)
Index(None, mail_queue.c.submission_id)

# The IMAP door's mails, keyed as the mailbox names them: inserted when a mail is taken (the claim
# between instances), finished in the transaction that queues its reply. `digest` (SHA-256 of the mail)
# finds a mail again under a new UIDVALIDITY. Never a byte of the mail itself.
mail_receipts = Table(
    "mail_receipts",
    metadata,
    Column("folder", String(255), primary_key=True),
    Column("uidvalidity", BigInteger, primary_key=True),
    Column("uid", BigInteger, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("token", String(32), nullable=False),  # the deposit that carries it
    Column("state", String(16), nullable=False),
    Column("taken_at", UtcDateTime(), nullable=False, default=utcnow),
    Column("finished_at", UtcDateTime()),
    CheckConstraint(one_of("state", MAIL_RECEIPT_STATES), name="state"),
)
Index(None, mail_receipts.c.folder, mail_receipts.c.digest)
