"""Secrets: argon2id hashing, the password policy and generator, the lockout rules."""

from __future__ import annotations

import os
import re
import string
import threading
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.security import hashing, lockout, passwords
from provisioner.security.hashing import (
    DUMMY_HASH,
    Hasher,
    hash_answer,
    hash_secret,
    verify_admin,
    verify_answer,
    verify_secret,
)

# The service's own argon2id parameters here: what these tests check (tests/conftest.py lowers them elsewhere).
pytestmark = pytest.mark.production_hashes

# --- hashing ---------------------------------------------------------------------


def test_a_hashed_secret_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_secret("Pass2026")
    assert verify_secret(stored, "Pass2026")
    assert not verify_secret(stored, "pass2026")
    assert "Pass2026" not in stored


def test_the_same_secret_hashes_differently_each_time() -> None:
    assert hash_secret("Pass2026") != hash_secret("Pass2026")


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy"])
def test_verifying_against_a_missing_or_malformed_hash_is_false_not_an_error(stored: str | None) -> None:
    assert verify_secret(stored, "Pass2026") is False


def test_hashes_use_argon2id_with_at_least_owasp_parameters() -> None:
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", hash_secret("x"))
    assert match, "not an argon2id hash"
    memory, time, parallelism = map(int, match.groups())
    assert memory >= 19456 and time >= 2 and parallelism >= 1


@pytest.mark.parametrize("typed", ["fatima", "FATIMA", "  Fâtima ", "Fatimà", "fa\u0301tima"])
def test_answers_are_normalised_before_hashing(typed: str) -> None:
    assert verify_answer(hash_answer(" Fâtima "), typed)


def test_a_different_answer_does_not_verify() -> None:
    assert not verify_answer(hash_answer("Fatima"), "Fatma")


def test_an_unknown_company_fails_against_the_dummy_hash() -> None:
    assert DUMMY_HASH.startswith("$argon2id$")
    assert verify_admin(None, "Deleg2026") is False
    assert verify_admin(hash_secret("Deleg2026"), "Deleg2026") is True
    assert verify_admin(hash_secret("Deleg2026"), "Wrong2026") is False


def test_the_dummy_hash_is_verified_when_the_company_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []
    real = hashing.verify_secret
    monkeypatch.setattr(hashing, "verify_secret", lambda h, v: seen.append(h) or real(h, v))
    verify_admin(None, "Deleg2026")
    assert seen == [DUMMY_HASH]


VALUES = [f"Secret{i:03d}" for i in range(12)]


@pytest.mark.parametrize("workers", [1, 2])
def test_hash_many_keeps_the_order(workers: int) -> None:
    with Hasher(workers) as hasher:
        hashes = hasher.hash_many(VALUES)
    assert len(hashes) == len(VALUES)
    assert all(verify_secret(h, v) for h, v in zip(hashes, VALUES))
    assert not verify_secret(hashes[0], VALUES[1])


def test_hash_many_of_few_or_no_values_stays_in_process() -> None:
    hasher = Hasher(2)
    assert hasher.hash_many([]) == []
    assert verify_secret(hasher.hash_many(["abc12"])[0], "abc12")
    assert hasher._pool is None
    hasher.close()


