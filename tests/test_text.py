from __future__ import annotations

import datetime as dt
import decimal
import html

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.errors import SourceError
from feedsync.text import (
    as_text,
    attribute_columns,
    html_to_text,
    inherit,
    iso_date_text,
    join_by,
    match_headers,
    remove_item,
    require_columns,
    text_frame,
)


def S(values, **kw) -> pd.Series:
    return pd.Series(values, dtype="str", **kw)


def plain(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


# --- html_to_text -----------------------------------------------------------------------------


def test_html_to_text_blocks_become_line_breaks_and_entities_are_decoded():
    src = (
        "<p>Ideal for cold-weather training &amp; work outdoors.</p>\n"
        "<p>&bull; Two-tone gray heather hoodie.<br />&bull; Drawstring-adjustable hood. <br />"
        "&bull; Machine wash/dry.</p>"
    )
    assert html_to_text(S([src])).iloc[0] == (
        "Ideal for cold-weather training & work outdoors.\n"
        "• Two-tone gray heather hoodie.\n• Drawstring-adjustable hood.\n• Machine wash/dry."
    )


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("<ul><li>One</li><li>Two</li></ul>", "One\nTwo"),
        ("<b>Bold</b>&nbsp;and <i>italic</i>", "Bold and italic"),
        ("<script type='text/javascript'>alert('x')</script>Safe", "Safe"),
        ("<style>.a{color:red}</style><!-- note -->Text", "Text"),
        ("5 &lt; 7 &amp;&amp; 7 &gt; 5", "5 < 7 && 7 > 5"),
        ("&lt;b&gt;literal&lt;/b&gt;", "<b>literal</b>"),  # escaped markup is text, not a tag
        ("&amp;bull; stays an entity name", "&bull; stays an entity name"),
        ("a < b and c > d", "a < b and c > d"),
        ("<table><tr><td>Size</td><td>M</td></tr></table>", "Size M"),
        ("<param>x</param><pre>y</pre>", "x\ny"),  # <param> is not <p>
        ("Caf&eacute; cr&#232;me &#x2014; d&eacute;j&agrave;", "Café crème — déjà"),
        ("  lots   of\t\tspace \r\n\n\n here  ", "lots of space\nhere"),
        ("<p>   </p><br>", None),
        ("", None),
    ],
)
def test_html_to_text_cases(src, want):
    assert plain(html_to_text(S([src]))) == [want]


def test_html_to_text_keeps_index_and_missing_values():
    series = S(["<p>a</p>", None, "<p>a</p>", "b"], index=[10, 11, 12, 13])
    out = html_to_text(series)
    assert list(out.index) == [10, 11, 12, 13]
    assert plain(out) == ["a", None, "a", "b"]
    assert out.dtype == "str"
    assert plain(html_to_text(S([], index=[]))) == []
    assert plain(html_to_text(S([None, None]))) == [None, None]


# Text as exports hold it: any printable character plus the usual white space (control
# characters are the feed writers' business, not this function's).
_SPACES = " \t\n\r\u00a0\u2003\u3000"
_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"))


@settings(deadline=None)  # timing varies on shared CI machines; correctness is what is tested
@given(st.text(alphabet=st.one_of(_PRINTABLE.filter(lambda c: c not in "<>&"), st.sampled_from(_SPACES))))
def test_html_to_text_of_plain_text_only_collapses_white_space(text):
    got = html_to_text(S([text])).iloc[0]
    lines = text.replace("\r", " ").split("\n")
    want = "\n".join(" ".join(line.split()) for line in lines if line.split())
    assert (None if pd.isna(got) else got) == (want or None)


@settings(deadline=None)
@given(st.text(alphabet=st.one_of(_PRINTABLE, st.sampled_from(_SPACES + "<>&;#/"))))
def test_html_to_text_never_leaves_edge_space_or_runs_of_space(text):
    got = html_to_text(S([text])).iloc[0]
    if not pd.isna(got):
        assert got == got.strip()
        assert "  " not in got and "\n\n" not in got


def test_html_to_text_decodes_like_html_unescape():
    samples = ["&amp;", "&#39;", "&quot;x&quot;", "&notanentity;", "&copy 2026", "&#1234567890;"]
    assert plain(html_to_text(S(samples))) == [html.unescape(s) for s in samples]


# --- columns of text ------------------------------------------------------------------------


def test_join_by_joins_values_per_key_in_row_order():
    got = join_by(S(["k1", "k2", "k1", "k3", None, "k1"]), S(["a", "b", None, "c", "d", "e"]))
    assert got.to_dict() == {"k1": "a|e", "k2": "b", "k3": "c"}


def test_remove_item_drops_the_row_value_from_the_list():
    lists = S(["a|b|c", "a", None, "x|y", "b|b|c"], index=[3, 4, 5, 6, 7])
    item = S(["b", "a", "a", None, "b"], index=[3, 4, 5, 6, 7])
    assert remove_item(lists, item).to_dict() == {3: "a|c", 4: np.nan, 5: np.nan, 6: "x|y", 7: "c"}


