"""Whole-catalog SKU tables aligned to catalog rows, once per run.

Stock files are keyed by SKU and read whole; the catalog is processed in batches whose index is
the catalog position. Aligning a SKU table to positions once (one hash lookup of its SKUs among
the catalog's) lets every batch take its values by position: no hashing of SKUs per batch (a join of
each batch with the whole table costs the whole table every time), and no lookup index held for
the run (pandas caches one per Index it has looked up in: about 100 MiB per million SKUs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from feedsync.vector import arrow


class CatalogPositions:
    """SKU -> catalog position of its first row. A later row with the same id is a duplicate the
    catalog checks leave out, so the first row is the one every lookup is for."""

    def __init__(self, ids: pd.Series) -> None:
        self.ids = pd.Series(ids, dtype="str").reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.ids)

    def first_row(self, skus: pd.Series) -> np.ndarray:
        """Per SKU, the catalog position of its first row; -1 for a SKU not in the catalog."""
        # Arrow's set lookup: the index of a value's first occurrence, without the GIL (a pandas
        # factorize of both columns took half as long again, holding it)
        at = pc.index_in(arrow(pd.Series(skus, dtype="str")), value_set=arrow(self.ids), skip_nulls=True)
        return pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)

    def align(self, skus: pd.Series, values: pd.Series) -> pd.arrays.IntegerArray:
        """Whole-number `values` (one per SKU, SKUs unique) over catalog positions; missing where
        the position's SKU has none."""
        at = self.first_row(skus)
        hit = at >= 0
        v = pd.array(values, dtype="Int64")
        data = np.zeros(len(self.ids), dtype=np.int64)
        missing = np.ones(len(self.ids), dtype=bool)
        data[at[hit]] = v.to_numpy(dtype=np.int64, na_value=0)[hit]
        missing[at[hit]] = np.asarray(v.isna())[hit]
        return pd.arrays.IntegerArray(data, missing)

    def holds(self, skus: pd.Series) -> np.ndarray:
        """Per catalog position: whether its SKU is among `skus`."""
        at = self.first_row(skus)
        out = np.zeros(len(self.ids), dtype=bool)
        out[at[at >= 0]] = True
        return out


def positions_of(frame: pd.DataFrame) -> np.ndarray:
    """The catalog positions of a batch's rows: its index."""
    return frame.index.to_numpy(dtype=np.int64)


@dataclass(frozen=True)
class SkuRows:
    """A table with any number of rows per SKU (stock per store), ordered by the catalog position
    of its SKU, so a batch finds its rows by binary search. Rows of SKUs the catalog lacks are
    left out (the stock checks report them)."""

    frame: pd.DataFrame  # the table's rows, in catalog order (stable within a SKU)
    at: np.ndarray  # catalog position of each row, ascending

    @classmethod
    def build(cls, table: pd.DataFrame, positions: CatalogPositions, sku: str = "sku") -> SkuRows:
        at = positions.first_row(table[sku])
        keep = np.flatnonzero(at >= 0)
        order = keep[np.argsort(at[keep], kind="stable")]
        return cls(table.iloc[order].reset_index(drop=True), at[order])

    def __len__(self) -> int:
        return len(self.frame)

    def take(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For batch rows at `positions`: (rows of the table, and for each the index into
        `positions` of its batch row), in table order."""
        if not len(positions) or not len(self.at):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        order = np.argsort(positions, kind="stable")
        sorted_pos = positions[order]
        lo = int(np.searchsorted(self.at, sorted_pos[0], side="left"))
        hi = int(np.searchsorted(self.at, sorted_pos[-1], side="right"))
        candidates = self.at[lo:hi]
        j = np.minimum(np.searchsorted(sorted_pos, candidates), len(sorted_pos) - 1)
        match = sorted_pos[j] == candidates
        return lo + np.flatnonzero(match), order[j[match]]
