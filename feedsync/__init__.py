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
from feedsync.diff import DiffResult
from feedsync.errors import ConfigError, FeedsyncError, OutputError, SourceError, UsageError
from feedsync.pipeline import BuildOptions, Log, Progress, RunResult
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
    delta: bool = False,
    force: bool = False,
    wait: float = 0.0,
    log: Log | None = None,
) -> RunResult:
    """Validate and write every enabled channel's feeds into out_dir (atomically), behind the
    publish gate; `delta` writes only what changed since the last published run (under
    out_dir/delta/). `result.published` is False when the gate refused (`result.gate` says why)."""
    from feedsync.pipeline import run

    return run(
        _config(config),
        out_dir=Path(out_dir).resolve(),
        now=now,
        channels=channels,
        progress=progress,
        options=BuildOptions(delta=delta, force=force, wait=wait),
        log=log,
    )


def validate(
    config: Config | str | Path,
    *,
    now: datetime | None = None,
    channels: list[str] | None = None,
    progress: Progress | None = None,
    baseline: str | Path | None = None,
    write_baseline: str | Path | None = None,
    log: Log | None = None,
) -> Report:
    """Check the catalog against every enabled channel; writes no feeds.

    `write_baseline` records the current issues as a baseline file; `baseline` restricts the
    report to issues beyond that file (`report.baseline` has the known / new / fixed counts).
    """
    from feedsync import baseline as baselines
    from feedsync.pipeline import run

    report = run(_config(config), now=now, channels=channels, progress=progress, log=log).report
    if write_baseline is not None:
        entries = baselines.write_baseline(report, write_baseline)
        report.baseline = {"written": str(write_baseline), "entries": entries}
    if baseline is not None:
        report = baselines.apply_baseline(report, baselines.load_baseline(baseline), baseline)
    return report


def diff(
    config: Config | str | Path,
    out_dir: str | Path = "out",
    *,
    old: str | Path | None = "last",
    new: str | Path | None = None,
    channels: list[str] | None = None,
    now: datetime | None = None,
) -> DiffResult:
    """Added, removed and changed items per channel between two sides: "last" (the last run
    published into out_dir), None or "catalog" (what a build would publish now), a build's
    output folder, or another feedsync.toml."""
    from feedsync.diff import diff as diff_sides

    return diff_sides(_config(config), Path(out_dir).resolve(), old=old, new=new, channels=channels, now=now)


def history(config: Config | str | Path, out_dir: str | Path = "out", *, limit: int = 20) -> list[dict]:
    """The last runs into out_dir from the run history, newest first."""
    from feedsync.state import StateError, StateStore

    cfg = _config(config)
    if not cfg.state_path.exists():
        raise StateError(f"no run history at {cfg.state_path}", hint="run `feedsync build` first")
    with StateStore(cfg.state_path) as store:
        return store.runs(store.target_id(Path(out_dir).resolve()), limit)


def explain(config: Config | str | Path, sku: str, *, channel: str | None = None, now: datetime | None = None) -> dict:
    """Every output field of one product on each feed (or one channel's), its final value and
    the chain that produced it: catalog column and row, override file and row, rule, template."""
    from feedsync.introspect import explain as explain_sku

    return explain_sku(_config(config), sku, channel, now)


def preview(config: Config | str | Path, *, now: datetime | None = None) -> dict:
    """Per feed: the funnel (catalog, after rules, after stock policy, after validation,
    emitted), how many products each rule touched, per-attribute fill rates and the most
    frequent unmapped categories. Writes no files."""
    from feedsync.introspect import preview as preview_catalog

    return preview_catalog(_config(config), now)


__all__ = [
    "BuildOptions",
    "Config",
    "DiffResult",
    "ConfigError",
    "FeedsyncError",
    "Issue",
    "OutputError",
    "Report",
    "RunResult",
    "SourceError",
    "UsageError",
    "build",
    "diff",
    "explain",
    "history",
    "load_config",
    "preview",
    "validate",
]
