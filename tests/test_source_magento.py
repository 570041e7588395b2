from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources import magento, read_catalog

EXPORT = Path(__file__).parent / "data" / "platforms" / "magento_products.csv"
# Magento's sample-data export (1,994 rows, 147 configurables), shared test material: used by path.
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "catalogs" / "magento" / "products.csv"
MEDIA = "https://shop.example.com/media/catalog/product"
CFG = CatalogConfig(
    path=EXPORT, format="magento", store_url="https://shop.example.com", media_base_url=MEDIA + "/"
)


def read_export(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype="str", keep_default_na=False)
    raw.insert(0, "_row", pd.array(range(1, len(raw) + 1), dtype="Int64"))
    return raw


@pytest.fixture(scope="module")
def converted() -> tuple[pd.DataFrame, pd.DataFrame]:
    return magento.to_canonical(read_export(EXPORT), CFG)


def frame_of(catalog) -> pd.DataFrame:
    return pd.concat(list(catalog.batches(100_000)))


def row(frame: pd.DataFrame, sku: str) -> dict:
    hit = frame[frame["id"] == sku]
    assert len(hit) == 1, f"{sku}: {len(hit)} rows"
    return {k: (None if pd.isna(v) else v) for k, v in hit.iloc[0].items()}


def test_detect_recognises_the_export_header():
    assert magento.detect(list(read_export(EXPORT).columns))
    assert not magento.detect(["sku", "name", "price", "qty", "category"])  # the sample-data fixture layout


def test_store_view_rows_are_overrides_not_products(converted):
    out, _ = converted
    assert sorted(out["id"]) == ["24-MB01", "24-UG06", "WS03", "WS03-XS-Blue", "WS03-XS-Red"]
    assert row(out, "WS03-XS-Blue")["title"] == "Iris Workout Top-XS-Blue"
    assert list(out["_row"]) == [1, 2, 4, 6, 8]


def test_configurable_child_on_sale_inherits_from_its_parent(converted):
    out, _ = converted
    r = row(out, "WS03-XS-Blue")
    assert r["item_group_id"] == "WS03"
    assert (r["size"], r["color"]) == ("XS", "Blue")
    assert (r["price"], r["sale_price"]) == ("29", "24.5")
    assert (r["sale_price_start"], r["sale_price_end"]) == ("2026-11-20", "2026-12-31")
    assert r["description"] == "The Iris Workout Top is sleeveless & light.\nHeather gray.\nMoisture-wicking."
    assert (
        r["material"] == "Cocona® performance fabric/Polyester"
    )  # entity decoded, multiselect joined by '/'
    assert (r["pattern"], r["climate"], r["brand"]) == ("Solid", "Indoor|Warm", "Luma")
    assert r["product_type"] == "Women > Tops > Tees"  # deepest path, root category dropped
    assert (r["quantity"], r["availability"]) == ("100", "in_stock")  # "100.0000"
    assert r["shipping_weight"] == "1"
    assert r["image_link"] == MEDIA + "/w/s/ws03-blue_main.jpg"
    assert r["additional_image_links"] == MEDIA + "/w/s/ws03-blue_back.jpg"  # base image not repeated
    # Not visible individually: sold on the parent's page (url_key empty there: derived from the name).
    assert r["link"] == "https://shop.example.com/iris-workout-top.html"


def test_child_without_image_or_color_falls_back_to_parent_and_variation_list(converted):
    out, issues = converted
    r = row(out, "WS03-XS-Red")
    assert r["color"] == "Red"  # from the parent's configurable_variations
    assert r["image_link"] == MEDIA + "/w/s/ws03-red_main.jpg"  # base_image was no_selection
    assert (
        r["additional_image_links"]
        == f"{MEDIA}/w/s/ws03-red_alt1.jpg|https://cdn.example.com/ws03-lifestyle.jpg"
    )
    assert r["sale_price"] is None  # special_price 31 is not below 29: Magento ignores it
    assert (r["quantity"], r["availability"]) == ("0", "out_of_stock")
    hit = issues[issues["code"] == "sale-not-below-price"]
    assert list(hit["row"]) == [2] and list(hit["severity"]) == ["warning"] and list(hit["value"]) == ["31"]


