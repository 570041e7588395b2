"""Everything between the overrides and a channel's to_frame(), behind the calls pipeline.run
makes per batch:

    merch = Merchandising(config)                          # once per run (trace={sku} for explain)
    ctx.store_stock = merch.store_inventory(stock, c)      # google_local, once per run
    prep = merch.prepare_channel(online, c, stock=stock, prices=prices, now=now)   # per channel
    for market in markets_for(c, config.defaults):
        mp = merch.for_market(prep, c, market, now=now)    # per market: prices, currency, ids
        products = mp.frame.loc[~mp.excluded]  (minus variant parents, as before)
        ... to_frame, checks (+ mp.issues) ...
        merch.record(c, market, out, ok)                   # funnel, fill rates, explain capture

Order inside: stock policy -> price overrides -> rules -> category mapping -> field templates
(per channel) -> price policy and market (per market). Each step returns a copy with provenance;
nothing here mutates its input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd

from feedsync.categories import Taxonomy, load_taxonomy, map_categories, merge_unmapped
from feedsync.config import ChannelConfig, Config
from feedsync.field_templates import FieldTemplate, apply_templates, channel_templates, empty_provenance
from feedsync.mapping import MappingTable, read_mapping_table
from feedsync.markets import Market, market_frame
from feedsync.overrides import Prices, Stock, apply_channel
from feedsync.policies import (
    FxTable,
    LocationTotals,
    PolicyResult,
    apply_price_policy,
    apply_stock_policy,
    load_fx,
    location_totals,
    store_inventory,
)
from feedsync.positions import SkuRows
from feedsync.rules import RuleSet, load_rules
from feedsync.validation.issues import concat_issues, empty_issues

CATEGORY_CHANNELS = ("google", "meta")  # the channels that send google_product_category
FUNNEL = ("catalog", "after_rules", "after_stock_policy", "after_validation", "emitted")


@dataclass
class Prepared:
    frame: pd.DataFrame
    excluded: pd.Series  # bool: a rule or the zero-stock policy left the product out
    issues: pd.DataFrame = field(default_factory=empty_issues)
    provenance: pd.DataFrame = field(default_factory=empty_provenance)
    touched: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    unmapped: pd.DataFrame | None = None
    channel: str = ""


@dataclass
class FeedStats:
    """One feed's numbers for `preview`: the funnel, rule reach, attribute fill."""

    funnel: Counter = field(default_factory=Counter)
    rules: dict[str, int] = field(default_factory=dict)
    filled: Counter = field(default_factory=Counter)
    unmapped: list[pd.DataFrame] = field(default_factory=list)

    def to_dict(self, top_unmapped: int = 20) -> dict[str, Any]:
        emitted = self.funnel["emitted"]
        summary = merge_unmapped(self.unmapped)
        return {
            "funnel": {k: int(self.funnel[k]) for k in FUNNEL},
            "rules": dict(self.rules),
            "fill_rates": {k: round(v / emitted, 4) if emitted else 0.0 for k, v in sorted(self.filled.items())},
            "unmapped_categories": [
                {"value": r.value, "products": int(r.products), "example_sku": r.example_sku}
                for r in summary.head(top_unmapped).itertuples()
            ],
            "unmapped_category_products": int(summary["products"].sum()) if len(summary) else 0,
        }


def feed_key(channel: str, market: Market) -> str:
    """`google` for a channel's only (implicit) market, `google/FR` for a configured one."""
    return f"{channel}/{market.label}" if market.explicit else channel


