"""The account store: companies (adhérents), their accounts, submissions, requests and the mail outbox.

- `tables`: the schema as SQLAlchemy Core metadata (timestamps aware UTC).
- `migrations/`: Alembic migrations that create and evolve it.
- `db`: `connect(settings)` opens the configured database (SQLite or
  PostgreSQL) and brings its schema to the latest migration.

Secrets are stored only as argon2id hashes (`provisioner.security.hashing`).
"""
