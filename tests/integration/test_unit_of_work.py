"""The unit of work: what is committed stays, anything else is rolled back, a read-only one never writes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.tables import audit, utcnow


def audit_rows(ctx: ServiceContext) -> int:
    with UnitOfWork(ctx, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(audit)).scalar_one())


def add_row(uow: UnitOfWork) -> None:
    uow.conn.execute(insert(audit).values(at=utcnow(), actor="test", action="probe", target="uow"))


def test_what_is_committed_stays(ctx: ServiceContext) -> None:
    with UnitOfWork(ctx) as uow:
        add_row(uow)
        uow.commit()
    assert audit_rows(ctx) == 1


def test_what_is_not_committed_is_rolled_back(ctx: ServiceContext) -> None:
    with UnitOfWork(ctx) as uow:
        add_row(uow)
    assert audit_rows(ctx) == 0


def test_an_exception_rolls_back_and_passes_through(ctx: ServiceContext) -> None:
    with pytest.raises(LookupError), UnitOfWork(ctx) as uow:
        add_row(uow)
        raise LookupError("refused")
    assert audit_rows(ctx) == 0


def test_the_connection_is_closed_once_committed(ctx: ServiceContext) -> None:
    with UnitOfWork(ctx) as uow:
        uow.commit()
        with pytest.raises(RuntimeError, match="not open"):
            uow.conn.execute(select(1))


def test_a_read_only_unit_does_not_commit(ctx: ServiceContext) -> None:
    with UnitOfWork(ctx, read_only=True) as uow:
        assert uow.conn.execute(select(1)).scalar_one() == 1
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
