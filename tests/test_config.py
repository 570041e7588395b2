"""feedsync.toml -> Config: every error names the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORE, NOW, catalog, product, write_project

import feedsync
from feedsync.config import load_config
from feedsync.errors import ConfigError, SourceError

BASE = '[catalog]\npath = "catalog.csv"\n'


def _config_error(tmp_path: Path, toml: str) -> ConfigError:
    path = tmp_path / "feedsync.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(path.resolve()) in e.value.message  # every message names the file
    return e.value


def test_core_config_is_read_into_typed_values():
    cfg = load_config(CORE / "feedsync.toml")
    assert cfg.catalog.path == CORE / "catalog.csv"
    assert cfg.stock.files == (CORE / "stock.csv", CORE / "stock_update.csv")
    assert cfg.stock.stores == ("store-1", "store-2")
    assert cfg.prices.files == (CORE / "prices.csv",)
    assert [c.name for c in cfg.enabled_channels()] == ["google", "google_local", "meta", "amazon"]
    assert cfg.channels["google"].formats == ("xml", "tsv")
    assert cfg.channels["meta"].safety_stock == 1
    assert cfg.channels["amazon"].opt("seller_id") == "A1CORETEST000"
    assert cfg.channels["amazon"].opt("marketplace_id") == "ATVPDKIKX0DER"  # default
    assert cfg.channels["amazon"].opt("max_messages_per_file") == 10_000
    assert cfg.channels["google_local"].opt("limited_threshold") == 2
    assert cfg.output.batch_size == 50_000 and cfg.output.gzip is False


def test_unknown_key_names_table_key_and_the_valid_keys(tmp_path):
    e = _config_error(tmp_path, BASE + 'colour = "red"\n[channels.google]\n')
    assert "[catalog] has unknown key 'colour'" in e.message
    assert "path" in e.hint and "delimiter" in e.hint


def test_unknown_key_in_a_channel_table(tmp_path):
    e = _config_error(tmp_path, BASE + "[channels.meta]\nneutralize_formulas = true\n")
    assert "[channels.meta] has unknown key 'neutralize_formulas'" in e.message
    assert "neutralise_formulas" in e.hint


def test_unknown_top_level_table(tmp_path):
    e = _config_error(tmp_path, BASE + "[channels.google]\n[exports]\n")
    assert "unknown key 'exports'" in e.message
    assert "catalog" in e.hint and "channels" in e.hint


@pytest.mark.parametrize(
    ("body", "key", "expected", "got"),
    [
        ('[channels.google]\nsafety_stock = "2"\n', "[channels.google] safety_stock", "int", "'2'"),
        ("[channels.meta]\nneutralise_formulas = 1\n", "[channels.meta] neutralise_formulas", "bool", "1"),
        ("[channels.google]\nsafety_stock = true\n", "[channels.google] safety_stock", "int", "True"),
        ('[stock]\nfiles = "stock.csv"\n[channels.google]\n', "[stock] files", "a list of strings", "'stock.csv'"),
        ('[channels.google]\nformats = ["xml", "json"]\n', "[channels.google] formats", "xml, tsv", "'json'"),
        ('[defaults]\ncurrency = "usd"\n[channels.google]\n', "[defaults] currency", "ISO 4217", "'usd'"),
        ("[output]\nbatch_size = 0\n[channels.google]\n", "[output] batch_size", "positive", "0"),
        ("[channels.meta]\nsafety_stock = -1\n", "[channels.meta] safety_stock", ">= 0", "-1"),
        (
            '[channels.google_local]\npickup_sla = "tomorrow"\n',
            "[channels.google_local] pickup_sla",
            "same day",
            "'tomorrow'",
        ),
    ],
)
def test_wrong_type_or_value_names_key_expectation_and_value(tmp_path, body, key, expected, got):
    e = _config_error(tmp_path, BASE + body)
    assert key in e.message
    assert expected in e.message
    assert got in e.message


def test_unknown_channel_lists_the_known_ones(tmp_path):
    e = _config_error(tmp_path, BASE + "[channels.ebay]\n")
    assert "[channels.ebay] is not a known channel" in e.message
    assert e.hint == "valid channels: google, google_local, meta, amazon"


def test_amazon_needs_a_seller_id(tmp_path):
    e = _config_error(tmp_path, BASE + '[channels.amazon]\nmarketplace_id = "A1PA6795UKMFR9"\n')
    assert "[channels.amazon] needs 'seller_id'" in e.message
    assert "merchant token" in e.hint


def test_a_disabled_amazon_channel_needs_no_seller_id(tmp_path):
    (tmp_path / "feedsync.toml").write_text(BASE + "[channels.google]\n[channels.amazon]\nenabled = false\n")
    cfg = load_config(tmp_path / "feedsync.toml")
    assert [c.name for c in cfg.enabled_channels()] == ["google"]


def test_missing_catalog_path(tmp_path):
    e = _config_error(tmp_path, '[catalog]\nformat = "csv"\n[channels.google]\n')
    assert "[catalog] path is missing" in e.message
    assert 'path = "catalog.csv"' in e.hint


def test_no_channels(tmp_path):
    e = _config_error(tmp_path, BASE)
    assert "no [channels.*] table" in e.message


def test_invalid_toml_names_the_line(tmp_path):
    e = _config_error(tmp_path, BASE + "[channels.google]\nformats = [xml]\n")
    assert "not valid TOML" in e.message
    assert "line 4" in e.message


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.toml")
    assert e.value.message == f"config file not found: {tmp_path / 'nope.toml'}"
    assert "feedsync init" in e.value.hint


def test_config_errors_are_exit_code_3():
    assert ConfigError("x").exit_code == 3


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    project = tmp_path / "shop"
    stock = "sku,location,quantity\nA1,warehouse,9\n"
    toml = '[catalog]\npath = "data/catalog.csv"\n[stock]\nfiles = ["data/stock.csv"]\n[channels.google]\n'
    (project / "data").mkdir(parents=True)
    (project / "data" / "catalog.csv").write_text(catalog(product("A1", quantity="0")))
    (project / "data" / "stock.csv").write_text(stock)
    (project / "feedsync.toml").write_text(toml)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    cfg = load_config(Path("..") / "shop" / "feedsync.toml")
    assert cfg.catalog.path == project / "data" / "catalog.csv"
    assert cfg.stock.files == (project / "data" / "stock.csv",)
    result = feedsync.build(Path("..") / "shop" / "feedsync.toml", "out", now=NOW)
    assert result.report.errors == 0
    feed = (elsewhere / "out" / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<g:availability>in_stock</g:availability>" in feed  # stock.csv (9) was found and applied
    assert not (project / "out").exists()  # the output folder is relative to the cwd, not the config


def test_missing_catalog_file_names_the_resolved_path(tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1")), '[catalog]\npath = "nope.csv"\n[channels.google]\n')
    with pytest.raises(SourceError) as e:
        feedsync.validate(cfg, now=NOW)
    assert e.value.message == f"{tmp_path / 'nope.csv'}: file not found"
    assert e.value.exit_code == 3


def test_missing_stock_file_is_unreadable_input(tmp_path):
    toml = '[catalog]\npath = "catalog.csv"\n[stock]\nfiles = ["stock.csv"]\n[channels.google]\n'
    cfg = write_project(tmp_path, catalog(product("A1")), toml)
    with pytest.raises(SourceError) as e:
        feedsync.validate(cfg, now=NOW)
    assert str(tmp_path / "stock.csv") in e.value.message
