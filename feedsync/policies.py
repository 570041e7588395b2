"""Per-channel stock and price policies (and currency conversion for markets).

Stock, per channel, in this order: the quantity at the channel's `locations` (default: the
online stock), minus safety stock, times `allocation_percent` rounded down, 0 below
`min_quantity`, capped at `max_quantity`; then `zero_stock` says what 0 means.

Prices, per channel and market, in this order, each step rounded half-up to the cent in exact
integer arithmetic (never float drift): convert to the market currency through the FX table,
markup percent, markup amount, tax (markets with tax_rate show tax-inclusive prices), rounding
rule. Catalog prices (and min_price) are net of tax. A price or an emitted sale price below the
product's min_price (converted the same way, without markup) is an error: it is never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedsync.catalog import derive_availability
from feedsync.config import ChannelConfig
from feedsync.errors import ConfigError
from feedsync.field_templates import empty_provenance
from feedsync.merchandising_config import MarketConfig, PricePolicy, StockPolicy
from feedsync.positions import CatalogPositions, positions_of
from feedsync.render.values import ZERO_DECIMAL_CURRENCIES
from feedsync.validation.issues import concat_issues, empty_issues, issues_where
from feedsync.vector import isin, labels, map_text

_SAFE = 2**62


@dataclass
class PolicyResult:
    frame: pd.DataFrame
    excluded: pd.Series  # bool per row: left out of the channel by policy (zero_stock = "exclude")
    issues: pd.DataFrame = field(default_factory=empty_issues)
    provenance: pd.DataFrame = field(default_factory=empty_provenance)


# --------------------------------------------------------------------------- stock


@dataclass(frozen=True)
class LocationTotals:
    """Stock summed over some locations, once per run (stock files are whole-catalog), laid out
    by catalog position (feedsync.positions)."""

    totals: pd.arrays.IntegerArray  # per catalog position: quantity at the chosen locations
    stocked: np.ndarray  # per catalog position: the SKU appears in a stock file (any location)


def location_totals(rows: pd.DataFrame, locations: tuple[str, ...], positions: CatalogPositions) -> LocationTotals:
    chosen = rows.loc[isin(rows["location"], locations)]
    totals = chosen.groupby("sku", sort=False)["quantity"].sum().astype("Int64")
    return LocationTotals(positions.align(totals.index.to_series(), totals), positions.holds(rows["sku"]))


def visible_quantity(q: pd.Series, policy: StockPolicy, safety_stock: int) -> pd.Series:
    """Safety stock, allocation (rounded down), min, max: whole-number arithmetic throughout."""
    q = (q.astype("Int64") - safety_stock).clip(lower=0)
    share = Fraction(policy.allocation_percent) / 100
    if share != 1:
        q = (q * share.numerator) // share.denominator
    if policy.min_quantity:
        q = q.where(~(q < policy.min_quantity).fillna(False), 0)
    if policy.max_quantity is not None:
        q = q.clip(upper=policy.max_quantity)
    return q.astype("Int64")


def apply_stock_policy(
    frame: pd.DataFrame,
    channel: ChannelConfig,
    now: pd.Timestamp,
    *,
    totals: LocationTotals | None = None,
    trace: set[str] | None = None,
) -> PolicyResult:
    """The channel's visible quantity and availability. `totals` is the channel's
    location_totals() when the channel names `locations`; without it the frame's quantity
    (online stock, or the catalog's where no stock file lists the SKU) is the start."""
    policy: StockPolicy = channel.stock_policy
    out = frame.copy(deep=False)
    q = frame["quantity"].astype("Int64")
    if totals is not None:
        pos = positions_of(frame)
        at = pd.Series(totals.totals[pos], index=frame.index)
        in_files = pd.Series(totals.stocked[pos], index=frame.index)
        q = at.where(at.notna(), q.where(~in_files, 0)).astype("Int64")
    q = visible_quantity(q, policy, channel.safety_stock)
    out["quantity"] = q
    availability = derive_availability(frame["availability_source"], q)
    zero = (availability == "out_of_stock").fillna(False)
    excluded = pd.Series(False, index=frame.index)
    issues = empty_issues()
    if policy.zero_stock == "backorder":
        availability = availability.where(~zero, "backorder").astype("str")
        ts = pd.Timestamp(now)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        due = ts.floor("D") + pd.Timedelta(days=policy.backorder_days or 0)
        date = frame["availability_date"].astype("datetime64[ns, UTC]")
        out["availability_date"] = date.where(~zero | date.notna(), due).astype("datetime64[ns, UTC]")
    elif policy.zero_stock == "exclude":
        excluded = zero
        issues = issues_where(
            frame,
            zero,
            code="excluded-by-stock-policy",
            field="quantity",
            channel=channel.name,
            value=q.astype("str"),
            message=f'out of stock: left out of {channel.name} by [channels.{channel.name}] zero_stock = "exclude"',
        )
    out["availability"] = availability.astype("str")
    prov = empty_provenance()
    changed = (q != frame["quantity"].astype("Int64")).fillna(q.notna() != frame["quantity"].notna())
    traced = changed if trace is None else changed & isin(frame["id"], trace)
    if traced.any():
        prov = pd.DataFrame(
            {
                "sku": frame.loc[traced, "id"].astype("str").to_numpy(),
                "channel": channel.name,
                "field": "quantity",
                "source": f"stock policy [channels.{channel.name}]: {describe_stock(policy, channel.safety_stock)}",
                "row": pd.array([pd.NA] * int(traced.sum()), dtype="Int64"),
            }
        )
    return PolicyResult(out, excluded, issues, prov)


def describe_stock(policy: StockPolicy, safety_stock: int) -> str:
    parts = []
    if policy.locations is not None:
        parts.append("locations " + ", ".join(policy.locations))
    if safety_stock:
        parts.append(f"safety stock {safety_stock}")
    if policy.allocation_percent != 100:
        parts.append(f"allocation {policy.allocation_percent}%")
    if policy.min_quantity:
        parts.append(f"min {policy.min_quantity}")
    if policy.max_quantity is not None:
        parts.append(f"max {policy.max_quantity}")
    if policy.zero_stock != "out_of_stock":
        parts.append(f"zero stock: {policy.zero_stock}")
    return "; ".join(parts) or "none"


STORE_COLUMNS = ["sku", "location", "quantity", "visible_quantity", "pickup_method", "pickup_sla"]


def store_inventory(stores: pd.DataFrame, channel: ChannelConfig) -> pd.DataFrame:
    """google_local's rows (sku, location = store code, quantity) with the policy applied:
    `visible_quantity` is final (google_local.to_frame then subtracts nothing), pickup per store."""
    policy: StockPolicy = channel.stock_policy
    rows = stores
    if policy.locations is not None:
        rows = rows.loc[isin(rows["location"], policy.locations)]
    rows = rows[["sku", "location", "quantity"]].reset_index(drop=True)
    rows["visible_quantity"] = visible_quantity(rows["quantity"], policy, channel.safety_stock)
    if policy.zero_stock == "exclude":
        rows = rows.loc[(rows["visible_quantity"] > 0).fillna(False)].reset_index(drop=True)
    method = channel.options.get("pickup_method")
    sla = channel.options.get("pickup_sla")
    per_method = {code: s.pickup_method for code, s in channel.stores.items() if s.pickup_method}
    per_sla = {code: s.pickup_sla for code, s in channel.stores.items() if s.pickup_sla}
    rows["pickup_method"] = map_text(rows["location"], per_method).fillna(method) if len(rows) else None
    rows["pickup_sla"] = map_text(rows["location"], per_sla).fillna(sla) if len(rows) else None
    rows["pickup_method"] = rows["pickup_method"].astype("str")
    rows["pickup_sla"] = rows["pickup_sla"].astype("str")
    return rows[STORE_COLUMNS]


# --------------------------------------------------------------------------- FX


@dataclass(frozen=True)
class FxTable:
    """Units of each currency that one unit of `base` ([defaults] currency) buys."""

    path: Path
    base: str
    rates: dict[str, Fraction]
    rows: dict[str, int]

    def factor(self, source: str, target: str) -> Fraction | None:
        if source == target:
            return Fraction(1)
        a, b = self.rates.get(source), self.rates.get(target)
        return None if a is None or b is None else b / a


@cache
def _read_fx(path: Path, mtime: float, base: str) -> FxTable:
    import csv

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the FX table: {e}") from None
    reader = csv.DictReader(text.splitlines())
    cols = [c.strip().lower() for c in reader.fieldnames or []]
    if cols[:2] != ["currency", "rate"] and not {"currency", "rate"} <= set(cols):
        raise ConfigError(
            f"{path}: an FX table needs the columns currency,rate", hint="e.g. EUR,0.92 (per 1 " + base + ")"
        )
    rates: dict[str, Fraction] = {base: Fraction(1)}
    rows: dict[str, int] = {}
    for i, rec in enumerate(reader, 1):
        rec = {k.strip().lower(): (v or "").strip() for k, v in rec.items() if k}
        cur, raw = rec.get("currency", "").upper(), rec.get("rate", "")
        try:
            rate = Fraction(raw)
        except (ValueError, ZeroDivisionError):
            rate = Fraction(0)
        if len(cur) != 3 or not cur.isalpha() or rate <= 0:
            raise ConfigError(
                f"{path} row {i}: needs an ISO 4217 currency and a rate above 0, got {cur!r},{raw!r}",
                hint=f"one line per currency: how many units one {base} buys, e.g. EUR,0.92",
            )
        if cur == base and rate != 1:
            raise ConfigError(
                f"{path} row {i}: {base} is the base currency ([defaults] currency), so its rate is 1",
                hint="write every other currency's rate per 1 " + base,
            )
        rates[cur], rows[cur] = rate, i
    return FxTable(path, base, rates, rows)


def load_fx(path: Path, base: str) -> FxTable:
    if not path.is_file():
        raise ConfigError(f"FX table {path} does not exist", hint="[prices] fx is relative to feedsync.toml")
    return _read_fx(path.resolve(), path.stat().st_mtime, base)


# --------------------------------------------------------------------------- prices


def _cents(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 cents, present) from a float money column (already rounded to cents)."""
    values = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
    present = ~np.isnan(values)
    return np.where(present, np.round(values * 100), 0).astype(np.int64), present


def scale(cents: np.ndarray, factor: Fraction) -> np.ndarray:
    """cents * factor, rounded half-up, exactly (Python integers past int64's safe range)."""
    num, den = factor.numerator, factor.denominator
    if num == den or not len(cents):
        return cents
    biggest = int(np.abs(cents).max())
    if biggest * abs(num) * 2 + den < _SAFE:
        return (cents * num * 2 + den) // (2 * den)
    obj = cents.astype(object)
    return np.array([(c * num * 2 + den) // (2 * den) for c in obj], dtype=np.int64)


def round_price(cents: np.ndarray, rule: str) -> np.ndarray:
    if rule == "0.99":  # the .99 at or below the next whole unit: 21.30 -> 21.99, 21.00 -> 20.99
        return np.maximum((cents + 99) // 100 * 100 - 1, 99)
    if rule == "0.05":  # nearest 0.05, halves up
        return np.maximum((cents + 2) // 5 * 5, 5)
    return cents


def apply_price_policy(
    frame: pd.DataFrame,
    channel: ChannelConfig,
    now: pd.Timestamp,
    *,
    market: MarketConfig | None = None,
    fx: FxTable | None = None,
    trace: set[str] | None = None,
) -> PolicyResult:
    policy: PricePolicy = channel.price_policy
    if market is None and policy == PricePolicy() and policy.min_price_column not in frame:
        return PolicyResult(frame.copy(deep=False), pd.Series(False, index=frame.index))
    out = frame.copy(deep=False)
    n = len(frame)
    idx = frame.index
    # currencies as codes into `names`: a batch holds a handful, and comparing codes is cheap
    # where comparing Python strings per row is not
    codes, uniques = pd.factorize(frame["currency"].astype("str").fillna(""))
    names = [str(u) for u in uniques]
    target = market.currency if market else None
    price, has_price = _cents(frame["price"])
    sale, has_sale = _cents(frame["sale_price"])
    floor_col = policy.min_price_column
    floor, has_floor = _cents(frame[floor_col]) if floor_col in frame else (np.zeros(n, np.int64), np.zeros(n, bool))
    sale_below_before = has_sale & has_price & (sale < price)
    issues = []
    no_rate = np.zeros(n, dtype=bool)
    out_codes = codes.copy()
    if target:
        names.append(target)
        for k, cur in enumerate(names[:-1]):
            rows = codes == k
            factor = fx.factor(cur, target) if fx is not None else (Fraction(1) if cur == target else None)
            if factor is None:
                no_rate |= rows
                continue
            for arr in (price, sale, floor):
                arr[rows] = scale(arr[rows], factor)
            out_codes[rows] = len(names) - 1
        if target in ZERO_DECIMAL_CURRENCIES:
            for arr in (price, sale, floor):
                arr[:] = scale(arr, Fraction(1, 100)) * 100
    markup = 1 + Fraction(policy.markup_percent) / 100
    tax = 1 + Fraction(market.tax_rate if market else 0) / 100
    amount = int(policy.markup_amount * 100)
    price, sale = scale(price, markup) + amount, scale(sale, markup) + amount
    price, sale, floor = scale(price, tax), scale(sale, tax), scale(floor, tax)
    zero_dec = np.isin(out_codes, [k for k, name in enumerate(names) if name in ZERO_DECIMAL_CURRENCIES])
    if policy.rounding != "none":
        price = np.where(zero_dec, price, round_price(price, policy.rounding))
        sale = np.where(zero_dec, sale, round_price(sale, policy.rounding))

    ok = ~no_rate
    new_price = pd.Series(np.where(has_price & ok, price / 100, np.nan), index=idx)
    new_sale = pd.Series(np.where(has_sale & ok, sale / 100, np.nan), index=idx)
    dropped = sale_below_before & ok & (sale >= price)
    new_sale = new_sale.where(~dropped)
    # unconvertible rows keep their own prices and currency; the error keeps them off the channel
    out["price"] = new_price.where(ok, frame["price"])
    out["sale_price"] = new_sale.where(ok, frame["sale_price"])
    out["currency"] = labels(out_codes, names, idx)
    if dropped.any():
        for col in ("sale_price_start", "sale_price_end"):
            out[col] = frame[col].where(~dropped)

    view = frame.assign(price=out["price"], sale_price=frame["sale_price"])
    cur_s = frame["currency"].astype("str").fillna("")
    issues.append(
        issues_where(
            view,
            pd.Series(no_rate & (has_price | has_sale), index=idx),
            code="missing-fx-rate",
            field="currency",
            channel=channel.name,
            value=cur_s,
            message=lambda hit: (
                "no exchange rate from "
                + cur_s[hit.index]
                + f" to {target} in "
                + (fx.path.name if fx else "an FX table ([prices] fx is not set)")
            ),
        )
    )
    issues.append(
        issues_where(
            view,
            pd.Series(dropped, index=idx),
            code="sale-dropped-by-policy",
            field="sale_price",
            channel=channel.name,
            value=_money_text(sale, idx),
            message=lambda hit: (
                "after this channel's pricing the sale price "
                + _money_text(sale, idx)(hit)
                + " is not below the price "
                + _money_text(price, idx)(hit)
                + "; the sale price is not sent"
            ),
        )
    )
    if floor_col in frame:
        ts = pd.Timestamp(now)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        end = frame["sale_price_end"]
        sale_live = has_sale & ~dropped & (sale < price) & ~((end.notna() & (end <= ts)).to_numpy())
        fields = (
            ("price", has_price & ok & has_floor & (price < floor)),
            ("sale_price", sale_live & ok & has_floor & (sale < floor)),
        )
        for fld, bad in fields:
            amounts = _money_text(price if fld == "price" else sale, idx)
            floor_text = _money_text(floor, idx)

            def message(hit: pd.DataFrame, fld: str = fld, amounts: Any = amounts, floor_text: Any = floor_text) -> Any:
                return (
                    fld
                    + " "
                    + amounts(hit)
                    + " "
                    + out["currency"][hit.index]
                    + f" is below {floor_col} "
                    + floor_text(hit)
                    + " after this channel's pricing; the product is not sent"
                )

            issues.append(
                issues_where(
                    view,
                    pd.Series(bad, index=idx),
                    code="below-min-price",
                    field=fld,
                    channel=channel.name,
                    value=amounts,
                    message=message,
                )
            )
    prov = empty_provenance()
    how = describe_price(policy, market, fx)
    if how != "none":
        changed = (has_price | has_sale) & ok
        traced = changed if trace is None else changed & isin(frame["id"], trace).to_numpy()
        ids = frame["id"].astype("str")
        parts = []
        for fld, present in (("price", has_price), ("sale_price", has_sale)):
            m = traced & present
            if m.any():
                parts.append(
                    pd.DataFrame(
                        {
                            "sku": ids[m].to_numpy(),
                            "channel": channel.name,
                            "field": fld,
                            "source": f"price policy [channels.{channel.name}]: {how}",
                            "row": pd.arrays.IntegerArray(
                                np.zeros(int(m.sum()), np.int64), np.ones(int(m.sum()), bool)
                            ),
                        }
                    )
                )
        if parts:
            prov = pd.concat(parts, ignore_index=True)
    return PolicyResult(out, pd.Series(False, index=idx), concat_issues(issues), prov)


def _money_text(cents: np.ndarray, index: pd.Index) -> Callable[[pd.DataFrame], pd.Series]:
    """Cents as 12.34 for the rows an issue is about (formatting only those, not the batch)."""
    return lambda hit: pd.Series(cents / 100, index=index)[hit.index].map("{:.2f}".format).astype("str")


def describe_price(policy: PricePolicy, market: MarketConfig | None, fx: FxTable | None) -> str:
    parts = []
    if market is not None:
        parts.append(f"market {market.feed_label} in {market.currency}" + (f" (FX {fx.path.name})" if fx else ""))
    if policy.markup_percent:
        parts.append(f"markup {policy.markup_percent}%")
    if policy.markup_amount:
        parts.append(f"plus {policy.markup_amount}")
    if market is not None and market.tax_rate:
        parts.append(f"tax {market.tax_rate}% included")
    if policy.rounding != "none":
        parts.append(f"rounded to {policy.rounding}")
    return "; ".join(parts) or "none"
