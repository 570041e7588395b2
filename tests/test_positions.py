"""Whole-catalog SKU tables laid out by catalog position (feedsync.positions) must give exactly
what the joins on SKU they replace gave."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.positions import CatalogPositions, SkuRows

SKUS = st.sampled_from(["A", "B", "C", "d", "a", "É", ""])


def test_first_row_is_the_first_occurrence_and_missing_or_unknown_is_minus_one():
    pos = CatalogPositions(pd.Series(["A", "B", None, "A", "C"], dtype="str"))
    assert pos.first_row(pd.Series(["A", "C", "Z", None, "b"], dtype="str")).tolist() == [0, 4, -1, -1, -1]


def test_align_lays_values_out_by_position_and_keeps_their_missing():
    pos = CatalogPositions(pd.Series(["A", "B", "C", "A"], dtype="str"))
    at = pos.align(pd.Series(["C", "A", "Z", "B"]), pd.Series([3, 1, 9, None], dtype="Int64"))
    assert at.tolist() == [1, pd.NA, 3, pd.NA]  # B's own value is missing; the duplicate A gets none
    assert pos.holds(pd.Series(["B", "Z"])).tolist() == [False, True, False, False]


@settings(max_examples=200, deadline=None)
@given(
    catalog=st.lists(st.one_of(st.none(), SKUS), min_size=1, max_size=12),
    table=st.lists(st.tuples(SKUS, st.sampled_from(["s1", "s2", "s3"])), max_size=15),
    data=st.data(),
)
def test_sku_rows_take_equals_a_join_on_sku(catalog, table, data):
    ids = pd.Series(catalog, dtype="str")
    first = ~ids.duplicated() & ids.notna()
    # a batch: any subset of first rows, indexed by catalog position, in any order
    chosen = data.draw(st.lists(st.sampled_from(list(np.flatnonzero(first)) or [0]), unique=True))
    chosen = [c for c in chosen if first.iloc[c]]
    batch = pd.DataFrame({"id": ids.iloc[chosen].to_numpy(), "n": range(len(chosen))}, index=chosen)
    rows = pd.DataFrame(table, columns=["sku", "location"]).drop_duplicates().reset_index(drop=True)
    rows["q"] = range(len(rows))

    sku_rows = SkuRows.build(rows, CatalogPositions(ids))
    got_rows, got_batch = sku_rows.take(batch.index.to_numpy())
    got = pd.DataFrame(
        {"n": batch["n"].to_numpy()[got_batch], "q": sku_rows.frame["q"].to_numpy()[got_rows]}
    ).sort_values(["n", "q"])
    want = batch.merge(rows, left_on="id", right_on="sku")[["n", "q"]].sort_values(["n", "q"])
    assert got.to_numpy().tolist() == want.to_numpy().tolist()
