"""Run history: what every published build sent, per output folder and feed, in SQLite.

One database per project (`[state] path`, default `.feedsync/state.db` beside the config)
holds, per output folder ("target") and feed ("google", "meta" ... a market would make it
"google:de"):

- `runs`: every build that reached the publish gate: run clock, mode, published or refused,
  forced, gate verdict, manifest and counts;
- `feed_runs`: per run and feed, the item counts (published, added, changed, removed, re-sent)
  and the folder of its item snapshot;
- `item_sets`: per published run and feed, the items the channel holds after it: key, three
  content hashes (price fields, stock fields, everything else) and when the item was last
  sent in full, as one zstd-compressed Arrow IPC blob. Measured at 1,000,000 items, a row
  per item cost about 10 us to insert (some 45 s per nightly build over four feeds); the
  blob costs well under a second and keeps the item set of every recent run, not only the
  current one. The last `keep_snapshots` sets per feed are kept.

Item snapshots (every field of every item, Parquet) sit in `snapshots/` beside the database;
the last `keep_snapshots` per feed are kept for field-level diffs and tombstones.

The schema is versioned (PRAGMA user_version) and migrated forward in a transaction. A file
that is not a database, a newer schema, or a lock that does not clear is a StateError with the
file and the fix; feedsync never deletes or recreates a history it cannot read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xxhash

from feedsync.columns import ROW
from feedsync.errors import FeedsyncError
from feedsync.vector import arrow

SCHEMA_VERSION = 2
BUSY_TIMEOUT = 15.0  # seconds to wait for another process's write transaction
GROUPS = ("content", "price", "stock")  # an item's hash is one 64-bit digest per field group
# The digest behind the item hashes; part of each feed's fingerprint, so history written with
# another digest makes the next run a full send instead of a delta against unlike hashes.
ITEM_HASH = "xxh3-64"

_V1 = (
    # the first schema
    """
    CREATE TABLE targets (
        id INTEGER PRIMARY KEY,
        out_dir TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        target_id INTEGER NOT NULL REFERENCES targets(id),
        run_clock TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('full', 'delta')),
        status TEXT NOT NULL CHECK (status IN ('published', 'refused')),
        forced INTEGER NOT NULL DEFAULT 0,
        channels TEXT NOT NULL,
        gate TEXT,
        manifest TEXT,
        summary TEXT
    );
    CREATE INDEX runs_by_target ON runs(target_id, seq);
    CREATE TABLE feed_runs (
        run_seq INTEGER NOT NULL REFERENCES runs(seq),
        feed TEXT NOT NULL,
        mode TEXT NOT NULL,
        items INTEGER NOT NULL,
        added INTEGER NOT NULL DEFAULT 0,
        changed INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        resent INTEGER NOT NULL DEFAULT 0,
        products INTEGER NOT NULL DEFAULT 0,
        excluded INTEGER NOT NULL DEFAULT 0,
        fingerprint TEXT,
        snapshot TEXT,
        PRIMARY KEY (run_seq, feed)
    );
    CREATE TABLE items (
        target_id INTEGER NOT NULL,
        feed TEXT NOT NULL,
        key TEXT NOT NULL,
        content_hash INTEGER NOT NULL,
        price_hash INTEGER NOT NULL,
        stock_hash INTEGER NOT NULL,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (target_id, feed, key)
    ) WITHOUT ROWID;
    """
)


def _sql(script: str):
    def step(db: sqlite3.Connection) -> None:
        for statement in script.split(";"):  # executescript would commit the migration's transaction
            if statement.strip():
                db.execute(statement)

    return step


def _v2_item_sets(db: sqlite3.Connection) -> None:
    """1 -> 2: item rows become one Arrow blob per published run and feed (see the module doc)."""
    db.execute(
        """CREATE TABLE item_sets (
            run_seq INTEGER NOT NULL REFERENCES runs(seq),
            feed TEXT NOT NULL,
            items INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (run_seq, feed)
        )"""
    )
    pairs = db.execute("SELECT DISTINCT target_id, feed FROM items").fetchall()
    for target, feed in pairs:
        last = db.execute(
            "SELECT f.run_seq FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
            "WHERE r.target_id = ? AND f.feed = ? AND r.status = 'published' ORDER BY f.run_seq DESC LIMIT 1",
            (target, feed),
        ).fetchone()
        if last is None:
            continue
        rows = db.execute(
            "SELECT key, content_hash, price_hash, stock_hash, sent_at FROM items WHERE target_id = ? AND feed = ?",
            (target, feed),
        ).fetchall()
        state = _from_rows(rows)
        db.execute(
            "INSERT INTO item_sets (run_seq, feed, items, data) VALUES (?, ?, ?, ?)",
            (last[0], feed, len(state), encode_items(state)),
        )
    db.execute("DROP TABLE items")


MIGRATIONS = (_sql(_V1), _v2_item_sets)  # MIGRATIONS[n] takes a history from version n to n + 1


class StateError(FeedsyncError):
    """The run history cannot be read or written (exit 3)."""


def _utc_iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FeedRun:
    """The last published run of one feed on one target."""

    run_id: str
    run_clock: str
    mode: str
    items: int
    snapshot: Path | None
    products: int = 0  # sellable products offered to the channel
    excluded: int = 0  # of those, excluded for errors


@dataclass
class ItemState:
    """The items a channel holds: keys (index), hashes (n x 3 uint64), last full send (epoch s)."""

    keys: pd.Index
    hashes: np.ndarray
    sent_at: np.ndarray

    @classmethod
    def empty(cls) -> ItemState:
        return cls(pd.Index([], dtype="str"), np.zeros((0, 3), dtype=np.uint64), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class FeedRecord:
    """What a run did to one feed, and the channel's item state after it."""

    feed: str
    mode: str
    items: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    resent: int = 0
    products: int = 0
    excluded: int = 0
    snapshot: Path | None = None
    fingerprint: str | None = None  # the channel settings the items were rendered with
    state: ItemState | None = None  # the items the channel holds after this run (None: unchanged)