def test_configurable_parent_carries_no_price_or_stock(converted):
    out, _ = converted
    p = row(out, "WS03")
    assert p["item_group_id"] is None
    assert p["price"] is None and p["quantity"] is None and p["availability"] is None
    assert p["title"] == "Iris Workout Top" and p["_row"] == 4
    assert p["link"] == "https://shop.example.com/iris-workout-top.html"


def test_simple_product_attributes_and_stock_flag(converted):
    out, _ = converted
    r = row(out, "24-MB01")
    assert r["item_group_id"] is None
    assert (r["brand"], r["gtin"], r["gender"]) == ("Joust", "4006381333931", "Unisex")  # manufacturer, ean
    assert r["activity"] == "Gym|Hiking" and r["features_bags"] == "Lightweight, waterproof"
    assert r["product_type"] == "Gear > Bags"
    assert (r["quantity"], r["availability"]) == ("0", "out_of_stock")  # is_in_stock 0 wins over qty 25
    assert r["image_link"] == MEDIA + "/m/b/mb01-blue-0.jpg"
    assert r["link"] == "https://shop.example.com/joust-duffle-bag.html"
    assert r["attribute_set_code"] == "Gear"  # unmapped columns keep their names


def test_unmanaged_stock_and_junk_values(converted):
    out, _ = converted
    r = row(out, "24-UG06")
    assert (r["quantity"], r["availability"]) == (None, "in_stock")
    assert (r["price"], r["sale_price_start"]) == ("seven", "someday")  # the normaliser reports them
    assert r["product_type"] is None  # only the root category


def test_grouped_product_dropped_with_warning(converted):
    out, issues = converted
    assert "24-WG085_Group" not in set(out["id"])
    hit = issues[issues["code"] == "grouped-product-skipped"]
    assert list(hit["row"]) == [7] and list(hit["sku"]) == ["24-WG085_Group"]


def test_weight_unit_comes_from_config_when_given():
    cfg = CatalogConfig(path=EXPORT, format="magento")
    out, _ = magento.to_canonical(read_export(EXPORT), cfg)
    assert "shipping_weight_unit" not in out
    assert "link" not in out
    assert row(out, "24-MB01")["image_link"] == "m/b/mb01-blue-0.jpg"  # no media_base_url: left as exported


def test_missing_columns_raise_source_error():
    with pytest.raises(SourceError) as err:
        magento.to_canonical(read_export(EXPORT).drop(columns=["sku"]), CFG)
    assert "magento_products.csv" in str(err.value) and "'sku'" in str(err.value)


@pytest.mark.skipif(not SAMPLE.exists(), reason=f"Magento sample export not found at {SAMPLE}")
def test_the_whole_magento_sample_converts():
    catalog = read_catalog(
        CatalogConfig(path=SAMPLE, store_url="https://shop.example.com", media_base_url=MEDIA)
    )
    out = frame_of(catalog)
    assert catalog.format == "magento"
    assert len(out) == 1994 and out["id"].is_unique
    # Independent reading of configurable_variations: every child names its parent.
    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    expected = {}
    for rec in records:
        for item in filter(None, rec["configurable_variations"].split("|")):
            expected[dict(p.split("=", 1) for p in item.split(","))["sku"]] = rec["sku"]
    assert len(expected) == 1847
    got = out.set_index("id")["item_group_id"].dropna().to_dict()
    assert got == expected
    parents = out[out["item_group_id"].isna()]
    assert len(parents) == 147 and parents["price"].isna().all()
    children = out[out["item_group_id"].notna()]
    assert (
        children["price"].notna().all() and children["size"].notna().all() and children["color"].notna().all()
    )
    assert children["link"].str.startswith("https://shop.example.com/").all()
    assert children["image_link"].str.startswith(MEDIA + "/").all()
    assert not out["description"].str.contains("<|&bull;", regex=True).any()
    assert row(out, "MH01-XS-Black")["product_type"] == "Men > Tops > Hoodies & Sweatshirts"
    assert list(out["_row"].head(2)) == [1, 2]
