"""Comparing a build with what the channels hold, and writing only the difference.

Every published build leaves per item three hashes (content, price, stock fields) in the run
history. A build compares each channel frame with them batch by batch and knows, per item:
added, content / price / stock changed, unchanged, or due for a full re-send (not sent for
`resend_days`); items of the last run that no longer appear are removed.

`build --delta` turns that into channel operations (README "Delta feeds"):

- amazon: UPDATE for new, content-changed and re-sent SKUs; PATCH replacing
  /attributes/purchasable_offer (and list_price) and/or /attributes/fulfillment_availability
  when only price or stock changed; DELETE (sku only) for removed SKUs.
- google: a supplemental TSV, `id` plus the changed attributes. A supplemental data source is
  replaced by each upload and can neither add nor remove products, so the file is cumulative
  since the last full Google build, removed products are tombstoned with every
  `excluded_destination`, and new products wait for the next full build (reported as pending).
  When the last full Google build is older than `resend_days` (or its config changed), the
  delta run writes the full Google feed instead.
- google_local, meta: complete rows of new, changed and re-sent items (local inventory accepts
  incremental rows; Meta with `update_only=true`), and removed items as their last published
  row set out of stock (neither upload can delete).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from feedsync.channels.common import ChannelContext
from feedsync.key_index import KeyIndex
from feedsync.output import FeedFile, PendingFile
from feedsync.render.amazon_json import AmazonWriter
from feedsync.render.writers import DelimitedWriter
from feedsync.state import ItemState

# Fields whose change alone is a price or a stock update; every other field is content.
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "google": {
        "price": ("price", "sale_price", "sale_price_effective_date"),
        "stock": ("availability", "availability_date"),
    },
    "google_local": {"price": ("price",), "stock": ("quantity", "availability")},
    "meta": {
        "price": ("price", "sale_price", "sale_price_effective_date"),
        "stock": ("availability", "quantity_to_sell_on_facebook"),
    },
    "amazon": {
        "price": ("currency", "our_price", "discounted_price", "sale_start", "sale_end", "list_price"),
        "stock": ("quantity",),
    },
}
KEY_SEP = "\x1f"
GOOGLE_DESTINATIONS = (
    "Shopping_ads",
    "Display_ads",
    "Local_inventory_ads",
    "Free_listings",
    "Free_local_listings",
    "YouTube_Shopping",
    "Cloud_retail",
    "Local_cloud_retail",
)
DAY = 86_400


def item_keys(channel: str, frame: pd.DataFrame) -> pd.Series:
    """The item identity on a channel: the SKU, or (store, SKU) for local inventory."""
    if channel == "google_local":
        return (frame["store_code"].astype("str") + KEY_SEP + frame["id"].astype("str")).astype("str")
    return frame["sku" if channel == "amazon" else "id"].astype("str")


def show_key(key: str) -> str:
    store, sep, sku = key.partition(KEY_SEP)
    return f"{sku} @ {store}" if sep else key


@dataclass
class Classified:
    """Per row of a batch: how the item compares with the channel's state."""

    added: np.ndarray
    content: np.ndarray
    price: np.ndarray
    stock: np.ndarray
    stale: np.ndarray

    @property
    def changed(self) -> np.ndarray:
        return self.content | self.price | self.stock

    @property
    def resend(self) -> np.ndarray:
        """Rows sent in full: new, content changed, or due for a re-send."""
        return self.added | self.content | self.stale

    @property
    def touched(self) -> np.ndarray:
        """Rows a delta sends in any form."""
        return self.resend | self.changed


