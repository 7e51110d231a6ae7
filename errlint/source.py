"""Read and decode a Python source file the way the interpreter would, or say precisely why not.

Decoding follows PEP 263 and PEP 3120: a UTF-8 BOM, else a `coding:` cookie on line 1 or 2, else
UTF-8. Every failure is an `UnreadableSource` with a 1-based position, which the engine turns into
an XH000 finding: a file never raises out of here.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

_CODING_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass(frozen=True)
class UnreadableSource(Exception):
    """The file cannot be turned into text; `line`/`column` are 1-based."""

    reason: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class SourceFormat:
    """How a file's text is stored: what writing it back must keep.

    `encoding` is the codec the file was decoded with (PEP 263 cookie, else UTF-8); `bom` says the
    file starts with a UTF-8 byte order mark. Newlines are not part of it: decoding keeps them in
    the text (`\r\n`, `\r`, `\n`, even mixed), so writing the text back keeps them too.
    """

    encoding: str = "utf-8"
    bom: bool = False

    def encode(self, text: str) -> bytes:
        """The bytes of `text` in this format; `UnicodeEncodeError` when a character has none."""
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(self.encoding)

    def can_encode(self, text: str) -> bool:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True


def decode_source(data: bytes) -> str:
    """Return the text of `data`, with any BOM removed, or raise `UnreadableSource`."""
    return decode_with_format(data)[0]


def decode_with_format(data: bytes) -> tuple[str, SourceFormat]:
    """The text of `data` and the format to write it back in, or raise `UnreadableSource`."""
    if b"\x00" in data:
        line, col = _position(data, data.index(b"\x00"))
        raise UnreadableSource("source contains a NUL byte (binary file?)", line, col)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        if not any(_CODING_RE.match(line) for line in data.splitlines()[:2]):
            # No cookie: the first two lines are simply not UTF-8; say where, as for later lines.
            encoding = "utf-8"
        else:
            raise UnreadableSource(f"invalid encoding declaration: {err}", _cookie_line(data), 1) from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UnreadableSource(f"unknown encoding: {encoding}", _cookie_line(data), 1) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line, col = _position(data, err.start)
        raise UnreadableSource(
            f"cannot decode as {encoding}: {err.reason} (byte 0x{data[err.start]:02x})", line, col
        ) from None
    bom = data.startswith(codecs.BOM_UTF8)
    if text.startswith("\ufeff"):
        text = text[1:]
    name = codecs.lookup(encoding).name
    return text, SourceFormat("utf-8" if name == "utf-8-sig" else name, bom)


_BYTE_NEWLINE_RE = re.compile(rb"\r\n|\r|\n")


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, byte column) of `offset`, lines ending as the tokenizer ends them."""
    line, start = 1, 0
    for match in _BYTE_NEWLINE_RE.finditer(data, 0, offset):
        line, start = line + 1, match.end()
    return line, offset - start + 1


def _cookie_line(data: bytes) -> int:
    for number, line in enumerate(data.splitlines()[:2], start=1):
        if _CODING_RE.match(line):
            return number
    return 1


_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split like the tokenizer does: only CRLF, CR and LF end a line (not form feeds)."""
    lines = _NEWLINE_RE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
