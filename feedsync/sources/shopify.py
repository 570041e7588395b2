"""Shopify product CSV export -> raw catalog.

Shopify writes one product as several rows sharing a Handle: the first carries the product's
fields with its first variant and image, later rows carry only a further variant and/or image.
Products are numbered by handle; product fields are read once per product from its first row
and broadcast to the variants, images are ordered by Image Position, and a product with more
than one variant gets a parent row (id = Handle), placed before its variants.

A large export is streamed (scan() below, feedsync.sources.read_catalog): a first pass reads a
few columns for the ids, families, options and issues of the whole export, then the export is
converted a chunk of whole products at a time. That relies on Shopify writing the rows of one
Handle together; an export where they are not is converted whole instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedsync.columns import ROW, row_numbers
from feedsync.sources import KEY_COLUMNS, StreamPlan
from feedsync.sources.delimited import DelimitedFile
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
)
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import isin, to_number

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


def to_canonical(
    raw: pd.DataFrame, cfg, *, attributes: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export's rows (with ROW) as canonical rows, in the export's order: variants at their
    rows, and a product's parent (if it has several variants) just before its first row's.

    Every output row depends only on the rows of its own product, so converting whole products
    a chunk at a time gives the same rows as converting the whole export; `attributes` (the
    option columns of the whole export, from scan()) keeps the chunks' columns the same too.
    """
    raw = match_headers(raw, KNOWN)
    require_columns(raw, REQUIRED, kind="Shopify product", path=getattr(cfg, "path", None), hint=HINT)

    raw = raw.reset_index(drop=True)
    text = column_reader(raw)

    handle, sku = text("Handle"), text("Variant SKU")
    issues = [_orphan_issues(raw[ROW], handle, sku)]
    codes, handles, first_rows = _products(handle)
    product = _product_fields(raw, first_rows, text)
    product["Handle"] = pd.Series(handles, dtype="str")
    images = _images(raw, codes, len(handles), text)

    vrows = _variant_rows(codes, sku, text)
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

    found = _option_columns(product, vcodes, vrows, text, reserved=raw.columns)
    if attributes is not None:
        blank = pd.Series(pd.NA, index=out.index, dtype="str")
        found = {name: found.get(name, blank) for name in dict.fromkeys([*attributes, *found])}
    for col, values in found.items():
        # An option fills what the variant has no option for from the product's own value (the
        # Google Shopping gender, say), whatever other products' options are.
        out[col] = values.fillna(out[col]) if col in out else values

    prices = _prices(variant)
    issues.append(_price_issues(variant, raw[ROW].iloc[vrows]))
    out["price"], out["sale_price"] = prices

    out["quantity"] = variant["Variant Inventory Qty"]
    if "Variant Inventory Tracker" in raw:
        # Untracked inventory never runs out (Shopify keeps selling): its quantity means nothing.
        untracked = variant["Variant Inventory Tracker"].isna()
        out["availability"] = pd.Series(pd.NA, index=out.index, dtype="str").where(~untracked, "in_stock")
        out["quantity"] = out["quantity"].where(~untracked)

    weight, unit = _weights(variant)
    out["shipping_weight"], out["shipping_weight_unit"] = weight, unit
    issues.append(_weight_issues(variant, raw[ROW].iloc[vrows]))

    own = variant["Variant Image"]
    out["image_link"] = own.fillna(images["first"].take(vcodes).reset_index(drop=True))
    more = images["rest"].take(vcodes).reset_index(drop=True)
    has_own = own.notna().to_numpy()
    if has_own.any():  # the product's images but the variant's own
        every = images["all"].take(vcodes[has_own]).set_axis(more.index[has_own])
        more[has_own] = remove_item(every, own[has_own])
    out["additional_image_links"] = more

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
    result = result.take(_row_order(vrows, first_rows[several])).reset_index(drop=True)
    return text_frame(result.drop(columns=ROW), result[ROW]), concat_issues(issues)


# Columns the first pass of a streamed export reads: enough for ids, families, options and the
# export's issues, a fraction of the file's width.
SCAN_COLUMNS = (
    "Handle",
    "Variant SKU",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Grams",
    *(c for pair in OPTIONS for c in pair),
)


