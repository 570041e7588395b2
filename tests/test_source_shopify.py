from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import NOW

from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources import RawCatalog, read_catalog, shopify
from feedsync.sources.delimited import open_delimited

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


# ---------------------------------------------------------------------------------------------
# Streaming: a first pass over a few columns, then whole products a chunk at a time


def shopify_export(products: int, seed: int) -> pd.DataFrame:
    """A synthetic export in the fixture's layout: products of 1-4 variants with assorted options
    (some the Google Shopping columns also fill), image-only rows, rows without a Handle, and junk."""
    rng = np.random.default_rng(seed)
    header = list(read_export(EXPORT).columns[1:])
    option_sets = [("Size",), ("Size", "Color"), ("Flavor",), ("Gender", "Size"), ("Title",), ("Material", "Colour")]
    values = {"Size": "SML", "Color": ["Red", "Navy"], "Colour": ["Teal"], "Flavor": ["Sweet", "Sour"],
              "Gender": ["female", "male"], "Material": ["Wool", "Cotton"], "Title": ["Default Title"]}
    rows = []
    for p in range(products):
        names = option_sets[rng.integers(len(option_sets))]
        variants = 1 if names == ("Title",) else int(rng.integers(1, 5))
        for v in range(variants + int(rng.integers(0, 3))):  # the rows past the variants carry only an image
            r = dict.fromkeys(header, "")
            r["Handle"] = f"product-{p}"
            r["Image Src"] = f"https://cdn.example.com/{p}-{v}.jpg"
            r["Image Position"] = str(int(rng.integers(1, 6)))
            if v == 0:
                r.update({"Title": f"Product {p}", "Body (HTML)": f"<p>About &amp; {p}</p>", "Vendor": "Acme",
                          "Status": "active", "Google Shopping / Gender": "unisex" if p % 3 == 0 else ""})
                for i, name in enumerate(names, 1):
                    r[f"Option{i} Name"] = name
            if v < variants:
                for i, name in enumerate(names, 1):
                    r[f"Option{i} Value"] = values[name][v % len(values[name])] + ("" if i < len(names) else str(v))
                r["Variant SKU"] = "" if rng.random() < 0.05 else f"SKU-{p}-{v}"
                r["Variant Price"] = "12.50"
                r["Variant Compare At Price"] = rng.choice(["", "15.00", "twenty"], p=[0.6, 0.35, 0.05])
                r["Variant Grams"] = rng.choice(["250", "0", "heavy"], p=[0.8, 0.15, 0.05])
                r["Variant Inventory Tracker"] = "shopify"
                r["Variant Inventory Qty"] = str(v)
            rows.append(r)
        if rng.random() < 0.05:
            rows.append(dict(dict.fromkeys(header, ""), Title="Orphan", **{"Variant SKU": f"ORPHAN-{p}"}))
    return pd.DataFrame(rows, columns=header)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shopify") / "products_export.csv"
    shopify_export(80, seed=5).to_csv(path, index=False)
    return path


def streamed(path: Path, **kw):
    cfg = CatalogConfig(path=path, format="shopify", store_url="https://shop.example.com", **kw)
    return read_catalog(cfg), shopify.to_canonical(read_export(path), cfg)


@pytest.mark.parametrize(
    ("export", "size"),
    [("fixture", 1), ("fixture", 2), ("fixture", 3), ("fixture", 5), ("fixture", 100_000),
     ("generated", 9), ("generated", 40), ("generated", 100_000)],
)
def test_streamed_batches_equal_the_whole_export_converted_at_once(export, size, generated):
    """Batches of a few rows cut products apart; the carried rows make every chunk whole products."""
    path = EXPORT if export == "fixture" else generated
    catalog, (whole, issues) = streamed(path)
    assert shopify.scan(open_delimited(path), CatalogConfig(path=path)) is not None  # streamed, not in memory
    parts = list(catalog.batches(size))
    if size < 50:
        assert len(parts) > 1
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    assert catalog.rows == len(whole)
    pd.testing.assert_frame_equal(catalog.issues, issues)


