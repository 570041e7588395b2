"""What every channel shares: the run context, sale-window logic and the semantic checks
a JSON Schema cannot express (GTIN check digits, sale below price, dates, URLs, duplicates).

Checks run on the channel's copy of the canonical catalog (after overrides), so the source
row and the catalog column are what the merchandiser sees in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from feedsync.config import ChannelConfig, Defaults
from feedsync.positions import SkuRows
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.validation.semantic import gtin_messages, gtin_problems
from feedsync.vector import arrow, isin, matches

URL_RE = r"^https?://[^\s]+$"
# Amazon's discounted_price schedule requires both start_at and end_at (spec section 3.2; the
# PRODUCT type definition lists end_at, start_at and value_with_tax as required). The open side
# of a sale window gets a fixed date, never one taken from the run clock: an unchanged sale then
# gives the same feed every night, and a delta sends nothing for it (filling the run day re-sent
# every open-ended offer each night). A missing start means "already running", a missing end
# "until further notice".
OPEN_SALE_START = pd.Timestamp("2000-01-01", tz="UTC")
OPEN_SALE_END = pd.Timestamp("2099-12-31", tz="UTC")
OPEN_SALE_DAYS = 365  # an open end for a sale that starts on or after OPEN_SALE_END


@dataclass
class ChannelContext:
    config: ChannelConfig
    defaults: Defaults
    now: datetime
    store_stock: SkuRows | None = None  # sku, location, quantity... by catalog position (google_local)
    casefold_duplicates: frozenset[str] = field(default_factory=frozenset)  # lower-cased ids that collide
    batch_checks: pd.DataFrame | None = None  # product_checks() of the current batch, shared by channels
    extra_columns: tuple[str, ...] = ()  # custom labels the run's rules or templates fill (google, meta)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def now_ts(self) -> pd.Timestamp:
        ts = pd.Timestamp(self.now)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


@dataclass
class Sale:
    """Which sale prices a channel may send: set, below price, window valid and not ended."""

    send: pd.Series  # bool per row
    start: pd.Series  # UTC timestamps (filled where the channel needs both ends, never from the clock)
    end: pd.Series


def _not_a_url(col: str, hit: pd.DataFrame) -> pd.Series:
    return col + " '" + hit[col].str.slice(0, 80) + "' is not an http(s) URL"


def sale_plan(p: pd.DataFrame, ctx: ChannelContext, *, fill_window: bool) -> Sale:
    now = ctx.now_ts
    has = p["sale_price"].notna() & p["price"].notna()
    below = p["sale_price"] < p["price"]
    start, end = p["sale_price_start"], p["sale_price_end"]
    order_ok = ~(start.notna() & end.notna() & (end <= start))
    ended = end.notna() & (end <= now)
    send = (has & below & order_ok & ~ended).fillna(False)
    if fill_window:
        start, end = close_window(start, end, send)
    return Sale(send=send, start=start, end=end)


def close_window(start: pd.Series, end: pd.Series, where: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both ends of a sale window, for channels whose syntax needs both: the open side gets a
    fixed date, so that the output does not change with the run day (and deltas stay quiet)."""
    start = start.where(start.notna() | ~where, OPEN_SALE_START)
    later = start + timedelta(days=OPEN_SALE_DAYS)
    end = end.where(end.notna() | ~where, later.where(start >= OPEN_SALE_END, OPEN_SALE_END))
    return start, end


