"""Shopify product CSV export -> raw catalog.

Shopify writes one product as several rows sharing a Handle: the first carries the product's
fields with its first variant and image, later rows carry only a further variant and/or image.
Products are numbered by handle; product fields are read once per product from its first row
and broadcast to the variants, images are ordered by Image Position, and a product with more
than one variant gets a parent row (id = Handle) after all variant rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedsync.columns import ROW
from feedsync.text import (
    attribute_columns,
    column_reader,
    header_key,
    html_to_text,
    join_by,
    join_nonblank,
    match_headers,
    remove_item,
    require_columns,
    text_frame,
    to_number,
)
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import isin

FORMAT = "shopify"

REQUIRED = ("Handle", "Title", "Variant SKU", "Variant Price")
HINT = (
    "Export the products from Shopify admin (Products > Export, 'CSV for Excel, Numbers, or other "
    "spreadsheet programs') without removing columns, or set catalog.format to csv and map columns yourself."
)

_GS = "Google Shopping / "
# Columns Shopify may fill per variant as well as per product: a variant's own value wins.
GOOGLE_FIELDS = {
    _GS + "Google Product Category": "google_product_category",
    _GS + "Gender": "gender",
    _GS + "Age Group": "age_group",
    _GS + "MPN": "mpn",
    _GS + "Condition": "condition",
    **{f"{_GS}Custom Label {i}": f"custom_label_{i}" for i in range(5)},
}
PRODUCT_FIELDS = {"Title": "title", "Vendor": "brand", "Status": "status", **GOOGLE_FIELDS}
OPTIONS = [(f"Option{i} Name", f"Option{i} Value") for i in (1, 2, 3)]
IMAGE_COLUMNS = ("Image Src", "Image Position", "Image Alt Text")
VARIANT_FIELDS = (
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Barcode",
    "Variant Image",
    "Variant Weight Unit",
)
# Every column this module maps; any other column is passed through under its own name.
KNOWN = (
    "Handle",
    "Body (HTML)",
    "Product Category",
    "Type",
    *PRODUCT_FIELDS,
    *(c for pair in OPTIONS for c in pair),
    *(f"Option{i} Linked To" for i in (1, 2, 3)),
    *VARIANT_FIELDS,
    *IMAGE_COLUMNS,
)
# Columns that hold values only on variant rows (the rest describe the product).
_VARIANT_PREFIXES = ("Variant ", "Cost per item", "Price / ", "Compare At Price / ")
_VARIANT_COLUMNS = {f"Option{i} {part}" for i in (1, 2, 3) for part in ("Value", "Linked To")}

GRAMS_PER_UNIT = {"g": 1.0, "kg": 1000.0, "lb": 453.59237, "oz": 28.349523125}
UNIT_DECIMALS = {"g": 0, "kg": 3, "lb": 2, "oz": 2}


def detect(columns: list[str]) -> bool:
    names = {header_key(c) for c in columns}
    return "handle" in names and ("variant sku" in names or "variant price" in names)


def _is_variant_level(col: str) -> bool:
    return col.startswith(_VARIANT_PREFIXES) or col in _VARIANT_COLUMNS


def to_canonical(raw: pd.DataFrame, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = match_headers(raw, KNOWN)
    require_columns(raw, REQUIRED, kind="Shopify product", path=getattr(cfg, "path", None), hint=HINT)

    raw = raw.reset_index(drop=True)
    text = column_reader(raw)

    handle, sku = text("Handle"), text("Variant SKU")
    issues = [
        issues_where(
            pd.DataFrame({ROW: raw[ROW].to_numpy(), "id": sku, "Handle": handle}),
            handle.isna(),
            code="invalid-row",
            field="Handle",
            message="Row has no Handle, so it belongs to no product; it is skipped.",
        )
    ]
    # Products numbered 0..n-1 in order of appearance; each one's first row holds its fields.
    codes, handles = pd.factorize(handle)
    first_rows = np.flatnonzero((codes >= 0) & ~pd.Series(codes).duplicated().to_numpy())
    product = _product_fields(raw, first_rows, text)
    product["Handle"] = pd.Series(handles, dtype="str")
    images = _images(raw, codes, len(handles), text)

    is_variant = (codes >= 0) & (sku.notna() | text("Variant Price").notna() | text("Option1 Value").notna())
    vrows = np.flatnonzero(is_variant)
    vcodes = codes[vrows]
    variant = pd.DataFrame({c: text(c, vrows) for c in VARIANT_FIELDS})

    out = product.drop(columns=[n for n, _ in OPTIONS]).take(vcodes).reset_index(drop=True)
    for col, dest in GOOGLE_FIELDS.items():
        own = text(col, vrows)
        if own.notna().any():
            out[dest] = own.fillna(out[dest])
    out["id"] = variant["Variant SKU"]
    several = np.bincount(vcodes, minlength=len(handles)) > 1
    out["item_group_id"] = out["Handle"].where(several[vcodes])
    out["gtin"] = variant["Variant Barcode"]

    # Shopify's placeholder option of a product without variants is "Title: Default Title".
    pairs = []
    for name_col, value_col in OPTIONS:
        name = pd.Series(pd.Categorical(product[name_col]).take(vcodes))
        value = text(value_col, vrows)
        pairs.append((name, value.mask(name.str.lower().eq("title") & value.eq("Default Title"))))
    for col, values in attribute_columns(pairs, reserved=raw.columns).items():
        out[col] = values

    prices, price_issues = _prices(variant, raw[ROW].iloc[vrows])
    issues.append(price_issues)
    out["price"], out["sale_price"] = prices

    out["quantity"] = variant["Variant Inventory Qty"]
    if "Variant Inventory Tracker" in raw:
        # Untracked inventory never runs out (Shopify keeps selling): its quantity means nothing.
        untracked = variant["Variant Inventory Tracker"].isna()
        out["availability"] = pd.Series(pd.NA, index=out.index, dtype="str").where(~untracked, "in_stock")
        out["quantity"] = out["quantity"].where(~untracked)

    weight, unit, weight_issues = _weights(variant, raw[ROW].iloc[vrows])
    out["shipping_weight"], out["shipping_weight_unit"] = weight, unit
    issues.append(weight_issues)

    own = variant["Variant Image"]
    out["image_link"] = own.fillna(images["first"].take(vcodes).reset_index(drop=True))
    every = images["all"].take(vcodes).reset_index(drop=True)
    rest = images["rest"].take(vcodes).reset_index(drop=True)
    out["additional_image_links"] = rest.where(own.isna(), remove_item(every, own))

    store = (getattr(cfg, "store_url", None) or "").rstrip("/")
    if store:
        # Shopify's ?variant= expects the numeric variant ID, which the export lacks; with the
        # SKU the link stays distinct per variant and the page shows the product's default variant.
        base = store + "/products/" + out["Handle"]
        out["link"] = (base + "?variant=" + out["id"]).fillna(base)
    for col in raw.columns:
        if _is_variant_level(col) and col not in KNOWN:
            out[col] = raw[col].iloc[vrows].reset_index(drop=True)
    out[ROW] = raw[ROW].iloc[vrows].to_numpy()

    parents = product[several].drop(columns=[n for n, _ in OPTIONS])
    parents["id"] = parents["Handle"]
    parents["image_link"] = images["first"][several]
    parents["additional_image_links"] = images["rest"][several]
    if store:
        parents["link"] = store + "/products/" + parents["Handle"]
    parents[ROW] = raw[ROW].iloc[first_rows[several]].to_numpy()

    result = pd.concat([out, parents], ignore_index=True)
    return text_frame(result.drop(columns=ROW), result[ROW]), concat_issues(issues)


def _product_fields(raw: pd.DataFrame, first_rows: np.ndarray, text) -> pd.DataFrame:
    """One row per product (from its first row): canonical product fields and the product's own extras."""
    fields = {dest: text(col, first_rows) for col, dest in PRODUCT_FIELDS.items()}
    fields["description"] = html_to_text(text("Body (HTML)", first_rows, clean=False))
    fields["product_type"] = text("Type", first_rows).fillna(text("Product Category", first_rows))
    fields["status"] = fields["status"].str.lower()
    for name_col, _ in OPTIONS:
        fields[name_col] = text(name_col, first_rows)
    for col in raw.columns:
        if col not in KNOWN and col != ROW and not _is_variant_level(col):
            fields[col] = raw[col].iloc[first_rows].reset_index(drop=True)
    return pd.DataFrame(fields)


