"""User accounts: the CLI's list, the web's search across companies and one account; never a hash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import Connection, func, literal_column, select, union

from provisioner.domain.keys import login_key
from provisioner.domain.vocabulary import CATEGORIES, teleservice_of
from provisioner.service.agence.operator_commands import UnknownAdherent
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.errors import UnknownAccount, UnknownTeleservice
from provisioner.service.read_models.paging import COUNT_CAP, PAGE_SIZE, SEARCH_MIN, Page, prefix
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.base import SomeColumn, SomeRow, SomeSelect
from provisioner.store.tables import account_categories, accounts, adherents


class AccountSummary(TypedDict):
    adherent: str  # the company's number
    login: str
    teleservice: str
    status: str
    nom: str | None
    prenom: str | None
    fonction: str | None
    email: str | None
    powers: list[str]  # ordonnateur, validateur
    categories: list[str]  # in the workbook's order


class _AccountFields(TypedDict):
    """What every list of accounts shows of one."""

    id: int
    login: str
    teleservice: str
    status: str
    nom: str | None
    prenom: str | None
    email: str | None


class AccountFound(_AccountFields):
    numero: str  # the company's
    raison_sociale: str | None


class AccountColumns(_AccountFields):
    """An account as a company's page lists it, before its categories."""

    ordonnateur: bool
    validateur: bool


class CompanyAccount(AccountColumns):
    categories: list[str]
    powers: list[str]  # ordonnateur, validateur


class AccountDetail(TypedDict):
    id: int
    login: str
    teleservice: str
    status: str
    nom: str | None
    prenom: str | None
    email: str | None
    telephone: str | None
    fonction: str | None
    ordonnateur: bool
    validateur: bool
    created_at: datetime
    numero: str  # the company's
    raison_sociale: str | None
    categories: list[str]
    powers: list[str]


def list_accounts(ctx: ServiceContext, adherent: str | None = None,
                  teleservice: str | None = None) -> list[AccountSummary]:
    """Accounts, of one company and/or one téléservice: who, where, status, powers, categories; never a hash."""
    if teleservice is not None and teleservice_of(teleservice) is None:
        raise UnknownTeleservice(key=teleservice)
    with UnitOfWork(ctx, read_only=True) as uow:
        if adherent is not None and uow.adherents.get(adherent) is None:
            raise UnknownAdherent(numero=adherent)  # an unknown number is not a company without accounts
        columns = (adherents.c.numero, accounts.c.id, accounts.c.login, accounts.c.teleservice,
                   accounts.c.status, accounts.c.nom, accounts.c.prenom, accounts.c.fonction, accounts.c.email,
                   accounts.c.ordonnateur, accounts.c.validateur)
        query = _account_filter(select(*columns), adherent, teleservice).order_by(
            adherents.c.numero, accounts.c.teleservice, accounts.c.login)
        rows = uow.conn.execute(query).all()
        categories = _categories(uow.conn, adherent, teleservice)
    return [_summary(row, categories.get(row.id, [])) for row in rows]


def _account_filter(query: SomeSelect, adherent: str | None, teleservice: str | None) -> SomeSelect:
    query = query.select_from(accounts.join(adherents, adherents.c.id == accounts.c.adherent_id))
    if adherent is not None:
        query = query.where(adherents.c.numero == adherent)
    if teleservice is not None:
        query = query.where(accounts.c.teleservice == teleservice)
    return query


def _categories(conn: Connection, adherent: str | None, teleservice: str | None) -> dict[int, list[str]]:
    query = _account_filter(select(account_categories.c.account_id, account_categories.c.category),
                            adherent, teleservice).join(
        account_categories, account_categories.c.account_id == accounts.c.id)
    found: dict[int, list[str]] = {}
    for account_id, category in conn.execute(query):
        found.setdefault(account_id, []).append(category)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return {k: sorted(v, key=lambda c: order.get(c, len(order))) for k, v in found.items()}


def _summary(row: SomeRow, categories: list[str]) -> AccountSummary:
    return {"adherent": row.numero, "login": row.login, "teleservice": row.teleservice, "status": row.status,
            "nom": row.nom, "prenom": row.prenom, "fonction": row.fonction, "email": row.email,
            "powers": powers(row.ordonnateur, row.validateur), "categories": categories}


def powers(ordonnateur: object, validateur: object) -> list[str]:
    """The powers an account holds, by name."""
    return [name for name, on in (("ordonnateur", ordonnateur), ("validateur", validateur)) if on]


def categories_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """The categories of each of the accounts `ids` that has some, in alphabetical order."""
    found: dict[int, list[str]] = {}
    if ids:
        query = select(account_categories.c.account_id, account_categories.c.category).where(
            account_categories.c.account_id.in_(ids)).order_by(account_categories.c.category)
        for account_id, category in conn.execute(query):
            found.setdefault(account_id, []).append(category)
    return found


def with_categories(conn: Connection, rows: Sequence[AccountColumns]) -> list[CompanyAccount]:
    """Each account with its categories and its powers."""
    found = categories_of(conn, [r["id"] for r in rows])
    return [CompanyAccount(**r, categories=found.get(r["id"], []), powers=powers(r["ordonnateur"], r["validateur"]))
            for r in rows]


