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
from feedsync.render.values import data_bytes, join, may_hold_forbidden, present, text_array

MAX_MESSAGES = 10_000
MAX_BYTES = 10 * 1024 * 1024 - 64 * 1024  # headroom for the envelope
_ID_OVERHEAD = len(',\n{"messageId":10000,')


def _json_str(s: pd.Series) -> pa.Array:
    """JSON string literal bodies, vectorised: control characters dropped, the rest escaped."""
    a = text_array(s)
    if may_hold_forbidden(a):  # the regex costs more than the rest; text seldom needs it
        a = pc.replace_substring_regex(a, r"[\x00-\x08\x0B\x0C\x0E-\x1F]", "")
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        a = pc.replace_substring(a, raw, escaped)
    return a


def _number(amount: pd.Series) -> pa.Array:
    """JSON numbers with at most two decimals, exact (no float noise)."""
    cents = (amount * 100).round()
    whole = (cents // 100).astype("Int64").astype("str")
    frac = (cents % 100).astype("Int64").astype("str").str.zfill(2)
    return join(whole, ".", frac)


def _when(mask: pd.Series, element: pa.Array) -> pa.Array:
    """The element where mask holds, else null (left out of the message)."""
    return pc.if_else(pa.array(mask.fillna(False).to_numpy(dtype=bool)), element, pa.scalar(None, element.type))


def build_messages(
    frame: pd.DataFrame, *, marketplace_id: str, language_tag: str, fulfillment_channel_code: str, lead_time: int | None
) -> pa.Array:
    """One serialised UPDATE message per row of the flat Amazon frame (see channels/amazon.py),
    without its leading `{"messageId":N,` (the writer numbers messages per file).

    Built column-wise: each attribute is a string template filled from escaped columns, so the
    cost is per column, not per product (DESIGN.md section 4: per-item json.dumps dominated).
    Every attribute element starts with ',' and a missing value makes the element null.
    """
    mp = marketplace_id
    tagged = f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}}]'
    mp_tail = f'","marketplace_id":"{mp}"}}]'
    parts: list[pa.Array | str] = []

    def text(name: str, col: str) -> None:
        parts.append(join(f',"{name}":[{{"value":"', _json_str(frame[col]), tagged))

    text("item_name", "item_name")
    text("brand", "brand")
    text("product_description", "product_description")
    bullets = pc.replace_substring(
        _json_str(frame["bullet_point"]), "|", f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}},{{"value":"'
    )
    parts.append(join(',"bullet_point":[{"value":"', bullets, tagged))
    parts.append(
        join(
            ',"externally_assigned_product_identifier":[{"type":"',
            frame["external_id_type"].fillna("ean"),
            '","value":"',
            _json_str(frame["external_id"]),
            mp_tail,
        )
    )
    parts.append(join(',"condition_type":[{"value":"', frame["condition_type"], mp_tail))
    text("color", "color")
    text("size", "size")
    level = frame["parentage_level"]
    parts.append(join(',"parentage_level":[{"value":"', level, mp_tail))
    parts.append(_when(level.notna(), join(',"variation_theme":[{"name":"', frame["variation_theme"], mp_tail)))
    parts.append(
        _when(
            level == "child",
            join(
                ',"child_parent_sku_relationship":[{"child_relationship_type":"variation","parent_sku":"',
                _json_str(frame["parent_sku"]),
                mp_tail,
            ),
        )
    )
    sellable = (level != "parent").fillna(True)
    discount = join(
        ',"discounted_price":[{"schedule":[{"start_at":"',
        frame["sale_start"],
        '","end_at":"',
        frame["sale_end"],
        '","value_with_tax":',
        _number(frame["discounted_price"]),
        "}]}]",
    )
    offer = join(
        f',"purchasable_offer":[{{"marketplace_id":"{mp}","currency":"',
        frame["currency"],
        '","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":',
        _number(frame["our_price"]),
        "}]}]",
        discount,
        "}]",
        skip_missing=True,
    )
    parts.append(_when(sellable & frame["our_price"].notna(), offer))
    list_price = join(
        f',"list_price":[{{"marketplace_id":"{mp}","currency":"',
        frame["currency"],
        '","value_with_tax":',
        _number(frame["list_price"]),
        "}]",
    )
    parts.append(_when(sellable, list_price))
    if fulfillment_channel_code == "DEFAULT":
        lead = f',"lead_time_to_ship_max_days":{lead_time}' if lead_time else ""
        qty = frame["quantity"].fillna(0).astype("Int64").astype("str")
        fa = join(',"fulfillment_availability":[{"fulfillment_channel_code":"DEFAULT","quantity":', qty, lead + "}]")
    else:
        fa = join(
            frame["sku"].str.slice(0, 0),
            f',"fulfillment_availability":[{{"fulfillment_channel_code":"{fulfillment_channel_code}"}}]',
        )
    parts.append(_when(sellable, fa))
    parts.append(join(',"main_product_image_locator":[{"media_location":"', _json_str(frame["main_image"]), mp_tail))
    others = pc.split_pattern(text_array(frame["other_images"]), "|")
    most = pc.max(pc.list_value_length(others)).as_py() or 0  # locators past it would all be empty
    for i in range(1, min(most, 8) + 1):
        url = pc.binary_join(pc.list_slice(others, i - 1, i), pa.scalar("", pa.large_string()))
        url = present(url)
        parts.append(
            join(f',"other_product_image_locator_{i}":[{{"media_location":"', _json_str(pd.Series(url)), mp_tail)
        )
    attrs = pc.utf8_slice_codeunits(join(*parts, skip_missing=True), 1)
    return join(
        '"sku":"',
        _json_str(frame["sku"]),
        '","operationType":"UPDATE","productType":"',
        _json_str(frame["product_type"]),
        '","requirements":"LISTING","attributes":{',
        attrs,
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
        if not len(frame):
            return
        messages = self.build(frame)
        lengths = pc.binary_length(messages).to_numpy() + _ID_OVERHEAD
        pos, n = 0, len(messages)
        while pos < n:
            if self._current is None or self._count >= self.max_messages or self._size + lengths[pos] > self.max_bytes:
                self._roll()
            budget = self.max_bytes - self._size
            fits = int(np.searchsorted(np.cumsum(lengths[pos : pos + self.max_messages - self._count]), budget, "right"))
            take = max(fits, 1) if self._count == 0 else fits  # an oversized message still gets a file of its own
            if take == 0:
                self._roll()
                continue
            chunk = messages.slice(pos, take)
            ids = pa.array(np.arange(self._count + 1, self._count + take + 1).astype(str), pa.large_string())
            sep = pa.array(np.where(np.arange(self._count, self._count + take) == 0, "", ",\n"), pa.large_string())
            data = data_bytes(join(sep, '{"messageId":', ids, ",", chunk))
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
