"""The catalog health report as one self-contained HTML file (issue 6).

    html = render_html(report_dict, previous=last_report, profiles=profile_feeds(out_dir))
    write_html("out/report.html", report_dict, previous=last_report, out_dir="out")

The page has no network assets (CSS, JavaScript and SVG charts are inline), so it works offline,
as an e-mail attachment and as a CI artefact. It is rendered from templates/report/ with
autoescaping on: product data is untrusted and always appears as text.

Inputs are plain data: the report dict (`Report.to_dict()`, i.e. report.json), optionally the
previous run's report dict (the headline's change since then) and a list of earlier report dicts
(the trend chart). Per-attribute fill rates, the availability mix and the price distribution
need the feed contents, which report.json does not carry: `profile_feeds()` reads the feed files
listed in manifest.json, `profile_frames()` takes per-channel DataFrames directly.

The page is capped (examples per code, product details, issues per product) so a run with
100,000 products renders in well under a second and stays far below 5 MB (see
benchmarks/bench_html_report.py).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import orjson
import pandas as pd

from feedsync.errors import SourceError
from feedsync.output import write_atomic
from feedsync.resources import template_env
from feedsync.validation.codes import CODES

MAX_EXAMPLES_PER_CODE = 20  # example products listed under each issue code
MAX_PRODUCTS = 500  # per-product detail sections
MAX_ISSUES_PER_PRODUCT = 50  # issues listed in one product's detail section
MAX_TREND_POINTS = 60  # runs shown in the trend chart (the most recent ones)
MAX_FILL_ATTRIBUTES = 80  # attributes listed per channel in the fill-rate table
MAX_PROFILED_ITEMS = 5_000  # XML and JSON feeds: an even sample this big puts fill rates within ~1.4 points

TEMPLATE = "report/report.html.j2"
CATALOG = ""  # the channel of master-catalog issues, which concern every channel

# Feed formats in the order the profiler prefers them: tabular files are the cheapest to read.
_FORMAT_PREFERENCE = ("tsv", "csv", "xml", "json")
# Where price and availability are in a channel's feed frame (default: "price", "availability").
_PRICE_AVAILABILITY = {"amazon": ("purchasable_offer", "fulfillment_availability")}

# Availability values: label, and a fill that pairs a colour with a pattern (never colour alone).
_AVAILABILITY = {
    "in_stock": ("In stock", "fill-solid-ok"),
    "out_of_stock": ("Out of stock", "fill-hatch-error"),
    "preorder": ("Preorder", "fill-dots-blue"),
    "backorder": ("Backorder", "fill-cross-warning"),
    "limited_availability": ("Limited", "fill-grid-purple"),
    "available_for_order": ("Available for order", "fill-dots-blue"),
}
_OTHER_FILL = "fill-solid-grey"


# ---------------------------------------------------------------------------------------------
# Feed profiles: fill rates, availability mix, prices


@dataclass
class FeedProfile:
    """What a channel's feed contains, for the fill-rate table and the charts."""

    channel: str
    items: int = 0  # items in the feed
    fill_rates: dict[str, float] = field(default_factory=dict)  # attribute -> share of items with a value
    availability: dict[str, int] = field(default_factory=dict)  # normalised value -> items (of those profiled)
    prices: np.ndarray = field(default_factory=lambda: np.empty(0))
    currency: str = ""  # the most common price currency ("" when unknown)
    profiled: int = 0  # items the numbers come from: all of them, or an even sample of a large feed
    source: str = ""  # the feed file(s) it was read from
    note: str = ""  # why it is empty, when it is

    @property
    def sampled(self) -> bool:
        return 0 < self.profiled < self.items


