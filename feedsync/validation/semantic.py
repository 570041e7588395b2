"""Checks a JSON Schema cannot express, vectorised over whole columns.

GTIN: digits only, 8/12/13/14 digits, GS1 mod-10 check digit, and not a restricted-circulation
(store-internal) or coupon number. The digits are checked as one uint8 matrix, so a million
GTINs take milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

GTIN_LENGTHS = (8, 12, 13, 14)
# GS1 prefixes of the 13-digit form (GTIN left-padded to 14, indicator digit dropped).
STORE_PREFIXES = ("2", "02", "04")  # restricted circulation; not applied to GTIN-8
COUPON_PREFIXES = ("981", "982", "983", "984", "99", "05")
# Weights of the 13 digits before the check digit (3 on the digit next to it, then 1, 3, ...).
_WEIGHTS = np.array([3, 1] * 6 + [3], dtype=np.int64)


def _text(gtin: pd.Series) -> pa.Array:
    """The GTINs as an Arrow string array; empty strings count as missing."""
    if not isinstance(gtin.dtype, pd.StringDtype):
        gtin = gtin.astype("str")
    arr = pa.array(gtin, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # columns of a streamed batch may arrive in chunks
        arr = arr.combine_chunks()
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)


def _bools(arr: pa.Array) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _analyse(gtin: pd.Series) -> dict[str, np.ndarray]:
    arr = _text(gtin)
    n = len(arr)
    present = _bools(arr.is_valid())
    digits_only = _bools(pc.match_substring_regex(arr, pattern="^[0-9]+$"))
    lengths = pc.utf8_length(arr).fill_null(0).to_numpy(zero_copy_only=False)
    shape_ok = digits_only & np.isin(lengths, GTIN_LENGTHS)
    expected = np.full(n, -1, dtype=np.int64)
    wrong_check = np.zeros(n, dtype=bool)
    store = np.zeros(n, dtype=bool)
    coupon = np.zeros(n, dtype=bool)
    prefix = np.full(n, "", dtype=object)
    where = np.flatnonzero(shape_ok)
    if len(where):
        padded_text = pc.utf8_lpad(arr.take(pa.array(where)), 14, "0")
        padded = padded_text.cast(pa.binary()).cast(pa.binary(14))
        data = np.frombuffer(
            padded.buffers()[1], dtype=np.uint8, count=len(where) * 14, offset=padded.offset * 14
        )
        d = data.reshape(-1, 14).astype(np.int64) - 48
        check = (10 - (d[:, :13] @ _WEIGHTS) % 10) % 10
        expected[where] = check
        wrong_check[where] = d[:, 13] != check
        body = pc.utf8_slice_codeunits(padded_text, 1, 14)
        short = lengths[where] == 8
        for p in STORE_PREFIXES:
            hit = _bools(pc.starts_with(body, p)) & ~short & ~store[where] & ~coupon[where]
            store[where[hit]] = True
            prefix[where[hit]] = p
        for p in COUPON_PREFIXES:
            hit = _bools(pc.starts_with(body, p)) & ~store[where] & ~coupon[where]
            coupon[where[hit]] = True
            prefix[where[hit]] = p
    invalid = present & (~shape_ok | wrong_check)
    return {
        "arr": arr,
        "present": present,
        "digits_only": digits_only,
        "lengths": lengths,
        "shape_ok": shape_ok,
        "expected": expected,
        "invalid": invalid,
        "wrong_check": present & shape_ok & wrong_check,
        "store": present & ~invalid & store,
        "coupon": present & ~invalid & coupon,
        "prefix": prefix,
    }


def gtin_problems(gtin: pd.Series) -> pd.Series:
    """Per value: NA (missing or fine), "invalid-gtin" or "restricted-gtin"; aligned with `gtin`."""
    a = _analyse(gtin)
    out = np.full(len(gtin), None, dtype=object)
    out[a["invalid"]] = "invalid-gtin"
    out[a["store"] | a["coupon"]] = "restricted-gtin"
    return pd.Series(out, index=gtin.index, dtype="str")


def gtin_messages(gtin: pd.Series, problems: pd.Series) -> pd.Series:
    """A merchandiser-facing sentence for each value `problems` flags (NA elsewhere)."""
    a = _analyse(gtin)
    n = len(gtin)
    flagged = problems.notna().to_numpy(dtype=bool)
    out = np.full(n, None, dtype=object)
    where = np.flatnonzero(flagged & a["present"])
    if not len(where):
        return pd.Series(out, index=gtin.index, dtype="str")
    values = pd.Series(a["arr"].take(pa.array(where)).to_pandas(), dtype="str")
    cut = values.str.slice(0, 40)
    quoted = "gtin '" + cut.where(values.str.len() <= 40, cut + "…") + "'"
    lengths = pd.Series(a["lengths"][where])
    prefix = pd.Series(a["prefix"][where], dtype="str")
    # Where the prefix shows in the value as written: a UPC-12 lacks the 13-digit form's leading 0.
    prefix = prefix.where(lengths != 12, prefix.str.slice(1))
    prefix = prefix + np.where(lengths == 14, " after the indicator digit", "")
    digit_word = np.where(lengths == 1, " digit", " digits")
    cases = [
        (~a["digits_only"], quoted + " contains characters other than digits"),
        (
            ~a["shape_ok"],
            quoted + " has " + lengths.astype("str") + digit_word + "; a GTIN has 8, 12, 13 or 14",
        ),
        (
            a["wrong_check"],
            quoted
            + " has a wrong check digit (expected "
            + pd.Series(a["expected"][where]).astype("str")
            + ")",
        ),
        (a["store"], quoted + " is a store-internal number (starts with " + prefix + ")"),
        (a["coupon"], quoted + " is a coupon number (starts with " + prefix + ")"),
    ]
    texts = np.select(
        [cond[where] for cond, _ in cases], [text.to_numpy(dtype=object) for _, text in cases], default=None
    )
    out[where] = texts
    return pd.Series(out, index=gtin.index, dtype="str")
