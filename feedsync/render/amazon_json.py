"""Amazon SP-API JSON_LISTINGS_FEED (version 2.0) documents.

Messages are split across files so that none holds more than `max_messages` messages or
reaches `max_bytes` (Amazon's guidance: at most 10,000 messages, under 10 MiB). Each file is
a complete feed document with its own header and messageIds starting at 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.output import FeedFile, PendingFile
from feedsync.render.json_text import json_body
from feedsync.render.values import (
    Group,
    concat_rows,
    group,
    may_hold_forbidden,
    nonempty,
    replace_where,
    rows_bytes,
)
from feedsync.vector import arrow

MAX_MESSAGES = 10_000
RENDER_ROWS = 10_000  # rows built per step (see FeedWriter.write)
MAX_BYTES = 10 * 1024 * 1024 - 64 * 1024  # headroom for the envelope
_ID_OVERHEAD = len(',\n{"messageId":10000,')


def _json_str(s: pd.Series | pa.Array) -> pa.Array:
    """JSON string literal bodies, vectorised: C0 controls other than tab, line feed and
    carriage return dropped, the rest escaped."""
    a = arrow(s) if isinstance(s, pd.Series) else s
    if may_hold_forbidden(a):  # the regex costs more than the rest; text seldom needs it
        a = pc.replace_substring_regex(a, r"[\x00-\x08\x0B\x0C\x0E-\x1F]", "")
    return json_body(a)


def _number(amount: pd.Series) -> pa.Array:
    """JSON numbers with at most two decimals, exact (no float noise)."""
    cents = (amount * 100).round()
    whole = (cents // 100).astype("Int64").astype("str")
    frac = (cents % 100).astype("Int64").astype("str").str.zfill(2)
    return concat_rows(whole, ".", frac)


def build_messages(
    frame: pd.DataFrame, *, marketplace_id: str, language_tag: str, fulfillment_channel_code: str, lead_time: int | None
) -> pa.Array:
    """One serialised UPDATE message per row of the flat Amazon frame (see channels/amazon.py),
    without its leading `{"messageId":N,` (the writer numbers messages per file).

    Built column-wise: each attribute is a string template filled from escaped columns, so the
    cost is per column, not per product (DESIGN.md section 4: per-item json.dumps dominated).
    An attribute is a group of parts left out where one of its values is missing; the
    attributes are joined by ',' and the whole message is gathered in one pass.
    """
    mp = marketplace_id
    tagged = f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}}]'
    mp_tail = f'","marketplace_id":"{mp}"}}]'
    attrs: list[Group] = []

    def text(name: str, col: str) -> None:
        attrs.append(group(f'"{name}":[{{"value":"', _json_str(frame[col]), tagged))

    text("item_name", "item_name")
    text("brand", "brand")
    text("product_description", "product_description")
    bullets = replace_where(
        _json_str(frame["bullet_point"]),
        b"|",
        lambda a: pc.replace_substring(
            a, "|", f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}},{{"value":"'
        ),
    )
    attrs.append(group('"bullet_point":[{"value":"', bullets, tagged))
    attrs.append(
        group(
            '"externally_assigned_product_identifier":[{"type":"',
            frame["external_id_type"].fillna("ean"),
            '","value":"',
            _json_str(frame["external_id"]),
            mp_tail,
        )
    )
    attrs.append(group('"condition_type":[{"value":"', frame["condition_type"], mp_tail))
    text("color", "color")
    text("size", "size")
    level = frame["parentage_level"]
    attrs.append(group('"parentage_level":[{"value":"', level, mp_tail))
    attrs.append(group('"variation_theme":[{"name":"', frame["variation_theme"], mp_tail, when=level.notna()))
    attrs.append(
        group(
            '"child_parent_sku_relationship":[{"child_relationship_type":"variation","parent_sku":"',
            _json_str(frame["parent_sku"]),
            mp_tail,
            when=level == "child",
        )
    )
    sellable = (level != "parent").fillna(True)
    discount = group(
        ',"discounted_price":[{"schedule":[{"start_at":"',
        frame["sale_start"],
        '","end_at":"',
        frame["sale_end"],
        '","value_with_tax":',
        _number(frame["discounted_price"]),
        "}]}]",
    )
    attrs.append(
        group(
            f'"purchasable_offer":[{{"marketplace_id":"{mp}","currency":"',
            frame["currency"],
            '","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":',
            _number(frame["our_price"]),
            "}]}]",
            discount,
            "}]",
            skip_missing=True,
            when=sellable & frame["our_price"].notna(),
        )
    )
    attrs.append(
        group(
            f'"list_price":[{{"marketplace_id":"{mp}","currency":"',
            frame["currency"],
            '","value_with_tax":',
            _number(frame["list_price"]),
            "}]",
            when=sellable,
        )
    )
    if fulfillment_channel_code == "DEFAULT":
        lead = f',"lead_time_to_ship_max_days":{lead_time}' if lead_time else ""
        qty = frame["quantity"].fillna(0).astype("Int64").astype("str")
        attrs.append(
            group(
                '"fulfillment_availability":[{"fulfillment_channel_code":"DEFAULT","quantity":',
                qty,
                lead + "}]",
                when=sellable,
            )
        )
    else:
        attrs.append(
            group(
                f'"fulfillment_availability":[{{"fulfillment_channel_code":"{fulfillment_channel_code}"}}]',
                when=sellable & frame["sku"].notna(),
            )
        )
    attrs.append(group('"main_product_image_locator":[{"media_location":"', _json_str(frame["main_image"]), mp_tail))
    others = pc.split_pattern(arrow(frame["other_images"]), "|")
    most = pc.max(pc.list_value_length(others)).as_py() or 0  # locators past it would all be empty
    for i in range(1, min(most, 8) + 1):
        url = pc.binary_join(pc.list_slice(others, i - 1, i), pa.scalar("", pa.large_string()))
        attrs.append(
            group(
                f'"other_product_image_locator_{i}":[{{"media_location":"', _json_str(url), mp_tail, when=nonempty(url)
            )
        )
    return concat_rows(
        '"sku":"',
        _json_str(frame["sku"]),
        '","operationType":"UPDATE","productType":"',
        _json_str(frame["product_type"]),
        '","requirements":"LISTING","attributes":{',
        group(*attrs, sep=",", skip_missing=True),
        "}}",
    )


@dataclass
class AmazonWriter:
    """Streams serialised messages into numbered feed documents (listings-0001.json, ...)."""

    channel: str
    format: str
    folder: Path
    seller_id: str
    issue_locale: str
    build: Any  # frame -> arrow string array of messages without their messageId
    compress: bool = False
    max_messages: int = MAX_MESSAGES
    max_bytes: int = MAX_BYTES
    files: list[tuple[PendingFile, int]] = field(default_factory=list)
    _current: PendingFile | None = None
    _count: int = 0
    _size: int = 0

    def _head(self) -> bytes:
        header = {"sellerId": self.seller_id, "version": "2.0", "issueLocale": self.issue_locale}
        return b'{"header":' + orjson.dumps(header) + b',"messages":[\n'

    def _roll(self) -> None:
        self._close_current()
        path = self.folder / f"listings-{len(self.files) + 1:04d}.json"
        self._current = PendingFile(path, compress=self.compress)
        head = self._head()
        self._current.write(head)
        self._count, self._size = 0, len(head)

    def _close_current(self) -> None:
        if self._current is not None:
            self._current.write(b"\n]}\n")
            self.files.append((self._current, self._count))
            self._current = None

    def write(self, frame: pd.DataFrame) -> None:
        for start in range(0, len(frame), RENDER_ROWS):  # bounded memory, as FeedWriter.write
            self._write(frame.iloc[start : start + RENDER_ROWS])

    def _write(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        messages = self.build(frame)
        lengths = pc.binary_length(messages).to_numpy() + _ID_OVERHEAD
        pos, n = 0, len(messages)
        while pos < n:
            if self._current is None or self._count >= self.max_messages or self._size + lengths[pos] > self.max_bytes:
                self._roll()
            budget = self.max_bytes - self._size
            fits = int(
                np.searchsorted(np.cumsum(lengths[pos : pos + self.max_messages - self._count]), budget, "right")
            )
            take = max(fits, 1) if self._count == 0 else fits  # an oversized message still gets a file of its own
            if take == 0:
                self._roll()
                continue
            chunk = messages.slice(pos, take)
            ids = pa.array(np.arange(self._count + 1, self._count + take + 1).astype(str), pa.large_string())
            present = chunk.is_valid().to_numpy(zero_copy_only=False)
            not_first = np.arange(self._count, self._count + take) != 0
            data = rows_bytes(group(",\n", when=not_first & present), group('{"messageId":', ids, ",", chunk))
            assert self._current is not None
            self._current.write(data)
            self._count += take
            self._size += len(data)
            pos += take

    def finish(self) -> list[FeedFile]:
        self._close_current()
        out = []
        for pending, count in self.files:
            pending.finish()
            out.append(FeedFile(self.channel, self.format, pending.final, count, pending.size, pending.sha256))
        return out

    @property
    def pending(self) -> list[PendingFile]:
        return [p for p, _ in self.files] + ([self._current] if self._current else [])

    def abort(self) -> None:
        for p in self.pending:
            p.abort()
