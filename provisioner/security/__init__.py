"""Secrets and authentication: argon2id hashing, password policy and generation, lockout."""
