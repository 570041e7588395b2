"""Catalog sources. Every reader returns a RawCatalog: text columns named canonically.

Parsing values (prices, dates, quantities) is the normaliser's job (feedsync.catalog), so
every source gets the same checks and the same issue codes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from feedsync.columns import ROW, row_numbers
from feedsync.config import CatalogConfig
from feedsync.errors import SourceError
from feedsync.sources.delimited import DelimitedFile, open_delimited, read_delimited
from feedsync.validation.issues import empty_issues

# Shop-platform export layouts: modules with FORMAT, detect(columns) and to_canonical(raw, cfg).
PLATFORMS = ("shopify", "woocommerce", "magento")


# Columns the whole-catalog steps need (duplicate ids, variant families); read up front.
KEY_COLUMNS = ("id", "item_group_id", "size", "color")


@dataclass
class RawCatalog:
    """A catalog ready to be processed in batches.

    `keys` holds KEY_COLUMNS for every row (whole-catalog checks); `batches(n)` yields the full
    rows, about n at a time, each with ROW. A plain CSV/TSV is streamed from disk, so memory
    stays flat however large the file, and so is a Shopify export whose products' rows are
    together (as Shopify writes them); other sources are held in memory. WooCommerce and
    Magento exports are too: a variation or child names its parent anywhere in the file and
    takes what it leaves empty from it, so no chunk of rows can be converted on its own.
    """

    source: str
    format: str
    rows: int
    keys: pd.DataFrame
    _batches: Callable[[int], Iterator[pd.DataFrame]]
    encoding: str | None = None
    issues: pd.DataFrame = field(default_factory=empty_issues)

    def batches(self, size: int) -> Iterator[pd.DataFrame]:
        return self._batches(size)

    @property
    def frame(self) -> pd.DataFrame:
        """Every row at once (tests, small catalogs); the pipeline uses batches()."""
        parts = list(self.batches(max(self.rows, 1)))
        return parts[0] if len(parts) == 1 else pd.concat(parts)

    @classmethod
    def in_memory(cls, frame: pd.DataFrame, **kw: Any) -> RawCatalog:
        keys = pd.DataFrame(
            {c: frame[c] if c in frame else pd.Series("", index=frame.index, dtype="str") for c in KEY_COLUMNS}
        )

        def batches(size: int) -> Iterator[pd.DataFrame]:
            for start in range(0, len(frame), size):
                yield frame.iloc[start : start + size]

        return cls(rows=len(frame), keys=keys, _batches=batches, **kw)


@dataclass
class StreamPlan:
    """What the first pass over a platform export found, for streaming it.

    `keys` are KEY_COLUMNS of every canonical row the conversion will yield, in that order;
    `issues` are the export's own issues (its chunks' are not reported again); `cuts` are the
    0-based positions of the export rows where a chunk may end (before the first row of a
    product, and the end of the export), ascending; `convert` turns a chunk of export rows
    (with ROW) into canonical rows.
    """

    keys: pd.DataFrame
    issues: pd.DataFrame
    cuts: np.ndarray
    convert: Callable[[pd.DataFrame], pd.DataFrame]


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
    if fmt in ("sqlite", "sql"):
        return importlib.import_module("feedsync.sources.sql").read(cfg), None
    path = cfg.path
    assert path is not None  # config requires a path unless the catalog is a database URL
    if fmt in ("csv", "tsv"):
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
    raise SourceError(f"catalog format {fmt!r} is not supported")


def read_catalog(cfg: CatalogConfig) -> RawCatalog:
    fmt = cfg.format or ("sql" if cfg.path is None else _by_suffix(cfg.path))
    source = str(cfg.path or "sql")
    enc: str | None
    if fmt in ("csv", "tsv") or fmt in PLATFORMS:
        assert cfg.path is not None  # config requires a path unless the catalog is a database URL
        delim = cfg.delimiter or ("\t" if fmt == "tsv" else None)
        file = open_delimited(cfg.path, delimiter=delim, encoding=cfg.encoding)
        platform = fmt if fmt in PLATFORMS else _detect_platform(file.names)
        if platform is None:
            return _streamed(cfg, file, fmt)
        streamed = _platform_streamed(cfg, file, platform)
        if streamed is not None:
            return streamed
        frame, enc = file.read().to_pandas(), file.encoding
    else:
        frame, enc = _read_table(cfg, fmt)
        platform = fmt if fmt in PLATFORMS else _detect_platform(list(frame.columns))
    if ROW not in frame:
        frame.insert(0, ROW, row_numbers(1, len(frame)))
    issues = empty_issues()
    if platform:
        frame, issues = importlib.import_module(f"feedsync.sources.{platform}").to_canonical(frame, cfg)
        fmt = platform
    if cfg.columns:
        _check_renames(cfg, list(frame.columns))
        frame = frame.rename(columns=cfg.columns)
    return RawCatalog.in_memory(frame, source=source, format=fmt, encoding=enc, issues=issues)


def _check_renames(cfg: CatalogConfig, columns: list[str]) -> None:
    missing = [c for c in cfg.columns if c not in columns]
    if missing:
        raise SourceError(
            f"{cfg.path}: [catalog.columns] renames {missing[0]!r}, which the file does not have",
            hint=f"columns in the file: {', '.join(map(str, columns[:30]))}",
        )
    renamed = [cfg.columns.get(c, c) for c in columns]
    dup = next((c for c in renamed if renamed.count(c) > 1), None)
    if dup is not None:
        raise SourceError(
            f"{cfg.path}: after [catalog.columns], two columns are named {dup!r}",
            hint="rename only one source column to each canonical name",
        )


def _streamed(cfg: CatalogConfig, file: DelimitedFile, fmt: str) -> RawCatalog:
    """A plain delimited catalog: key columns read (and every row checked) now, rows streamed later."""
    if cfg.columns:
        _check_renames(cfg, file.names)
    source_of = {v: k for k, v in cfg.columns.items()}
    wanted = [source_of.get(c, c) for c in KEY_COLUMNS]
    keys = file.read(columns=wanted).to_pandas()
    keys.columns = list(KEY_COLUMNS)

    def batches(size: int) -> Iterator[pd.DataFrame]:
        start = 1
        for table in file.batches(size):
            frame = table.combine_chunks().to_pandas()
            if cfg.columns:
                frame = frame.rename(columns=cfg.columns)
            frame.insert(0, ROW, row_numbers(start, len(frame)))
            frame.index = pd.RangeIndex(start - 1, start - 1 + len(frame))
            start += len(frame)
            yield frame

    return RawCatalog(
        source=str(cfg.path), format=fmt, rows=len(keys), keys=keys, _batches=batches, encoding=file.encoding
    )


def _platform_streamed(cfg: CatalogConfig, file: DelimitedFile, platform: str) -> RawCatalog | None:
    """A platform export converted a chunk of whole products at a time, after a first pass
    (the adapter's scan()) over a few columns; None where the adapter cannot stream this export
    (it has no scan(), or scan() finds the layout does not allow it): the caller converts it whole."""
    module = importlib.import_module(f"feedsync.sources.{platform}")
    scan = getattr(module, "scan", None)
    if scan is None:
        return None
    if set(cfg.columns) & set(KEY_COLUMNS) or set(cfg.columns.values()) & set(KEY_COLUMNS):
        return None  # renamed keys: the first pass's keys would not be the rows' keys
    plan: StreamPlan | None = scan(file, cfg)
    if plan is None:
        return None
    cuts = np.asarray(plan.cuts, dtype=np.int64)

    def canonical(table: pa.Table, start: int) -> pd.DataFrame:
        frame = table.combine_chunks().to_pandas()
        frame.insert(0, ROW, row_numbers(start + 1, len(frame)))
        return plan.convert(frame)

    def convert(table: pa.Table, start: int) -> pd.DataFrame:
        out = canonical(table, start)
        return out.rename(columns=cfg.columns) if cfg.columns else out

    def batches(size: int) -> Iterator[pd.DataFrame]:
        """Export rows read `size` at a time, each read cut after its last whole product (the
        rest is carried into the next), converted and yielded."""
        pending: list[pa.Table] = []
        start = count = 0  # export row where `pending` begins; rows in it
        for table in file.batches(size):
            pending.append(table)
            count += table.num_rows
            last = int(np.searchsorted(cuts, start + count, side="right")) - 1
            if last < 0 or cuts[last] <= start:
                continue  # one product spans every row read so far
            rows = pa.concat_tables(pending)
            cut = int(cuts[last]) - start
            out = convert(rows.slice(0, cut), start)
            rest = rows.slice(cut)
            pending, start, count = [rest], start + cut, rest.num_rows
            if len(out):
                yield out
        if count:
            out = convert(pa.concat_tables(pending), start)
            if len(out):
                yield out

    if cfg.columns:  # the columns every chunk has, from the first product's
        first = next(file.batches(max(int(cuts[0]), 1)), None)
        _check_renames(cfg, list(canonical(first, 0).columns) if first is not None else [])
    return RawCatalog(
        source=str(cfg.path),
        format=platform,
        rows=len(plan.keys),
        keys=plan.keys,
        _batches=batches,
        encoding=file.encoding,
        issues=plan.issues,
    )


def _detect_platform(columns: list[str]) -> str | None:
    for name in PLATFORMS:
        try:
            module = importlib.import_module(f"feedsync.sources.{name}")
        except ModuleNotFoundError:
            continue
        if module.detect(columns):
            return name
    return None
