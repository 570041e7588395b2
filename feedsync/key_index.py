"""Positions of item keys in the previous run's item set, for every batch of a build.

pandas' Index answers this with a hash table of Python strings that it keeps for the Index's
lifetime: 115 MiB per 1,000,000 keys, held for every feed through the whole run (the nightly
build's peak memory above the first build's). Here each key costs 16 bytes: its XXH3-64 digest,
sorted, and its position. A digest match is confirmed by comparing the strings themselves, so
the answer is exact; a digest shared by two previous keys (odds of about 3 in 10^8 for a
million keys) sends that key set to pandas instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync import state
from feedsync.vector import arrow


class KeyIndex:
    def __init__(self, keys: pd.Index) -> None:
        self.keys = arrow(pd.Series(keys.array, dtype="str"))
        digests = state.digest_each(self.keys)
        self.order = np.argsort(digests)
        self.sorted = digests[self.order]
        # distinct digests prove the keys distinct; equal ones (a collision or a repeated key) are rare
        self.collided = len(digests) > 1 and bool((self.sorted[1:] == self.sorted[:-1]).any())
        self._pandas = pd.Index(keys.array, dtype="str") if self.collided else None

    def __len__(self) -> int:
        return len(self.keys)

    def positions(self, probe: pd.Series) -> np.ndarray:
        """Per probe key, its position in the keys, -1 where it is not one of them (or missing)."""
        if self._pandas is not None:
            return self._pandas.get_indexer(pd.Index(probe.array, dtype="str"))
        out = np.full(len(probe), -1, dtype=np.intp)
        if not len(self.keys) or not len(probe):
            return out
        a = arrow(probe)
        digests = state.digest_each(a)
        at = np.minimum(np.searchsorted(self.sorted, digests), len(self.sorted) - 1)
        hit = np.flatnonzero((self.sorted[at] == digests) & a.is_valid().to_numpy(zero_copy_only=False))
        if len(hit):
            candidate = self.order[at[hit]]
            same = pc.equal(self.keys.take(pa.array(candidate)), a.take(pa.array(hit)))
            confirmed = same.fill_null(False).to_numpy(zero_copy_only=False)
            out[hit[confirmed]] = candidate[confirmed]
        return out
