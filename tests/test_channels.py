"""What each channel receives from the core catalog (tests/data/core/), value by value.

The golden tests pin the bytes; these say what the bytes must mean, so a reviewer of a
golden diff can tell an intended change from a regression.
"""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import FEEDS, NOW, catalog, product, write_project
from lxml import etree

import feedsync
from feedsync.channels import CHANNELS, get_channel
from feedsync.errors import UsageError

G = "{http://base.google.com/ns/1.0}"


def _xml_items(path: Path) -> dict[str, dict[str, list[str]]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    items = {}
    for item in etree.parse(str(path), parser).iter("item"):
        fields: dict[str, list[str]] = {}
        for child in item:
            fields.setdefault(etree.QName(child).localname, []).append(child.text or "")
        items[fields["id"][0]] = fields
    return items


def _rows(path: Path, delimiter: str) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh, delimiter=delimiter)}


@pytest.fixture(scope="module")
def out(core_build) -> Path:
    return core_build.out_dir


@pytest.fixture(scope="module")
def google(out):
    return _xml_items(out / "google" / "products.xml")


@pytest.fixture(scope="module")
def amazon(out):
    doc = json.loads((out / "amazon" / "listings-0001.json").read_bytes())
    return doc, {m["sku"]: m for m in doc["messages"]}


# --------------------------------------------------------------------------- every channel


def test_products_with_errors_are_left_out_of_every_feed(out, core_build):
    for rel, _ in FEEDS.values():
        text = (out / rel).read_text(encoding="utf-8")
        assert "BAD-GTIN" not in text and "BAD-PRICE" not in text, rel
    excluded = {(e["channel"], e["sku"], e["codes"]) for e in core_build.report.to_dict()["excluded"]}
    assert ("", "BAD-PRICE", "invalid-price") in excluded
    for channel in ("google", "meta", "amazon"):
        assert (channel, "BAD-GTIN", "invalid-gtin") in excluded


def test_report_lists_every_issue_with_its_source_row(core_build):
    found = {(i.code, i.channel, i.row, i.sku, i.field) for i in core_build.report.issue_list()}
    assert found == {
        ("invalid-price", "", 9, "BAD-PRICE", "price"),
        ("invalid-gtin", "google", 8, "BAD-GTIN", "gtin"),
        ("invalid-gtin", "meta", 8, "BAD-GTIN", "gtin"),
        ("invalid-gtin", "amazon", 8, "BAD-GTIN", "gtin"),
        ("sale-ended", "google", 3, "TEE-M", "sale_price_end"),
        ("sale-ended", "meta", 3, "TEE-M", "sale_price_end"),
        ("sale-ended", "amazon", 3, "TEE-M", "sale_price_end"),
        ("missing-identifier", "amazon", 7, "PEN", "gtin"),  # a warning: PEN has an mpn but no GTIN
    }


def test_channel_summaries(core_build):
    s = core_build.report.channels
    # 9 rows minus the variant parent = 8 sellable products offered to each channel
    assert {n: (c.products_in, c.excluded, c.items) for n, c in s.items()} == {
        "google": (8, 2, 6),
        "google_local": (8, 1, 3),  # BAD-GTIN has no store stock, so only BAD-PRICE is excluded here
        "meta": (8, 2, 6),
        "amazon": (8, 2, 7),
    }
    assert (s["google"].errors, s["google"].warnings) == (2, 1)
    assert (s["google_local"].errors, s["google_local"].warnings) == (1, 0)


# --------------------------------------------------------------------------- Google


def test_google_variant_parent_is_not_an_item_and_children_carry_the_group(google):
    assert list(google) == ["TEE-S", "TEE-M", "MUG", "BOOK", "LAMP", "PEN"]
    assert google["TEE-S"]["item_group_id"] == ["TEE"]
    assert google["TEE-S"]["size"] == ["S"]
    assert "item_group_id" not in google["MUG"]


def test_google_sale_inside_its_window(google):
    tee = google["TEE-S"]
    assert tee["price"] == ["20.00 USD"]
    assert tee["sale_price"] == ["15.00 USD"]
    assert tee["sale_price_effective_date"] == ["2026-11-01T00:00+00:00/2026-11-30T00:00+00:00"]


