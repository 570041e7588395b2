"""A build killed (SIGKILL) at any point leaves every published file intact and readable, and
the next build recovers by itself (stale lock taken over, temporary files swept, history
consistent). FEEDSYNC_PAUSE_AT stops the child at a named point so the kill is deterministic."""

from __future__ import annotations

import csv
import json
import signal
import time
from pathlib import Path

import pytest
from conftest import NOW
from lxml import etree
from nightly import feedsync_process, manifest, set_catalog, shop, snapshot_files

import feedsync

STAGES = ["write", "finished", "commit", "record"]


def _readable(out: Path) -> None:
    """Every file the manifest lists parses completely."""
    for f in manifest(out)["feeds"]:
        path = out / f["path"]
        data = path.read_bytes()
        if path.suffix == ".xml":
            etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        elif path.suffix == ".json":
            assert json.loads(data)["messages"]
        else:
            rows = list(csv.reader(data.decode("utf-8").splitlines(), delimiter="\t" if path.suffix == ".tsv" else ","))
            assert len(rows) > 1 and len({len(r) for r in rows}) == 1
    json.loads((out / "report.json").read_bytes())


def _kill_at(stage: str, cfg: Path, out: Path, tmp_path: Path, *extra: str) -> None:
    marker = tmp_path / f"paused-{stage}"
    proc = feedsync_process(
        "build", "-c", cfg, "-o", out, "--now", "2026-11-24", "-q", *extra,
        env={"FEEDSYNC_PAUSE_AT": stage, "FEEDSYNC_PAUSE_FILE": str(marker)},
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the build never reached {stage}: {proc.communicate()[1][-2000:]}")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("stage", STAGES)
def test_kill_at_any_point_leaves_published_feeds_intact(stage, tmp_path):
    cfg = shop(tmp_path / "shop", 40)
    out = tmp_path / "out"
    assert feedsync.build(cfg, out, now=NOW).published
    before = snapshot_files(out)
    old_manifest = manifest(out)
    set_catalog(cfg, {f"SKU{i:03d}": {"price": "11.00", "title": "Renamed Tee"} for i in range(40)})

    _kill_at(stage, cfg, out, tmp_path)

    after = snapshot_files(out)
    assert set(after) == set(before)  # no file lost, no partial file under a published name
    _readable(out)
    if stage in ("write", "finished"):
        assert after == before  # nothing was renamed yet
        assert list(out.rglob(".*.tmp"))  # the killed build's temporary files are still there ...
    elif stage == "commit":
        changed = [p for p in before if after[p] != before[p]]
        assert changed and len(changed) < len(before)  # killed between two renames: each file old or new
        assert manifest(out) == old_manifest  # the manifest is written last
    else:
        assert manifest(out)["generated_at"] == "2026-11-24T00:00:00Z"  # published, not yet recorded

    # ... and the next build recovers: stale lock taken over, temporaries swept, history consistent
    result = feedsync.build(cfg, out, now=NOW.replace(day=25))
    assert result.published and result.lock_taken_over is not None
    assert not list(out.rglob(".*.tmp"))
    snapshots = cfg.parent / ".feedsync" / "snapshots"
    assert len([d for d in snapshots.glob("*/*") if d.is_dir()]) == 2  # the killed run's snapshots are gone
    assert not list(snapshots.rglob("*.tmp"))
    _readable(out)
    history = feedsync.history(cfg, out)
    assert [r["run_clock"] for r in history] == ["2026-11-25T00:00:00Z", "2026-11-23T00:00:00Z"]
    # the killed run was never recorded, so the change is still measured against the last recorded run
    assert result.changes["amazon"]["changed"] == 40


def test_kill_during_delta_keeps_the_state_and_the_next_delta_resends(tmp_path):
    cfg = shop(tmp_path / "shop", 10)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, {f"SKU{i:03d}": ({"price": "9.00"} if i < 2 else {}) for i in range(10)})
    _kill_at("record", cfg, out, tmp_path, "--delta")
    assert (out / "delta" / "amazon" / "listings-0001.json").exists()  # published before the kill
    again = feedsync.build(cfg, out, now=NOW.replace(day=25), delta=True)
    # the history never learnt of the killed run: the same PATCHes are sent again (idempotent)
    assert again.changes["amazon"]["operations"] == {"PATCH": 2}
