from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources import read_catalog, shopify

DATA = Path(__file__).parent / "data" / "platforms"
EXPORT = DATA / "shopify_products.csv"
CDN = "https://cdn.shopify.com/s/files/1/0000/0001/products/"


def read_export(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype="str", keep_default_na=False)
    raw.insert(0, "_row", pd.array(range(1, len(raw) + 1), dtype="Int64"))
    return raw


@pytest.fixture(scope="module")
def converted() -> tuple[pd.DataFrame, pd.DataFrame]:
    cfg = CatalogConfig(path=EXPORT, format="shopify", store_url="https://shop.example.com/")
    return shopify.to_canonical(read_export(EXPORT), cfg)


def frame_of(catalog) -> pd.DataFrame:
    return pd.concat(list(catalog.batches(100_000)))


def row(frame: pd.DataFrame, sku: str) -> dict:
    hit = frame[frame["id"] == sku]
    assert len(hit) == 1, f"{sku}: {len(hit)} rows"
    return {k: (None if pd.isna(v) else v) for k, v in hit.iloc[0].items()}


def test_detect_recognises_the_export_header_only():
    header = list(read_export(EXPORT).columns)
    assert shopify.detect(header)
    assert shopify.detect(["\ufeffHandle", "Title", "Variant SKU"])
    assert not shopify.detect(["id", "title", "price", "handle"])
    assert not shopify.detect(["ID", "Type", "SKU", "Name", "Regular price"])


def test_variant_on_sale_takes_product_fields_and_its_own_image(converted):
    out, _ = converted
    r = row(out, "HOOD-S-NVY")
    assert r["item_group_id"] == "classic-hoodie"
    assert r["title"] == "Classic Hoodie"
    assert r["description"] == "Warm & soft fleece.\nKangaroo pocket\nBrushed inside"
    assert (r["price"], r["sale_price"]) == ("59.95", "49.95")  # compare-at above price: on sale
    assert (r["size"], r["color"]) == ("S", "Navy")
    assert r["gtin"] == "4006381333931"
    assert r["quantity"] == "12"
    assert (r["shipping_weight"], r["shipping_weight_unit"]) == ("0.5", "kg")
    assert r["brand"] == "Northwind"
    assert r["product_type"] == "Hoodies"
    assert (r["google_product_category"], r["gender"], r["age_group"]) == ("5322", "unisex", "adult")
    assert r["mpn"] == "NW-HOOD"
    assert r["custom_label_0"] == "winter"
    assert r["status"] == "active"
    assert r["image_link"] == CDN + "hoodie-navy.jpg"
    assert r["additional_image_links"] == f"{CDN}hoodie-front.jpg|{CDN}hoodie-back.jpg"
    assert r["link"] == "https://shop.example.com/products/classic-hoodie?variant=HOOD-S-NVY"
    assert r["Tags"] == "fleece, winter"  # unmapped columns stay under their own names
    assert r["Cost per item"] == "20.00"
    assert r["_row"] == 1


def test_later_variant_rows_are_filled_from_the_product(converted):
    out, _ = converted
    m = row(out, "HOOD-M-NVY")
    assert (m["title"], m["brand"], m["status"], m["_row"]) == ("Classic Hoodie", "Northwind", "active", 2)
    assert m["price"] == "49.95" and m["sale_price"] is None
    assert m["mpn"] == "NW-HOOD-M"  # a variant's own Google Shopping value wins
    # Images ordered by Image Position, not by row: front (1), back (2, on row 4), navy (3).
    assert m["image_link"] == CDN + "hoodie-front.jpg"
    assert m["additional_image_links"] == f"{CDN}hoodie-back.jpg|{CDN}hoodie-navy.jpg"
    large = row(out, "HOOD-L-NVY")
    assert large["price"] == "49.95" and large["sale_price"] is None  # compare-at equal: no sale
    assert large["quantity"] == "-2"  # oversold; the normaliser reports and clips it
    assert large["shipping_weight"] is None and large["_row"] == 3


