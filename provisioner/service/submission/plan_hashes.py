"""The secrets a plan needs hashed, hashed over the cores before the write transaction.

Keyed by where they were typed (sheet, row, field), never by value: two users
with the same password still get two salts. Generated passwords are drawn
here, once, so a re-plan inside the transaction reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioner.domain.keys import answer_key
from provisioner.domain.plan_value import Plan, UserChange
from provisioner.domain.vocabulary import ChangeAction
from provisioner.security.hashing import Hasher
from provisioner.security.passwords import generate_password

ADMIN = ("Délégué", 0, "admin")


@dataclass
class Hashes:
    values: dict[tuple[str, int, str], str] = field(default_factory=dict)
    generated: dict[tuple[str, int], str] = field(default_factory=dict)  # (sheet, row) → password

    def for_change(self, change: UserChange) -> dict[str, str | None]:
        """The hash columns to write for one change (only those it sets)."""
        out: dict[str, str | None] = {}
        key = (change.sheet, change.row)
        if (*key, "password") in self.values:
            out["password_hash"] = self.values[(*key, "password")]
        for i in (1, 2, 3):
            if (*key, f"answer{i}") in self.values:
                out[f"answer{i}_hash"] = self.values[(*key, f"answer{i}")]
        return out


def _wanted(plan: Plan, admin_password: str | None, hashes: Hashes) -> list[tuple[tuple[str, int, str], str, bool]]:
    """(place, plaintext, is_answer) for every secret the plan needs and `hashes` lacks."""
    wanted: list[tuple[tuple[str, int, str], str, bool]] = []
    if admin_password and ADMIN not in hashes.values:
        wanted.append((ADMIN, admin_password, False))
    for change in plan.changes:
        if change.action not in (ChangeAction.CREATE, ChangeAction.UPDATE, ChangeAction.RESET):
            continue
        key = (change.sheet, change.row)
        password = change.password
        if password is None and change.generate_password:
            password = hashes.generated.setdefault(key, generate_password())
        if password is not None and (*key, "password") not in hashes.values:
            wanted.append(((*key, "password"), password, False))
        if change.answers and change.action != ChangeAction.RESET:
            for i, answer in enumerate(change.answers, start=1):
                if (*key, f"answer{i}") not in hashes.values:
                    wanted.append(((*key, f"answer{i}"), answer, True))
    return wanted


def hash_plan(plan: Plan, admin_password: str | None, hasher: Hasher, hashes: Hashes | None = None) -> Hashes:
    """Hash what `plan` needs (reusing `hashes`), in one batch spread over the cores."""
    hashes = hashes or Hashes()
    wanted = _wanted(plan, admin_password, hashes)
    if wanted:
        # Answers are normalised (trim, case, accents) before hashing, as verify_answer expects.
        plain = [answer_key(value) if is_answer else value for _, value, is_answer in wanted]
        for (place, _, _), digest in zip(wanted, hasher.hash_many(plain)):
            hashes.values[place] = digest
    return hashes


class FreshPasswords:
    """Generated passwords for changes rebuilt from the store (waiting users, a held plan), hashed ahead
    of the write transaction and handed out one by one.

    If the store moved between the count and the transaction and more are
    needed, the extra ones are hashed on the spot.
    """

    def __init__(self, hasher: Hasher, count: int) -> None:
        self._hasher = hasher
        plain = [generate_password() for _ in range(count)]
        self._ready = list(zip(plain, hasher.hash_many(plain))) if plain else []

    def take(self) -> tuple[str, str]:
        """(password, its hash)."""
        if self._ready:
            return self._ready.pop()
        password = generate_password()
        return password, self._hasher.hash_many([password])[0]


def secret_keys(secrets: dict[str, str | None]) -> tuple[str, ...]:
    """The secret fields a rebuilt change sets: those it has a hash for."""
    return tuple(k.removesuffix("_hash") for k, v in secrets.items() if v is not None)
