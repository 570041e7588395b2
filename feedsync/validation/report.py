"""The Report: every issue of a run plus per-channel counts. `to_dict()` is the machine
format (report.json, `--format json`); JUnit and GitHub annotations are views of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedsync.output import PendingFile, dumps, fsync_dir
from feedsync.render.json_text import json_records
from feedsync.validation.codes import CODES
from feedsync.validation.issues import ISSUE_COLUMNS, Issue, empty_issues, issue_records, json_rows

EXCLUDED_COLUMNS = ["channel", "sku", "row", "codes"]
JSON_CHUNK_ROWS = 100_000


@dataclass
class ChannelSummary:
    channel: str
    formats: list[str]
    products_in: int = 0  # sellable catalog products offered to the channel (variant parents not counted)
    excluded: int = 0  # of those, left out because of an error
    filtered: int = 0  # of those, left out on purpose by a rule or the channel's stock policy
    items: int = 0  # items written (google_local: store rows)
    errors: int = 0
    warnings: int = 0
    top_codes: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "formats": self.formats,
            "products_in": self.products_in,
            "excluded": self.excluded,
            "filtered": self.filtered,
            "items": self.items,
            "errors": self.errors,
            "warnings": self.warnings,
            "top_codes": [{"code": c, "count": n} for c, n in self.top_codes],
        }


@dataclass
class Report:
    generated_at: str
    catalog: dict[str, Any]
    channels: dict[str, ChannelSummary]
    issues: pd.DataFrame = field(default_factory=empty_issues)
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["channel", "sku", "row", "codes"]))
    gate: dict[str, Any] | None = None  # build: the publish gate's verdict (feedsync.gate)
    changes: dict[str, Any] | None = None  # build: per channel, the change since the last published run
    baseline: dict[str, Any] | None = None  # validate --baseline: known, new and fixed issues

    @property
    def errors(self) -> int:
        return int((self.issues["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.issues["severity"] == "warning").sum())

    def failed(self, strict: bool = False) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)

    def issue_list(self) -> list[Issue]:
        return issue_records(self.issues)

    def grouped_issues(self, limit: int | None = None) -> tuple[int, list[tuple[Issue, list[str]]]]:
        """Issues with the same code, row, SKU and field on several channels, shown once with
        the channels they concern (errors first, then by row): how many such groups there are,
        and the first `limit` of them. Vectorised: a run can carry millions of issues."""
        if not len(self.issues):
            return 0, []
        keys = ["_err", "_row", "code", "sku", "field"]
        df = self.issues.assign(_err=self.issues["severity"] != "error", _row=self.issues["row"].fillna(-1))
        df = df.sort_values(keys, kind="stable")
        group = _group_ids(df, keys)
        first = ~group.duplicated()
        total = int(first.sum())
        shown = df.loc[first].head(total if limit is None else limit)
        wanted = group.isin(group.loc[shown.index])
        chans = (
            pd.DataFrame({"g": group[wanted], "channel": df.loc[wanted, "channel"]})
            .query("channel != ''")
            .drop_duplicates()
            .groupby("g", sort=False)["channel"]
            .agg(list)
        )
        records = issue_records(shown[ISSUE_COLUMNS])
        return total, [(rec, chans.get(g, [])) for rec, g in zip(records, group.loc[shown.index], strict=True)]

    def excluded_products(self) -> int:
        """Distinct catalog products left out of at least one channel."""
        return int(self.excluded["row"].nunique()) if len(self.excluded) else 0

    def to_dict(self) -> dict[str, Any]:
        return self._doc(json_rows(self.issues[ISSUE_COLUMNS]), json_rows(self.excluded[EXCLUDED_COLUMNS]))

    def write_json(self, path: Path, *, chunk_rows: int = JSON_CHUNK_ROWS) -> None:
        """`stream_json` into `path`, atomically (temporary file, fsync, rename)."""
        pending = PendingFile(path)
        try:
            self.stream_json(pending.write, chunk_rows=chunk_rows)
            pending.finish()
            pending.commit()
        except BaseException:
            pending.abort()
            raise
        fsync_dir(path.parent)

    def stream_json(self, write: Callable[[bytes | memoryview], object], *, chunk_rows: int = JSON_CHUNK_ROWS) -> None:
        """`dumps(self.to_dict())`, byte for byte, handed to `write` piece by piece without
        building every issue as a dict: issues and excluded products are written column-wise,
        `chunk_rows` at a time. A run can carry millions of issues."""
        mark = f"@@feedsync-{uuid.uuid4().hex}@@"
        head = dumps(self._doc(f"{mark}issues", f"{mark}excluded"))
        lists = {"issues": self.issues[ISSUE_COLUMNS], "excluded": self.excluded[EXCLUDED_COLUMNS]}
        rest = head
        for name in sorted(lists, key=lambda k: head.index(f'"{mark}{k}"'.encode())):
            before, rest = rest.split(f'"{mark}{name}"'.encode(), 1)
            write(before)
            _write_records(write, lists[name], chunk_rows)
        write(rest)

    def _doc(self, issues: Any, excluded: Any) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "catalog": self.catalog,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "excluded_products": self.excluded_products(),
            },
            "channels": {k: v.to_dict() for k, v in self.channels.items()},
            "codes": {
                c: {"severity": CODES[c].severity, "title": CODES[c].title, "fix": CODES[c].fix}
                for c in sorted(self.issues["code"].drop_duplicates().tolist())
            },
            "issues": issues,
            "excluded": excluded,
        } | {
            k: v
            for k, v in (("gate", self.gate), ("changes", self.changes), ("baseline", self.baseline))
            if v is not None
        }


def _group_ids(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """One integer per distinct combination of `keys` (missing values compare equal). Each
    column is factorized on its own and the codes combined (re-factorized after each column,
    so the combination never overflows): tuples of Python objects cost seconds per million."""
    combined = np.zeros(len(df), dtype=np.int64)
    for k in keys:
        codes, uniques = pd.factorize(df[k], use_na_sentinel=False)
        combined = pd.factorize(combined * (len(uniques) + 1) + codes)[0].astype(np.int64)
    return pd.Series(combined, index=df.index)


def _write_records(write: Callable[[bytes | memoryview], object], frame: pd.DataFrame, chunk_rows: int) -> None:
    """The rows of `frame` as the JSON list `dumps` writes for a top-level key (items indented
    by 4, their keys by 6), built column-wise one chunk of rows at a time."""
    if not len(frame):
        write(b"[]")
        return
    write(b"[")
    for start in range(0, len(frame), chunk_rows):
        if start:
            write(b",")
        write(json_records(frame.iloc[start : start + chunk_rows], depth=2))
    write(b"\n  ]")
