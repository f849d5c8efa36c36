"""The account store: companies (adhérents), their accounts, submissions, requests and the mail outbox.

- `tables`: the schema as SQLAlchemy Core metadata (timestamps aware UTC).
- `migrations/`: Alembic migrations that create and evolve it.
- `db`: `connect(settings)` opens the configured database (SQLite or
  PostgreSQL) and brings its schema to the latest migration.
- one repository per aggregate (`adherents`, `accounts`, `pending_users`,
  `submissions`, `requests`, `history`, `reverts`, `audit`, `mails`,
  `mail_receipts`, `operators`), gathered by `repositories` for the unit of work: the only
  place an INSERT, UPDATE or DELETE is built.

Secrets are stored only as argon2id hashes (`provisioner.security.hashing`).
"""
