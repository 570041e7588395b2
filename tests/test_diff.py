"""`feedsync diff`: added, removed and changed items per channel with old and new values,
against the last published run, between two build folders, or between two catalogs."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import NOW
from nightly import day, set_catalog, shop
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app
from feedsync.diff import diff_frames

CATALOG = {"A": {}, "B": {"price": "12.00"}, "C": {}, "D": {}}
EDITED = {"A": {"title": "Organic Plain Tee"}, "B": {"price": "11.00"}, "C": {}, "E": {}}


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_diff_against_the_last_published_run(tmp_path):
    cfg = shop(tmp_path / "shop", CATALOG)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, EDITED)
    result = feedsync.diff(cfg, out, now=NOW)
    meta = result.channels["meta"]
    assert (meta.added, meta.removed) == (["E"], ["D"])
    changed = {c["key"]: c["fields"] for c in meta.changed}
    assert changed == {
        "A": {"title": {"old": "Plain Tee", "new": "Organic Plain Tee"}},
        "B": {"price": {"old": "12.00 USD", "new": "11.00 USD"}},
    }
    amazon = {c["key"]: c["fields"] for c in result.channels["amazon"].changed}
    assert amazon["B"] == {"our_price": {"old": "12", "new": "11"}}
    local = result.channels["google_local"]  # keyed by store and SKU
    assert {c["key"] for c in local.changed} == {"store-1\x1fB"}
    assert local.to_dict()["changed"][0]["id"] == "B @ store-1"
    assert "last published run" in result.old and "catalog of" in result.new
    # nothing was built or recorded by the diff
    assert [r["status"] for r in feedsync.history(cfg, out)] == ["published"]


def test_cli_diff_json_is_the_library_result_and_text_lists_changes(tmp_path):
    cfg = shop(tmp_path / "shop", CATALOG)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, EDITED)
    js = _cli("diff", "-c", cfg, "-o", out, "--now", "2026-11-23", "-f", "json", "--channel", "meta")
    assert js.exit_code == 0, js.output
    assert json.loads(js.stdout) == feedsync.diff(cfg, out, now=NOW, channels=["meta"]).to_dict()
    doc = json.loads(js.stdout)["channels"]["meta"]
    assert doc["counts"] == {"added": 1, "removed": 1, "changed": 2}
    assert doc["changed_fields"] == {"price": 1, "title": 1}
    text = _cli("diff", "-c", cfg, "-o", out, "--now", "2026-11-23", "--channel", "meta")
    assert "meta: 4 -> 4 items: +1 added, -1 removed, ~2 changed" in text.stdout
    assert "price: '12.00 USD' -> '11.00 USD'" in text.stdout
    assert "+ E" in text.stdout and "- D" in text.stdout


def test_diff_between_two_build_folders(tmp_path):
    cfg = shop(tmp_path / "shop", CATALOG)
    feedsync.build(cfg, tmp_path / "monday", now=NOW)
    set_catalog(cfg, EDITED)
    feedsync.build(cfg, tmp_path / "tuesday", now=day(1))
    result = feedsync.diff(cfg, tmp_path / "x", old=tmp_path / "monday", new=tmp_path / "tuesday")
    google = result.channels["google"]  # read back from the TSV feed
    assert (google.added, google.removed) == (["E"], ["D"])
    assert {c["key"]: c["fields"] for c in google.changed}["B"] == {"price": {"old": "12.00 USD", "new": "11.00 USD"}}
    amazon = {c["key"]: c["fields"] for c in result.channels["amazon"].changed}  # from the JSON documents
    assert set(amazon["B"]) == {"purchasable_offer"}
    assert json.loads(amazon["B"]["purchasable_offer"]["new"])[0]["our_price"][0]["schedule"][0]["value_with_tax"] == 11
    assert "build in" in result.old


def test_diff_between_two_catalogs(tmp_path):
    old = shop(tmp_path / "old", CATALOG)
    new = shop(tmp_path / "new", EDITED)
    result = _cli("diff", "-c", new, "--old", old, "--now", "2026-11-23", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["channels"]["google"]["counts"] == {"added": 1, "removed": 1, "changed": 2}
    assert doc["old"].startswith("catalog of") and doc["new"].startswith("catalog of")


def test_diff_without_history_is_a_clear_error(tmp_path):
    cfg = shop(tmp_path / "shop", CATALOG)
    result = _cli("diff", "-c", cfg, "-o", tmp_path / "out")
    assert result.exit_code == 3
    assert "no run history" in result.stderr and "feedsync build" in result.stderr


def test_pruned_snapshot_falls_back_to_ids(tmp_path):
    cfg = shop(tmp_path / "shop", CATALOG)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    shutil.rmtree(cfg.parent / ".feedsync" / "snapshots")
    set_catalog(cfg, EDITED)
    meta = feedsync.diff(cfg, out, now=NOW).channels["meta"]
    assert (meta.added, meta.removed, meta.changed, meta.fields_known) == (["E"], ["D"], [], False)


def test_diff_frames_treats_missing_values_alike():
    import pandas as pd

    old = pd.DataFrame({"a": ["1", None, "x"], "b": [None, None, "y"]}, index=["K1", "K2", "K3"], dtype="str")
    new = pd.DataFrame({"a": ["1", None, "x"], "b": [None, "v", "y"]}, index=["K1", "K2", "K3"], dtype="str")
    d = diff_frames("t", old, new)
    assert d.changed == [{"key": "K2", "fields": {"b": {"old": None, "new": "v"}}}]


def _whole_frame_diff(config, out):
    """The comparison of every item of both sides, as diff() made it before streaming."""
    from feedsync.diff import catalog_frames, published_frames

    _, old = published_frames(config, out, None)
    _, new = catalog_frames(config, None, NOW)
    empty = next(iter(new.values())).iloc[:0]
    return {k: diff_frames(k, old.get(k, empty), new.get(k, empty)).to_dict() for k in dict.fromkeys([*new, *old])}


MARKETS = """
[[channels.google.markets]]
feed_label = "US"
country = "US"

