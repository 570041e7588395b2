"""The publish gate: an empty feed, a fall in item count and a rise in errors keep the
published feeds untouched (exit 4) unless forced, and the report says which gate fired."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import NOW
from nightly import day, set_catalog, shop, snapshot_files
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app
from feedsync.cli.exit_codes import ExitCode
from feedsync.config import load_config
from feedsync.errors import ConfigError
from feedsync.gate import ChannelCounts, evaluate

BAD_GTIN = {"gtin": "4006381333932"}  # wrong check digit: an error on every channel


def _skus(n: int, bad: int = 0) -> dict[str, dict]:
    """n products, the last `bad` of them with an error (the first three have store stock)."""
    return {f"SKU{i:03d}": (BAD_GTIN if i >= n - bad else {}) for i in range(n)}


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_item_drop_over_the_limit_is_refused_and_changes_nothing(tmp_path):
    cfg = shop(tmp_path / "shop", _skus(10))
    out = tmp_path / "out"
    assert _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-23").exit_code == 0
    before = snapshot_files(out)
    set_catalog(cfg, _skus(7))  # 30% fewer products
    result = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "-f", "json")
    assert result.exit_code == ExitCode.GATE
    report = json.loads(result.stdout)
    fired = {(c["gate"], c["channel"]): c for c in report["gate"]["fired"]}
    assert set(fired) == {("item-drop", "google"), ("item-drop", "meta"), ("item-drop", "amazon")}
    drop = fired[("item-drop", "meta")]
    assert (drop["previous"], drop["current"], drop["value"], drop["limit"]) == (10, 7, 0.3, 0.2)
    assert "meta dropped 30% (10 -> 7 items; limit 20%)" in drop["message"]
    assert report["gate"]["published"] is False
    assert "feedsync: REFUSED" in result.stderr and "nothing published" in result.stderr
    assert snapshot_files(out) == before  # feeds, manifest and report.json untouched
    assert not [p for p in out.rglob(".*.tmp")]  # no temporary files left behind
    status = sqlite3.connect(cfg.parent / ".feedsync" / "state.db").execute("SELECT status FROM runs").fetchall()
    assert status == [("published",), ("refused",)]

    # a smaller fall passes, compared with the last *published* run (10 items)
    set_catalog(cfg, _skus(9))
    assert _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-25").exit_code == 0
    assert len(json.loads((out / "manifest.json").read_bytes())["feeds"]) == 5


def test_max_drop_per_channel_and_globally(tmp_path):
    extra = "\n[gate]\nmax_drop = 0.5\n"
    cfg = shop(tmp_path / "shop", _skus(20), extra=extra)
    text = cfg.read_text().replace("[channels.meta]\n", "[channels.meta]\nmax_drop = 0.1\n")
    cfg.write_text(text)
    assert load_config(cfg).channels["meta"].max_drop == 0.1
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    set_catalog(cfg, _skus(17))  # 15%: above meta's 10%, below the global 50%
    result = feedsync.build(cfg, tmp_path / "out", now=day(1))
    assert result.refused
    assert [(c.gate, c.channel) for c in result.gate.fired] == [("item-drop", "meta")]


def test_empty_feed_is_refused_even_on_the_first_run(tmp_path):
    cfg = shop(tmp_path / "shop", _skus(3, bad=3), stock={})
    out = tmp_path / "out"
    result = feedsync.build(cfg, out, now=NOW)
    assert result.refused
    assert {(c.gate, c.channel) for c in result.gate.fired} == {
        ("empty-feed", "google"),
        ("empty-feed", "meta"),
        ("empty-feed", "amazon"),
        ("empty-feed", "google_local"),
    }
    assert not (out / "manifest.json").exists() and not list(out.rglob("*.xml"))


def test_google_local_without_store_stock_is_not_an_empty_feed(tmp_path):
    cfg = shop(tmp_path / "shop", _skus(3), stock={})
    cfg.write_text(cfg.read_text().replace('stores = ["store-1"]\n', ""))
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.published
    assert not [c for c in result.gate.checks if c.channel == "google_local"]


def test_error_rate_rise_is_refused_known_debt_is_not(tmp_path):
    cfg = shop(tmp_path / "shop", _skus(20))
    out = tmp_path / "out"
    assert feedsync.build(cfg, out, now=NOW).published  # 0% errors
    set_catalog(cfg, _skus(20, bad=4))  # 20% of products now fail; items fall 20% (at the drop limit)
    refused = feedsync.build(cfg, out, now=day(1))
    assert refused.refused
    rate = next(c for c in refused.gate.fired if c.gate == "error-rate" and c.channel == "meta")
    assert (rate.value, rate.limit) == (0.2, 0.05)
    assert "20% of products excluded for errors (4 of 20; limit 5%; last published run 0%)" in rate.message

    forced = feedsync.build(cfg, out, now=day(1), force=True)
    assert forced.published and forced.gate.forced and forced.gate.fired
    assert forced.report.to_dict()["gate"]["forced"] is True
    db = sqlite3.connect(cfg.parent / ".feedsync" / "state.db")
    assert db.execute("SELECT status, forced FROM runs ORDER BY seq").fetchall() == [
        ("published", 0),
        ("refused", 0),
        ("published", 1),
    ]
    # the same debt the next night is not a rise: published
    assert feedsync.build(cfg, out, now=day(2)).published
    # more errors than at the last published run, above the limit: refused
    set_catalog(cfg, _skus(20, bad=5))
    worse = feedsync.build(cfg, out, now=day(3))
    assert [c.gate for c in worse.gate.fired if c.channel == "meta"] == ["error-rate"]


def test_forced_build_prints_forced_summary(tmp_path):
    cfg = shop(tmp_path / "shop", _skus(10))
    out = tmp_path / "out"
    _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-23")
    set_catalog(cfg, _skus(5))
    result = _cli("build", "-c", cfg, "-o", out, "--now", "2026-11-24", "--force", "-q")
    assert result.exit_code == ExitCode.OK
    assert "FORCED" in result.stderr and "published anyway" in result.stderr
    assert json.loads((out / "manifest.json").read_bytes())["feeds"][0]["items"] == 5


def test_gate_uses_per_channel_thresholds_and_reports_numbers(tmp_path):
    cfg = shop(tmp_path / "shop", 2)
    config = load_config(cfg)
    counts = [
        ChannelCounts("google", items=80, previous=100, products=100, excluded=20, previous_rate=0.01),
        ChannelCounts("meta", items=100, previous=100, products=100, excluded=2, previous_rate=0.0),
    ]
    result = evaluate(config, counts)
    assert [(c.gate, c.channel, c.passed) for c in result.checks] == [
        ("empty-feed", "google", True),
        ("item-drop", "google", True),  # exactly 20% is allowed
        ("error-rate", "google", False),
        ("empty-feed", "meta", True),
        ("item-drop", "meta", True),
        ("error-rate", "meta", True),
    ]
    assert result.refused and not evaluate(config, counts, forced=True).refused


@pytest.mark.parametrize(
    ("table", "value", "message"),
    [
        ("gate", "1.5", "a fraction between 0 and 1"),
        ("gate", "true", "a fraction between 0 and 1"),
        ("gate", '"20%"', "a fraction between 0 and 1"),
        ("channels.meta", "-0.1", "a fraction between 0 and 1"),
    ],
)
def test_gate_config_is_validated(tmp_path, table, value, message):
    cfg = shop(tmp_path / "shop", 1)
    text = cfg.read_text()
    if table == "gate":
        text += f"\n[gate]\nmax_drop = {value}\n"
    else:
        text = text.replace("[channels.meta]\n", f"[channels.meta]\nmax_error_rate = {value}\n")
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)


def test_unknown_gate_state_and_delta_keys_are_errors(tmp_path):
    for table, key in (("gate", "max_dorp"), ("state", "file"), ("delta", "resend")):
        cfg = shop(tmp_path / table, 1, extra=f"\n[{table}]\n{key} = 1\n")
        with pytest.raises(ConfigError, match=f"unknown key '{key}'"):
            load_config(cfg)


def test_market_feeds_are_gated_one_by_one_with_their_channels_limits(tmp_path):
    """Two Google markets are two feeds in the history and the gate (google/US, google/FR),
    each held to [channels.google]'s max_drop."""
    cfg = shop(tmp_path / "shop", _skus(20), extra="\n[gate]\nmax_drop = 0.5\n")
    markets = (
        '\n[[channels.google.markets]]\nfeed_label = "US"\n'
        '[[channels.google.markets]]\nfeed_label = "CA"\ncountry = "CA"\n'
    )
    cfg.write_text(cfg.read_text().replace("[channels.google]\n", "[channels.google]\nmax_drop = 0.1\n") + markets)
    first = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert first.published and set(first.changes) >= {"google/US", "google/CA"}
    assert (tmp_path / "out" / "google" / "CA" / "products.xml").exists()
    set_catalog(cfg, _skus(17))  # 15%: above google's 10%, below the global 50%
    result = feedsync.build(cfg, tmp_path / "out", now=day(1))
    assert result.refused
    assert sorted(c.channel for c in result.gate.fired) == ["google/CA", "google/US"]
    assert {c.previous for c in result.gate.fired} == {20}
