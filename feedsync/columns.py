"""The canonical master-catalog columns every source is mapped onto.

Text columns hold str (missing = NA). Money columns hold float64 in major units
(rounded to cents when rendered), quantities Int64, dates UTC timestamps.
Columns a source has beyond these are kept as text and usable in templates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT = (
    "id",  # the SKU; unique
    "item_group_id",  # on variants: the parent's id; a row whose id is some item_group_id is a parent
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_links",  # several URLs separated by '|'
    "brand",
    "gtin",
    "mpn",
    "currency",  # ISO 4217; defaults.currency when empty
    "availability",  # in_stock | out_of_stock | preorder | backorder; derived from quantity when empty
    "condition",  # new | refurbished | used; defaults.condition when empty
    "color",
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "google_product_category",
    "product_type",
    "shipping_weight_unit",  # g | kg | oz | lb
    "amazon_product_type",
    "bullet_points",  # several bullet points separated by '|'
)
MONEY = ("price", "sale_price", "list_price")
INTEGER = ("quantity",)
FLOAT = ("shipping_weight",)
DATES = ("sale_price_start", "sale_price_end", "availability_date")

CANONICAL = TEXT + MONEY + INTEGER + FLOAT + DATES

# Internal bookkeeping columns carried alongside the data; never rendered.
ROW = "_row"  # 1-based record number in the source file (header not counted)


def row_numbers(first: int, n: int) -> pd.arrays.IntegerArray:
    """Source row numbers first..first+n-1 as Int64, built in numpy (pd.array(range(...)) walks
    a Python range: a third of a second per two million rows)."""
    return pd.arrays.IntegerArray(np.arange(first, first + n, dtype=np.int64), np.zeros(n, dtype=bool))