def test_google_sale_that_ended_is_not_sent(google):
    assert google["TEE-M"]["price"] == ["20.00 USD"]
    assert "sale_price" not in google["TEE-M"]
    assert "sale_price_effective_date" not in google["TEE-M"]


def test_google_future_sale_is_sent_with_its_window(google):
    assert google["MUG"]["sale_price"] == ["9.99 USD"]
    assert google["MUG"]["sale_price_effective_date"] == ["2026-12-01T00:00+00:00/2026-12-31T12:00+00:00"]


def test_google_preorder_keeps_its_availability_date(google):
    assert google["BOOK"]["availability"] == ["preorder"]
    assert google["BOOK"]["availability_date"] == ["2027-01-15T00:00+00:00"]


def test_google_availability_follows_stock_files(google):
    assert google["TEE-S"]["availability"] == ["in_stock"]  # warehouse 5
    assert google["TEE-M"]["availability"] == ["out_of_stock"]  # warehouse 0
    # LAMP: catalog says 1, stock_update.csv says warehouse 4; store stock is not online stock
    assert google["LAMP"]["availability"] == ["in_stock"]


def test_google_gets_the_all_channel_price_override(google):
    assert google["PEN"]["price"] == ["4.00 USD"]  # catalog 5.00; prices.csv all-channel row 4.00
    assert "sale_price" not in google["PEN"]  # the sale in prices.csv is Amazon's only