def profile_frame(
    channel: str, frame: pd.DataFrame, *, price_column: str | None = None, availability_column: str | None = None
) -> FeedProfile:
    """Profile one channel's feed frame: every column is an attribute, empty text or null means unset."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    return _profile_table(channel, table, price_column=price_column, availability_column=availability_column)


def profile_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, FeedProfile]:
    """Profiles of per-channel feed frames (channel name -> the frame written to its feed)."""
    return {channel: profile_frame(channel, frame) for channel, frame in frames.items()}


def profile_feeds(
    out_dir: str | Path, manifest: Mapping[str, Any] | None = None, *, max_items: int = MAX_PROFILED_ITEMS
) -> dict[str, FeedProfile]:
    """Profiles of the feed files a build wrote, one file format per channel (tabular first).

    Delimited feeds are read whole (pyarrow, all text); XML and Amazon JSON feeds, which are
    slow to parse, are profiled on an even sample of at most `max_items` items. A channel whose
    file cannot be read gets an empty profile with a `note` saying why; the report is still made.
    """
    out_dir = Path(out_dir)
    if manifest is None:
        manifest = _load_json(out_dir / "manifest.json", what="manifest")
    by_channel: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for feed in manifest.get("feeds", []):
        key = str(feed.get("feed") or feed.get("channel", ""))  # a market's feed: google/FR
        by_channel.setdefault(key, {}).setdefault(str(feed.get("format", "")), []).append(feed)
    profiles: dict[str, FeedProfile] = {}
    for channel, formats in by_channel.items():
        fmt = min(formats, key=lambda f: _FORMAT_PREFERENCE.index(f) if f in _FORMAT_PREFERENCE else 99)
        feeds = formats[fmt]
        paths = [out_dir / str(f.get("path", "")) for f in feeds]
        items = sum(int(f.get("items", 0) or 0) for f in feeds)
        source = ", ".join(str(f.get("path", "")) for f in feeds) if len(feeds) <= 2 else f"{len(feeds)} {fmt} files"
        try:
            profiler = _Profiler(channel)
            if fmt in ("tsv", "csv"):  # every item, a block at a time
                for path in paths:
                    for batch in _delimited_batches(path, "\t" if fmt == "tsv" else ","):
                        profiler.add(batch)
            else:
                profiler.add(_read_sample(paths, fmt, max(1, math.ceil(max_items / max(len(paths), 1)))))
            profile = profiler.profile()
        except Exception as e:  # a missing or unreadable feed must not stop the report: say so, go on
            profiles[channel] = FeedProfile(channel, items=items, source=source, note=f"could not read {fmt}: {e}")
            continue
        profile.items = max(items, profile.profiled)
        profile.source = source
        profiles[channel] = profile
    return profiles


def _profile_table(
    channel: str, table: Any, *, price_column: str | None = None, availability_column: str | None = None
) -> FeedProfile:
    profiler = _Profiler(channel, price_column, availability_column)
    profiler.add(table)
    return profiler.profile()


class _Profiler:
    """Fill rates, availability mix and prices of a feed, added a table (or record batch) at a
    time, so a large delimited feed is profiled block by block instead of read whole."""

    def __init__(self, channel: str, price_column: str | None = None, availability_column: str | None = None):
        default_price, default_availability = _PRICE_AVAILABILITY.get(channel.split("/")[0], ("price", "availability"))
        self.channel = channel
        self.price_column = price_column or default_price
        self.availability_column = availability_column or default_availability
        self.rows = 0
        self.filled: dict[str, int] = {}
        self.availability: Counter[str] = Counter()
        self.currencies: Counter[str] = Counter()
        self.prices: list[np.ndarray] = []

    def add(self, table: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        n = table.num_rows
        self.rows += n
        if not n:
            return
        text: dict[str, Any] = {}
        for name in table.column_names:
            if str(name).startswith("_"):
                continue
            col = table.column(name)
            if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
                col = pc.cast(col, pa.string()) if not pa.types.is_null(col.type) else pa.nulls(n, pa.string())
            text[str(name)] = col
            filled = pc.sum(pc.greater(pc.utf8_length(col), 0)).as_py() or 0  # nulls count as empty
            self.filled[str(name)] = self.filled.get(str(name), 0) + filled
        if self.availability_column in text:
            col = text[self.availability_column]
            values = pc.replace_substring(pc.utf8_lower(pc.utf8_trim_whitespace(col)), " ", "_")
            for pair in pc.value_counts(values).to_pylist():
                if pair["values"]:
                    self.availability[pair["values"]] += int(pair["counts"])
        if self.price_column in text:
            parts = pc.extract_regex(
                text[self.price_column], r"^\s*(?P<amount>-?[0-9]+(?:\.[0-9]+)?)\s*(?P<currency>[A-Za-z]{3})?\s*$"
            )
            amounts = pc.drop_null(pc.struct_field(parts, "amount"))
            self.prices.append(pc.cast(amounts, pa.float64()).to_numpy(zero_copy_only=False))
            currencies = pc.drop_null(pc.utf8_upper(pc.struct_field(parts, "currency")))
            for pair in pc.value_counts(currencies).to_pylist():
                if pair["values"]:
                    self.currencies[pair["values"]] += int(pair["counts"])

    def profile(self) -> FeedProfile:
        n = self.rows
        profile = FeedProfile(self.channel, items=n, profiled=n)
        if not n:
            return profile
        profile.fill_rates = {name: filled / n for name, filled in self.filled.items()}
        profile.availability = dict(self.availability)
        if self.prices:
            profile.prices = np.concatenate(self.prices)
        if self.currencies:
            profile.currency = max(self.currencies.items(), key=lambda kv: kv[1])[0]
        return profile


def _read_sample(paths: list[Path], fmt: str, per_file: int) -> Any:
    """An even sample of at most `per_file` items of each XML or Amazon JSON feed file."""
    import pyarrow as pa

    if fmt == "xml":
        tables = [_read_rss(p, per_file) for p in paths]
    elif fmt == "json":
        tables = [_read_listings(p, per_file) for p in paths]
    else:
        raise ValueError(f"unknown feed format {fmt!r}")
    return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


BLOCK_BYTES = 16 << 20  # a delimited feed is profiled this many bytes at a time


def _delimited_batches(path: Path, delimiter: str) -> Iterator[Any]:
    """A delimited feed's rows as all-text record batches of about BLOCK_BYTES."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with _open(path) as fh:
        header_line = fh.readline().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(header_line), delimiter=delimiter), [])
    reader = pacsv.open_csv(
        str(path),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=delimiter == ","),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    with reader:
        yield from reader


