"""A mail received by the IMAP door (or saved as `.eml`), read as hostile: its workbooks, who to answer,
and whether it may be answered at all.

Standard library `email` with `policy.default` (RFC 2231 and encoded-word file names decoded). A
workbook is told by its bytes, whatever the part's declared type or disposition (Outlook's
`application/octet-stream`, Apple Mail's inline attachments, a forwarded mail's attachments): an
`.xlsx` (a zip holding `[Content_Types].xml` and `xl/workbook.xml`) or a fiduciary's `.zip` (a zip that
is no Office document). Before the parser runs, the header blocks are bounded: a header bomb (too
many or too long headers, MIME nested past reason) makes the mail `broken`, never a slow parse.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from email import errors, message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from provisioner.service.intake.names import display_name
from provisioner.workbook.file_kind import ZIP_MAGIC

MAX_HEADER_BYTES = 64 * 1024  # a real mail's top headers (Received chains included) stay far below
MAX_HEADER_LINES = 500
MAX_PARTS = 200
MAX_DEPTH = 10
MAX_REFERENCES = 20  # kept of References when replying (RFC 5322 allows trimming the middle)

_OFFICE_PARTS = frozenset({"[Content_Types].xml"})
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".ods", ".csv")  # named so, and no .xlsx by its bytes
_WINMAIL = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


@dataclass(frozen=True)
class Workbook:
    """An attachment that is a submission: its name as given (escaped where odd), its bytes, its kind."""

    name: str
    data: bytes
    kind: str  # "xlsx" | "zip"


@dataclass(frozen=True)
class ParsedMail:
    sender: str  # the address a reply goes to (Reply-To, else From); "" when none is usable
    subject: str
    message_id: str  # "<…>" or ""
    references: tuple[str, ...]
    automatic: str = ""  # why no reply may be sent (an auto-reply, a bounce, a list, our own mail)
    broken: str = ""  # why the mail cannot be read as MIME
    winmail: bool = False  # Outlook sent its attachments as winmail.dat (TNEF), unreadable here
    workbooks: tuple[Workbook, ...] = field(default=())
    spreadsheets: tuple[str, ...] = ()  # attachments named as another spreadsheet format (.xls, .ods, .csv)


def parse_mail(raw: bytes, *, own_address: str) -> ParsedMail:
    """What `raw` asks of the service; never raises on bad input (a bad mail is `broken`)."""
    bomb = _header_bomb(raw)
    if bomb:
        return ParsedMail(sender="", subject="", message_id="", references=(), broken=bomb)
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    try:
        sender = _reply_address(message)
        subject = " ".join(str(message.get("Subject", "")).split())[:200]
        message_id = _message_id(str(message.get("Message-ID", "")))
        references = _references(message)
        automatic = _automatic(message, sender, own_address)
    except (ValueError, TypeError, IndexError, AttributeError):  # a header too broken to read
        return ParsedMail(sender="", subject="", message_id="", references=(), broken="unreadable headers")
    try:
        workbooks, winmail, spreadsheets = _attachments(message)
        broken = "" if workbooks or not _structure_defects(message) else "broken MIME"
    except _Broken as error:
        workbooks, winmail, spreadsheets, broken = [], False, [], str(error)
    return ParsedMail(sender=sender, subject=subject, message_id=message_id, references=references,
                      automatic=automatic, broken=broken, winmail=winmail, workbooks=tuple(workbooks),
                      spreadsheets=tuple(spreadsheets))


def workbook_kind(data: bytes) -> str | None:
    """"xlsx" or "zip" when `data` is a submission by its bytes, else None."""
    if not data.startswith(ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"  # a damaged zip: the batch reader says so, with a message about the zip
    if "xl/workbook.xml" in names and names >= _OFFICE_PARTS:
        return "xlsx"
    if names >= _OFFICE_PARTS:
        return None  # a Word or PowerPoint document, a signed letter perhaps: not a submission
    return "zip"


# -- headers -------------------------------------------------------------------------------


class _Broken(Exception):
    """The mail's MIME structure cannot be walked safely; the message says why (no value of the mail)."""