@pytest.mark.parametrize("export", ["fixture", "generated"])
def test_first_pass_keys_are_the_batches_keys_row_for_row(export, generated):
    path = EXPORT if export == "fixture" else generated
    catalog, (whole, _) = streamed(path)
    pd.testing.assert_frame_equal(catalog.keys, RawCatalog.in_memory(whole, source="", format="").keys)
    from_batches = pd.concat(list(catalog.batches(25)), ignore_index=True)
    pd.testing.assert_frame_equal(catalog.keys, RawCatalog.in_memory(from_batches, source="", format="").keys)


def test_a_parent_comes_before_its_variants_in_source_order(converted):
    out, _ = converted
    assert list(out["id"].fillna("-")) == [
        "classic-hoodie", "HOOD-S-NVY", "HOOD-M-NVY", "HOOD-L-NVY", "TOTE-1", "mystery-box", "BOX-SWEET", "-"
    ]


def test_an_option_column_does_not_blank_other_products_values(generated):
    """Gender comes from an option on some products and from Google Shopping on others."""
    _, (whole, _) = streamed(generated)
    raw = read_export(generated)
    plain = raw.loc[raw["Google Shopping / Gender"].eq("unisex") & raw["Option2 Name"].eq(""), "Handle"]
    has = whole["Handle"].isin(plain) & whole["item_group_id"].notna()
    assert has.any() and whole.loc[has, "gender"].eq("unisex").all()
    assert set(whole["gender"].dropna()) == {"unisex", "female", "male"}


def test_an_export_whose_products_are_not_grouped_is_converted_whole(tmp_path):
    raw = pd.read_csv(EXPORT, dtype="str", keep_default_na=False)
    path = tmp_path / "products_export.csv"
    raw.iloc[[0, 4, 1, 2, 3, 5, 6, 7]].to_csv(path, index=False)  # the tote between hoodie rows
    assert shopify.scan(open_delimited(path), CatalogConfig(path=path)) is None
    catalog, (whole, issues) = streamed(path)
    pd.testing.assert_frame_equal(pd.concat(list(catalog.batches(2)), ignore_index=True), whole)
    assert row(whole, "HOOD-M-NVY")["title"] == "Classic Hoodie"
    pd.testing.assert_frame_equal(catalog.issues, issues)  # nothing reported about the order


def test_a_pass_through_column_named_like_a_key_is_converted_whole(tmp_path):
    raw = pd.read_csv(EXPORT, dtype="str", keep_default_na=False).assign(color="")
    path = tmp_path / "products_export.csv"
    raw.to_csv(path, index=False)
    assert shopify.scan(open_delimited(path), CatalogConfig(path=path)) is None
    assert row(frame_of(read_catalog(CatalogConfig(path=path))), "HOOD-S-NVY")["color"] == "Navy"


def test_renamed_columns_apply_to_every_streamed_batch(generated):
    catalog, _ = streamed(generated, columns={"Handle": "handle", "flavor": "taste"})
    parts = list(catalog.batches(60))
    assert len(parts) > 1 and all("handle" in p and "taste" in p and "Handle" not in p for p in parts)
    with pytest.raises(SourceError, match="'nope'"):
        streamed(generated, columns={"nope": "x"})


def test_a_streamed_build_does_not_depend_on_the_batch_size(tmp_path):
    import feedsync

    export = tmp_path / "products_export.csv"
    shopify_export(25, seed=11).to_csv(export, index=False)

    def build(name: str, batch: int) -> dict:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "products_export.csv").write_bytes(export.read_bytes())
        (folder / "feedsync.toml").write_text(
            '[catalog]\npath = "products_export.csv"\nstore_url = "https://shop.example.com"\n'
            f'[output]\nbatch_size = {batch}\n[channels.google]\n[channels.meta]\n'
            '[channels.amazon]\nseller_id = "A2NWEXAMPLE01"\n'
        )
        result = feedsync.build(folder / "feedsync.toml", folder / "out", now=NOW)
        return {f["path"]: f["sha256"] for f in result.manifest["feeds"]} | {"report": result.report.to_dict()["summary"]}

    assert build("small", 20) == build("large", 50_000)
