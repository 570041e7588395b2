"""Everything the CLI shows. The only module that imports rich.

Human output goes to stderr for progress and errors; reports go to stdout so they can be
piped (`--format json | jq`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from feedsync.output import FeedFile
from feedsync.validation.codes import CODES
from feedsync.validation.report import Report

MAX_SHOWN = 20

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error(e: Exception) -> None:
    hint = getattr(e, "hint", None)
    err.print(f"[bold red]error:[/] {escape(getattr(e, 'message', str(e)))}")
    if hint:
        err.print(f"  [bold]fix:[/] {escape(hint)}")


@contextmanager
def progress(quiet: bool) -> Iterator[Any]:
    """A progress bar on a terminal for long runs; silent when stderr is not a terminal."""
    if quiet or not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("products"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    )
    task = bar.add_task("build", total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


def report(
    r: Report, fmt: str, *, quiet: bool = False, feeds: list[FeedFile] | None = None, out_dir: Path | None = None
) -> None:
    if fmt == "json":
        sys.stdout.write(orjson.dumps(r.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt == "junit":
        from feedsync.validation.views import junit_xml

        sys.stdout.write(junit_xml(r))
    elif fmt == "github":
        from feedsync.validation.views import github_annotations

        sys.stdout.write(github_annotations(r))
    elif not quiet or r.errors:
        _text(r, feeds, out_dir)


def _text(r: Report, feeds: list[FeedFile] | None, out_dir: Path | None) -> None:
    cat = r.catalog
    out.print(
        f"catalog {escape(str(cat.get('source')))} ({cat.get('format')}"
        + (f", {cat['encoding']}" if cat.get("encoding") else "")
        + f"): {cat.get('rows', 0)} rows, {cat.get('parents', 0)} variant parents"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("channel", "products", "excluded", "items", "errors", "warnings"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for s in r.channels.values():
        items = str(s.items) if feeds is not None else "-"
        table.add_row(s.channel, str(s.products_in), _red(s.excluded), items, _red(s.errors), str(s.warnings))
    out.print(table)
    grouped = r.grouped_issues()
    if grouped:
        out.print(f"\n{r.errors} errors, {r.warnings} warnings")
    if len(grouped) > MAX_SHOWN:
        counts = r.issues.groupby(["severity", "code"]).size().sort_values(ascending=False)
        out.print("  by code: " + ", ".join(f"{code} {n}" for (_, code), n in counts.items()))
    if grouped:
        out.print(f"  first {min(len(grouped), MAX_SHOWN)} of {len(grouped)} distinct issues:")
    for issue, chans in grouped[:MAX_SHOWN]:
        where = f"row {issue.row}" if issue.row is not None else "file"
        color = "red" if issue.severity == "error" else "yellow"
        scope = ", ".join(chans) if chans else "all channels"
        out.print(
            f"  [{color}]{issue.severity:7}[/] {escape(where):9} sku={escape(issue.sku or '-')} "
            f"[bold]{issue.code}[/] [dim]({escape(scope)})[/]: {escape(issue.message)}"
        )
    if len(grouped) > MAX_SHOWN:
        out.print(f"  ... and {len(grouped) - MAX_SHOWN} more (full list: --format json, or report.json)")
    if feeds is not None and out_dir is not None:
        n_items = sum(f.items for f in feeds)
        out.print(f"\nwrote {len(feeds)} feed files ({n_items} items) to {out_dir}/ with manifest.json and report.json")


def _red(n: int) -> str:
    return f"[red]{n}[/]" if n else "0"


def html_written(path: Path, quiet: bool = False) -> None:
    """On stderr: stdout may carry a --format json report."""
    if not quiet:
        err.print(f"wrote HTML report {escape(str(path))}")


def channels(registry: dict[str, ModuleType]) -> None:
    for name, module in registry.items():
        out.print(
            f"[bold]{name}[/]  {module.TITLE}  formats: {', '.join(module.FORMATS)} "
            f"(default {', '.join(module.DEFAULT_FORMATS)})"
        )
        for opt in module.OPTIONS:
            req = " [required]" if opt.required else ""
            default = "" if opt.default is None else f" (default {opt.default!r})"
            out.print(f"    {opt.key}{escape(req)}{escape(default)}: {escape(opt.help)}")


def initialised(directory: Path, written: list[Path]) -> None:
    for p in written:
        out.print(f"wrote {p}")
    out.print(f"\nnext: feedsync build --config {directory / 'feedsync.toml'} --out {directory / 'out'}")


def code_table() -> list[tuple[str, str, str]]:
    return [(c.code, c.severity, c.fix) for c in CODES.values()]
