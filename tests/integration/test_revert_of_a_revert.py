"""A revert of a revert shows the real state everywhere (issue 21, point 6).

After `revert S…` then `revert R1…`, S is in effect again: the read models the
CLI and the web share say so, R1 can be shown, and the second email tells the
delegate that the submission is back, not that it was cancelled.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from provisioner.service.agence.revert import revert
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.change_sets import list_submissions, show_revert, show_submission
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import mail_queue
from provisioner.wording.reverts import revert_mark, revert_state
from tests.integration.test_history_revert import company, m1


def test_a_submission_whose_revert_was_reverted_is_in_effect_again(ctx: ServiceContext, tmp_path: Path) -> None:
    company(ctx, tmp_path)
    submission = process_file(ctx, m1(tmp_path)).submission_id
    first = revert(ctx, submission, operator="fatima", reason="Fichier de l'an dernier")
    assert show_submission(ctx, submission)["undone"] is True
    second = revert(ctx, first.id, operator="omar", reason="Annulation faite par erreur")

    # Before: « Annulée par R… » still, and `show R…` unknown.
    shown = show_submission(ctx, submission)
    assert shown["undone"] is False
    assert shown["reverted_by"]["reverted_by"]["id"] == second.id
    sentence = revert_state(shown["reverted_by"], str)
    assert sentence.startswith(f"Annulée par {first.id} le ")
    assert f"annulation elle-même annulée par {second.id} le " in sentence
    assert sentence.endswith(" : de nouveau en vigueur.")
    [listed] = [s for s in list_submissions(ctx) if s["id"] == submission]
    assert (listed["undone"], revert_mark(listed["reverted_by"])) == (False, f"rétablie ({second.id})")

    r1 = show_revert(ctx, first.id)
    assert (r1["target"], r1["undone"], r1["reverted_by"]["id"]) == (submission, True, second.id)
    assert show_revert(ctx, second.id)["undone"] is False


def test_the_email_of_a_revert_of_a_revert_says_the_submission_is_back(ctx: ServiceContext, tmp_path: Path) -> None:
    company(ctx, tmp_path)
    submission = process_file(ctx, m1(tmp_path)).submission_id
    first = revert(ctx, submission, operator="fatima")
    revert(ctx, first.id, operator="omar")
    with ctx.engine.connect() as conn:
        cancel, back = conn.execute(select(mail_queue).where(mail_queue.c.kind == "submission_reverted")
                                    .order_by(mail_queue.c.id)).all()
    assert cancel.subject.startswith(f"Soumission {submission} annulée")
    assert "créés sont désactivés" in cancel.body_text
    # Before: « a annulé la soumission R… … les comptes qu'elle avait créés sont désactivés ».
    assert back.subject.startswith(f"Annulation {first.id} annulée : soumission {submission} rétablie")
    for body in (back.body_text, back.body_html):
        assert "précédente annulation" in body and "de nouveau en vigueur" in body
        assert "créés sont désactivés" not in body
