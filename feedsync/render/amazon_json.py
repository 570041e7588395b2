"""Amazon SP-API JSON_LISTINGS_FEED (version 2.0) documents.

Messages are split across files so that none holds more than `max_messages` messages or
reaches `max_bytes` (Amazon's guidance: at most 10,000 messages, under 10 MiB). Each file is
a complete feed document with its own header and messageIds starting at 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from feedsync.output import FeedFile, PendingFile

MAX_MESSAGES = 10_000
MAX_BYTES = 10 * 1024 * 1024 - 64 * 1024  # headroom for the envelope


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA and v is not pd.NaT


def build_messages(
    frame: pd.DataFrame, *, marketplace_id: str, language_tag: str, fulfillment_channel_code: str, lead_time: int | None
) -> list[bytes]:
    """One serialised UPDATE message per row of the flat Amazon frame (see channels/amazon.py)."""
    mp, lang = marketplace_id, language_tag
    out = []
    for r in frame.to_dict("records"):
        attrs: dict[str, Any] = {}

        def text(name: str, value: Any, attrs: dict[str, Any] = attrs) -> None:
            if _present(value):
                attrs[name] = [{"value": value, "language_tag": lang, "marketplace_id": mp}]

        text("item_name", r["item_name"])
        text("brand", r["brand"])
        text("product_description", r["product_description"])
        if _present(r["bullet_point"]):
            attrs["bullet_point"] = [
                {"value": b, "language_tag": lang, "marketplace_id": mp} for b in r["bullet_point"].split("|") if b
            ]
        if _present(r["external_id"]):
            attrs["externally_assigned_product_identifier"] = [
                {"type": r["external_id_type"], "value": r["external_id"], "marketplace_id": mp}
            ]
        if _present(r["condition_type"]):
            attrs["condition_type"] = [{"value": r["condition_type"], "marketplace_id": mp}]
        text("color", r["color"])
        text("size", r["size"])
        level = r["parentage_level"]
        if _present(level):
            attrs["parentage_level"] = [{"value": level, "marketplace_id": mp}]
            if _present(r["variation_theme"]):
                attrs["variation_theme"] = [{"name": r["variation_theme"], "marketplace_id": mp}]
            if level == "child":
                attrs["child_parent_sku_relationship"] = [
                    {"child_relationship_type": "variation", "parent_sku": r["parent_sku"], "marketplace_id": mp}
                ]
        if level != "parent":
            offer: dict[str, Any] = {
                "marketplace_id": mp,
                "currency": r["currency"],
                "audience": "ALL",
                "our_price": [{"schedule": [{"value_with_tax": r["our_price"]}]}],
            }
            if _present(r["discounted_price"]):
                offer["discounted_price"] = [
                    {
                        "schedule": [
                            {
                                "start_at": r["sale_start"],
                                "end_at": r["sale_end"],
                                "value_with_tax": r["discounted_price"],
                            }
                        ]
                    }
                ]
            attrs["purchasable_offer"] = [offer]
            if _present(r["list_price"]):
                attrs["list_price"] = [
                    {"marketplace_id": mp, "currency": r["currency"], "value_with_tax": r["list_price"]}
                ]
            fa: dict[str, Any] = {"fulfillment_channel_code": fulfillment_channel_code}
            if fulfillment_channel_code == "DEFAULT":
                fa["quantity"] = int(r["quantity"]) if _present(r["quantity"]) else 0
                if lead_time:
                    fa["lead_time_to_ship_max_days"] = lead_time
            attrs["fulfillment_availability"] = [fa]
        if _present(r["main_image"]):
            attrs["main_product_image_locator"] = [{"media_location": r["main_image"], "marketplace_id": mp}]
        if _present(r["other_images"]):
            for i, url in enumerate(r["other_images"].split("|")[:8], 1):
                attrs[f"other_product_image_locator_{i}"] = [{"media_location": url, "marketplace_id": mp}]
        message = {
            "messageId": 0,
            "sku": r["sku"],
            "operationType": "UPDATE",
            "productType": r["product_type"],
            "requirements": "LISTING",
            "attributes": attrs,
        }
        out.append(orjson.dumps(message))
    return out


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
