"""A file's name as people see it: always valid text, one line, bounded.

A name comes from the file system (bytes that need not be UTF-8: an SMB
share, a zip tool) or from a zip entry. Everything after the inbox (the
store, reports, emails, logs, the terminal) needs printable Unicode, so the
name is turned into one once, where it enters: bytes that are not UTF-8
become `\\xe9`, control and format characters (a newline, a right-to-left
override) become `\\n`, `\\u202e`, and a name longer than `MAX_SHOWN`
characters keeps its start and its extension around `…`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_SHOWN = 200
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_KEEP_SUFFIX = 16  # the extension (and a little before it) is what tells the reader what the file is


def display_name(name: str | bytes) -> str:
    """`name` escaped for people; an already shown name is returned unchanged."""
    if isinstance(name, bytes):
        text = name.decode("utf-8", "backslashreplace")
    else:
        try:  # os.fsdecode() kept the bytes that are not UTF-8 as lone surrogates: get them back
            text = os.fsencode(name).decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # surrogates from elsewhere: escaped one by one below
            text = name
    shown = "".join(_escape(char) for char in text)
    return _shorten(shown) if shown else "fichier-sans-nom"


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    if unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _shorten(shown: str) -> str:
    if len(shown) <= MAX_SHOWN:
        return shown
    return shown[: MAX_SHOWN - _KEEP_SUFFIX - 1] + "…" + shown[-_KEEP_SUFFIX:]


@contextmanager
def openable(path: Path) -> Iterator[Path]:
    """`path`, or a private copy of it when its name is not valid text (some readers, calamine's
    among them, take a path only as UTF-8 text); the copy is removed afterwards."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="provisioner-") as folder:
        copy = Path(folder) / f"fichier{_suffix(path)}"
        shutil.copyfile(path, copy)
        yield copy


def _suffix(path: Path) -> str:
    suffix = display_name(path.suffix).lower()
    return suffix if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 9 else ""
