"""Markets: one channel, several feeds (Google US/USD/en and FR/EUR/fr), each with its own feed
label, currency (through the FX table), tax and optional id suffix, and no id collisions."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import NOW, check_feed, write_project
from merch_run import mini_run

from feedsync.config import ChannelConfig, Defaults, load_config
from feedsync.errors import ConfigError
from feedsync.markets import Market, check_market_ids, market_folder, market_frame, markets_for
from feedsync.merchandising_config import MarketConfig

CATALOG = """id,item_group_id,title,description,link,image_link,brand,gtin,price,quantity,product_type,size
TEE,,Plain Tee,A plain tee.,https://shop.example.com/p/tee,https://cdn.example.com/tee.jpg,Acme,,20.00,,Home > Decor,
TEE-S,TEE,Plain Tee S,A plain tee.,https://shop.example.com/p/tee?s=S,https://cdn.example.com/tee.jpg,Acme,4006381333931,20.00,5,Home > Decor,S
TEE-M,TEE,Plain Tee M,A plain tee.,https://shop.example.com/p/tee?s=M,https://cdn.example.com/tee.jpg,Acme,9780201379624,20.00,5,Home > Decor,M
MUG,,Mug,A mug.,https://shop.example.com/p/mug,https://cdn.example.com/mug.jpg,Acme,036000291452,9.50,12,Home > Kitchen,
"""

TOML = """[catalog]
path = "catalog.csv"

[prices]
fx = "fx.csv"

[channels.google]
formats = ["xml", "tsv"]
title = "Shop"
link = "https://shop.example.com/"

[[channels.google.markets]]
feed_label = "US"
country = "US"
currency = "USD"
language = "en"

[[channels.google.markets]]
feed_label = "FR"
country = "FR"
currency = "EUR"
language = "fr"
id_suffix = "-FR"
tax_rate = 20

[channels.meta]
formats = ["csv"]

[[channels.meta.markets]]
feed_label = "US"