@dataclass
class FeedTracker:
    """One feed's comparison with its published item state, batch by batch."""

    feed: str
    previous: ItemState
    now: int  # run clock, epoch seconds
    resend_days: int
    reset: bool = False  # config changed since the last run: every item counts as content-changed
    keys: list[pd.Series] = field(default_factory=list)
    hashes: list[np.ndarray] = field(default_factory=list)
    sent: list[np.ndarray] = field(default_factory=list)  # per row: the last full send, 0 for new items
    classes: list[Classified] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._index = KeyIndex(self.previous.keys)
        # defensive: a hand-edited history may repeat a key (only possible where digests repeat)
        if self._index.collided and not self.previous.keys.is_unique:
            keys = self.previous.keys
            keep = ~keys.duplicated()
            self.previous = ItemState(keys[keep], self.previous.hashes[keep], self.previous.sent_at[keep])
            self._index = KeyIndex(self.previous.keys)
        self._seen = np.zeros(len(self.previous), dtype=bool)

    def classify(self, keys: pd.Series, hashes: np.ndarray) -> Classified:
        pos = self._index.positions(keys)
        n = len(keys)
        known = pos >= 0
        old = self.previous.hashes[np.where(known, pos, 0)] if len(self.previous) else np.zeros((n, 3), np.uint64)
        diff = (old != hashes) & known[:, None]
        content = diff[:, 0] | (known & self.reset)
        sent = self.previous.sent_at[np.where(known, pos, 0)] if len(self.previous) else np.zeros(n, np.int64)
        sent = np.where(known, sent, 0)
        stale = known & ~content & (sent <= self.now - self.resend_days * DAY)
        self._seen[pos[known]] = True
        c = Classified(~known, content, diff[:, 1] & ~content, diff[:, 2] & ~content, stale)
        self.keys.append(keys)
        self.hashes.append(hashes)
        self.sent.append(sent)
        self.classes.append(c)
        self.counts.update(
            added=int(c.added.sum()),
            changed=int(c.changed.sum()),
            content=int(content.sum()),
            price=int(c.price.sum()),
            stock=int(c.stock.sum()),
            stale=int(stale.sum()),
            items=n,
        )
        return c

    def removed(self) -> list[str]:
        return self.previous.keys[~self._seen].tolist()

    def state(self, sent_now: str | None = None) -> ItemState:
        """The items the channel holds after this run: every current item with its hashes; sent
        now where the Classified property `sent_now` holds ("resend", "touched"), or every item
        when it is None (a full build); otherwise the last full send stays."""
        if not self.keys:
            return ItemState.empty()
        keys = pd.Index(pd.concat(self.keys, ignore_index=True).array, dtype="str")  # no Python strings
        hashes = np.concatenate(self.hashes)
        if sent_now is None:
            sent = np.full(len(keys), self.now, dtype=np.int64)
        else:
            mask = np.concatenate([getattr(c, sent_now) for c in self.classes])
            sent = np.where(mask, self.now, np.concatenate(self.sent)).astype(np.int64)
        return ItemState(keys, hashes, sent)


# -- Amazon ------------------------------------------------------------------------------------


def delete_messages(skus: pd.Series) -> pa.Array:
    """DELETE messages: sku and operationType only (the schema forbids productType, attributes)."""
    body = [orjson.dumps({"sku": s, "operationType": "DELETE"})[1:].decode() for s in skus.tolist()]
    return pa.array(body, pa.large_string())


def patch_messages(update_bodies: pa.Array, price: np.ndarray, stock: np.ndarray) -> list[str | None]:
    """PATCH messages from the UPDATE messages of the same rows: replace purchasable_offer and
    list_price (price changed) and/or fulfillment_availability (stock changed). None where the
    attribute to replace is absent (then the row is sent as UPDATE). Per-row Python, on the
    few rows whose price or stock changed."""
    out: list[str | None] = []
    for body, p, s in zip(update_bodies.to_pylist(), price.tolist(), stock.tolist(), strict=True):
        msg = orjson.loads("{" + body)
        attrs = msg["attributes"]
        names = (["purchasable_offer", "list_price"] if p else []) + (["fulfillment_availability"] if s else [])
        patches = [{"op": "replace", "path": f"/attributes/{n}", "value": attrs[n]} for n in names if n in attrs]
        if not patches or (p and "purchasable_offer" not in attrs) or (s and "fulfillment_availability" not in attrs):
            out.append(None)
            continue
        doc = {"sku": msg["sku"], "operationType": "PATCH", "productType": msg["productType"], "patches": patches}
        out.append(orjson.dumps(doc)[1:].decode())
    return out


