"""`provisioner template --adherent NUMERO`: read one company from the store, write its pre-filled workbook.

The store is read here, in one read-only unit of work, the way the pipeline
plans against it; the workbook layer (workbook/prefill.py) gets plain values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from provisioner.domain.vocabulary import Teleservice
from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.workbook.prefill import Snapshot, write_prefilled_workbook


class UnknownAdherent(LookupError):
    """Aucun adhérent n'a le numéro {numero}."""

    def __init__(self, numero: str) -> None:
        self.numero = numero
        super().__init__((self.__doc__ or "").format(numero=numero))


@dataclass(frozen=True)
class Prefilled:
    """What was written, for the command to say (never a value of the workbook)."""

    path: Path
    numero: str
    status: str  # pending | active: a pending company cannot send a Mise à jour yet
    accounts: int
    disabled: int


def load_snapshot(ctx: ServiceContext, numero: str) -> Snapshot:
    """The company `numero` and its accounts (read the way the pipeline plans against them)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        row = uow.adherents.get(numero)
        if row is None:
            raise UnknownAdherent(numero)
        view = uow.accounts.view(row, ())
    assert view.company is not None
    order = {str(t): i for i, t in enumerate(Teleservice)}
    accounts = sorted(view.accounts.values(), key=lambda a: (order.get(a.teleservice, len(order)), a.login_key))
    # The details the planner compares a Mise à jour with are those of `company`: taking the
    # name from there first is what makes an unchanged workbook raise no request.
    name = view.company.company.get("raison_sociale") or row.raison_sociale or ""
    return Snapshot(view.company, name, tuple(accounts))


def write_prefilled(ctx: ServiceContext, numero: str, path: str | os.PathLike[str]) -> Prefilled:
    """Write the pre-filled workbook of `numero` to `path` (atomically) and say what it holds."""
    snapshot = load_snapshot(ctx, numero)
    target = write_prefilled_workbook(snapshot, path, now=ctx.clock())
    disabled = sum(1 for a in snapshot.accounts if not a.active)
    return Prefilled(target, numero, snapshot.company.status, len(snapshot.accounts), disabled)
