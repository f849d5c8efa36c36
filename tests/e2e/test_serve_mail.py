"""`provisioner serve --once` with a real SMTP server: the outcome reaches the delegate as a mail.

The service runs as a subprocess on a temporary inbox; aiosmtpd listens on
127.0.0.1. An accepted Abonnement brings the formulaire d'abonnement; a
rejected one brings the annotated workbook. Neither carries a password.
"""

from __future__ import annotations

import io
import re
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


def test_a_generated_password_waits_encrypted_for_an_smtp_server_then_goes(tmp_path: Path, smtp: SmtpServer) -> None:
    """With no SMTP host the notices are `.eml` files, but a generated password is not written in clear:
    it stays queued until a host is set, and the next round sends it."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox / "abonnement.xlsx", users={"compte_adherent": [user("gen.ca", "compte_adherent",
                                                                             password=None, password_confirm=None)]},
                  categories=[])
    bare = service_env(tmp_path)
    run = [sys.executable, "-m", "provisioner"]
    assert subprocess.run([*run, "process", str(inbox / "abonnement.xlsx")], cwd=tmp_path, env=bare,
                          capture_output=True, text=True, timeout=120).returncode == 0
    assert subprocess.run([*run, "adherents", "activate", "123456"], cwd=tmp_path, env=bare,
                          capture_output=True, text=True, timeout=120).returncode == 0
    subprocess.run([*run, "serve", "--once"], cwd=tmp_path, env=bare, capture_output=True, timeout=120)

    written = sorted(p.name for p in (tmp_path / "outbox" / "mail").glob("*.eml"))
    assert written and not [name for name in written if "password" in name], written
    status = subprocess.run([*run, "status"], cwd=tmp_path, env=bare, capture_output=True, text=True, timeout=120)
    assert "1 email portant un mot de passe attend un serveur SMTP" in status.stdout, status.stdout
    page = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    assert "1 email portant un mot de passe attend un serveur SMTP" in page

    assert serve_once(tmp_path, smtp.port).returncode == 0
    sent = [m for m in smtp.handler.parsed() if "gen.ca" in m.get_body(("plain",)).get_content()]
    assert len(sent) == 1 and re.search(r"Mot de passe\s:\s[A-Za-z0-9]{5,}", sent[0].get_body(("plain",)).get_content())
    status = subprocess.run([*run, "status"], cwd=tmp_path, env=bare, capture_output=True, text=True, timeout=120)
    assert "attend un serveur SMTP" not in status.stdout