@dataclass
class AmazonDelta:
    """UPDATE / PATCH / DELETE messages into feed documents under delta/amazon/."""

    writer: AmazonWriter
    update: Any  # the channel's build_messages with its options bound
    ops: Counter = field(default_factory=Counter)

    @classmethod
    def create(cls, folder: Path, ctx: ChannelContext, compress: bool) -> AmazonDelta:
        from feedsync.channels import amazon

        full = amazon.writers(folder, ctx, compress)["json"]
        return cls(writer=full, update=full.build)

    def _build(self, frame: pd.DataFrame) -> pa.Array:
        op = frame["_op"].to_numpy()
        bodies: list[str | None] = [None] * len(frame)
        dele = np.flatnonzero(op == "DELETE")
        if len(dele):
            for i, b in zip(dele, delete_messages(frame["sku"].iloc[dele]).to_pylist(), strict=True):
                bodies[i] = b
        rest = np.flatnonzero(op != "DELETE")
        if len(rest):
            sub = frame.iloc[rest]
            updates = self.update(sub.drop(columns=["_op", "_price", "_stock"]))
            patch = (sub["_op"] == "PATCH").to_numpy()
            patched = (
                patch_messages(
                    updates.filter(pa.array(patch)), sub["_price"].to_numpy()[patch], sub["_stock"].to_numpy()[patch]
                )
                if patch.any()
                else []
            )
            it = iter(patched)
            for i, body, is_patch in zip(rest, updates.to_pylist(), patch.tolist(), strict=True):
                p = next(it) if is_patch else None
                bodies[i] = p if p is not None else body
                self.ops["PATCH" if p is not None else "UPDATE"] += 1
        if len(dele):
            self.ops["DELETE"] += len(dele)
        return pa.array(bodies, pa.large_string())

    def write(self, frame: pd.DataFrame, c: Classified) -> None:
        partial = (c.price | c.stock) & ~c.resend
        send = c.resend | partial
        if not send.any():
            return
        sub = frame.loc[send].assign(
            _op=np.where(partial[send], "PATCH", "UPDATE"), _price=c.price[send], _stock=c.stock[send]
        )
        self._write(sub)

    def _write(self, frame: pd.DataFrame) -> None:
        build = self.writer.build
        self.writer.build = self._build
        try:
            self.writer.write(frame)
        finally:
            self.writer.build = build

    def tombstones(self, keys: list[str], old: pd.DataFrame | None) -> int:
        if keys:
            self._write(pd.DataFrame({"sku": pd.Series(keys, dtype="str"), "_op": "DELETE"}))
        return len(keys)

    def finish(self) -> list[FeedFile]:
        return self.writer.finish()

    @property
    def pending(self) -> list[PendingFile]:
        return self.writer.pending

    def abort(self) -> None:
        self.writer.abort()


def write_deletes(writer: AmazonWriter, skus: list[str]) -> None:
    """DELETE messages for SKUs removed since the last run, appended to a full Amazon feed:
    Amazon keeps listings a feed does not mention, so a removal must be explicit."""
    if not skus:
        return
    build = writer.build
    writer.build = lambda f: delete_messages(f["sku"])
    try:
        writer.write(pd.DataFrame({"sku": pd.Series(skus, dtype="str")}))
    finally:
        writer.build = build


# -- Google supplemental -------------------------------------------------------------------------


