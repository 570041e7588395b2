"""Catalog sources. Every reader returns a RawCatalog: text columns named canonically.

Parsing values (prices, dates, quantities) is the normaliser's job (feedsync.catalog), so
every source gets the same checks and the same issue codes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from feedsync.columns import ROW
from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources.delimited import read_delimited
from feedsync.validation.issues import empty_issues

# Shop-platform export layouts: modules with FORMAT, detect(columns) and to_canonical(raw, cfg).
PLATFORMS = ("shopify", "woocommerce", "magento")


@dataclass
class RawCatalog:
    frame: pd.DataFrame  # str columns + ROW
    source: str
    format: str
    encoding: str | None = None
    issues: pd.DataFrame = field(default_factory=empty_issues)


def _by_suffix(path: Path) -> str:
    suffix = "".join(path.suffixes[-1:]).lower()
    return {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".xlsx": "xlsx",
        ".sqlite": "sqlite",
        ".db": "sqlite",
        ".sqlite3": "sqlite",
    }.get(suffix, "csv")


def _as_text(table: pa.Table) -> pd.DataFrame:
    cols = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            col = (
                col.cast(pa.string())
                if not pa.types.is_nested(col.type)
                else pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
            )
        cols[name] = col
    frame = pa.table(cols).to_pandas()
    return frame


def _read_table(cfg: CatalogConfig, fmt: str) -> tuple[pd.DataFrame, str | None]:
    path = cfg.path
    assert path is not None
    if fmt in ("csv", "tsv") or fmt in PLATFORMS:
        delim = cfg.delimiter or ("\t" if fmt == "tsv" else None)
        table, enc = read_delimited(path, delimiter=delim, encoding=cfg.encoding)
        return table.to_pandas(), enc
    if not path.exists():
        raise SourceError(f"{path}: file not found", hint="check [catalog] path (relative to the config file)")
    try:
        if fmt == "jsonl":
            if path.stat().st_size == 0:
                raise SourceError(f"{path}: the file is empty", hint="export the catalog again")
            return _as_text(pajson.read_json(path)), "utf-8"
        if fmt == "parquet":
            return _as_text(pq.read_table(path)), None
    except pa.ArrowInvalid as e:
        raise SourceError(f"{path}: cannot read as {fmt}: {e}", hint=f"check that the file really is {fmt}") from None
    if fmt == "xlsx":
        return importlib.import_module("feedsync.sources.excel").read(cfg), None
    if fmt in ("sqlite", "sql"):
        return importlib.import_module("feedsync.sources.sql").read(cfg), None
    raise SourceError(f"catalog format {fmt!r} is not supported")


def read_catalog(cfg: CatalogConfig) -> RawCatalog:
    fmt = cfg.format or ("sql" if cfg.path is None else _by_suffix(cfg.path))
    frame, enc = _read_table(cfg, fmt)
    frame = frame.fillna("") if len(frame.columns) else frame
    if ROW not in frame:
        frame.insert(0, ROW, pd.array(range(1, len(frame) + 1), dtype="Int64"))
    platform = fmt if fmt in PLATFORMS else _detect_platform(list(frame.columns))
    issues = empty_issues()
    if platform:
        frame, issues = importlib.import_module(f"feedsync.sources.{platform}").to_canonical(frame, cfg)
        fmt = platform
    if cfg.columns:
        missing = [c for c in cfg.columns if c not in frame.columns]
        if missing:
            raise SourceError(
                f"{cfg.path}: [catalog.columns] renames {missing[0]!r}, which the file does not have",
                hint=f"columns in the file: {', '.join(map(str, frame.columns[:30]))}",
            )
        frame = frame.rename(columns=cfg.columns)
        if frame.columns.duplicated().any():
            dup = frame.columns[frame.columns.duplicated()][0]
            raise SourceError(
                f"{cfg.path}: after [catalog.columns], two columns are named {dup!r}",
                hint="rename only one source column to each canonical name",
            )
    return RawCatalog(frame=frame, source=str(cfg.path or "sql"), format=fmt, encoding=enc, issues=issues)


def _detect_platform(columns: list[str]) -> str | None:
    for name in PLATFORMS:
        try:
            module = importlib.import_module(f"feedsync.sources.{name}")
        except ModuleNotFoundError:
            continue
        if module.detect(columns):
            return name
    return None
