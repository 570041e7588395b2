"""One build per output folder: a second build waits or exits 3 with a clear message; a lock
left by a dead build is taken over; a read-only output folder is exit 3 and changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time

import pytest
from conftest import NOW, ROOT
from nightly import day, feedsync_process, set_catalog, shop, snapshot_files

import feedsync
from feedsync.errors import OutputError
from feedsync.lock import LOCK_NAME, LockError, OutputLock


def test_second_lock_on_the_same_folder_fails_with_the_holder(tmp_path):
    with OutputLock(tmp_path / "out"):
        holder = json.loads((tmp_path / "out" / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid() and holder["state"] == "building"
        with pytest.raises(LockError) as e:
            OutputLock(tmp_path / "out").acquire()
        assert f"pid {os.getpid()}" in e.value.message and str(tmp_path / "out") in e.value.message
        assert "--wait" in (e.value.hint or "")
        started = time.monotonic()
        with pytest.raises(LockError):
            OutputLock(tmp_path / "out", wait=0.5).acquire()
        assert time.monotonic() - started >= 0.5
    assert not (tmp_path / "out" / LOCK_NAME).exists()  # released and removed
    with OutputLock(tmp_path / "out"):  # free again
        pass


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    cfg = shop(tmp_path / "shop", 3)
    out = tmp_path / "out"
    out.mkdir()
    record = {"pid": dead.pid, "host": os.uname().nodename, "state": "building", "since": "2026-11-22T03:00:00Z"}
    (out / LOCK_NAME).write_text(json.dumps(record))
    events: list[dict] = []
    result = feedsync.build(cfg, out, now=NOW, log=events.append)
    assert result.published
    assert result.lock_taken_over["pid"] == dead.pid
    assert next(e for e in events if e["stage"] == "lock")["taken_over"]["pid"] == dead.pid
    assert not (out / LOCK_NAME).exists()


def test_concurrent_builds_wait_or_refuse(tmp_path):
    cfg = shop(tmp_path / "shop", 5)
    out = tmp_path / "out"
    marker = tmp_path / "paused"
    first = feedsync_process(
        "build", "-c", cfg, "-o", out, "--now", "2026-11-23", "-q",
        env={"FEEDSYNC_PAUSE_AT": "finished", "FEEDSYNC_PAUSE_FILE": str(marker), "FEEDSYNC_PAUSE_SECONDS": "4"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), first.stderr.read() if first.poll() is not None else "first build did not pause"
        refused = feedsync_process("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "-q")
        _, err = refused.communicate(timeout=120)
        assert refused.returncode == 3
        assert f"another build is writing to {out}" in err and f"pid {first.pid}" in err
        waited = feedsync_process("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "-q", "--wait", "120")
        _, err = waited.communicate(timeout=240)
        assert waited.returncode == 0, err
        assert first.wait(timeout=120) == 0
    finally:
        first.kill()
    runs = feedsync.history(cfg, out)
    assert [r["run_clock"] for r in runs] == ["2026-11-24T00:00:00Z", "2026-11-23T00:00:00Z"]
    assert all(r["status"] == "published" for r in runs)


def _as_unprivileged() -> list[str]:
    """A command prefix under which permission bits apply: root ignores them unless it drops
    CAP_DAC_OVERRIDE (setpriv); any other user is already bound by them."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: cannot make a folder read-only")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def test_read_only_output_folder_is_exit_3_and_changes_nothing(tmp_path):
    cfg = shop(tmp_path / "shop", 4)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    before = snapshot_files(out)
    set_catalog(cfg, {f"SKU{i:03d}": {"price": "12.00"} for i in range(4)})
    cmd = [*_as_unprivileged(), sys.executable, "-m", "feedsync", "build", "-c", str(cfg), "-o", str(out)]
    writable = {p: stat.S_IMODE(p.stat().st_mode) for p in [out, *out.rglob("*")]}
    try:
        for p, mode in writable.items():
            os.chmod(p, mode & ~0o222)
        proc = subprocess.run([*cmd, "--now", "2026-11-24"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 3, proc.stderr
        assert f"cannot write to {out}" in proc.stderr and "Permission denied" in proc.stderr
        assert snapshot_files(out) == before
        # the folder itself writable, one channel folder read-only: exit 3, nothing replaced, no leftovers
        os.chmod(out, writable[out])
        proc = subprocess.run([*cmd, "--now", "2026-11-24"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 3, proc.stderr
        assert "cannot write to" in proc.stderr and "Permission denied" in proc.stderr
        assert snapshot_files(out) == before
        assert not list(out.rglob(".*.tmp"))
    finally:
        for p, mode in writable.items():
            os.chmod(p, mode)
    assert [r["status"] for r in feedsync.history(cfg, out)] == ["published"]  # failed runs are not recorded


def test_output_error_when_out_is_a_file(tmp_path):
    cfg = shop(tmp_path / "shop", 2)
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write to"):
        feedsync.build(cfg, blocker, now=day(0))