def _images(raw: pd.DataFrame, codes: np.ndarray, n: int, text) -> pd.DataFrame:
    """Per product (0..n-1): first image by Image Position, the rest joined by '|', and all."""
    img = pd.DataFrame(
        {
            "product": codes,
            "src": text("Image Src"),
            "pos": to_number(text("Image Position")),
            "order": np.arange(len(codes)),
        }
    )
    img = img[(img["product"] >= 0) & img["src"].notna()]
    img = img.sort_values(["pos", "order"], na_position="last", kind="stable")
    img = img.drop_duplicates(["product", "src"])
    rank = img.groupby("product", sort=False).cumcount()
    first = img[rank == 0].set_index("product")["src"].reindex(range(n))
    later = img[rank > 0]
    rest = join_by(later["product"], later["src"]).reindex(range(n))
    return pd.DataFrame({"first": first, "rest": rest, "all": join_nonblank([first, rest])})


def _issues_frame(variant: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    return variant.assign(id=variant["Variant SKU"], **{ROW: rows.to_numpy()})


def _prices(variant: pd.DataFrame, rows: pd.Series) -> tuple[tuple[pd.Series, pd.Series], pd.DataFrame]:
    """Compare-at above price means the product is on sale: price = compare-at, sale = price."""
    price = variant["Variant Price"]
    compare = variant["Variant Compare At Price"]
    price_num = to_number(price)
    compare_num = to_number(compare)
    on_sale = (compare_num > price_num).fillna(False).astype(bool)
    issues = issues_where(
        _issues_frame(variant, rows),
        compare.notna() & compare_num.isna(),
        code="invalid-price",
        field="Variant Compare At Price",
        severity="warning",
        message="Compare-at price is not a number; it is ignored, so no sale price is sent.",
    )
    return (compare.where(on_sale, price), price.where(on_sale)), issues


def _weights(variant: pd.DataFrame, rows: pd.Series) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Variant Grams (always grams) expressed in the variant's Variant Weight Unit."""
    grams_text = variant["Variant Grams"]
    grams = to_number(grams_text)
    unit = variant["Variant Weight Unit"].str.lower().replace({"lbs": "lb", "kgs": "kg"})
    unit = unit.where(isin(unit, GRAMS_PER_UNIT), "g")
    weight = pd.Series(np.nan, index=variant.index)
    for name, per in GRAMS_PER_UNIT.items():
        mask = unit == name
        weight[mask] = (grams[mask] / per).round(UNIT_DECIMALS[name])
    given = grams > 0  # Shopify writes 0 when no weight was entered
    shown = weight.where(given).astype("str").str.replace(r"\.0$", "", regex=True)
    issues = issues_where(
        _issues_frame(variant, rows),
        grams_text.notna() & (grams.isna() | (grams < 0)),
        code="invalid-weight",
        field="Variant Grams",
        severity="warning",
        message="Variant Grams is not a non-negative number; no shipping weight is sent.",
    )
    return shown, unit.where(given), issues