class StateStore:
    """The SQLite run history. Use as a context manager; every error is a StateError."""

    def __init__(self, path: Path, *, timeout: float | None = None) -> None:
        self.path = path
        self.folder = path.parent
        self._timeout = BUSY_TIMEOUT if timeout is None else timeout
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> StateStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening, errors and migrations -------------------------------------------------

    def _error(self, e: BaseException, doing: str) -> StateError:
        text = str(e)
        if isinstance(e, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return StateError(
                f"run history {self.path} is locked by another process ({doing}): {text}",
                hint="another feedsync run is writing it; try again when it has finished (or raise --wait)",
            )
        if isinstance(e, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text or "corrupt" in text or "disk image" in text
        ):
            return StateError(
                f"run history {self.path} is damaged ({doing}): {text}",
                hint=f"restore it from a backup, or move it aside (mv {self.path} {self.path}.broken) to start a "
                "new history; feedsync never deletes it, and the next build then has no previous run to compare",
            )
        if isinstance(e, OSError):
            return StateError(
                f"cannot use run history {self.path} ({doing}): {e.strerror or e}",
                hint="check that the folder exists and is writable, or set [state] path in feedsync.toml",
            )
        return StateError(
            f"run history {self.path} failed ({doing}): {text}",
            hint="check free disk space and permissions; run with --debug for the details",
        )

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as e:
            raise self._error(e, doing) from None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    def open(self) -> None:
        if self._db is not None:
            return
        with self._guard("opening"):
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size and not _looks_like_sqlite(self.path):
                raise sqlite3.DatabaseError("file is not a database")
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            try:
                db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StateError(
                        f"run history {self.path} has schema version {version}; this feedsync knows up to "
                        f"{SCHEMA_VERSION}",
                        hint="upgrade feedsync (a newer version wrote this history), or set [state] path to "
                        "another file",
                    )
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA foreign_keys = ON")
                if version < SCHEMA_VERSION:
                    self._migrate(db, version)
            except BaseException:
                db.close()
                raise
            self._db = db

    def _migrate(self, db: sqlite3.Connection, version: int) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            for step in range(current, SCHEMA_VERSION):
                MIGRATIONS[step](db)
                db.execute(f"PRAGMA user_version = {step + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def check(self) -> None:
        """PRAGMA quick_check: a damaged page fails here, before any feed is replaced."""
        with self._guard("checking"):
            row = self.db.execute("PRAGMA quick_check").fetchone()
            if row[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {row[0]}")

    # -- reading ------------------------------------------------------------------------

    def target_id(self, out_dir: Path, *, create: bool = False) -> int | None:
        key = str(out_dir.resolve())
        with self._guard("reading targets"):
            row = self.db.execute("SELECT id FROM targets WHERE out_dir = ?", (key,)).fetchone()
            if row or not create:
                return row[0] if row else None
            cur = self.db.execute(
                "INSERT INTO targets (out_dir, created_at) VALUES (?, ?)", (key, _utc_iso(datetime.now(UTC)))
            )
            return int(cur.lastrowid or 0)

    def last_published(self, target: int | None, feed: str, *, mode: str | None = None) -> FeedRun | None:
        if target is None:
            return None
        sql = (
            "SELECT r.id, r.run_clock, f.mode, f.items, f.snapshot, f.products, f.excluded "
            "FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
            "WHERE r.target_id = ? AND r.status = 'published' AND f.feed = ?"
            + (" AND f.mode = ?" if mode else "")
            + " ORDER BY r.seq DESC LIMIT 1"
        )
        args: tuple[Any, ...] = (target, feed, mode) if mode else (target, feed)
        with self._guard("reading runs"):
            row = self.db.execute(sql, args).fetchone()
        if row is None:
            return None
        snap = self.folder / row[4] if row[4] else None
        return FeedRun(row[0], row[1], row[2], row[3], snap if snap and snap.exists() else None, row[5], row[6])

    def fingerprint(self, target: int | None, feed: str) -> str | None:
        """The channel settings of the last published run of `feed` (None: no such run)."""
        if target is None:
            return None
        with self._guard("reading runs"):
            row = self.db.execute(
                "SELECT f.fingerprint FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
                "WHERE r.target_id = ? AND r.status = 'published' AND f.feed = ? ORDER BY r.seq DESC LIMIT 1",
                (target, feed),
            ).fetchone()
        return row[0] if row else None

    def items(self, target: int | None, feed: str) -> ItemState:
        """The items the channel holds: the item set of the feed's last published run that wrote one."""
        if target is None:
            return ItemState.empty()
        with self._guard("reading items"):
            row = self.db.execute(
                "SELECT i.data FROM item_sets i JOIN runs r ON r.seq = i.run_seq "
                "WHERE r.target_id = ? AND r.status = 'published' AND i.feed = ? ORDER BY i.run_seq DESC LIMIT 1",
                (target, feed),
            ).fetchone()
        return ItemState.empty() if row is None else self._decode(row[0], feed)

    def published_items(self, target: int | None, feed: str) -> ItemState | None:
        """The item set written by the feed's last published run itself (the run whose snapshot
        last_published() names); None when that run wrote none."""
        if target is None:
            return None
        with self._guard("reading items"):
            row = self.db.execute(
                "SELECT i.data FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
                "LEFT JOIN item_sets i ON i.run_seq = f.run_seq AND i.feed = f.feed "
                "WHERE r.target_id = ? AND r.status = 'published' AND f.feed = ? ORDER BY r.seq DESC LIMIT 1",
                (target, feed),
            ).fetchone()
        return None if row is None or row[0] is None else self._decode(row[0], feed)

    def _decode(self, data: bytes, feed: str) -> ItemState:
        try:
            return decode_items(data)
        except (pa.ArrowInvalid, KeyError, ValueError) as e:
            raise StateError(
                f"run history {self.path}: the item set of feed {feed!r} cannot be read ({e})",
                hint=f"restore {self.path} from a backup, or move it aside to start a new history",
            ) from None

    def runs(self, target: int | None, limit: int = 20) -> list[dict[str, Any]]:
        if target is None:
            return []
        with self._guard("reading runs"):
            rows = self.db.execute(
                "SELECT seq, id, run_clock, finished_at, mode, status, forced, gate, summary FROM runs "
                "WHERE target_id = ? ORDER BY seq DESC LIMIT ?",
                (target, limit),
            ).fetchall()
            feeds = {
                seq: self.db.execute(
                    "SELECT feed, mode, items, added, changed, removed, resent FROM feed_runs WHERE run_seq = ?", (seq,)
                ).fetchall()
                for seq, *_ in rows
            }
        out = []
        for seq, rid, clock, finished, mode, status, forced, gate, summary in rows:
            out.append(
                {
                    "run_id": rid,
                    "run_clock": clock,
                    "finished_at": finished,
                    "mode": mode,
                    "status": status,
                    "forced": bool(forced),
                    "gate": orjson.loads(gate) if gate else None,
                    "summary": orjson.loads(summary) if summary else None,
                    "feeds": {
                        f: {"mode": m, "items": n, "added": a, "changed": c, "removed": r, "resent": s}
                        for f, m, n, a, c, r, s in feeds[seq]
                    },
                }
            )
        return out

    # -- writing ------------------------------------------------------------------------

    def snapshot_folder(self, out_dir: Path, run_id: str) -> Path:
        tag = hashlib.sha1(str(out_dir.resolve()).encode(), usedforsecurity=False).hexdigest()[:12]
        return self.folder / "snapshots" / tag / run_id

    def record(
        self,
        *,
        out_dir: Path,
        run_id: str,
        run_clock: datetime,
        started_at: datetime,
        mode: str,
        published: bool,
        forced: bool,
        channels: list[str],
        gate: dict | None,
        manifest: dict | None,
        summary: dict | None,
        feeds: list[FeedRecord],
    ) -> None:
        """One transaction: the run, its feeds and (when published) the new item state."""
        dump = lambda d: orjson.dumps(d).decode() if d is not None else None  # noqa: E731
        with self._guard("recording the run"):
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                target = self.target_id(out_dir, create=True)
                cur = db.execute(
                    "INSERT INTO runs (id, target_id, run_clock, started_at, finished_at, mode, status, forced, "
                    "channels, gate, manifest, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        target,
                        _utc_iso(run_clock),
                        _utc_iso(started_at),
                        _utc_iso(datetime.now(UTC)),
                        mode,
                        "published" if published else "refused",
                        int(forced),
                        dump(channels),
                        dump(gate),
                        dump(manifest),
                        dump(summary),
                    ),
                )
                seq = cur.lastrowid
                for f in feeds:
                    snap = f.snapshot.relative_to(self.folder).as_posix() if (published and f.snapshot) else None
                    db.execute(
                        "INSERT INTO feed_runs (run_seq, feed, mode, items, added, changed, removed, resent, "
                        "products, excluded, fingerprint, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            seq,
                            f.feed,
                            f.mode,
                            f.items,
                            f.added,
                            f.changed,
                            f.removed,
                            f.resent,
                            f.products,
                            f.excluded,
                            f.fingerprint,
                            snap,
                        ),
                    )
                    if published and f.state is not None:
                        db.execute(
                            "INSERT INTO item_sets (run_seq, feed, items, data) VALUES (?, ?, ?, ?)",
                            (seq, f.feed, len(f.state), encode_items(f.state)),
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def prune_snapshots(self, out_dir: Path, keep: int) -> None:
        """Keep the item snapshots and item sets of the last `keep` runs of every feed on this target
        (runs and their counts stay forever)."""
        target = self.target_id(out_dir)
        if target is None:
            return
        with self._guard("pruning snapshots"):
            rows = self.db.execute(
                "SELECT f.run_seq, f.feed, f.snapshot FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
                "WHERE r.target_id = ? AND f.snapshot IS NOT NULL ORDER BY f.run_seq DESC",
                (target,),
            ).fetchall()
            seen: dict[str, int] = {}
            drop = []
            for seq, feed, snap in rows:
                seen[feed] = seen.get(feed, 0) + 1
                if seen[feed] > keep:
                    drop.append((seq, feed, snap))
            sets = self.db.execute(
                "SELECT i.run_seq, i.feed FROM item_sets i JOIN runs r ON r.seq = i.run_seq "
                "WHERE r.target_id = ? ORDER BY i.run_seq DESC",
                (target,),
            ).fetchall()
            kept: dict[str, int] = {}
            old_sets = []
            for seq, feed in sets:
                kept[feed] = kept.get(feed, 0) + 1
                if kept[feed] > keep:
                    old_sets.append((seq, feed))
            if not drop and not old_sets:
                self._remove_orphans(out_dir, target)
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany(
                    "UPDATE feed_runs SET snapshot = NULL WHERE run_seq = ? AND feed = ?", [(s, f) for s, f, _ in drop]
                )
                self.db.executemany("DELETE FROM item_sets WHERE run_seq = ? AND feed = ?", old_sets)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        for _, _, snap in drop:
            path = self.folder / snap
            path.unlink(missing_ok=True)
            with suppress(OSError):
                path.parent.rmdir()  # the run's folder, once its last feed snapshot is gone
        self._remove_orphans(out_dir, target)

    def _remove_orphans(self, out_dir: Path, target: int) -> None:
        """Snapshot folders no run refers to: left by builds that were killed or refused."""
        folder = self.snapshot_folder(out_dir, "-").parent
        if not folder.is_dir():
            return
        with self._guard("pruning snapshots"):
            rows = self.db.execute(
                "SELECT f.snapshot FROM feed_runs f JOIN runs r ON r.seq = f.run_seq "
                "WHERE r.target_id = ? AND f.snapshot IS NOT NULL",
                (target,),
            ).fetchall()
        referenced = {(self.folder / snap).parent for (snap,) in rows}
        for run_folder in folder.iterdir():
            if run_folder.is_dir() and run_folder not in referenced:
                shutil.rmtree(run_folder, ignore_errors=True)


def _looks_like_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def encode_items(state: ItemState) -> bytes:
    """An item set as a zstd-compressed Arrow IPC stream."""
    table = pa.table(
        {
            "key": _key_array(state.keys),
            "content_hash": pa.array(state.hashes[:, 0]),
            "price_hash": pa.array(state.hashes[:, 1]),
            "stock_hash": pa.array(state.hashes[:, 2]),
            "sent_at": pa.array(state.sent_at.astype(np.int64)),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _key_array(keys: pd.Index) -> pa.Array:
    """Keys as a large_string array, straight from the Arrow-backed index (no Python strings)."""
    arr = pa.array(pd.Index(keys).astype("str").array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def decode_items(data: bytes) -> ItemState:
    table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
    if not table.num_rows:
        return ItemState.empty()
    hashes = np.column_stack([table[c].to_numpy() for c in ("content_hash", "price_hash", "stock_hash")])
    keys = pd.Index(table["key"].to_pandas(types_mapper={pa.large_string(): pd.StringDtype()}.get), dtype="str")
    return ItemState(keys, hashes.astype(np.uint64), table["sent_at"].to_numpy().astype(np.int64))


def _from_rows(rows: list[tuple]) -> ItemState:
    if not rows:
        return ItemState.empty()
    keys, h1, h2, h3, sent = zip(*rows, strict=True)
    hashes = np.column_stack([np.array(h, dtype=np.int64) for h in (h1, h2, h3)]).view(np.uint64)
    return ItemState(pd.Index(keys, dtype="str"), hashes, np.array(sent, dtype=np.int64))


# -- item keys, hashes and snapshots ------------------------------------------------------

SEP = pa.scalar("\x1f", pa.large_string())
NULL = "\x00"  # a missing value hashes differently from an empty one


def text_table(frame: pd.DataFrame, key: pd.Series) -> pa.Table:
    """The items of a channel frame as text columns, `key` first and the source row left out:
    what the hashes cover and what snapshots store."""
    cols = {"key": _text(key)}
    for c in frame.columns:
        if c != ROW:
            cols[c] = _text(frame[c])
    return pa.table(cols)


def _text(s: pd.Series) -> pa.Array:
    if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
        return arrow(s)
    return pc.cast(pa.array(s, from_pandas=True), pa.large_string())


def group_hashes(table: pa.Table, groups: dict[str, tuple[str, ...]]) -> np.ndarray:
    """n x 3 uint64: one digest per row for the content, price and stock columns.

    Each group's columns are joined per row (pyarrow) and digested (XXH3, 64 bits: five times
    faster than SHA-1 here, and this loop holds the GIL).
    Price and stock groups have few distinct values per batch, so only distinct rows are
    digested; the content group is digested row by row (measured in benchmarks/RESULTS.md).
    """
    names = [c for c in table.column_names if c != "key"]
    price = [c for c in groups.get("price", ()) if c in names]
    stock = [c for c in groups.get("stock", ()) if c in names]
    content = [c for c in names if c not in price and c not in stock]
    out = np.empty((table.num_rows, 3), dtype=np.uint64)
    for i, (cols, distinct) in enumerate(((content, False), (price, True), (stock, True))):
        out[:, i] = _digest([table.column(c) for c in cols], table.num_rows, distinct=distinct)
    return out


def _digest(arrays: list[Any], n: int, *, distinct: bool) -> np.ndarray:
    if not arrays or n == 0:
        return np.zeros(n, dtype=np.uint64)
    joined = pc.binary_join_element_wise(*arrays, SEP, null_handling="replace", null_replacement=NULL)
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    if distinct:
        enc = pc.dictionary_encode(joined)
        digests = digest_each(enc.dictionary)
        return digests[enc.indices.to_numpy(zero_copy_only=False)]
    return digest_each(joined)


def digest_each(a: pa.Array) -> np.ndarray:
    a = a.cast(pa.large_string())
    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets = np.frombuffer(a.buffers()[1], dtype=np.int64)[a.offset : a.offset + n + 1].tolist()
    data = a.buffers()[2]
    view = memoryview(data) if data is not None else memoryview(b"")
    digest = xxhash.xxh3_64_intdigest
    return np.fromiter(
        [digest(view[start:end]) for start, end in zip(offsets[:-1], offsets[1:], strict=True)],
        dtype=np.uint64,
        count=n,
    )


class SnapshotWriter:
    """Streams a feed's items (text_table batches) into a temporary Parquet file beside its
    final path; `commit()` renames it into place."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self._schema = table.schema
            # measured: dictionaries cost 40% more time and save nothing; statistics of every
            # text column cost 15% (only `key` is ever filtered on)
            self._writer = pq.ParquetWriter(
                self.tmp,
                table.schema,
                compression="zstd",
                compression_level=1,
                use_dictionary=False,
                write_statistics=["key"],
            )
        assert self._schema is not None
        if table.schema != self._schema:
            table = table.select(self._schema.names).cast(self._schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def finish(self) -> bool:
        if self._writer is None:
            return False
        self._writer.close()
        with open(self.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        return True

    def commit(self) -> Path | None:
        if self._writer is None:
            return None
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        if self._writer is not None:
            with suppress(Exception):  # already failing; the file is removed below
                self._writer.close()
        self.tmp.unlink(missing_ok=True)
        with suppress(OSError):
            self.final.parent.rmdir()


def read_snapshot(path: Path | None, keys: list[str] | None = None) -> pd.DataFrame | None:
    """A feed snapshot as text columns indexed by key (only `keys`, when given)."""
    if path is None or not path.exists():
        return None
    try:
        if keys is not None:
            import pyarrow.dataset as ds

            table = ds.dataset(path, format="parquet").to_table(filter=pc.field("key").isin(pa.array(keys)))
        else:
            table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise StateError(
            f"snapshot {path} cannot be read: {e}",
            hint="delete that snapshot file; diffs and tombstones then fall back to item ids only",
        ) from None
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype()}.get)
    return frame.set_index("key")
