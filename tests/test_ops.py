"""Operations: `--log-format json` (one JSON object per line on stderr: run id, stage, counts,
durations), the one-line summary for cron mail, `--quiet`, `feedsync history`."""

from __future__ import annotations

import json

from nightly import set_catalog, shop
from typer.testing import CliRunner

from feedsync.cli.app import app
from feedsync.cli.exit_codes import ExitCode


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_json_log_lines_cover_every_stage_of_one_run(tmp_path):
    cfg = shop(tmp_path / "shop", 6)
    result = _cli("build", "-c", cfg, "-o", tmp_path / "out", "--now", "2026-11-23", "--log-format", "json", "-q")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stderr.splitlines()]  # every stderr line is JSON
    assert len({e["run"] for e in events}) == 1
    stages = [e["stage"] for e in events]
    for stage in ("lock", "read", "normalise", "channel", "write", "gate", "commit", "record", "summary"):
        assert stage in stages, stage
    assert stages.index("write") < stages.index("gate") < stages.index("commit") < stages.index("record")
    read = next(e for e in events if e["stage"] == "read")
    assert read["rows"] == 6 and read["seconds"] >= 0 and "cpu_seconds" in read
    channels = {e["channel"]: e for e in events if e["stage"] == "channel"}
    assert channels["meta"]["items"] == 6 and channels["meta"]["added"] == 6
    summary = events[-1]
    assert summary["stage"] == "summary" and summary["status"] == "ok" and summary["exit_code"] == 0
    assert summary["line"].startswith("feedsync: ok google 6 items, google_local 3, meta 6, amazon 6;")
    assert all(e["ts"].endswith("Z") for e in events)


def test_summary_line_for_cron(tmp_path):
    cfg = shop(tmp_path / "shop", 10)
    out = tmp_path / "out"
    ok = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-23")
    assert ok.stderr.strip().splitlines()[-1] == (
        "feedsync: ok google 10 items, google_local 3, meta 10, amazon 10; 0 excluded; 0 errors"
    )
    quiet = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""  # nothing to mail

    set_catalog(cfg, {f"SKU{i:03d}": {} for i in range(6)})
    refused = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-25", "-q", "--channel", "meta")
    assert refused.exit_code == ExitCode.GATE
    assert refused.stderr.strip().splitlines()[-1] == (
        "feedsync: REFUSED meta dropped 40% (10 -> 6 items; limit 20%); nothing published"
    )


def test_delta_summary_and_history_command(tmp_path):
    cfg = shop(tmp_path / "shop", 10)
    out = tmp_path / "out"
    _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-23")
    set_catalog(cfg, {f"SKU{i:03d}": ({"price": "9.00"} if i == 0 else {}) for i in range(10)})
    delta = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "--delta")
    assert delta.exit_code == 0, delta.output
    line = delta.stderr.strip().splitlines()[-1]
    assert line.startswith("feedsync: ok delta google 1 changed (delta of 10)")
    assert "amazon 1 messages (delta of 10)" in line
    assert "delta: 1 PATCH" in delta.stdout
    history = _cli("history", "-c", cfg, "-o", out)
    rows = history.stdout.splitlines()
    assert rows[0].startswith("2026-11-24T00:00:00Z") and "delta" in rows[0] and "PUBLISHED" in rows[0]
    assert "amazon 10 (+0 -0 ~1)" in rows[0]
    js = json.loads(_cli("history", "-c", cfg, "-o", out, "-f", "json").stdout)
    assert [r["mode"] for r in js] == ["delta", "full"]


def test_errors_are_json_too(tmp_path):
    result = _cli("build", "-c", tmp_path / "missing.toml", "-o", tmp_path / "out", "--log-format", "json")
    assert result.exit_code == 3
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[0]["stage"] == "error" and "config file not found" in events[0]["error"]
    assert events[-1]["stage"] == "summary" and events[-1]["status"] == "error"
