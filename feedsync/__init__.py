"""feedsync: one master catalog, validated and syndicated to Google, Meta and Amazon.

Library API (the CLI is a thin layer over it):

    from feedsync import build, validate, load_config
    result = build("feedsync.toml", "out")      # RunResult: report, feeds, manifest
    report = validate("feedsync.toml")           # Report: issues, per-channel counts
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from feedsync.config import Config, load_config
from feedsync.errors import ConfigError, FeedsyncError, OutputError, SourceError, UsageError
from feedsync.pipeline import Progress, RunResult
from feedsync.validation.issues import Issue
from feedsync.validation.report import Report

__version__ = "0.1.0"


def _config(config: Config | str | Path) -> Config:
    return config if isinstance(config, Config) else load_config(config)


def build(
    config: Config | str | Path,
    out_dir: str | Path,
    *,
    now: datetime | None = None,
    channels: list[str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Validate and write every enabled channel's feeds into out_dir (atomically)."""
    from feedsync.pipeline import run

    return run(_config(config), out_dir=Path(out_dir).resolve(), now=now, channels=channels, progress=progress)


def validate(
    config: Config | str | Path,
    *,
    now: datetime | None = None,
    channels: list[str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check the catalog against every enabled channel; writes nothing."""
    from feedsync.pipeline import run

    return run(_config(config), now=now, channels=channels, progress=progress).report


__all__ = [
    "Config",
    "ConfigError",
    "FeedsyncError",
    "Issue",
    "OutputError",
    "Report",
    "RunResult",
    "SourceError",
    "UsageError",
    "build",
    "load_config",
    "validate",
]
