"""The real command on hostile files and secrets at rest (issue 10, cases 5, 7 and 8), in subprocesses.

- A workbook whose shared-string table declares 2^31 - 1 strings made calamine abort `serve` (exit 134):
  now the file is reported FILE_TOO_LARGE, the valid workbook dropped after it is applied, the service
  ends its round normally; what the quarantine keeps holds no secret in clear; no file under var/ or
  outbox/ is readable by every account of the host.
- A generated password waits in the mail queue encrypted (the database is queried), and the email still
  brings it to its user once `serve` sends it through a real SMTP server.
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from provisioner.security.hashing import verify_secret
from tests import factory
from tests.service_env import run_provisioner, service_env
from tests.smtp_server import SmtpServer

ADMIN_CANARY = "Adm1nRest7"
USER_CANARY = "Usr1Rest9"
ANSWER_CANARY = "ReponseCanaryRest"
PASSWORD_LINE = re.compile(r"Mot de passe\s*:\s*([A-Za-z0-9]{5,10})")


def crafted_shared_strings(valid: Path, target: Path) -> Path:
    """`valid`, stored uncompressed (its secrets readable in its bytes), declaring 2^31 - 1 shared strings."""
    return factory.with_shared_strings(valid, target, 2_147_483_647, compression=zipfile.ZIP_STORED)


def readable_bytes(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file's bytes, and every zip member inflated."""
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data
        if data.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    yield path, archive.read(info)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for folder in ("inbox", "outbox", "archive", "var"):
        (tmp_path / folder).mkdir()
    return tmp_path


@pytest.mark.slow
def test_a_crafted_shared_string_count_is_reported_and_serve_goes_on(root: Path) -> None:
    secret_user = factory.user("sara.td", password=USER_CANARY, password_confirm=USER_CANARY,
                               answer1=ANSWER_CANARY)
    source = factory.make_workbook(root / "source.xlsx", adherent_values=factory.adherent(numero="610001"),
                                   delegue_values=factory.delegue(password=ADMIN_CANARY, password_confirm=ADMIN_CANARY),
                                   users={"td_interne": [secret_user]})
    crafted = crafted_shared_strings(source, root / "inbox" / "piege.xlsx")
    assert ADMIN_CANARY.encode() in crafted.read_bytes()  # the secrets are in clear in the file itself
    factory.make_workbook(root / "inbox" / "valide.xlsx", adherent_values=factory.adherent(numero="610002"),
                          users={"td_interne": [factory.user("hind.td")]})
    env = service_env(root)

    ran = run_provisioner(root, env, "serve", "--once")  # exit 0: the round ended, the process lived

    found = {r["file"]: r for r in (json.loads(p.read_text(encoding="utf-8"))
                                    for p in (root / "outbox").glob("*/rapport.json"))}
    assert set(found) == {"piege.xlsx", "valide.xlsx"}, ran.stderr[-3000:]
    assert [e["code"] for e in found["piege.xlsx"]["errors"]] == ["FILE_TOO_LARGE"]
    assert found["valide.xlsx"]["status"] == "accepted"
    assert not list((root / "inbox").iterdir())

    quarantined = list((root / "var" / "quarantine").iterdir())
    assert sorted(p.suffix for p in quarantined) == [".enc", ".json"]
    for canary in (ADMIN_CANARY, USER_CANARY, ANSWER_CANARY):
        for where in (root / "var", root / "outbox", root / "archive"):
            assert not [p for p, data in readable_bytes(where) if canary.encode() in data], canary
        assert canary not in ran.stderr and canary not in ran.stdout

    world_readable = [p for where in (root / "var", root / "outbox", root / "archive") for p in where.rglob("*")
                      if p.is_file() and stat.S_IMODE(p.stat().st_mode) & stat.S_IROTH]
    assert world_readable == []
    assert stat.S_IMODE((root / "var" / "secret.key").stat().st_mode) == 0o600



@pytest.mark.slow
def test_a_generated_password_waits_encrypted_and_is_still_delivered(root: Path, smtp: SmtpServer) -> None:
    env = service_env(root)
    db_url = env["PROVISIONER_DATABASE_URL"]
    subscription = factory.make_workbook(root / "abonnement.xlsx")
    run_provisioner(root, env, "process", subscription)
    run_provisioner(root, env, "adherents", "activate", "123456")
    newcomer = factory.user("nadia.td", password=None, password_confirm=None, email="nadia@albaraka.ma")
    update = factory.make_workbook(root / "miseajour.xlsx",
                                   adherent_values=factory.adherent(type_demande="Mise à jour"),
                                   delegue_values={"password": factory.ADMIN_PASSWORD},
                                   users={"td_interne": [newcomer]}, categories=[{"login": "nadia.td", "D": "X"}])
    # `process` delivers at the end of its run: with the mail server down (nothing listens on port 1) the
    # email stays queued, as it would wait for a server that is back.
    down = {**env, "PROVISIONER_SMTP_HOST": "127.0.0.1", "PROVISIONER_SMTP_PORT": "1",
            "PROVISIONER_SMTP_STARTTLS": "false", "PROVISIONER_SMTP_TIMEOUT": "2"}
    run_provisioner(root, down, "process", update)

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            [waiting] = conn.execute(sa.text("SELECT * FROM mail_queue WHERE kind = 'generated_password'")).all()
            everything_queued = " ".join(str(row._mapping) for row in conn.execute(sa.text("SELECT * FROM mail_queue")))
        assert waiting.status == "pending"
        assert waiting.body_text.startswith("fernet:") and waiting.body_html.startswith("fernet:")
        assert "Mot de passe" not in waiting.body_text

        with engine.begin() as conn:  # the retry's backoff has passed
            conn.execute(sa.text("UPDATE mail_queue SET next_attempt_at = :t"), {"t": "2000-01-01 00:00:00"})
        smtp_env = {**env, "PROVISIONER_SMTP_HOST": "127.0.0.1", "PROVISIONER_SMTP_PORT": str(smtp.port),
                    "PROVISIONER_SMTP_STARTTLS": "false", "PROVISIONER_SMTP_TIMEOUT": "5"}
        run_provisioner(root, smtp_env, "serve", "--once")

        [mail] = [m for m in smtp.handler.parsed() if m["To"] == "nadia@albaraka.ma"]
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        found = PASSWORD_LINE.search(text)
        assert found, text
        password = found.group(1)
        assert password not in everything_queued  # it was never in the database in clear
        with engine.connect() as conn:
            hash_ = conn.execute(sa.text("SELECT password_hash FROM accounts WHERE login = 'nadia.td'")).scalar_one()
            sent = conn.execute(sa.text("SELECT status, body_text, body_html FROM mail_queue WHERE id = :id"),
                                {"id": waiting.id}).one()
        assert verify_secret(hash_, password)
        assert (sent.status, sent.body_text, sent.body_html) == ("sent", "", None)
    finally:
        engine.dispose()
