"""Commands. Each parses options, calls one library function, hands the result to present.py."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from feedsync.cli import present
from feedsync.cli.exit_codes import ExitCode

app = typer.Typer(
    name="feedsync",
    help="Syndicate one master catalog to Google Merchant Center, Meta catalogs and Amazon listings feeds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="Path to feedsync.toml.", dir_okay=False)]
OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output folder for the feeds, manifest.json and report.json.")
]
ChannelOpt = Annotated[list[str] | None, typer.Option("--channel", help="Only this channel (repeatable).")]
NowOpt = Annotated[
    datetime | None,
    typer.Option(
        "--now",
        help="Run clock (ISO 8601, UTC if no offset): previews sale windows, makes output reproducible.",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%SZ"],
    ),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Warnings fail the run too (exit 1).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback on failure.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing unless something is wrong.")]
FormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Report format on standard output.")]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html", help="Also write the self-contained HTML catalog health report to this file.", dir_okay=False
    ),
]
LogFormatOpt = Annotated[
    LogFormat,
    typer.Option(
        "--log-format",
        help="json: one JSON object per line on stderr (run id, stage, counts, seconds) and the summary as JSON.",
    ),
]
DeltaOpt = Annotated[
    bool,
    typer.Option("--delta", help="Write only what changed since the last published run, under OUT/delta/."),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Publish even if the publish gate refuses (recorded in the run history).")
]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", metavar="SECONDS", help="Wait up to this long for another build on the same OUT.", min=0),
]
PreviousOpt = Annotated[
    Path | None,
    typer.Option(
        "--previous", help="report.json of an earlier run: the HTML report shows the change since it.", dir_okay=False
    ),
]


def _guard(debug: bool, fn, log=None):
    """Library errors become one clear message and an exit code; --debug shows the traceback.
    With --log-format json the error is also a JSON line, and a one-line summary for cron."""
    from feedsync.errors import FeedsyncError

    try:
        return fn()
    except FeedsyncError as e:
        if debug:
            raise
        present.error(e, json_log=log is not None)
        raise typer.Exit(ExitCode(e.exit_code)) from None


@app.command()
def build(
    config: ConfigOpt = Path("feedsync.toml"),
    out: OutOpt = Path("out"),
    channel: ChannelOpt = None,
    now: NowOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = ReportFormat.text,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    html: HtmlOpt = None,
    previous: PreviousOpt = None,
    delta: DeltaOpt = False,
    force: ForceOpt = False,
    wait: WaitOpt = 0.0,
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """Build every enabled channel's feeds into OUT behind the publish gate (exit 4 when it refuses),
    with manifest.json and report.json; one summary line on stderr at the end."""
    from feedsync import build as build_feeds

    log = present.json_log if log_format == LogFormat.json else None

    def go():
        with present.progress(quiet or log is not None) as tick:
            return build_feeds(
                config,
                out,
                now=now,
                channels=_channels(channel),
                progress=tick,
                delta=delta,
                force=force,
                wait=wait,
                log=log,
            )

    if html:  # read before the build replaces it: the last build into OUT is the default comparison
        from feedsync.html_report import previous_report, write_html

        prior = _guard(debug, lambda: previous_report(previous, out / "report.json"), log)
    result = _guard(debug, go, log)
    present.report(result.report, fmt, quiet=quiet, feeds=result.feeds, out_dir=out)
    if html and result.published:
        present.html_written(
            _guard(debug, lambda: write_html(html, result.report, previous=prior, out_dir=out), log), quiet
        )
    code = ExitCode.GATE if result.refused else ExitCode.INVALID if result.report.failed(strict) else ExitCode.OK
    present.summary(result, code, quiet=quiet, json_log=log is not None)
    raise typer.Exit(code)


@app.command()
def validate(
    config: ConfigOpt = Path("feedsync.toml"),
    channel: ChannelOpt = None,
    now: NowOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = ReportFormat.text,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="Report and fail only on issues not in this baseline file.", dir_okay=False),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Record the current issues as a baseline file.", dir_okay=False),
    ] = None,
    log_format: LogFormatOpt = LogFormat.text,
) -> None:
    """Check the catalog against every enabled channel's rules; writes no feeds."""
    from feedsync import validate as validate_catalog

    log = present.json_log if log_format == LogFormat.json else None

    def go():
        with present.progress(quiet or fmt != ReportFormat.text or log is not None) as tick:
            return validate_catalog(
                config,
                now=now,
                channels=_channels(channel),
                progress=tick,
                baseline=baseline,
                write_baseline=write_baseline,
                log=log,
            )

    report = _guard(debug, go, log)
    present.report(report, fmt, quiet=quiet)
    present.baseline(report, quiet=quiet)
    raise typer.Exit(ExitCode.INVALID if report.failed(strict) else ExitCode.OK)