def _open(path: Path) -> BinaryIO:
    import gzip

    fh = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115 - callers close
    return cast(BinaryIO, fh)


def _records_table(rows: list[dict[str, str]]) -> Any:
    import pyarrow as pa

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in names})


def _read_rss(path: Path, limit: int) -> Any:
    """The first `limit` items of an RSS feed (XML cannot be sampled evenly without parsing it all)."""
    from lxml import etree

    rows: list[dict[str, str]] = []
    with _open(path) as fh:
        for _, item in etree.iterparse(fh, events=("end",), tag="item"):
            row: dict[str, str] = {}
            for child in item:
                name = etree.QName(child).localname
                if name not in row:
                    row[name] = (child.text or "").strip()
            rows.append(row)
            item.clear()
            if len(rows) >= limit:
                break
    return _records_table(rows)


def _read_listings(path: Path, limit: int) -> Any:
    """Amazon JSON_LISTINGS_FEED: one row per message, one column per attribute (its first value).

    feedsync writes one message per line, so an even sample is parsed line by line; a file laid
    out otherwise is parsed whole.
    """
    with _open(path) as fh:
        data = fh.read()
    lines = data.split(b"\n")
    body = [ln for ln in lines[1:] if ln.strip() not in (b"", b"]}")]
    messages: list[Any] = []
    try:
        if not lines[0].rstrip().endswith(b'"messages":['):
            raise ValueError("not one message per line")
        step = max(1, math.ceil(len(body) / limit))
        messages = [orjson.loads(ln.rstrip().rstrip(b",")) for ln in body[::step]]
    except (ValueError, orjson.JSONDecodeError):
        all_messages = orjson.loads(data).get("messages", [])
        messages = all_messages[:: max(1, math.ceil(len(all_messages) / limit))]
    rows = []
    for message in messages:
        row = {"sku": str(message.get("sku") or "")}
        for name, values in (message.get("attributes") or {}).items():
            row[name] = _listing_value(name, values)
        rows.append(row)
    return _records_table(rows)


def _listing_value(name: str, values: Any) -> str:
    first = values[0] if isinstance(values, list) and values else values
    if not isinstance(first, dict):
        return "" if first in (None, "", []) else str(first)
    if name == "purchasable_offer":
        try:
            amount = first["our_price"][0]["schedule"][0]["value_with_tax"]
        except (KeyError, IndexError, TypeError):
            return "1"
        return f"{amount} {first.get('currency', '')}".strip()
    if name == "fulfillment_availability":
        quantity = first.get("quantity")
        if isinstance(quantity, int | float):
            return "in_stock" if quantity > 0 else "out_of_stock"
        return "1"
    for key in ("value", "media_location", "name"):
        if first.get(key) not in (None, ""):
            return str(first[key])
    return "1"


# ---------------------------------------------------------------------------------------------
# Loading reports


def load_report(path: str | Path) -> dict[str, Any]:
    """A report.json as a dict; SourceError (exit 3) with a fix when it is missing or not one."""
    doc = _load_json(Path(path), what="report")
    if not isinstance(doc, dict) or not isinstance(doc.get("channels"), dict) or "issues" not in doc:
        raise SourceError(
            f"{path} is not a feedsync report.json", hint="pass the report.json that `feedsync build` wrote"
        )
    return doc


def previous_report(explicit: str | Path | None, fallback: str | Path | None = None) -> dict[str, Any] | None:
    """The report to compare with: `explicit` (must be readable), else `fallback` if it is one.

    `feedsync build --html` passes out/report.json as the fallback before it is replaced, so
    the headline shows the change since the last build into the same folder.
    """
    if explicit is not None:
        return load_report(explicit)
    if fallback is not None and Path(fallback).is_file():
        try:
            return load_report(fallback)
        except SourceError:
            return None
    return None


