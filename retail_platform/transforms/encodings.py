"""Landing bytes -> UTF-8 text: which encoding a file was written in, decoded or refused.

Accepted: UTF-8 with or without a BOM; UTF-16/UTF-32 with a BOM; gzip-compressed files; text that
is not UTF-8 but plausibly Windows-1252 / Latin-1 (decoded as cp1252 and reported). Refused, with
the byte offset and the line: binary files, archives, UTF-16 without a BOM, text mixing UTF-8 with
another encoding, multi-byte encodings such as Shift-JIS. Pure Python: no Dagster, no I/O.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass


class MalformedFileError(ValueError):
    """A landing file that cannot be read at all (as opposed to bad values inside it).

    ``line`` is the 1-based line of the file where the problem is, when there is one."""

    def __init__(self, reason: str, *, line: int | None = None):
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line else reason)


# --- bytes -> UTF-8 text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedText:
    content: bytes  # UTF-8, without a byte-order mark
    encoding: str  # what the file was written in: utf-8, utf-8-sig, utf-16-le, utf-16-be, cp1252, ...
    compression: str | None = None  # gzip, when the file was compressed


_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (or an .xlsx workbook): unzip or export it and land the text file"),
    (b"PAR1", "a Parquet file: landing files are text exports"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls): export it as text"),
    (b"%PDF", "a PDF document"),
    (b"BZh", "bzip2-compressed: only gzip is decompressed; re-send it gzip-compressed or uncompressed"),
    (b"\xfd7zXZ\x00", "xz-compressed: only gzip is decompressed; re-send it gzip-compressed or uncompressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed: only gzip is decompressed; re-send it gzip-compressed or uncompressed"),
)
_CHUNK = 1 << 20
# Bytes Windows-1252 leaves undefined: text that has them is not cp1252.
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0e-\x1f\x7f]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")
_HIGH_BYTES = bytes(range(0x80, 0x100))


def line_of(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def decode_text(content: bytes) -> DecodedText:
    """The file as UTF-8 text, or MalformedFileError naming what it is and where it breaks."""
    compression = None
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as exc:
            raise MalformedFileError(
                f"this file is gzip-compressed, but the archive is truncated or corrupt ({exc}); re-send it"
            ) from None
        compression = "gzip"
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            if encoding == "utf-8-sig":
                text = content[len(bom) :]
                _check_utf8(text, offset=len(bom))
                return DecodedText(text, encoding, compression)
            try:
                return DecodedText(content[len(bom) :].decode(encoding).encode(), encoding, compression)
            except UnicodeDecodeError as exc:
                offset = len(bom) + exc.start
                raise MalformedFileError(
                    f"starts with a {encoding} byte-order mark but is not valid {encoding} at byte offset {offset}"
                ) from None
    for magic, what in _MAGIC:
        # bzip2's magic is "BZh" and a block-size digit: a CSV header may well start with "BZh".
        if content.startswith(magic) and (magic != b"BZh" or content[3:4] in b"123456789"):
            raise MalformedFileError(f"this file is {what}")
    nul = content.find(b"\x00")
    if nul >= 0:
        raise MalformedFileError(_nul_reason(content, nul), line=line_of(content, nul))
    bad = _utf8_error_offset(content)
    if bad is None:
        return DecodedText(content, "utf-8", compression)
    return DecodedText(_cp1252(content, bad), "cp1252", compression)


def _check_utf8(content: bytes, *, offset: int = 0) -> None:
    bad = _utf8_error_offset(content)
    if bad is not None:
        raise MalformedFileError(
            f"starts with a UTF-8 byte-order mark but is not valid UTF-8 at byte offset {bad + offset} "
            f"(byte 0x{content[bad]:02x}): re-export it as UTF-8",
            line=line_of(content, bad),
        )


def _utf8_error_offset(content: bytes) -> int | None:
    """Where the first invalid UTF-8 byte is, or None; decoded in chunks, so a large file is never
    held twice in memory."""
    if content.isascii():
        return None
    view = memoryview(content)
    start = 0
    while start < len(content):
        end = min(start + _CHUNK, len(content))
        # Do not cut a character in two: back up over continuation bytes (at most 3).
        back = 0
        while end < len(content) and back < 3 and 0x80 <= content[end] <= 0xBF:
            end -= 1
            back += 1
        try:
            bytes(view[start:end]).decode("utf-8")
        except UnicodeDecodeError as exc:
            return start + exc.start
        start = end
    return None


def _nul_reason(content: bytes, nul: int) -> str:
    head = content[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even < odd // 8:
        return "this file looks like UTF-16-LE text without a byte-order mark: re-export it as UTF-8 (or with a BOM)"
    if even > len(head) // 4 and odd < even // 8:
        return "this file looks like UTF-16-BE text without a byte-order mark: re-export it as UTF-8 (or with a BOM)"
    return f"this is a binary file, not text: a NUL byte at byte offset {nul}"


def _cp1252(content: bytes, bad: int) -> bytes:
    """Text that is not UTF-8: decoded as Windows-1252 (a superset of Latin-1 for printable text)
    when it plausibly is; refused otherwise, naming the first invalid byte."""
    where = f"not valid UTF-8 at byte offset {bad} (byte 0x{content[bad]:02x})"
    if _UTF8_MULTIBYTE.search(content):
        raise MalformedFileError(
            f"{where}, while other parts of the file are UTF-8: the file mixes two encodings "
            "(two exports concatenated?); re-export it as UTF-8",
            line=line_of(content, bad),
        )
    high = len(content) - len(content.translate(None, _HIGH_BYTES))
    in_runs = sum(len(m) for m in _HIGH_RUN.findall(content))
    controls = len(_CONTROL.findall(content))
    if _NOT_CP1252.search(content) or controls > len(content) // 100 or (high >= 4 and in_runs * 2 > high):
        raise MalformedFileError(
            f"{where}, and not Windows-1252/Latin-1 text either (a multi-byte encoding such as Shift-JIS "
            "or GBK, or binary data): re-export it as UTF-8",
            line=line_of(content, bad),
        )
    return content.decode("cp1252").encode()
