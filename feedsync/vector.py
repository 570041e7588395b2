"""Column operations pandas' string accessor runs row by row in Python (measured: `isin` on
str columns and regex `match`/`contains` fall back to per-value loops). These go straight to
pyarrow compute (RE2 regexes), so their cost stays per column, not per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow(s: pd.Series) -> pa.Array:
    """A text column as one contiguous large_string array (the kernels used on it, replace_with_mask
    and buffer views, need one chunk). A column already held by Arrow is taken as it is:
    pandas' astype costs ~50 µs a call even when it has nothing to do, and this runs per column,
    per feed, per batch."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        a = pa.array(s.array)
    else:
        a = pa.array(s.astype("str").array)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    return a.cast(pa.large_string())


# a plain decimal number: what Arrow's cast and pandas' parser read alike
_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def numbers(a: pa.Array) -> np.ndarray:
    """float64 per value; NaN where missing or not a plain decimal number ("inf", "nan", "1,5"
    and "0x10" are not numbers to a catalog), rounded correctly as Python's float() does."""
    ok = pc.fill_null(pc.match_substring_regex(a, _NUMBER), False)
    return pc.cast(pc.if_else(ok, a, pa.scalar(None, a.type)), pa.float64()).to_numpy(zero_copy_only=False)


def to_number(s: pd.Series) -> pd.Series:
    """`numbers` of a text column, "-0" read as 0. pd.to_numeric reads Arrow strings through
    Python objects while holding the GIL (and can miss by one unit in the last place); a regex
    check and an Arrow cast do neither."""
    return pd.Series(numbers(arrow(s)) + 0.0, index=s.index, dtype="float64")


def labels(codes: np.ndarray, names: Sequence[str], index: pd.Index) -> pd.Series:
    """`names[codes]` as a str column, taken in Arrow: numpy's fixed-width strings (np.where
    over literals) reach pandas' str dtype value by value, eight times slower."""
    return pd.Series(pa.array(names, pa.large_string()).take(pa.array(codes)), index=index, dtype="str")


def spread(uniques: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """`uniques[codes]` per row, missing where a code is negative: the results of a per-distinct-
    value computation put back on the rows. Taken by the column's own array (Arrow for text,
    masks for Int64), never through Python objects, which cost a value-by-value conversion."""
    return pd.Series(uniques.array.take(np.asarray(codes, dtype=np.intp), allow_fill=True), index=index)


def map_text(s: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """`s.map(mapping)` as str for a column of few distinct values (locations, codes): each
    distinct value is looked up once, not once per row."""
    codes, uniques = pd.factorize(s)
    mapped = pa.array([*(mapping.get(u) for u in uniques), None], pa.large_string())  # missing: code -1
    return pd.Series(mapped.take(pa.array(np.where(codes < 0, len(uniques), codes))), index=s.index, dtype="str")


def _bools(result: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(result.fill_null(False).to_numpy(zero_copy_only=False), index=index, dtype=bool)


def isin(s: pd.Series, values: Iterable) -> pd.Series:
    """`s.isin(values)` for text; missing is never in."""
    if isinstance(values, pd.Series | pd.Index):
        vals = pa.array(pd.Series(values).dropna().astype("str").array).cast(pa.large_string())
    else:
        vals = pa.array([v for v in values if isinstance(v, str)], type=pa.large_string())
    return _bools(pc.is_in(arrow(s), value_set=vals), s.index)


def matches(s: pd.Series, pattern: str) -> pd.Series:
    """True where the (RE2) pattern is found in the value; missing -> False."""
    return _bools(pc.match_substring_regex(arrow(s), pattern), s.index)