def scan(file: DelimitedFile, cfg) -> StreamPlan | None:
    """First pass for streaming (see feedsync.sources.StreamPlan): the key columns, issues and
    product boundaries of the whole export from a few of its columns.

    None when the export cannot be streamed and must be converted whole: rows of one Handle
    that are not consecutive (Shopify never writes that, a hand-sorted file may), or a column
    the export passes through under a key column's name (id, item_group_id, size, color).
    """
    names = [ROW, *file.names]
    header = match_headers(pd.DataFrame(columns=names), KNOWN)
    require_columns(header, REQUIRED, kind="Shopify product", path=getattr(cfg, "path", None), hint=HINT)
    if set(KEY_COLUMNS) & set(header.columns):
        return None
    in_file = dict(zip(header.columns, names, strict=True))
    wanted = [c for c in SCAN_COLUMNS if c in in_file]
    raw = file.read(columns=[in_file[c] for c in wanted]).to_pandas()
    raw.columns = wanted
    raw.insert(0, ROW, row_numbers(1, len(raw)))
    text = column_reader(raw)

    handle, sku = text("Handle"), text("Variant SKU")
    codes, handles, first_rows = _products(handle)
    if (np.diff(codes[codes >= 0]) < 0).any():
        return None  # a Handle's rows are split up: only the whole export shows its product
    vrows = _variant_rows(codes, sku, text)
    vcodes = codes[vrows]
    several = np.bincount(vcodes, minlength=len(handles)) > 1

    options = pd.DataFrame({n: text(n, first_rows) for n, _ in OPTIONS})
    found = _option_columns(options, vcodes, vrows, text, reserved=header.columns)
    blank = pd.Series(pd.NA, index=range(len(vrows)), dtype="str")
    variants = pd.DataFrame(
        {
            "id": sku.iloc[vrows].reset_index(drop=True),
            "item_group_id": pd.Series(handles, dtype="str").take(vcodes).where(several[vcodes]).to_numpy(),
            **{c: found.get(c, blank) for c in ("size", "color")},
        }
    )
    parents = pd.DataFrame({"id": pd.Series(handles, dtype="str")[several].to_numpy()})
    keys = pd.concat([variants, parents], ignore_index=True).reindex(columns=list(KEY_COLUMNS))
    keys = keys.take(_row_order(vrows, first_rows[several])).reset_index(drop=True)
    keys = keys.astype("str")
    for c in ("size", "color"):
        if c not in found:  # no such column in the output: as RawCatalog.in_memory has it
            keys[c] = pd.Series("", index=keys.index, dtype="str")

    variant = pd.DataFrame({c: text(c, vrows) for c in ("Variant SKU", "Variant Compare At Price", "Variant Grams")})
    rows = raw[ROW].iloc[vrows]
    issues = concat_issues(
        [_orphan_issues(raw[ROW], handle, sku), _price_issues(variant, rows), _weight_issues(variant, rows)]
    )
    attributes = list(found)

    def convert(chunk: pd.DataFrame) -> pd.DataFrame:
        return to_canonical(chunk, cfg, attributes=attributes)[0]

    return StreamPlan(keys=keys, issues=issues, cuts=np.append(first_rows[1:], len(raw)), convert=convert)


def _products(handle: pd.Series) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Products numbered 0..n-1 in order of appearance (-1: no Handle), their handles, and the
    position of each one's first row (which holds the product's fields)."""
    codes, handles = pd.factorize(handle)
    first_rows = np.flatnonzero((codes >= 0) & ~pd.Series(codes).duplicated().to_numpy())
    return codes, handles, first_rows


def _variant_rows(codes: np.ndarray, sku: pd.Series, text) -> np.ndarray:
    """Positions of the rows that are variants (the others carry only an image)."""
    is_variant = (codes >= 0) & (sku.notna() | text("Variant Price").notna() | text("Option1 Value").notna())
    return np.flatnonzero(is_variant)


def _option_columns(
    product: pd.DataFrame, vcodes: np.ndarray, vrows: np.ndarray, text, *, reserved
) -> dict[str, pd.Series]:
    """Option1..3 of each variant as attribute columns, named by the product's option names."""
    pairs = []
    for name_col, value_col in OPTIONS:
        name = pd.Series(pd.Categorical(product[name_col]).take(vcodes))
        value = text(value_col, vrows)
        # Shopify's placeholder option of a product without variants is "Title: Default Title".
        pairs.append((name, value.mask(name.str.lower().eq("title") & value.eq("Default Title"))))
    return attribute_columns(pairs, reserved=reserved)


def _row_order(vrows: np.ndarray, parent_rows: np.ndarray) -> np.ndarray:
    """Order of [variants..., parents...]: by source row, a parent before its variants."""
    return np.argsort(np.concatenate([2 * vrows + 1, 2 * parent_rows]), kind="stable")


def _orphan_issues(rows: pd.Series, handle: pd.Series, sku: pd.Series) -> pd.DataFrame:
    return issues_where(
        pd.DataFrame({ROW: rows.to_numpy(), "id": sku, "Handle": handle}),
        handle.isna(),
        code="invalid-row",
        field="Handle",
        message="Row has no Handle, so it belongs to no product; it is skipped.",
    )


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


def _prices(variant: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Compare-at above price means the product is on sale: price = compare-at, sale = price."""
    price = variant["Variant Price"]
    compare = variant["Variant Compare At Price"]
    on_sale = (to_number(compare) > to_number(price)).fillna(False).astype(bool)
    return compare.where(on_sale, price), price.where(on_sale)


def _price_issues(variant: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    compare = variant["Variant Compare At Price"]
    return issues_where(
        _issues_frame(variant, rows),
        compare.notna() & to_number(compare).isna(),
        code="invalid-price",
        field="Variant Compare At Price",
        severity="warning",
        message="Compare-at price is not a number; it is ignored, so no sale price is sent.",
    )


def _weights(variant: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Variant Grams (always grams) expressed in the variant's Variant Weight Unit."""
    grams = to_number(variant["Variant Grams"])
    unit = variant["Variant Weight Unit"].str.lower().replace({"lbs": "lb", "kgs": "kg"})
    unit = unit.where(isin(unit, GRAMS_PER_UNIT), "g")
    weight = pd.Series(np.nan, index=variant.index)
    for name, per in GRAMS_PER_UNIT.items():
        mask = unit == name
        weight[mask] = (grams[mask] / per).round(UNIT_DECIMALS[name])
    given = grams > 0  # Shopify writes 0 when no weight was entered
    shown = weight.where(given).astype("str").str.replace(r"\.0$", "", regex=True)
    return shown, unit.where(given)


def _weight_issues(variant: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    grams_text = variant["Variant Grams"]
    grams = to_number(grams_text)
    return issues_where(
        _issues_frame(variant, rows),
        grams_text.notna() & (grams.isna() | (grams < 0)),
        code="invalid-weight",
        field="Variant Grams",
        severity="warning",
        message="Variant Grams is not a non-negative number; no shipping weight is sent.",
    )