def test_google_escapes_markup_and_repeats_additional_images(out, google):
    assert google["MUG"]["title"] == ["Mug & Saucer"]
    assert google["MUG"]["description"] == ['Stoneware mug, 350 ml, "dishwasher safe".']
    raw = (out / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<title>Mug &amp; Saucer</title>" in raw
    assert "CDATA" not in raw
    assert google["TEE-S"]["additional_image_link"] == [
        "https://cdn.example.com/tee-s-back.jpg",
        "https://cdn.example.com/tee-s-side.jpg",
    ]


def test_google_tsv_holds_the_same_values_as_the_xml(out, google):
    rows = _rows(out / "google" / "products.tsv", "\t")
    assert list(rows) == list(google)
    for sku, item in google.items():
        for field, values in item.items():
            expected = ",".join(values)
            assert rows[sku][field] == expected, (sku, field)


def test_google_local_inventory_rows(out):
    with open(out / "google_local" / "inventory.tsv", newline="", encoding="utf-8") as fh:
        rows = [
            (r["store_code"], r["id"], r["quantity"], r["availability"], r["price"])
            for r in csv.DictReader(fh, delimiter="\t")
        ]
    assert rows == [
        ("store-1", "TEE-S", "2", "limited_availability", "20.00 USD"),  # 2 <= limited_threshold
        ("store-1", "LAMP", "0", "out_of_stock", "39.00 USD"),  # the later stock file says 0
        ("store-2", "LAMP", "6", "in_stock", "39.00 USD"),
    ]


# --------------------------------------------------------------------------- Meta


def test_meta_csv_values(out):
    rows = _rows(out / "meta" / "products.csv", ",")
    assert list(rows) == ["TEE-S", "TEE-M", "MUG", "BOOK", "LAMP", "PEN"]
    assert rows["PEN"]["price"] == "3.50 USD"  # the meta row beats the all-channel row
    assert rows["TEE-S"]["availability"] == "in stock"  # Meta spells it with a space
    assert rows["TEE-M"]["availability"] == "out of stock"
    assert rows["BOOK"]["availability"] == "preorder"
    # safety_stock = 1 on meta: 5 -> 4, 0 stays 0, unknown stays empty
    assert rows["TEE-S"]["quantity_to_sell_on_facebook"] == "4"
    assert rows["TEE-M"]["quantity_to_sell_on_facebook"] == "0"
    assert rows["BOOK"]["quantity_to_sell_on_facebook"] == ""
    assert rows["MUG"]["description"] == 'Stoneware mug, 350 ml, "dishwasher safe".'
    assert rows["TEE-S"]["additional_image_link"] == (
        "https://cdn.example.com/tee-s-back.jpg,https://cdn.example.com/tee-s-side.jpg"
    )


def test_meta_xml_matches_meta_csv(out):
    rows = _rows(out / "meta" / "products.csv", ",")
    items = _xml_items(out / "meta" / "products.xml")
    assert list(items) == list(rows)
    for sku, item in items.items():
        for field, values in item.items():
            assert rows[sku][field] == ",".join(values), (sku, field)


# --------------------------------------------------------------------------- Amazon


def test_amazon_header_and_message_ids(amazon):
    doc, _ = amazon
    assert doc["header"] == {"sellerId": "A1CORETEST000", "version": "2.0", "issueLocale": "en_US"}
    assert [m["messageId"] for m in doc["messages"]] == list(range(1, 8))
    assert [m["sku"] for m in doc["messages"]] == ["TEE", "TEE-S", "TEE-M", "MUG", "BOOK", "LAMP", "PEN"]
    assert {m["operationType"] for m in doc["messages"]} == {"UPDATE"}


def test_amazon_variation_family(amazon):
    _, by_sku = amazon
    parent = by_sku["TEE"]["attributes"]
    assert parent["parentage_level"][0]["value"] == "parent"
    assert parent["variation_theme"][0]["name"] == "SIZE_NAME"
    assert "purchasable_offer" not in parent  # a parent is not sold itself
    child = by_sku["TEE-S"]["attributes"]
    assert child["parentage_level"][0]["value"] == "child"
    assert child["child_parent_sku_relationship"][0]["parent_sku"] == "TEE"
    assert by_sku["TEE-S"]["productType"] == "SHIRT"


def _offer(by_sku, sku):
    return by_sku[sku]["attributes"]["purchasable_offer"][0]


def test_amazon_prices_and_sales(amazon):
    _, by_sku = amazon
    assert _offer(by_sku, "TEE-S")["our_price"][0]["schedule"][0]["value_with_tax"] == 20
    sale = _offer(by_sku, "TEE-S")["discounted_price"][0]["schedule"][0]
    assert sale == {"start_at": "2026-11-01T00:00Z", "end_at": "2026-11-30T00:00Z", "value_with_tax": 15}
    assert "discounted_price" not in _offer(by_sku, "TEE-M")  # ended
    pen = _offer(by_sku, "PEN")
    assert pen["our_price"][0]["schedule"][0]["value_with_tax"] == 4.25  # amazon row in prices.csv
    assert pen["discounted_price"][0]["schedule"][0] == {
        "start_at": "2026-11-20T00:00Z",
        "end_at": "2026-12-24T00:00Z",
        "value_with_tax": 3.75,
    }


def test_amazon_quantities_and_identifiers(amazon):
    _, by_sku = amazon
    qty = {s: m["attributes"]["fulfillment_availability"][0]["quantity"] for s, m in by_sku.items() if s != "TEE"}
    assert qty == {"TEE-S": 5, "TEE-M": 0, "MUG": 7, "BOOK": 0, "LAMP": 4, "PEN": 40}
    assert by_sku["TEE-S"]["attributes"]["fulfillment_availability"][0]["lead_time_to_ship_max_days"] == 2
    ident = by_sku["TEE-M"]["attributes"]["externally_assigned_product_identifier"][0]
    assert (ident["type"], ident["value"]) == ("upc", "036000291452")
    assert by_sku["LAMP"]["attributes"]["condition_type"][0]["value"] == "refurbished_refurbished"
    bullets = [b["value"] for b in by_sku["TEE-S"]["attributes"]["bullet_point"]]
    assert bullets == ["Pre-shrunk cotton", "Double-stitched hems"]


SALES_HEADER = (
    "id,title,description,link,image_link,brand,gtin,price,currency,sale_price,sale_price_start,sale_price_end"
)
SALES = {  # sku -> sale_price, sale_price_start, sale_price_end (price 10.00)
    "OPEN": ("8.00", "", ""),  # open-ended: no start, no end
    "FROM": ("7.00", "2024-06-01", ""),  # started long ago, no end
    "UNTIL": ("6.00", "", "2027-01-31"),  # no start, ends later
    "WINDOW": ("5.00", "2026-11-20", "2026-12-24"),  # closed window, running
    "LATER": ("4.00", "2026-12-01", "2026-12-31"),  # closed window, not started yet
    "ENDED": ("3.00", "2026-10-01", "2026-11-01"),  # window over: no sale sent
}


def _sales_project(folder: Path) -> Path:
    lines = [
        f"{sku},Item {sku},d,https://shop.example.com/p/{sku.lower()},https://cdn.example.com/{sku.lower()}.jpg,"
        f"Acme,4006381333931,10.00,USD,{sale},{start},{end}"
        for sku, (sale, start, end) in SALES.items()
    ]
    toml = '[catalog]\npath = "catalog.csv"\n\n[channels.amazon]\nseller_id = "A1SALES00000"\n'
    return write_project(folder, "\n".join([SALES_HEADER, *lines]) + "\n", toml)


def _amazon_messages(path: Path) -> dict[str, bytes]:
    """Each message line of an Amazon feed by SKU, as bytes (one message a line)."""
    return {json.loads(line.rstrip(b","))["sku"]: line for line in path.read_bytes().splitlines() if b'"sku"' in line}


def test_amazon_open_sale_windows_do_not_follow_the_run_clock(tmp_path):
    """Amazon needs start_at and end_at on a discounted_price schedule; an open side of the
    window gets a fixed date, so an unchanged product gives the same bytes every night (and a
    delta sends nothing for it) instead of a window that moves with the run day."""
    cfg = _sales_project(tmp_path / "shop")
    feeds = []
    for n, when in enumerate((NOW, NOW + timedelta(days=1), NOW + timedelta(days=400))):
        feedsync.build(cfg, tmp_path / f"out{n}", now=when)
        feeds.append(tmp_path / f"out{n}" / "amazon" / "listings-0001.json")
    today, tomorrow, next_year = (_amazon_messages(f) for f in feeds)
    assert feeds[0].read_bytes() == feeds[1].read_bytes()  # one night later: not a byte moved
    for sku in ("OPEN", "FROM"):  # no end: still the same a year later, nothing to renew
        assert next_year[sku] == today[sku] == tomorrow[sku]
    by_sku = {m["sku"]: m for m in json.loads(feeds[0].read_bytes())["messages"]}

    def schedule(sku):
        return _offer(by_sku, sku)["discounted_price"][0]["schedule"][0]

    assert schedule("OPEN") == {"start_at": "2000-01-01T00:00Z", "end_at": "2099-12-31T00:00Z", "value_with_tax": 8}
    assert schedule("FROM") == {"start_at": "2024-06-01T00:00Z", "end_at": "2099-12-31T00:00Z", "value_with_tax": 7}
    assert schedule("UNTIL") == {"start_at": "2000-01-01T00:00Z", "end_at": "2027-01-31T00:00Z", "value_with_tax": 6}
    # closed windows are sent as the catalog has them, whether running or not started yet
    assert schedule("WINDOW") == {"start_at": "2026-11-20T00:00Z", "end_at": "2026-12-24T00:00Z", "value_with_tax": 5}
    assert schedule("LATER") == {"start_at": "2026-12-01T00:00Z", "end_at": "2026-12-31T00:00Z", "value_with_tax": 4}
    assert "discounted_price" not in _offer(by_sku, "ENDED")
    assert "discounted_price" not in json.loads(next_year["UNTIL"].rstrip(b","))["attributes"]["purchasable_offer"][0]


# --------------------------------------------------------------------------- registry and small cases


def test_registry_modules_share_one_shape():
    names = ("NAME", "TITLE", "FORMATS", "DEFAULT_FORMATS", "OPTIONS", "to_frame", "check", "writers")
    assert list(CHANNELS) == ["google", "google_local", "meta", "amazon"]
    for name, module in CHANNELS.items():
        assert name == module.NAME
        assert all(hasattr(module, n) for n in names), name
        assert set(module.DEFAULT_FORMATS) <= set(module.FORMATS)


def test_unknown_channel_lists_the_valid_ones():
    with pytest.raises(UsageError) as e:
        get_channel("ebay")
    assert "ebay" in e.value.message
    assert e.value.hint == "valid channels: google, google_local, meta, amazon"


def test_title_limits_google_150_meta_200(tmp_path):
    toml = '[catalog]\npath = "catalog.csv"\n[channels.google]\n[channels.meta]\n'
    lines = [product("T151", "x" * 151), product("T150", "y" * 150), product("T201", "z" * 201)]
    report = feedsync.validate(write_project(tmp_path, catalog(*lines), toml), now=NOW)
    too_long = sorted((i.channel, i.sku, i.severity) for i in report.issue_list() if i.code == "too-long")
    assert too_long == [
        ("google", "T151", "error"),
        ("google", "T201", "error"),
        ("meta", "T151", "warning"),  # Meta takes 200; its templates advise 150
        ("meta", "T201", "error"),
    ]
    assert (report.channels["google"].excluded, report.channels["meta"].excluded) == (2, 1)


def test_preorder_without_a_date_is_an_error_on_google(tmp_path):
    text = "id,title,description,link,image_link,brand,gtin,price,availability\n"
    text += "P1,Pre,d,https://x.example/p,https://x.example/p.jpg,Acme,4006381333931,5.00,preorder\n"
    report = feedsync.validate(write_project(tmp_path, text), now=NOW)
    assert [(i.code, i.row, i.value) for i in report.issue_list()] == [("missing-availability-date", 1, "preorder")]


def test_sale_not_below_price_is_an_error(tmp_path):
    text = "id,title,description,link,image_link,brand,gtin,price,sale_price\n"
    text += "S1,Sale,d,https://x.example/s,https://x.example/s.jpg,Acme,4006381333931,5.00,5.00\n"
    report = feedsync.validate(write_project(tmp_path, text), now=NOW)
    assert [(i.code, i.sku, i.field) for i in report.issue_list()] == [("sale-not-below-price", "S1", "sale_price")]
    assert report.channels["google"].excluded == 1


def test_google_and_meta_one_sided_sale_windows_do_not_follow_the_run_clock(tmp_path):
    """Google and Meta send sale_price_effective_date only for a sale with a window; its open
    side gets the same fixed date as Amazon's, so the feeds do not change from night to night."""
    cfg = _sales_project(tmp_path / "shop")
    text = cfg.read_text().replace("[channels.amazon]", '[channels.google]\nformats = ["tsv"]\n\n[channels.meta]\n\n'
                                   "[channels.amazon]")
    cfg.write_text(text)
    for n, when in enumerate((NOW, NOW + timedelta(days=1))):
        feedsync.build(cfg, tmp_path / f"out{n}", now=when)
    for name in ("google/products.tsv", "meta/products.csv"):
        assert (tmp_path / "out0" / name).read_bytes() == (tmp_path / "out1" / name).read_bytes(), name
    rows = list(csv.DictReader((tmp_path / "out0" / "google" / "products.tsv").open(), delimiter="\t"))
    dates = {r["id"]: r["sale_price_effective_date"] for r in rows}
    assert dates["OPEN"] == ""  # no window at all: the sale simply applies
    assert dates["FROM"] == "2024-06-01T00:00+00:00/2099-12-31T00:00+00:00"
    assert dates["UNTIL"] == "2000-01-01T00:00+00:00/2027-01-31T00:00+00:00"


def test_each_additional_image_link_must_be_a_url(tmp_path):
    header = "id,title,description,link,image_link,brand,gtin,price,quantity,additional_image_links"
    img = "https://cdn.example.com/x.jpg"
    lines = [
        product("A1") + f",{img}|{img}",
        product("B2") + f",{img}|not a url",
        product("C3") + f",{img}||{img}",  # an empty item is not a link either
        product("D4") + ",",
    ]
    cfg = write_project(tmp_path, "\n".join([header, *lines]) + "\n")
    report = feedsync.build(cfg, tmp_path / "out", now=NOW).report
    bad = sorted((i.sku, i.row) for i in report.issue_list() if (i.code, i.field) == ("invalid-url", "additional_image_links"))
    assert bad == [("B2", 2), ("C3", 3)]
