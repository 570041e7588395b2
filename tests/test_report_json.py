"""report.json is streamed issue chunk by issue chunk: the same bytes as dumps(to_dict())."""

from __future__ import annotations

import pandas as pd
import pytest

from feedsync.output import dumps
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
    monkeypatch.setattr("feedsync.validation.report._records", lambda frame: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        report.write_json(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
