"""`requests list`'s Détail column: a request's stored payload (JSON) in one line."""

from __future__ import annotations

from provisioner.cli.requests import _detail
from provisioner.domain.vocabulary import RequestKind


def test_a_field_change_reads_before_and_after() -> None:
    payload = {"before": {"email": "old@x.ma"}, "changes": {"email": "new@x.ma", "telephone": "+212600000000"}}
    assert _detail(RequestKind.DELEGUE_CHANGE, payload) == "email : old@x.ma → new@x.ma; telephone : ∅ → +212600000000"


def test_a_held_plan_lists_the_accounts_it_would_disable() -> None:
    payload = {"disable": 2, "active": 3, "changes": [
        {"action": "disable", "teleservice": "compte_adherent", "login": "a.b"},
        {"action": "update", "teleservice": "compte_adherent", "login": "c.d"},
        {"action": "disable", "teleservice": "compte_adherent", "login": "e.f"}]}
    said = _detail(RequestKind.MASS_DISABLE, payload)
    assert said.endswith(" Comptes : a.b, e.f")
    assert said.startswith("Désactivation de 2 comptes sur 3 actifs.")
