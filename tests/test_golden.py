"""Golden files: the core project's feeds, byte for byte, for every (channel, format).

The core catalog (tests/data/core/) holds a variant family, a sale inside its window, a sale
that ended, a sale that starts later, a preorder, store stock, per-channel prices and two
products with errors. After a deliberate change to the output, regenerate and review:

    .venv/bin/pytest tests/test_golden.py --update-golden && git diff tests/golden/
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from conftest import CORE, FEEDS, GOLDEN, NOW, check_feed, conformance_errors

import feedsync

# Items each golden feed must hold: 9 catalog rows, 1 variant parent (never an item on
# Google or Meta; Amazon's family parent), 2 products excluded for errors.
EXPECTED_ITEMS = {
    ("google", "xml"): 6,
    ("google", "tsv"): 6,
    ("google_local", "tsv"): 3,  # TEE-S at store-1, LAMP at store-1 and store-2
    ("meta", "csv"): 6,
    ("meta", "xml"): 6,
    ("amazon", "json"): 7,  # the 6 sellable products + the TEE parent
}


def _diff(expected: bytes, actual: bytes, name: str) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        actual.decode("utf-8", "replace").splitlines(),
        f"golden/{name}",
        f"build/{name}",
        lineterm="",
        n=1,
    )
    return "\n".join(list(lines)[:60])


@pytest.mark.parametrize("key", list(FEEDS), ids=[f"{c}-{f}" for c, f in FEEDS])
def test_feed_matches_golden(key, core_build, update_golden):
    rel, _ = FEEDS[key]
    built = (core_build.out_dir / rel).read_bytes()
    golden = GOLDEN / rel
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(built)
        pytest.skip(f"rewrote {golden.relative_to(GOLDEN.parent.parent)}")
    assert golden.exists(), f"no golden file {golden}; run pytest --update-golden and review it"
    expected = golden.read_bytes()
    assert built == expected, "feed differs from its golden file:\n" + _diff(expected, built, rel)


@pytest.mark.parametrize("key", list(FEEDS), ids=[f"{c}-{f}" for c, f in FEEDS])
def test_golden_feed_passes_conformance(key, checker):
    rel, kind = FEEDS[key]
    path = GOLDEN / rel
    if not path.exists():
        pytest.skip("golden file not generated yet")
    findings = check_feed(checker, kind, path)
    assert findings.errors == []
    assert findings.items == EXPECTED_ITEMS[key]


def test_build_writes_exactly_the_golden_feeds(core_build, checker):
    listed = {(f["channel"], f["format"]): f for f in core_build.manifest["feeds"]}
    assert set(listed) == set(FEEDS)
    for key, (rel, _) in FEEDS.items():
        assert listed[key]["path"] == rel
        assert listed[key]["items"] == EXPECTED_ITEMS[key]
    assert core_build.manifest["generated_at"] == "2026-11-23T00:00:00Z"
    assert core_build.manifest["excluded"] == 2  # BAD-GTIN and BAD-PRICE
    assert conformance_errors(checker, core_build.out_dir / "manifest.json") == []


def test_manifest_hashes_describe_the_files(core_build):
    import hashlib

    for f in core_build.manifest["feeds"]:
        data = (core_build.out_dir / f["path"]).read_bytes()
        assert f["bytes"] == len(data)
        assert f["sha256"] == hashlib.sha256(data).hexdigest()


def test_two_builds_give_identical_bytes(tmp_path):
    first = feedsync.build(CORE / "feedsync.toml", tmp_path / "a", now=NOW)
    second = feedsync.build(CORE / "feedsync.toml", tmp_path / "b", now=NOW)
    assert first.manifest == second.manifest
    for name in ("manifest.json", "report.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert [f["sha256"] for f in first.manifest["feeds"]] == [f["sha256"] for f in second.manifest["feeds"]]


def test_batch_size_does_not_change_the_output(core_project, tmp_path, core_build):
    """Rows are processed in batches; a batch boundary inside a variant family changes nothing."""
    text = core_project.read_text(encoding="utf-8")
    core_project.write_text(text + "\n[output]\nbatch_size = 2\n", encoding="utf-8")
    small = feedsync.build(core_project, tmp_path / "out", now=NOW)
    assert [(f["path"], f["sha256"]) for f in small.manifest["feeds"]] == [
        (f["path"], f["sha256"]) for f in core_build.manifest["feeds"]
    ]
    ours = json.loads((tmp_path / "out" / "report.json").read_bytes())
    reference = json.loads((core_build.out_dir / "report.json").read_bytes())
    assert ours["summary"] == reference["summary"]
    for doc in (ours, reference):  # ties among the top codes may come in another order
        for summary in doc["channels"].values():
            summary["top_codes"] = {c["code"]: c["count"] for c in summary["top_codes"]}
    assert ours["channels"] == reference["channels"]
    key = lambda i: (i["channel"], i["row"], i["code"], i["field"])  # noqa: E731
    assert sorted(ours["issues"], key=key) == sorted(reference["issues"], key=key)


def test_the_clock_decides_which_sales_are_sent(tmp_path):
    """The golden files depend on `now`: on 2 December MUG's sale runs and TEE-S's has ended."""
    later = feedsync.build(CORE / "feedsync.toml", tmp_path / "out", now=NOW.replace(month=12, day=2))
    xml = (tmp_path / "out" / "google" / "products.xml").read_text(encoding="utf-8")
    assert xml != (GOLDEN / "google" / "products.xml").read_text(encoding="utf-8")
    ended = {i.sku for i in later.report.issue_list() if i.code == "sale-ended" and i.channel == "google"}
    assert ended == {"TEE-S", "TEE-M"}
    assert "<g:sale_price>9.99 USD</g:sale_price>" in xml
    assert "<g:sale_price>15.00 USD</g:sale_price>" not in xml


def test_golden_folder_has_no_stray_files():
    expected = {Path(rel) for rel, _ in FEEDS.values()}
    present = {p.relative_to(GOLDEN) for p in GOLDEN.rglob("*") if p.is_file()}
    if not present:
        pytest.skip("golden files not generated yet")
    assert present == expected
