"""Guess a text file's encoding: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa

_CHUNK = 1 << 24


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        carry = b""
        while chunk := fh.read(_CHUNK):
            body, carry = _split_incomplete(carry + chunk)
            if not _utf8(body):
                break
        else:
            if not carry:
                return "utf-8"
        fh.seek(0)
        try:
            # cp1252 leaves five bytes undefined; a file using them is Latin-1 (C1 controls).
            decoder = codecs.getincrementaldecoder("cp1252")()
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _utf8(data: bytes) -> bool:
    """Whether `data` is valid UTF-8: Arrow's validator on the bytes in place, some ten times
    faster than decoding them (this runs over the whole catalog file)."""
    offsets = pa.array([0, len(data)], type=pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _split_incomplete(data: bytes) -> tuple[bytes, bytes]:
    """(complete characters, the bytes of a multi-byte character cut off at the end)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # ASCII or the lead byte of a sequence
            size = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return (data[:-back], data[-back:]) if size > back else (data, b"")
    return data, b""