def test_attribute_columns_maps_known_labels_and_keeps_others():
    labels = S(["Size", "Colour", "Fit", None, "Price"])
    values = S(["M", "Red", "Slim", "x", "9"])
    cols = attribute_columns([(labels, values), (S(["Color"] * 5), S(["Blue"] * 5))], reserved=["fit"])
    assert plain(cols["size"]) == ["M", None, None, None, None]
    assert plain(cols["color"]) == ["Blue", "Red", "Blue", "Blue", "Blue"]  # first pair wins
    assert plain(cols["attribute_fit"]) == [None, None, "Slim", None, None]  # clashes with a source column
    assert plain(cols["attribute_price"]) == [None, None, None, None, "9"]  # never overwrites price


def test_inherit_fills_only_empty_cells_from_the_source_row():
    frame = pd.DataFrame({"a": S(["p", None, "own"]), "b": S(["x", None, None])})
    inherit(frame, np.array([-1, 0, 0]), ["a", "b", "missing"])
    assert plain(frame["a"]) == ["p", "p", "own"]
    assert plain(frame["b"]) == ["x", "x", "x"]


def test_text_frame_orders_canonical_columns_first():
    frame = text_frame({"zeta": S(["z"]), "price": S(["1"]), "id": S(["A"])}, [7])
    assert list(frame.columns) == ["id", "price", "zeta", "_row"]
    assert frame["_row"].dtype == "Int64" and frame["_row"].iloc[0] == 7


# --- typed values ---------------------------------------------------------------------------


def test_as_text_of_typed_values():
    assert plain(as_text(pd.Series([1.0, 49.95, None, 4006381333931.0, 0.1]))) == [
        "1",
        "49.95",
        None,
        "4006381333931",
        "0.1",
    ]
    assert plain(as_text(pd.Series([1, 2]))) == ["1", "2"]
    assert plain(as_text(pd.Series([True, False]))) == ["true", "false"]
    mixed = pd.Series(
        [
            dt.datetime(2026, 1, 2),
            dt.datetime(2026, 1, 2, 3, 4, 5),
            dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            dt.date(2026, 3, 4),
            decimal.Decimal("49.950"),
            b"bytes",
            None,
            "text",
            7,
        ],
        dtype=object,
    )
    assert plain(as_text(mixed)) == [
        "2026-01-02",
        "2026-01-02T03:04:05",
        "2026-01-02T00:00:00+00:00",
        "2026-03-04",
        "49.950",
        "bytes",
        None,
        "text",
        "7",
    ]
    assert plain(as_text(pd.Series(pd.to_datetime(["2026-01-01", None])))) == ["2026-01-01", None]


def test_iso_date_text_normalises_export_date_styles():
    got = iso_date_text(
        S(
            [
                "2026-05-01",
                "2026-05-01 00:00:00",
                "2026-05-01 10:30:00",
                "2026-05-01T10:00:00+02:00",
                "5/1/26",
                "10/16/2017",
                "10/16/17, 10:30 AM",
                "0000-00-00 00:00:00",
                "soon",
                "",
            ]
        )
    )
    assert plain(got) == [
        "2026-05-01",
        "2026-05-01",
        "2026-05-01T10:30:00",
        "2026-05-01T10:00:00+02:00",
        "2026-05-01",
        "2017-10-16",
        "2017-10-16T10:30:00",
        None,
        "soon",  # kept, so the normaliser reports it with its row
        None,
    ]


# --- headers --------------------------------------------------------------------------------


def test_match_headers_and_require_columns():
    raw = pd.DataFrame(columns=["\ufeffhandle", "Variant  SKU", "Other"])
    fixed = match_headers(raw, ["Handle", "Variant SKU", "Title"])
    assert list(fixed.columns) == ["Handle", "Variant SKU", "Other"]
    with pytest.raises(SourceError) as err:
        require_columns(
            fixed, ["Handle", "Title"], kind="Shopify product", path="in.csv", hint="export again"
        )
    assert str(err.value).startswith(
        "in.csv: not a complete Shopify product export: missing column(s) 'Title'"
    )
    assert err.value.hint == "export again"


def test_list_helpers_work_on_chunked_columns():
    # pd.concat leaves Arrow-backed columns in several chunks; list kernels number rows per chunk.
    lists = pd.concat([S(["a|b", "c"]), S(["d|e|f", None])], ignore_index=True)
    items = pd.concat([S(["b", "x"]), S(["e", "y"])], ignore_index=True)
    assert plain(remove_item(lists, items)) == ["a", "c", "d|f", None]
    assert join_by(pd.concat([S(["k", "j"]), S(["k", "j"])], ignore_index=True), lists).to_dict() == {
        "k": "a|b|d|e|f",
        "j": "c",
    }
