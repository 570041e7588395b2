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


def github_annotations(r: Report, source: str | None = None) -> str:
    """`::error file=…,line=…::message` pointing at the catalog line where the product's record
    starts (line 1 is the header). Stock and price file issues name their file in the message."""
    src = source or r.catalog.get("source", "")
    fmt = str(r.catalog.get("format", ""))
    issues = r.issue_list()
    rows = {i.row for i in issues if i.row is not None and i.code not in OVERRIDE_CODES}
    lines = record_lines(Path(src), fmt, rows, r.catalog.get("encoding")) if src and src != "sql" else {}
    shown = _relative(str(src)) if src and src != "sql" else ""
    out = []
    for i in issues:
        level = "error" if i.severity == "error" else "warning"
        props = []
        if shown and i.code not in OVERRIDE_CODES:
            props.append(f"file={_escape_property(shown)}")
            if i.row is not None and i.row in lines:
                props.append(f"line={lines[i.row]}")
        title = f"{i.code} ({i.channel or 'catalog'})"
        props.append(f"title={_escape_property(title)}")
        out.append(f"::{level} {','.join(props)}::{_escape_annotation(f'{i.sku}: {i.message}')}")
    return "\n".join(out) + ("\n" if out else "")
