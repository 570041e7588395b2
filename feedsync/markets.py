"""Markets: one channel, several feeds (Google US/USD/en and FR/EUR/fr ...).

    [[channels.google.markets]]
    feed_label = "US"
    country = "US"
    currency = "USD"
    language = "en"

    [[channels.google.markets]]
    feed_label = "FR"
    country = "FR"
    currency = "EUR"          # converted through [prices] fx
    language = "fr"
    id_suffix = "-FR"         # optional; required to differ on channels without feed labels
    tax_rate = 20             # FR prices include 20% VAT

A channel without markets has one implicit market built from its options and [defaults]; its
feeds stay where they always were (out/<channel>/). With markets, each market's feeds go to
out/<channel>/<feed_label>/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feedsync.config import ChannelConfig, Defaults
from feedsync.merchandising_config import FEED_LABEL_CHANNELS, MarketConfig
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import isin

MARKET_COLUMNS = ("feed_label", "target_country", "content_language")


@dataclass(frozen=True)
class Market:
    config: MarketConfig
    explicit: bool  # configured with [[channels.<name>.markets]] (False: the channel's implicit one)

    @property
    def label(self) -> str:
        return self.config.feed_label


def markets_for(channel: ChannelConfig, defaults: Defaults) -> list[Market]:
    if channel.markets:
        return [Market(m, True) for m in channel.markets]
    opts = channel.options
    implicit = MarketConfig(
        feed_label=opts.get("feed_label") or defaults.country,
        country=opts.get("target_country") or defaults.country,
        currency="",  # keep each product's own currency
        language=defaults.language,
    )
    return [Market(implicit, False)]


def market_folder(out_dir: Path, channel: str, market: Market) -> Path:
    """Where a market's feeds go: out/<channel>/ (implicit market) or out/<channel>/<feed_label>/."""
    return out_dir / channel / market.label if market.explicit else out_dir / channel


def market_frame(frame: pd.DataFrame, market: Market) -> pd.DataFrame:
    """The channel frame for one market: ids (and variant group ids, so families stay whole)
    with the market's suffix, plus feed_label / target_country / content_language columns.
    Prices are converted by policies.apply_price_policy(market=...)."""
    out = frame.copy(deep=False)
    m = market.config
    if m.id_suffix:
        out["id"] = (frame["id"].astype("str") + m.id_suffix).astype("str")
        if "item_group_id" in frame:
            out["item_group_id"] = (frame["item_group_id"].astype("str") + m.id_suffix).astype("str")
    out["feed_label"] = pd.Series(m.feed_label, index=frame.index, dtype="str")
    out["target_country"] = pd.Series(m.country, index=frame.index, dtype="str")
    out["content_language"] = pd.Series(m.language, index=frame.index, dtype="str")
    return out


def check_market_ids(frame: pd.DataFrame, channel: str, markets: list[Market]) -> pd.DataFrame:
    """On channels with one product namespace (Meta, Amazon), an id made with one market's
    suffix must not equal an id of another market (e.g. "A" + "-FR" against a catalog id "A-FR").
    Merchant Center keeps products apart per feed label, so Google needs no check."""
    if channel in FEED_LABEL_CHANNELS or len(markets) < 2:
        return concat_issues([])
    ids = frame["id"].astype("str")
    found = []
    for i, a in enumerate(markets):
        mine = ids + a.config.id_suffix
        for b in markets[i + 1 :]:
            theirs = ids + b.config.id_suffix
            clash = isin(mine, theirs)
            found.append(
                issues_where(
                    frame,
                    clash,
                    code="duplicate-channel-id",
                    field="id",
                    channel=channel,
                    value=mine,
                    message="id " + mine + f" in market {a.label} equals a product's id in market {b.label}; "
                    "give the markets different id_suffix values",
                )
            )
    return concat_issues(found)