class Merchandising:
    """Compiled rules, templates, category map and FX table for one run, plus what the run
    learned about them (stats per feed, and snapshots of the traced SKUs for `explain`)."""

    def __init__(self, config: Config, *, trace: Collection[str] | None = (), fill_rates: bool = False) -> None:
        self.config = config
        self.fill_rates = fill_rates  # per-attribute fill for preview; builds skip it (the HTML report reads the feeds)
        self.trace: set[str] | None = set(trace) if trace is not None else None
        self.fx: FxTable | None = load_fx(config.prices.fx, config.defaults.currency) if config.prices.fx else None
        cat = config.categories
        self.category_table: MappingTable | None = read_mapping_table(cat.table) if cat and cat.table else None
        self.taxonomy: Taxonomy | None = load_taxonomy(cat.taxonomy) if cat and cat.taxonomy else None
        self.rules: RuleSet | None = None
        self.templates: dict[str, list[FieldTemplate]] = {}
        self.stats: dict[str, FeedStats] = {}
        self.traced: dict[str, dict[str, Any]] = {}  # sku -> {"row", "catalog", "feeds": {key: {...}}}
        self._totals: dict[tuple[int, tuple[str, ...]], LocationTotals] = {}

    # -- setup
    def bind(self, columns: Collection[str]) -> None:
        """Compile rules and templates against the catalog's columns (first batch); unknown
        columns raise ConfigError naming the rule or template."""
        if self.rules is not None:
            return
        cols = [c for c in columns if not c.startswith("_")]
        self.rules = load_rules(self.config.rules, self.config.path, cols)
        known = [*cols, *self.rules.created_fields]
        for c in self.config.channels.values():
            self.templates[c.name] = channel_templates(c.name, c.templates, known, config_file=str(self.config.path))

    def store_inventory(self, stock: Stock, channel: ChannelConfig) -> SkuRows:
        """google_local's store rows, laid out by catalog position (stock aligned_to the catalog)."""
        assert stock.positions is not None, "stock.aligned_to(the catalog's positions) first"
        return SkuRows.build(store_inventory(stock.stores, channel), stock.positions)

    def _location_totals(self, stock: Stock, channel: ChannelConfig) -> LocationTotals | None:
        locations = channel.stock_policy.locations
        if locations is None:
            return None
        key = (id(stock), locations)
        if key not in self._totals:
            assert stock.positions is not None, "stock.aligned_to(the catalog's positions) first"
            self._totals[key] = location_totals(stock.rows, locations, stock.positions)
        return self._totals[key]

    # -- per batch
    def prepare_channel(
        self,
        online: pd.DataFrame,
        channel: ChannelConfig,
        *,
        stock: Stock,
        prices: Prices,
        now: datetime,
        sellable_rows: pd.DataFrame | None = None,
    ) -> Prepared:
        """`sellable_rows`: `online` without its variant parents, when the caller shares one copy
        between channels (every channel but Amazon starts from it)."""
        self.bind(online.columns)
        assert self.rules is not None
        name, trace = channel.name, self.trace
        ts = _utc(now)
        self._snapshot(online, name, "catalog", None)
        if name != "amazon" and "is_parent" in online:  # variant parents are items only on Amazon
            online = sellable_rows if sellable_rows is not None else without_parents(online)
        if name == "google_local":  # its policy works on store rows (store_inventory), not on online stock
            sp = PolicyResult(online.copy(deep=False), pd.Series(False, index=online.index))
        else:
            sp = apply_stock_policy(online, channel, ts, totals=self._location_totals(stock, channel), trace=trace)
        frame, price_prov = apply_channel(sp.frame, prices, replace(channel, safety_stock=0))
        self._snapshot(frame, name, "overrides and stock policy", None)
        rr = self.rules.apply(frame, name, ts, trace=trace)
        frame = rr.frame
        self._snapshot(frame, name, "rules", None)
        issues = [sp.issues, rr.issues]
        prov = [sp.provenance, price_prov, rr.provenance]
        unmapped = None
        if name in CATEGORY_CHANNELS and (self.category_table is not None or self.taxonomy is not None):
            cat = self.config.categories
            assert cat is not None
            cr = map_categories(
                frame,
                table=self.category_table,
                taxonomy=self.taxonomy,
                source=cat.source,
                overwrite=cat.overwrite,
                channel=name,
                trace=trace,
            )
            frame, unmapped = cr.frame, cr.unmapped
            issues.append(cr.issues)
            prov.append(cr.provenance)
            self._snapshot(frame, name, "categories", None)
        tr = apply_templates(frame, self.templates.get(name, []), channel=name, trace=trace)
        frame = tr.frame
        issues.append(tr.issues)
        prov.append(tr.provenance)
        self._snapshot(frame, name, "templates", None)
        excluded = rr.excluded | sp.excluded
        counts = {
            "catalog": len(online),
            "after_rules": int((~rr.excluded).sum()),
            "after_stock_policy": int((~excluded).sum()),
        }
        return Prepared(frame, excluded, concat_issues(issues), _concat_prov(prov), rr.touched, counts, unmapped, name)

    def for_market(self, prepared: Prepared, channel: ChannelConfig, market: Market, *, now: datetime) -> Prepared:
        """The market's frame: prices through the channel's price policy (and FX and tax for a
        configured market), ids with the market's suffix. Issues and provenance of the channel
        step are included, labelled with the feed key (`google/FR`)."""
        key = feed_key(channel.name, market)
        pp = apply_price_policy(
            prepared.frame,
            channel,
            _utc(now),
            market=market.config if market.explicit else None,
            fx=self.fx,
            trace=self.trace,
        )
        frame = market_frame(pp.frame, market)
        self._snapshot(frame, channel.name, "prices and market", key)
        stats = self.stats.setdefault(key, FeedStats())
        stats.funnel.update(prepared.counts)
        for label, n in prepared.touched.items():
            stats.rules[label] = stats.rules.get(label, 0) + n
        if prepared.unmapped is not None:
            stats.unmapped.append(prepared.unmapped)
        issues = concat_issues([prepared.issues, pp.issues])
        issues["channel"] = key
        prov = _concat_prov([prepared.provenance, pp.provenance])
        prov["channel"] = key
        return Prepared(
            frame,
            prepared.excluded | pp.excluded,
            issues,
            prov,
            prepared.touched,
            prepared.counts,
            prepared.unmapped,
            key,
        )

    def record(self, channel: ChannelConfig, market: Market, out: pd.DataFrame, ok: pd.Series) -> None:
        """After validation: `out` is the channel frame (to_frame), `ok` its rows without errors."""
        key = feed_key(channel.name, market)
        stats = self.stats.setdefault(key, FeedStats())
        kept = ok.to_numpy(dtype=bool)
        emitted = int(kept.sum())
        # counted on the columns themselves: a copy of the sent rows (every column) only for fill rates
        stats.funnel["after_validation"] += int(out["_row"][kept].nunique()) if "_row" in out else emitted
        stats.funnel["emitted"] += emitted
        if self.fill_rates:
            sent = out.loc[kept]
            for col in sent.columns:
                if not col.startswith("_"):
                    s = sent[col]
                    filled = s.notna() & (s.astype("str") != "")
                    stats.filled[col] += int(filled.sum())
        if self.trace:
            self._capture(out, ok, channel.name, key)

    # -- explain capture (only traced SKUs, so cheap)
    def _traced_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self.trace or "_row" not in frame:
            return frame.iloc[:0]
        rows = {t["row"] for t in self.traced.values()}
        if "id" in frame:
            hit = frame["id"].isin(list(self.trace)) | frame["_row"].isin(list(rows))
        else:
            hit = frame["_row"].isin(list(rows))
        return frame.loc[hit.fillna(False).to_numpy(dtype=bool)]

    def _snapshot(self, frame: pd.DataFrame, channel: str, stage: str, key: str | None) -> None:
        if not self.trace:
            return
        for rec in _records(self._traced_rows(frame)):
            entry = self._entry(rec)
            if entry is None:
                continue
            if stage == "catalog":
                entry.setdefault("catalog", rec)
                continue
            keys = [key] if key else None
            entry.setdefault("stages", {}).setdefault(channel, []).append(
                {"stage": stage, "values": rec, "feed": keys[0] if keys else None}
            )

    def _entry(self, rec: dict[str, Any]) -> dict[str, Any] | None:
        row = rec.get("_row")
        sku = rec.get("id")
        if isinstance(sku, str) and sku in (self.trace or ()):
            return self.traced.setdefault(sku, {"row": row, "feeds": {}})
        for entry in self.traced.values():
            if entry["row"] == row:
                return entry
        return None

    def _capture(self, out: pd.DataFrame, ok: pd.Series, channel: str, key: str) -> None:
        hit = self._traced_rows(out)
        for i, rec in zip(hit.index, _records(hit), strict=True):
            entry = self._entry({"_row": rec.get("_row")})
            if entry is None:
                continue
            feed = entry["feeds"].setdefault(key, {"channel": channel, "items": []})
            feed["items"].append({"values": rec, "sent": bool(ok.loc[i])})


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict("records"):
        out.append({k: (None if _missing(v) else _plain(v)) for k, v in rec.items()})
    return out


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


def _concat_prov(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_provenance()
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out


def without_parents(online: pd.DataFrame) -> pd.DataFrame:
    """The batch without its variant parents: the rows every channel but Amazon sends."""
    return online.loc[~online["is_parent"].fillna(False).astype(bool).to_numpy()]


def _utc(now: datetime) -> pd.Timestamp:
    ts = pd.Timestamp(now)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
