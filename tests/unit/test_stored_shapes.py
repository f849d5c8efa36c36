"""The TypedDicts that name a JSON column's shape say what its writer really writes (no cast checks it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_type_hints

from provisioner.domain.plan_value import UserChange
from provisioner.store.pending_users import PendingRecord, _pending_row


def test_a_waiting_users_record_has_the_keys_and_value_types_pending_record_names() -> None:
    change = UserChange("create", "DAMANCOM", "u1", "Utilisateurs", 5, values={"nom": "Alami", "email": "a@x.ma"},
                        ordonnateur=True, questions=("q1", "q2", "q3"), categories=frozenset({"S0", "D"}))
    record = _pending_row(1, "s1", change, {}, datetime(2026, 1, 1, tzinfo=UTC))["record"]
    assert isinstance(record, dict)
    hints = get_type_hints(PendingRecord)
    assert set(record) == set(hints)
    assert {k: type(v) for k, v in record.items()} == {k: getattr(t, "__origin__", t) for k, t in hints.items()}
    assert record["nom"] == "Alami" and record["prenom"] == "" and record["categories"] == ["D", "S0"]
