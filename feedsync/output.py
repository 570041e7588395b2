"""Atomic file output and the manifest.

A feed is written to a temporary file in its final folder; only when every feed of the run
is complete are they fsynced and renamed into place, manifest last. A failed run leaves the
previous feeds untouched and no temporary files behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from feedsync.errors import OutputError

DELTA_DIR = "delta"  # `build --delta` writes its files under OUT/delta/<channel>/


@dataclass
class FeedFile:
    channel: str
    format: str
    path: Path  # final path
    items: int
    bytes: int = 0
    sha256: str = ""


class PendingFile:
    """A file being written next to its final path; `commit()` renames it into place."""

    def __init__(self, final: Path, *, compress: bool = False) -> None:
        self.final = final.with_name(final.name + ".gz") if compress else final
        try:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = self.final.with_name(f".{self.final.name}.{os.getpid()}.tmp")
            self._raw: BinaryIO = open(self.tmp, "wb")  # noqa: SIM115 - closed in commit/abort
        except OSError as e:
            raise OutputError(
                f"cannot write to {final.parent}: {e.strerror}", hint="check the --out folder exists and is writable"
            ) from None
        self._hash = hashlib.sha256()
        self._out = _Hashing(self._raw, self._hash)  # hashed as written: no second read at the end
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._out, mtime=0) if compress else None
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        try:
            if self._gz is not None:
                self._gz.write(data)
            else:
                self._out.write(data)
        except OSError as e:
            raise OutputError(f"cannot write {self.final}: {e.strerror}", hint="check free disk space") from None

    def finish(self) -> None:
        """Flush and fsync; the file is complete but not yet in place."""
        if self._gz is not None:
            self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        self.size = self.tmp.stat().st_size
        if self.size != self._out.size:
            raise OutputError(f"cannot write {self.final}: short write", hint="check free disk space")

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def commit(self) -> None:
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        try:
            if not self._raw.closed:
                self._raw.close()
        finally:
            self.tmp.unlink(missing_ok=True)


class _Hashing:
    """A binary file that hashes what goes through it (SHA-256 releases the GIL on big
    buffers, so the hashing overlaps with other threads' work)."""

    def __init__(self, raw: BinaryIO, digest: Any) -> None:
        self.raw, self.digest, self.size = raw, digest, 0

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        n = self.raw.write(data)
        self.size += memoryview(data).nbytes
        return n

    def flush(self) -> None:
        self.raw.flush()


def write_atomic(path: Path, data: bytes) -> None:
    pending = PendingFile(path)
    try:
        pending.write(data)
        pending.finish()
        pending.commit()
    except BaseException:
        pending.abort()
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_all(pending: list[PendingFile]) -> None:
    try:
        for p in pending:
            p.commit()
    except OSError as e:
        for q in pending:
            q.abort()  # files not yet renamed must not stay behind as temporary files
        raise OutputError(
            f"cannot move {p.final.name} into place in {p.final.parent}: {e.strerror}",
            hint="check free disk space and permissions, then run the build again",
        ) from None
    for folder in {p.final.parent for p in pending}:
        fsync_dir(folder)


def manifest(out_dir: Path, generated_at: str, feeds: list[FeedFile], excluded: int, *, mode: str = "full") -> dict:
    """What this run wrote. Delta files (under delta/, from `build --delta`) carry "mode": "delta"."""
    return {
        "generated_at": generated_at,
        "mode": mode,
        "feeds": [
            {
                "channel": f.channel,
                "format": f.format,
                "path": f.path.relative_to(out_dir).as_posix(),
                "items": f.items,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "mode": "delta" if f.path.relative_to(out_dir).parts[0] == DELTA_DIR else "full",
            }
            for f in feeds
        ],
        "excluded": excluded,
    }


def dumps(doc: object) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
