"""The self-contained HTML report: content, escaping, caps, CLI, and a real browser (headless Chromium)."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from feedsync import build
from feedsync.cli.app import app
from feedsync.cli.exit_codes import ExitCode
from feedsync.html_report import (
    MAX_EXAMPLES_PER_CODE,
    MAX_PRODUCTS,
    load_report,
    profile_feeds,
    profile_frames,
    render_html,
    trend,
    write_html,
)
from feedsync.resources import data_dir
from feedsync.starter import write_starter

NOW = pd.Timestamp("2026-03-01T00:00:00Z").to_pydatetime()
SCRIPT_TITLE = "<script>window.__pwned = 1</script> Tee " + "x" * 160  # too long for Google: shown as a value
EVIL_SKU = 'EVIL-"><img src=x onerror="window.__pwned=2">'


def _project(tmp_path: Path) -> Path:
    """The starter project plus rows with known problems (one of them hostile markup)."""
    folder = tmp_path / "shop"
    write_starter(folder)
    catalog = folder / "catalog.csv"
    with catalog.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    base = {
        "link": "https://shop.example.com/p",
        "image_link": "https://shop.example.com/p.jpg",
        "brand": "Example Co",
        "price": "10.00",
        "currency": "USD",
        "quantity": "5",
        "condition": "new",
        "description": "A product.",
        "google_product_category": "212",
    }
    rows = [
        {**base, "id": "BAD-TITLE", "title": SCRIPT_TITLE, "gtin": "4006381333931"},
        {**base, "id": EVIL_SKU, "title": "Evil sku", "gtin": "4006381333932"},  # wrong check digit
        {**base, "id": "BAD-PRICE", "title": "Bad price", "price": "19,99€", "gtin": "036000291452"},
        {**base, "id": "NO-IMAGE", "title": "No image", "image_link": "", "gtin": "036000291452"},
        {**base, "id": "OK-1", "title": "Fine", "gtin": "", "quantity": "0"},
    ]
    with catalog.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in header})
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("html")
    folder = _project(tmp)
    out = folder / "out"
    build(folder / "feedsync.toml", out, now=NOW)
    return out, load_report(out / "report.json")


def _report(issues: list[dict[str, Any]], **channels: dict[str, int]) -> dict[str, Any]:
    return {
        "generated_at": "2026-03-01T00:00:00Z",
        "catalog": {"source": "catalog.csv", "format": "csv", "encoding": "utf-8", "rows": 10, "parents": 0},
        "summary": {
            "errors": sum(i["severity"] == "error" for i in issues),
            "warnings": sum(i["severity"] == "warning" for i in issues),
            "excluded_products": 0,
        },
        "channels": {
            name: {"channel": name, "formats": ["tsv"], "top_codes": [], **{"products_in": 10, "items": 10, **c}}
            for name, c in (channels or {"google": {}}).items()
        },
        "codes": {},
        "issues": issues,
        "excluded": [],
    }


def _issue(code: str = "invalid-gtin", sku: str = "A", row: int = 1, channel: str = "google", **kw: Any) -> dict:
    return {
        "code": code,
        "severity": kw.pop("severity", "error"),
        "channel": channel,
        "row": row,
        "sku": sku,
        "field": kw.pop("field", "gtin"),
        "value": kw.pop("value", "123"),
        "message": kw.pop("message", "gtin '123' is not valid"),
    }


# ---------------------------------------------------------------------------------------------
# Content and safety


def test_product_data_is_escaped() -> None:
    issues = [
        _issue(sku="<script>alert(1)</script>", value="<script>alert(2)</script>", message="<b>bold</b>"),
        _issue("too-long", sku=EVIL_SKU, field="title", value=SCRIPT_TITLE),
    ]
    html = render_html(_report(issues))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'onerror="window' not in html
    assert len(re.findall(r"<script\b", html)) == 1  # only the page's own script


def test_self_contained() -> None:
    html = render_html(_report([_issue(value="https://cdn.example.com/x.jpg")]))
    # no attribute or stylesheet loads anything from elsewhere
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "@import" not in html
    assert "Content-Security-Policy" in html


def test_headline_numbers_and_fix_text(built: tuple[Path, dict[str, Any]]) -> None:
    out, report = built
    html = render_html(report)
    for name, ch in report["channels"].items():
        card = html.split(f'data-channel="{name}" aria-labelledby', 1)[1].split("</article>", 1)[0]
        for key in ("products_in", "items", "excluded", "errors", "warnings"):
            assert f'data-metric="{key}" data-value="{ch[key]}"' in card
    for code, meta in report["codes"].items():
        assert f'id="code-{code}"' in html
        assert meta["fix"].replace("'", "&#39;") in html


def test_change_since_previous_run() -> None:
    now = _report([_issue()], google={"errors": 5, "items": 90, "excluded": 5})
    before = _report([], google={"errors": 2, "items": 95, "excluded": 2}, meta={})
    before["generated_at"] = "2026-02-28T00:00:00Z"
    html = render_html(now, previous=before)
    assert 'data-metric="errors" data-value="5" data-delta="3"' in html
    assert 'data-metric="items" data-value="90" data-delta="-5"' in html
    assert "delta-bad" in html and "delta-good" in html  # more errors worse, fewer items worse too
    assert "2026-02-28T00:00:00Z" in html
    assert 'id="chart-trend"' in html  # previous run + this one make a trend


def test_trend_orders_and_deduplicates() -> None:
    a = _report([_issue()])
    a["generated_at"] = "2026-01-02T00:00:00Z"
    b = _report([_issue(), _issue(sku="B")])
    b["generated_at"] = "2026-01-01T00:00:00Z"
    now = _report([])
    points = trend([a, b, a], now)
    assert [p["generated_at"] for p in points] == ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", now["generated_at"]]
    assert [p["errors"] for p in points] == [2, 1, 0]
    assert points[-1]["items"] == {"google": 10}
    html = render_html(now, history=[a, b])
    assert html.count('class="mark-error"') == 3 + 1  # three points, one legend marker


def test_examples_and_product_details_are_capped() -> None:
    issues = [_issue(sku=f"S{i}", row=i + 1) for i in range(3000)]
    issues += [_issue("missing-identifier", severity="warning", sku=f"W{i}", row=i + 1) for i in range(3000)]
    report = _report(issues)
    report["excluded"] = [
        {"channel": "google", "sku": f"S{i}", "row": i + 1, "codes": "invalid-gtin"} for i in range(3000)
    ]
    html = render_html(report)
    section = html.split('id="code-invalid-gtin"', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr data-channels") == MAX_EXAMPLES_PER_CODE
    assert f"Showing {MAX_EXAMPLES_PER_CODE} of 3,000 products" in section
    assert len(re.findall(r'<article class="product" id="p-\d+"', html)) == MAX_PRODUCTS
    assert 'href="#p-1"' in html


def test_same_issue_on_several_channels_is_one_example() -> None:
    issues = [_issue(channel=c) for c in ("google", "meta", "amazon")]
    html = render_html(_report(issues, google={}, meta={}, amazon={}))
    section = html.split('id="code-invalid-gtin"', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr data-channels") == 1
    assert 'data-channels="google meta amazon"' in section


def test_fill_rates_from_frames_and_feed_files(built: tuple[Path, dict[str, Any]]) -> None:
    out, report = built
    frames = {
        "google": pd.DataFrame(
            {
                "id": ["a", "b", "c", "d"],
                "gtin": ["1", "", None, "2"],
                "availability": ["in_stock", "out_of_stock", "in stock", ""],
                "price": ["10.00 USD", "12.50 USD", "x", ""],
            }
        )
    }
    p = profile_frames(frames)["google"]
    assert p.fill_rates == {"id": 1.0, "gtin": 0.5, "availability": 0.75, "price": 0.75}
    assert p.availability == {"in_stock": 2, "out_of_stock": 1}
    assert list(p.prices) == [10.0, 12.5] and p.currency == "USD"

    profiles = profile_feeds(out)
    assert set(profiles) == set(report["channels"])
    for name, prof in profiles.items():
        assert prof.items == report["channels"][name]["items"], name
        assert not prof.note
    assert profiles["google"].fill_rates["id"] == 1.0
    assert profiles["amazon"].fill_rates["item_name"] == 1.0
    assert sum(profiles["meta"].availability.values()) == report["channels"]["meta"]["items"]
    html = render_html(report, profiles=profiles)
    assert 'id="chart-availability"' in html and 'id="chart-prices"' in html
    assert 'class="filltable" data-channel="amazon"' in html
    # fill rates computed elsewhere can be passed as plain numbers
    html = render_html(report, fill_rates={"google": {"gtin": 0.25}})
    assert "25%" in html and "&#9888; 25%" in html


def test_delimited_feeds_profile_the_same_block_by_block(built, monkeypatch) -> None:
    """A large TSV/CSV feed is profiled a block at a time; blocks of a few rows give the numbers
    of one block holding the whole file."""
    import feedsync.html_report as html_report

    out, _ = built
    whole = profile_feeds(out)
    monkeypatch.setattr(html_report, "BLOCK_BYTES", 512)
    assert len(list(html_report._delimited_batches(out / "meta" / "products.csv", ","))) > 1
    blocks = profile_feeds(out)
    for name in ("google", "google_local", "meta"):
        a, b = whole[name], blocks[name]
        assert (a.items, a.profiled, a.fill_rates, a.availability, a.currency) == (
            b.items,
            b.profiled,
            b.fill_rates,
            b.availability,
            b.currency,
        ), name
        assert list(a.prices) == list(b.prices), name


def test_price_histogram_handles_one_price_and_outliers() -> None:
    from feedsync.html_report import FeedProfile, _price_view

    one = _price_view({"google": FeedProfile("google", 3, prices=np.array([5.0, 5.0, 5.0]))}, ["google"])
    assert one is not None and sum(b["count"] for b in one["bars"]) == 3
    prices = np.concatenate([np.linspace(1, 100, 990), np.full(10, 1e6)])
    view = _price_view({"google": FeedProfile("google", 1000, prices=prices)}, ["google"])
    assert sum(b["count"] for b in view["bars"]) == 1000
    assert view["bars"][-1]["label"].startswith("over")


def test_colours_meet_wcag_aa() -> None:
    css = (data_dir("templates") / "report" / "report.css").read_text()
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))

    def lum(hex_: str) -> float:
        rgb = [int(hex_[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    def ratio(a: str, b: str) -> float:
        hi, lo = sorted((lum(a), lum(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    text_pairs = [("fg", "bg"), ("muted", "bg"), ("muted", "panel"), ("fg", "panel"), ("link", "bg")]
    text_pairs += [(s, s) for s in ("error", "warning", "ok")]  # on their own tint: --error on --error-bg ...
    for fg, bg in text_pairs:
        bg_name = f"{bg}-bg" if fg == bg else bg
        assert ratio(var[fg], var[bg_name]) >= 4.5, (fg, bg_name)
        assert ratio(var[fg], var["bg"]) >= 4.5, (fg, "bg")
    for graphic in ("blue", "purple", "grey", "ok", "error", "warning"):
        assert ratio(var[graphic], var["bg"]) >= 3.0, graphic


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_build_html_and_report_command(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    out = folder / "out"
    runner = CliRunner()
    args = ["build", "-c", str(folder / "feedsync.toml"), "-o", str(out), "--now", "2026-03-01", "-q"]
    first = runner.invoke(app, [*args, "--html", str(tmp_path / "first.html")])
    assert first.exit_code == ExitCode.INVALID, first.output  # the project has data errors
    page = (tmp_path / "first.html").read_text(encoding="utf-8")
    assert "Catalog health report" in page and "compared with the run" not in page

    # a second build into the same folder compares with the report it replaces
    second = runner.invoke(app, [*args, "--html", str(tmp_path / "second.html")])
    assert second.exit_code == ExitCode.INVALID
    assert "compared with the run of" in (tmp_path / "second.html").read_text(encoding="utf-8")
    assert 'data-metric="errors"' in page and 'data-delta="0"' in (tmp_path / "second.html").read_text()

    # --format json keeps stdout pure JSON
    js = runner.invoke(app, [*args, "-f", "json", "--html", str(tmp_path / "third.html")])
    json.loads(js.stdout)

    rep = runner.invoke(
        app,
        [
            "report",
            "--html",
            str(tmp_path / "r.html"),
            "--from",
            str(out / "report.json"),
            "--previous",
            str(out / "report.json"),
        ],
    )
    assert rep.exit_code == ExitCode.OK, rep.output
    assert "r.html" in rep.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="chart-availability"' in html  # feeds profiled from the manifest next to report.json


def test_cli_report_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = _project(tmp_path)
    no_previous = runner.invoke(
        app,
        [
            "build",
            "-c",
            str(folder / "feedsync.toml"),
            "-o",
            str(folder / "out"),
            "--html",
            str(tmp_path / "b.html"),
            "--previous",
            str(tmp_path / "missing.json"),
        ],
    )
    assert no_previous.exit_code == ExitCode.UNREADABLE  # before anything is built
    assert not (folder / "out").exists()
    missing = runner.invoke(app, ["report", "--html", str(tmp_path / "r.html"), "--from", str(tmp_path / "nope.json")])
    assert missing.exit_code == ExitCode.UNREADABLE
    assert "feedsync build" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a report"}')
    wrong = runner.invoke(app, ["report", "--html", str(tmp_path / "r.html"), "--from", str(bad)])
    assert wrong.exit_code == ExitCode.UNREADABLE
    assert not (tmp_path / "r.html").exists()
    no_html = runner.invoke(app, ["report", "--from", str(bad)])
    assert no_html.exit_code == ExitCode.USAGE


def test_write_html_ignores_feeds_of_another_run(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, report = built
    other = {**report, "generated_at": "1999-01-01T00:00:00Z"}
    page = write_html(tmp_path / "x.html", other, out_dir=out).read_text(encoding="utf-8")
    assert 'id="chart-availability"' not in page and "Not available" in page


# ---------------------------------------------------------------------------------------------
# A real browser: headless Chromium driven over the DevTools protocol

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


class Browser:
    """Just enough of the DevTools protocol: navigate, evaluate, screenshot, console messages."""

    def __init__(self, binary: str, profile: Path) -> None:
        import websocket  # websocket-client, a test dependency

        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "--window-size=1280,2000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            page = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        if any(e.get("method") == event for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == event:
                return
        raise TimeoutError(event)

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int = 1280, height: int = 2000, full: bool = False) -> None:
        if full:
            height = int(self.js("Math.ceil(document.documentElement.scrollHeight)"))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and browser log errors (e.g. a blocked load)."""
        found = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                found.append(
                    f"console.{p['type']}: {[a.get('value', a.get('description')) for a in p.get('args', [])]}"
                )
            elif m == "Runtime.exceptionThrown":
                found.append(
                    f"uncaught: {p['exceptionDetails'].get('exception', {}).get('description') or p['exceptionDetails'].get('text')}"
                )
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                found.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return found

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _set(browser: Browser, element_id: str, value: str, event: str) -> None:
    """Set a form control's value as a user would, firing its event."""
    browser.js(
        f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); e.value = {json.dumps(value)};"
        f" e.dispatchEvent(new Event({json.dumps(event)})); }})()"
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium); the browser test needs it")
    pytest.importorskip("websocket", reason="websocket-client (the test extra) drives Chromium")
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


