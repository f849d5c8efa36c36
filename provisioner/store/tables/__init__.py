"""The account store's tables, as SQLAlchemy Core metadata, one module per subject.

This package is the picture of the schema; the Alembic migrations under
`migrations/versions/` are what creates it (a test checks the two agree).
Never store a secret in clear: passwords and secret answers only as argon2id
hashes, and never a hash in a JSON column (audit rows are shown to people).

Every table is imported here, so `metadata` holds them all and `from provisioner.store.tables import x`
finds any of them.
"""

from __future__ import annotations

from provisioner.store.tables.back_office import (
    OPERATOR_ROLES,
    operator_sessions,
    operators,
    sign_in_failures,
)
from provisioner.store.tables.changes import (
    audit,
    history,
    reverts,
)
from provisioner.store.tables.companies import (
    account_categories,
    accounts,
    adherents,
    pending_users,
    requests,
)
from provisioner.store.tables.mails import (
    mail_queue,
    mail_receipts,
)
from provisioner.store.tables.portal import (
    PORTAL_TOKEN_KINDS,
    portal_counters,
    portal_tokens,
)
from provisioner.store.tables.schema import (
    ACCOUNT_STATUSES,
    ADHERENT_STATUSES,
    CATEGORIES,
    ERROR_CODE_LENGTH,
    HISTORY_ORIGINS,
    MAIL_RECEIPT_STATES,
    MAIL_STATUSES,
    NAMING_CONVENTION,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    SUBMISSION_STATUSES,
    UtcDateTime,
    metadata,
    one_of,
    utcnow,
)
from provisioner.store.tables.submissions import (
    submission_errors,
    submission_origins,
    submissions,
)

__all__ = [
    "ACCOUNT_STATUSES",
    "ADHERENT_STATUSES",
    "CATEGORIES",
    "ERROR_CODE_LENGTH",
    "HISTORY_ORIGINS",
    "MAIL_RECEIPT_STATES",
    "MAIL_STATUSES",
    "NAMING_CONVENTION",
    "OPERATOR_ROLES",
    "PORTAL_TOKEN_KINDS",
    "REQUEST_KINDS",
    "REQUEST_STATUSES",
    "SUBMISSION_STATUSES",
    "UtcDateTime",
    "account_categories",
    "accounts",
    "adherents",
    "audit",
    "history",
    "mail_queue",
    "mail_receipts",
    "metadata",
    "one_of",
    "operator_sessions",
    "operators",
    "pending_users",
    "portal_counters",
    "portal_tokens",
    "requests",
    "reverts",
    "sign_in_failures",
    "submission_errors",
    "submission_origins",
    "submissions",
    "utcnow",
]
