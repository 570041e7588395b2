"""Amazon SP-API JSON_LISTINGS_FEED (version 2.0): UPDATE messages per SKU, variation parents
included. Spec: ../shared/spec/channels.md section 3. The flat frame built here is what the
channel schema validates; render/amazon_json.py nests it into listing attributes.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from feedsync.channels.common import ChannelContext, common_checks, sale_plan
from feedsync.config import Option
from feedsync.render import values as v
from feedsync.render.amazon_json import AmazonWriter, build_messages
from feedsync.validation.issues import concat_issues, issues_where

NAME = "amazon"
TITLE = "Amazon listings (SP-API)"
FORMATS = ("json",)
DEFAULT_FORMATS = ("json",)
OPTIONS = (
    Option(
        "seller_id", str, None, "your Amazon merchant token (Seller Central > Settings > Account Info)", required=True
    ),
    Option("marketplace_id", str, "ATVPDKIKX0DER", "the marketplace, e.g. ATVPDKIKX0DER for amazon.com"),
    Option("language_tag", str, "en_US", "language of text values, e.g. en_US"),
    Option("product_type", str, "PRODUCT", "Amazon product type when the catalog's amazon_product_type is empty"),
    Option("fulfillment_channel_code", str, "DEFAULT", "DEFAULT for merchant-fulfilled, or an FBA code like AMAZON_NA"),
    Option("lead_time_to_ship_max_days", int, None, "handling time in days (1-30) for merchant-fulfilled offers"),
    Option("max_messages_per_file", int, 10_000, "split feed documents after this many messages (at most 10,000)"),
)
CONDITION = {"new": "new_new", "refurbished": "refurbished_refurbished", "used": "used_good"}
GTIN_TYPE = {8: "ean", 12: "upc", 13: "ean", 14: "gtin"}


def to_frame(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    opts = ctx.config.options
    sale = sale_plan(p, ctx, fill_window=True)  # an open window side gets a fixed date, not the run day
    is_parent = p["is_parent"]
    has_parent = p["has_parent"]
    f = pd.DataFrame(index=p.index)
    f["_row"] = p["_row"]
    f["id"] = p["id"]
    f["sku"] = p["id"]
    f["product_type"] = p["amazon_product_type"].fillna(opts["product_type"]).str.upper()
    f["item_name"] = p["title"]
    f["brand"] = p["brand"]
    f["product_description"] = p["description"]
    f["bullet_point"] = v.split_multi(p["bullet_points"], 10, "|")
    gtin = p["gtin"].where(~is_parent)
    f["external_id"] = gtin
    f["external_id_type"] = gtin.str.len().map(GTIN_TYPE).astype("str")
    f["condition_type"] = p["condition"].map(CONDITION).astype("str").where(~is_parent)
    f["currency"] = p["currency"]
    f["our_price"] = p["price"].where(~is_parent)
    f["discounted_price"] = p["sale_price"].where(sale.send & ~is_parent)
    f["sale_start"] = v.iso_datetime(sale.start).str.replace("+00:00", "Z").where(f["discounted_price"].notna())
    f["sale_end"] = v.iso_datetime(sale.end).str.replace("+00:00", "Z").where(f["discounted_price"].notna())
    f["list_price"] = p["list_price"].where(~is_parent)
    f["quantity"] = p["quantity"].where(~is_parent).astype("Int64")
    f["main_image"] = p["image_link"]
    f["other_images"] = v.split_multi(p["additional_image_links"], 8, "|")
    f["color"] = p["color"]
    f["size"] = p["size"]
    level = pd.Series(pd.NA, index=p.index, dtype="str")
    level = level.mask(is_parent, "parent").mask(has_parent & ~is_parent, "child")
    f["parentage_level"] = level
    f["parent_sku"] = p["item_group_id"].where(level == "child")
    f["variation_theme"] = p["variation_theme"].where(level.notna())
    return f


def check(p: pd.DataFrame, frame: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    sellable = ~p["is_parent"]
    orphan = sellable & p["item_group_id"].notna() & ~p["has_parent"]
    return concat_issues(
        [
            common_checks(p.loc[sellable], ctx),
            issues_where(
                p,
                sellable & p["price"].isna(),
                code="missing-required",
                field="price",
                channel=NAME,
                message="price is missing; Amazon needs our_price for every offer",
            ),
            issues_where(
                p,
                sellable & p["gtin"].isna(),
                code="missing-identifier",
                field="gtin",
                channel=NAME,
                message="no gtin: Amazon matches offers by GTIN (UPC/EAN) unless the brand has an identifier "
                "exemption, so this listing may be rejected",
            ),
            issues_where(
                p,
                orphan,
                code="missing-variant-parent",
                field="item_group_id",
                channel=NAME,
                message="item_group_id "
                + p["item_group_id"].fillna("")
                + " has no parent row in the catalog; listed on Amazon without a variation family",
            ),
        ]
    )


def writers(folder: Path, ctx: ChannelContext, compress: bool) -> dict:
    opts = ctx.config.options
    build = partial(
        build_messages,
        marketplace_id=opts["marketplace_id"],
        language_tag=opts["language_tag"],
        fulfillment_channel_code=opts["fulfillment_channel_code"],
        lead_time=opts["lead_time_to_ship_max_days"],
    )
    return {
        "json": AmazonWriter(
            NAME,
            "json",
            folder,
            seller_id=opts["seller_id"],
            issue_locale=opts["language_tag"],
            build=build,
            compress=compress,
            max_messages=min(opts["max_messages_per_file"], 10_000),
        )
    }
