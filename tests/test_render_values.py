"""The one-take row gather (concat_rows, rows_bytes, group) against Arrow's own joins, and
the escaping fast paths against the plain kernels."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.render import values as v
from feedsync.render.values import (
    _xml_escape_all,
    concat_rows,
    data_bytes,
    group,
    rows_bytes,
    single_line_arrow,
    xml_escape_arrow,
)

LS = pa.large_string()
ALPHABET = list('ab&<>"\\|,\t\n\r é€\U0001f600\u00a0\u3000\x0b') + [" x", "x "]


def _join(*parts, skip_missing=False):
    args = [pa.scalar(p, LS) if isinstance(p, str) else p for p in parts]
    sep = pa.scalar("", LS)
    if skip_missing:
        return pc.binary_join_element_wise(*args, sep, null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(*args, sep)


def _arrays(rng, n, count=3):
    out = []
    for _ in range(count):
        values = [
            None if rng.random() < 0.3 else "".join(rng.choice(ALPHABET, rng.integers(0, 4))) for _ in range(n + 2)
        ]
        out.append(pa.array(values, LS).slice(1, n))  # an offset, as slices of batches have
    return out


@pytest.mark.parametrize("seed", range(40))
def test_gather_matches_arrow_joins(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 7))
    a, b, c = _arrays(rng, n)
    for skip in (False, True):
        assert concat_rows("<", a, "|", b, c, ">", skip_missing=skip).equals(
            _join("<", a, "|", b, c, ">", skip_missing=skip)
        )
    elements = _join("<i>", _join("<a>", a, "</a>"), _join("<b>", b, "</b>"), "</i>", skip_missing=True)
    assert bytes(rows_bytes("<i>", group("<a>", a, "</a>"), group("<b>", b, "</b>"), "</i>")) == data_bytes(elements)
    when = rng.random(n) < 0.5
    masked = pc.if_else(pa.array(when, pa.bool_()), _join(",y", b), pa.scalar(None, LS))
    expected = pc.utf8_slice_codeunits(_join(_join(",x", a), masked, _join(",z", c), skip_missing=True), 1)
    got = concat_rows(group(group("x", a), group("y", b, when=when), group("z", c), sep=",", skip_missing=True))
    assert got.equals(expected)
    nested = _join("a", _join("x", b, "y", c, skip_missing=True), c)
    assert concat_rows("a", group("x", b, "y", c, skip_missing=True), c).equals(nested)


@pytest.mark.parametrize("seed", range(30))
def test_elements_kept_in_some_rows_next_to_literals(seed):
    """Elements kept everywhere, in some rows and in the others, between literals: the rows
    without an element lose exactly its bytes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 7))
    a, b = (pc.fill_null(x, "") for x in _arrays(rng, n, 2))
    some = rng.random(n) < 0.5
    got = rows_bytes(
        "<item>",
        group("<a>", a, "</a>", when=np.ones(n, dtype=bool)),
        group("<b>", b, "</b>", when=some),
        "<c>",
        a,
        "</c>",
        group("<d>", b, "</d>", when=~some),
        "</item>",
    )
    b_el = pc.if_else(pa.array(some, pa.bool_()), _join("<b>", b, "</b>"), pa.scalar("", LS))
    d_el = pc.if_else(pa.array(~some, pa.bool_()), _join("<d>", b, "</d>"), pa.scalar("", LS))
    expected = _join("<item>", "<a>", a, "</a>", b_el, "<c>", a, "</c>", d_el, "</item>")
    assert bytes(got) == data_bytes(expected)


@pytest.mark.parametrize("seed", range(20))
def test_escaping_fast_paths_match_the_kernels(seed):
    rng = np.random.default_rng(seed)
    (a,) = _arrays(rng, int(rng.integers(0, 9)), 1)
    assert xml_escape_arrow(a).equals(_xml_escape_all(a))
    plain = pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[\t\r\n]+", " "))
    assert single_line_arrow(a).equals(plain)


def _chunked_frame(values: list[str | None]):
    """A frame as read back from a Parquet snapshot: string columns of several Arrow chunks."""
    import pandas as pd

    half = len(values) // 2
    table = pa.Table.from_batches(
        [pa.record_batch({"id": pa.array(v, LS), "title": pa.array(v, LS)}) for v in (values[:half], values[half:])]
    )
    frame = table.to_pandas(types_mapper={LS: pd.StringDtype()}.get)
    assert isinstance(pa.array(frame["title"].array), pa.ChunkedArray)
    return frame


