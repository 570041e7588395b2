"""Issue records.

Checks are vectorised, so issues are produced in bulk as DataFrames with ISSUE_COLUMNS;
`Issue` is the per-record view the public API and the presenters use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import orjson
import pandas as pd

from feedsync.columns import ROW
from feedsync.validation.codes import info

ISSUE_COLUMNS = ["code", "severity", "channel", "row", "sku", "field", "value", "message"]

# Offending values are shown to people and stored in reports: cap their size.
MAX_VALUE_CHARS = 200


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    code: str
    severity: str
    channel: str  # "" for master-catalog issues that concern every channel
    row: int | None  # 1-based record number in the source file (header excluded)
    sku: str
    field: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_EMPTY = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str") for c in ISSUE_COLUMNS})


def empty_issues() -> pd.DataFrame:
    return _EMPTY.copy()


def issues_where(
    frame: pd.DataFrame,
    mask: pd.Series,
    *,
    code: str,
    field: str,
    message: str | pd.Series | Callable[[pd.DataFrame], pd.Series],
    channel: str = "",
    value: pd.Series | Callable[[pd.DataFrame], pd.Series] | None = None,
    severity: str | None = None,
) -> pd.DataFrame:
    """Issues for the rows of `frame` where `mask` is true.

    `frame` must carry `_row` (source record number) and `id`. `message` (and `value`) may be
    one string for all rows, a Series aligned with `frame`, or a function of the offending rows
    (so wording is only built for the few rows that need it).
    """
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return empty_issues()
    if callable(message) or callable(value):
        hit = frame.loc[mask]  # the wording may use any column
    else:  # only the columns an issue shows: a channel frame has about 60
        hit = frame.loc[mask, [ROW, "id", *([field] if field in frame and field not in (ROW, "id") else [])]]
    if callable(value):
        raw = pd.Series(value(hit), index=hit.index)
    elif value is not None:
        raw = value[mask]
    else:
        raw = hit.get(field)
    if raw is None:
        shown = pd.Series("", index=hit.index, dtype="str")
    else:
        shown = raw.astype("str").fillna("").str.slice(0, MAX_VALUE_CHARS)
    if callable(message):
        msg = pd.Series(message(hit), index=hit.index)
    else:
        msg = message[mask] if isinstance(message, pd.Series) else message
    return pd.DataFrame(
        {
            "code": code,
            "severity": severity or info(code).severity,
            "channel": channel,
            "row": hit[ROW].astype("Int64"),
            "sku": hit["id"].astype("str").fillna(""),
            "field": field,
            "value": shown,
            "message": msg,
        },
        index=hit.index,
    )[ISSUE_COLUMNS]


def concat_issues(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_issues()
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (missing -> None, rows as int). pandas' C JSON writer is two
    orders of magnitude faster than to_dict("records") on a few hundred thousand issues."""
    if not len(frame):
        return []
    rows: list[dict[str, Any]] = orjson.loads(frame.to_json(orient="records", force_ascii=False))
    return rows


def issue_records(frame: pd.DataFrame) -> list[Issue]:
    """Issues as objects."""
    return [Issue(**_blank_nulls(rec)) for rec in json_rows(frame[ISSUE_COLUMNS])]


def _blank_nulls(rec: dict[str, Any]) -> dict[str, Any]:
    """Missing text fields read back as "" (the row number stays None)."""
    return {k: ("" if v is None and k != "row" else v) for k, v in rec.items()}
