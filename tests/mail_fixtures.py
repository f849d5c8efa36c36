"""The `.eml` fixtures of tests/fixtures/mail/ (mails as companies send them), with a real workbook put
where each has its attachment."""

from __future__ import annotations

import base64
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mail"


def mail(name: str, workbook: bytes = b"") -> bytes:
    """The fixture `name` (without `.eml`) with `workbook` as its attachment's bytes, CRLF line ends as on
    the wire."""
    text = (FIXTURES / f"{name}.eml").read_text(encoding="utf-8")
    encoded = base64.encodebytes(workbook).decode("ascii").rstrip("\n")
    raw = text.replace("{{WORKBOOK}}", encoded).encode("utf-8")
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
