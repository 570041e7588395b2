"""Google local product inventory: one TSV row per (store, product) from the stock files'
store locations. Spec: ../shared/spec/channels.md section 1.8.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from feedsync.channels.common import ChannelContext, common_checks
from feedsync.config import Option
from feedsync.positions import positions_of
from feedsync.render import values as v
from feedsync.render.writers import DelimitedWriter
from feedsync.vector import labels

NAME = "google_local"
TITLE = "Google local inventory"
FORMATS = ("tsv",)
DEFAULT_FORMATS = ("tsv",)
PICKUP_METHODS = ("buy", "reserve", "ship to store", "not supported")
PICKUP_SLAS = ("same day", "next day", "2-day", "3-day", "4-day", "5-day", "6-day", "7-day", "multi-week")
OPTIONS = (
    Option("pickup_method", str, None, "in-store pickup for every store", choices=(None, *PICKUP_METHODS)),
    Option("pickup_sla", str, None, "how soon pickup is ready", choices=(None, *PICKUP_SLAS)),
    Option("limited_threshold", int, 0, "quantities from 1 up to this are sent as limited_availability"),
)
COLUMNS = ("store_code", "id", "quantity", "availability", "price", "pickup_method", "pickup_sla")


def to_frame(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    stock = ctx.store_stock
    if stock is None or not len(stock) or not len(p):
        return pd.DataFrame({c: pd.Series(dtype="str") for c in ("_row", *COLUMNS)})
    opts = ctx.config.options
    table_rows, product_rows = stock.take(positions_of(p))
    products = p[["_row", "id", "price", "currency"]].iloc[product_rows].reset_index(drop=True)
    store = stock.frame.iloc[table_rows].drop(columns="sku").rename(columns={"location": "store_code"})
    rows = pd.concat([products, store.reset_index(drop=True)], axis=1)
    rows = rows.sort_values(["_row", "store_code"], kind="stable").reset_index(drop=True)
    if "visible_quantity" in rows:  # policies.store_inventory: safety stock, allocation, min/max already applied
        qty = rows["visible_quantity"].astype("Int64")
    else:
        qty = (rows["quantity"] - ctx.config.safety_stock).clip(lower=0).astype("Int64")
    limited = opts["limited_threshold"]
    q = qty.to_numpy()
    availability = labels(
        np.where(q <= 0, 0, np.where(q <= limited, 1, 2)),
        ["out_of_stock", "limited_availability", "in_stock"],
        rows.index,
    )
    f = pd.DataFrame(index=rows.index)
    f["_row"] = rows["_row"]
    f["store_code"] = rows["store_code"].astype("str")
    f["id"] = rows["id"]
    f["quantity"] = v.int_text(qty)
    f["availability"] = availability
    f["price"] = v.money(rows["price"], rows["currency"])
    # per store ([channels.google_local.stores.<code>], via store_inventory) or one setting for all
    method = rows["pickup_method"] if "pickup_method" in rows else pd.Series(opts["pickup_method"], index=rows.index)
    sla = rows["pickup_sla"] if "pickup_sla" in rows else pd.Series(opts["pickup_sla"], index=rows.index)
    method = method.astype("str")
    f["pickup_method"] = method
    f["pickup_sla"] = sla.astype("str").where(method.notna() & (method != "not supported")).astype("str")
    return f


def check(p: pd.DataFrame, frame: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    stocked = p.loc[p["_row"].isin(frame["_row"])] if len(frame) else p.iloc[:0]
    return common_checks(stocked, ctx)


def writers(folder: Path, ctx: ChannelContext, compress: bool) -> dict:
    return {
        "tsv": DelimitedWriter(
            NAME, "tsv", folder / "inventory.tsv", compress, columns=COLUMNS, delimiter="\t", single_line=True
        )
    }
