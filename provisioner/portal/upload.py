"""An uploaded workbook, read from the request as a stream with its bytes counted as they come.

Starlette's form parser (python-multipart) spools a file part to disk without
any size cap, so the portal parses the body itself: one file part (`fichier`)
and a few short text fields, the file's bytes written to a private temporary
file (mode 600) and counted; past `max_bytes` the reading stops and the
upload is refused (`TooLarge`, a 413), the partial file deleted. A body
that stalls (nothing for IDLE_SECONDS) or drags past DEADLINE_SECONDS is
refused too (`TooSlow`): uvicorn has no body timeout, and each slow upload
holds a socket and a temporary file in the process that also runs the
service. Whatever
happens, the temporary file is gone when the `received` block ends: nothing
of an upload outlives its request but what the caller made of it.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

FILE_FIELD = "fichier"
MAX_FIELDS = 5  # csrf_token and a few more: a form of ours never has more
MAX_FIELD_BYTES = 1024
HEADERS_MAX = 4096  # a part's headers, all together
OVERHEAD = 64 * 1024  # boundaries, headers and fields beside the file, in Content-Length
PREFIX = ".upload-"
STALE_SECONDS = 3600
IDLE_SECONDS = 60.0  # a phone on a poor network still sends something every few seconds
DEADLINE_SECONDS = 600.0  # 10 MB at 20 KB/s, with room


class UploadRefused(Exception):
    """The request is not one upload form of ours (no multipart body, several files, a malformed body)."""


class TooLarge(UploadRefused):
    """The file is larger than the service accepts."""


class TooSlow(UploadRefused):
    """The body stopped coming, or came too slowly to end in time."""


@dataclass
class Upload:
    """The form's text fields and the uploaded file (its name as given, its path, its size)."""

    fields: dict[str, str] = field(default_factory=dict)
    name: str = ""
    path: Path | None = None
    size: int = 0

    def field(self, name: str) -> str:
        return self.fields.get(name, "")


@asynccontextmanager
async def received(request: Request, *, max_bytes: int, folder: Path) -> AsyncIterator[Upload]:
    """Read the body of `request` into an Upload; its file (under `folder`) is deleted at the block's end."""
    boundary = _boundary(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + OVERHEAD:
        raise TooLarge  # refused before a byte of it is read
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    handle, name = tempfile.mkstemp(prefix=PREFIX, dir=folder)  # mode 600
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            upload = await _parse(request, boundary, out, max_bytes)
        upload.path = path if upload.name or upload.size else None
        yield upload
    finally:
        path.unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    """Remove what a process killed in the middle of an upload left (no request of ours lasts an hour)."""
    limit = time.time() - STALE_SECONDS
    for leftover in folder.glob(f"{PREFIX}*"):
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
        except OSError:
            pass  # another portal swept it first


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"")
    if content_type != b"multipart/form-data" or not boundary or len(boundary) > 200:
        raise UploadRefused("not a multipart form")
    return boundary


class _Parts:
    """python-multipart's callbacks: each part's headers, then its data to a field or to the file."""

    def __init__(self, out: IO[bytes], max_bytes: int) -> None:
        self.out, self.max_bytes = out, max_bytes
        self.upload = Upload()
        self.header_field = self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.header_bytes = 0
        self.current: str | None = None  # the field's name, or None for the file part
        self.value = bytearray()
        self.files = 0
        self.ended = False  # the closing boundary was read

    def on_part_begin(self) -> None:
        self.headers, self.header_field, self.header_value, self.header_bytes = {}, b"", b"", 0
        self.value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def on_headers_finished(self) -> None:
        _disposition, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.files += 1
            if self.files > 1 or name != FILE_FIELD:
                raise UploadRefused("one file per request, in the field fichier")
            self.current = None
            # A name with folders (a phone's, a script's; python-multipart strips only a Windows path): its last part.
            given = options[b"filename"].decode("utf-8", "replace")
            self.upload.name = given.replace("\\", "/").rsplit("/", 1)[-1]
        else:
            if len(self.upload.fields) >= MAX_FIELDS:
                raise UploadRefused("too many fields")
            self.current = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.current is None:
            self.upload.size += end - start
            if self.upload.size > self.max_bytes:
                raise TooLarge
            self.out.write(data[start:end])
            return
        self.value += data[start:end]
        if len(self.value) > MAX_FIELD_BYTES:
            raise UploadRefused("field too long")

    def on_part_end(self) -> None:
        if self.current is not None:
            self.upload.fields[self.current] = self.value.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.ended = True

    def _count_header(self, size: int) -> None:
        self.header_bytes += size
        if self.header_bytes > HEADERS_MAX:
            raise UploadRefused("part headers too long")


async def _parse(request: Request, boundary: bytes, out: IO[bytes], max_bytes: int) -> Upload:
    parts = _Parts(out, max_bytes)
    callbacks = {name: getattr(parts, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end", "on_headers_finished",
        "on_part_data", "on_part_end", "on_end")}
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    total = 0
    stream = request.stream()
    try:
        with anyio.fail_after(DEADLINE_SECONDS):
            while True:
                with anyio.fail_after(IDLE_SECONDS):
                    chunk = await anext(stream, None)
                if chunk is None:
                    break
                total += len(chunk)
                if total > max_bytes + OVERHEAD:
                    raise TooLarge  # a body without Content-Length (chunked) is counted too
                parser.write(chunk)
        if not parts.ended:  # python-multipart's finalize() does not check it: a body cut short looks whole
            raise UploadRefused("no closing boundary")
    except ClientDisconnect:
        raise UploadRefused("client gone") from None
    except TimeoutError:
        raise TooSlow from None
    except UploadRefused:
        raise
    except Exception as error:  # python-multipart's errors on a malformed body
        raise UploadRefused(type(error).__name__) from None
    return parts.upload
