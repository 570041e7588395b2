"""KeyIndex: the previous run's item keys looked up by digest, confirmed by the strings, so the
positions are exactly pandas' get_indexer, also when digests collide."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync import state
from feedsync.key_index import KeyIndex

_KEY = st.text(alphabet=st.sampled_from(list("ab-_ é\x00")), max_size=6)


def _expected(keys: list[str], probe: list[str | None]) -> list[int]:
    return pd.Index(keys, dtype="str").get_indexer(pd.Index(probe, dtype="str")).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEY, unique=True, max_size=30), st.lists(st.one_of(st.none(), _KEY), max_size=30))
def test_positions_are_pandas_get_indexer(keys, probe):
    index = KeyIndex(pd.Index(keys, dtype="str"))
    assert index.positions(pd.Series(probe, dtype="str")).tolist() == _expected(keys, probe)


def _by_length(a):
    """A digest that collides whenever two keys have the same length."""
    return np.array([len(s or "") for s in a.to_pylist()], dtype=np.uint64)


def test_a_probe_sharing_a_digest_with_a_key_is_not_taken_for_it(monkeypatch):
    monkeypatch.setattr(state, "digest_each", _by_length)
    index = KeyIndex(pd.Index(["a", "bb", "ccc"], dtype="str"))
    assert index._pandas is None  # the keys' digests differ: the digest path answers
    probe = pd.Series(["xx", "bb", "y", "ccc", None, "dddd"], dtype="str")
    assert index.positions(probe).tolist() == [-1, 1, -1, 2, -1, -1]


def test_keys_sharing_a_digest_are_still_found_exactly(monkeypatch):
    monkeypatch.setattr(state, "digest_each", _by_length)
    keys = ["ab", "cd", "e"]
    index = KeyIndex(pd.Index(keys, dtype="str"))
    assert index._pandas is not None
    probe = ["cd", "ab", "zz", "e", None]
    assert index.positions(pd.Series(probe, dtype="str")).tolist() == _expected(keys, probe) == [1, 0, -1, 2, -1]


def test_an_empty_key_set_finds_nothing():
    assert KeyIndex(pd.Index([], dtype="str")).positions(pd.Series(["a"], dtype="str")).tolist() == [-1]


def test_a_history_repeating_a_key_keeps_its_first_entry():
    from feedsync.delta import FeedTracker
    from feedsync.state import ItemState

    hashes = np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3]], dtype=np.uint64)
    previous = ItemState(pd.Index(["A", "B", "A"], dtype="str"), hashes, np.array([10, 20, 30], dtype=np.int64))
    tracker = FeedTracker("meta", previous, now=100, resend_days=30)
    assert tracker.previous.keys.tolist() == ["A", "B"] and tracker.previous.sent_at.tolist() == [10, 20]
    c = tracker.classify(pd.Series(["A", "C"], dtype="str"), np.array([[1, 1, 1], [5, 5, 5]], dtype=np.uint64))
    assert c.added.tolist() == [False, True] and c.changed.tolist() == [False, False]
    assert tracker.removed() == ["B"]