def test_product_with_several_variants_gets_a_parent_row(converted):
    out, _ = converted
    parent = row(out, "classic-hoodie")
    assert parent["item_group_id"] is None
    assert parent["price"] is None and parent["quantity"] is None and parent["size"] is None
    assert parent["title"] == "Classic Hoodie"
    assert parent["image_link"] == CDN + "hoodie-front.jpg"
    assert parent["link"] == "https://shop.example.com/products/classic-hoodie"
    assert parent["_row"] == 1
    children = out[out["item_group_id"] == "classic-hoodie"]
    assert sorted(children["id"]) == ["HOOD-L-NVY", "HOOD-M-NVY", "HOOD-S-NVY"]
    assert out["id"].value_counts().max() == 1


def test_single_variant_product_has_no_group_and_no_default_title_option(converted):
    out, _ = converted
    tote = row(out, "TOTE-1")
    assert tote["item_group_id"] is None
    assert "canvas-tote" not in set(out["id"].dropna())
    assert not any(c.startswith("attribute_") or c == "title_" for c in out.columns)
    assert tote["product_type"] == "Apparel & Accessories > Handbags"  # Type empty: Product Category
    assert tote["price"] == "19.00" and tote["sale_price"] is None  # junk compare-at ignored
    assert (tote["shipping_weight"], tote["shipping_weight_unit"]) == ("0.44", "lb")  # 200 g
    assert tote["availability"] == "in_stock" and tote["quantity"] is None  # inventory not tracked
    assert tote["gtin"] == "012345678905"  # leading zero kept
    assert tote["status"] == "draft"


def test_other_options_become_extra_columns_and_missing_sku_stays_empty(converted):
    out, _ = converted
    sweet = row(out, "BOX-SWEET")
    assert sweet["flavor"] == "Sweet" and sweet["item_group_id"] == "mystery-box"
    assert sweet["status"] == "archived"  # kept; the pipeline decides what archived means
    assert sweet["shipping_weight"] is None  # 0 grams means no weight entered
    no_sku = out[out["id"].isna()]
    assert len(no_sku) == 1
    r = no_sku.iloc[0]
    assert (r["flavor"], r["price"], r["_row"]) == ("Sour", "not-a-price", 8)
    assert r["link"] == "https://shop.example.com/products/mystery-box"


def test_output_is_text_with_row_numbers(converted):
    out, _ = converted
    assert out["_row"].dtype == "Int64"
    assert all(out[c].dtype == "str" for c in out.columns if c != "_row")
    assert list(out.columns[:3]) == ["id", "item_group_id", "title"]
    assert "ORPHAN" not in set(out["id"].dropna())


def test_bad_values_become_issues_with_rows(converted):
    _, issues = converted
    got = {(r.code, r.row, r.sku, r.field, r.value) for r in issues.itertuples()}
    assert got == {
        ("invalid-row", 6, "ORPHAN", "Handle", ""),
        ("invalid-price", 5, "TOTE-1", "Variant Compare At Price", "twenty"),
        ("invalid-weight", 3, "HOOD-L-NVY", "Variant Grams", "heavy"),
    }
    assert set(issues["severity"]) == {"warning"}


def test_no_store_url_means_no_link():
    out, _ = shopify.to_canonical(read_export(EXPORT), CatalogConfig(path=EXPORT, format="shopify"))
    assert "link" not in out or out["link"].isna().all()


def test_missing_required_columns_raise_source_error_naming_file_and_columns():
    raw = read_export(EXPORT).drop(columns=["Variant SKU", "Variant Price"])
    with pytest.raises(SourceError) as err:
        shopify.to_canonical(raw, CatalogConfig(path=EXPORT, format="shopify"))
    text = str(err.value)
    assert "shopify_products.csv" in text and "'Variant SKU'" in text and "'Variant Price'" in text
    assert "Products > Export" in err.value.hint


def test_headers_differing_in_case_or_spaces_are_matched():
    raw = read_export(EXPORT).rename(columns={"Variant SKU": "variant  sku", "Handle": "\ufeffHandle"})
    out, _ = shopify.to_canonical(raw, CatalogConfig(path=EXPORT, format="shopify"))
    assert "HOOD-S-NVY" in set(out["id"])


def test_read_catalog_detects_a_shopify_export(tmp_path):
    catalog = read_catalog(CatalogConfig(path=EXPORT, store_url="https://shop.example.com"))
    assert catalog.format == "shopify"
    assert row(frame_of(catalog), "HOOD-S-NVY")["sale_price"] == "49.95"
    assert set(catalog.issues["code"]) == {"invalid-row", "invalid-price", "invalid-weight"}