[[channels.meta.markets]]
feed_label = "UK"
country = "GB"
currency = "GBP"
language = "en"
id_suffix = "-UK"
tax_rate = 20
"""

FX = "currency,rate\nEUR,0.92\nGBP,0.79\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop", CATALOG, TOML, fx__csv=FX)


def test_markets_parse_with_defaults(project):
    config = load_config(project)
    google = config.channels["google"]
    assert [m.feed_label for m in google.markets] == ["US", "FR"]
    assert google.markets[1] == MarketConfig("FR", "FR", "EUR", "fr", "-FR", Decimal(20))
    us_meta = config.channels["meta"].markets[0]
    assert (us_meta.country, us_meta.currency, us_meta.language, us_meta.id_suffix) == ("US", "USD", "en", "")


def test_each_market_is_its_own_feed_with_its_currency_tax_and_ids(project, tmp_path, checker):
    config = load_config(project)
    out = tmp_path / "out"
    run = mini_run(config, NOW, out_dir=out)
    us, fr = run.outputs["google/US"], run.outputs["google/FR"]
    assert us["id"].tolist() == ["TEE-S", "TEE-M", "MUG"]
    assert fr["id"].tolist() == ["TEE-S-FR", "TEE-M-FR", "MUG-FR"]
    assert fr["item_group_id"].tolist()[:2] == ["TEE-FR", "TEE-FR"]
    assert us["price"].tolist() == ["20.00 USD", "20.00 USD", "9.50 USD"]
    # 20 USD -> 18.40 EUR -> +20% VAT = 22.08; 9.50 -> 8.74 -> 10.49 (10.488)
    assert fr["price"].tolist() == ["22.08 EUR", "22.08 EUR", "10.49 EUR"]
    uk = run.outputs["meta/UK"]
    assert uk["id"].tolist() == ["TEE-S-UK", "TEE-M-UK", "MUG-UK"]
    assert uk["price"].tolist()[2] == "9.01 GBP"  # 9.50 * 0.79 = 7.505 -> 7.51 -> +20% = 9.012
    assert set(run.outputs) == {"google/US", "google/FR", "meta/US", "meta/UK"}
    for label in ("US", "FR"):
        for kind, name in (("google-xml", "products.xml"), ("google-tsv", "products.tsv")):
            path = out / "google" / label / name
            findings = check_feed(checker, kind, path)
            assert not findings.errors, (path, findings.errors)
            assert findings.items == 3
    assert (out / "meta" / "UK" / "products.csv").exists()
    assert not run.report.issues.loc[run.report.issues["severity"] == "error"].shape[0]


def test_channel_without_markets_keeps_its_folder_and_currency():
    c = ChannelConfig("google", ("xml",), options={"feed_label": "DE", "target_country": None})
    (m,) = markets_for(c, Defaults(country="DE", language="de"))
    assert not m.explicit and m.label == "DE" and m.config.currency == ""
    assert market_folder(Path("out"), "google", m) == Path("out/google")
    explicit = Market(MarketConfig("FR", "FR", "EUR", "fr"), True)
    assert market_folder(Path("out"), "google", explicit) == Path("out/google/FR")


def test_market_frame_suffixes_ids_and_groups_without_touching_the_input():
    frame = pd.DataFrame({"id": pd.Series(["A", "B"], dtype="str"), "item_group_id": pd.Series([None, "A"], dtype="str")})
    out = market_frame(frame, Market(MarketConfig("FR", "FR", "EUR", "fr", "-fr"), True))
    assert out["id"].tolist() == ["A-fr", "B-fr"]
    assert out["item_group_id"].isna().tolist() == [True, False] and out["item_group_id"].iloc[1] == "A-fr"
    assert out[["feed_label", "target_country", "content_language"]].iloc[0].tolist() == ["FR", "FR", "fr"]
    assert frame["id"].tolist() == ["A", "B"]


def test_suffixed_ids_colliding_across_markets_are_errors_on_single_namespace_channels():
    frame = pd.DataFrame({"_row": pd.array([1, 2], dtype="Int64"), "id": pd.Series(["A", "A-FR"], dtype="str")})
    markets = [Market(MarketConfig("US", "US", "USD", "en", "-FR"), True),
               Market(MarketConfig("FR", "FR", "EUR", "fr", ""), True)]
    found = check_market_ids(frame, "meta", markets)
    assert found[["code", "sku", "value"]].values.tolist() == [["duplicate-channel-id", "A", "A-FR"]]
    assert check_market_ids(frame, "google", markets).empty  # feed labels keep Google's products apart


@pytest.mark.parametrize(
    "markets, message",
    [
        ('[[channels.google.markets]]\nfeed_label = "US"\n[[channels.google.markets]]\nfeed_label = "us"\n',
         "two markets with feed_label 'US'"),
        ('[[channels.google.markets]]\nfeed_label = "U S"\n', "feed_label must be a feed label"),
        ('[[channels.google.markets]]\ncountry = "US"\n', "feed_label must be"),
        ('[[channels.google.markets]]\nfeed_label = "US"\ncurrency = "usd"\n', "currency must be an ISO 4217"),
        ('[[channels.google.markets]]\nfeed_label = "US"\nregion = "x"\n', "unknown key 'region'"),
        ('[[channels.google.markets]]\nfeed_label = "US"\ntax_rate = 120\n', "a percentage from 0 to 100"),
        ('[[channels.google.markets]]\nfeed_label = "US"\nid_suffix = "/x"\n', "id_suffix must be"),
        ('rounding = "0.99"\n[[channels.google.markets]]\nfeed_label = "JP"\ncurrency = "JPY"\n', "JPY has no cents"),
        ("markets = []\n", "at least one"),
    ],
)
def test_market_config_errors(tmp_path, markets, message):
    toml = '[catalog]\npath = "catalog.csv"\n\n[channels.google]\n' + markets
    with pytest.raises(ConfigError, match=message):
        load_config(write_project(tmp_path, "id\nA\n", toml))


def test_markets_on_channels_without_feed_labels_need_distinct_suffixes(tmp_path):
    toml = ('[catalog]\npath = "catalog.csv"\n\n[channels.meta]\n[[channels.meta.markets]]\nfeed_label = "US"\n'
            '[[channels.meta.markets]]\nfeed_label = "CA"\ncurrency = "CAD"\n')
    with pytest.raises(ConfigError, match="two markets share id_suffix '', so meta would receive the same product id"):
        load_config(write_project(tmp_path / "meta", "id\nA\n", toml))
    google = toml.replace("channels.meta", "channels.google")
    assert len(load_config(write_project(tmp_path / "google", "id\nA\n", google)).channels["google"].markets) == 2


def test_the_merchandised_example_project_passes_the_conformance_checker(tmp_path, checker):
    """examples/feedsync.toml: rules, templates, categories, policies and two Google markets
    on the Northwind data; every feed it produces passes ../shared/conformance/check.py."""
    example = Path(__file__).resolve().parent.parent / "examples" / "feedsync.toml"
    config = load_config(example)
    if config.categories is None or not config.categories.taxonomy.exists():
        pytest.skip("Google taxonomy not available")
    out = tmp_path / "out"
    run = mini_run(config, NOW, out_dir=out)
    kinds = {("google", "xml"): "google-xml", ("google", "tsv"): "google-tsv", ("google_local", "tsv"): "google-local",
             ("meta", "csv"): "meta-csv", ("meta", "xml"): "meta-xml", ("amazon", "json"): "amazon-json"}
    paths = sorted(str(f.path.relative_to(out)) for f in run.feeds)
    assert paths == ["amazon/listings-0001.json", "google/FR/products.tsv", "google/FR/products.xml",
                     "google/US/products.tsv", "google/US/products.xml", "google_local/inventory.tsv",
                     "meta/products.csv", "meta/products.xml"]
    for feed in run.feeds:
        findings = check_feed(checker, kinds[(feed.channel, feed.format)], feed.path)
        assert not findings.errors, (feed.path, findings.errors[:3])
    fr = run.outputs["google/FR"]
    assert fr["id"].str.endswith("-FR").all() and fr["price"].str.endswith(" EUR").all()
    assert fr["link"].str.contains("utm_source=google&utm_medium=shopping", regex=False).all()
    assert run.merchandising.stats["meta"].rules["rule 4 no cheap drinkware on meta"] == 4  # variants, not parents
