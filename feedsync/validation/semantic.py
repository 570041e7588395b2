"""Checks a JSON Schema cannot express, vectorised over whole columns.

GTIN: digits only, 8/12/13/14 digits, GS1 mod-10 check digit, and not a restricted-circulation
(store-internal) or coupon number. The GTINs are read straight from the Arrow buffers into one
right-aligned uint8 matrix, so a million GTINs take milliseconds, not a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

GTIN_LENGTHS = (8, 12, 13, 14)
# Weights of the 13 digits before the check digit (3 on the digit next to it, then 1, 3, ...).
_WEIGHTS = np.array([3, 1] * 6 + [3], dtype=np.int32)
# GS1 prefixes of the 13-digit form (GTIN left-padded to 14, indicator digit dropped).
# Restricted circulation; a GTIN-8's 13-digit form starts 00000, so these never apply to it.
STORE_PREFIXES = ("2", "02", "04")
COUPON_PREFIXES = ("981", "982", "983", "984", "99", "05")
_PROBLEMS = pa.array(["invalid-gtin", "restricted-gtin"], pa.large_string())


def _text(gtin: pd.Series) -> pa.LargeStringArray:
    if not isinstance(gtin.dtype, pd.StringDtype):
        gtin = gtin.astype("str")
    arr = pa.array(gtin, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # columns of a streamed batch may arrive in chunks
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


@dataclass
class _Gtins:
    text: pa.LargeStringArray
    present: np.ndarray  # not NA and not ""
    invalid: np.ndarray
    wrong_check: np.ndarray
    expected: np.ndarray  # the right check digit where the shape is right, else -1
    restricted: np.ndarray
    lead: np.ndarray  # first three digits of the 13-digit form (zeros where not a GTIN)


def _analyse(gtin: pd.Series) -> _Gtins:
    text = _text(gtin)
    n = len(text)
    valid = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + n + 1]
    data = text.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    nbytes = np.diff(offsets)
    present = valid & (nbytes > 0)
    # Right-align every value of a GTIN length in 14 byte columns, left-padded with '0'.
    where = np.flatnonzero(present & np.isin(nbytes, GTIN_LENGTHS))
    end, size = offsets[1:][where], nbytes[where]
    matrix = np.full((len(where), 14), ord("0"), dtype=np.uint8)
    for length in GTIN_LENGTHS:
        rows = np.flatnonzero(size == length)
        if len(rows):
            matrix[rows, 14 - length :] = data[end[rows, None] - length + np.arange(length)]
    matrix -= ord("0")  # wraps: anything but '0'-'9' becomes > 9
    digits = (matrix <= 9).all(axis=1)
    check = (10 - (matrix[:, :13].astype(np.int32) @ _WEIGHTS) % 10) % 10
    good_shape = np.zeros(n, dtype=bool)
    good_shape[where] = digits
    expected = np.full(n, -1, dtype=np.int64)
    expected[where[digits]] = check[digits]
    wrong_check = np.zeros(n, dtype=bool)
    wrong_check[where] = digits & (matrix[:, 13] != check)
    lead = np.zeros((n, 3), dtype=np.uint8)
    lead[where] = np.where(matrix[:, 1:4] <= 9, matrix[:, 1:4], 0)
    restricted = np.zeros(n, dtype=bool)
    for prefix in STORE_PREFIXES + COUPON_PREFIXES:
        restricted |= np.logical_and.reduce([lead[:, i] == int(d) for i, d in enumerate(prefix)])
    invalid = present & ~(good_shape & ~wrong_check)
    return _Gtins(
        text=text,
        present=present,
        invalid=invalid,
        wrong_check=wrong_check,
        expected=expected,
        restricted=present & ~invalid & restricted,
        lead=lead,
    )


def _scatter(values: pa.Array, where: np.ndarray, n: int, index: pd.Index) -> pd.Series:
    """A str Series of length n holding `values` at positions `where` and NA elsewhere."""
    slot = np.full(n, -1, dtype=np.int64)
    slot[where] = np.arange(len(where))
    full = values.take(pa.array(slot, mask=slot < 0))
    return pd.Series(full.to_pandas().array, index=index)


def gtin_problems(gtin: pd.Series) -> pd.Series:
    """Per value: NA (missing or fine), "invalid-gtin" or "restricted-gtin"; aligned with `gtin`.

    An empty string counts as missing. Give GTINs as text: an integer column has lost leading zeros.
    """
    g = _analyse(gtin)
    where = np.flatnonzero(g.invalid | g.restricted)
    codes = np.where(g.invalid[where], 0, 1)
    return _scatter(_PROBLEMS.take(pa.array(codes)), where, len(gtin), gtin.index)


def gtin_messages(gtin: pd.Series, problems: pd.Series) -> pd.Series:
    """A merchandiser-facing sentence for each value `problems` flags (NA elsewhere)."""
    g = _analyse(gtin)
    where = np.flatnonzero(problems.notna().to_numpy(dtype=bool) & g.present)
    values = g.text.take(pa.array(where))
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False).astype(np.int64)
    cut = pc.utf8_slice_codeunits(values, 0, 40)
    quoted = _join("gtin '", pc.if_else(pa.array(lengths > 40), _join(cut, "…"), cut), "'")
    digits_only = np.asarray(
        pc.match_substring_regex(values, pattern="^[0-9]+$").to_numpy(zero_copy_only=False), dtype=bool
    )
    lead = g.lead[where].astype(np.int64)
    case = np.select(
        [~digits_only, ~np.isin(lengths, GTIN_LENGTHS), g.wrong_check[where], g.restricted[where]],
        [_NOT_DIGITS, _LENGTH, _CHECK, _RESTRICTED],
        default=_FINE,
    )
    detail = np.select(
        [case == _LENGTH, case == _CHECK, case == _RESTRICTED],
        [lengths, g.expected[where], (lead[:, 0] * 100 + lead[:, 1] * 10 + lead[:, 2]) * 100 + lengths],
        default=0,
    )
    # Each distinct wording is written once; rows pick theirs by number.
    combos, pick = np.unique(case * 10**9 + detail, return_inverse=True)
    wordings = pa.array([_wording(int(c) // 10**9, int(c) % 10**9) for c in combos], pa.large_string())
    text = _join(quoted, wordings.take(pa.array(pick.ravel())))
    text = pc.if_else(pa.array(case == _FINE), pa.scalar(None, pa.large_string()), text)
    return _scatter(text, where, len(gtin), gtin.index)


_NOT_DIGITS, _LENGTH, _CHECK, _RESTRICTED, _FINE = range(5)


def _wording(case: int, detail: int) -> str | None:
    if case == _NOT_DIGITS:
        return " contains characters other than digits"
    if case == _LENGTH:
        return f" has {detail} digit{'' if detail == 1 else 's'}; a GTIN has 8, 12, 13 or 14"
    if case == _CHECK:
        return f" has a wrong check digit (expected {detail})"
    if case == _RESTRICTED:
        lead, length = f"{detail // 100:03d}", detail % 100
        prefix = next(p for p in STORE_PREFIXES + COUPON_PREFIXES if lead.startswith(p))
        kind = "a store-internal number" if prefix in STORE_PREFIXES else "a coupon number"
        # As the merchandiser sees the value: a UPC-12 lacks the 13-digit form's leading 0, and a
        # GTIN-14 has its indicator digit in front.
        shown = prefix[1:] if length == 12 else prefix
        where = " after the indicator digit" if length == 14 else ""
        return f" is {kind} (starts with {shown}{where})"
    return ""


def _join(*parts: pa.Array | str) -> pa.Array:
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))
