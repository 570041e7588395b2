from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources import excel, read_catalog

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.title = "Read me"
    wb.active["A1"] = "The products are on the next sheet."
    ws = wb.create_sheet("Products")
    ws.append(["id", "title", "price", "gtin", "sale_price_start", "featured", None, "quantity"])
    ws.append(["SKU-1", "Linen Shirt", 49.95, 4006381333931, dt.datetime(2026, 11, 27), True, None, 12])
    ws.append([None] * 8)  # Excel row 3: empty, skipped, its number not reused
    ws.append(["SKU-2", "NA", 10, "012345678905", dt.datetime(2026, 11, 27, 9, 30), False, None, "12"])
    ws.append(["SKU-3", "  padded  ", 12.0, None, "2026-12-01", None, None, 3.5])
    ws.append([None] * 8)
    path = tmp_path / "catalog.xlsx"
    wb.save(path)
    return path


def test_named_sheet_as_text_with_excel_row_numbers(workbook):
    frame = excel.read(CatalogConfig(path=workbook, format="xlsx", sheet="Products"))
    assert list(frame.columns) == [
        "_row",
        "id",
        "title",
        "price",
        "gtin",
        "sale_price_start",
        "featured",
        "quantity",
    ]
    assert frame["_row"].dtype == "Int64" and list(frame["_row"]) == [1, 3, 4]  # Excel rows 2, 4, 5
    assert all(frame[c].dtype == "str" for c in frame.columns if c != "_row")
    records = frame.drop(columns="_row").astype(object).where(frame.notna(), None).to_dict("records")
    assert records[0] == {
        "id": "SKU-1",
        "title": "Linen Shirt",
        "price": "49.95",
        "gtin": "4006381333931",  # a number cell, without '.0' or exponent
        "sale_price_start": "2026-11-27",  # date cell -> ISO 8601
        "featured": "true",
        "quantity": "12",
    }
    assert records[1]["title"] == "NA"  # text that looks like a missing marker stays text
    assert records[1]["gtin"] == "012345678905"  # text cell keeps its leading zero
    assert records[1]["sale_price_start"] == "2026-11-27T09:30:00"
    assert (records[2]["price"], records[2]["quantity"], records[2]["gtin"]) == ("12", "3.5", None)
    assert records[2]["title"] == "  padded  "  # cleaning is the normaliser's job


def test_first_sheet_is_the_default(workbook):
    frame = excel.read(CatalogConfig(path=workbook, format="xlsx"))
    assert list(frame.columns) == ["_row", "The products are on the next sheet."]


def test_unknown_sheet_lists_the_sheets(workbook):
    with pytest.raises(SourceError) as err:
        excel.read(CatalogConfig(path=workbook, format="xlsx", sheet="Catalog"))
    assert "no sheet named 'Catalog'" in str(err.value) and "catalog.xlsx" in str(err.value)
    assert "'Read me', 'Products'" in err.value.hint


def test_missing_or_broken_files_raise_source_error(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        excel.read(CatalogConfig(path=tmp_path / "nope.xlsx", format="xlsx"))
    broken = tmp_path / "old.xlsx"
    broken.write_bytes(b"\xd0\xcf\x11\xe0 an old binary .xls file")
    with pytest.raises(SourceError) as err:
        excel.read(CatalogConfig(path=broken, format="xlsx"))
    assert "cannot read as an Excel workbook" in str(err.value) and ".xls" in err.value.hint


def test_read_catalog_reads_xlsx_and_renames_columns(workbook):
    cfg = CatalogConfig(path=workbook, sheet="Products", columns={"featured": "custom_label_0"})
    frame = pd.concat(list(read_catalog(cfg).batches(1000)))
    assert list(frame["id"]) == ["SKU-1", "SKU-2", "SKU-3"]
    assert list(frame["custom_label_0"].fillna("")) == ["true", "false", ""]
    assert list(frame["_row"]) == [1, 3, 4]
