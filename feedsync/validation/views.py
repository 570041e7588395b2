"""Report views for CI systems: JUnit XML and GitHub workflow annotations."""

from __future__ import annotations

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


def github_annotations(r: Report, source: str | None = None) -> str:
    """`::error file=…,line=…::message`: the line is the catalog row + 1 (the header is line 1)."""
    src = source or r.catalog.get("source", "")
    lines = []
    for i in r.issue_list():
        level = "error" if i.severity == "error" else "warning"
        props = [f"file={_escape_property(str(src))}"] if src else []
        if i.row is not None:
            props.append(f"line={i.row + 1}")
        title = f"{i.code} ({i.channel or 'catalog'})"
        props.append(f"title={_escape_property(title)}")
        lines.append(f"::{level} {','.join(props)}::{_escape_annotation(f'{i.sku}: {i.message}')}")
    return "\n".join(lines) + ("\n" if lines else "")
