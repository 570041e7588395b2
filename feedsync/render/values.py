"""Vectorised value formatting and escaping shared by every channel and writer.

Everything here works on whole columns (pyarrow compute underneath pandas' str dtype):
per-row Python would dominate a million-product build.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.vector import arrow, isin

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
    return _map(s, single_line_arrow)


def single_line_arrow(a: pa.Array) -> pa.Array:
    """Runs of tabs and line breaks become one space, and white space at either end goes. Only
    values holding a tab or line break, or with white space (or a non-ASCII character, which
    may be white space) at an end, are touched."""
    a = replace_where(a, b"\t\r\n", lambda x: pc.replace_substring_regex(x, r"[\t\r\n]+", " "))
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    first, last, nonempty = end_bytes(a)
    ws = np.zeros(256, dtype=bool)
    ws[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
    ws[0x80:] = True
    mask = nonempty & (ws[first] | ws[last])
    if not mask.any():
        return a
    where = pa.array(mask)
    return pc.replace_with_mask(a, where, pc.utf8_trim_whitespace(a.filter(where)))


def end_bytes(a: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per value of a (large_)string array: its first and last byte (0 when empty or missing)
    and whether it is non-empty."""
    n = len(a)
    width = np.int64 if pa.types.is_large_string(a.type) else np.int32
    if n == 0 or a.buffers()[2] is None or a.buffers()[2].size == 0:
        zero = np.zeros(n, dtype=np.uint8)
        return zero, zero, np.zeros(n, dtype=bool)
    offsets = np.frombuffer(a.buffers()[1], dtype=width)[a.offset : a.offset + n + 1].astype(np.int64)
    data = np.frombuffer(a.buffers()[2], dtype=np.uint8)
    nonempty = offsets[1:] > offsets[:-1]
    if a.null_count:
        nonempty &= a.is_valid().to_numpy(zero_copy_only=False)
    first = np.where(nonempty, data[np.minimum(offsets[:-1], len(data) - 1)], 0).astype(np.uint8)
    last = np.where(nonempty, data[np.maximum(offsets[1:] - 1, 0)], 0).astype(np.uint8)
    return first, last, nonempty


def nonempty(a: pa.Array) -> np.ndarray:
    """Per value: present and not ''."""
    return end_bytes(a)[2]


def rows_holding(
    a: pa.Array | pa.ChunkedArray,
    chars: bytes,
    *,
    pairs: tuple[bytes, ...] = (),
    non_ascii: bool = False,
    controls: bool = False,
) -> np.ndarray | None:
    """Per value, whether it holds one of the (ASCII) `chars`, of the two-byte `pairs`, (with
    `non_ascii`) a byte above 0x7F or (with `controls`) a C0 control; None when none does. A
    look at the raw bytes: far cheaper than a substring kernel per value."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    b = _value_bytes(a)
    if not len(b):
        return None
    hit = b >= 0x80 if non_ascii else np.zeros(len(b), dtype=bool)
    if controls:
        hit |= b < 0x20
    for ch in chars:
        hit |= b == ch
    for pair in pairs:
        hit[:-1] |= (b[:-1] == pair[0]) & (b[1:] == pair[1])
    at = np.flatnonzero(hit)
    if not len(at):
        return None
    width = np.int64 if pa.types.is_large_string(a.type) else np.int32
    offsets = np.frombuffer(a.buffers()[1], dtype=width)[a.offset : a.offset + len(a) + 1]
    mask = np.zeros(len(a), dtype=bool)
    mask[np.searchsorted(offsets[1:] - offsets[0], at, side="right")] = True
    return mask


def replace_where(a: pa.Array, chars: bytes, fn: Any) -> pa.Array:
    """`fn(a)` for a string-to-string kernel chain that only changes values holding one of
    `chars`: run on those values alone (most text holds none)."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    mask = rows_holding(a, chars)
    if mask is None:
        return a
    if mask.mean() > 0.25:
        return fn(a)
    where = pa.array(mask)
    return pc.replace_with_mask(a, where, fn(a.filter(where)))


def _xml_escape_all(a: pa.Array) -> pa.Array:
    a = pc.replace_substring(a, "&", "&amp;")
    a = pc.replace_substring(a, "<", "&lt;")
    return pc.replace_substring(a, ">", "&gt;")


def xml_escape_arrow(a: pa.Array) -> pa.Array:
    return replace_where(a, b"&<>", _xml_escape_all)


def xml_escape(s: pd.Series) -> pd.Series:
    return _map(s, xml_escape_arrow)


def _map(s: pd.Series, fn) -> pd.Series:
    arr = arrow(s)
    return pd.Series(fn(arr), index=s.index, dtype="str").astype("str")


def money(amount: pd.Series, currency: pd.Series) -> pd.Series:
    """'15.00 USD': '.' decimals, ISO 4217 code; zero-decimal currencies get no decimals."""
    x = amount.to_numpy(dtype="float64", na_value=np.nan)
    zero_dec = pa.array(isin(currency, ZERO_DECIMAL_CURRENCIES).to_numpy())
    number = pc.if_else(zero_dec, decimal_text(np.rint(x), 0), decimal_text(np.rint(x * 100), 2))
    return pd.Series(join(number, " ", currency), index=amount.index, dtype="str")  # missing in, missing out


