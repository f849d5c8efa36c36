"""Companies (adhérents), their accounts and categories, the users of an Abonnement waiting for its
validation, and the requests waiting for a signed letter; with the indexes the web's lists and searches use."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    false,
    func,
    text,
)

from provisioner.store.tables.schema import (
    ACCOUNT_STATUSES,
    ADHERENT_STATUSES,
    CATEGORIES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    UtcDateTime,
    created_column,
    metadata,
    one_of,
    updated_column,
)

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
    created_column(),
    Column("activated_at", UtcDateTime()),
    updated_column(),
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
    created_column(),
    updated_column(),
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
    created_column(),
)
Index(None, pending_users.c.adherent_id)
Index(None, pending_users.c.login_key)

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
    created_column(),
    Column("decided_at", UtcDateTime()),
    Column("decided_by", String(64)),
    CheckConstraint(one_of("kind", REQUEST_KINDS), name="kind"),
    CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
)
Index(None, requests.c.status)
Index(None, requests.c.adherent_id)
# Every column a deep list page sorts and pages on (the list reads ids from the index alone).
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

# What the web pages search and sort on, at 20,000 companies and 200,000 accounts.
Index("ix_accounts_lower_nom", func.lower(accounts.c.nom))
Index("ix_accounts_lower_prenom", func.lower(accounts.c.prenom))
Index("ix_accounts_lower_email", func.lower(accounts.c.email))
Index("ix_adherents_lower_raison_sociale", func.lower(adherents.c.raison_sociale))
Index(None, adherents.c.locked_until)  # the dashboard's locked companies