def _when(ts: pd.Series, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    return ts.dt.strftime(fmt).astype("str")


def _any_listed_fails(lists: pd.Series, pattern: str) -> np.ndarray:
    """Per row of '|'-separated items: whether an item does not match `pattern` (an empty item
    does not). Split and matched in Arrow: pandas' split and explode go value by value."""
    parts = pc.split_pattern(arrow(lists), "|")
    items = pc.list_flatten(parts)
    failed = ~pc.fill_null(pc.match_substring_regex(items, pattern), True).to_numpy(zero_copy_only=False)
    out = np.zeros(len(lists), dtype=bool)
    out[pc.list_parent_indices(parts).to_numpy()[failed]] = True
    return out


def product_checks(p: pd.DataFrame) -> pd.DataFrame:
    """Checks whose verdict is the same on every channel (GTIN, URLs): run once per batch."""
    out = []
    problems = gtin_problems(p["gtin"])
    for code in ("invalid-gtin", "restricted-gtin"):
        out.append(
            issues_where(
                p,
                problems == code,
                code=code,
                field="gtin",
                message=lambda hit: gtin_messages(hit["gtin"], problems[hit.index]),
            )
        )
    for col in ("link", "image_link"):
        bad = p[col].notna() & ~matches(p[col], URL_RE)
        out.append(
            issues_where(
                p,
                bad,
                code="invalid-url",
                field=col,
                message=partial(_not_a_url, col),
            )
        )
    bad_extra = pd.Series(_any_listed_fails(p["additional_image_links"], URL_RE), index=p.index)
    out.append(
        issues_where(
            p,
            bad_extra,
            code="invalid-url",
            field="additional_image_links",
            message="additional_image_links has a value that is not an http(s) URL",
        )
    )
    return concat_issues(out)


def sale_checks(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    """Sale price against price and window: per channel, since prices may be overridden per channel."""
    ch = ctx.name
    has = p["sale_price"].notna() & p["price"].notna()
    not_below = has & (p["sale_price"] >= p["price"])
    start, end = p["sale_price_start"], p["sale_price_end"]
    bad_order = start.notna() & end.notna() & (end <= start)
    ended = has & ~not_below & ~bad_order & end.notna() & (end <= ctx.now_ts)
    return concat_issues(
        [
            issues_where(
                p,
                not_below,
                code="sale-not-below-price",
                field="sale_price",
                channel=ch,
                message=lambda hit: (
                    "sale_price "
                    + hit["sale_price"].map("{:.2f}".format).astype("str")
                    + " is not below price "
                    + hit["price"].map("{:.2f}".format).astype("str")
                ),
            ),
            issues_where(
                p,
                bad_order,
                code="sale-window-order",
                field="sale_price_end",
                channel=ch,
                value=lambda hit: _when(hit["sale_price_end"]),
                message=lambda hit: (
                    "the sale ends ("
                    + _when(hit["sale_price_end"])
                    + ") before it starts ("
                    + _when(hit["sale_price_start"])
                    + ")"
                ),
            ),
            issues_where(
                p,
                ended,
                code="sale-ended",
                field="sale_price_end",
                channel=ch,
                value=lambda hit: _when(hit["sale_price_end"]),
                message=lambda hit: (
                    "the sale ended " + _when(hit["sale_price_end"], "%Y-%m-%d") + "; only the regular price is sent"
                ),
            ),
        ]
    )


def common_checks(p: pd.DataFrame, ctx: ChannelContext) -> pd.DataFrame:
    """Every channel's share of the semantic checks, for the products it is offered."""
    shared = ctx.batch_checks if ctx.batch_checks is not None else product_checks(p)
    mine = shared.loc[shared["row"].isin(p["_row"])].assign(channel=ctx.name)
    return concat_issues([mine, sale_checks(p, ctx)])


def duplicate_check(p: pd.DataFrame, ids: pd.Series, ctx: ChannelContext, *, casefold: bool) -> pd.DataFrame:
    """Ids colliding on this channel (Google compares ids case-insensitively)."""
    if not casefold or not ctx.casefold_duplicates:
        return concat_issues([])
    dup = isin(ids.str.lower(), ctx.casefold_duplicates)
    return issues_where(
        p,
        dup,
        code="duplicate-channel-id",
        field="id",
        channel=ctx.name,
        message="id " + ids + " differs from another product's id only in upper/lower case",
    )
