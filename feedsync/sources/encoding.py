"""Guess a text file's encoding: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""

from __future__ import annotations

import codecs
from pathlib import Path

_CHUNK = 1 << 24


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        try:
            # cp1252 leaves five bytes undefined; a file using them is Latin-1 (C1 controls).
            decoder = codecs.getincrementaldecoder("cp1252")()
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