@pytest.mark.parametrize("kind", ["csv", "xml"])
def test_writers_render_multi_chunk_columns_like_contiguous_ones(tmp_path, kind):
    """Tombstone rows come from a Parquet snapshot whose columns hold several chunks (a delta
    build crashed on them in replace_with_mask)."""
    import pandas as pd

    from feedsync.render.writers import DelimitedWriter, RssWriter

    values = ['a, "quoted" title', "=formula", "plain", None, " lead", "line\nbreak", "é & <b>"]
    chunked = _chunked_frame(values)
    contiguous = pd.DataFrame({c: pd.array(values, dtype="str") for c in ("id", "title")})
    if kind == "csv":
        writer = DelimitedWriter("meta", "csv", tmp_path / "x.csv", columns=("id", "title"), neutralise_formulas=True)
    else:
        writer = RssWriter("meta", "xml", tmp_path / "x.xml", columns=("id", "title"), plain=frozenset({"title"}))
    out = bytes(writer.render(chunked))
    assert out == bytes(writer.render(contiguous))
    assert (b'"a, ""quoted"" title"' if kind == "csv" else b"<title>\xc3\xa9 &amp; &lt;b&gt;</title>") in out


# money and weight format in Arrow kernels; each must equal formatting value by value in Python


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False)), min_size=1, max_size=30),
    st.sampled_from(["USD", "EUR", "JPY", "KRW"]),
)
def test_money_text_equals_formatting_each_value(amounts, currency):
    got = v.money(pd.Series(amounts, dtype="float64"), pd.Series([currency] * len(amounts), dtype="str"))
    for x, text in zip(amounts, got, strict=True):
        if x is None:
            assert pd.isna(text)
        elif currency in v.ZERO_DECIMAL_CURRENCIES:
            assert text == f"{int(np.rint(x))} {currency}"
        else:
            cents = int(np.rint(x * 100))
            assert text == f"{cents // 100}.{cents % 100:02d} {currency}"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(min_value=-1e13, max_value=1e13, allow_nan=False)), min_size=1, max_size=30)
)
def test_weight_text_equals_formatting_each_value(weights):
    got = v.weight(pd.Series(weights, dtype="float64"), pd.Series(["kg"] * len(weights), dtype="str"))
    for x, text in zip(weights, got, strict=True):
        if x is None:
            assert pd.isna(text)
        else:
            assert text == re.sub(r"\.0$", "", str(np.round(x, 3))) + " kg"


_CELL_TEXT = st.text(alphabet=st.sampled_from(list('ab ,"\t\r\n\f\x0b\x1c\xa0\u3000é')), max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _CELL_TEXT), min_size=1, max_size=30), st.sampled_from(["\t", ","]))
def test_single_line_cells_need_quotes_only_for_the_delimiter_or_a_quote(cells, delimiter):
    """The shortcut DelimitedWriter takes for one-record-per-line formats: once single_line_arrow
    has run, the full check (line breaks, white space at either end) flags the same cells."""
    from feedsync.render.writers import _needs_quotes

    a = v.single_line_arrow(pa.array(cells, pa.large_string()))
    full = _needs_quotes(a, f'{delimiter}"\r\n'.encode())
    short = _needs_quotes(a, f'{delimiter}"'.encode(), edges=False)
    assert (full is None) == (short is None)
    if full is not None:
        assert full.tolist() == short.tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x3000), max_size=12)), min_size=1, max_size=20))
def test_amazon_json_strings_read_back_without_the_dropped_controls(values):
    """Amazon's string bodies: quoted, they parse as JSON to the value without its C0 controls
    other than tab, line feed and carriage return; missing stays missing."""
    import orjson

    from feedsync.render.amazon_json import _json_str

    bodies = _json_str(pa.array(values, pa.large_string())).to_pylist()
    for value, body in zip(values, bodies, strict=True):
        if value is None:
            assert body is None
            continue
        kept = "".join(c for c in value if c in "\t\n\r" or not ("\x00" <= c <= "\x1f"))
        assert orjson.loads('"' + body + '"') == kept
