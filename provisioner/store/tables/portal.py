"""The companies' portal (issue 19): its jetons and rate counters. In the store, not in a process: several
portals behind one proxy share them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, LargeBinary, PrimaryKeyConstraint, String, Table

from provisioner.store.tables.schema import UtcDateTime, created_column, metadata, one_of

PORTAL_TOKEN_KINDS = ("verification", "suivi")

# A jeton given to a browser: only its SHA-256 is kept (a copy of the database opens no page).
# A verification keeps its annotated copy (secret-free, encrypted with the service's key) for an
# hour; a suivi is the origin reference of the submission it follows (submission_origins).
portal_tokens = Table(
    "portal_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(255), nullable=False),  # the file's name as shown (escaped)
    Column("content", LargeBinary),
    created_column(),
    Column("expires_at", UtcDateTime(), nullable=False),
    CheckConstraint(one_of("kind", PORTAL_TOKEN_KINDS), name="kind"),
)
Index(None, portal_tokens.c.expires_at)

# Fixed-window counters: uploads per client address and hour, pre-filled workbooks per company and day.
portal_counters = Table(
    "portal_counters",
    metadata,
    Column("key", String(128), nullable=False),
    Column("window_start", UtcDateTime(), nullable=False),
    Column("hits", Integer, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("key", "window_start", name="pk_portal_counters"),
    CheckConstraint("hits >= 0", name="hits"),
)
Index(None, portal_counters.c.expires_at)
