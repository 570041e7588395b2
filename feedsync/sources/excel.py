"""Excel workbooks (.xlsx): one sheet, first row the header, every cell as text.

Cells arrive typed (numbers, dates, booleans); they become the text a CSV export would hold
(12.0 -> '12', dates ISO 8601), so the normaliser treats every source alike.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from feedsync.columns import ROW
from feedsync.errors import SourceError
from feedsync.text import frame_as_text


def read(cfg) -> pd.DataFrame:
    """The sheet `cfg.sheet` (default: the first) of `cfg.path` as text columns plus ROW.

    ROW is the Excel row number minus the header row, so row 2 in Excel is record 1.
    Completely empty rows are skipped; their numbers are not reused.
    """
    path = Path(cfg.path) if cfg.path is not None else None
    if path is None or not path.exists():
        raise SourceError(f"{path}: file not found", hint="check [catalog] path (relative to the config file)")
    try:
        import openpyxl  # noqa: F401  (pandas' engine for .xlsx)
    except ImportError:
        raise SourceError(
            "reading .xlsx workbooks needs openpyxl", hint="install the extra: pip install 'feedsync[excel]'"
        ) from None
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise SourceError(
            f"{path}: cannot read as an Excel workbook (.xlsx): {e}",
            hint="save it from Excel as .xlsx (old .xls files are not supported), or export the sheet as CSV",
        ) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        sheet = cfg.sheet if getattr(cfg, "sheet", None) else names[0]
        if sheet not in names:
            raise SourceError(
                f"{path}: the workbook has no sheet named {sheet!r}",
                hint=f"set [catalog] sheet to one of: {', '.join(repr(n) for n in names)}",
            )
        frame = pd.read_excel(book, sheet_name=sheet, header=0, dtype=object, keep_default_na=False, na_values=[])
    frame = frame.replace("", None)
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed)
    text = frame_as_text(frame)
    # pandas gives one record per sheet row after the header, so position + 1 is the Excel row
    # number minus the header; trailing empty rows are already gone.
    text.insert(0, ROW, pd.array(np.arange(1, len(text) + 1), dtype="Int64"))
    empty = text.drop(columns=ROW).isna().all(axis=1)
    return text[~empty].reset_index(drop=True)
