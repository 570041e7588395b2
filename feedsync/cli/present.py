"""Everything the CLI shows. The only module that imports rich.

Human output goes to stderr for progress and errors; reports go to stdout so they can be
piped (`--format json | jq`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
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


def error(e: Exception, *, json_log: bool = False) -> None:
    hint = getattr(e, "hint", None)
    message = getattr(e, "message", str(e))
    if json_log:
        json_log_line({"stage": "error", "error": message, "fix": hint, "exit_code": getattr(e, "exit_code", 3)})
        json_log_line({"stage": "summary", "status": "error", "line": f"feedsync: FAILED {message}"})
        return
    err.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        err.print(f"  [bold]fix:[/] {escape(hint)}")


def json_log_line(event: dict[str, Any]) -> None:
    """One JSON object per line on stderr (`--log-format json`), with the wall-clock time."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sys.stderr.write(orjson.dumps({"ts": stamp, **event}, default=str).decode() + "\n")
    sys.stderr.flush()


json_log = json_log_line


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
    if fmt == "json":  # report.json's bytes, streamed: a dict per issue would cost gigabytes at millions
        sys.stdout.flush()
        r.stream_json(sys.stdout.buffer.write)
        sys.stdout.buffer.flush()
    elif fmt == "junit":
        from feedsync.validation.views import junit_xml

        sys.stdout.write(junit_xml(r))
    elif fmt == "github":
        from feedsync.validation.views import github_annotations

        sys.stdout.write(github_annotations(r))
    elif not quiet or r.errors or (r.gate and r.gate["fired"]):
        _text(r, feeds, out_dir)


