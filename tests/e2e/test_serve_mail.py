"""`provisioner serve --once` with a real SMTP server: the outcome reaches the delegate as a mail.

The service runs as a subprocess on a temporary inbox; aiosmtpd listens on
127.0.0.1. An accepted Abonnement brings the formulaire d'abonnement; a
rejected one brings the annotated workbook. Neither carries a password.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.factory import ADMIN_PASSWORD, USER_PASSWORD, adherent, delegue, make_workbook, user
from tests.service_env import service_env
from tests.smtp_server import SmtpServer


def serve_once(root: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = service_env(root, PROVISIONER_SMTP_HOST="127.0.0.1", PROVISIONER_SMTP_PORT=str(port),
                      PROVISIONER_SMTP_STARTTLS="false", PROVISIONER_SMTP_TIMEOUT="5")
    return subprocess.run([sys.executable, "-m", "provisioner", "serve", "--once"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def test_serve_mails_the_outcome_to_the_delegate_with_its_attachment(tmp_path: Path, smtp: SmtpServer) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox / "abonnement.xlsx")
    make_workbook(inbox / "refuse.xlsx",
                  adherent_values=adherent(numero="654321"), delegue_values=delegue(email="rh@autre.ma"),
                  users={"td_interne": [user("x", email="pas-une-adresse")]},
                  categories=[{"login": "x", "D": "X"}])
    result = serve_once(tmp_path, smtp.port)
    assert result.returncode == 0, result.stderr[-2000:]

    mails = smtp.handler.parsed()
    by_to = {str(m["To"]): m for m in mails}
    assert set(by_to) == {"hind.berrada@albaraka.ma", "rh@autre.ma"}, [m["To"] for m in mails]
    accepted, rejected = by_to["hind.berrada@albaraka.ma"], by_to["rh@autre.ma"]
    assert [p.get_filename() for p in accepted.iter_attachments()] == ["formulaire-abonnement.pdf"]
    assert [p.get_filename() for p in rejected.iter_attachments()] == ["bordereau-annote.xlsx"]
    assert "refus" in str(rejected["Subject"]).lower()
    for mail in mails:
        assert mail["Message-ID"]
        raw = mail.as_bytes()
        for part in mail.walk():
            payload = part.get_payload(decode=True) or b""
            if part.get_filename() and part.get_filename().endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(payload)) as book:
                    payload = b"".join(book.read(n) for n in book.namelist())
            raw += payload
        assert ADMIN_PASSWORD.encode() not in raw and USER_PASSWORD.encode() not in raw
    assert not list(inbox.iterdir())
