"""Issue baselines for CI: a catalog with known debt can still gate new mistakes.

`validate --write-baseline FILE` records every current issue as (code, channel, sku, field)
with a count; `validate --baseline FILE` reports, and fails on, only the issues beyond it.
Rows are left out of the fingerprint on purpose: inserting a product shifts every row below
it, and that must not turn known issues into new ones. A known issue that comes back with
another value (a second wrong GTIN on the same product) stays known; an issue of another
code, field or product is new.
"""

from __future__ import annotations

from collections import Counter
from copy import copy
from pathlib import Path

import orjson
import pandas as pd

from feedsync.errors import OutputError, SourceError
from feedsync.output import write_atomic
from feedsync.validation.report import ChannelSummary, Report

VERSION = 1
KEY = ["code", "channel", "sku", "field"]


def _keys(issues: pd.DataFrame) -> pd.DataFrame:
    return issues[KEY].astype("str").fillna("")


def write_baseline(report: Report, path: str | Path) -> int:
    """Write the report's issues as a baseline file; returns the number of distinct entries."""
    path = Path(path)
    counts = _keys(report.issues).value_counts(sort=False).reset_index(name="count")
    counts = counts.sort_values(KEY, kind="stable")
    entries = [{**{k: rec[k] for k in KEY}, "count": int(rec["count"])} for rec in counts.to_dict("records")]
    doc = {
        "feedsync_baseline": VERSION,
        "generated_at": report.generated_at,
        "catalog": report.catalog.get("source"),
        "issues": entries,
    }
    try:
        write_atomic(path, orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    except OutputError as e:
        raise OutputError(f"cannot write baseline {path}: {e.message}", hint=e.hint) from None
    return len(entries)


def load_baseline(path: str | Path) -> Counter:
    path = Path(path)
    try:
        doc = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise SourceError(
            f"baseline {path} not found", hint="create it with `feedsync validate --write-baseline FILE`"
        ) from None
    except (OSError, orjson.JSONDecodeError) as e:
        raise SourceError(f"baseline {path} cannot be read: {e}", hint="write it again with --write-baseline") from None
    if not isinstance(doc, dict) or doc.get("feedsync_baseline") != VERSION or not isinstance(doc.get("issues"), list):
        raise SourceError(
            f"{path} is not a feedsync baseline (version {VERSION})",
            hint="write it again with `feedsync validate --write-baseline FILE`",
        )
    known: Counter = Counter()
    for entry in doc["issues"]:
        known[tuple(str(entry.get(k) or "") for k in KEY)] += int(entry.get("count", 1))
    return known


def apply_baseline(report: Report, known: Counter, path: str | Path) -> Report:
    """The report restricted to issues beyond the baseline; counts recomputed from them."""
    issues = report.issues
    keys = _keys(issues)
    tuples = list(keys.itertuples(index=False, name=None))
    seen = keys.groupby(KEY, sort=False, dropna=False).cumcount().to_numpy()
    allowed = pd.Series([known.get(t, 0) for t in tuples], index=issues.index, dtype="int64").to_numpy()
    new = seen >= allowed
    current = Counter(tuples)
    fixed = sum(max(n - current.get(k, 0), 0) for k, n in known.items())
    kept = issues.loc[new].reset_index(drop=True)
    out = copy(report)
    out.issues = kept
    out.channels = {name: _recount(s, kept) for name, s in report.channels.items()}
    out.baseline = {
        "file": str(path),
        "known": int((~new).sum()),
        "new": int(new.sum()),
        "new_errors": int((kept["severity"] == "error").sum()),
        "new_warnings": int((kept["severity"] == "warning").sum()),
        "fixed": int(fixed),
    }
    return out


def _recount(s: ChannelSummary, issues: pd.DataFrame) -> ChannelSummary:
    mine = issues.loc[issues["channel"].isin([s.channel, ""])]
    out = copy(s)
    out.errors = int((mine["severity"] == "error").sum())
    out.warnings = int((mine["severity"] == "warning").sum())
    out.top_codes = list(Counter(mine["code"].tolist()).most_common(5))
    return out
