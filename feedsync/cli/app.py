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
PreviousOpt = Annotated[
    Path | None,
    typer.Option(
        "--previous", help="report.json of an earlier run: the HTML report shows the change since it.", dir_okay=False
    ),
]


def _guard(debug: bool, fn):
    """Library errors become one clear message and an exit code; --debug shows the traceback."""
    from feedsync.errors import FeedsyncError

    try:
        return fn()
    except FeedsyncError as e:
        if debug:
            raise
        present.error(e)
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
) -> None:
    """Build every enabled channel's feeds into OUT (atomically), with manifest.json and report.json."""
    from feedsync import build as build_feeds

    def go():
        with present.progress(quiet) as tick:
            return build_feeds(config, out, now=now, channels=_channels(channel), progress=tick)

    if html:  # read before the build replaces it: the last build into OUT is the default comparison
        from feedsync.html_report import previous_report, write_html

        prior = _guard(debug, lambda: previous_report(previous, out / "report.json"))
    result = _guard(debug, go)
    present.report(result.report, fmt, quiet=quiet, feeds=result.feeds, out_dir=out)
    if html:
        present.html_written(_guard(debug, lambda: write_html(html, result.report, previous=prior, out_dir=out)), quiet)
    raise typer.Exit(ExitCode.INVALID if result.report.failed(strict) else ExitCode.OK)


@app.command()
def validate(
    config: ConfigOpt = Path("feedsync.toml"),
    channel: ChannelOpt = None,
    now: NowOpt = None,
    strict: StrictOpt = False,
    fmt: FormatOpt = ReportFormat.text,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check the catalog against every enabled channel's rules; writes no feeds."""
    from feedsync import validate as validate_catalog

    def go():
        with present.progress(quiet or fmt != ReportFormat.text) as tick:
            return validate_catalog(config, now=now, channels=_channels(channel), progress=tick)

    report = _guard(debug, go)
    present.report(report, fmt, quiet=quiet)
    raise typer.Exit(ExitCode.INVALID if report.failed(strict) else ExitCode.OK)


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
