"""Vectorised value formatting and escaping shared by every channel and writer.

Everything here works on whole columns (pyarrow compute underneath pandas' str dtype):
per-row Python would dominate a million-product build.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# XML 1.0 forbids these code points even escaped; they also break spreadsheets and TSV parsers.
_FORBIDDEN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{FFFE}\x{FFFF}]"
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "UGX", "XAF", "XOF", "PYG", "HUF"})


def strip_forbidden(s: pd.Series) -> pd.Series:
    return _map(s, lambda a: pc.replace_substring_regex(a, _FORBIDDEN, ""))


def single_line(s: pd.Series) -> pd.Series:
    """For formats with one record per line: tabs and line breaks become single spaces."""
    return _map(s, lambda a: pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[\t\r\n]+", " ")))


def xml_escape(s: pd.Series) -> pd.Series:
    def esc(a: pa.Array) -> pa.Array:
        a = pc.replace_substring(a, "&", "&amp;")
        a = pc.replace_substring(a, "<", "&lt;")
        return pc.replace_substring(a, ">", "&gt;")

    return _map(s, esc)


def _map(s: pd.Series, fn) -> pd.Series:
    arr = pa.array(s.astype("str").array).cast(pa.large_string())
    return pd.Series(fn(arr), index=s.index, dtype="str").astype("str")


def money(amount: pd.Series, currency: pd.Series) -> pd.Series:
    """'15.00 USD': '.' decimals, ISO 4217 code; zero-decimal currencies get no decimals."""
    cents = (amount * 100).round()
    whole = (cents // 100).astype("Int64").astype("str")
    frac = (cents % 100).astype("Int64").astype("str").str.zfill(2)
    zero_dec = currency.isin(ZERO_DECIMAL_CURRENCIES)
    number = (whole + "." + frac).where(~zero_dec, amount.round().astype("Int64").astype("str"))
    out = number + " " + currency
    return out.where(amount.notna()).astype("str")


def iso_datetime(ts: pd.Series) -> pd.Series:
    """UTC timestamps as 2026-11-20T00:00+00:00 (minutes; the form Google and Meta document)."""
    out = ts.dt.strftime("%Y-%m-%dT%H:%M+00:00")
    return out.where(ts.notna()).astype("str")


def iso_date(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d").where(ts.notna()).astype("str")


def date_range(start: pd.Series, end: pd.Series) -> pd.Series:
    out = iso_datetime(start) + "/" + iso_datetime(end)
    return out.where(start.notna() & end.notna()).astype("str")


def weight(value: pd.Series, unit: pd.Series) -> pd.Series:
    num = value.round(3).astype("str").str.replace(r"\.0$", "", regex=True)
    return (num + " " + unit).where(value.notna() & unit.notna()).astype("str")


def split_multi(s: pd.Series, limit: int, sep: str) -> pd.Series:
    """'a|b|c' (canonical multi-value cell) -> at most `limit` non-empty values joined by `sep`."""

    def fn(a: pa.Array) -> pa.Array:
        parts = pc.split_pattern(a, "|")
        if limit:
            parts = pc.list_slice(parts, 0, limit)
        return pc.binary_join(parts, pa.scalar(sep, pa.large_string()))

    out = _map(s, fn)
    return out.where(s.notna() & (out != "")).astype("str")


def empty_str(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="str")


def int_text(s: pd.Series) -> pd.Series:
    return s.astype("Int64").astype("str").where(s.notna()).astype("str")


def concat_columns(frame: pd.DataFrame, sep: str) -> pa.Array:
    """Join the columns of every row with `sep` (missing -> empty)."""
    cols = [pa.array(frame[c].astype("str").fillna(""), type=pa.large_string()) for c in frame.columns]
    return pc.binary_join_element_wise(*cols, pa.scalar(sep, pa.large_string()))


def to_numpy_str(a: pa.Array) -> np.ndarray:
    return np.asarray(a.to_pylist(), dtype=object)