# How found accounts may be sorted: by login (the default), name, téléservice, status; login breaks ties.
# Each has an index that also holds the filters' columns (store.tables), so a deep page reads no rows.
SORTS: dict[str, tuple[SomeColumn, ...]] = {
    "login": (),
    "nom": (accounts.c.nom, accounts.c.prenom),
    "teleservice": (accounts.c.teleservice,),
    "statut": (accounts.c.status,),
}


def sort_keys(sort: str) -> tuple[SomeColumn, ...]:
    """The columns `sort` orders by, login last (unique): what a page and the export order by."""
    return (*SORTS.get(sort, ()), accounts.c.login_key)


def matching_accounts(ctx: ServiceContext, q: str, *, teleservice: str = "", status: str = "",
                      sort: str = "login") -> SomeSelect:
    """(id, k0, k1…: the keys of `sort`) of the accounts whose login, name, first name or email starts with
    `q` (ignoring case), of one téléservice and/or status; every account of those when `q` is empty."""
    text = q.strip()
    lower = text.lower()
    exact = ctx.engine.dialect.name == "sqlite"  # binary collation: the range alone is the prefix
    wanted = [c for c in (accounts.c.teleservice == teleservice if teleservice else None,
                          accounts.c.status == status if status else None) if c is not None]
    columns = (accounts.c.id, *(key.label(f"k{i}") for i, key in enumerate(sort_keys(sort))))
    if not text:
        return select(*columns).where(*wanted)
    # One indexed range per column, each carrying the sort keys: the union is cut to the page before
    # any join, not the thousands a common name matches.
    branches = [select(*columns).where(prefix(column, value, exact=exact), *wanted)
                for column, value in ((accounts.c.login_key, login_key(text)),
                                      (func.lower(accounts.c.nom), lower), (func.lower(accounts.c.prenom), lower),
                                      (func.lower(accounts.c.email), lower))]
    return cast(SomeSelect, union(*branches))


def found_columns() -> SomeSelect:
    return select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status, accounts.c.nom,
                  accounts.c.prenom, accounts.c.email, adherents.c.numero, adherents.c.raison_sociale)


def search_accounts(ctx: ServiceContext, q: str, *, teleservice: str = "", status: str = "", sort: str = "login",
                    page: int = 1) -> Page[AccountFound]:
    """Accounts whose login, name, first name or email starts with `q` (ignoring case), across companies,
    of one téléservice and/or status, sorted by `sort`."""
    text = q.strip()
    if len(text) < SEARCH_MIN and not (teleservice or status):
        return Page([], 1, False, {"too_short": bool(text)})
    if len(text) < SEARCH_MIN:
        text = ""
    number = max(1, page)
    every = matching_accounts(ctx, text, teleservice=teleservice, status=status, sort=sort)
    keys = sort_keys(sort)
    matching = (every.order_by(*(literal_column(f"k{i}") for i in range(len(keys))))
                .limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE).subquery())
    query = (found_columns()
             .join(matching, matching.c.id == accounts.c.id)
             .join(adherents, adherents.c.id == accounts.c.adherent_id)
             .order_by(*keys))
    with UnitOfWork(ctx, read_only=True) as uow:
        rows = [cast(AccountFound, dict(r._mapping)) for r in uow.conn.execute(query)]
        if len(rows) <= PAGE_SIZE:  # the last page: the total is known without counting
            total = (number - 1) * PAGE_SIZE + len(rows)
        elif text:  # a text search ("bennani" matches thousands): counting would double the page's cost
            return Page(rows[:PAGE_SIZE], number, True)
        else:  # by téléservice or status alone: an index counts, up to a cap
            capped = every.limit(COUNT_CAP + 1).subquery()
            total = int(uow.conn.execute(select(func.count()).select_from(capped)).scalar_one())
    if total > COUNT_CAP:
        return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, {"at_least": COUNT_CAP})
    return Page(rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE, total=total)


def account_detail(ctx: ServiceContext, login: str) -> AccountDetail:
    """One account by login (ignoring case): its public details, powers, categories and company; never a
    hash."""
    query = (select(accounts.c.id, accounts.c.login, accounts.c.teleservice, accounts.c.status, accounts.c.nom,
                    accounts.c.prenom, accounts.c.email, accounts.c.telephone, accounts.c.fonction,
                    accounts.c.ordonnateur, accounts.c.validateur, accounts.c.created_at, adherents.c.numero,
                    adherents.c.raison_sociale)
             .join(adherents, adherents.c.id == accounts.c.adherent_id)
             .where(accounts.c.login_key == login_key(login)))
    with UnitOfWork(ctx, read_only=True) as uow:
        row = uow.conn.execute(query).first()
        if row is None:
            raise UnknownAccount(login=login)
        categories = categories_of(uow.conn, [row.id]).get(row.id, [])
    return {"id": row.id, "login": row.login, "teleservice": row.teleservice, "status": row.status, "nom": row.nom,
            "prenom": row.prenom, "email": row.email, "telephone": row.telephone, "fonction": row.fonction,
            "ordonnateur": row.ordonnateur, "validateur": row.validateur, "created_at": row.created_at,
            "numero": row.numero, "raison_sociale": row.raison_sociale, "categories": categories,
            "powers": powers(row.ordonnateur, row.validateur)}
