"""The merchandising part of feedsync.toml: per-channel stock and price policies, stores,
markets and field templates, and the top-level [[rules]] and [categories] tables.

Kept apart from config.py (which calls in here) so the two can change independently; the
parsers take config.py's `_Table`, so every error still names the file, the table and the key,
and unknown keys stay errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedsync.errors import ConfigError

if TYPE_CHECKING:
    from feedsync.config import StockConfig, _Table

ZERO_STOCK = ("out_of_stock", "backorder", "exclude")
ROUNDING = ("none", "0.99", "0.05")
FEED_LABEL_RE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")  # Google's feed label charset; also a folder name
ID_SUFFIX_RE = re.compile(r"^[A-Za-z0-9_.:-]{0,20}$")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Channels that keep one product namespace per feed label (Merchant Center): the same id may appear
# in two markets there. Everywhere else two markets sharing an id suffix would publish one id twice.
FEED_LABEL_CHANNELS = ("google", "google_local")

STOCK_KEYS = ("locations", "allocation_percent", "min_quantity", "max_quantity", "zero_stock", "backorder_days")
PRICE_KEYS = ("markup_percent", "markup_amount", "rounding", "min_price_column")
EXTRA_CHANNEL_KEYS = (*STOCK_KEYS, *PRICE_KEYS, "templates", "markets", "stores")


@dataclass(frozen=True)
class StockPolicy:
    """How much of the stock a channel shows. Steps, in order: sum the channel's `locations`,
    subtract safety stock, take `allocation_percent` (rounded down), show 0 below
    `min_quantity`, cap at `max_quantity`; then `zero_stock` decides what 0 means."""

    locations: tuple[str, ...] | None = None  # None: the online stock of [stock] (every non-store location)
    allocation_percent: Decimal = Decimal(100)
    min_quantity: int = 0
    max_quantity: int | None = None
    zero_stock: str = "out_of_stock"
    backorder_days: int | None = None

    @property
    def is_default(self) -> bool:
        return self == StockPolicy()


@dataclass(frozen=True)
class PricePolicy:
    """Markup (percent, then a fixed amount in the sent currency), then tax, then rounding;
    a price below the `min_price_column` floor is an error, never sent."""

    markup_percent: Decimal = Decimal(0)
    markup_amount: Decimal = Decimal(0)
    rounding: str = "none"
    min_price_column: str = "min_price"


@dataclass(frozen=True)
class StoreConfig:
    code: str
    pickup_method: str | None = None
    pickup_sla: str | None = None


@dataclass(frozen=True)
class MarketConfig:
    """One feed of a channel: its own feed label, country, language and currency."""

    feed_label: str
    country: str
    currency: str
    language: str
    id_suffix: str = ""
    tax_rate: Decimal = Decimal(0)  # percent included in the prices sent (0: prices exclude tax)


@dataclass(frozen=True)
class CategoryConfig:
    taxonomy: Path | None = None  # Google's taxonomy-with-ids.<locale>.txt
    table: Path | None = None  # CSV key,value: source value -> category id (or full taxonomy path)
    source: str = "product_type"
    overwrite: bool = False  # replace categories the catalog already has, not only fill empty ones


def _decimal(
    t: _Table,
    key: str,
    default: Decimal,
    *,
    lo: Decimal | None = None,
    hi: Decimal | None = None,
    expected: str = "a number",
) -> Decimal:
    value = t.get(key, (int, float, str), None, expected)
    if value is None:
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise t._fail(key, expected, value) from None
    if not number.is_finite() or (lo is not None and number < lo) or (hi is not None and number > hi):
        raise t._fail(key, expected, value)
    return number


def _whole(t: _Table, key: str, default: int | None, lo: int = 0) -> int | None:
    value = t.get(key, int, None, f"a whole number >= {lo}")
    if value is None:
        return default
    if value < lo:
        raise t._fail(key, f"a whole number >= {lo}", value)
    return value


def parse_channel_extras(t: _Table, channel: str, defaults: Any) -> dict[str, Any]:
    """The merchandising keys of one [channels.<name>] table, as ChannelConfig fields."""
    locations = t.str_list("locations", ()) if "locations" in t.data else None
    if locations is not None and not locations:
        raise t._fail("locations", "a non-empty list of stock locations", [])
    stock = StockPolicy(
        locations=locations,
        allocation_percent=_decimal(
            t, "allocation_percent", Decimal(100), lo=Decimal(0), hi=Decimal(100), expected="a percentage from 0 to 100"
        ),
        min_quantity=_whole(t, "min_quantity", 0) or 0,
        max_quantity=_whole(t, "max_quantity", None),
        zero_stock=t.get("zero_stock", str, "out_of_stock", " | ".join(ZERO_STOCK)),
        backorder_days=_whole(t, "backorder_days", None, lo=1),
    )
    if stock.zero_stock not in ZERO_STOCK:
        raise t._fail("zero_stock", " | ".join(ZERO_STOCK), stock.zero_stock)
    if stock.zero_stock == "backorder" and stock.backorder_days is None:
        raise ConfigError(
            f'{t.file}: [{t.where}] zero_stock = "backorder" needs backorder_days',
            hint="add `backorder_days = 14` (availability_date is set that many days after the run)",
        )
    if stock.backorder_days is not None and stock.zero_stock != "backorder":
        raise t._fail("backorder_days", 'used only with zero_stock = "backorder"', stock.backorder_days)
    if stock.max_quantity is not None and stock.max_quantity < stock.min_quantity:
        raise t._fail("max_quantity", f"at least min_quantity ({stock.min_quantity})", stock.max_quantity)
    if channel == "google_local" and stock.zero_stock == "backorder":
        raise t._fail("zero_stock", '"out_of_stock" or "exclude" (local inventory has no backorder)', "backorder")

    price = PricePolicy(
        markup_percent=_decimal(
            t, "markup_percent", Decimal(0), lo=Decimal(-99), hi=Decimal(1000), expected="a percentage from -99 to 1000"
        ),
        markup_amount=_decimal(t, "markup_amount", Decimal(0), expected="an amount with at most 2 decimals"),
        rounding=t.get("rounding", str, "none", " | ".join(f'"{r}"' for r in ROUNDING)),
        min_price_column=t.get("min_price_column", str, "min_price", "a catalog column name"),
    )
    if price.rounding not in ROUNDING:
        raise t._fail("rounding", " | ".join(f'"{r}"' for r in ROUNDING), price.rounding)
    if price.markup_amount != price.markup_amount.quantize(Decimal("0.01")):
        raise t._fail("markup_amount", "an amount with at most 2 decimals", str(price.markup_amount))

    templates: dict[str, str] = {}
    tt = t.sub("templates")
    for key in tt.data:
        source = tt.get(key, str, expected='a template string, e.g. "{{ brand }} {{ title }}"')
        if not FIELD_RE.match(key) or key == "id":
            raise ConfigError(
                f"{t.file}: [{tt.where}] {key!r} is not a field a template can fill",
                hint="name an attribute such as title, description, link or custom_label_0 (not id)",
            )
        from feedsync.field_templates import check_syntax

        check_syntax(source, where=f"{t.file}: [{tt.where}] {key}")
        templates[key] = source

    stores: dict[str, StoreConfig] = {}
    st = t.sub("stores")
    if st.data and channel != "google_local":
        raise ConfigError(
            f"{t.file}: [{st.where}]: only google_local has stores",
            hint="move the per-store pickup settings to [channels.google_local.stores.<code>]",
        )
    for code in st.data:
        s = st.sub(code)
        from feedsync.channels.google_local import PICKUP_METHODS, PICKUP_SLAS

        method = s.get("pickup_method", str, None, " | ".join(PICKUP_METHODS))
        sla = s.get("pickup_sla", str, None, " | ".join(PICKUP_SLAS))
        if method is not None and method not in PICKUP_METHODS:
            raise s._fail("pickup_method", " | ".join(PICKUP_METHODS), method)
        if sla is not None and sla not in PICKUP_SLAS:
            raise s._fail("pickup_sla", " | ".join(PICKUP_SLAS), sla)
        s.reject_unknown()
        stores[code] = StoreConfig(code, method, sla)

    markets = _markets(t, channel, defaults, price)
    return {"templates": templates, "stock_policy": stock, "price_policy": price, "markets": markets, "stores": stores}


def _markets(t: _Table, channel: str, defaults: Any, price: PricePolicy) -> tuple[MarketConfig, ...]:
    raw = t.get("markets", list, None, "an array of tables ([[channels.<name>.markets]])")
    if raw is None:
        return ()
    if not raw:
        raise t._fail("markets", "at least one [[markets]] table", raw)
    from feedsync.config import _Table as Table
    from feedsync.render.values import ZERO_DECIMAL_CURRENCIES

    out: list[MarketConfig] = []
    for i, item in enumerate(raw, 1):
        m = Table(t.file, f"{t.where}.markets #{i}", item)
        label = m.get("feed_label", str, None, "a feed label such as US (letters, digits, - and _; up to 20)")
        if label is None or not FEED_LABEL_RE.match(label):
            raise m._fail("feed_label", "a feed label such as US (letters, digits, - and _; up to 20)", label)
        currency = m.get("currency", str, defaults.currency, "an ISO 4217 code such as EUR")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise m._fail("currency", "an ISO 4217 code such as EUR", currency)
        suffix = m.get("id_suffix", str, "", "up to 20 letters, digits or - _ . :")
        if not ID_SUFFIX_RE.match(suffix):
            raise m._fail("id_suffix", "up to 20 letters, digits or - _ . :", suffix)
        market = MarketConfig(
            feed_label=label,
            country=m.get("country", str, defaults.country, "an ISO 3166-1 code such as FR"),
            currency=currency,
            language=m.get("language", str, defaults.language, "an ISO 639-1 code such as fr"),
            id_suffix=suffix,
            tax_rate=_decimal(
                m, "tax_rate", Decimal(0), lo=Decimal(0), hi=Decimal(100), expected="a percentage from 0 to 100"
            ),
        )
        if currency in ZERO_DECIMAL_CURRENCIES and price.rounding != "none":
            raise ConfigError(
                f"{t.file}: [{m.where}] {currency} has no cents, so rounding = {price.rounding!r} cannot apply",
                hint='use rounding = "none" on this channel, or a separate channel config per currency',
            )
        m.reject_unknown(["feed_label", "country", "currency", "language", "id_suffix", "tax_rate"])
        out.append(market)
    labels = [m.feed_label.lower() for m in out]
    dup = next((m.feed_label for m in out if labels.count(m.feed_label.lower()) > 1), None)
    if dup:
        raise ConfigError(
            f"{t.file}: [{t.where}] has two markets with feed_label {dup!r}",
            hint="each market needs its own feed label (it names the output folder too)",
        )
    if channel not in FEED_LABEL_CHANNELS:
        suffixes = [m.id_suffix for m in out]
        clash = next((s for s in suffixes if suffixes.count(s) > 1), None)
        if clash is not None:
            raise ConfigError(
                f"{t.file}: [{t.where}] two markets share id_suffix {clash!r}, so {channel} would receive the "
                "same product id twice",
                hint='give each market its own id_suffix, e.g. id_suffix = "-FR"',
            )
    return tuple(out)


def check_channel_stock(
    t_file: Path, name: str, stock_policy: StockPolicy, stores: dict[str, StoreConfig], stock: StockConfig
) -> None:
    """Cross-checks against [stock]: stores feed only google_local, named stores exist."""
    where = f"[channels.{name}]"
    locs = stock_policy.locations or ()
    if name == "google_local":
        wrong = [loc for loc in locs if loc not in stock.stores]
        if wrong:
            raise ConfigError(
                f"{t_file}: {where} locations lists {wrong[0]!r}, which is not a store",
                hint=f"google_local is fed by stores only; [stock] stores = {list(stock.stores)}",
            )
        unknown = [code for code in stores if code not in stock.stores]
        if unknown:
            raise ConfigError(
                f"{t_file}: [channels.google_local.stores.{unknown[0]}] is not a store",
                hint=f"add it to [stock] stores, or use one of {list(stock.stores)}",
            )
    else:
        wrong = [loc for loc in locs if loc in stock.stores]
        if wrong:
            raise ConfigError(
                f"{t_file}: {where} locations lists the store {wrong[0]!r}",
                hint="store stock feeds only google_local; list warehouse locations here",
            )


def parse_rules(top: _Table) -> tuple[dict[str, Any], ...]:
    """[[rules]] as written; feedsync.rules.load_rules checks them against the catalog columns."""
    raw = top.get("rules", list, None, "an array of tables ([[rules]])")
    if raw is None:
        return ()
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ConfigError(f"{top.file}: rule {i} must be a [[rules]] table, got {item!r}")
    from feedsync.rules import check_rules

    check_rules(raw, top.file)  # structure and expression syntax; columns are checked at run time
    return tuple(raw)


def parse_categories(top: _Table, resolve: Any) -> CategoryConfig | None:
    if "categories" not in top.data:
        return None
    c = top.sub("categories")
    taxonomy = c.get("taxonomy", str, None, "the path of Google's taxonomy-with-ids file")
    table = c.get("table", str, None, "the path of a CSV mapping table (key,value)")
    cfg = CategoryConfig(
        taxonomy=resolve(taxonomy) if taxonomy else None,
        table=resolve(table) if table else None,
        source=c.get("from", str, "product_type", "a catalog column name"),
        overwrite=c.get("overwrite", bool, False),
    )
    c.reject_unknown(["taxonomy", "table", "from", "overwrite"])
    for p in (cfg.taxonomy, cfg.table):
        if p is not None and not p.is_file():
            raise ConfigError(
                f"{top.file}: [categories] names {p}, which does not exist", hint="paths are relative to feedsync.toml"
            )
    return cfg
