"""Who changed what: the audit journal, the history of every account and company setting, and the reverts."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text, false

from provisioner.store.tables.schema import HISTORY_ORIGINS, UtcDateTime, metadata, one_of, utcnow

# Who changed what. `before`/`after` never hold a secret or a hash.
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False, default=utcnow),
    Column("actor", String(64), nullable=False),
    Column("adherent_numero", String(10)),
    Column("action", String(64), nullable=False),
    Column("target", String(255)),
    Column("before", JSON(none_as_null=True)),
    Column("after", JSON(none_as_null=True)),
)
Index(None, audit.c.adherent_numero, audit.c.at)

# Every change to an account or to a company setting, in order, with its origin: what
# `accounts history` shows and what a revert reads. `fields` and `before` are shown to people:
# never a secret or a hash. The hashes a change replaced are kept apart, in previous_*, only so
# that a revert can put them back; nothing ever shows those columns.
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False, default=utcnow),
    Column("adherent_id", Integer, ForeignKey("adherents.id"), nullable=False),
    # Null: a company setting. Accounts are never deleted by the service; if one is by hand, its history goes too.
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("teleservice", String(32)),
    Column("login", String(30)),
    # create, update, disable, enable, reset_password; confirmations, admin_password (company)
    Column("action", String(32), nullable=False),
    Column("fields", JSON, nullable=False),  # [{"column", "old", "new"}], a secret column by name only
    Column("before", JSON(none_as_null=True)),  # the public state it replaced; null for a creation
    Column("origin", String(16), nullable=False),
    Column("change_set", String(32)),  # the submission (or revert) it belongs to: what a revert undoes
    Column("reference", String(1024)),  # the file name, the request number…: show escaped
    Column("actor", String(64), nullable=False),
    Column("reason", Text),
    Column("previous_password_hash", String(255)),
    Column("previous_answer1_hash", String(255)),
    Column("previous_answer2_hash", String(255)),
    Column("previous_answer3_hash", String(255)),
    CheckConstraint(one_of("origin", HISTORY_ORIGINS), name="origin"),
)
Index(None, history.c.account_id, history.c.id)
Index(None, history.c.adherent_id, history.c.id)
Index(None, history.c.change_set)

# A submission (or a revert) undone: at most once each (`target` is unique).
reverts = Table(
    "reverts",
    metadata,
    Column("id", String(32), primary_key=True),  # R20261201T193000-1a2b3c4d: a change set of its own
    Column("target", String(32), nullable=False, unique=True),
    Column("adherent_id", Integer, ForeignKey("adherents.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False, default=utcnow),
    Column("operator", String(64), nullable=False),
    Column("reason", Text),
    Column("forced", Boolean, nullable=False, server_default=false()),
    Column("left", JSON, nullable=False),  # what --force left as it was: [{login, teleservice, later}]
)
# The journal's filter by actor.
Index(None, audit.c.actor, audit.c.id)
