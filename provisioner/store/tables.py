"""The account store's tables, as SQLAlchemy Core metadata.

This module is the picture of the schema; the Alembic migrations under
`migrations/versions/` are what creates it (a test checks the two agree).
Never store a secret in clear: passwords and secret answers only as argon2id
hashes, and never a hash in a JSON column (audit rows are shown to people).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
    func,
    text,
)

from provisioner.domain.vocabulary import (
    AccountStatus,
    AdherentStatus,
    MailState,
    RequestKind,
    RequestStatus,
    SubmissionStatus,
)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the only kind of time the store holds."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always gives back aware UTC datetimes.

    SQLite has no time zones: it stores the text and returns naive values, and
    PostgreSQL returns values in the session's time zone. Normalising to UTC
    on the way in keeps SQLite's text comparisons in time order, and on the
    way out lets code compare any stored time with `utcnow()`. A naive value
    is refused: it is a bug (local time or UTC?) the store cannot resolve.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to the store: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Named constraints let later migrations alter them, on SQLite too (batch mode).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Closed lists the database itself holds to (see the CHECK constraints).
ADHERENT_STATUSES = tuple(s.value for s in AdherentStatus)
ACCOUNT_STATUSES = tuple(s.value for s in AccountStatus)
SUBMISSION_STATUSES = tuple(s.value for s in SubmissionStatus)
REQUEST_KINDS = tuple(k.value for k in RequestKind)
REQUEST_STATUSES = tuple(s.value for s in RequestStatus)
MAIL_STATUSES = ("pending", "sent", "failed")
MAIL_RECEIPT_STATES = tuple(s.value for s in MailState)
# Where a change came from (history.origin).
HISTORY_ORIGINS = ("submission", "subscription", "request", "operator", "revert")
CATEGORIES = ("D", "S0", "S1", "S2", "S3")  # vocabulary.CATEGORIES, frozen into the schema
ERROR_CODE_LENGTH = 64  # submission_errors.code: our codes are short constants; longer is cut


def one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL for `column IN (...)`; values are our constants, never user input."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _created() -> Column[datetime]:
    return Column("created_at", UtcDateTime(), nullable=False, default=utcnow)


def _updated() -> Column[datetime]:
    return Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


adherents = Table(
    "adherents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("numero", String(10), nullable=False, unique=True),
    Column("raison_sociale", String(255)),
    Column("status", String(16), nullable=False, server_default="pending"),
    # Head of company and company details: keys of vocabulary.ADHERENT_DETAIL_KEYS.
    Column("company", JSON, nullable=False),
    # The delegate (administrateur des utilisateurs): vocabulary.DELEGUE_DETAIL_KEYS.
    Column("delegue", JSON, nullable=False),
    Column("notification_email", String(254)),
    Column("admin_password_hash", String(255), nullable=False),
    Column("confirmations", Integer, nullable=False, server_default=text("1")),
    Column("failed_auth", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UtcDateTime()),
    _created(),
    Column("activated_at", UtcDateTime()),
    _updated(),
    CheckConstraint(one_of("status", ADHERENT_STATUSES), name="status"),
    CheckConstraint("confirmations IN (1, 2)", name="confirmations"),
    CheckConstraint("failed_auth >= 0", name="failed_auth"),
)
Index(None, adherents.c.status)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("adherent_id", Integer, ForeignKey("adherents.id"), nullable=False),
    Column("teleservice", String(32), nullable=False),
    Column("login", String(30), nullable=False),  # as typed, shown to people
    # NFKC + casefold (domain.keys.login_key): one login across the whole store,
    # whatever the company or téléservice.
    Column("login_key", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("civilite", String(8)),
    Column("nom", String(255), nullable=False),
    Column("prenom", String(255), nullable=False),
    Column("fonction", String(255), nullable=False),
    Column("telephone", String(32)),
    Column("fax", String(32)),
    Column("gsm", String(32)),
    Column("email", String(254), nullable=False),
    Column("mode", String(32)),
    Column("prestataire", String(255)),
    Column("ordonnateur", Boolean, nullable=False, server_default=false()),
    Column("validateur", Boolean, nullable=False, server_default=false()),
    Column("password_hash", String(255), nullable=False),
    # Nullable: a user activated from a subscription may come without them.
    Column("question1", String(255)),
    Column("question2", String(255)),
    Column("question3", String(255)),
    Column("answer1_hash", String(255)),
    Column("answer2_hash", String(255)),
    Column("answer3_hash", String(255)),
    _created(),
    _updated(),
    CheckConstraint(one_of("status", ACCOUNT_STATUSES), name="status"),
)
Index(None, accounts.c.adherent_id, accounts.c.teleservice)

account_categories = Table(
    "account_categories",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("category", String(4), nullable=False),
    PrimaryKeyConstraint("account_id", "category"),
    CheckConstraint(one_of("category", CATEGORIES), name="category"),
)

# Users of an Abonnement, validated with it and created when the Agence
# Virtuelle validates the subscription (checked again then).
pending_users = Table(
    "pending_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("adherent_id", Integer, ForeignKey("adherents.id"), nullable=False),
    Column("submission_id", String(32), nullable=False),
    Column("teleservice", String(32), nullable=False),
    Column("login", String(30), nullable=False),
    # Not unique: uniqueness is checked (and enforced by `accounts`) at activation.
    Column("login_key", String(64), nullable=False),
    # Non-secret fields of the row, categories included; never a password or hash.
    Column("record", JSON, nullable=False),
    Column("password_hash", String(255)),  # null: generated at activation
    Column("answer1_hash", String(255)),
    Column("answer2_hash", String(255)),
    Column("answer3_hash", String(255)),
    _created(),
)
Index(None, pending_users.c.adherent_id)
Index(None, pending_users.c.login_key)

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

# Changes that need the Agence Virtuelle's approval (a signed letter).
requests = Table(
    "requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("adherent_id", Integer, ForeignKey("adherents.id"), nullable=False),
    Column("submission_id", String(32)),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="waiting"),
    _created(),
    Column("decided_at", UtcDateTime()),
    Column("decided_by", String(64)),
    CheckConstraint(one_of("kind", REQUEST_KINDS), name="kind"),
    CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
)
Index(None, requests.c.status)
Index(None, requests.c.adherent_id)

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
    _created(),
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

# -- the back office on the web (issue 12) ---------------------------------------------

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
    _created(),
    _updated(),
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
    _created(),
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
# Every column a deep list page sorts and pages on (the list reads ids from the index alone).
Index(None, submissions.c.received_at, submissions.c.id)
Index(None, accounts.c.status, accounts.c.login_key, accounts.c.id)
Index(None, accounts.c.teleservice, accounts.c.login_key, accounts.c.id)
# The companies' and the accounts' other sorts (web: read_models SORTS), each with its filters' columns.
Index(None, adherents.c.status, adherents.c.numero)
Index(None, adherents.c.created_at, adherents.c.numero)
# By name: the accounts' list always has a filter or a search (a search sorts its few matches itself).
Index(None, accounts.c.status, accounts.c.nom, accounts.c.prenom, accounts.c.login_key, accounts.c.id,
      accounts.c.teleservice)
Index(None, accounts.c.teleservice, accounts.c.nom, accounts.c.prenom, accounts.c.login_key, accounts.c.id,
      accounts.c.status)
Index("ix_adherents_lower_raison_sociale_numero", func.lower(adherents.c.raison_sociale), adherents.c.numero)
Index("ix_adherents_status_lower_raison_sociale_numero", adherents.c.status, func.lower(adherents.c.raison_sociale),
      adherents.c.numero)
Index(None, accounts.c.status, accounts.c.teleservice, accounts.c.login_key, accounts.c.id)
Index(None, accounts.c.teleservice, accounts.c.status, accounts.c.login_key, accounts.c.id)

# -- the companies' portal (issue 19) --------------------------------------------------
# In the store, not in a process: several portals behind one proxy share them.

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
    _created(),
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

# What the web pages search and sort on, at 20,000 companies and 200,000 accounts.
Index("ix_accounts_lower_nom", func.lower(accounts.c.nom))
Index("ix_accounts_lower_prenom", func.lower(accounts.c.prenom))
Index("ix_accounts_lower_email", func.lower(accounts.c.email))
Index("ix_adherents_lower_raison_sociale", func.lower(adherents.c.raison_sociale))
Index(None, adherents.c.locked_until)  # the dashboard's locked companies
Index(None, submissions.c.received_at)
# The dashboard's counts by status over the last 24 hours, and its unfinished submissions.
Index(None, submissions.c.status, submissions.c.received_at)
Index(None, submissions.c.finished_at)
Index(None, audit.c.actor, audit.c.id)