def _header_bomb(raw: bytes) -> str:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head = raw if end < 0 else raw[:end]
    if len(head) > MAX_HEADER_BYTES:
        return "header block too large"
    if head.count(b"\n") > MAX_HEADER_LINES:
        return "too many header lines"
    return ""


def _reply_address(message: EmailMessage) -> str:
    for name in ("Reply-To", "From"):
        values = [str(v) for v in message.get_all(name, [])]
        addresses = [address for _, address in getaddresses(values) if "@" in address]
        if addresses and _plain(addresses[0]):
            return addresses[0]
    return ""


def _plain(address: str) -> bool:
    """One address we may put in To: no CR/LF, no spaces, sane length."""
    return len(address) <= 254 and not re.search(r"[\s<>,;\"]", address)


def _message_id(value: str) -> str:
    value = value.strip()
    return value if re.fullmatch(r"<[^<>\s]{1,250}>", value) else ""


def _references(message: EmailMessage) -> tuple[str, ...]:
    found = re.findall(r"<[^<>\s]{1,250}>", str(message.get("References", "")))
    if len(found) > MAX_REFERENCES:  # keep the thread's root and the latest ones
        found = found[:1] + found[-(MAX_REFERENCES - 1):]
    return tuple(found)


def _automatic(message: EmailMessage, sender: str, own_address: str) -> str:
    """Why `message` must get no reply (RFC 3834 and the robots that do not follow it), or ""."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return "auto-submitted"
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return "auto-reply"
    if str(message.get("Precedence", "")).strip().lower() in _AUTOMATIC_PRECEDENCE:
        return "precedence"
    if message.get("List-Id") is not None:
        return "mailing list"
    return_path = message.get("Return-Path")
    if return_path is not None and not parseaddr(str(return_path))[1]:
        return "empty return path"
    if message.get_content_type() == "multipart/report" or _BOUNCE_SENDERS.match(sender):
        return "delivery report"
    if not sender:
        return "no address to answer"
    if sender.lower() == own_address.strip().lower():
        return "our own address"
    return ""


# -- the parts -------------------------------------------------------------------------------


def _attachments(message: Message) -> tuple[list[Workbook], bool, list[str]]:
    workbooks: list[Workbook] = []
    spreadsheets: list[str] = []
    winmail = False
    seen = 0
    for part, depth in _leaves(message, 0):
        seen += 1
        if seen > MAX_PARTS or depth > MAX_DEPTH:
            raise _Broken("MIME structure too large")
        name = part.get_filename() or ""
        if part.get_content_type() in _WINMAIL or name.lower() == "winmail.dat":
            winmail = True
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        kind = workbook_kind(payload)
        if kind is not None:
            workbooks.append(Workbook(_name(name, kind, len(workbooks) + 1), payload, kind))
        elif name.lower().endswith(_OTHER_SPREADSHEETS):
            spreadsheets.append(_name(name, "", 0))
    return workbooks, winmail, spreadsheets


def _structure_defects(message: Message) -> bool:
    """Boundaries missing or a multipart that is not one: the parts cannot be trusted to be all there."""
    kinds = (errors.StartBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect,
             errors.NoBoundaryInMultipartDefect, errors.CloseBoundaryNotFoundDefect)
    return any(isinstance(defect, kinds) for part in message.walk() for defect in part.defects)


def _leaves(part: Message, depth: int) -> list[tuple[Message, int]]:
    """Every leaf part with its depth (a forwarded mail's parts included), bounded before recursing."""
    if depth > MAX_DEPTH:
        raise _Broken("MIME nested too deep")
    if not part.is_multipart():
        return [(part, depth)]
    children = part.get_payload()
    if not isinstance(children, list):
        raise _Broken("multipart without parts")
    if len(children) > MAX_PARTS:
        raise _Broken("MIME structure too large")
    leaves: list[tuple[Message, int]] = []
    for child in children:
        if isinstance(child, Message):
            leaves.extend(_leaves(child, depth + 1))
    return leaves


def _name(given: str, kind: str, position: int) -> str:
    """The attachment's decoded name, shown escaped where odd; one of ours when it has none."""
    name = display_name(given.replace("\\", "/").rsplit("/", 1)[-1]) if given.strip() else ""
    return name or f"piece-jointe-{position}.{kind}"
