"""Report views for CI systems: JUnit XML and GitHub workflow annotations."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lxml import etree

from feedsync.validation.report import Report


def junit_xml(r: Report) -> str:
    """One test suite per channel ("catalog" for catalog-wide checks), one failing case per error."""
    suites = etree.Element("testsuites", name="feedsync", tests=str(len(r.issues)), failures=str(r.errors))
    by_channel: dict[str, list] = {}
    for i in r.issue_list():
        by_channel.setdefault(i.channel or "catalog", []).append(i)
    for channel, items in by_channel.items():
        errors = sum(1 for i in items if i.severity == "error")
        suite = etree.SubElement(suites, "testsuite", name=channel, tests=str(len(items)), failures=str(errors))
        for i in items:
            case = etree.SubElement(
                suite, "testcase", classname=f"{channel}.{i.code}", name=f"row {i.row} sku {i.sku} {i.field}"
            )
            if i.severity == "error":
                fail = etree.SubElement(case, "failure", type=i.code, message=i.message)
                fail.text = f"value: {i.value}"
            else:
                etree.SubElement(case, "system-out").text = f"warning {i.code}: {i.message}"
    return etree.tostring(suites, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_annotation(text).replace(":", "%3A").replace(",", "%2C")


# Issues whose row is a row of a stock or price file, not of the catalog.
OVERRIDE_CODES = frozenset({"unknown-sku", "invalid-override"})
CSV_FORMATS = frozenset({"csv", "tsv", "shopify", "woocommerce", "magento"})


def record_lines(path: Path, fmt: str, rows: set[int], encoding: str | None = None) -> dict[int, int]:
    """The file line each catalog record starts on. A quoted cell may span lines, so for
    delimited files this is counted with the csv module (only when annotations are asked for);
    a spreadsheet row is record + 1 (header), a JSON Lines record is its line."""
    if not rows:
        return {}
    if fmt == "xlsx":
        return {r: r + 1 for r in rows}
    if fmt == "jsonl":
        return {r: r for r in rows}
    if fmt not in CSV_FORMATS or not path.is_file():
        return {}
    enc = encoding or "utf-8"
    if enc.replace("_", "-").lower() in ("utf-8", "utf8"):
        enc = "utf-8-sig"
    out: dict[int, int] = {}
    try:
        with open(path, encoding=enc, errors="replace", newline="") as fh:
            header = fh.readline()
            delimiter = "\t" if fmt == "tsv" else max(",;|\t", key=header.count)
            reader = csv.reader(fh, delimiter=delimiter)
            start, last = 2, max(rows)
            for record, _ in enumerate(reader, 1):
                if record in rows:
                    out[record] = start
                if record >= last:
                    break
                start = reader.line_num + 2
    except (OSError, csv.Error):
        return {r: r + 1 for r in rows}
    return out


def _relative(source: str) -> str:
    """GitHub matches annotation paths against the repository checkout."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        return Path(source).resolve().relative_to(base).as_posix()
    except ValueError:
        return source


# GitHub shows 10 error, 10 warning and 10 notice annotations per step (50 per job), in the
# order printed; the rest stay in the log (actions/toolkit, docs/problem-matchers.md).
SHOWN_PER_KIND = 10


def github_annotations(r: Report, source: str | None = None) -> str:
    """`::error file=…,line=…::message` pointing at the catalog line where the product's record
    starts (line 1 is the header). Stock and price file issues name their file in the message.

    One annotation per problem: an issue found on several channels (the same code, row, SKU
    and field) is printed once with its channels in the title, errors first, then by row, so
    the annotations GitHub shows are the errors at the top of the file. When there are more
    than GitHub shows, a closing notice says how many and where the full list is."""
    src = source or r.catalog.get("source", "")
    fmt = str(r.catalog.get("format", ""))
    _, groups = r.grouped_issues()
    rows = {i.row for i, _ in groups if i.row is not None and i.code not in OVERRIDE_CODES}
    lines = record_lines(Path(src), fmt, rows, r.catalog.get("encoding")) if src and src != "sql" else {}
    shown = _relative(str(src)) if src and src != "sql" else ""
    out = []
    kinds = {"error": 0, "warning": 0}
    for i, channels in groups:
        level = "error" if i.severity == "error" else "warning"
        kinds[level] += 1
        props = []
        if shown and i.code not in OVERRIDE_CODES:
            props.append(f"file={_escape_property(shown)}")
            if i.row is not None and i.row in lines:
                props.append(f"line={lines[i.row]}")
        title = f"{i.code} ({', '.join(channels) or 'catalog'})"
        props.append(f"title={_escape_property(title)}")
        out.append(f"::{level} {','.join(props)}::{_escape_annotation(f'{i.sku}: {i.message}')}")
    if max(kinds.values()) > SHOWN_PER_KIND:
        note = (
            f"{kinds['error']} errors and {kinds['warning']} warnings; GitHub shows the first "
            f"{SHOWN_PER_KIND} of each here, all of them are in this step's log above "
            "(and in `feedsync validate --format json` or a build's report.json)"
        )
        out.append(f"::notice title=feedsync::{_escape_annotation(note)}")
    return "\n".join(out) + ("\n" if out else "")
