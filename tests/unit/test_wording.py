"""The words people read: every key the store allows has its word, in every register of its concept."""

from __future__ import annotations

import re

import pytest

from provisioner.domain.vocabulary import PASSWORD_PATTERN, RequestType
from provisioner.store import tables
from provisioner.wording import labels, passwords
from provisioner.wording.phrases import counts_sentence, counts_summary


@pytest.mark.parametrize(("allowed", "tables_of_words"), [
    (tables.SUBMISSION_STATUSES, (labels.SUBMISSION_STATUS, labels.SUBMISSION_BADGE)),
    (tables.REQUEST_KINDS, (labels.REQUEST_KIND, labels.REQUEST_KIND_SHORT)),
    (tables.REQUEST_STATUSES, (labels.REQUEST_STATUS,)),
    (tables.ADHERENT_STATUSES, (labels.ADHERENT_STATUS,)),
    (tables.ACCOUNT_STATUSES, (labels.ACCOUNT_STATUS,)),
    (tables.MAIL_STATUSES, (labels.MAIL_STATUS, labels.MAIL_BADGE)),
    (tables.HISTORY_ORIGINS, (labels.ORIGIN,)),
    (tables.OPERATOR_ROLES, (labels.OPERATOR_ROLE,)),
    (tuple(RequestType), (labels.REQUEST_TYPE,)),
], ids=["submission", "request-kind", "request-status", "adherent", "account", "mail", "origin", "role",
        "request-type"])
def test_each_key_the_store_allows_has_its_words(allowed: tuple[str, ...],
                                                  tables_of_words: tuple[dict[str, str], ...]) -> None:
    for words in tables_of_words:
        assert set(words) == set(allowed)
        assert all(word.strip() == word and word for word in words.values())


def test_an_unknown_key_reads_as_itself_and_nothing_as_nothing() -> None:
    assert labels.label(labels.SUBMISSION_STATUS, "archived") == "archived"
    assert labels.label(labels.SUBMISSION_STATUS, None) == ""
    assert labels.teleservice_name("td_interne") == "Télédéclaration (utilisateur interne)"
    assert labels.action_label("reset_password") == "Réinitialisation du mot de passe"
    assert labels.action_label("confirmations") == "Nombre de confirmations E@syPaiement"


def test_the_password_policy_text_says_the_lengths_the_pattern_checks() -> None:
    bounds = re.fullmatch(r"\[A-Za-z0-9\]\{(\d+),(\d+)\}", PASSWORD_PATTERN)
    assert bounds is not None
    shortest, longest = bounds.groups()
    assert f"de {shortest} à {longest} caractères" == passwords.LENGTH
    for text in (passwords.POLICY_MESSAGE, passwords.PASSWORD_HINT, passwords.POLICY_PARAGRAPH):
        assert f"{shortest} à {longest} caractères" in text


def test_counts_read_the_same_words_as_a_list_and_as_a_sentence() -> None:
    counts = {"created": 2, "updated": 1, "reset_password": 1, "unchanged": 3}
    assert counts_summary(counts) == ["2 comptes créés", "1 compte modifié", "1 mot de passe réinitialisé",
                                      "3 comptes inchangés"]
    assert counts_sentence(counts) == "2 comptes créés, 1 modifié, 1 mot de passe réinitialisé"
    assert counts_sentence(counts, unchanged=True).endswith(", 3 inchangés")
    assert counts_sentence({"unchanged": 1}, unchanged=True) == "1 compte inchangé"
