from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources import read_catalog, woocommerce

EXPORT = Path(__file__).parent / "data" / "platforms" / "woocommerce_products.csv"
UPLOADS = "https://woo.example.com/wp-content/uploads/2026/01/"


def read_export(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    raw.insert(0, "_row", pd.array(range(1, len(raw) + 1), dtype="Int64"))
    return raw


@pytest.fixture(scope="module")
def converted() -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = CatalogConfig(path=EXPORT, format="woocommerce", store_url="https://woo.example.com/")
    return woocommerce.to_canonical(read_export(EXPORT), cfg)


def frame_of(catalog) -> pd.DataFrame:
    return pd.concat(list(catalog.batches(100_000)))


def row(frame: pd.DataFrame, sku: str) -> dict:
    hit = frame[frame["id"] == sku]
    assert len(hit) == 1, f"{sku}: {len(hit)} rows"
    return {k: (None if pd.isna(v) else v) for k, v in hit.iloc[0].items()}


def test_detect_recognises_the_exporter_header():
    assert woocommerce.detect(list(read_export(EXPORT).columns))
    assert not woocommerce.detect(["Handle", "Title", "Variant SKU", "Variant Price"])
    assert not woocommerce.detect(["sku", "name", "price", "type"])


def test_simple_product_on_sale_with_window(converted):
    out, _ = converted
    r = row(out, "woo-beanie")
    assert r["item_group_id"] is None
    assert (r["price"], r["sale_price"]) == ("20", "18")
    assert (r["sale_price_start"], r["sale_price_end"]) == ("2026-11-27", "2026-12-01T23:59:59")
    assert r["description"] == "Pellentesque habitant morbi.\nWarm & soft."  # exporter's \n unescaped
    assert r["gtin"] == "4006381333931"
    assert (r["availability"], r["quantity"]) == ("in_stock", "12")
    assert (r["shipping_weight"], r["shipping_weight_unit"]) == ("0.2", "kg")
    assert r["product_type"] == "Clothing > Accessories"  # first of the category paths
    assert r["brand"] == "Woo Apparel"
    assert (r["color"], r["material"]) == ("Red", "Wool")
    assert r["image_link"] == UPLOADS + "beanie-2.jpg"
    assert r["additional_image_links"] == UPLOADS + "beanie-back.jpg"
    assert r["link"] == "https://woo.example.com/?p=15"
    assert r["status"] == "active"
    assert r["Tags"] == "warm"
    assert r["_row"] == 1


def test_variable_parent_lists_no_single_value_of_its_variation_attributes(converted):
    out, _ = converted
    parent = row(out, "woo-hoodie")
    assert parent["item_group_id"] is None and parent["price"] is None
    assert parent["color"] is None and parent["logo"] is None  # "Blue, Green" / "Yes, No"
    assert parent["material"] == "Cotton"
    assert parent["image_link"] == UPLOADS + "hoodie-2.jpg"


def test_variations_reference_parent_by_id_or_sku_and_inherit_what_they_leave_empty(converted):
    out, _ = converted
    blue = row(out, "woo-hoodie-blue-logo")
    assert blue["item_group_id"] == "woo-hoodie"  # Parent was id:20
    assert (blue["color"], blue["logo"], blue["material"]) == ("Blue", "Yes", "Cotton")
    assert blue["title"] == "Hoodie - Blue, Yes"
    assert blue["description"] == "Pellentesque habitant morbi tristique."
    assert (blue["brand"], blue["product_type"]) == ("Woo Apparel", "Clothing > Hoodies")
    assert (blue["price"], blue["sale_price"], blue["quantity"]) == ("45", "42", "5")
    assert (blue["shipping_weight"], blue["shipping_weight_unit"]) == ("0.5", "kg")
    assert blue["image_link"] == UPLOADS + "hoodie-blue-1.jpg"
    assert blue["additional_image_links"] == f"{UPLOADS}hoodie-2.jpg|{UPLOADS}hoodie-green-1.jpg"
    assert blue["link"] == "https://woo.example.com/?p=20"  # variations have no page of their own

    green = row(out, "22")  # no SKU: known by its WooCommerce ID
    assert green["item_group_id"] == "woo-hoodie"  # Parent was the SKU
    assert green["title"] == "Hoodie"
    assert (green["availability"], green["quantity"], green["status"]) == ("out_of_stock", "0", "draft")
    assert green["shipping_weight"] == "0.45"  # its own weight wins
    assert green["image_link"] == UPLOADS + "hoodie-2.jpg"
    assert green["additional_image_links"] == f"{UPLOADS}hoodie-blue-1.jpg|{UPLOADS}hoodie-green-1.jpg"


def test_variation_whose_parent_is_missing_keeps_the_reference(converted):
    out, _ = converted
    orphan = row(out, "woo-orphan-variation")
    assert orphan["item_group_id"] == "999"  # the pipeline reports missing-variant-parent
    assert orphan["description"] is None


def test_grouped_product_is_dropped_with_a_warning(converted):
    out, issues = converted
    assert "woo-logo-collection" not in set(out["id"])
    assert len(out) == 8
    (issue,) = issues.itertuples()
    assert (issue.code, issue.severity, issue.row, issue.sku) == (
        "grouped-product-skipped",
        "warning",
        6,
        "woo-logo-collection",
    )


def test_external_product_links_to_its_external_url(converted):
    out, _ = converted
    assert row(out, "woo-pennant")["link"] == "https://mercantile.wordpress.org/product/wordpress-pennant/"


def test_junk_values_pass_through_for_the_normaliser_to_report(converted):
    out, _ = converted
    album = row(out, "woo-album")
    assert (album["price"], album["sale_price_start"], album["availability"]) == (
        "fifteen",
        "not a date",
        "backorder",
    )
    assert album["description"] == "Lorem & ipsum"  # falls back to the short description
    assert album["product_type"] == "Music, Film > Albums"  # '\,' is a comma inside a name
    card = row(out, "42")
    assert (card["availability"], card["status"]) == ("maybe", "private")


def test_missing_columns_raise_source_error():
    with pytest.raises(SourceError) as err:
        woocommerce.to_canonical(
            read_export(EXPORT).drop(columns=["Regular price"]), CatalogConfig(path=EXPORT)
        )
    assert "woocommerce_products.csv" in str(err.value) and "'Regular price'" in str(err.value)


def test_read_catalog_detects_the_export_with_its_byte_order_mark():
    catalog = read_catalog(CatalogConfig(path=EXPORT))
    assert catalog.format == "woocommerce"
    assert row(frame_of(catalog), "woo-hoodie-blue-logo")["item_group_id"] == "woo-hoodie"
    assert "link" not in frame_of(catalog) or row(frame_of(catalog), "woo-beanie")["link"] is None