def test_hash_many_works_from_a_worker_thread_and_reuses_its_pool() -> None:
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    hasher = Hasher(2)

    def job(name: str) -> None:
        try:
            results[name] = hasher.hash_many(VALUES)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(f"t{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    pool = hasher._pool
    hasher.close()
    assert errors == [] and pool is not None and hasher._pool is None
    for hashes in results.values():
        assert all(verify_secret(h, v) for h, v in zip(hashes, VALUES))
    assert len(results) == 2


def test_hash_answers_normalises_each_answer() -> None:
    with Hasher(2) as hasher:
        hashes = hasher.hash_answers([" Fâtima ", "CASA", "Rabat", "Lyautey"])
    assert verify_answer(hashes[0], "fatima") and verify_answer(hashes[1], "casa")


def test_a_broken_pool_falls_back_to_hashing_in_process() -> None:
    with Hasher(2) as hasher:
        pool = hasher._get_pool()
        with pytest.raises(BrokenProcessPool):  # a worker dies: the pool is broken
            pool.submit(os._exit, 1).result(timeout=60)
        hashes = hasher.hash_many(VALUES[:5])
        assert all(verify_secret(h, v) for h, v in zip(hashes, VALUES))
        assert hasher._pool is not pool


# --- passwords -------------------------------------------------------------------


def test_generated_passwords_are_compliant_with_every_class() -> None:
    for _ in range(1000):
        password = passwords.generate_password()
        assert passwords.is_compliant(password) and len(password) == 10
        assert set(password) & set(string.ascii_lowercase)
        assert set(password) & set(string.ascii_uppercase)
        assert set(password) & set(string.digits)


def test_generated_passwords_differ() -> None:
    assert len({passwords.generate_password() for _ in range(100)}) == 100


@pytest.mark.parametrize("value", ["ａｂｃ１２", "²³¹45", "abcd", "abcdefghijk", "abc 12", "abc12\n",
                                   "abcé12", "abc-12", "", None, 12345])
def test_non_compliant_passwords_are_rejected(value: object) -> None:
    assert not passwords.is_compliant(value)


@pytest.mark.parametrize("value", ["abc12", "ABCDE", "12345", "Pass2026", "A1b2C3d4E5"])
def test_compliant_passwords_are_accepted(value: str) -> None:
    assert passwords.is_compliant(value)


@given(st.text(max_size=14))
def test_compliance_is_exactly_5_to_10_ascii_letters_and_digits(value: str) -> None:
    allowed = set(string.ascii_letters + string.digits)
    assert passwords.is_compliant(value) == (5 <= len(value) <= 10 and set(value) <= allowed)


# --- lockout ---------------------------------------------------------------------

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = {"lock_after": 5, "lock_minutes": 30.0}


def fail(
    times: int, state: tuple[int, datetime | None] = (0, None), now: datetime = NOW
) -> lockout.AfterFailure:
    result = lockout.AfterFailure(*state, False)
    for _ in range(times):
        result = lockout.after_failure(result.failed_auth, result.locked_until, now, **POLICY)
    return result


def test_four_failures_count_but_do_not_lock() -> None:
    assert fail(4) == (4, None, False)


def test_the_fifth_failure_in_a_row_locks_for_thirty_minutes() -> None:
    assert fail(5) == (5, NOW + timedelta(minutes=30), True)
    assert lockout.is_locked(NOW + timedelta(minutes=30), NOW + timedelta(minutes=29))


def test_failures_while_locked_neither_count_nor_extend_the_lock() -> None:
    locked = fail(5)
    assert fail(3, (locked.failed_auth, locked.locked_until), NOW + timedelta(minutes=10)) == (
        5, NOW + timedelta(minutes=30), False)


def test_the_lock_lifts_after_its_minutes() -> None:
    until = NOW + timedelta(minutes=30)
    assert lockout.is_locked(until, until - timedelta(seconds=1))
    assert not lockout.is_locked(until, until)
    assert not lockout.is_locked(None, NOW)


def test_a_failure_after_the_lock_lifted_starts_a_new_series() -> None:
    locked = fail(5)
    later = NOW + timedelta(minutes=31)
    assert fail(1, (locked.failed_auth, locked.locked_until), later) == (1, None, False)
    assert fail(5, (locked.failed_auth, locked.locked_until), later).just_locked


def test_a_success_resets_the_counters() -> None:
    assert lockout.after_success() == (0, None)


def test_lock_after_zero_never_locks() -> None:
    result = (0, None)
    for _ in range(20):
        outcome = lockout.after_failure(*result, NOW, lock_after=0, lock_minutes=30)
        result = (outcome.failed_auth, outcome.locked_until)
    assert result == (20, None)
