"""report.json is streamed issue chunk by issue chunk: the same bytes as dumps(to_dict())."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.output import dumps
from feedsync.render.json_text import json_records
from feedsync.validation.issues import ISSUE_COLUMNS
from feedsync.validation.report import ChannelSummary, Report


def _report(n: int) -> Report:
    issues = pd.DataFrame(
        {
            "code": ["invalid-gtin", "sale-ended"] * n,
            "severity": ["error", "warning"] * n,
            "channel": ["google", ""] * n,
            "row": pd.array([i if i % 7 else None for i in range(2 * n)], dtype="Int64"),
            "sku": [f"SKU-{i}" for i in range(2 * n)],
            "field": ["gtin", "sale_price"] * n,
            "value": ['a "quoted"\nvalue \u00e9 \U0001f600', "</x>\\"] * n,
            "message": ["m\tx", "ünï"] * n,
        }
    )[ISSUE_COLUMNS]
    excluded = pd.DataFrame({"channel": ["google"] * n, "sku": ["S"] * n, "row": list(range(n)), "codes": ["x"] * n})
    return Report(
        generated_at="2026-11-23T00:00:00Z",
        catalog={"rows": 3, "source": "cat@@.csv"},
        channels={"google": ChannelSummary("google", ["xml"], products_in=3, top_codes=[("invalid-gtin", 2)])},
        issues=issues if n else issues.iloc[:0],
        excluded=excluded if n else pd.DataFrame(columns=["channel", "sku", "row", "codes"]),
        gate={"passed": True},
        changes=None,
    )


@pytest.mark.parametrize(("n", "chunk"), [(0, 3), (1, 3), (5, 3), (5, 10), (6, 2)])
def test_streamed_report_json_is_byte_identical(tmp_path, n, chunk):
    report = _report(n)
    path = tmp_path / "report.json"
    report.write_json(path, chunk_rows=chunk)
    assert path.read_bytes() == dumps(report.to_dict())
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_a_failed_write_leaves_the_previous_report(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    path.write_bytes(b"old")
    report = _report(4)
    monkeypatch.setattr("feedsync.validation.report.json_records", lambda frame, depth: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        report.write_json(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


_TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x3000), max_size=12))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_TEXT, _TEXT, st.one_of(st.none(), st.integers(-(2**62), 2**62))), min_size=1, max_size=20),
    st.sampled_from(["str", "object"]),
    st.integers(1, 3),
)
def test_column_wise_records_are_what_orjson_writes(rows, text_dtype, depth):
    """Every control character, quote, backslash, non-ASCII and missing value, in str and
    object columns, against orjson's own output for the same records nested at `depth`."""
    frame = pd.DataFrame(
        {
            "b": pd.Series([r[0] for r in rows], dtype=text_dtype),
            "a \\ \"key\"": pd.Series([r[1] for r in rows], dtype=text_dtype),
            "n": pd.array([r[2] for r in rows], dtype="Int64"),
        }
    )
    doc: object = [{"b": r[0], 'a \\ "key"': r[1], "n": r[2]} for r in rows]
    for _ in range(depth - 1):
        doc = [doc]
    opened = b"".join(b"[\n" + b"  " * k for k in range(1, depth))
    closed = b"".join(b"\n" + b"  " * k + b"]" for k in range(depth - 1, -1, -1))
    assert opened + b"[" + bytes(json_records(frame, depth=depth)) + closed + b"\n" == dumps(doc)
