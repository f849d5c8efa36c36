"""The shapes value_checks judges without email_validator or phonenumbers are ones the library accepts.

Seeded random strings around those shapes (and some edges written out): whenever the
quick path says yes, the library says yes too, so taking it changes no verdict.
"""

from __future__ import annotations

import random

import phonenumbers

from provisioner.workbook import phones
from provisioner.workbook import value_checks as vc

EMAIL_EDGES = ["a@b.ma", "a.b-c_d+e@x-y.exemple.ma", "a@b.test", "a@b.localhost", "a@b.Onion", "a@ab--cd.ma",
               "a@xn--bcher-kva.ma", "a..b@c.ma", ".a@c.ma", "a@c.m", "a@c.123", "a@-c.ma", "a@c-.ma",
               "x" * 64 + "@c.ma", "x" * 65 + "@c.ma", "a@" + "c" * 63 + ".ma", "a@" + "c" * 64 + ".ma",
               "a@" + ".".join(["c" * 60] * 4) + ".ma", "A@B.MA", "a@b.ma\n", "é@b.ma", "a@b"]
PHONE_EDGES = ["0522123456", "0612345678", "0812345678", "0912345678", "0412345678", "052212345", "05221234567",
               "+212522123456", "0522 12 34 56", "٠٥٢٢١٢٣٤٥٦", "0522123456\n"]


def _mutations(seeds: list[str], alphabet: str, count: int) -> list[str]:
    rng = random.Random(23)
    found = []
    for _ in range(count):
        text = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            choice = rng.random()
            if choice < 0.4 and text:
                text[min(at, len(text) - 1)] = rng.choice(alphabet)
            elif choice < 0.7:
                text.insert(at, rng.choice(alphabet))
            elif text:
                del text[min(at, len(text) - 1)]
        found.append("".join(text))
    return found


def test_an_address_taken_without_the_library_is_one_the_library_takes() -> None:
    values = EMAIL_EDGES + _mutations(["sara.alaoui@exemple.ma", "a-b_c+d@mail.co.ma", "x@y.test"],
                                      "ab.-_+@é1Z-.", 3000)
    quick = [v for v in values if vc._plain_email(v)]
    assert len(quick) > 300  # the quick path is met, not only the library's
    assert [v for v in values if vc.is_email(v) != vc._library_email(v)] == []


def test_a_number_taken_without_the_library_is_one_the_library_takes_with_the_same_e164() -> None:
    values = PHONE_EDGES + _mutations(["0522123456", "0661234567", "+212661234567"], "0123456789+ -a٠", 4500)
    assert len([v for v in values if phones._MOROCCAN_PHONE.fullmatch(v)]) > 300
    assert len([v for v in values if v.startswith("+212") and phones._MOROCCAN_PHONE.fullmatch("0" + v[4:])]) > 100
    assert [v for v in values if phones.is_phone(v) != (phones._number(v) is not None)] == []
    library = {v: phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
               for v in values if (n := phones._number(v)) is not None}
    assert [v for v, e in library.items() if phones.e164(v) != e] == []