def decimal_text(units: np.ndarray, digits: int, *, strip: bool = False) -> pa.Array:
    """Whole numbers of 10**-digits (floats holding integers, NaN for missing) as decimal text,
    in Arrow kernels: (1234, 2) -> '12.34'; `strip` drops the fraction's trailing zeros and a
    bare point ('12.3', '12'). Formatting per value in Python held the GIL for most of a
    feed's rendering (measured in benchmarks/RESULTS.md)."""
    missing = np.isnan(units)
    a = np.abs(np.where(missing, 0, units)).astype(np.int64)
    scale = 10**digits
    text = pc.cast(pa.array(a // scale), pa.large_string())
    if digits:
        frac = pc.utf8_lpad(pc.cast(pa.array(a % scale), pa.large_string()), digits, "0")
        if strip:
            frac = pc.utf8_rtrim(frac, "0")
            text = join(text, pc.if_else(pc.equal(frac, ""), _part(""), _part(".")), frac)
        else:
            text = join(text, ".", frac)
    negative = np.signbit(units) & ~missing
    if negative.any():
        text = pc.if_else(pa.array(negative), join("-", text), text)
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), text) if missing.any() else text


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
    """'1.25 kg': at most three decimals, no trailing zeros."""
    x = value.to_numpy(dtype="float64", na_value=np.nan)
    big = np.abs(np.nan_to_num(x)) >= 1e12  # beyond the integer range of the fast path: Python's text
    num = decimal_text(np.where(big, np.nan, np.rint(x * 1000)), 3, strip=True)
    out = pd.Series(join(num, " ", unit), index=value.index, dtype="str")
    if big.any():
        slow = value[big].round(3).astype("str").str.replace(r"\.0$", "", regex=True) + " " + unit[big]
        out[big] = slow
    return out.where(value.notna() & unit.notna()).astype("str")


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


def _part(p: pa.Array | pd.Series | str) -> pa.Array | pa.Scalar:
    if isinstance(p, str):
        return pa.scalar(p, pa.large_string())
    if isinstance(p, pd.Series):
        return arrow(p)
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


@dataclass(frozen=True)
class Group:
    """Parts written together or not at all in a row: left out where `when` is false or, unless
    `skip_missing`, where any array part (or nested group) is missing. With `sep`, the parts are
    joined by it, and parts left out of a row take no separator (parts then are groups or arrays)."""

    parts: tuple[Any, ...]
    when: np.ndarray | None = None
    skip_missing: bool = False
    sep: str | None = None


def group(
    *parts: Any, when: np.ndarray | pd.Series | None = None, skip_missing: bool = False, sep: str | None = None
) -> Group:
    if isinstance(when, pd.Series):
        when = when.fillna(False).to_numpy(dtype=bool)
    return Group(parts, when, skip_missing, sep)


