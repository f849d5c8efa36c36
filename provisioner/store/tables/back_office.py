"""The back office on the web (issue 12): its operators, their sessions, failed sign-ins per address."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, text

from provisioner.store.tables.schema import UtcDateTime, created_column, metadata, one_of, updated_column, utcnow

OPERATOR_ROLES = ("lecture", "validation", "admin")  # each role can do what the one before can

# The Agence Virtuelle's people. Failed sign-ins are counted and locked like companies'.
operators = Table(
    "operators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(64), nullable=False, unique=True),  # already NFKC + casefolded
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("failed_logins", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UtcDateTime()),
    created_column(),
    updated_column(),
    Column("last_sign_in_at", UtcDateTime()),
    CheckConstraint(one_of("role", OPERATOR_ROLES), name="role"),
    CheckConstraint("failed_logins >= 0", name="failed_logins"),
)

# Signed-in browsers. The cookie holds a random token; only its SHA-256 is kept,
# so a copy of the database opens no session.
operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator_id", Integer, ForeignKey("operators.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    created_column(),
    Column("last_seen_at", UtcDateTime(), nullable=False, default=utcnow),
)
Index(None, operator_sessions.c.operator_id)

# Failed sign-ins per client address (the per-address limit), kept for the limit's window only.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)
Index(None, sign_in_failures.c.address, sign_in_failures.c.at)
Index(None, sign_in_failures.c.at)
