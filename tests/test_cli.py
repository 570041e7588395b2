"""The CLI through typer's CliRunner: exit codes, report formats, and that it is a thin layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORE, NOW, ROOT, catalog, conformance_errors, product, write_project
from lxml import etree
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app
from feedsync.cli.exit_codes import ExitCode

NOW_ARG = ["--now", "2026-11-23T00:00:00Z"]


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture
def clean(tmp_path) -> Path:
    """A project without any issue."""
    return write_project(tmp_path / "clean", catalog(product("A1"), product("B2", quantity="0")))


@pytest.fixture
def warnings_only(tmp_path) -> Path:
    """One product without gtin and mpn: a missing-identifier warning on Google, nothing else."""
    return write_project(tmp_path / "warn", catalog(product("A1"), product("B2", gtin="")))


def test_exit_codes_are_documented_values():
    assert [(c.name, int(c)) for c in ExitCode] == [
        ("OK", 0),
        ("INVALID", 1),
        ("USAGE", 2),
        ("UNREADABLE", 3),
        ("GATE", 4),
    ]


# --------------------------------------------------------------------------- build


def test_build_clean_project_exits_0_and_writes_feeds(run, clean, tmp_path, checker):
    out = tmp_path / "out"
    result = run("build", "-c", clean, "-o", out, *NOW_ARG)
    assert result.exit_code == 0, result.output
    assert (out / "google" / "products.xml").exists()
    manifest = json.loads((out / "manifest.json").read_bytes())
    assert [(f["path"], f["items"]) for f in manifest["feeds"]] == [("google/products.xml", 2)]
    assert conformance_errors(checker, out / "manifest.json") == []
    assert "wrote 1 feed files (2 items)" in result.stdout


def test_build_with_data_errors_exits_1_and_still_writes_the_good_products(run, tmp_path):
    out = tmp_path / "out"
    result = run("build", "-c", CORE / "feedsync.toml", "-o", out, *NOW_ARG)
    assert result.exit_code == 1
    assert "BAD-PRICE" in result.stdout and "invalid-price" in result.stdout
    assert "<g:id>TEE-S</g:id>" in (out / "google" / "products.xml").read_text(encoding="utf-8")
    report = json.loads((out / "report.json").read_bytes())
    assert report["summary"] == {"errors": 4, "warnings": 4, "excluded_products": 2}


def test_build_quiet_clean_prints_nothing(run, clean, tmp_path):
    result = run("build", "-c", clean, "-o", tmp_path / "out", "--quiet", *NOW_ARG)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_build_only_the_chosen_channel(run, tmp_path):
    out = tmp_path / "out"
    result = run("build", "-c", CORE / "feedsync.toml", "-o", out, "--channel", "meta", "-f", "json", *NOW_ARG)
    report = json.loads(result.stdout)
    assert list(report["channels"]) == ["meta"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "manifest.json",
        "meta/products.csv",
        "meta/products.xml",
        "report.json",
    ]


def test_build_json_report_equals_report_json_file(run, tmp_path):
    out = tmp_path / "out"
    result = run("build", "-c", CORE / "feedsync.toml", "-o", out, "-f", "json", *NOW_ARG)
    assert result.exit_code == 1
    assert result.stdout_bytes == (out / "report.json").read_bytes()  # the same bytes, streamed to both


def test_now_option_moves_the_sale_windows(run, tmp_path):
    out = tmp_path / "out"
    run("build", "-c", CORE / "feedsync.toml", "-o", out, "--channel", "google", "--now", "2026-12-02")
    xml = (out / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<g:sale_price>15.00 USD</g:sale_price>" not in xml  # TEE-S's sale ended 30 November
    assert json.loads((out / "manifest.json").read_bytes())["generated_at"] == "2026-12-02T00:00:00Z"


# --------------------------------------------------------------------------- validate


def test_validate_json_equals_the_library_report(run):
    result = run("validate", "-c", CORE / "feedsync.toml", "--format", "json", *NOW_ARG)
    assert result.exit_code == 1
    library = feedsync.validate(CORE / "feedsync.toml", now=NOW).to_dict()
    assert json.loads(result.stdout) == json.loads(json.dumps(library))
    assert library["summary"]["errors"] == 4


def test_validate_writes_nothing(run, tmp_path, clean):
    before = sorted(p.name for p in clean.parent.iterdir())
    assert run("validate", "-c", clean, *NOW_ARG).exit_code == 0
    assert sorted(p.name for p in clean.parent.iterdir()) == before


def test_validate_text_names_code_row_and_sku(run):
    result = run("validate", "-c", CORE / "feedsync.toml", *NOW_ARG)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    [line] = [ln for ln in lines if "BAD-PRICE" in ln]
    assert "invalid-price" in line and "row 9" in line
    assert any("BAD-GTIN" in ln and "invalid-gtin" in ln and "row 8" in ln for ln in lines)


def test_validate_junit_is_one_suite_per_channel(run):
    result = run("validate", "-c", CORE / "feedsync.toml", "--format", "junit", *NOW_ARG)
    assert result.exit_code == 1
    root = etree.fromstring(result.stdout.encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("8", "4")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"catalog", "google", "meta", "amazon"}
    [failure] = suites["catalog"].iter("failure")
    assert failure.get("type") == "invalid-price"
    assert failure.text == "value: 12.5O"


def test_validate_github_annotations_point_at_catalog_lines(run, monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ROOT))  # paths are shown relative to the checkout
    result = run("validate", "-c", CORE / "feedsync.toml", "--format", "github", *NOW_ARG)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 4  # one per problem: an issue on several channels is printed once
    source = "tests/data/core/catalog.csv"
    assert lines[:2] == [  # errors first, by row
        f"::error file={source},line=9,title=invalid-gtin (google%2C meta%2C amazon)::BAD-GTIN: "
        "gtin '4006381333932' has a wrong check digit (expected 1)",
        f"::error file={source},line=10,title=invalid-price (catalog)::BAD-PRICE: "
        "price '12.5O' is not a number; write it like 19.99",
    ]
    assert lines[2].startswith(f"::warning file={source},line=4,title=sale-ended (google%2C meta%2C amazon)::TEE-M")


def test_warnings_pass_unless_strict(run, warnings_only):
    relaxed = run("validate", "-c", warnings_only, *NOW_ARG)
    assert relaxed.exit_code == 0
    assert "missing-identifier" in relaxed.stdout
    strict = run("validate", "-c", warnings_only, "--strict", *NOW_ARG)
    assert strict.exit_code == 1


def test_strict_build_still_writes_feeds(run, warnings_only, tmp_path):
    result = run("build", "-c", warnings_only, "-o", tmp_path / "out", "--strict", *NOW_ARG)
    assert result.exit_code == 1
    assert "<g:id>B2</g:id>" in (tmp_path / "out/google/products.xml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- usage errors: exit 2


def test_unknown_channel_is_a_usage_error(run, clean):
    result = run("validate", "-c", clean, "--channel", "ebay")
    assert result.exit_code == 2
    assert "unknown channel 'ebay'" in result.stderr
    assert "google, google_local, meta, amazon" in result.stderr


def test_unknown_option_is_a_usage_error(run, clean):
    result = run("validate", "-c", clean, "--colour")
    assert result.exit_code == 2
    assert "--colour" in result.output


def test_unknown_report_format_is_a_usage_error(run, clean):
    result = run("validate", "-c", clean, "--format", "yaml")
    assert result.exit_code == 2
    assert "yaml" in result.output


def test_unknown_command_is_a_usage_error(run):
    assert run("publish").exit_code == 2


# --------------------------------------------------------------------------- unreadable input: exit 3


def test_missing_config_exits_3_with_one_clear_message(run, tmp_path):
    result = run("validate", "-c", tmp_path / "nope.toml")
    assert result.exit_code == 3
    assert f"config file not found: {tmp_path / 'nope.toml'}" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_config_exits_3_naming_file_and_key(run, tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1")), '[catalog]\npath = "catalog.csv"\n[channels.amazon]\n')
    result = run("build", "-c", cfg, "-o", tmp_path / "out")
    assert result.exit_code == 3
    assert str(cfg) in result.stderr and "needs 'seller_id'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_catalog_exits_3(run, tmp_path):
    cfg = write_project(tmp_path, "", '[catalog]\npath = "missing.csv"\n[channels.google]\n')
    result = run("validate", "-c", cfg)
    assert result.exit_code == 3
    assert f"{tmp_path / 'missing.csv'}: file not found" in result.stderr


def test_debug_shows_the_exception(run, tmp_path):
    result = run("validate", "-c", tmp_path / "nope.toml", "--debug")
    assert isinstance(result.exception, feedsync.ConfigError)


# --------------------------------------------------------------------------- channels and init


def test_channels_lists_every_channel_format_and_option(run):
    result = run("channels")
    assert result.exit_code == 0
    text = result.stdout
    for line in (
        "google  Google Merchant Center  formats: xml, tsv (default xml)",
        "google_local  Google local inventory  formats: tsv (default tsv)",
        "meta  Meta catalog  formats: csv, xml (default csv)",
        "amazon  Amazon listings (SP-API)  formats: json (default json)",
    ):
        assert line in text
    assert "seller_id [required]:" in text
    assert "max_messages_per_file (default 10000)" in text


def test_init_then_build_succeeds(run, tmp_path, checker, monkeypatch):
    project = tmp_path / "shop"
    result = run("init", project)
    assert result.exit_code == 0
    assert sorted(p.name for p in project.iterdir()) == ["catalog.csv", "feedsync.toml", "prices.csv", "stock.csv"]
    monkeypatch.chdir(tmp_path)  # the config's relative paths must not depend on the cwd
    built = run("build", "-c", "shop/feedsync.toml", "-o", "out", *NOW_ARG)
    assert built.exit_code == 0, built.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert {(f["channel"], f["format"]) for f in manifest["feeds"]} == {
        ("google", "xml"),
        ("google", "tsv"),
        ("google_local", "tsv"),
        ("meta", "csv"),
        ("amazon", "json"),
    }
    assert conformance_errors(checker, tmp_path / "out" / "manifest.json") == []


def test_init_refuses_to_overwrite_without_force(run, tmp_path):
    project = tmp_path / "shop"
    assert run("init", project).exit_code == 0
    (project / "feedsync.toml").write_text("# my edits\n", encoding="utf-8")
    again = run("init", project)
    assert again.exit_code == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert (project / "feedsync.toml").read_text(encoding="utf-8") == "# my edits\n"
    forced = run("init", project, "--force")
    assert forced.exit_code == 0
    assert "[channels.google]" in (project / "feedsync.toml").read_text(encoding="utf-8")


def test_init_into_a_folder_with_other_files_is_fine(run, tmp_path):
    project = tmp_path / "shop"
    project.mkdir()
    (project / "notes.txt").write_text("keep me", encoding="utf-8")
    assert run("init", project).exit_code == 0
    assert (project / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_readme_lists_every_issue_code():
    """The README's issue-code table names every code feedsync can report, with its severity."""
    from feedsync.validation.codes import CODES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c.code for c in CODES.values() if f"| `{c.code}` | {c.severity} |" not in readme]
    assert missing == []