class Spool:
    """Rows held on disk until the end of the run (their columns are only known then)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._schema = table.schema
            self._writer = pa.ipc.new_file(str(self.path), table.schema)
        assert self._schema is not None
        self._writer.write_table(table.select(self._schema.names).cast(self._schema))
        self.rows += table.num_rows

    def batches(self):
        if self._writer is None:
            return
        self._writer.close()
        self._writer = None
        with pa.memory_map(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i).to_pandas(types_mapper={pa.large_string(): pd.StringDtype()}.get)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)


@dataclass
class GoogleSupplemental:
    """id plus the changed attributes, cumulative since the last full Google build."""

    folder: Path
    columns: tuple[str, ...]
    compress: bool
    groups: dict[str, tuple[str, ...]]
    spool: Spool = field(init=False)
    pending_new: int = 0
    _used: set[str] = field(default_factory=set)
    _removed: list[str] = field(default_factory=list)
    _writer: DelimitedWriter | None = None

    def __post_init__(self) -> None:
        self.spool = Spool(self.folder / f".supplemental.{os.getpid()}.spool")

    def write(self, frame: pd.DataFrame, c: Classified, table: pa.Table) -> None:
        self.pending_new += int(c.added.sum())
        changed = c.changed
        if not changed.any():
            return
        flags = pa.table(
            {
                "_content": pa.array(c.content[changed]),
                "_price": pa.array(c.price[changed]),
                "_stock": pa.array(c.stock[changed]),
            }
        )
        rows = table.filter(pa.array(changed))
        for name in flags.column_names:
            rows = rows.append_column(name, flags.column(name))
        self.spool.write(rows)
        for g, flag in (("content", c.content), ("price", c.price), ("stock", c.stock)):
            if flag[changed].any():
                self._used.add(g)

    def _header(self, removed: bool) -> tuple[str, ...]:
        """id, the columns of every field group some row changed, and the tombstone column."""

        def group(col: str) -> str:
            return next((name for name, members in self.groups.items() if col in members), "content")

        cols = [c for c in self.columns if c != "id" and group(c) in self._used]
        return ("id", *cols, *(("excluded_destination",) if removed else ()))

    def tombstones(self, keys: list[str], old: pd.DataFrame | None) -> int:
        self._removed = keys
        return len(keys)

    def finish(self) -> list[FeedFile]:
        removed = self._removed
        header = self._header(bool(removed))
        self._writer = DelimitedWriter(
            "google",
            "supplemental",
            self.folder / "supplemental.tsv",
            self.compress,
            columns=header,
            delimiter="\t",
            single_line=True,
        )
        try:
            self._writer.write(pd.DataFrame({c: pd.Series(dtype="str") for c in header}))
            for batch in self.spool.batches():
                self._writer.write(batch)
            if removed:
                self._writer.write(
                    pd.DataFrame(
                        {
                            "id": pd.Series(removed, dtype="str"),
                            "excluded_destination": ",".join(GOOGLE_DESTINATIONS),
                        }
                    )
                )
        finally:
            self.spool.close()
        return self._writer.finish()

    @property
    def pending(self) -> list[PendingFile]:
        return self._writer.pending if self._writer else []

    def abort(self) -> None:
        self.spool.close()
        if self._writer:
            self._writer.abort()


# -- rows (google_local, meta) ----------------------------------------------------------------


OUT_OF_STOCK = {
    "google_local": {"quantity": "0", "availability": "out_of_stock"},
    "meta": {"availability": "out of stock", "quantity_to_sell_on_facebook": "0"},
}


@dataclass
class RowsDelta:
    """Complete rows of new, changed and re-sent items; removed items as their last row, out of stock."""

    channel: str
    writers: list[Any]
    sent: int = 0  # rows written, tombstones included

    def write(self, frame: pd.DataFrame, c: Classified) -> None:
        send = c.touched
        if send.any():
            self.sent += int(send.sum())
            for w in self.writers:
                w.write(frame.loc[send])

    def tombstones(self, keys: list[str], old: pd.DataFrame | None) -> int:
        if not keys:
            return 0
        if old is None or not len(old):
            rows = pd.DataFrame(index=pd.Index(keys, dtype="str"))
            if self.channel == "google_local":
                parts = rows.index.str.split(KEY_SEP, n=1)
                rows["store_code"] = [p[0] for p in parts]
                rows["id"] = [p[-1] for p in parts]
            else:
                rows["id"] = rows.index
        else:
            rows = old.reindex(pd.Index(keys, dtype="str"))
        for col, value in OUT_OF_STOCK[self.channel].items():
            rows[col] = value
        rows = rows.reset_index(drop=True)
        self.sent += len(rows)
        for w in self.writers:
            w.write(rows)
        return len(keys)

    def finish(self) -> list[FeedFile]:
        """The delta files, or none when nothing changed: an empty file is not a change to send."""
        if not self.sent:
            self.abort()
            self.writers = []
            return []
        out = []
        for w in self.writers:
            out.extend(w.finish())
        return out

    @property
    def pending(self) -> list[PendingFile]:
        return [p for w in self.writers for p in w.pending]

    def abort(self) -> None:
        for w in self.writers:
            w.abort()
