"""Magento 2 catalog product export (System > Data Transfer > Export) -> raw catalog.

Only rows with an empty store_view_code hold a product's default values; the others are
store-view overrides and are not products. Configurable products are parents: their
configurable_variations name the simple children (`sku=MH01-XS-Black,size=XS,color=Black|...`),
which become variants with item_group_id = the parent's sku and take what they leave empty
(description, category, material ...) from it. Attributes beyond the fixed columns come from
additional_attributes (`size=XS,color=Black,...`).

The export is converted whole, not streamed like a Shopify export: a parent may come after its
children, and a child takes its parent's values and options, so no run of rows stands alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from feedsync.catalog import clean_text
from feedsync.columns import CANONICAL, ROW
from feedsync.text import (
    column_name,
    column_reader,
    header_key,
    html_to_text,
    inherit,
    iso_date_text,
    map_items,
    match_headers,
    remove_item,
    require_columns,
    split_items,
    text_frame,
    unescape_entities,
)
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import arrow, to_number

FORMAT = "magento"

REQUIRED = ("sku", "product_type", "name", "price")
HINT = (
    "Export from Magento admin (System > Data Transfer > Export, entity type Products, CSV) "
    "without excluding these attributes."
)
KNOWN = (
    "sku",
    "store_view_code",
    "product_type",
    "categories",
    "name",
    "description",
    "short_description",
    "weight",
    "product_online",
    "visibility",
    "price",
    "special_price",
    "special_price_from_date",
    "special_price_to_date",
    "url_key",
    "base_image",
    "additional_images",
    "additional_attributes",
    "qty",
    "is_in_stock",
    "manage_stock",
    "use_config_manage_stock",
    "configurable_variations",
)
# Attribute codes Magento shops commonly use for identifiers and brand.
ATTRIBUTE_ALIASES = {
    "manufacturer": "brand",
    "brand": "brand",
    "gtin": "gtin",
    "ean": "gtin",
    "upc": "gtin",
    "mpn": "mpn",
}
# Children keep their own size and color; everything else they leave empty comes from the parent.
NOT_INHERITED = {
    "id",
    "item_group_id",
    "size",
    "color",
    "price",
    "sale_price",
    "sale_price_start",
    "sale_price_end",
}
# Canonical attributes that may hold several values; feeds separate them with '/'.
MULTI_VALUED = ("color", "material", "pattern")
IN_STOCK = {"1": "in_stock", "0": "out_of_stock"}
ONLINE = {"1": "active", "2": "disabled"}
NOT_VISIBLE = "not visible individually"


def detect(columns: list[str]) -> bool:
    names = {header_key(c) for c in columns}
    return {"sku", "store_view_code", "product_type", "attribute_set_code"} <= names


def to_canonical(raw: pd.DataFrame, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = match_headers(raw, KNOWN)
    require_columns(raw, REQUIRED, kind="Magento product", path=getattr(cfg, "path", None), hint=HINT)
    if "store_view_code" in raw:
        raw = raw[~clean_text(raw["store_view_code"]).notna().to_numpy()]
    raw = raw.reset_index(drop=True)

    text = column_reader(raw)

    kind = text("product_type").str.lower()
    sku = text("sku")
    grouped = (kind == "grouped").fillna(False).astype(bool)
    issues = [
        issues_where(
            pd.DataFrame({ROW: raw[ROW], "id": sku, "product_type": kind}),
            grouped,
            code="grouped-product-skipped",
            field="product_type",
            message="Grouped product: it only bundles other products, which are listed on their own.",
        )
    ]
    configurable = (kind == "configurable").fillna(False).astype(bool)

    out = pd.DataFrame(index=raw.index)
    out["id"] = sku
    out["title"] = text("name")
    out["description"] = html_to_text(text("description", clean=False)).fillna(
        html_to_text(text("short_description", clean=False))
    )
    out["product_type"] = _deepest_category(text("categories"))
    out["price"] = text("price").where(~configurable)
    out["quantity"] = text("qty").str.replace(r"\.0+$", "", regex=True).where(~configurable)
    unmanaged = text("use_config_manage_stock").eq("0") & text("manage_stock").eq("0")
    out["quantity"] = out["quantity"].where(~unmanaged.fillna(False))  # Magento does not count its stock
    stock = text("is_in_stock")
    # "Out of stock" in Magento means not for sale, whatever qty says.
    out["quantity"] = out["quantity"].mask(stock.eq("0").fillna(False) & out["quantity"].notna(), "0")
    out["availability"] = stock.map(IN_STOCK).astype("str").fillna(stock).where(~configurable)
    out["status"] = text("product_online").map(ONLINE).astype("str")
    out["shipping_weight"] = text("weight").where(~configurable)
    unit = getattr(cfg, "weight_unit", None)
    if unit:
        out["shipping_weight_unit"] = pd.Series(unit, index=raw.index, dtype="str").where(
            out["shipping_weight"].notna()
        )

    sale, sale_issues = _special_price(text, sku, raw[ROW], configurable)
    issues.append(sale_issues)
    out = out.assign(**sale)

    taken = set(CANONICAL) | set(raw.columns) | set(out.columns)
    for col, values in _attribute_columns(text("additional_attributes"), taken).items():
        out[col] = values if col not in out else out[col].fillna(values)

    _images(out, text("base_image"), text("additional_images"), getattr(cfg, "media_base_url", None))

    # Children: the simple products a configurable names in configurable_variations.
    child_parent, variation_attrs = _variations(text("configurable_variations"), sku, configurable)
    positions = pd.Series(np.arange(len(sku)), index=sku.index)
    first_of_sku = positions[sku.notna() & ~sku.duplicated()].set_axis(sku[sku.notna() & ~sku.duplicated()])
    parent_pos = sku.map(child_parent).map(first_of_sku).where(~configurable)
    source = parent_pos.fillna(-1).astype("int64").to_numpy()
    is_child = source >= 0
    out["item_group_id"] = sku.take(np.where(is_child, source, 0)).where(is_child).set_axis(out.index)
    for col, values in variation_attrs.items():
        name = ATTRIBUTE_ALIASES.get(col) or column_name(col, taken)
        if name:
            fallback = sku.map(values).astype("str")
            out[name] = out[name].fillna(fallback) if name in out else fallback

    url_key = text("url_key").fillna(_url_key_from_name(out["title"]))
    store = (getattr(cfg, "store_url", None) or "").rstrip("/")
    if store:
        out["link"] = store + "/" + url_key + ".html"
    inherit(out, source, [c for c in out.columns if c not in NOT_INHERITED and c != "link"])
    if store:
        # A child that is not visible on its own has no page: it is sold on its parent's.
        hidden = text("visibility").str.lower().eq(NOT_VISIBLE).fillna(False).to_numpy()
        parent_link = out["link"].take(np.where(is_child, source, 0)).set_axis(out.index)
        out["link"] = parent_link.where(is_child & hidden, out["link"])

    consumed = set(KNOWN)
    for col in raw.columns:
        if col not in consumed and col != ROW and col not in out:
            out[col] = raw[col]
    keep = ~grouped.to_numpy()
    return text_frame(out[keep], raw[ROW][keep]), concat_issues(issues)


def _key_values(cells: pd.Series) -> pd.DataFrame:
    """Long (row, key, value) from cells like 'size=XS,color=Black,climate=Cool|Warm'.

    Pairs are split only at a comma followed by `code=`, so values may hold commas.
    """
    marked = cells.str.replace(r",([A-Za-z0-9_]+)=", "\ue000\\1=", regex=True)
    items, owner = split_items(marked, "\ue000")
    pair = pc.extract_regex(arrow(items), r"(?s)^(?P<key>[^=]*)=(?P<value>.*)$")
    long = pd.DataFrame(
        {
            "row": owner,
            "key": pd.Series(pc.struct_field(pair, "key"), dtype="str").str.strip().str.lower(),
            "value": clean_text(pd.Series(pc.struct_field(pair, "value"), dtype="str")),
        }
    )
    return long.dropna().drop_duplicates(["row", "key"])


def _wide(long: pd.DataFrame, n: int) -> dict[str, pd.Series]:
    """One column per key, aligned with positions 0..n-1."""
    out = {}
    for key, part in long.groupby("key", sort=False):
        out[key] = pd.Series(part["value"].to_numpy(), index=part["row"].to_numpy(), dtype="str").reindex(range(n))
    return out


def _attribute_columns(cells: pd.Series, taken: set[str]) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    if not cells.notna().any():
        return out
    for key, values in _wide(_key_values(cells), len(cells)).items():
        name = ATTRIBUTE_ALIASES.get(key) or column_name(key, taken)
        if name:
            values = unescape_entities(values.set_axis(cells.index))  # option labels like "Cocona&reg;"
            if name in MULTI_VALUED:
                values = values.str.replace("|", "/", regex=False)  # Magento's multiselect separator
            out[name] = out[name].fillna(values) if name in out else values
    return out


def _variations(cells: pd.Series, sku: pd.Series, configurable: pd.Series) -> tuple[pd.Series, dict]:
    """child sku -> parent sku, and child sku -> value for each attribute the parent varies by."""
    cells = cells.where(configurable)
    if not cells.notna().any():
        return pd.Series(dtype="str"), {}
    items, owner = split_items(cells, "|")
    long = _key_values(items)
    child = long[long["key"] == "sku"].set_index("row")["value"]
    child_parent = pd.Series(sku.to_numpy()[owner[child.index.to_numpy()]], index=child.to_numpy(), dtype="str")
    child_parent = child_parent[~child_parent.index.duplicated()]
    attrs = {}
    for key, part in long[long["key"] != "sku"].groupby("key", sort=False):
        values = pd.Series(part["value"].to_numpy(), index=child.reindex(part["row"]).to_numpy(), dtype="str")
        attrs[key] = values[values.index.notna() & ~values.index.duplicated()]
    return child_parent, attrs


def _deepest_category(categories: pd.Series) -> pd.Series:
    """'Default Category/Men/Tops,Default Category/Collections' -> 'Men > Tops'.

    The deepest path wins (the first of equally deep ones); its root category is dropped.
    """
    if not categories.notna().any():
        return categories
    paths, owner = split_items(categories, ",")
    depth = pd.Series(pc.count_substring(arrow(paths), "/")).to_numpy()
    pick = pd.DataFrame({"row": owner, "depth": depth, "order": np.arange(len(owner))})
    pick = pick[pick["depth"] > 0].sort_values(["row", "depth", "order"], ascending=[True, False, True])
    pick = pick.drop_duplicates("row")
    chosen = paths.iloc[pick["order"].to_numpy()].str.replace(r"^[^/]*/", "", regex=True)
    chosen = chosen.str.replace(r"[ \t]*/[ \t]*", " > ", regex=True)
    return clean_text(
        pd.Series(chosen.to_numpy(), index=pick["row"].to_numpy(), dtype="str").reindex(range(len(categories)))
    ).set_axis(categories.index)


def _special_price(text, sku: pd.Series, rows: pd.Series, configurable: pd.Series):
    """special_price -> sale_price with its window; Magento ignores one that is not below price."""
    special, price = text("special_price"), text("price")
    ignored = (to_number(special) >= to_number(price)) & ~configurable
    issues = issues_where(
        pd.DataFrame({ROW: rows, "id": sku, "special_price": special}),
        ignored,
        code="sale-not-below-price",
        field="special_price",
        severity="warning",
        message="special_price is not below price, so Magento does not apply it; no sale price is sent.",
    )
    keep = ~ignored & ~configurable
    return {
        "sale_price": special.where(keep),
        "sale_price_start": iso_date_text(text("special_price_from_date")).where(keep),
        "sale_price_end": iso_date_text(text("special_price_to_date")).where(keep),
    }, issues


def _images(out: pd.DataFrame, base: pd.Series, additional: pd.Series, media_base_url: str | None) -> None:
    """base_image -> image_link, additional_images (comma-separated) -> the others, as URLs."""
    base = base.mask(base.eq("no_selection"))
    gallery = clean_text(additional.str.replace(r"[ \t]*,[ \t]*", "|", regex=True))
    gallery = remove_item(gallery, base)
    first = gallery.str.replace(r"(?s)\|.*", "", regex=True)
    image = base.fillna(first)
    gallery = remove_item(gallery, image)
    prefix = (media_base_url or "").rstrip("/")

    def url(path: pd.Series) -> pd.Series:
        if not prefix:
            return path
        absolute = path.str.startswith(("http://", "https://")).fillna(False)
        slash = path.str.startswith("/").fillna(False)
        return path.where(absolute, (prefix + "/" + path).where(~slash, prefix + path))

    out["image_link"] = url(image)
    out["additional_image_links"] = map_items(gallery, url) if gallery.notna().any() else gallery


def _url_key_from_name(name: pd.Series) -> pd.Series:
    """Magento's own rule when url_key is empty: the name lower-cased, non-alphanumerics as '-'."""
    return clean_text(name.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-"))
