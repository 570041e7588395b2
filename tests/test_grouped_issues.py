"""Report.grouped_issues: one line per (code, row, SKU, field) with the channels it concerns."""

import pandas as pd

from feedsync.validation.issues import ISSUE_COLUMNS, concat_issues
from feedsync.validation.report import Report


def _report(rows: list[tuple]) -> Report:
    issues = concat_issues([pd.DataFrame(rows, columns=ISSUE_COLUMNS)])
    return Report(generated_at="", catalog={}, channels={}, issues=issues)


def test_groups_channels_errors_first_then_by_row() -> None:
    r = _report(
        [
            ("sale-ended", "warning", "google", 2, "B", "sale_price", "9", "ended"),
            ("invalid-gtin", "error", "meta", 5, "C", "gtin", "1", "bad"),
            ("invalid-gtin", "error", "google", 5, "C", "gtin", "1", "bad"),
            ("invalid-gtin", "error", "meta", 5, "C", "gtin", "1", "bad"),
            ("missing-id", "error", "", None, "", "id", "", "no id"),
            ("sale-ended", "warning", "meta", 2, "B", "sale_price", "9", "ended"),
        ]
    )
    total, groups = r.grouped_issues()
    assert total == 3
    assert [(i.code, i.row, chans) for i, chans in groups] == [
        ("missing-id", None, []),
        ("invalid-gtin", 5, ["meta", "google"]),
        ("sale-ended", 2, ["google", "meta"]),
    ]
    assert r.grouped_issues(2) == (3, groups[:2])


def test_no_issues() -> None:
    assert _report([]).grouped_issues() == (0, [])
