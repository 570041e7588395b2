"""WooCommerce product CSV export (the built-in exporter) -> raw catalog.

One row per product or variation. Variable products are parents; their variations name them
in Parent (by SKU, or `id:123` by WooCommerce ID) and take what they leave empty from them.
Grouped products only bundle other products and are left out with a warning.

The export is converted whole, not streamed like a Shopify export: a variation may come before
or far after its parent and takes what it leaves empty from it, so no run of rows stands alone.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from feedsync.catalog import clean_text
from feedsync.columns import ROW
from feedsync.text import (
    attribute_columns,
    column_reader,
    header_key,
    html_to_text,
    inherit,
    iso_date_text,
    match_headers,
    remove_item,
    require_columns,
    text_frame,
)
from feedsync.validation.issues import concat_issues, issues_where

FORMAT = "woocommerce"

REQUIRED = ("Type", "SKU", "Name", "Regular price")
HINT = (
    "Export from WooCommerce (Products > Export) with all columns and 'Export custom meta' as needed; "
    "the exporter's English column names are expected."
)
GTIN = "GTIN, UPC, EAN, or ISBN"
KNOWN = (
    "ID",
    "Type",
    "SKU",
    GTIN,
    "Name",
    "Published",
    "Short description",
    "Description",
    "Date sale price starts",
    "Date sale price ends",
    "In stock?",
    "Stock",
    "Sale price",
    "Regular price",
    "Categories",
    "Images",
    "Parent",
    "External URL",
    "Brands",
)
_ATTRIBUTE = re.compile(r"^Attribute (\d+) (name|value\(s\)|visible|global|default)$", re.IGNORECASE)
_WEIGHT = re.compile(r"^Weight \((\w+)\)$", re.IGNORECASE)
WEIGHT_UNITS = {"kg": "kg", "g": "g", "lbs": "lb", "lb": "lb", "oz": "oz"}
IN_STOCK = {"1": "in_stock", "0": "out_of_stock", "backorder": "backorder", "onbackorder": "backorder"}
PUBLISHED = {"1": "active", "0": "draft", "-1": "private"}
# What a variation leaves empty comes from its variable parent, as WooCommerce shows it.
INHERITED = (
    "title",
    "description",
    "brand",
    "product_type",
    "shipping_weight",
    "shipping_weight_unit",
)


def detect(columns: list[str]) -> bool:
    names = {header_key(c) for c in columns}
    return {"type", "sku", "name", "regular price"} <= names and (
        "parent" in names or "in stock?" in names or "published" in names
    )


def to_canonical(raw: pd.DataFrame, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    attribute_cols = [c for c in raw.columns if _ATTRIBUTE.match(str(c).strip())]
    weight_cols = [c for c in raw.columns if _WEIGHT.match(str(c).strip())]
    raw = match_headers(raw, [*KNOWN, *(" ".join(str(c).split()) for c in attribute_cols)])
    require_columns(raw, REQUIRED, kind="WooCommerce product", path=getattr(cfg, "path", None), hint=HINT)
    raw = raw.reset_index(drop=True)

    text = column_reader(raw)

    kind = text("Type").str.lower().fillna("simple")
    woo_id, sku = text("ID"), text("SKU")
    ids = sku.fillna(woo_id)  # products without a SKU are known by their WooCommerce ID
    grouped = kind.str.contains("grouped", regex=False)
    issues = [
        issues_where(
            pd.DataFrame({ROW: raw[ROW], "id": ids, "Type": text("Type")}),
            grouped,
            code="grouped-product-skipped",
            field="Type",
            message="Grouped product: it only bundles other products, which are listed on their own.",
        )
    ]
    variation = kind.str.contains("variation", regex=False)
    variable = kind.str.contains("variable", regex=False) & ~variation

    out = pd.DataFrame(index=raw.index)
    out["id"] = ids
    parent_pos, out["item_group_id"], parent_woo_id = _parents(text("Parent"), woo_id, sku, ids, variation)
    out["title"] = text("Name")
    description = text("Description", clean=False).str.replace(
        "\\n", "\n", regex=False
    )  # the exporter escapes newlines
    short = text("Short description", clean=False).str.replace("\\n", "\n", regex=False)
    out["description"] = html_to_text(description).fillna(html_to_text(short))
    out["brand"] = _first_item(text("Brands"))
    out["gtin"] = text(GTIN)
    out["price"] = text("Regular price")
    out["sale_price"] = text("Sale price")
    out["sale_price_start"] = iso_date_text(text("Date sale price starts"))
    out["sale_price_end"] = iso_date_text(text("Date sale price ends"))
    out["quantity"] = text("Stock")
    stock = text("In stock?")
    out["availability"] = stock.str.lower().map(IN_STOCK).astype("str").fillna(stock)
    out["status"] = text("Published").map(PUBLISHED).astype("str")
    out["product_type"] = _first_category(text("Categories"))
    if weight_cols:
        weight = _WEIGHT.match(weight_cols[0].strip())
        assert weight is not None  # weight_cols holds only the headers this pattern matched
        unit = WEIGHT_UNITS.get(weight.group(1).lower())
        out["shipping_weight"] = text(weight_cols[0])
        out["shipping_weight_unit"] = pd.Series(unit, index=raw.index, dtype="str").where(
            out["shipping_weight"].notna()
        )

    numbers = sorted({int(m.group(1)) for c in attribute_cols if (m := _ATTRIBUTE.match(" ".join(c.split())))})
    pairs = [(text(f"Attribute {n} name"), text(f"Attribute {n} value(s)")) for n in numbers]
    attrs = attribute_columns(pairs, reserved=raw.columns)
    for col, values in attrs.items():
        # A variable product lists every value its variations choose from ("S, M, L"):
        # that describes no single item, so variations must not inherit it.
        out[col] = values.mask(variable & values.str.contains(",", regex=False).fillna(False))
    if "brand" in attrs:  # an attribute called Brand, for shops without the Brands taxonomy
        out["brand"] = out["brand"].fillna(attrs.pop("brand"))

    all_images = clean_text(text("Images").str.replace(r"[ \t]*,[ \t]*", "|", regex=True).str.strip("|"))
    own_image = _first_item(all_images, "|")
    out["image_link"] = own_image
    out["additional_image_links"] = remove_item(all_images, own_image)

    # Variations: empty fields from the parent; images fall back to the parent's, and the
    # parent's gallery (less the variation's own picture) becomes the additional images.
    is_child = (variation & (parent_pos >= 0)).to_numpy()
    source = np.where(is_child, parent_pos, -1)
    parent_all = all_images.take(np.where(is_child, source, 0)).where(is_child).set_axis(out.index)
    inherit(out, source, [*INHERITED, *(c for c in attrs if c not in ("size", "color"))])
    inherit(out, source, ["image_link"])
    out["additional_image_links"] = out["additional_image_links"].fillna(
        remove_item(parent_all, out["image_link"]).where(variation)
    )

    external = kind.str.contains("external", regex=False)
    store = (getattr(cfg, "store_url", None) or "").rstrip("/")
    out["link"] = text("External URL").where(external)
    if store:
        page_id = parent_woo_id.where(variation, woo_id)  # a variation has no page of its own
        out["link"] = out["link"].fillna(store + "/?p=" + page_id)

    consumed = {*KNOWN, *attribute_cols, *weight_cols}
    for col in raw.columns:
        if col not in consumed and col != ROW and col not in out:
            out[col] = raw[col]
    keep = ~grouped.to_numpy()
    return text_frame(out[keep], raw[ROW][keep]), concat_issues(issues)


def _parents(
    ref: pd.Series, woo_id: pd.Series, sku: pd.Series, ids: pd.Series, variation: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """For each variation: its parent's position (-1 if not in the file), item_group_id, WooCommerce ID.

    Parent holds the parent's SKU, or `id:123` for its WooCommerce ID.
    """
    ref = ref.where(variation)
    by_id = ref.str.lower().str.startswith("id:").fillna(False).astype(bool)
    ref_id = ref.str.slice(3).str.strip().where(by_id)
    ref_sku = ref.where(~by_id)
    positions = pd.Series(np.arange(len(ids)), index=ids.index)
    pos_by_id = positions[woo_id.notna()].set_axis(woo_id.dropna()).groupby(level=0).first()
    pos_by_sku = positions[sku.notna()].set_axis(sku.dropna()).groupby(level=0).first()
    pos = ref_id.map(pos_by_id).fillna(ref_sku.map(pos_by_sku))
    pos = pos.fillna(-1).astype("int64")
    found = pos >= 0
    at = np.where(found, pos, 0)
    group = ids.take(at).where(found.to_numpy()).set_axis(ids.index).fillna(ref_id).fillna(ref_sku)
    parent_woo = woo_id.take(at).where(found.to_numpy()).set_axis(ids.index).fillna(ref_id)
    return pos, group, parent_woo


def _first_item(values: pd.Series, sep: str = ",") -> pd.Series:
    return clean_text(values.str.replace(f"(?s){re.escape(sep)}.*", "", regex=True))


def _first_category(categories: pd.Series) -> pd.Series:
    """First of the comma-separated category paths ('Clothing > Hoodies, Sale'); '\\,' is a comma in a name."""
    first = _first_item(categories.str.replace("\\,", "\ue000", regex=False))
    return first.str.replace(r"[ \t]*>[ \t]*", " > ", regex=True).str.replace("\ue000", ",", regex=False)
