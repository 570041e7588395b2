"""Stock and price overrides: applied to copies, traceable, and loud about SKUs they cannot use."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import NOW, catalog, product, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedsync
from feedsync.catalog import normalise
from feedsync.columns import ROW
from feedsync.config import ChannelConfig, Defaults, StockConfig
from feedsync.overrides import apply_channel, apply_stock, load_prices, load_stock, unknown_skus
from feedsync.positions import CatalogPositions

CHANNELS = ["google", "google_local", "meta", "amazon"]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _catalog_frame(**cols: list[str]) -> pd.DataFrame:
    n = len(cols["id"])
    raw = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cols.items()})
    raw.insert(0, ROW, pd.array(range(1, n + 1), dtype="Int64"))
    norm = normalise(raw, Defaults())
    assert len(norm.issues) == 0
    return norm.frame


def _channel(name: str = "meta", safety_stock: int = 0) -> ChannelConfig:
    return ChannelConfig(name, ("csv",), True, safety_stock, {})


# --------------------------------------------------------------------------- stock


def test_stock_is_summed_over_locations_and_the_later_file_wins(tmp_path):
    first = _write(tmp_path, "a.csv", "sku,location,quantity\nA1,north,3\nA1,south,4\nB2,north,1\nB2,north,6\n")
    second = _write(tmp_path, "b.csv", "sku,location,quantity\nA1,south,10\n")
    stock = load_stock(StockConfig(files=(first, second)))
    assert stock.online.to_dict() == {"A1": 13, "B2": 6}  # south 4 -> 10; B2's later row wins
    winners = stock.rows.set_index(["sku", "location"])[["source", "row"]].to_dict("index")
    assert winners[("A1", "south")] == {"source": "b.csv", "row": 1}
    assert winners[("B2", "north")] == {"source": "a.csv", "row": 4}
    assert len(stock.issues) == 0


def test_store_locations_feed_local_inventory_not_online_stock(tmp_path):
    path = _write(tmp_path, "s.csv", "sku,location,quantity\nA1,web,2\nA1,store-1,5\nC3,store-1,4\n")
    stock = load_stock(StockConfig(files=(path,), stores=("store-1",)))
    assert stock.online.to_dict() == {"A1": 2, "C3": 0}  # only-in-store stock is zero online, not unknown
    assert stock.stores[["sku", "location", "quantity"]].values.tolist() == [["A1", "store-1", 5], ["C3", "store-1", 4]]
    counted = load_stock(StockConfig(files=(path,), stores=("store-1",), online_includes_stores=True))
    assert counted.online.to_dict() == {"A1": 7, "C3": 4}


def test_invalid_stock_rows_are_issues_naming_file_and_row(tmp_path):
    path = _write(tmp_path, "s.csv", "sku,location,quantity\nA1,web,2\nB2,web,lots\n,web,1\nC3,web,-1\nD4,,3\n")
    stock = load_stock(StockConfig(files=(path,)))
    assert stock.online.to_dict() == {"A1": 2}
    issues = stock.issues[["code", "severity", "row", "sku", "value"]].values.tolist()
    assert issues == [
        ["invalid-override", "error", 2, "B2", "lots"],
        ["invalid-override", "error", 3, "", "1"],
        ["invalid-override", "error", 4, "C3", "-1"],
        ["invalid-override", "error", 5, "D4", "3"],
    ]
    assert stock.issues["message"].iloc[0].startswith("s.csv row 2: ")


def test_stock_file_missing_a_column_is_refused(tmp_path):
    path = _write(tmp_path, "s.csv", "sku,qty\nA1,2\n")
    with pytest.raises(feedsync.SourceError) as e:
        load_stock(StockConfig(files=(path,)))
    assert "missing column 'location'" in e.value.message


def test_apply_stock_replaces_quantity_and_recomputes_availability():
    frame = _catalog_frame(
        id=["A1", "B2", "C3", "D4"],
        price=["5", "5", "5", "5"],
        quantity=["0", "8", "3", "0"],
        availability=["", "", "", "preorder"],
    )
    stock = load_stock(StockConfig())
    stock.online = pd.Series({"A1": 4, "B2": 0, "D4": 0}, dtype="Int64")
    out = apply_stock(frame, stock.aligned_to(CatalogPositions(frame["id"])))
    assert out.set_index("id")["quantity"].to_dict() == {"A1": 4, "B2": 0, "C3": 3, "D4": 0}
    assert out.set_index("id")["availability"].to_dict() == {
        "A1": "in_stock",
        "B2": "out_of_stock",
        "C3": "in_stock",  # not in the stock files: the catalog's quantity stands
        "D4": "preorder",
    }


def test_safety_stock_floors_at_zero_and_recomputes_availability():
    frame = _catalog_frame(
        id=["A1", "B2", "C3", "D4"],
        price=["5", "5", "5", "5"],
        quantity=["1", "2", "7", ""],
        availability=["", "", "", "backorder"],
    )
    out, _ = apply_channel(frame, load_prices((), CHANNELS), _channel("meta", safety_stock=2))
    result = out.set_index("id")
    assert result["quantity"].tolist()[:3] == [0, 0, 5]
    assert pd.isna(result.loc["D4", "quantity"])
    assert result["availability"].to_dict() == {
        "A1": "out_of_stock",
        "B2": "out_of_stock",
        "C3": "in_stock",
        "D4": "backorder",
    }


def test_overrides_never_mutate_the_catalog_frame(tmp_path):
    frame = _catalog_frame(id=["A1", "B2"], price=["5", "6"], quantity=["1", "2"], sale_price=["", "4"])
    before = frame.copy(deep=True)
    stock = load_stock(StockConfig(files=(_write(tmp_path, "s.csv", "sku,location,quantity\nA1,web,9\n"),)))
    prices = load_prices(
        (_write(tmp_path, "p.csv", "sku,channel,price,sale_price\nA1,,4.5,\nB2,meta,7,3\n"),), CHANNELS
    )
    online = apply_stock(frame, stock.aligned_to(CatalogPositions(frame["id"])))
    meta, _ = apply_channel(online, prices, _channel("meta", safety_stock=1))
    pd.testing.assert_frame_equal(frame, before)
    assert meta.set_index("id")["price"].to_dict() == {"A1": 4.5, "B2": 7.0}
    assert meta.set_index("id")["quantity"].to_dict() == {"A1": 8, "B2": 1}
    assert online.set_index("id")["quantity"].to_dict() == {"A1": 9, "B2": 2}


# --------------------------------------------------------------------------- prices


def test_channel_row_beats_all_channel_row_in_any_order(tmp_path):
    # the meta row comes first in the file; it must still win over the all-channel row for meta
    path = _write(tmp_path, "p.csv", "sku,channel,price\nA1,meta,3.50\nA1,,4.00\nB2,,8.00\nB2,,7.00\n")
    prices = load_prices((path,), CHANNELS)
    frame = _catalog_frame(id=["A1", "B2", "C3"], price=["5", "9", "2"])
    meta, prov = apply_channel(frame, prices, _channel("meta"))
    google, _ = apply_channel(frame, prices, _channel("google"))
    assert meta.set_index("id")["price"].to_dict() == {"A1": 3.5, "B2": 7.0, "C3": 2.0}
    assert google.set_index("id")["price"].to_dict() == {"A1": 4.0, "B2": 7.0, "C3": 2.0}
    assert prov[["sku", "channel", "field", "source", "row"]].values.tolist() == [
        ["A1", "meta", "price", "p.csv", 1],
        ["B2", "meta", "price", "p.csv", 4],
    ]


def test_price_override_with_a_sale_window(tmp_path):
    path = _write(tmp_path, "p.csv", "sku,channel,price,sale_price,start,end\nA1,amazon,10,8,2026-11-20,2026-12-24\n")
    frame = _catalog_frame(id=["A1"], price=["12"])
    out, _ = apply_channel(frame, load_prices((path,), CHANNELS), _channel("amazon"))
    row = out.iloc[0]
    assert (row["price"], row["sale_price"]) == (10.0, 8.0)
    assert row["sale_price_start"] == pd.Timestamp("2026-11-20", tz="UTC")
    assert row["sale_price_end"] == pd.Timestamp("2026-12-24", tz="UTC")


def test_invalid_price_rows_are_reported_and_not_used(tmp_path):
    text = "sku,channel,price,sale_price,start\nA1,,abc,,\nA1,ebay,3,,\nB2,,-1,,\nC3,,5,,soon\nD4,,6,,\n"
    prices = load_prices((_write(tmp_path, "p.csv", text),), CHANNELS)
    assert prices.rows["sku"].tolist() == ["D4"]
    assert sorted(prices.issues[["row", "sku", "field"]].values.tolist()) == [
        [1, "A1", "price"],
        [2, "A1", "channel"],
        [3, "B2", "price"],
        [4, "C3", "start"],
    ]
    assert set(prices.issues["code"]) == {"invalid-override"}
    [channel_message] = prices.issues.loc[prices.issues["field"] == "channel", "message"]
    assert channel_message == "p.csv row 2: channel is not one of google, google_local, meta, amazon"


# --------------------------------------------------------------------------- through the pipeline


def test_unknown_skus_in_override_files_are_warnings(tmp_path):
    toml = (
        '[catalog]\npath = "catalog.csv"\n[stock]\nfiles = ["stock.csv"]\n[prices]\nfiles = ["prices.csv"]\n'
        "[channels.google]\n"
    )
    cfg = write_project(
        tmp_path,
        catalog(product("A1")),
        toml,
        stock__csv="sku,location,quantity\nA1,web,3\nGHOST,web,5\n",
        prices__csv="sku,channel,price\nPHANTOM,,9.00\nA1,,8.00\n",
    )
    report = feedsync.validate(cfg, now=NOW)
    found = [(i.code, i.severity, i.row, i.sku, i.message) for i in report.issue_list()]
    assert found == [
        (
            "unknown-sku",
            "warning",
            2,
            "GHOST",
            "stock.csv row 2: stock for SKU 'GHOST', which is not in the catalog; the row is not used",
        ),
        (
            "unknown-sku",
            "warning",
            1,
            "PHANTOM",
            "prices.csv row 1: price for SKU 'PHANTOM', which is not in the catalog; the row is not used",
        ),
    ]
    assert not report.failed() and report.failed(strict=True)


def test_a_product_with_a_broken_override_row_is_excluded(tmp_path):
    toml = '[catalog]\npath = "catalog.csv"\n[stock]\nfiles = ["stock.csv"]\n[channels.google]\n'
    cfg = write_project(
        tmp_path, catalog(product("A1"), product("B2")), toml, stock__csv="sku,location,quantity\nB2,web,two\n"
    )
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    xml = (tmp_path / "out" / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<g:id>A1</g:id>" in xml and "B2" not in xml
    assert [(e["sku"], e["codes"]) for e in result.report.to_dict()["excluded"]] == [("B2", "invalid-override")]


def test_core_build_keeps_provenance_of_every_override(core_build):
    prov = core_build.provenance
    quantity = prov.loc[(prov["field"] == "quantity") & (prov["sku"] == "LAMP")]
    assert sorted(quantity["source"]) == ["stock.csv:store-2", "stock_update.csv:store-1", "stock_update.csv:warehouse"]
    price = prov.loc[prov["field"].isin(["price", "sale_price"])]
    assert sorted(map(tuple, price[["sku", "channel", "field", "row"]].values.tolist())) == [
        ("PEN", "amazon", "price", 3),
        ("PEN", "amazon", "sale_price", 3),
        ("PEN", "google", "price", 1),
        ("PEN", "google_local", "price", 1),
        ("PEN", "meta", "price", 2),
    ]


def test_unknown_skus_directly():
    stock = load_stock(StockConfig())
    stock.rows = pd.DataFrame(
        {"sku": ["A1", "Z9"], "location": ["w", "w"], "quantity": [1, 2], "source": ["s.csv"] * 2, "row": [1, 2]}
    )
    found = unknown_skus(pd.Index(["A1"]), stock, load_prices((), CHANNELS))
    assert found[["code", "row", "sku"]].values.tolist() == [["unknown-sku", 2, "Z9"]]


# --------------------------------------------------------------------------- properties


_skus = st.sampled_from(["A1", "B2", "C3", "D4"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(_skus, st.sampled_from(["web", "store-1", "north"]), st.integers(0, 50)), max_size=8),
    catalog_qty=st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=4, max_size=4),
)
def test_stock_overrides_are_idempotent_and_sum_the_winning_rows(tmp_path_factory, rows, catalog_qty):
    folder = tmp_path_factory.mktemp("stock")
    text = "sku,location,quantity\n" + "".join(f"{s},{loc},{q}\n" for s, loc, q in rows)
    stock = load_stock(StockConfig(files=(_write(folder, "s.csv", text),), stores=("store-1",)))
    winners: dict[tuple[str, str], int] = {}
    for s, loc, q in rows:
        winners[(s, loc)] = q
    expected = {}
    for (s, loc), q in winners.items():
        expected[s] = expected.get(s, 0) + (q if loc != "store-1" else 0)
    assert stock.online.to_dict() == expected

    frame = _catalog_frame(
        id=["A1", "B2", "C3", "D4"],
        price=["5"] * 4,
        quantity=["" if q is None else str(q) for q in catalog_qty],
    )
    stock = stock.aligned_to(CatalogPositions(frame["id"]))
    once = apply_stock(frame, stock)
    twice = apply_stock(once, stock)
    pd.testing.assert_frame_equal(once, twice)
    for sku, q in expected.items():
        assert once.set_index("id").loc[sku, "quantity"] == q
        assert once.set_index("id").loc[sku, "availability"] == ("in_stock" if q > 0 else "out_of_stock")


def test_fractional_price_override_on_whole_number_catalog_prices(tmp_path):
    """Every catalog price a whole number ("20") used to make the column int64 and crash here."""
    toml = '[catalog]\npath = "catalog.csv"\n[prices]\nfiles = ["prices.csv"]\n[channels.google]\n[channels.meta]\n'
    cfg = write_project(
        tmp_path,
        catalog(product("A1", price="20"), product("B2", price="30")),
        toml,
        prices__csv="sku,channel,price\nA1,,19.50\nB2,meta,29.99\n",
    )
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    google = (tmp_path / "out" / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<g:price>19.50 USD</g:price>" in google and "<g:price>30.00 USD</g:price>" in google
    assert ",29.99 USD," in (tmp_path / "out" / "meta" / "products.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["inf", "1e20", "99999999999999999999"])
def test_absurd_override_numbers_are_invalid_rows_not_crashes(tmp_path, value):
    toml = (
        '[catalog]\npath = "catalog.csv"\n[stock]\nfiles = ["stock.csv"]\n[prices]\nfiles = ["prices.csv"]\n'
        "[channels.google]\n"
    )
    cfg = write_project(
        tmp_path,
        catalog(product("A1"), product("B2"), product("C3")),
        toml,
        stock__csv=f"sku,location,quantity\nA1,web,{value}\n",
        prices__csv=f"sku,channel,price,sale_price\nB2,,{value},\n",
    )
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert sorted((i.code, i.sku, i.field) for i in result.report.issue_list()) == [
        ("invalid-override", "A1", "quantity"),
        ("invalid-override", "B2", "price"),
    ]
    assert result.report.channels["google"].items == 1  # only C3 is left
