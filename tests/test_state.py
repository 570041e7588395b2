"""The run history: schema, migrations, what a published build records, hashes, snapshots,
and that an unreadable or locked history stops the build with a clear error, never a lost one."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
import xxhash
from conftest import NOW
from nightly import day, set_catalog, shop, snapshot_files
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app
from feedsync.state import SCHEMA_VERSION, StateError, StateStore, group_hashes, read_snapshot, text_table


def _db(cfg):
    return cfg.parent / ".feedsync" / "state.db"


def test_first_build_records_run_feeds_items_and_snapshots(tmp_path):
    cfg = shop(tmp_path / "shop", 5)
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.published is True
    db = sqlite3.connect(_db(cfg))
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (run_id, mode, status, forced, clock) = db.execute(
        "SELECT id, mode, status, forced, run_clock FROM runs"
    ).fetchone()
    assert (run_id, mode, status, forced, clock) == (result.run_id, "full", "published", 0, "2026-11-23T00:00:00Z")
    feeds = dict(db.execute("SELECT feed, items FROM feed_runs").fetchall())
    assert feeds == {"google": 5, "google_local": 3, "meta": 5, "amazon": 5}
    sets = dict(db.execute("SELECT feed, items FROM item_sets").fetchall())
    assert sets == feeds  # one item set per feed, in the same transaction as the run
    with StateStore(_db(cfg)) as store:
        amazon = store.items(1, "amazon")
        local = store.items(1, "google_local")
    assert sorted(amazon.keys) == [f"SKU{i:03d}" for i in range(5)]
    assert sorted(local.keys) == [f"store-1\x1fSKU{i:03d}" for i in range(3)]
    assert amazon.hashes.dtype == np.uint64 and amazon.hashes.shape == (5, 3) and (amazon.hashes != 0).all()
    assert set(amazon.sent_at.tolist()) == {int(NOW.timestamp())}
    manifest = db.execute("SELECT manifest FROM runs").fetchone()[0]
    assert '"google/products.xml"' in manifest
    snap = read_snapshot(StateStore(_db(cfg)).last_published(1, "meta").snapshot)
    assert list(snap.index) == [f"SKU{i:03d}" for i in range(5)]
    assert snap.loc["SKU001", "price"] == "10.00 USD"


def test_hashes_are_xxh3_of_the_joined_fields():
    """The stored hashes outlive the process: they must not depend on the Python build,
    the machine or a hash seed. Each group is XXH3-64 of its fields joined with 0x1f."""
    frame = pd.DataFrame({"_row": [1], "id": ["A"], "title": ["Tee é"], "price": ["1.00 USD"]})
    h = group_hashes(text_table(frame, frame["id"]), {"price": ("price",)})
    assert int(h[0, 0]) == xxhash.xxh3_64_intdigest("A\x1fTee é".encode())
    assert int(h[0, 1]) == xxhash.xxh3_64_intdigest(b"1.00 USD")
    assert int(h[0, 2]) == 0  # no stock fields


def test_hashes_separate_content_price_and_stock():
    frame = pd.DataFrame(
        {
            "_row": [1, 2, 3, 4],
            "id": ["A", "B", "C", "D"],
            "title": ["t", "t", "t", "t2"],
            "price": ["1.00 USD", "2.00 USD", "1.00 USD", "1.00 USD"],
            "availability": ["in_stock", "in_stock", "out_of_stock", "in_stock"],
        }
    )
    groups = {"price": ("price",), "stock": ("availability",)}
    h = group_hashes(text_table(frame, frame["id"]), groups)
    assert h.dtype == np.uint64 and h.shape == (4, 3)
    # A -> B: id differs (content) and price; A -> C: stock only differs ... per group
    assert h[0, 1] != h[1, 1] and h[0, 2] == h[1, 2]
    assert h[0, 1] == h[2, 1] and h[0, 2] != h[2, 2]
    assert h[0, 0] != h[3, 0] and h[0, 1] == h[3, 1] and h[0, 2] == h[3, 2]
    # the source row is not content; a missing value is not an empty one
    moved = frame.assign(_row=[10, 20, 30, 40])
    assert (group_hashes(text_table(moved, moved["id"]), groups) == h).all()
    blank = frame.assign(title=["", "t", "t", "t2"])
    missing = frame.assign(title=[None, "t", "t", "t2"]).astype({"title": "str"})
    assert (
        group_hashes(text_table(blank, blank["id"]), groups)[0, 0]
        != (group_hashes(text_table(missing, missing["id"]), groups)[0, 0])
    )


def test_unchanged_catalog_changes_nothing_and_an_edit_changes_one_group(tmp_path):
    cfg = shop(tmp_path / "shop", {"A": {}, "B": {}, "C": {}})
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    again = feedsync.build(cfg, tmp_path / "out", now=day(1))
    assert {k: (v["added"], v["changed"], v["removed"]) for k, v in again.changes.items()} == {
        "google": (0, 0, 0),
        "google_local": (0, 0, 0),
        "meta": (0, 0, 0),
        "amazon": (0, 0, 0),
    }
    set_catalog(cfg, {"A": {"price": "11.00"}, "B": {"title": "New Tee"}, "C": {}})
    edited = feedsync.build(cfg, tmp_path / "out", now=day(2)).changes["amazon"]
    assert (edited["changed"], edited["price_only"], edited["content"]) == (2, 1, 1)


def test_migrates_an_empty_database_and_refuses_a_newer_one(tmp_path):
    path = tmp_path / "state.db"
    sqlite3.connect(path).close()  # a valid database at version 0
    with StateStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {t for (t,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"targets", "runs", "feed_runs", "item_sets"} <= tables and "items" not in tables
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateError, match="schema version") as e:
        StateStore(path).open()
    assert "upgrade feedsync" in (e.value.hint or "")


def test_version_1_history_is_migrated_with_its_items(tmp_path):
    """Version 1 kept a row per item; version 2 one Arrow blob per run and feed."""
    from feedsync.state import MIGRATIONS

    path = tmp_path / "state.db"
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO targets (id, out_dir, created_at) VALUES (1, '/srv/feeds', '2026-11-01T00:00:00Z')")
    for seq, status in ((1, "published"), (2, "refused")):
        db.execute(
            "INSERT INTO runs (seq, id, target_id, run_clock, started_at, finished_at, mode, status, channels) "
            "VALUES (?, ?, 1, 'c', 's', 'f', 'full', ?, '[]')",
            (seq, f"run{seq}", status),
        )
        db.execute("INSERT INTO feed_runs (run_seq, feed, mode, items) VALUES (?, 'meta', 'full', 2)", (seq,))
    db.executemany("INSERT INTO items VALUES (1, 'meta', ?, ?, ?, ?, ?)", [("A", -1, 2, 3, 100), ("B", 4, 5, -6, 200)])
    db.close()
    with StateStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 2
        state = store.items(1, "meta")
        assert store.db.execute("SELECT run_seq FROM item_sets").fetchall() == [(1,)]  # the last published run
    assert list(state.keys) == ["A", "B"] and state.sent_at.tolist() == [100, 200]
    assert state.hashes.view(np.int64).tolist() == [[-1, 2, 3], [4, 5, -6]]


def test_corrupt_history_stops_the_build_and_is_never_replaced(tmp_path):
    cfg = shop(tmp_path / "shop", 4)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    before = snapshot_files(out)
    db = _db(cfg)
    for extra in db.parent.glob("state.db-*"):  # WAL files of the closed connection
        extra.unlink()
    garbage = b"this is not a database " * 100
    db.write_bytes(garbage)
    set_catalog(cfg, {"X1": {}})
    result = CliRunner().invoke(app, ["build", "-c", str(cfg), "-o", str(out), "--now", "2026-11-24"])
    assert result.exit_code == 3
    assert str(db) in result.output and "damaged" in result.output
    assert "move it aside" in result.output
    assert db.read_bytes() == garbage  # never deleted or recreated
    assert snapshot_files(out) == before  # the published feeds are untouched


def test_damaged_pages_are_found_before_feeds_are_replaced(tmp_path):
    cfg = shop(tmp_path / "shop", 30)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    before = snapshot_files(out)
    db = _db(cfg)
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(db.read_bytes())
    page = 4096
    for offset in range(2 * page, len(raw), page):  # scribble over every page after the schema
        raw[offset + 8 : offset + 200] = b"\xff" * 192
    db.write_bytes(bytes(raw))
    with pytest.raises(StateError) as e:
        feedsync.build(cfg, out, now=day(1))
    assert str(db) in e.value.message
    assert snapshot_files(out) == before


def test_locked_history_is_a_clear_error(tmp_path, monkeypatch):
    cfg = shop(tmp_path / "shop", 3)
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    holder = sqlite3.connect(_db(cfg), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("feedsync.state.BUSY_TIMEOUT", 0.2)
    try:
        with pytest.raises(StateError, match="locked by another process") as e:
            feedsync.build(cfg, tmp_path / "out", now=day(1))
        assert str(_db(cfg)) in e.value.message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert feedsync.build(cfg, tmp_path / "out", now=day(1)).published


def test_state_path_from_config_and_snapshots_pruned(tmp_path):
    cfg = shop(tmp_path / "shop", 3, extra='\n[state]\npath = "history/feeds.db"\nkeep_snapshots = 2\n')
    for n in range(4):
        feedsync.build(cfg, tmp_path / "out", now=day(n))
    db = cfg.parent / "history" / "feeds.db"
    assert db.exists() and not (cfg.parent / ".feedsync").exists()
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 4  # history is never pruned
    kept = con.execute("SELECT count(*) FROM feed_runs WHERE snapshot IS NOT NULL AND feed = 'google'").fetchone()[0]
    assert kept == 2
    assert con.execute("SELECT count(*) FROM item_sets WHERE feed = 'google'").fetchone()[0] == 2
    assert len(list((db.parent / "snapshots").rglob("google.parquet"))) == 2


def test_each_output_folder_has_its_own_history(tmp_path):
    cfg = shop(tmp_path / "shop", 10)
    feedsync.build(cfg, tmp_path / "prod", now=NOW)
    set_catalog(cfg, {"SKU000": {}, "SKU001": {}, "SKU002": {}})  # 70% fewer products
    assert feedsync.build(cfg, tmp_path / "prod", now=NOW).refused
    # but a first build into another folder has nothing to drop from
    staging = feedsync.build(cfg, tmp_path / "staging", now=NOW)
    assert staging.published and staging.changes["google"]["previous"] is None
    history = feedsync.history(cfg, tmp_path / "prod")
    assert [r["status"] for r in history] == ["refused", "published"]
