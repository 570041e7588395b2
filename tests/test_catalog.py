"""Master-catalog checks: problems become issues with the source row, never exceptions."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import NOW, catalog, product, write_project

import feedsync
from feedsync.catalog import derive_availability, normalise
from feedsync.columns import ROW
from feedsync.config import Defaults


def _issues(report, channel=""):
    return [(i.code, i.severity, i.row, i.sku, i.field, i.value) for i in report.issue_list() if i.channel == channel]


def _raw(**cols: list[str]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cols.items()})
    frame.insert(0, ROW, pd.array(range(1, n + 1), dtype="Int64"))
    return frame


def test_duplicate_sku_keeps_the_first_row(tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1", "First"), product("B2"), product("A1", "Second")))
    report = feedsync.validate(cfg, now=NOW)
    assert _issues(report) == [("duplicate-id", "error", 3, "A1", "id", "A1")]
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    xml = (tmp_path / "out" / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<title>First</title>" in xml and "Second" not in xml
    assert result.report.channels["google"].items == 2


def test_missing_id(tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1"), product("")))
    assert _issues(feedsync.validate(cfg, now=NOW)) == [("missing-id", "error", 2, "", "id", "")]


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("$5", "price '$5' is not a number; write it like 19.99"),
        ("12.5O", "price '12.5O' is not a number; write it like 19.99"),
        ("0", "price 0 must be above zero"),
        ("-3.00", "price -3.00 must be above zero"),
    ],
)
def test_unparseable_or_non_positive_price(tmp_path, price, message):
    cfg = write_project(tmp_path, catalog(product("A1"), product("B2", price=price)))
    report = feedsync.validate(cfg, now=NOW)
    [issue] = report.issue_list()
    assert (issue.code, issue.row, issue.sku, issue.field, issue.value) == ("invalid-price", 2, "B2", "price", price)
    assert issue.message == message
    assert report.channels["google"].excluded == 1


def test_price_with_currency_code_is_read(tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1", price="19.90 EUR")))
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    assert "<g:price>19.90 EUR</g:price>" in (tmp_path / "out/google/products.xml").read_text()


@pytest.mark.parametrize(("quantity", "severity"), [("2.5", "error"), ("many", "error"), ("-4", "warning")])
def test_unparseable_or_negative_quantity(tmp_path, quantity, severity):
    cfg = write_project(tmp_path, catalog(product("A1"), product("B2", quantity=quantity)))
    assert _issues(feedsync.validate(cfg, now=NOW)) == [("invalid-quantity", severity, 2, "B2", "quantity", quantity)]


def test_negative_quantity_is_sent_as_out_of_stock(tmp_path):
    cfg = write_project(tmp_path, catalog(product("B2", quantity="-4")))
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert "<g:availability>out_of_stock</g:availability>" in (tmp_path / "out/google/products.xml").read_text()


def test_unparseable_dates(tmp_path):
    text = "id,title,description,link,image_link,brand,gtin,price,sale_price,sale_price_start,availability_date\n"
    base = "https://x.example/a,https://x.example/a.jpg,Acme,4006381333931,9.00"
    text += f"A1,Tee,d,{base},5.00,next week,\n"
    text += f"B2,Tee,d,{base},,,2026-13-45\n"
    text += f"C3,Tee,d,{base},5.00,2026-11-01T09:00:00+01:00,\n"
    report = feedsync.validate(write_project(tmp_path, text), now=NOW)
    assert _issues(report) == [
        ("invalid-date", "error", 1, "A1", "sale_price_start", "next week"),
        ("invalid-date", "error", 2, "B2", "availability_date", "2026-13-45"),
    ]
    [message] = [i.message for i in report.issue_list() if i.sku == "A1"]
    assert message == "sale_price_start 'next week' is not an ISO 8601 date such as 2026-12-24"


def test_row_numbers_count_records_not_header(tmp_path):
    lines = [product(f"P{i}") for i in range(1, 8)] + [product("P8", price="abc")]
    report = feedsync.validate(write_project(tmp_path, catalog(*lines)), now=NOW)
    assert [(i.row, i.sku) for i in report.issue_list()] == [(8, "P8")]


def test_several_problems_in_one_file_are_all_reported(tmp_path):
    lines = [product("A1"), product("A1"), product("", price="x"), product("C3", quantity="1.5"), product("D4")]
    report = feedsync.validate(write_project(tmp_path, catalog(*lines)), now=NOW)
    assert sorted((i.row, i.code) for i in report.issue_list()) == [
        (2, "duplicate-id"),
        (3, "invalid-price"),
        (3, "missing-id"),
        (4, "invalid-quantity"),
    ]
    assert report.channels["google"].excluded == 3
    assert report.channels["google"].products_in == 5


def test_a_catalog_without_an_id_column_is_refused(tmp_path):
    cfg = write_project(tmp_path, "sku,title\nA1,Tee\n")
    with pytest.raises(feedsync.FeedsyncError) as e:
        feedsync.validate(cfg, now=NOW)
    assert "has no id column" in e.value.message
    assert "[catalog.columns]" in e.value.hint


def test_columns_mapping_renames_source_columns(tmp_path):
    text = "SKU,Name,Body,URL,Image,Make,EAN,Cost\n"
    text += "A1,Tee,d,https://x.example/a,https://x.example/a.jpg,Acme,4006381333931,5.00\n"
    toml = (
        '[catalog]\npath = "catalog.csv"\n[catalog.columns]\nSKU = "id"\nName = "title"\nBody = "description"\n'
        'URL = "link"\nImage = "image_link"\nMake = "brand"\nEAN = "gtin"\nCost = "price"\n[channels.google]\n'
    )
    result = feedsync.build(write_project(tmp_path, text, toml), tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    assert "<g:id>A1</g:id>" in (tmp_path / "out/google/products.xml").read_text()


# --------------------------------------------------------------------------- normalise() directly


def test_normalise_types_and_availability():
    raw = _raw(
        id=["A", "B", "C", "D", "E", "F"],
        price=["5", "5", "5", "5", "5", "5"],
        quantity=["3", "0", "", "0", "9", ""],
        availability=["", "in_stock", "", "backorder", "Sold Out", "In Stock"],
    )
    norm = normalise(raw, Defaults())
    f = norm.frame.set_index("id")
    assert len(norm.issues) == 0
    assert f["quantity"].tolist()[:2] == [3, 0]
    assert pd.isna(f.loc["C", "quantity"])
    assert f["availability"].to_dict() == {
        "A": "in_stock",  # derived from quantity 3
        "B": "out_of_stock",  # stock decides over a declared in_stock
        "C": "out_of_stock",  # nothing known: not sellable
        "D": "backorder",  # a merchandising decision stays even at 0
        "E": "in_stock",  # quantity 9 overrides "Sold Out"
        "F": "in_stock",  # no quantity: what the catalog declared stands (spelling normalised)
    }
    assert f["currency"].unique().tolist() == ["USD"]
    assert f["condition"].unique().tolist() == ["new"]


def test_normalise_never_raises_on_garbage():
    raw = _raw(
        id=["A", "B"],
        price=["€€", "1e999"],
        quantity=["NaN", "inf"],
        sale_price_start=["yesterday", "0000-00-00"],
        availability=["???", ""],
        condition=["mint", ""],
        shipping_weight=["heavy", "3 stone"],
    )
    norm = normalise(raw, Defaults())
    codes = sorted(set(norm.issues["code"]))
    assert codes == [
        "invalid-availability",
        "invalid-condition",
        "invalid-date",
        "invalid-price",
        "invalid-quantity",
        "invalid-weight",
    ]
    assert len(norm.frame) == 0
    assert sorted(norm.excluded["id"]) == ["A", "B"]


def test_derive_availability_table():
    declared = pd.Series(["preorder", "backorder", "in_stock", "out_of_stock", None, None], dtype="str")
    quantity = pd.Series([0, 0, 0, 4, 2, None], dtype="Int64")
    assert derive_availability(declared, quantity).tolist() == [
        "preorder",
        "backorder",
        "out_of_stock",
        "in_stock",
        "in_stock",
        "out_of_stock",
    ]


def test_channel_summary_counts_errors_and_warnings_of_one_code_apart(tmp_path):
    """invalid-quantity is an error for '2.5' and a warning for '-4': the summary must not lump them."""
    lines = [product("A1", quantity="2.5"), product("B2", quantity="-4"), product("C3")]
    report = feedsync.validate(write_project(tmp_path, catalog(*lines)), now=NOW)
    google = report.channels["google"]
    assert (report.errors, report.warnings) == (1, 1)
    assert (google.errors, google.warnings) == (1, 1)
    assert dict(google.top_codes) == {"invalid-quantity": 2}


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("quantity", "inf", "invalid-quantity"),
        ("quantity", "-inf", "invalid-quantity"),
        ("quantity", "1e30", "invalid-quantity"),
        ("quantity", "99999999999999999999", "invalid-quantity"),
        ("price", "99999999999999999999", "invalid-price"),
        ("price", "9" * 400, "invalid-price"),
    ],
)
def test_infinite_or_absurd_numbers_are_issues_not_crashes(tmp_path, column, value, code):
    kwargs = {column: value}
    cfg = write_project(tmp_path, catalog(product("A1"), product("B2", **kwargs)))
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    errors = [(i.code, i.row, i.field) for i in result.report.issue_list() if i.severity == "error"]
    assert errors == [(code, 2, column)]
    assert result.report.channels["google"].items == 1


def test_largest_sensible_price_is_rendered_exactly(tmp_path):
    cfg = write_project(tmp_path, catalog(product("A1", price="9999999999999.99")))
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert "<g:price>9999999999999.99 USD</g:price>" in (tmp_path / "out/google/products.xml").read_text()
