"""The column operations that replace pandas' per-value paths must mean the same as them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from feedsync.vector import labels, map_text, to_number

PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

numeric_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.from_regex(PLAIN, fullmatch=True),
    st.text(alphabet="0123456789+-.eE ,_xinfaINFA\u0661", max_size=12),
    st.sampled_from(["inf", "-inf", "Infinity", "nan", "NaN", "-0", "0x10", "1,5", "1_000", "5.", ".5", ""]),
)


@given(st.lists(st.one_of(st.none(), numeric_text), max_size=30))
def test_to_number_reads_plain_numbers_exactly_and_nothing_else(values):
    s = pd.Series(values, dtype="str")
    got = to_number(s)
    assert got.dtype == np.float64 and got.index.equals(s.index)
    for text, value in zip(values, got.to_numpy(), strict=True):
        if text is None or not PLAIN.fullmatch(text):
            assert np.isnan(value), text
        else:
            # Python's float() rounds correctly; pd.to_numeric can miss by one unit in the last place
            # ("+73000.000020011000" alone in a column), so it is not the reference
            assert value == float(text), text
            assert not np.signbit(value) or value < 0, text


def test_to_number_reads_plain_numbers_only():
    got = to_number(pd.Series(["1", "1.50", "-3e2", ".5", "-0", "x", None, "1,000", "1.2.3", "inf", " 5"], index=range(5, 16), dtype="str"))
    assert list(got.index) == list(range(5, 16))
    assert got.tolist()[:5] == [1.0, 1.5, -300.0, 0.5, 0.0] and not np.signbit(got.iloc[4])
    assert got.iloc[5:].isna().all()


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(["web", "store-1", "store-2", "", "é"])), max_size=40),
    st.dictionaries(st.sampled_from(["web", "store-1", "é", "other"]), st.text(max_size=5), max_size=4),
)
def test_map_text_is_series_map(values, mapping):
    s = pd.Series(values, dtype="str", index=pd.RangeIndex(3, 3 + len(values)))
    expected = s.map(mapping).astype("str")
    got = map_text(s, mapping)
    assert got.dtype == expected.dtype and got.index.equals(s.index)
    assert got.isna().tolist() == expected.isna().tolist()
    assert got.dropna().tolist() == expected.dropna().tolist()


@given(st.lists(st.integers(min_value=0, max_value=2), max_size=40))
def test_labels_takes_names_by_code(codes):
    names = ["out_of_stock", "limited_availability", "in_stock"]
    got = labels(np.array(codes, dtype=np.int64), names, pd.RangeIndex(len(codes)))
    assert got.dtype == "str" and got.tolist() == [names[c] for c in codes]
