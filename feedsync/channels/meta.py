"""Meta (Facebook / Instagram) catalog feed: CSV with Meta's field names, or RSS XML.

Spec: ../shared/spec/channels.md section 2. Meta spells availability with spaces.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedsync.channels.common import ChannelContext, close_window, common_checks, sale_plan
from feedsync.config import Option
from feedsync.render import values as v
from feedsync.render.writers import DelimitedWriter, RssWriter
from feedsync.validation.issues import concat_issues, issues_where

NAME = "meta"
TITLE = "Meta catalog"
FORMATS = ("csv", "xml")
DEFAULT_FORMATS = ("csv",)
OPTIONS = (
    Option(
        "neutralise_formulas",
        bool,
        False,
        "prefix cells starting with = + - @ with ' so spreadsheets do not run them as formulas",
    ),
    Option("title", str, "Products", "the RSS channel title (XML format)"),
    Option("link", str, "https://example.com/", "the RSS channel link (XML format)"),
)
COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "link",
    "image_link",
    "additional_image_link",
    "brand",
    "gtin",
    "mpn",
    "item_group_id",
    "color",
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "google_product_category",
    "product_type",
    "shipping_weight",
    "quantity_to_sell_on_facebook",
)
SAFE_TITLE = 150  # the hard cap is 200 (schema); older Meta templates cap titles at 150
AVAILABILITY = {
    "in_stock": "in stock",
    "out_of_stock": "out of stock",
    "preorder": "preorder",
    "backorder": "available for order",
}


def to_frame(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    sale = sale_plan(p, ctx, fill_window=False)
    f = pd.DataFrame(index=p.index)
    f["_row"] = p["_row"]
    f["id"] = p["id"]
    f["title"] = p["title"]
    f["description"] = p["description"]
    f["availability"] = p["availability"].map(AVAILABILITY).astype("str")
    f["condition"] = p["condition"]
    f["price"] = v.money(p["price"], p["currency"])
    f["sale_price"] = v.money(p["sale_price"].where(sale.send), p["currency"])
    has_window = sale.send & (sale.start.notna() | sale.end.notna())
    start, end = close_window(sale.start, sale.end, has_window)
    f["sale_price_effective_date"] = v.date_range(start, end).where(has_window)
    f["link"] = p["link"]
    f["image_link"] = p["image_link"]
    f["additional_image_link"] = v.split_multi(p["additional_image_links"].str.replace(",", "%2C"), 20, ",")
    f["brand"] = p["brand"]
    f["gtin"] = p["gtin"]
    f["mpn"] = p["mpn"]
    f["item_group_id"] = p["item_group_id"]
    f["color"] = p["color"]
    f["size"] = p["size"]
    f["gender"] = p["gender"]
    f["age_group"] = p["age_group"]
    f["material"] = p["material"]
    f["pattern"] = p["pattern"]
    f["google_product_category"] = p["google_product_category"]
    f["product_type"] = p["product_type"]
    f["shipping_weight"] = v.weight(p["shipping_weight"], p["shipping_weight_unit"])
    f["quantity_to_sell_on_facebook"] = v.int_text(p["quantity"])
    for col in ctx.extra_columns:  # custom labels set by rules or templates
        f[col] = p[col].astype("str") if col in p else pd.Series(pd.NA, index=p.index, dtype="str")
    return f


def check(p: pd.DataFrame, frame: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    none = p["brand"].isna() & p["gtin"].isna() & p["mpn"].isna()
    long_title = (frame["title"].str.len() > SAFE_TITLE) & (frame["title"].str.len() <= 200)
    return concat_issues(
        [
            common_checks(p, ctx),
            issues_where(
                p,
                none,
                code="missing-brand-gtin-mpn",
                field="brand",
                channel=NAME,
                message="Meta needs at least one of brand, gtin or mpn; this product has none",
            ),
            issues_where(
                frame,
                long_title,
                code="too-long",
                field="title",
                channel=NAME,
                severity="warning",
                message=lambda hit: (
                    "title is "
                    + hit["title"].str.len().astype("str")
                    + f" characters; Meta accepts 200 but its templates advise at most {SAFE_TITLE}"
                ),
            ),
        ]
    )


def writers(folder: Path, ctx: ChannelContext, compress: bool) -> dict:
    opts = ctx.config.options
    return {
        "csv": DelimitedWriter(
            NAME,
            "csv",
            folder / "products.csv",
            compress,
            columns=COLUMNS + ctx.extra_columns,
            delimiter=",",
            neutralise_formulas=opts["neutralise_formulas"],
        ),
        "xml": RssWriter(
            NAME,
            "xml",
            folder / "products.xml",
            compress,
            columns=COLUMNS + ctx.extra_columns,
            plain=frozenset(),
            repeated=frozenset({"additional_image_link"}),
            title=opts["title"],
            link=opts["link"],
            description=f"{TITLE} feed",
        ),
    }
