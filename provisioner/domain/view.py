"""What the planner knows of the store: a snapshot of one company, taken in the transaction.

Plain data, no I/O: the store builds it, the planner reads it, tests write it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.domain.vocabulary import AccountStatus

# Non-secret account fields, as named by the user-sheet layout keys.
ACCOUNT_FIELDS = ("civilite", "nom", "prenom", "fonction", "telephone", "fax", "gsm", "email",
                  "mode", "prestataire")


@dataclass
class AccountState:
    teleservice: str
    login: str
    login_key: str
    status: str  # an AccountStatus
    fields: dict[str, str] = field(default_factory=dict)
    ordonnateur: bool = False
    validateur: bool = False
    categories: frozenset[str] = frozenset()
    questions: tuple[str, str, str] = ("", "", "")
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.status == AccountStatus.ACTIVE


@dataclass
class CompanyState:
    numero: str
    status: str  # an AdherentStatus
    confirmations: int = 1
    company: dict[str, str] = field(default_factory=dict)
    delegue: dict[str, str] = field(default_factory=dict)
    notification_email: str | None = None
    id: int | None = None


@dataclass
class StoreView:
    company: CompanyState | None
    accounts: dict[str, AccountState] = field(default_factory=dict)  # login_key → this company's
    # login_key → where it is taken outside this company (other companies' accounts
    # and waiting users); only for the logins the workbook names.
    taken: dict[str, str] = field(default_factory=dict)
