"""`provisioner process` is the same pipeline as `serve` (issue 11, point 3).

The real command in a subprocess: a `.zip` of workbooks is handled as a
batch, the outcome emails are delivered at the end of the run (to a real
SMTP server, or as `.eml` files without one), the dashboard is rebuilt, the
named files stay where they are, and no secret is written anywhere.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.e2e.test_faults import (
    CANARIES,
    abonnement,
    assert_no_canary,
    emails,
    quarantined,
    reports,
)
from tests.service_env import run_provisioner, service_env
from tests.smtp_server import SmtpServer


def test_process_takes_a_zip_as_a_batch_writes_the_emails_and_rebuilds_the_dashboard(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    single = abonnement(staging / "seul.xlsx", "840001")
    batch = staging / "lot-fiduciaire.zip"
    with zipfile.ZipFile(batch, "w") as archive:
        archive.write(abonnement(staging / "b.xlsx", "840002"), "clients/b.xlsx")
        archive.write(abonnement(staging / "c.xlsx", "840003"), "clients/c.xlsx")
    env = service_env(tmp_path)

    result = run_provisioner(tmp_path, env, "process", single, batch)

    assert "lot-fiduciaire.zip: batch of 2 workbook(s): 2 accepted" in result.stdout, result.stdout
    found = reports(tmp_path)
    assert {name: r["status"] for name, r in found.items()} == {"seul.xlsx": "accepted", "b.xlsx": "accepted",
                                                                 "c.xlsx": "accepted"}
    summary = json.loads(next((tmp_path / "outbox").glob("lot-*/synthese.json")).read_text(encoding="utf-8"))
    assert (summary["file"], summary["totals"]) == ("lot-fiduciaire.zip", {"accepted": 2, "workbooks": 2})
    assert sorted(p.name.split("-")[1] for p in emails(tmp_path)) == ["subscription_received"] * 3
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert all(name in page for name in ("seul.xlsx", "b.xlsx", "c.xlsx"))
    assert single.exists() and batch.exists()  # the named files stay where they are
    assert quarantined(tmp_path) == []
    assert_no_canary(tmp_path, result.stdout, result.stderr)
    # On a fresh database, stderr holds our log lines only: no library warning, no fontTools chatter
    # (before: four SAWarning lines from the migrations, then ~70 from the forms' font subsetting).
    assert "Warning" not in result.stderr and "fontTools" not in result.stderr, result.stderr

    again = run_provisioner(tmp_path, env, "process", "--json", single)  # a duplicate, said as JSON
    assert json.loads(again.stdout)["status"] == "duplicate"


def test_process_delivers_the_outcome_email_to_the_smtp_server_at_the_end_of_the_run(
        tmp_path: Path, smtp: SmtpServer) -> None:
    book = abonnement(tmp_path / "abonnement.xlsx", "850001")
    env = service_env(tmp_path, PROVISIONER_SMTP_HOST="127.0.0.1", PROVISIONER_SMTP_PORT=str(smtp.port),
                      PROVISIONER_SMTP_STARTTLS="false", PROVISIONER_SMTP_TIMEOUT="5")

    result = run_provisioner(tmp_path, env, "process", book)

    assert "1 email(s) delivered" in result.stderr
    mails = smtp.handler.parsed()
    assert [str(m["To"]) for m in mails] == ["rh@850001.ma"]
    assert [p.get_filename() for p in mails[0].iter_attachments()] == ["formulaire-abonnement.pdf"]
    assert emails(tmp_path) == []  # sent, not written as .eml
    raw = b"".join(e.original_content or b"" for e in smtp.handler.messages).lower()
    assert not [c for c in CANARIES if c.lower().encode() in raw]