def test_report_in_a_real_browser(built: tuple[Path, dict[str, Any]], browser: Browser, tmp_path: Path) -> None:
    out, report = built
    previous = json.loads(json.dumps(report))
    previous["generated_at"] = "2026-02-28T00:00:00Z"
    previous["channels"]["google"]["errors"] += 2
    page = write_html(tmp_path / "report.html", report, previous=previous, out_dir=out)
    browser.open(page.as_uri())
    assert browser.problems() == []

    # the key numbers on the page are the report's
    shown = browser.js(
        """Array.from(document.querySelectorAll('article.channel')).map(c => ({
             name: c.dataset.channel,
             metrics: Object.fromEntries(Array.from(c.querySelectorAll('dd[data-metric]'))
               .map(d => [d.dataset.metric, Number(d.dataset.value)])),
             text: Object.fromEntries(Array.from(c.querySelectorAll('dd[data-metric]'))
               .map(d => [d.dataset.metric, d.firstChild.textContent.trim()])),
           }))"""
    )
    assert [c["name"] for c in shown] == list(report["channels"])
    for c in shown:
        expected = report["channels"][c["name"]]
        for key in ("products_in", "items", "excluded", "errors", "warnings"):
            assert c["metrics"][key] == expected[key], (c["name"], key)
            assert c["text"][key].replace(",", "") == str(expected[key])
    assert browser.js("document.getElementById('summary-errors').textContent") == str(report["summary"]["errors"])
    assert (
        browser.js(
            "document.querySelector('article.channel[data-channel=google] dd[data-metric=errors]').dataset.delta"
        )
        == "-2"
    )
    counts = browser.js(
        "Object.fromEntries(Array.from(document.querySelectorAll('#code-table tbody tr')).map(r => [r.dataset.code, Number(r.cells[2].dataset.value)]))"
    )
    expected_counts: dict[str, int] = {}
    for i in report["issues"]:
        expected_counts[i["code"]] = expected_counts.get(i["code"], 0) + 1
    assert counts == expected_counts

    # hostile product data is text, never markup: one script element (the page's own), nothing ran
    assert browser.js("document.scripts.length") == 1
    assert browser.js("window.__pwned === undefined")
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.body.textContent.includes('<script>window.__pwned = 1</script>')")
    assert browser.js(f"document.body.textContent.includes({json.dumps(EVIL_SKU)})")

    # links from examples reach the product details
    target = browser.js("document.querySelector('#code-too-long tbody a').getAttribute('href')")
    assert browser.js(f"document.querySelector({json.dumps(target)}).textContent.includes('BAD-TITLE')")

    # sorting: the Issues column, ascending then descending
    browser.js("document.querySelector('#code-table thead th:nth-child(3) button').click()")
    up = browser.js(
        "Array.from(document.querySelectorAll('#code-table tbody tr')).map(r => Number(r.cells[2].dataset.value))"
    )
    assert up == sorted(up)
    assert (
        browser.js("document.querySelector('#code-table thead th:nth-child(3)').getAttribute('aria-sort')")
        == "ascending"
    )
    browser.js("document.querySelector('#code-table thead th:nth-child(3) button').click()")
    down = browser.js(
        "Array.from(document.querySelectorAll('#code-table tbody tr')).map(r => Number(r.cells[2].dataset.value))"
    )
    assert down == sorted(up, reverse=True)

    # filtering: severity, channel, text
    visible = "Array.from(document.querySelectorAll('#code-table tbody tr')).filter(r => r.offsetParent !== null).map(r => r.dataset.code)"
    _set(browser, "filter-severity", "error", "change")
    assert set(browser.js(visible)) == {c for c, m in report["codes"].items() if m["severity"] == "error"}
    _set(browser, "filter-severity", "", "change")
    _set(browser, "filter-text", "BAD-PRICE", "input")
    sections = browser.js(
        "Array.from(document.querySelectorAll('section.code')).filter(s => s.offsetParent !== null).map(s => s.dataset.code)"
    )
    assert sections == ["invalid-price"]
    assert "Showing 1 of" in browser.js("document.getElementById('filter-status').textContent")
    _set(browser, "filter-text", "", "input")
    _set(browser, "filter-channel", "meta", "change")
    meta_codes = {i["code"] for i in report["issues"] if i["channel"] == "meta"}
    assert set(browser.js(visible)) == meta_codes
    example_channels = browser.js(
        "Array.from(document.querySelectorAll('section.code tbody tr')).filter(r => r.offsetParent !== null)"
        ".map(r => r.dataset.channels)"
    )
    assert example_channels and all("meta" in c.split() for c in example_channels)
    _set(browser, "filter-channel", "", "change")

    # charts are inline SVG with their numbers
    assert browser.js("document.querySelectorAll('#chart-codes rect').length") == len(report["codes"])
    assert browser.js("document.querySelectorAll('svg.chart').length") >= 4
    assert browser.problems() == []

    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    pdf = browser.call("Page.printToPDF", printBackground=True)["data"]
    assert base64.b64decode(pdf)[:5] == b"%PDF-"
    assert browser.problems() == []


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "feedsync.toml"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "report-example.png"


def test_example_project_report_in_a_real_browser(browser: Browser, tmp_path: Path) -> None:
    """The README's example: its report renders cleanly. FEEDSYNC_UPDATE_SCREENSHOT=1 refreshes
    docs/report-example.png from it."""
    if not (EXAMPLE.parent / "catalog.csv").exists():
        pytest.skip("examples/catalog.csv is not there yet")
    out = tmp_path / "out"
    result = build(EXAMPLE, out, now=NOW)
    page = write_html(tmp_path / "report.html", result.report, out_dir=out)
    browser.open(page.as_uri())
    assert browser.problems() == []
    assert browser.js("document.querySelectorAll('article.channel').length") == len(result.report.channels)
    assert browser.js("document.querySelectorAll('.filltable').length") == len(result.report.channels)
    assert browser.js("!!document.getElementById('chart-prices') && !!document.getElementById('chart-availability')")
    shot = tmp_path / "example.png"
    browser.screenshot(shot)
    if os.environ.get("FEEDSYNC_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