@app.command()
def diff(
    config: ConfigOpt = Path("feedsync.toml"),
    out: OutOpt = Path("out"),
    old: Annotated[
        str,
        typer.Option(
            "--old",
            help="What to compare from: 'last' (the last run published into OUT), a build's output folder, "
            "or another feedsync.toml.",
        ),
    ] = "last",
    new: Annotated[
        str,
        typer.Option(
            "--new",
            help="What to compare to: 'catalog' (what a build of --config would publish now), a build's output "
            "folder, or another feedsync.toml.",
        ),
    ] = "catalog",
    channel: ChannelOpt = None,
    now: NowOpt = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    limit: Annotated[int, typer.Option("--limit", help="Items shown per channel and kind (text format).", min=0)] = 20,
    debug: DebugOpt = False,
) -> None:
    """Added, removed and changed items per channel, with the changed fields' old and new values."""
    from feedsync import diff as diff_sides

    result = _guard(debug, lambda: diff_sides(config, out, old=old, new=new, channels=_channels(channel), now=now))
    present.diff(result, fmt, limit=limit)
    raise typer.Exit(ExitCode.OK)


@app.command()
def history(
    config: ConfigOpt = Path("feedsync.toml"),
    out: OutOpt = Path("out"),
    limit: Annotated[int, typer.Option("--limit", help="How many runs, newest first.", min=1)] = 20,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    debug: DebugOpt = False,
) -> None:
    """The last builds into OUT from the run history: published, refused or forced, with counts."""
    from feedsync import history as run_history

    runs = _guard(debug, lambda: run_history(config, out, limit=limit))
    present.history(runs, fmt)
    raise typer.Exit(ExitCode.OK)


@app.command()
def report(
    html: Annotated[
        Path, typer.Option("--html", help="Write the HTML catalog health report to this file.", dir_okay=False)
    ],
    source: Annotated[
        Path,
        typer.Option(
            "--from", help="report.json of the run (its manifest.json and feeds are read too).", dir_okay=False
        ),
    ] = Path("out/report.json"),
    previous: PreviousOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Write the self-contained HTML catalog health report of a finished build."""
    from feedsync.html_report import html_report_from_file

    written = _guard(debug, lambda: html_report_from_file(source, html, previous=previous))
    present.html_written(written, quiet)
    raise typer.Exit(ExitCode.OK)


@app.command()
def explain(
    sku: Annotated[str, typer.Argument(help="The product's id (SKU) in the master catalog.")],
    config: ConfigOpt = Path("feedsync.toml"),
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel's feeds.")] = None,
    now: NowOpt = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    debug: DebugOpt = False,
) -> None:
    """Every output field of one product on each channel, its final value and the chain that
    produced it (catalog row, override file and row, rule, template). Writes no files."""
    from feedsync import explain as explain_sku

    if channel:
        _guard(debug, lambda: _channels([channel]))
    doc = _guard(debug, lambda: explain_sku(config, sku, channel=channel, now=now))
    present.explain(doc, fmt)
    raise typer.Exit(ExitCode.OK)


@app.command()
def preview(
    config: ConfigOpt = Path("feedsync.toml"),
    now: NowOpt = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    debug: DebugOpt = False,
) -> None:
    """Per channel: the funnel (catalog, after rules, after validation, emitted), how many
    products each rule touched, and per-attribute fill rates. Writes no files."""
    from feedsync import preview as preview_catalog

    doc = _guard(debug, lambda: preview_catalog(config, now=now))
    present.preview(doc, fmt)
    raise typer.Exit(ExitCode.OK)


@app.command()
def channels() -> None:
    """List the channels and formats feedsync can write, with their config options."""
    from feedsync.channels import CHANNELS

    present.channels(CHANNELS)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the starter project (created if missing).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Write a commented starter project: feedsync.toml, catalog.csv, stock.csv, prices.csv."""
    from feedsync.starter import write_starter

    written = _guard(debug, lambda: write_starter(directory, force=force))
    present.initialised(directory, written)


def _channels(names: list[str] | None) -> list[str] | None:
    if not names:
        return None
    from feedsync.channels import get_channel

    for n in names:
        get_channel(n)  # unknown name -> UsageError listing the valid ones
    return names


def main() -> None:
    app()
