"""`feedsync init DIR`: a small commented project that builds as it is."""

from __future__ import annotations

from pathlib import Path

from feedsync.errors import UsageError
from feedsync.output import write_atomic
from feedsync.resources import data_dir


def write_starter(directory: Path, *, force: bool = False) -> list[Path]:
    source = data_dir("templates") / "starter"
    files = sorted(p for p in source.iterdir() if p.is_file())
    targets = [directory / p.name for p in files]
    clash = [t for t in targets if t.exists()]
    if clash and not force:
        raise UsageError(f"{clash[0]} already exists", hint="choose an empty folder, or pass --force to overwrite")
    directory.mkdir(parents=True, exist_ok=True)
    for src, dst in zip(files, targets, strict=True):
        write_atomic(dst, src.read_bytes())
    return targets
