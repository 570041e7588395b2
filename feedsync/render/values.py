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
FORBIDDEN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{FFFE}\x{FFFF}]"
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "UGX", "XAF", "XOF", "PYG", "HUF"})


def strip_forbidden(s: pd.Series) -> pd.Series:
    return _map(s, drop_forbidden)


def drop_forbidden(a: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`a` without FORBIDDEN characters. Almost no text has any: a scan of the raw bytes (far
    cheaper than the regex) settles that, and only then does the regex run."""
    return pc.replace_substring_regex(a, FORBIDDEN, "") if may_hold_forbidden(a) else a


def may_hold_forbidden(a: pa.Array | pa.ChunkedArray) -> bool:
    """False when no value of the string array holds a FORBIDDEN character (nor, so, any C0
    control character other than tab, line feed and carriage return)."""
    chunks = a.chunks if isinstance(a, pa.ChunkedArray) else [a]
    return any(_may_hold_forbidden(c) for c in chunks)


def holds_any_byte(a: pa.Array | pa.ChunkedArray, chars: bytes) -> bool:
    """Whether any value of the string array holds one of the (ASCII) `chars`: a comparison
    over the raw bytes, far cheaper than a regex or substring kernel."""
    chunks = a.chunks if isinstance(a, pa.ChunkedArray) else [a]
    for c in chunks:
        b = _value_bytes(c)
        if any((b == ch).any() for ch in chars):
            return True
    return False


def _value_bytes(a: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of the values of a (large_)string array, back to back (a view)."""
    data = a.buffers()[2]
    if data is None or len(a) == 0:
        return np.zeros(0, dtype=np.uint8)
    width = np.int64 if pa.types.is_large_string(a.type) else np.int32
    offsets = np.frombuffer(a.buffers()[1], dtype=width)[a.offset : a.offset + len(a) + 1]
    return np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]


def _may_hold_forbidden(a: pa.Array) -> bool:
    """Whether the UTF-8 bytes behind a (large_)string array may hold a FORBIDDEN character:
    a C0 control other than tab, line feed and carriage return; DEL; or EF BF BE|BF (U+FFFE,
    U+FFFF). Comparisons over the whole buffer, then a look at the few bytes they flag."""
    b = _value_bytes(a)
    control = b[b < 0x20]
    if ((control != 0x09) & (control != 0x0A) & (control != 0x0D)).any() or (b == 0x7F).any():
        return True
    lead = np.flatnonzero(b[:-2] == 0xEF)
    return bool(((b[lead + 1] == 0xBF) & (b[lead + 2] >= 0xBE)).any())


def single_line(s: pd.Series) -> pd.Series:
    """For formats with one record per line: tabs and line breaks become single spaces."""
    return _map(s, lambda a: pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[\t\r\n]+", " ")))


def xml_escape_arrow(a: pa.Array) -> pa.Array:
    a = pc.replace_substring(a, "&", "&amp;")
    a = pc.replace_substring(a, "<", "&lt;")
    return pc.replace_substring(a, ">", "&gt;")


def xml_escape(s: pd.Series) -> pd.Series:
    return _map(s, xml_escape_arrow)


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


def _strftime(ts: pd.Series, fmt: str) -> pd.Series:
    """Formatted once per distinct timestamp (strftime costs microseconds a value; a column
    holds few distinct dates: today, a sale's start and end)."""
    codes, uniques = pd.factorize(ts.astype("datetime64[ns, UTC]"))
    text = pc.strftime(pa.array(uniques.astype("datetime64[ns, UTC]").array), format=fmt)
    return pd.Series(text.take(pa.array(codes, mask=codes < 0)), index=ts.index, dtype="str")


def iso_datetime(ts: pd.Series) -> pd.Series:
    """UTC timestamps as 2026-11-20T00:00+00:00 (minutes; the form Google and Meta document)."""
    return _strftime(ts, "%Y-%m-%dT%H:%M+00:00")


def iso_date(ts: pd.Series) -> pd.Series:
    return _strftime(ts, "%Y-%m-%d")


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


def text_array(s: pd.Series) -> pa.Array:
    return pa.array(s.astype("str").array).cast(pa.large_string())


def _part(p: pa.Array | pd.Series | str) -> pa.Array | pa.Scalar:
    if isinstance(p, str):
        return pa.scalar(p, pa.large_string())
    if isinstance(p, pd.Series):
        return text_array(p)
    return p.cast(pa.large_string()) if p.type != pa.large_string() else p


def join(*parts: pa.Array | pd.Series | str, skip_missing: bool = False) -> pa.Array:
    """Row-wise concatenation of columns and literals in one pass.

    A missing part makes the row missing, unless `skip_missing` (then it counts as '').
    """
    args = [_part(p) for p in parts]
    sep = pa.scalar("", pa.large_string())
    if skip_missing:
        return pc.binary_join_element_wise(*args, sep, null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(*args, sep)


def present(a: pa.Array) -> pa.Array:
    """Missing or empty -> null, so an element built from it disappears."""
    return pc.if_else(pc.equal(a, pa.scalar("", a.type)), pa.scalar(None, a.type), a)


def concat_columns(frame: pd.DataFrame, sep: str) -> pa.Array:
    """Join the columns of every row with `sep` (missing -> empty)."""
    cols = [text_array(frame[c]) for c in frame.columns]
    return pc.binary_join_element_wise(*cols, pa.scalar(sep, pa.large_string()), null_handling="replace",
                                       null_replacement="")


def data_bytes(a: pa.Array) -> bytes:
    """The bytes of all values of a string array, back to back (no per-value Python objects)."""
    a = a.cast(pa.large_string())
    if len(a) == 0:
        return b""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    offsets = np.frombuffer(a.buffers()[1], dtype=np.int64)[a.offset : a.offset + len(a) + 1]
    data = a.buffers()[2]
    return bytes(memoryview(data)[offsets[0] : offsets[-1]]) if data is not None else b""
