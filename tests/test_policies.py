"""Stock and price policies per channel: locations, allocation, min/max, safety stock, zero
stock, per-store pickup; markup, rounding, floors, FX and tax, exact to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import NOW, write_project
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.catalog import normalise
from feedsync.channels import google_local
from feedsync.channels.common import ChannelContext
from feedsync.columns import ROW
from feedsync.config import ChannelConfig, Defaults, StockConfig, load_config
from feedsync.errors import ConfigError
from feedsync.merchandising_config import MarketConfig, PricePolicy, StockPolicy, StoreConfig
from feedsync.overrides import apply_stock, load_stock
from feedsync.policies import (
    apply_price_policy,
    apply_stock_policy,
    load_fx,
    location_totals,
    round_price,
    scale,
    store_inventory,
    visible_quantity,
)
from feedsync.positions import CatalogPositions, SkuRows

TS = pd.Timestamp(NOW)


def _frame(**cols: list) -> pd.DataFrame:
    n = len(cols["id"])
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cols.items()})
    raw.insert(0, ROW, pd.array(range(1, n + 1), dtype="Int64"))
    norm = normalise(raw, Defaults())
    assert not (norm.issues["severity"] == "error").any(), norm.issues
    return norm.frame


def _channel(name: str = "google", safety: int = 0, **kw) -> ChannelConfig:
    stock = {k: kw.pop(k) for k in list(kw) if k in StockPolicy.__dataclass_fields__}
    price = {k: kw.pop(k) for k in list(kw) if k in PricePolicy.__dataclass_fields__}
    return ChannelConfig(name, ("xml",), True, safety, kw.pop("options", {}),
                         stock_policy=StockPolicy(**stock), price_policy=PricePolicy(**price), **kw)


# --------------------------------------------------------------------------- stock


def test_visible_quantity_steps_in_order():
    q = pd.Series([0, 1, 3, 7, 10, 100, None], dtype="Int64")
    policy = StockPolicy(allocation_percent=Decimal(80), min_quantity=2, max_quantity=50)
    # safety 1, then 80% rounded down, then below 2 -> 0, then at most 50
    assert visible_quantity(q, policy, 1).tolist() == [0, 0, 0, 4, 7, 50, pd.NA]
    assert visible_quantity(q, StockPolicy(), 0).tolist() == q.tolist()
    third = StockPolicy(allocation_percent=Decimal("33.3"))
    assert visible_quantity(pd.Series([1000, 3], dtype="Int64"), third, 0).tolist() == [333, 0]


def _stocked(tmp_path: Path):
    path = tmp_path / "stock.csv"
    path.write_text("sku,location,quantity\nA,wh-main,10\nA,wh-east,5\nB,wh-east,4\nC,store-1,3\nA,store-1,2\n",
                    encoding="utf-8")
    frame = _frame(id=["A", "B", "C", "D"], price=["10"] * 4, quantity=["99", "99", "99", "6"])
    stock = load_stock(StockConfig(files=(path,), stores=("store-1",))).aligned_to(CatalogPositions(frame["id"]))
    online = apply_stock(frame, stock)
    return stock, online


def test_locations_choose_which_stock_feeds_a_channel(tmp_path):
    stock, online = _stocked(tmp_path)
    assert online["quantity"].tolist() == [15, 4, 0, 6]  # online = every warehouse; D is not in the files
    c = _channel(locations=("wh-main",))
    r = apply_stock_policy(online, c, TS, totals=location_totals(stock.rows, ("wh-main",), stock.positions))
    assert r.frame["quantity"].tolist() == [10, 0, 0, 6]  # B only in wh-east; D keeps its catalog quantity
    assert r.frame["availability"].tolist() == ["in_stock", "out_of_stock", "out_of_stock", "in_stock"]
    assert r.provenance[["sku", "field"]].values.tolist() == [["A", "quantity"], ["B", "quantity"]]
    assert r.provenance["source"].iloc[0] == "stock policy [channels.google]: locations wh-main"
    assert online["quantity"].tolist() == [15, 4, 0, 6]  # not mutated


def test_safety_stock_allocation_and_caps_on_a_channel(tmp_path):
    _, online = _stocked(tmp_path)
    c = _channel(safety=1, allocation_percent=Decimal(50), max_quantity=5)
    r = apply_stock_policy(online, c, TS)
    assert r.frame["quantity"].tolist() == [5, 1, 0, 2]  # (15-1)/2=7 -> 5; (4-1)/2 -> 1; (6-1)/2 -> 2


def test_zero_stock_out_of_stock_backorder_or_exclude(tmp_path):
    frame = _frame(id=["A", "B", "C", "D"], price=["10"] * 4, quantity=["0", "3", "0", "0"],
                   availability=["", "", "preorder", ""], availability_date=["", "", "2027-03-01", "2027-01-05"])
    plain = apply_stock_policy(frame, _channel(), TS)
    assert plain.frame["availability"].tolist() == ["out_of_stock", "in_stock", "preorder", "out_of_stock"]
    assert not plain.excluded.any()
    back = apply_stock_policy(frame, _channel(zero_stock="backorder", backorder_days=14), TS)
    assert back.frame["availability"].tolist() == ["backorder", "in_stock", "preorder", "backorder"]
    due = TS.floor("D") + timedelta(days=14)
    assert back.frame["availability_date"].tolist() == [due, pd.NaT, pd.Timestamp("2027-03-01", tz="UTC"),
                                                        pd.Timestamp("2027-01-05", tz="UTC")]
    gone = apply_stock_policy(frame, _channel(zero_stock="exclude"), TS)
    assert gone.excluded.tolist() == [True, False, False, True]


def test_store_inventory_applies_the_policy_and_per_store_pickup(tmp_path):
    stock, online = _stocked(tmp_path)
    stores = {"store-1": StoreConfig("store-1", "reserve", "next day")}
    c = _channel("google_local", safety=1, options={"pickup_method": "buy", "pickup_sla": "same day",
                                                     "limited_threshold": 0}, stores=stores)
    rows = store_inventory(stock.stores, c)
    assert rows[["sku", "location", "quantity", "visible_quantity", "pickup_method", "pickup_sla"]].values.tolist() == [
        ["C", "store-1", 3, 2, "reserve", "next day"],
        ["A", "store-1", 2, 1, "reserve", "next day"],
    ]
    other = store_inventory(stock.stores, replace(c, stores={}))
    assert other["pickup_method"].tolist() == ["buy", "buy"]
    ctx = ChannelContext(c, Defaults(), NOW, store_stock=SkuRows.build(rows, stock.positions))
    out = google_local.to_frame(online, ctx)
    assert out[["store_code", "id", "quantity", "pickup_method", "pickup_sla"]].values.tolist() == [
        ["store-1", "A", "1", "reserve", "next day"],  # safety stock subtracted once, by the policy
        ["store-1", "C", "2", "reserve", "next day"],
    ]
    excl = store_inventory(stock.stores, replace(c, safety_stock=2, stock_policy=StockPolicy(zero_stock="exclude")))
    assert excl["sku"].tolist() == ["C"]


def test_google_local_without_the_policy_behaves_as_before(tmp_path):
    stock, online = _stocked(tmp_path)
    c = _channel("google_local", safety=1, options={"pickup_method": "not supported", "pickup_sla": "same day",
                                                     "limited_threshold": 0})
    out = google_local.to_frame(online, ChannelContext(c, Defaults(), NOW, store_stock=SkuRows.build(stock.stores, stock.positions)))
    assert out["quantity"].tolist() == ["1", "2"]
    assert out["pickup_method"].tolist() == ["not supported"] * 2
    assert out["pickup_sla"].isna().all()


# --------------------------------------------------------------------------- prices


def _prices(**cols) -> pd.DataFrame:
    base = {"id": [f"S{i}" for i in range(len(cols["price"]))]}
    base.update(cols)
    return _frame(**base)


def test_no_policy_leaves_prices_untouched():
    f = _prices(price=["19.99", "5"], sale_price=["9.99", ""])
    r = apply_price_policy(f, _channel(), TS)
    pd.testing.assert_frame_equal(r.frame, f)
    assert r.issues.empty and r.provenance.empty


def test_markup_percent_then_amount_exact_to_the_cent():
    f = _prices(price=["10.05", "0.10", "19.99"], sale_price=["9.00", "", ""])
    r = apply_price_policy(f, _channel(markup_percent=Decimal("12.5"), markup_amount=Decimal("0.50")), TS)
    # 10.05 * 1.125 = 11.30625 -> 11.31 (+0.50); 0.10 * 1.125 = 0.1125 -> 0.11; 19.99 * 1.125 = 22.48875 -> 22.49
    assert r.frame["price"].tolist() == [11.81, 0.61, 22.99]
    assert r.frame["sale_price"].tolist()[0] == 10.63  # 9 * 1.125 = 10.125 -> 10.13, + 0.50
    assert r.provenance["source"].iloc[0] == "price policy [channels.google]: markup 12.5%; plus 0.50"


@pytest.mark.parametrize(
    "rule, prices, expected",
    [
        ("0.99", ["21.30", "21.00", "20.99", "0.40", "99.995"], [21.99, 20.99, 20.99, 0.99, 99.99]),
        ("0.05", ["21.32", "21.33", "21.375", "0.01", "9.99"], [21.30, 21.35, 21.40, 0.05, 10.00]),
        ("none", ["21.32"], [21.32]),
    ],
)
def test_rounding_rules(rule, prices, expected):
    r = apply_price_policy(_prices(price=prices), _channel(rounding=rule), TS)
    assert r.frame["price"].tolist() == expected


def test_sale_price_not_below_after_rounding_is_dropped_with_a_warning():
    f = _prices(price=["21.10", "30.00"], sale_price=["21.05", "25.00"], sale_price_start=["2026-11-01", ""],
                sale_price_end=["2026-12-01", ""])
    r = apply_price_policy(f, _channel(rounding="0.99"), TS)
    assert r.frame["price"].tolist() == [21.99, 29.99]
    assert r.frame["sale_price"].isna().tolist() == [True, False]
    assert r.frame["sale_price_start"].isna().tolist() == [True, True]
    warn = r.issues.iloc[0]
    assert (warn["code"], warn["severity"], warn["sku"]) == ("sale-dropped-by-policy", "warning", "S0")
    assert "sale price 21.99 is not below the price 21.99" in warn["message"]


def test_min_price_floor_is_an_error_for_price_and_live_sale_prices():
    f = _prices(price=["100", "100", "100", "50"], sale_price=["70", "70", "70", ""], min_price=["80", "60", "80", ""],
                sale_price_end=["", "", "2026-11-01", ""])
    r = apply_price_policy(f, _channel(markup_percent=Decimal(-10)), TS)
    bad = r.issues.loc[r.issues["code"] == "below-min-price"]
    # S0: sale 63 < 80 (price 90 is fine); S1 fine; S2's sale has ended; S3 has no floor
    assert bad[["sku", "field", "value", "severity"]].values.tolist() == [["S0", "sale_price", "63.00", "error"]]
    r2 = apply_price_policy(f, _channel(markup_percent=Decimal(-25)), TS)
    bad2 = r2.issues.loc[r2.issues["code"] == "below-min-price"]
    assert bad2[["sku", "field"]].values.tolist() == [["S0", "price"], ["S2", "price"], ["S0", "sale_price"],
                                                      ["S1", "sale_price"]]
    assert "price 75.00 USD is below min_price 80.00" in bad2["message"].iloc[0]


FX = "currency,rate\nEUR,0.92\nGBP,0.79\nJPY,151.5\n"


def test_fx_and_tax_for_a_market(tmp_path):
    (tmp_path / "fx.csv").write_text(FX, encoding="utf-8")
    fx = load_fx(tmp_path / "fx.csv", "USD")
    f = _prices(price=["100.00", "50.00", "10.00"], currency=["USD", "GBP", "CHF"], min_price=["", "", ""])
    fr = MarketConfig("FR", "FR", "EUR", "fr", "-FR", Decimal(20))
    r = apply_price_policy(f, _channel(), TS, market=fr, fx=fx)
    # 100 USD -> 92.00 EUR -> +20% = 110.40; 50 GBP -> 50 * 0.92 / 0.79 = 58.227... -> 58.23 -> 69.876 -> 69.88
    assert r.frame["price"].tolist()[:2] == [110.40, 69.88]
    assert r.frame["currency"].tolist() == ["EUR", "EUR", "CHF"]
    err = r.issues.loc[r.issues["code"] == "missing-fx-rate"]
    assert err[["sku", "severity"]].values.tolist() == [["S2", "error"]]
    assert err["message"].iloc[0] == "no exchange rate from CHF to EUR in fx.csv"
    jp = apply_price_policy(f.iloc[:1], _channel(), TS, market=MarketConfig("JP", "JP", "JPY", "ja"), fx=fx)
    assert jp.frame["price"].tolist() == [15150.0] and jp.frame["currency"].tolist() == ["JPY"]
    same = apply_price_policy(f.iloc[:1], _channel(), TS, market=MarketConfig("US", "US", "USD", "en"), fx=None)
    assert same.frame["price"].tolist() == [100.0] and same.issues.empty


@pytest.mark.parametrize(
    "text, message",
    [
        ("currency,rate\nEUR,abc\n", "needs an ISO 4217 currency and a rate above 0"),
        ("currency,rate\nEURO,1.1\n", "needs an ISO 4217 currency"),
        ("currency,rate\nUSD,1.1\n", "USD is the base currency"),
        ("cur,value\nEUR,1\n", "needs the columns currency,rate"),
    ],
)
def test_fx_table_errors(tmp_path, text, message):
    path = tmp_path / f"fx{abs(hash(text))}.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_fx(path, "USD")


def _reference(price: Decimal, markup: Decimal, amount: Decimal, tax: Decimal, rule: str) -> Decimal:
    """The documented steps in Decimal arithmetic, each rounded half-up to the cent."""
    cent = Decimal("0.01")
    p = (price * (1 + markup / 100)).quantize(cent, ROUND_HALF_UP) + amount
    p = (p * (1 + tax / 100)).quantize(cent, ROUND_HALF_UP)
    if rule == "0.99":
        p = max(p.to_integral_value(ROUND_CEILING) - cent, Decimal("0.99"))
    elif rule == "0.05":
        p = max((p / Decimal("0.05")).quantize(Decimal(1), ROUND_HALF_UP) * Decimal("0.05"), Decimal("0.05"))
    return p


@settings(max_examples=200, deadline=None)
@given(
    cents=st.lists(st.integers(1, 10**9), min_size=1, max_size=20),
    markup=st.decimals(-50, 300, places=2),
    amount=st.decimals(0, 20, places=2),
    tax=st.decimals(0, 30, places=1),
    rule=st.sampled_from(["none", "0.99", "0.05"]),
)
def test_policy_prices_equal_a_decimal_reference(cents, markup, amount, tax, rule):
    prices = [Decimal(c) / 100 for c in cents]
    f = _prices(price=[str(p) for p in prices])
    c = _channel(markup_percent=markup, markup_amount=amount, rounding=rule)
    market = MarketConfig("X", "US", "USD", "en", "", tax)
    got = apply_price_policy(f, c, TS, market=market).frame["price"].tolist()
    want = [float(_reference(p, markup, amount, tax, rule)) for p in prices]
    assert got == want


def test_scale_stays_exact_beyond_int64():
    cents = np.array([10**15, 3, 999_999_999_999_999], dtype=np.int64)
    factor = Fraction(123456789, 100000000)
    want = [int((Fraction(int(c)) * factor + Fraction(1, 2)) // 1) for c in cents]
    assert scale(cents, factor).tolist() == want
    assert round_price(np.array([1, 100, 101]), "0.99").tolist() == [99, 99, 199]


# --------------------------------------------------------------------------- configuration


BASE = '[catalog]\npath = "catalog.csv"\n\n[stock]\nstores = ["store-nyc"]\n\n'


def _load(tmp_path: Path, body: str):
    return load_config(write_project(tmp_path / str(abs(hash(body))), "id\nA\n", BASE + body))


def test_policy_keys_parse(tmp_path):
    config = _load(tmp_path, """
