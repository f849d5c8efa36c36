"""Every repository of the store over one connection: what a unit of work carries (`uow.adherents`, …)."""

from __future__ import annotations

from sqlalchemy import Connection

from provisioner.store.accounts import Accounts
from provisioner.store.adherents import Adherents
from provisioner.store.audit import Audit
from provisioner.store.history import History
from provisioner.store.mail_receipts import MailReceipts
from provisioner.store.mails import Mails
from provisioner.store.operators import Operators, Sessions
from provisioner.store.pending_users import PendingUsers
from provisioner.store.requests import Requests
from provisioner.store.reverts import Reverts
from provisioner.store.submissions import Submissions


class Repositories:
    adherents: Adherents
    accounts: Accounts
    pending_users: PendingUsers
    submissions: Submissions
    requests: Requests
    history: History
    reverts: Reverts
    audit: Audit
    mails: Mails
    mail_receipts: MailReceipts
    operators: Operators
    sessions: Sessions

    def __init__(self, conn: Connection) -> None:
        self.bind(conn)

    def bind(self, conn: Connection) -> None:
        """Each repository on `conn` (the unit of work calls it once its transaction has begun)."""
        self.adherents, self.accounts = Adherents(conn), Accounts(conn)
        self.pending_users, self.submissions = PendingUsers(conn), Submissions(conn)
        self.requests, self.history, self.reverts = Requests(conn), History(conn), Reverts(conn)
        self.audit, self.mails, self.mail_receipts = Audit(conn), Mails(conn), MailReceipts(conn)
        self.operators, self.sessions = Operators(conn), Sessions(conn)
