"""Run the real pipeline with the merchandising stages traced, and hand tests what they look
at: the report, provenance, the Merchandising object (stats, traced SKUs), each feed's items
as text (by feed key: `google`, `google/FR`) and, when given a folder, the files written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from feedsync.config import Config
from feedsync.merchandising import Merchandising
from feedsync.pipeline import run


def mini_run(config: Config, now: datetime, *, trace=(), out_dir: Path | None = None) -> SimpleNamespace:
    merch = Merchandising(config, trace=trace, fill_rates=True)
    result = run(config, out_dir=out_dir, now=now, merchandising=merch, collect=True)
    outputs = {key: frame.reset_index(drop=True) for key, frame in (result.frames or {}).items()}
    return SimpleNamespace(
        report=result.report,
        provenance=result.provenance,
        merchandising=merch,
        outputs=outputs,
        feeds=result.feeds,
        result=result,
    )
