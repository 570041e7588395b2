"""CI mode: `validate --write-baseline` records the known issues, `validate --baseline` reports
and fails only on new ones; GitHub annotations point at the catalog line of the product."""

from __future__ import annotations

import json

from conftest import HEADER, catalog, product, write_project
from lxml import etree
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app
from feedsync.cli.exit_codes import ExitCode

NOW_ARG = ["--now", "2026-11-23"]
BAD_GTIN = "4006381333932"


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _project(tmp_path, *lines: str):
    return write_project(tmp_path / "shop", catalog(*lines))


def test_baseline_gates_only_new_issues(tmp_path):
    cfg = _project(tmp_path, product("A1"), product("B2", gtin=BAD_GTIN), product("C3", gtin=""))
    baseline = tmp_path / "feedsync-baseline.json"
    written = _cli("validate", "-c", cfg, "--write-baseline", baseline, *NOW_ARG)
    assert written.exit_code == ExitCode.INVALID  # the report itself still fails: known debt is real
    doc = json.loads(baseline.read_bytes())
    assert doc["feedsync_baseline"] == 1
    assert {(e["code"], e["sku"], e["count"]) for e in doc["issues"]} == {
        ("invalid-gtin", "B2", 1),
        ("missing-identifier", "C3", 1),
    }

    known = _cli("validate", "-c", cfg, "--baseline", baseline, "-f", "json", *NOW_ARG)
    assert known.exit_code == ExitCode.OK, known.output
    report = json.loads(known.stdout)
    assert report["issues"] == [] and report["summary"]["errors"] == 0
    assert report["baseline"] == {
        "file": str(baseline),
        "known": 2,
        "new": 0,
        "new_errors": 0,
        "new_warnings": 0,
        "fixed": 0,
    }

    # a product inserted at the top shifts every row: still nothing new
    cfg.parent.joinpath("catalog.csv").write_text(
        catalog(product("Z0"), product("A1"), product("B2", gtin=BAD_GTIN), product("C3", gtin=""))
    )
    assert _cli("validate", "-c", cfg, "--baseline", baseline, *NOW_ARG).exit_code == ExitCode.OK

    # a new mistake fails, and only it is reported; a fixed one is counted
    cfg.parent.joinpath("catalog.csv").write_text(
        catalog(product("A1", price="abc"), product("B2", gtin=BAD_GTIN), product("C3"))
    )
    new = _cli("validate", "-c", cfg, "--baseline", baseline, "-f", "json", *NOW_ARG)
    assert new.exit_code == ExitCode.INVALID
    report = json.loads(new.stdout)
    assert [(i["code"], i["sku"]) for i in report["issues"]] == [("invalid-price", "A1")]
    assert report["baseline"]["fixed"] == 1 and report["baseline"]["new_errors"] == 1
    assert all(c["errors"] == 1 for c in report["channels"].values())


def test_library_baseline_matches_cli(tmp_path):
    cfg = _project(tmp_path, product("A1"), product("B2", gtin=BAD_GTIN))
    path = tmp_path / "b.json"
    feedsync.validate(cfg, write_baseline=path)
    report = feedsync.validate(cfg, baseline=path)
    assert report.errors == 0 and report.baseline["known"] == 1  # the invalid GTIN (only Google is enabled)
    cli = _cli("validate", "-c", cfg, "--baseline", path, "-f", "json")
    assert json.loads(cli.stdout)["baseline"] == report.baseline


def test_baseline_counts_repeated_issues(tmp_path):
    """Two products without an id share a fingerprint: a third one is new."""
    no_id = ",".join(["", "T", "D", "https://x.example/p", "https://x.example/i.jpg", "Acme", "", "1.00", "1"])
    cfg = _project(tmp_path, product("A1"), no_id, no_id)
    path = tmp_path / "b.json"
    feedsync.validate(cfg, write_baseline=path)
    cfg.parent.joinpath("catalog.csv").write_text(catalog(product("A1"), no_id, no_id, no_id))
    report = feedsync.validate(cfg, baseline=path)
    assert [(i.code, i.row) for i in report.issue_list()] == [("missing-id", 4)]


def test_unreadable_baseline_is_exit_3(tmp_path):
    cfg = _project(tmp_path, product("A1"))
    bad = tmp_path / "b.json"
    bad.write_text("{}")
    result = _cli("validate", "-c", cfg, "--baseline", bad)
    assert result.exit_code == 3 and "not a feedsync baseline" in result.stderr
    missing = _cli("validate", "-c", cfg, "--baseline", tmp_path / "nope.json")
    assert missing.exit_code == 3 and "--write-baseline" in missing.stderr


def test_github_annotations_point_at_the_record_line(tmp_path, monkeypatch):
    """A quoted description spanning three lines moves every later record down two lines."""
    multi = product("A1", description='"first line\nsecond line\nthird line"')
    cfg = _project(tmp_path, multi, product("B2"), product("C3", gtin=BAD_GTIN))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    result = _cli("validate", "-c", cfg, "-f", "github", *NOW_ARG)
    lines = [ln for ln in result.stdout.splitlines() if "invalid-gtin" in ln]
    assert lines and all(ln.startswith("::error file=shop/catalog.csv,line=6,") for ln in lines)
    text = cfg.parent.joinpath("catalog.csv").read_text().splitlines()
    assert text[0] == HEADER and text[5].startswith("C3,")  # line 6 (1-based) is C3's record


def test_github_annotations_beyond_what_github_shows_end_with_a_notice(tmp_path, monkeypatch):
    """GitHub shows 10 annotations of each kind per step: past that, a notice gives the counts."""
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    cfg = _project(tmp_path, *(product(f"G{i:02d}", gtin=BAD_GTIN) for i in range(12)))
    lines = _cli("validate", "-c", cfg, "-f", "github", *NOW_ARG).stdout.splitlines()
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert len(errors) == 12 and [ln.split("::")[2].split(":")[0] for ln in errors] == [f"G{i:02d}" for i in range(12)]
    assert lines[-1].startswith("::notice title=feedsync::12 errors and ")
    assert "GitHub shows the first 10 of each" in lines[-1]
    few = _project(tmp_path / "few", product("A1", gtin=BAD_GTIN))
    assert "::notice" not in _cli("validate", "-c", few, "-f", "github", *NOW_ARG).stdout


def test_github_and_junit_views_respect_the_baseline(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    cfg = _project(tmp_path, product("A1"), product("B2", gtin=BAD_GTIN))
    path = tmp_path / "b.json"
    feedsync.validate(cfg, write_baseline=path)
    cfg.parent.joinpath("catalog.csv").write_text(catalog(product("A1", price="x"), product("B2", gtin=BAD_GTIN)))
    gh = _cli("validate", "-c", cfg, "--baseline", path, "-f", "github")
    assert gh.stdout.count("::error") == 1 and "invalid-price" in gh.stdout and "line=2," in gh.stdout
    junit = etree.fromstring(_cli("validate", "-c", cfg, "--baseline", path, "-f", "junit").stdout.encode())
    assert junit.get("failures") == "1"