def _load_json(path: Path, *, what: str) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise SourceError(
            f"{path}: no such {what} file", hint="run `feedsync build` first, or pass the file with --from"
        ) from None
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from None
    except orjson.JSONDecodeError as e:
        raise SourceError(f"{path} is not valid JSON: {e}", hint=f"pass the {what}.json that feedsync wrote") from None


# ---------------------------------------------------------------------------------------------
# Trend


def trend(history: Iterable[Mapping[str, Any]], current: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One point per run, oldest first: errors, warnings, excluded products, items per channel.

    `history` is any list of earlier report dicts (in any order; a run appearing twice, by
    generated_at, counts once); `current` is added last. Run history storage is not this
    module's business: pass whatever reports you kept.
    """
    points: dict[str, dict[str, Any]] = {}
    for doc in [*history, *([current] if current is not None else [])]:
        summary = doc.get("summary") or {}
        channels = doc.get("channels") or {}
        points[str(doc.get("generated_at", ""))] = {
            "generated_at": str(doc.get("generated_at", "")),
            "errors": int(summary.get("errors", 0) or 0),
            "warnings": int(summary.get("warnings", 0) or 0),
            "excluded_products": int(summary.get("excluded_products", 0) or 0),
            "items": {name: int(c.get("items", 0) or 0) for name, c in channels.items()},
        }
    ordered = sorted(points.values(), key=lambda p: p["generated_at"])
    if current is not None:  # the current run is last even if its clock was set back (--now)
        now = str(current.get("generated_at", ""))
        ordered = [p for p in ordered if p["generated_at"] != now] + [points[now]]
    return ordered[-MAX_TREND_POINTS:]


# ---------------------------------------------------------------------------------------------
# Rendering


def render_html(
    report: Mapping[str, Any] | Any,
    *,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    fill_rates: Mapping[str, Mapping[str, float]] | None = None,
    profiles: Mapping[str, FeedProfile] | None = None,
) -> str:
    """The report page as one HTML string.

    report: `Report.to_dict()` or report.json (a Report object is converted).
    previous: the previous run's report dict, for the change shown in each channel's headline.
    history: earlier report dicts, for the trend chart (the previous report is added to them).
    fill_rates: channel -> attribute -> share of items with a value (0..1), if computed elsewhere.
    profiles: channel -> FeedProfile (fill rates, availability mix, prices) from profile_feeds()
        or profile_frames(); `fill_rates` wins over the profiles' fill rates when both are given.
    """
    if hasattr(report, "to_dict"):
        report = report.to_dict()
    view = _view(report, previous, history, fill_rates, profiles or {})
    return template_env().get_template(TEMPLATE).render(**view)


def write_html(
    path: str | Path,
    report: Mapping[str, Any] | Any,
    *,
    previous: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    fill_rates: Mapping[str, Mapping[str, float]] | None = None,
    profiles: Mapping[str, FeedProfile] | None = None,
    out_dir: str | Path | None = None,
) -> Path:
    """Render and write the page atomically. With `out_dir` (the build's folder) and no
    `profiles`, the feeds listed in its manifest.json are profiled, provided the manifest is of
    the same run as the report."""
    if hasattr(report, "to_dict"):
        report = report.to_dict()
    if profiles is None and out_dir is not None:
        profiles = _profiles_of_run(Path(out_dir), report)
    path = Path(path)
    write_atomic(
        path,
        render_html(report, previous=previous, history=history, fill_rates=fill_rates, profiles=profiles).encode(
            "utf-8"
        ),
    )
    return path


def html_report_from_file(source: str | Path, html: str | Path, *, previous: str | Path | None = None) -> Path:
    """`feedsync report`: the page of a finished run from its report.json (feeds profiled from
    the manifest.json next to it, when that is of the same run)."""
    source = Path(source)
    report = load_report(source)
    prior = previous_report(previous)
    return write_html(html, report, previous=prior, out_dir=source.parent)


def _profiles_of_run(out_dir: Path, report: Mapping[str, Any]) -> dict[str, FeedProfile]:
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        return {}
    try:
        manifest = _load_json(manifest_path, what="manifest")
    except SourceError:
        return {}
    if not isinstance(manifest, dict) or manifest.get("generated_at") != report.get("generated_at"):
        return {}  # feeds of another run: their contents would not match this report
    return profile_feeds(out_dir, manifest)


# ---------------------------------------------------------------------------------------------
# The view: everything the template shows, computed here so the template only lays it out


def _n(value: int | float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _pct(value: float) -> str:
    """A share as a percentage; never rounds a partial share to 0% or 100%."""
    v = value * 100
    if 0 < value < 1:
        v = min(max(v, 0.1), 99.9)
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:.1f}%"


def _channel_label(channel: str) -> str:
    return channel if channel else "all channels"


def _product_key(issue: Mapping[str, Any]) -> str | None:
    sku = issue.get("sku") or ""
    if sku:
        return f"sku:{sku}"
    row = issue.get("row")
    return f"row:{row}" if row is not None else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", str(text).lower()).strip("-") or "x"


@dataclass
class _CodeState:
    code: str
    severity: str
    count: int = 0
    channels: Counter = field(default_factory=Counter)
    products: set = field(default_factory=set)
    examples: dict = field(default_factory=dict)  # (key, field, value) -> example dict


def _view(
    report: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    history: Sequence[Mapping[str, Any]],
    fill_rates: Mapping[str, Mapping[str, float]] | None,
    profiles: Mapping[str, FeedProfile],
) -> dict[str, Any]:
    issues: list[Mapping[str, Any]] = report.get("issues") or []
    excluded: list[Mapping[str, Any]] = report.get("excluded") or []
    code_table: Mapping[str, Mapping[str, str]] = report.get("codes") or {}
    summary = report.get("summary") or {}
    catalog = report.get("catalog") or {}

    # one pass over the issues: counts per code and channel, capped examples per code
    states: dict[str, _CodeState] = {}
    for iss in issues:
        code = str(iss.get("code", ""))
        st = states.get(code)
        if st is None:
            st = states[code] = _CodeState(code, str(iss.get("severity", "")))
        st.count += 1
        channel = str(iss.get("channel") or "")
        st.channels[channel] += 1
        key = _product_key(iss)
        if key is not None:
            st.products.add(key)
        ex_key = (key, iss.get("field"), iss.get("value"))
        example = st.examples.get(ex_key)
        if example is not None:
            if channel not in example["channels"]:
                example["channels"].append(channel)
        elif len(st.examples) < MAX_EXAMPLES_PER_CODE:
            st.examples[ex_key] = {
                "key": key,
                "sku": str(iss.get("sku") or ""),
                "row": iss.get("row"),
                "field": str(iss.get("field") or ""),
                "value": "" if iss.get("value") is None else str(iss.get("value")),
                "message": str(iss.get("message") or ""),
                "channels": [channel],
            }
    ordered = sorted(states.values(), key=lambda s: (s.severity != "error", -s.count, s.code))

    # the products that get a detail section: those in the examples first, then excluded ones
    anchors: dict[str, str] = {}

    def want(key: str | None) -> None:
        if key is not None and key not in anchors and len(anchors) < MAX_PRODUCTS:
            anchors[key] = f"p-{len(anchors) + 1}"

    for st in ordered:
        for ex in st.examples.values():
            want(ex["key"])
    for ex in excluded:
        if len(anchors) >= MAX_PRODUCTS:
            break
        want(_product_key(ex))
    products: dict[str, dict[str, Any]] = {
        key: {"anchor": a, "sku": "", "row": None, "issues": [], "seen": {}, "more": 0, "excluded_from": []}
        for key, a in anchors.items()
    }
    for iss in issues:
        p = products.get(_product_key(iss) or "")
        if p is None:
            continue
        if not p["sku"]:
            p["sku"] = str(iss.get("sku") or "")
        if p["row"] is None:
            p["row"] = iss.get("row")
        channel = str(iss.get("channel") or "")
        merged = p["seen"].get((iss.get("code"), iss.get("field"), iss.get("value")))
        if merged is not None:  # the same problem on another channel: one line, several channels
            merged["channels"].append(channel)
        elif len(p["issues"]) < MAX_ISSUES_PER_PRODUCT:
            line = {
                "code": str(iss.get("code", "")),
                "code_anchor": f"code-{_slug(iss.get('code', ''))}",
                "severity": str(iss.get("severity", "")),
                "channels": [channel],
                "field": str(iss.get("field") or ""),
                "value": "" if iss.get("value") is None else str(iss.get("value")),
                "message": str(iss.get("message") or ""),
            }
            p["issues"].append(line)
            p["seen"][(iss.get("code"), iss.get("field"), iss.get("value"))] = line
        else:
            p["more"] += 1
    for ex in excluded:
        p = products.get(_product_key(ex) or "")
        if p is not None:
            channel = str(ex.get("channel") or "")
            label = "every channel" if channel == CATALOG else channel
            if label not in p["excluded_from"]:
                p["excluded_from"].append(label)
            if p["row"] is None:
                p["row"] = ex.get("row")
            if not p["sku"]:
                p["sku"] = str(ex.get("sku") or "")

    codes: list[dict[str, Any]] = []
    for st in ordered:
        info = code_table.get(st.code) or {}
        known = CODES.get(st.code)
        codes.append(
            {
                "code": st.code,
                "anchor": f"code-{_slug(st.code)}",
                "severity": st.severity or (known.severity if known else ""),
                "title": info.get("title") or (known.title if known else st.code),
                "fix": info.get("fix") or (known.fix if known else ""),
                "count": st.count,
                "products": len(st.products),
                "channels": [
                    {"name": _channel_label(c), "count": n}
                    for c, n in sorted(st.channels.items(), key=lambda kv: kv[0])
                ],
                "channel_keys": " ".join(sorted(c or "all" for c in st.channels)),
                "examples": [
                    {
                        **ex,
                        "anchor": anchors.get(ex["key"] or ""),
                        "channel_labels": ", ".join(_channel_label(c) for c in ex["channels"]),
                        "channel_keys": " ".join(c or "all" for c in ex["channels"]),
                    }
                    for ex in st.examples.values()
                ],
                "examples_capped": len(st.products) > len(st.examples),
            }
        )

    channels = _channels_view(report, previous)
    points = trend([*history, *([previous] if previous else [])], report)
    fills = _fill_view(fill_rates, profiles, [c["name"] for c in channels])
    return {
        "title": "Catalog health report",
        "generated_at": str(report.get("generated_at", "")),
        "catalog": {
            "source": str(catalog.get("source", "")),
            "name": Path(str(catalog.get("source", "") or "catalog")).name,
            "format": str(catalog.get("format", "")),
            "rows": int(catalog.get("rows", 0) or 0),
            "parents": int(catalog.get("parents", 0) or 0),
        },
        "summary": {
            "errors": int(summary.get("errors", 0) or 0),
            "warnings": int(summary.get("warnings", 0) or 0),
            "excluded_products": int(summary.get("excluded_products", 0) or 0),
        },
        "previous_at": str(previous.get("generated_at", "")) if previous else "",
        "channels": channels,
        "funnel": _funnel(report, channels),
        "codes": codes,
        "codes_chart": _bar_chart(
            [
                (
                    str(c["code"]),
                    int(c["count"]),
                    "bar-error" if c["severity"] == "error" else "bar-warning",
                    str(c["anchor"]),
                )
                for c in codes
            ]
        ),
        "products": [
            {
                **p,
                "issues": [{**i, "channel_labels": ", ".join(map(_channel_label, i["channels"]))} for i in p["issues"]],
            }
            for p in products.values()
        ],
        "products_capped": len(anchors) >= MAX_PRODUCTS,
        "fill": fills,
        "availability": _availability_view(profiles, [c["name"] for c in channels]),
        "prices": _price_view(profiles, [c["name"] for c in channels]),
        "trend": _trend_view(points),
        "issue_channels": sorted({c for st in states.values() for c in st.channels}),
        "caps": {
            "examples": MAX_EXAMPLES_PER_CODE,
            "products": MAX_PRODUCTS,
            "issues_per_product": MAX_ISSUES_PER_PRODUCT,
        },
        "total_issues": len(issues),
        "n": _n,
        "pct": _pct,
        "channel_label": _channel_label,
    }


_METRICS = (
    # key, label, is an increase bad?
    ("products_in", "Products in", None),
    ("items", "Items emitted", False),
    ("excluded", "Excluded", True),
    ("errors", "Errors", True),
    ("warnings", "Warnings", True),
)


def _channels_view(report: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    prev_channels = (previous or {}).get("channels") or {}
    out = []
    for name, ch in (report.get("channels") or {}).items():
        prev = prev_channels.get(name)
        metrics = []
        for key, label, up_is_bad in _METRICS:
            value = int(ch.get(key, 0) or 0)
            delta = None if prev is None else value - int(prev.get(key, 0) or 0)
            if delta is None or delta == 0 or up_is_bad is None:
                tone = "neutral"
            else:
                tone = "bad" if (delta > 0) == up_is_bad else "good"
            metrics.append({"key": key, "label": label, "value": value, "delta": delta, "tone": tone})
        products_in = int(ch.get("products_in", 0) or 0)
        excluded = int(ch.get("excluded", 0) or 0)
        filtered = int(ch.get("filtered", 0) or 0)  # left out on purpose by rules or stock policies
        out.append(
            {
                "name": str(name),
                "formats": ", ".join(ch.get("formats") or []),
                "metrics": metrics,
                "values": {m["key"]: m["value"] for m in metrics},
                "sent": max(products_in - excluded - filtered, 0),
                "filtered": filtered,
                "new": previous is not None and prev is None,
                "status": "error"
                if int(ch.get("errors", 0) or 0)
                else ("warning" if int(ch.get("warnings", 0) or 0) else "ok"),
                "top_codes": [
                    {
                        "code": str(t.get("code")),
                        "count": int(t.get("count", 0)),
                        "anchor": f"code-{_slug(t.get('code', ''))}",
                    }
                    for t in (ch.get("top_codes") or [])
                    if isinstance(t, Mapping)
                ],
            }
        )
    return out


def _funnel(report: Mapping[str, Any], channels: list[dict[str, Any]]) -> dict[str, Any]:
    catalog = report.get("catalog") or {}
    rows = int(catalog.get("rows", 0) or 0)
    parents = int(catalog.get("parents", 0) or 0)
    products = max((c["values"]["products_in"] for c in channels), default=max(rows - parents, 0))
    catalog_excluded = len(
        {(e.get("sku"), e.get("row")) for e in (report.get("excluded") or []) if not e.get("channel")}
    )
    passed = max(products - catalog_excluded, 0)
    steps: list[dict[str, Any]] = [
        {
            "label": "Catalog rows",
            "value": rows,
            "note": f"{_n(parents)} variant parents (not sold on their own)",
            "cls": "bar-neutral",
        },
        {
            "label": "Products",
            "value": products,
            "note": "sellable products offered to the channels",
            "cls": "bar-neutral",
        },
        {
            "label": "Pass catalog checks",
            "value": passed,
            "note": f"{_n(catalog_excluded)} left out of every channel",
            "cls": "bar-neutral",
        },
    ]
    for c in channels:
        items = c["values"]["items"]
        steps.append(
            {
                "label": f"Sent to {c['name']}",
                "value": c["sent"],
                "note": f"{_n(c['values']['excluded'])} excluded"
                + (f", {_n(c['filtered'])} left out by rules or stock policy" if c["filtered"] else "")
                + f"; {_n(items)} items written",
                "cls": "bar-ok",
                "channel": c["name"],
            }
        )
    top = max([s["value"] for s in steps] + [1])
    width = 360
    for i, s in enumerate(steps):
        s["y"] = 8 + i * 34
        s["w"] = round(width * s["value"] / top, 1) if s["value"] else 0
        s["share"] = _pct(s["value"] / products) if products and i > 0 else ""
    label_w = 60 + 7 * max(len(s["note"]) + 10 for s in steps)  # room for the number and note after a full bar
    return {"steps": steps, "height": 16 + len(steps) * 34, "bar_x": 170, "width": width, "label_w": label_w}


def _bar_chart(rows: list[tuple[str, int, str, str]]) -> dict[str, Any]:
    top = max([v for _, v, _, _ in rows] + [1])
    width = 400
    bars = []
    for i, (label, value, cls, anchor) in enumerate(rows):
        bars.append(
            {
                "label": label,
                "value": value,
                "cls": cls,
                "anchor": anchor,
                "y": 6 + i * 26,
                "w": max(round(width * value / top, 1), 1.5),
            }
        )
    return {"bars": bars, "height": 12 + len(rows) * 26, "bar_x": 220, "width": width}


def _fill_view(
    fill_rates: Mapping[str, Mapping[str, float]] | None, profiles: Mapping[str, FeedProfile], order: list[str]
) -> dict[str, Any]:
    tables = []
    names = [c for c in order if c in (fill_rates or profiles)] + [
        c for c in (fill_rates or profiles) if c not in order
    ]
    for name in names:
        profile = profiles.get(name)
        rates = (fill_rates or {}).get(name) if fill_rates is not None else (profile.fill_rates if profile else {})
        rates = rates or {}
        partial = sorted(((a, float(r)) for a, r in rates.items() if float(r) < 1), key=lambda kv: (kv[1], kv[0]))
        tables.append(
            {
                "channel": name,
                "item_count": profile.items if profile else None,
                "sample": profile.profiled if profile and profile.sampled else None,
                "source": profile.source if profile else "",
                "note": profile.note if profile else "",
                "rows": [
                    {"attribute": a, "rate": r, "label": _pct(r), "low": r < 0.5, "w": round(r * 100, 1)}
                    for a, r in partial[:MAX_FILL_ATTRIBUTES]
                ],
                "more": max(len(partial) - MAX_FILL_ATTRIBUTES, 0),
                "full": sorted(a for a, r in rates.items() if float(r) >= 1),
            }
        )
    return {"tables": tables}


def _availability_view(profiles: Mapping[str, FeedProfile], order: list[str]) -> dict[str, Any]:
    rows = []
    legend: dict[str, dict[str, str]] = {}
    for name in [c for c in order if c in profiles] + [c for c in profiles if c not in order]:
        counts = profiles[name].availability
        total = sum(counts.values())
        if not total:
            continue
        x = 0.0
        segments = []
        for value, count in sorted(counts.items(), key=lambda kv: (kv[0] not in _AVAILABILITY, -kv[1], kv[0])):
            label, fill = _AVAILABILITY.get(value, (value.replace("_", " ").capitalize(), _OTHER_FILL))
            legend.setdefault(value, {"label": label, "fill": fill})
            w = 440 * count / total
            segments.append(
                {
                    "value": value,
                    "label": label,
                    "fill": fill,
                    "count": count,
                    "share": _pct(count / total),
                    "x": round(x, 2),
                    "w": round(w, 2),
                }
            )
            x += w
        rows.append({"channel": name, "total": total, "segments": segments})
    for i, r in enumerate(rows):
        r["y"] = 8 + i * 40
    return {"rows": rows, "legend": list(legend.values()), "height": 16 + len(rows) * 40, "bar_x": 130}


_PRICE_CHANNELS = ("google", "meta", "amazon", "google_local")


def _price_view(profiles: Mapping[str, FeedProfile], order: list[str]) -> dict[str, Any] | None:
    candidates = [c for c in _PRICE_CHANNELS if c in profiles] + [c for c in order if c in profiles] + list(profiles)
    profile = next((profiles[c] for c in candidates if len(profiles[c].prices)), None)
    if profile is None:
        return None
    prices = np.asarray(profile.prices, dtype=float)
    prices = prices[np.isfinite(prices)]
    if not len(prices):
        return None
    lo, hi = float(prices.min()), float(np.percentile(prices, 99))
    step = _nice_step(max(hi - lo, 1e-9) / 12)
    start = math.floor(lo / step) * step
    n_bins = max(int(math.ceil((hi - start) / step)), 1)
    if start + n_bins * step <= hi:
        n_bins += 1
    edges = start + step * np.arange(n_bins + 1)
    counts, _ = np.histogram(np.clip(prices, edges[0], edges[-1]), bins=edges)
    overflow = int((prices > edges[-1]).sum())
    counts[-1] -= overflow  # clipped values landed in the last bin; show them apart
    bins = [(f"{_money(edges[i])}–{_money(edges[i + 1])}", int(counts[i])) for i in range(n_bins)]
    if overflow:
        bins.append((f"over {_money(edges[-1])}", overflow))
    top = max([c for _, c in bins] + [1])
    plot_h, bar_w, gap = 160, 600 / len(bins), 2
    bars = [
        {
            "label": label,
            "count": count,
            "x": round(50 + i * bar_w, 2),
            "w": round(bar_w - gap, 2),
            "h": round(plot_h * count / top, 2),
            "y": round(20 + plot_h - plot_h * count / top, 2),
            "tick": i % max(1, math.ceil(len(bins) / 6)) == 0,
            "tick_label": label.split("–")[0],
        }
        for i, (label, count) in enumerate(bins)
    ]
    return {
        "channel": profile.channel,
        "currency": profile.currency,
        "count": int(len(prices)),
        "sampled": profile.sampled,
        "median": _money(float(np.median(prices))),
        "min": _money(float(prices.min())),
        "max": _money(float(prices.max())),
        "bars": bars,
        "top": top,
        "plot_h": plot_h,
    }


def _nice_step(raw: float) -> float:
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**exp >= raw:
            return m * 10**exp
    return 10 ** (exp + 1)


def _money(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.2f}"


def _trend_view(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    if len(points) < 2:
        return None
    top = max([max(p["errors"], p["warnings"]) for p in points] + [1])
    left, width, plot_h, top_pad = 50, 600, 150, 14
    step = width / (len(points) - 1)

    def y(v: int) -> float:
        return round(top_pad + plot_h - plot_h * v / top, 2)

    series = []
    for key, label, cls, marker in (
        ("errors", "Errors", "line-error", "circle"),
        ("warnings", "Warnings", "line-warning", "square"),
    ):
        pts = [
            {"x": round(left + i * step, 2), "y": y(p[key]), "value": p[key], "at": p["generated_at"]}
            for i, p in enumerate(points)
        ]
        series.append(
            {
                "key": key,
                "label": label,
                "cls": cls,
                "marker": marker,
                "points": pts,
                "path": " ".join(f"{q['x']},{q['y']}" for q in pts),
            }
        )
    return {
        "points": points,
        "series": series,
        "top": top,
        "ticks": [{"y": y(v), "label": _n(v)} for v in sorted({0, top // 2, top})],
        "plot_h": plot_h,
        "height": top_pad + plot_h + 40,
        "first": points[0]["generated_at"],
        "last": points[-1]["generated_at"],
    }


__all__ = [
    "FeedProfile",
    "html_report_from_file",
    "load_report",
    "previous_report",
    "profile_feeds",
    "profile_frame",
    "profile_frames",
    "render_html",
    "trend",
    "write_html",
]
