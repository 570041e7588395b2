"""Amazon SP-API JSON_LISTINGS_FEED (version 2.0) documents.

Messages are split across files so that none holds more than `max_messages` messages or
reaches `max_bytes` (Amazon's guidance: at most 10,000 messages, under 10 MiB). Each file is
a complete feed document with its own header and messageIds starting at 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow.compute as pc

from feedsync.output import FeedFile, PendingFile
from feedsync.render.values import _map, concat_columns

MAX_MESSAGES = 10_000
MAX_BYTES = 10 * 1024 * 1024 - 64 * 1024  # headroom for the envelope


def _json_str(s: pd.Series) -> pd.Series:
    """JSON string literal bodies, vectorised: XML-forbidden controls dropped, the rest escaped."""

    def esc(a):
        a = pc.replace_substring_regex(a, r"[\x00-\x08\x0B\x0C\x0E-\x1F]", "")
        for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            a = pc.replace_substring(a, raw, escaped)
        return a

    return _map(s, esc)


def _number(amount: pd.Series) -> pd.Series:
    """JSON numbers with at most two decimals, exact (no float noise)."""
    cents = (amount * 100).round()
    whole = (cents // 100).astype("Int64").astype("str")
    frac = (cents % 100).astype("Int64").astype("str").str.zfill(2)
    return (whole + "." + frac).where(amount.notna()).astype("str")


def _piece(present: pd.Series, text: pd.Series | str) -> pd.Series:
    """`text` (ending with ',') where present, else ''."""
    if isinstance(text, str):
        text = pd.Series(text, index=present.index, dtype="str")
    return text.where(present, "").fillna("").astype("str")


def build_messages(
    frame: pd.DataFrame, *, marketplace_id: str, language_tag: str, fulfillment_channel_code: str, lead_time: int | None
) -> list[bytes]:
    """One serialised UPDATE message per row of the flat Amazon frame (see channels/amazon.py).

    Built column-wise: each attribute is a string template filled from escaped columns, so the
    cost is per column, not per product (DESIGN.md section 4: per-item json.dumps dominated).
    """
    if not len(frame):
        return []
    mp = marketplace_id
    tail = f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}}]'
    idx = frame.index
    parts: list[pd.Series] = []

    def text(name: str, col: str) -> None:
        value = _json_str(frame[col])
        parts.append(_piece(frame[col].notna(), f'"{name}":[{{"value":"' + value + tail + ","))

    text("item_name", "item_name")
    text("brand", "brand")
    text("product_description", "product_description")
    bullets = _json_str(frame["bullet_point"]).str.replace(
        "|", f'","language_tag":"{language_tag}","marketplace_id":"{mp}"}},{{"value":"', regex=False
    )
    parts.append(_piece(frame["bullet_point"].notna(), '"bullet_point":[{"value":"' + bullets + tail + ","))
    parts.append(
        _piece(
            frame["external_id"].notna(),
            '"externally_assigned_product_identifier":[{"type":"'
            + frame["external_id_type"].fillna("ean")
            + '","value":"'
            + _json_str(frame["external_id"])
            + f'","marketplace_id":"{mp}"}}],',
        )
    )
    parts.append(
        _piece(
            frame["condition_type"].notna(),
            '"condition_type":[{"value":"' + frame["condition_type"] + f'","marketplace_id":"{mp}"}}],',
        )
    )
    text("color", "color")
    text("size", "size")
    level = frame["parentage_level"]
    parts.append(_piece(level.notna(), '"parentage_level":[{"value":"' + level + f'","marketplace_id":"{mp}"}}],'))
    theme = frame["variation_theme"]
    parts.append(
        _piece(level.notna() & theme.notna(), '"variation_theme":[{"name":"' + theme + f'","marketplace_id":"{mp}"}}],')
    )
    parts.append(
        _piece(
            level == "child",
            '"child_parent_sku_relationship":[{"child_relationship_type":"variation","parent_sku":"'
            + _json_str(frame["parent_sku"])
            + f'","marketplace_id":"{mp}"}}],',
        )
    )
    sellable = (level != "parent").fillna(True)
    currency = frame["currency"]
    discount = (
        ',"discounted_price":[{"schedule":[{"start_at":"'
        + frame["sale_start"]
        + '","end_at":"'
        + frame["sale_end"]
        + '","value_with_tax":'
        + _number(frame["discounted_price"])
        + "}]}]"
    )
    parts.append(
        _piece(
            sellable,
            f'"purchasable_offer":[{{"marketplace_id":"{mp}","currency":"'
            + currency
            + '","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":'
            + _number(frame["our_price"])
            + "}]}]"
            + _piece(frame["discounted_price"].notna(), discount)
            + "}],",
        )
    )
    parts.append(
        _piece(
            sellable & frame["list_price"].notna(),
            f'"list_price":[{{"marketplace_id":"{mp}","currency":"'
            + currency
            + '","value_with_tax":'
            + _number(frame["list_price"])
            + "}],",
        )
    )
    if fulfillment_channel_code == "DEFAULT":
        qty = frame["quantity"].fillna(0).astype("Int64").astype("str")
        lead = f',"lead_time_to_ship_max_days":{lead_time}' if lead_time else ""
        fa = '"fulfillment_availability":[{"fulfillment_channel_code":"DEFAULT","quantity":' + qty + lead + "}],"
    else:
        fa = pd.Series(
            f'"fulfillment_availability":[{{"fulfillment_channel_code":"{fulfillment_channel_code}"}}],',
            index=idx,
            dtype="str",
        )
    parts.append(_piece(sellable, fa))
    image = _json_str(frame["main_image"])
    parts.append(
        _piece(
            frame["main_image"].notna(),
            '"main_product_image_locator":[{"media_location":"' + image + f'","marketplace_id":"{mp}"}}],',
        )
    )
    others = frame["other_images"].str.split("|")
    for i in range(1, 9):
        url = others.str.get(i - 1) if frame["other_images"].notna().any() else frame["other_images"]
        url = pd.Series(url, index=idx, dtype="str")
        parts.append(
            _piece(
                url.notna() & (url != ""),
                f'"other_product_image_locator_{i}":[{{"media_location":"'
                + _json_str(url)
                + f'","marketplace_id":"{mp}"}}],',
            )
        )
    attrs = pd.concat(parts, axis=1)
    attrs.columns = range(len(parts))
    body = pd.Series(concat_columns(attrs, ""), index=idx, dtype="str").str.slice(0, -1)
    message = (
        '{"messageId":0,"sku":"'
        + _json_str(frame["sku"])
        + '","operationType":"UPDATE","productType":"'
        + _json_str(frame["product_type"])
        + '","requirements":"LISTING","attributes":{'
        + body
        + "}}"
    )
    return [m.encode("utf-8") for m in message.tolist()]


@dataclass
class AmazonWriter:
    """Streams serialised messages into numbered feed documents (listings-0001.json, ...)."""

    channel: str
    format: str
    folder: Path
    seller_id: str
    issue_locale: str
    build: Any  # frame -> list[bytes] of messages with messageId 0
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
        for msg in self.build(frame):
            if self._current is None or self._count >= self.max_messages or self._size + len(msg) + 2 > self.max_bytes:
                self._roll()
            assert self._current is not None
            self._count += 1
            body = msg.replace(b'"messageId":0,', b'"messageId":%d,' % self._count, 1)
            chunk = (b",\n" if self._count > 1 else b"") + body
            self._current.write(chunk)
            self._size += len(chunk)

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