def _text(r: Report, feeds: list[FeedFile] | None, out_dir: Path | None) -> None:
    cat = r.catalog
    out.print(
        f"catalog {escape(str(cat.get('source')))} ({cat.get('format')}"
        + (f", {cat['encoding']}" if cat.get("encoding") else "")
        + f"): {cat.get('rows', 0)} rows, {cat.get('parents', 0)} variant parents"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    filtered = any(s.filtered for s in r.channels.values())  # left out by rules or stock policies
    for col in ("channel", "products", "excluded", *(("filtered",) if filtered else ()), "items", "errors", "warnings"):
        table.add_column(col, justify="left" if col == "channel" else "right")
    for s in r.channels.values():
        items = str(s.items) if feeds is not None else "-"
        by_rule = (str(s.filtered),) if filtered else ()
        table.add_row(s.channel, str(s.products_in), _red(s.excluded), *by_rule, items, _red(s.errors), str(s.warnings))
    out.print(table)
    distinct, grouped = r.grouped_issues(MAX_SHOWN)
    if grouped:
        out.print(f"\n{r.errors} errors, {r.warnings} warnings")
    if distinct > MAX_SHOWN:
        counts = r.issues.groupby(["severity", "code"]).size().sort_values(ascending=False)
        out.print("  by code: " + ", ".join(f"{code} {n}" for (_, code), n in counts.items()))
    if grouped:
        out.print(f"  first {len(grouped)} of {distinct} distinct issues:")
    for issue, chans in grouped:
        where = f"row {issue.row}" if issue.row is not None else "file"
        color = "red" if issue.severity == "error" else "yellow"
        scope = ", ".join(chans) if chans else "all channels"
        out.print(
            f"  [{color}]{issue.severity:7}[/] {escape(where):9} sku={escape(issue.sku or '-')} "
            f"[bold]{issue.code}[/] [dim]({escape(scope)})[/]: {escape(issue.message)}"
        )
    if distinct > MAX_SHOWN:
        out.print(f"  ... and {distinct - MAX_SHOWN} more (full list: --format json, or report.json)")
    if r.changes:
        out.print("\nsince the last published run:")
        for name, ch in r.changes.items():
            out.print(f"  {name:13} {_change_text(ch)}")
    if r.gate and r.gate["fired"]:
        verdict = "[bold yellow]FORCED[/] (published anyway)" if r.gate["forced"] else "[bold red]REFUSED[/]"
        out.print(f"\npublish gate {verdict}:")
        for check in r.gate["fired"]:
            out.print(f"  [bold]{check['gate']}[/] {escape(check['message'])}")
        if not r.gate["forced"]:
            out.print("  the published feeds were left untouched; check the catalog, or pass --force to publish")
    if feeds is not None and out_dir is not None and not (r.gate and not r.gate["published"]):
        n_items = sum(f.items for f in feeds)
        out.print(f"\nwrote {len(feeds)} feed files ({n_items} items) to {out_dir}/ with manifest.json and report.json")


def _change_text(ch: dict[str, Any]) -> str:
    if ch.get("previous") is None:
        return f"{ch['items']} items (first published run)"
    parts = [f"+{ch['added']} added", f"-{ch['removed']} removed", f"~{ch['changed']} changed"]
    if ch.get("resent"):
        parts.append(f"{ch['resent']} due for re-send")
    text = f"{ch['items']} items: " + ", ".join(parts)
    if ch["mode"] == "delta":
        if "operations" in ch:
            ops = ", ".join(f"{n} {op}" for op, n in ch["operations"].items()) or "nothing to send"
            text += f"; delta: {ops}"
        elif "pending_new" in ch:
            text += f"; delta: supplemental ({ch['pending_new']} new wait for a full build)"
        else:
            text += "; delta: changed rows"
    return text


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


def summary(result: Any, code: int, *, quiet: bool = False, json_log: bool = False) -> None:
    """The last line of a build, for a cron mail: what was published, or which gate refused."""
    line = summary_line(result)
    if json_log:
        status = "refused" if result.refused else "forced" if (result.gate and result.gate.fired) else "ok"
        json_log_line(
            {"run": result.run_id, "stage": "summary", "status": status, "exit_code": int(code), "line": line}
        )
    elif not quiet or code or (result.gate and result.gate.fired):
        err.print(escape(line), highlight=False)


def summary_line(result: Any) -> str:
    r = result.report
    fired = result.gate.fired if result.gate else []
    reasons = "; ".join(c.message for c in fired)
    if result.refused:
        return f"feedsync: REFUSED {reasons}; nothing published"
    counts = []
    for i, (name, s) in enumerate(r.channels.items()):
        ch = result.changes.get(name, {})
        if ch.get("mode") == "delta":
            sent = sum((ch.get("operations") or {}).values())
            what = f"{sent} messages" if "operations" in ch else f"{ch.get('changed', 0)} changed"
            counts.append(f"{name} {what} (delta of {s.items})")
        else:
            counts.append(f"{name} {s.items}" + (" items" if i == 0 else ""))
    head = "FORCED " + reasons + "; published anyway; " if fired else "ok "
    mode = "delta " if result.mode == "delta" else ""
    tail = [f"{r.excluded_products()} excluded", f"{r.errors} errors"]
    if r.warnings:
        tail.append(f"{r.warnings} warnings")
    return f"feedsync: {head}{mode}{', '.join(counts)}; " + "; ".join(tail)


def baseline(r: Report, *, quiet: bool = False) -> None:
    b = r.baseline
    if not b or quiet:
        return
    if "written" in b:
        err.print(f"wrote baseline {escape(b['written'])} ({b['entries']} entries)")
    if "file" in b:
        err.print(
            f"baseline {escape(b['file'])}: {b['known']} known issues ignored, {b['new']} new "
            f"({b['new_errors']} errors, {b['new_warnings']} warnings), {b['fixed']} fixed since"
        )


def diff(result: Any, fmt: str, *, limit: int = 20) -> None:
    if fmt == "json":
        sys.stdout.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out.print(f"old: {escape(result.old)}\nnew: {escape(result.new)}")
    for name, c in result.channels.items():
        out.print(
            f"\n[bold]{name}[/]: {c.old_items} -> {c.new_items} items: "
            f"[green]+{len(c.added)} added[/], [red]-{len(c.removed)} removed[/], "
            f"[yellow]~{len(c.changed)} changed[/]"
        )
        if c.changed:
            out.print("  changed fields: " + ", ".join(f"{f} {n}" for f, n in c.field_counts.items()))
        if not c.fields_known:
            out.print("  [dim](field values unknown: the old snapshot was pruned; only ids compared)[/]")
        doc = c.to_dict()
        for key, mark, color in (("added", "+", "green"), ("removed", "-", "red")):
            for sku in doc[key][:limit]:
                out.print(f"  [{color}]{mark}[/] {escape(sku)}")
            if len(doc[key]) > limit:
                out.print(f"  ... {len(doc[key]) - limit} more {key}")
        for item in doc["changed"][:limit]:
            fields = "; ".join(
                f"{escape(f)}: {escape(_short(v['old']))} -> {escape(_short(v['new']))}"
                for f, v in item["fields"].items()
            )
            out.print(f"  [yellow]~[/] {escape(item['id'])}  {fields}")
        if len(doc["changed"]) > limit:
            out.print(f"  ... {len(doc['changed']) - limit} more changed (all of them: --format json)")
    if not result.differs:
        out.print("\nno differences")


def _short(v: str | None, width: int = 60) -> str:
    if v is None:
        return "(none)"
    v = v.replace("\n", " ")
    return repr(v if len(v) <= width else v[: width - 1] + "…")


def history(runs: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(orjson.dumps(runs, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if not runs:
        out.print("no runs recorded for this output folder")
    for run in runs:
        status = run["status"].upper() + (" (forced)" if run["forced"] else "")
        feeds = ", ".join(
            f"{name} {f['items']} (+{f['added']} -{f['removed']} ~{f['changed']})" for name, f in run["feeds"].items()
        )
        out.print(f"{run['run_clock']}  {run['run_id']}  {run['mode']:5}  {status:18} {escape(feeds)}")
        gate = run.get("gate") or {}
        for check in gate.get("fired", []):
            out.print(f"    {check['gate']}: {escape(check['message'])}")


def explain(doc: dict[str, Any], fmt: str) -> None:
    """Per feed: status, issues, then every field with its value and the chain behind it."""
    if fmt == "json":
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
        return
    cat = doc["catalog"]
    out.print(f"[bold]{escape(doc['sku'])}[/]: {escape(str(cat.get('source')))} row {cat.get('row')}")
    for key, feed in doc["feeds"].items():
        status = feed["status"]
        color = {"sent": "green", "excluded": "red"}.get(status, "yellow")
        out.print(f"\n[bold]{escape(key)}[/]: [{color}]{status}[/]")
        for reason in feed["excluded_by_rules"]:
            out.print(f"  left out by {escape(reason)}")
        for i in feed["issues"]:
            out.print(f"  {i['severity']} [bold]{i['code']}[/] {escape(i.get('field') or '')}: {escape(i['message'])}")
        for item in feed["items"]:
            if not item["fields"]:
                continue
            table = Table(box=None, pad_edge=False, header_style="bold", show_header=True)
            for col in ("field", "value", "from"):
                table.add_column(col, overflow="fold")
            for name, f in item["fields"].items():
                if f["value"] is None and not f["chain"]:
                    continue
                chain = " -> ".join(_step_text(s) for s in f["chain"]) or "set by the channel"
                table.add_row(escape(name), escape(_short(_text_value(f["value"]), 70)), escape(chain))
            out.print(table)


def _text_value(v: Any) -> str:
    return "" if v is None else str(v)


def _step_text(s: dict[str, Any]) -> str:
    kind = s["step"]
    if kind == "catalog":
        return f"catalog {s['column']} (row {s['row']})"
    if kind == "rule":
        where = f"line {s['line']}" if s.get("line") else f"{s.get('table')} row {s.get('table_row')}"
        return f"rule {s['rule']} {s['name']!r} ({where})"
    if kind == "template":
        return f"template {s['where']}"
    if kind == "category":
        return f"category map {s['table']} row {s['row']}"
    if kind in ("stock policy", "price policy"):
        return f"{kind}: {s['detail']}"
    loc = f" @ {s['location']}" if s.get("location") else ""
    return f"{s['file']} row {s['row']}{loc}"


def preview(doc: dict[str, Any], fmt: str) -> None:
    """Per feed: the funnel, the products each rule touched, the least filled attributes."""
    if fmt == "json":
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    cat = doc["catalog"]
    out.print(f"catalog {escape(str(cat.get('source')))}: {cat.get('rows', 0)} rows")
    stages = doc["funnel_stages"]
    funnel = Table(box=None, pad_edge=False, header_style="bold", title="funnel", title_justify="left")
    funnel.add_column("feed")
    for st in stages:
        funnel.add_column(st.replace("_", " "), justify="right")
    for key, feed in doc["feeds"].items():
        funnel.add_row(escape(key), *(str(feed["funnel"][st]) for st in stages))
    out.print(funnel)
    if doc["rules"]:
        rules = Table(
            box=None, pad_edge=False, header_style="bold", title="\nproducts each rule touched", title_justify="left"
        )
        rules.add_column("rule")
        for key in doc["feeds"]:
            rules.add_column(escape(key), justify="right")
        for r in doc["rules"]:
            label = f"rule {r['number']} {r['name']}"
            rules.add_row(escape(label), *(_touched(f["rules"], label) for f in doc["feeds"].values()))
        out.print(rules)
    out.print("\n[bold]fill rates[/] (attributes below 100%)")
    for key, feed in doc["feeds"].items():
        low = [f"{k} {v:.0%}" for k, v in feed["fill_rates"].items() if v < 1]
        out.print(f"  {escape(key):13} " + (escape(", ".join(low)) if low else "every attribute filled"))
        if feed["unmapped_categories"]:
            top = ", ".join(f"{u['value']!r} ({u['products']})" for u in feed["unmapped_categories"][:5])
            out.print(f"  {'':13} unmapped categories ({feed['unmapped_category_products']} products): {escape(top)}")


def _touched(rules: dict[str, int], label: str) -> str:
    return str(rules[label]) if label in rules else "-"
