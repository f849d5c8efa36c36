"""The Dovecot the IMAP tests run against: a throwaway server that takes APPENDs and says MOVE only once
logged in (the trap of clients that keep the capabilities read before login)."""

from __future__ import annotations

import imaplib

import pytest

from tests.imap_server import ImapServer


def test_dovecot_takes_appended_mails_and_announces_move_only_after_login(imap: ImapServer) -> None:
    first = imap.append(b"From: a@albaraka.ma\r\nSubject: un\r\n\r\nbonjour\r\n")
    second = imap.append(b"From: a@albaraka.ma\r\nSubject: deux\r\n\r\nbonjour\r\n")
    assert imap.uids("INBOX") == [first, second]
    assert imap.fetch("INBOX", second).endswith(b"bonjour\r\n")
    client = imaplib.IMAP4("127.0.0.1", imap.port, timeout=5)
    try:
        before = set(client.capabilities)
        client.login(imap.user, imap.password)
        _, data = client.capability()
        after = set(data[0].decode().split())
    finally:
        client.logout()
    assert "MOVE" not in before and "MOVE" in after


def test_a_stopped_server_refuses_connections_and_comes_back_with_its_mail(imap: ImapServer) -> None:
    uid = imap.append(b"From: a@albaraka.ma\r\n\r\nx\r\n")
    imap.stop()
    with pytest.raises(OSError):
        imap.connect()
    imap.start()
    assert imap.uids("INBOX") == [uid]