class _Gather:
    """Row-wise concatenation as one `take`: every value of every part, back to back in one
    array (literals once), and per row the indices of its pieces, -1 for pieces left out.
    One pass over the bytes however many parts there are; binary_join_element_wise per
    element and per feed costs several times more (measured on the benchmark catalog)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.literals: dict[str, int] = {"": 0}
        self.arrays: list[pa.Array] = []
        self.base = 0  # values of arrays so far
        self.columns: list[tuple[int, bool, np.ndarray | None]] = []  # (start, is_array, keep mask)

    def literal(self, text: str) -> None:
        self.columns.append((self.literals.setdefault(text, len(self.literals)), False, None))

    def array(self, a: pa.Array) -> np.ndarray | None:
        """Adds an array column; returns its validity (None: no missing value). Missing values
        are left out by index, never taken, so the array goes in without its validity bitmap
        (take's null-aware path is slower)."""
        valid = None
        if a.null_count:
            valid = a.is_valid().to_numpy(zero_copy_only=False)
            a = pa.Array.from_buffers(pa.large_string(), len(a), [None, *a.buffers()[1:]], offset=a.offset)
        self.arrays.append(a)
        self.columns.append((self.base, True, valid))
        self.base += len(a)
        return valid

    def add(self, g: Group) -> np.ndarray | None:
        """Adds the columns of a group; returns where the group is kept (None: every row)."""
        first = len(self.columns)
        keep = None if g.when is None else np.asarray(g.when, dtype=bool)
        sep_at: list[int] = []
        member: list[np.ndarray | None] = []
        for p in g.parts:
            if g.sep is not None and member:
                sep_at.append(len(self.columns))
                self.literal(g.sep)
            if isinstance(p, str):
                self.literal(p)
                member.append(None)
                continue
            valid = self.add(p) if isinstance(p, Group) else self.array(_large(p))
            member.append(valid)
            if valid is not None and not g.skip_missing:
                keep = valid if keep is None else keep & valid
        if g.sep is not None and sep_at:
            kept = np.column_stack([np.ones(self.n, bool) if m is None else m for m in member])
            before = np.logical_or.accumulate(kept, axis=1)[:, :-1]  # some part kept before this one
            for j, at in enumerate(sep_at):
                start, is_array, _ = self.columns[at]
                self.columns[at] = (start, is_array, kept[:, j + 1] & before[:, j])
        if keep is not None:
            for j in range(first, len(self.columns)):
                start, is_array, mask = self.columns[j]
                self.columns[j] = (start, is_array, keep if mask is None else mask & keep)
        return keep

    def take(self) -> tuple[pa.Array, np.ndarray | None]:
        """The pieces in row order, and how many each row has (None: every column, every row)."""
        n, k = self.n, len(self.columns)
        lits = pa.array(list(self.literals), pa.large_string())
        values = pa.concat_arrays([lits, *self.arrays]) if self.arrays else lits
        by_column = np.empty((k, n), dtype=np.int32 if len(values) < 2**31 else np.int64)
        rows = np.arange(n, dtype=by_column.dtype)
        counts = None
        left_out: dict[int, np.ndarray] = {}  # one inverted mask per distinct mask
        for j, (start, is_array, mask) in enumerate(self.columns):
            col = by_column[j]
            if is_array:
                np.add(rows, start + len(lits), out=col)
            else:
                col.fill(start)
            if mask is not None:
                if id(mask) not in left_out:
                    left_out[id(mask)] = ~mask
                np.copyto(col, -1, where=left_out[id(mask)])
                if counts is None:
                    counts = np.full(n, k, dtype=np.int64)
                counts -= left_out[id(mask)]
        flat = by_column.T.ravel()
        if counts is not None:
            flat = flat[flat >= 0]
        return pc.take(values, pa.array(flat)), counts


def _large(p: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    if isinstance(p, pd.Series):
        p = arrow(p)
    if isinstance(p, pa.ChunkedArray):
        p = p.combine_chunks()
    return p if p.type == pa.large_string() else p.cast(pa.large_string())


def concat_rows(*parts: Any, skip_missing: bool = False) -> pa.Array:
    """`join` for many parts: row-wise concatenation of arrays, literals and groups. A row is
    missing where a part is (unless `skip_missing`: then missing parts count as '')."""
    n = _rows(parts)
    gather = _Gather(n)
    valid = gather.add(Group(parts, None, skip_missing))
    taken, counts = gather.take()
    offsets = np.frombuffer(taken.buffers()[1], dtype=np.int64)[taken.offset : taken.offset + len(taken) + 1]
    if counts is None:
        row_offsets = offsets[:: max(len(gather.columns), 1)] if gather.columns else np.zeros(n + 1, np.int64)
    else:
        ends = np.empty(n + 1, dtype=np.int64)
        ends[0] = 0
        np.cumsum(counts, out=ends[1:])
        row_offsets = offsets[ends]
    validity, nulls = None, 0
    if valid is not None and not valid.all():
        validity, nulls = pa.array(valid).buffers()[1], int(n - valid.sum())
    data = taken.buffers()[2] or pa.py_buffer(b"")
    return pa.Array.from_buffers(
        pa.large_string(), n, [validity, pa.py_buffer(np.ascontiguousarray(row_offsets)), data], null_count=nulls
    )


def _rows(parts: tuple[Any, ...]) -> int:
    """The row count: the length of the first array part or `when` mask, depth first."""
    for p in parts:
        if isinstance(p, Group):
            if p.when is not None:
                return len(p.when)
            with suppress(ValueError):
                return _rows(p.parts)
        elif not isinstance(p, str):
            return len(p)
    raise ValueError("no array part: the row count is unknown")


def rows_bytes(*parts: Any) -> memoryview:
    """The bytes of `concat_rows(*parts, skip_missing=True)`, back to back: a view of the
    Arrow buffer (copying tens of megabytes into a bytes object costs as much as the take)."""
    n = _rows(parts)
    gather = _Gather(n)
    gather.add(Group(parts, None, True))
    taken, _ = gather.take()
    return data_view(taken)


def present(a: pa.Array) -> pa.Array:
    """Missing or empty -> null, so an element built from it disappears."""
    return pc.if_else(pc.equal(a, pa.scalar("", a.type)), pa.scalar(None, a.type), a)


def concat_columns(frame: pd.DataFrame, sep: str) -> pa.Array:
    """Join the columns of every row with `sep` (missing -> empty)."""
    cols = [arrow(frame[c]) for c in frame.columns]
    return pc.binary_join_element_wise(
        *cols, pa.scalar(sep, pa.large_string()), null_handling="replace", null_replacement=""
    )


def data_view(a: pa.Array) -> memoryview:
    """The bytes of all values of a string array, back to back, without a copy."""
    a = a.cast(pa.large_string())
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    data = a.buffers()[2] if len(a) else None
    if data is None:
        return memoryview(b"")
    offsets = np.frombuffer(a.buffers()[1], dtype=np.int64)[a.offset : a.offset + len(a) + 1]
    return memoryview(data)[offsets[0] : offsets[-1]]


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
