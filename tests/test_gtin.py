"""The vectorised GTIN check against a plain per-value reference and real GTINs."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.validation.semantic import gtin_messages, gtin_problems


def reference(gtin: str | None) -> str | None:
    """GS1 rules written the obvious way, one value at a time."""
    if gtin is None or gtin == "":
        return None
    if not all(c in "0123456789" for c in gtin) or len(gtin) not in (8, 12, 13, 14):
        return "invalid-gtin"
    *body, check = (int(c) for c in gtin)
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        return "invalid-gtin"
    thirteen = gtin.rjust(14, "0")[1:]
    if len(gtin) != 8 and thirteen.startswith(("2", "02", "04")):
        return "restricted-gtin"
    if thirteen.startswith(("981", "982", "983", "984", "99", "05")):
        return "restricted-gtin"
    return None


def with_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize(
    ("gtin", "problem"),
    [
        ("4006381333931", None),  # EAN-13
        ("9780306406157", None),  # ISBN-13
        ("9791234567896", None),  # ISBN-13, 979 range
        ("036000291452", None),  # UPC-A
        ("96385074", None),  # EAN-8
        ("00012345600012", None),  # GTIN-14 of a UPC
        ("4006381333932", "invalid-gtin"),
        ("123", "invalid-gtin"),
        ("40063813339310", "invalid-gtin"),
        ("400638133393 ", "invalid-gtin"),
        ("4006381333931.0", "invalid-gtin"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "invalid-gtin"),  # Arabic-Indic digits are not GTIN digits
        ("2001234567893", "restricted-gtin"),  # store-internal EAN-13
        ("212345678909", "restricted-gtin"),  # UPC number system 2 (variable weight)
        ("412345678903", "restricted-gtin"),  # UPC number system 4
        ("512345678900", "restricted-gtin"),  # UPC coupon
        ("9812345678902", "restricted-gtin"),  # coupon
        ("9912345678909", "restricted-gtin"),
        ("20123451", None),  # GTIN-8 is not checked for restricted circulation
        ("", None),
        (None, None),
    ],
)
def test_known_values(gtin: str | None, problem: str | None) -> None:
    assert reference(gtin) == problem  # the reference itself must agree on the known cases
    result = gtin_problems(pd.Series([gtin], dtype="str"))
    assert as_list(result) == [problem]


def test_messages() -> None:
    gtins = pd.Series(
        [
            "4006381333932",
            "123",
            "2001234567893",
            "4006381333931",
            None,
            "12A45678",
            "212345678909",
            "9812345678902",
        ],
        dtype="str",
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    problems = gtin_problems(gtins)
    messages = gtin_messages(gtins, problems)
    assert list(messages.index) == list(gtins.index)
    assert as_list(messages) == [
        "gtin '4006381333932' has a wrong check digit (expected 1)",
        "gtin '123' has 3 digits; a GTIN has 8, 12, 13 or 14",
        "gtin '2001234567893' is a store-internal number (starts with 2)",
        None,
        None,
        "gtin '12A45678' contains characters other than digits",
        "gtin '212345678909' is a store-internal number (starts with 2)",
        "gtin '9812345678902' is a coupon number (starts with 981)",
    ]


def test_input_kinds_and_alignment() -> None:
    values = ["4006381333931", None, "4006381333932", "2001234567893"]
    expected = [None, None, "invalid-gtin", "restricted-gtin"]
    index = pd.Index(["a", "b", "c", "d"])
    for series in (
        pd.Series(values, dtype="str", index=index),
        pd.Series(values, dtype="string", index=index),
        pd.Series(values, dtype=object, index=index),
        pa.chunked_array([values[:2], values[2:]], pa.large_string()).to_pandas().set_axis(index),
    ):
        result = gtin_problems(series)
        assert list(result.index) == list(index)
        assert as_list(result) == expected
    assert gtin_problems(pd.Series([], dtype="str")).empty


digit_strings = st.one_of(
    st.text("0123456789", max_size=16),
    st.integers(7, 13).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)).map(with_check_digit),
    st.sampled_from(["2", "02", "04", "05", "98", "981", "984", "985", "99", "0", "1"]).flatmap(
        lambda prefix: st.sampled_from([7, 11, 12, 13]).flatmap(
            lambda n: st.text("0123456789", min_size=n - len(prefix), max_size=n - len(prefix)).map(
                lambda rest: with_check_digit(prefix + rest)
            )
        )
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(digit_strings, st.text(max_size=14), st.none()), max_size=30))
def test_matches_reference(gtins: list[str | None]) -> None:
    series = pd.Series(gtins, dtype=object)
    problems = gtin_problems(series)
    assert as_list(problems) == [reference(g) for g in gtins]
    messages = gtin_messages(series, problems)
    for gtin, problem, message in zip(gtins, as_list(problems), as_list(messages), strict=True):
        assert (message is None) == (problem is None)
        if message is not None:
            assert message.startswith(f"gtin '{gtin[:40]}")
