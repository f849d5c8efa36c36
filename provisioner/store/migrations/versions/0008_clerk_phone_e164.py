"""Phone numbers stored in one form: E.164, Morocco the default region.

From now on the workbook's phone numbers are stored as E.164 (`+212661000111`):
the numbers already stored are put in that form, so that a pre-filled workbook
sent back, or a number written another way (`0661000111`, `00212661000111`),
is no change. A value that is no phone number stays as it is. The rule is
frozen here (a migration must not change with the code after it).
Downgrade leaves the numbers as they are: E.164 is a valid way to write them.

Revision ID: 0008_clerk_phone_e164
Revises: 0008_imap
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "0008_clerk_phone_e164"
down_revision = "0008_imap"
branch_labels = None
depends_on = None

_PHONE_CHARS = re.compile(r"\+?[0-9 .()/-]+")
ACCOUNT_PHONES = ("telephone", "fax", "gsm")
# JSON columns: (table, column, the phone keys inside)
JSON_PHONES = (("adherents", "company", ("tel1", "tel2", "fax", "gsm")),
               ("adherents", "delegue", ("tel", "gsm", "fax")),
               ("pending_users", "record", ACCOUNT_PHONES))


def e164(value: object) -> object:
    if not isinstance(value, str) or not _PHONE_CHARS.fullmatch(value):
        return value
    try:
        number = phonenumbers.parse(value, "MA")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    accounts = sa.Table("accounts", meta, sa.Column("id", sa.Integer),
                        *(sa.Column(k, sa.String(32)) for k in ACCOUNT_PHONES))
    for row in conn.execute(sa.select(accounts)).mappings().all():
        changed = {k: e164(row[k]) for k in ACCOUNT_PHONES if e164(row[k]) != row[k]}
        if changed:
            conn.execute(accounts.update().where(accounts.c.id == row["id"]).values(**changed))
    for table_name, column, keys in JSON_PHONES:
        table = sa.Table(table_name, sa.MetaData(), sa.Column("id", sa.Integer), sa.Column(column, sa.JSON))
        for key, data in conn.execute(sa.select(table.c.id, table.c[column])).all():
            if not isinstance(data, dict):
                continue
            fixed = {**data, **{k: e164(data[k]) for k in keys if k in data}}
            if fixed != data:
                conn.execute(table.update().where(table.c.id == key).values({column: fixed}))


def downgrade() -> None:
    pass  # E.164 is a valid way to write each number: nothing to undo
