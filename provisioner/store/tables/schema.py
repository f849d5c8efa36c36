"""What every table of the store shares: the metadata (with its naming convention), the time column type,
the closed lists CHECK constraints hold to, and the created/updated columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Dialect, MetaData, TypeDecorator

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


def created_column() -> Column[datetime]:
    return Column("created_at", UtcDateTime(), nullable=False, default=utcnow)


def updated_column() -> Column[datetime]:
    return Column("updated_at", UtcDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
