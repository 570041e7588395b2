"""One build at a time per output folder.

The lock is `.feedsync.lock` in the output folder, held with flock(2) for the life of the
build and naming its holder (pid, host, process start time). The kernel drops a flock when
its process dies, so a lock left by a killed build is stale and taken over; the pid check
additionally catches a live holder on a file system where flock is not shared.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from feedsync.errors import FeedsyncError, OutputError

LOCK_NAME = ".feedsync.lock"


class LockError(FeedsyncError):
    """Another build holds the output folder (exit 3)."""


def _start_time(pid: int) -> str | None:
    """The process start time (Linux: field 22 of /proc/PID/stat), so a reused pid is not mistaken for
    the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def pid_alive(pid: int, started: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is not None:
        now = _start_time(pid)
        if now is not None and now != started:
            return False  # the pid was reused by another process
    return True


@dataclass
class OutputLock:
    folder: Path
    wait: float = 0.0
    poll: float = 0.1
    taken_over: dict | None = None  # the stale holder's record, when one was replaced
    _fd: int | None = None
    _created: bool = False  # the folder did not exist: removed again if the build leaves it empty

    @property
    def path(self) -> Path:
        return self.folder / LOCK_NAME

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _open(self) -> int:
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True)
                self._created = True
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(
                f"cannot write to {self.folder}: {e.strerror} (creating the build lock {LOCK_NAME})",
                hint="check the --out folder is a folder and writable by the user running feedsync",
            ) from None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _start_time(os.getpid())}
        while True:
            fd = self._open()
            holder: dict | None = None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                got = True
            except BlockingIOError:
                got = False
            if got:
                if not self._same_file(fd):  # the previous holder removed it while we waited
                    os.close(fd)
                    continue
                holder = _read(fd)
                alive = (
                    holder is not None
                    and holder.get("pid") != me["pid"]
                    and holder.get("host") == me["host"]
                    and isinstance(holder.get("pid"), int)
                    and pid_alive(holder["pid"], holder.get("started"))
                    and holder.get("state") == "building"
                )
                if not alive:
                    if holder and holder.get("state") == "building":
                        self.taken_over = holder
                    record = {**me, "state": "building", "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, orjson.dumps(record) + b"\n", 0)
                    os.fsync(fd)
                    self._fd = fd
                    return
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                holder = _read(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                who = (
                    f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}"
                    if holder
                    else "another process"
                )
                raise LockError(
                    f"another build is writing to {self.folder} ({who})",
                    hint="wait for it to finish, or pass --wait SECONDS to queue behind it"
                    + (f"; if no build is running, delete {self.path}" if holder else ""),
                )
            time.sleep(min(self.poll, max(deadline - time.monotonic(), 0.01)))

    def _same_file(self, fd: int) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        if self._created:
            with suppress(OSError):
                self.folder.rmdir()  # only if the build wrote nothing


def _read(fd: int) -> dict | None:
    try:
        raw = os.pread(fd, 4096, 0)
        doc = orjson.loads(raw) if raw.strip() else None
    except (OSError, orjson.JSONDecodeError):
        return None
    return doc if isinstance(doc, dict) else None
