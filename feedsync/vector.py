"""Column operations pandas' string accessor runs row by row in Python (measured: `isin` on
str columns and regex `match`/`contains` fall back to per-value loops). These go straight to
pyarrow compute (RE2 regexes), so their cost stays per column, not per row.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow(s: pd.Series) -> pa.Array:
    return pa.array(s.astype("str").array).cast(pa.large_string())


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
