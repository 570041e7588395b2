"""Google Merchant Center product data: RSS 2.0 XML with the g: namespace, or TSV.

Spec: ../shared/spec/channels.md section 1 (attribute names, enumerations, limits).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedsync.channels.common import ChannelContext, close_window, common_checks, duplicate_check, sale_plan
from feedsync.config import Option
from feedsync.render import values as v
from feedsync.render.writers import DelimitedWriter, RssWriter
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import isin

NAME = "google"
TITLE = "Google Merchant Center"
FORMATS = ("xml", "tsv")
DEFAULT_FORMATS = ("xml",)
OPTIONS = (
    Option("feed_label", str, None, "the feed label Merchant Center files these products under, e.g. US"),
    Option("target_country", str, None, "ISO 3166-1 country the feed targets; defaults to [defaults] country"),
    Option("title", str, "Products", "the RSS channel title"),
    Option("link", str, "https://example.com/", "the RSS channel link (your shop's home page)"),
)
COLUMNS = (
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_link",
    "availability",
    "availability_date",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "brand",
    "gtin",
    "mpn",
    "condition",
    "google_product_category",
    "product_type",
    "item_group_id",
    "color",
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "shipping_weight",
)


def to_frame(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    sale = sale_plan(p, ctx, fill_window=False)
    f = pd.DataFrame(index=p.index)
    f["_row"] = p["_row"]
    f["id"] = p["id"]
    f["title"] = p["title"]
    f["description"] = p["description"]
    f["link"] = p["link"]
    f["image_link"] = p["image_link"]
    f["additional_image_link"] = v.split_multi(p["additional_image_links"].str.replace(",", "%2C"), 10, ",")
    f["availability"] = p["availability"]
    f["availability_date"] = v.iso_datetime(p["availability_date"])
    f["price"] = v.money(p["price"], p["currency"])
    f["sale_price"] = v.money(p["sale_price"].where(sale.send), p["currency"])
    has_window = sale.send & (sale.start.notna() | sale.end.notna())
    start, end = close_window(sale.start, sale.end, has_window)
    f["sale_price_effective_date"] = v.date_range(start, end).where(has_window)
    f["brand"] = p["brand"]
    f["gtin"] = p["gtin"]
    f["mpn"] = p["mpn"]
    f["condition"] = p["condition"]
    f["google_product_category"] = p["google_product_category"]
    f["product_type"] = p["product_type"]
    f["item_group_id"] = p["item_group_id"]
    f["color"] = p["color"]
    f["size"] = p["size"]
    f["gender"] = p["gender"]
    f["age_group"] = p["age_group"]
    f["material"] = p["material"]
    f["pattern"] = p["pattern"]
    f["shipping_weight"] = v.weight(p["shipping_weight"], p["shipping_weight_unit"])
    for col in ctx.extra_columns:  # custom labels set by rules or templates
        f[col] = p[col].astype("str") if col in p else pd.Series(pd.NA, index=p.index, dtype="str")
    return f


def check(p: pd.DataFrame, frame: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    needs_date = isin(p["availability"], ["preorder", "backorder"]) & p["availability_date"].isna()
    no_ids = p["gtin"].isna() & p["mpn"].isna()
    return concat_issues(
        [
            common_checks(p, ctx),
            duplicate_check(p, frame["id"], ctx, casefold=True),
            issues_where(
                p,
                needs_date,
                code="missing-availability-date",
                field="availability_date",
                channel=NAME,
                value=p["availability"],
                message="availability is " + p["availability"] + "; Google needs availability_date with it",
            ),
            issues_where(
                p,
                no_ids,
                code="missing-identifier",
                field="gtin",
                channel=NAME,
                message="no gtin and no mpn: Google may limit how this product is shown",
            ),
        ]
    )


def writers(folder: Path, ctx: ChannelContext, compress: bool) -> dict:
    opts = ctx.config.options
    return {
        "xml": RssWriter(
            NAME,
            "xml",
            folder / "products.xml",
            compress,
            columns=COLUMNS + ctx.extra_columns,
            plain=frozenset({"title", "link", "description"}),
            repeated=frozenset({"additional_image_link"}),
            title=opts["title"],
            link=opts["link"],
            description=f"{TITLE} feed",
        ),
        "tsv": DelimitedWriter(
            NAME,
            "tsv",
            folder / "products.tsv",
            compress,
            columns=COLUMNS + ctx.extra_columns,
            delimiter="\t",
            single_line=True,
        ),
    }