[channels.google]
locations = ["wh-main"]
allocation_percent = 80
min_quantity = 2
max_quantity = 50
zero_stock = "backorder"
backorder_days = 10
markup_percent = 7.5
markup_amount = 0.25
rounding = "0.99"
min_price_column = "floor"

[channels.google_local]
zero_stock = "exclude"
[channels.google_local.stores.store-nyc]
pickup_method = "reserve"
pickup_sla = "next day"
""")
    g = config.channels["google"]
    assert g.stock_policy == StockPolicy(("wh-main",), Decimal(80), 2, 50, "backorder", 10)
    assert g.price_policy == PricePolicy(Decimal("7.5"), Decimal("0.25"), "0.99", "floor")
    assert config.channels["google_local"].stores == {"store-nyc": StoreConfig("store-nyc", "reserve", "next day")}


@pytest.mark.parametrize(
    "body, message",
    [
        ('[channels.google]\nlocations = ["store-nyc"]\n', "locations lists the store 'store-nyc'"),
        ('[channels.google_local]\nlocations = ["wh-main"]\n', "'wh-main', which is not a store"),
        ('[channels.meta.stores.store-nyc]\npickup_method = "buy"\n', "only google_local has stores"),
        ('[channels.google_local.stores.store-x]\npickup_method = "buy"\n', "store-x\\] is not a store"),
        ('[channels.google_local.stores.store-nyc]\npickup_method = "drone"\n', "pickup_method must be"),
        ('[channels.google_local.stores.store-nyc]\ncolour = "red"\n', "unknown key 'colour'"),
        ('[channels.google]\nzero_stock = "hide"\n', "zero_stock must be"),
        ('[channels.google]\nzero_stock = "backorder"\n', "needs backorder_days"),
        ('[channels.google]\nbackorder_days = 3\n', 'used only with zero_stock = "backorder"'),
        ('[channels.google_local]\nzero_stock = "backorder"\nbackorder_days = 3\n', "local inventory has no backorder"),
        ("[channels.google]\nallocation_percent = 150\n", "a percentage from 0 to 100"),
        ("[channels.google]\nmin_quantity = 5\nmax_quantity = 2\n", "at least min_quantity"),
        ("[channels.google]\nmin_quantity = -1\n", "a whole number >= 0"),
        ('[channels.google]\nrounding = "0.9"\n', 'rounding must be "none"'),
        ("[channels.google]\nmarkup_amount = 0.125\n", "at most 2 decimals"),
        ("[channels.google]\nmarkup_percent = true\n", "markup_percent must be"),
        ("[channels.google]\nlocations = []\n", "a non-empty list"),
        ("[channels.google]\nallocation = 80\n", "unknown key 'allocation'"),
    ],
)
def test_policy_config_errors(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, body)


def test_fx_table_key_in_prices(tmp_path):
    config = _load(tmp_path, '[prices]\nfx = "fx.csv"\n\n[channels.google]\n')
    assert config.prices.fx == (config.root / "fx.csv").resolve()


def test_google_local_policy_acts_on_store_rows_not_on_online_stock(tmp_path):
    from conftest import catalog, product
    from merch_run import mini_run

    toml = (
        '[catalog]\npath = "catalog.csv"\n\n[stock]\nfiles = ["stock.csv"]\nstores = ["store-1"]\n\n'
        '[channels.google_local]\npickup_method = "buy"\npickup_sla = "same day"\nzero_stock = "exclude"\n\n'
        '[channels.google]\nzero_stock = "exclude"\n'
    )
    path = write_project(tmp_path, catalog(product("A"), product("B", gtin="9780201379624")), toml,
                         stock__csv="sku,location,quantity\nA,store-1,3\nB,store-1,0\nB,wh,4\n")
    run = mini_run(load_config(path), NOW)
    local = run.outputs["google_local"]
    assert local[["store_code", "id", "quantity"]].values.tolist() == [["store-1", "A", "3"]]  # A: no online stock
    assert run.outputs["google"]["id"].tolist() == ["B"]  # online: A has none, so google excludes it