[[channels.google.markets]]
feed_label = "CA"
country = "CA"
id_suffix = "-CA"
"""


@pytest.mark.parametrize("extra", ["", MARKETS], ids=["one market", "two google markets"])
def test_the_streamed_diff_equals_the_whole_frame_comparison(tmp_path, extra):
    from feedsync.diff import diff_last_with_catalog

    before = {f"S{i:02d}": {"price": f"{10 + i}.00"} for i in range(12)}
    after = {k: dict(v) for k, v in before.items() if k not in ("S03", "S07")}  # two removed
    after["S01"]["title"] = "Renamed Tee"  # content
    after["S02"]["price"] = "99.00"  # price only
    after["S05"]["quantity"] = "0"  # stock only
    after["S20"] = {}  # added
    cfg = shop(tmp_path / "shop", before, extra=extra)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, after)
    config = feedsync.load_config(cfg)
    streamed = diff_last_with_catalog(config, out, None, NOW)
    assert streamed is not None  # the history keeps item sets: the streamed comparison ran
    got = {k: v.to_dict() for k, v in streamed.channels.items()}
    assert got == _whole_frame_diff(config, out)
    google = got["google/CA" if extra else "google"]
    assert google["counts"] == {"added": 1, "removed": 2, "changed": 3}
    assert set(google["changed_fields"]) >= {"title", "price", "availability"}


def test_the_streamed_diff_falls_back_without_an_item_set(tmp_path, monkeypatch):
    """A history whose last run kept no item set (an older history) is compared whole."""
    from feedsync.diff import diff_last_with_catalog
    from feedsync.state import StateStore

    cfg = shop(tmp_path / "shop", CATALOG)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, EDITED)
    monkeypatch.setattr(StateStore, "published_items", lambda self, target, feed: None)
    assert diff_last_with_catalog(feedsync.load_config(cfg), out, None, NOW) is None
    meta = feedsync.diff(cfg, out, now=NOW).channels["meta"]
    assert (meta.added, meta.removed, len(meta.changed)) == (["E"], ["D"], 2)
