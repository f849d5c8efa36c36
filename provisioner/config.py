"""Settings, read once from an optional TOML file and the environment (environment wins).

The file is `provisioner.toml` in the working directory, or the path in
`PROVISIONER_CONFIG`; its keys are the variable names without the prefix, in
lower case (`database_url = "postgresql+psycopg://..."`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    inbox: Path = Path("inbox")
    outbox: Path = Path("outbox")
    archive: Path = Path("var/archive")
    quarantine: Path = Path("var/quarantine")
    var_dir: Path = Path("var")
    poll_seconds: float = 10.0
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_timeout: float = 30.0
    mail_from: str = "teleservices@cimr.ma"
    mail_give_up_hours: float = 48.0
    max_file_mb: float = 10.0
    lock_after: int = 5
    lock_minutes: float = 30.0
    hash_workers: int = 0  # 0: one per core
    incomplete_after_seconds: float = 600.0  # a zip in the inbox without its end record waits this long
    # The back office on the web (provisioner/web/).
    web_enabled: bool = True
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_secure_cookies: bool = False  # on behind HTTPS: the session cookie is then never sent in clear
    web_idle_minutes: float = 30.0
    web_session_hours: float = 12.0  # a session ends this long after sign-in, however busy
    web_signin_per_ip: int = 20  # failed sign-ins per client address in 15 minutes; then 429
    web_trusted_proxy: str = ""  # addresses or networks (comma-separated) whose X-Forwarded-For names the client
    # The companies' portal (provisioner/portal/): its own listener, meant to face the internet.
    portal_enabled: bool = True
    portal_host: str = "127.0.0.1"
    portal_port: int = 8001
    portal_uploads_per_hour: int = 30  # per client address, /verifier and /envoyer together
    portal_prefills_per_day: int = 3  # pre-filled workbooks emailed per company
    # Peers whose X-Forwarded-For is believed (the reverse proxy's address); empty: none, the peer is the client.
    portal_trusted_proxies: str = ""
    abonnement_max_users: int = 100  # an anonymous Abonnement's work is bounded
    secret_key: str = ""  # Fernet key for secrets at rest; empty: generated once into var/secret.key
    quarantine_days: float = 30.0  # quarantined files (encrypted) are purged after this
    reader_memory_mb: int = 1024  # address space a reader child may add to its imports
    reader_seconds: float = 60.0  # time a reader child may take on one file
    # The IMAP door (service/mailbox/imap_door.py): no host, no email intake.
    imap_host: str = ""
    imap_port: int = 0  # 0: 993 with implicit TLS, else 143
    imap_user: str = ""
    imap_password: str = ""
    imap_ssl: bool = True  # implicit TLS
    imap_starttls: bool = False
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Traités"
    imap_ignored_folder: str = "Ignorés"
    imap_max_message_mb: float = 25.0

    @property
    def effective_imap_port(self) -> int:
        return self.imap_port or (993 if self.imap_ssl else 143)
    # PostgreSQL: how long a statement waits for a row another session holds, and runs at most (0: no limit).
    db_lock_timeout_seconds: float = 30.0
    db_statement_timeout_seconds: float = 600.0

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.var_dir / 'provisioner.db').as_posix()}"

    def __repr__(self) -> str:  # never show credentials
        return "Settings(...)"


_PREFIX = "PROVISIONER_"


def _convert(name: str, typ: Any, raw: Any) -> Any:
    try:
        if typ in (Path, "Path"):
            return Path(str(raw))
        if typ in (bool, "bool"):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on", "oui"):
                return True
            if text in ("0", "false", "no", "off", "non", ""):
                return False
            raise ValueError(raw)
        if typ in (int, "int"):
            return int(str(raw))
        if typ in (float, "float"):
            value = float(str(raw))
            if value < 0:
                raise ValueError(raw)
            return value
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{_PREFIX}{name.upper()}: invalid value {str(raw)[:40]!r}") from None


def load_settings(env: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    env = os.environ if env is None else env
    path = config_file or Path(env.get(f"{_PREFIX}CONFIG", "provisioner.toml"))
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
    known = {f.name: f for f in fields(Settings)}
    for name in known:
        if f"{_PREFIX}{name.upper()}" in env:
            values[name] = env[f"{_PREFIX}{name.upper()}"]
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    settings = Settings(**{k: _convert(k, known[k].type, v) for k, v in values.items()})
    for name in ("poll_seconds", "web_idle_minutes", "web_session_hours", "web_signin_per_ip"):
        if getattr(settings, name) <= 0:  # a zero limit would end every session at once: sign-in for ever
            raise ConfigError(f"{_PREFIX}{name.upper()} must be positive")
    if settings.imap_host and settings.imap_ssl and settings.imap_starttls:
        raise ConfigError(f"{_PREFIX}IMAP_SSL and {_PREFIX}IMAP_STARTTLS: choose one")
    return settings
