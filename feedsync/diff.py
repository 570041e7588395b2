"""`feedsync diff`: added, removed and changed items per channel, with old and new field values.

A side of the comparison is one of:

- the last published run of an output folder (its item snapshots in the run history),
- a catalog (a config: the items a build would publish now, nothing written),
- a finished build's output folder (the feed files its manifest lists).

Both sides become, per channel, a frame of text columns indexed by item key; the comparison
is vectorised per column and builds records only for the items that differ. The common case,
the last published run against the catalog, never holds every item: each batch of the catalog
is compared with the run's item set by the hashes builds record, and only the items that differ
are compared field by field with the run's snapshot (a 1,000,000-product catalog held
every item of both sides, about 9 GiB, before).
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from feedsync.config import Config
from feedsync.delta import GROUPS, KEY_SEP, item_keys, show_key
from feedsync.errors import SourceError
from feedsync.state import FeedRun, ItemState, StateError, StateStore, group_hashes, read_snapshot, text_table


@dataclass
class ChannelDiff:
    channel: str
    old_items: int
    new_items: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # {"key", "fields": {name: {"old", "new"}}}
    fields_known: bool = True  # False: one side has item ids only (its snapshot was pruned)

    @property
    def field_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.changed:
            for name in c["fields"]:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_items": self.old_items,
            "new_items": self.new_items,
            "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)},
            "fields_known": self.fields_known,
            "changed_fields": self.field_counts,
            "added": [show_key(k) for k in self.added],
            "removed": [show_key(k) for k in self.removed],
            "changed": [{"id": show_key(c["key"]), "fields": c["fields"]} for c in self.changed],
        }


@dataclass
class DiffResult:
    old: str
    new: str
    channels: dict[str, ChannelDiff]

    @property
    def differs(self) -> bool:
        return any(c.added or c.removed or c.changed for c in self.channels.values())

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "channels": {k: v.to_dict() for k, v in self.channels.items()}}


def diff_frames(channel: str, old: pd.DataFrame, new: pd.DataFrame) -> ChannelDiff:
    """Compare two item frames (text columns, indexed by key)."""
    result = ChannelDiff(channel, len(old), len(new))
    in_old = new.index.isin(old.index)
    result.added = new.index[~in_old].tolist()
    result.removed = old.index[~old.index.isin(new.index)].tolist()
    common = new.index[in_old]
    if not len(common):
        return result
    if not len(old.columns) or not len(new.columns):
        result.fields_known = False
        return result
    columns = list(dict.fromkeys([*new.columns, *old.columns]))
    a = old.reindex(index=common, columns=columns)
    b = new.reindex(index=common, columns=columns)
    differs = {}
    for col in columns:
        x, y = a[col].astype("str"), b[col].astype("str")
        same = (x == y).fillna(False).to_numpy(dtype=bool) | (x.isna() & y.isna()).to_numpy()
        differs[col] = ~same
    mask = pd.DataFrame(differs, index=common)
    rows = mask.any(axis=1).to_numpy()
    for key, flags in zip(common[rows], mask.to_numpy()[rows], strict=True):
        fields = {
            col: {"old": _value(a.at[key, col]), "new": _value(b.at[key, col])}
            for col, flag in zip(columns, flags, strict=True)
            if flag
        }
        result.changed.append({"key": key, "fields": fields})
    return result


def _value(v: Any) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


# -- sides -------------------------------------------------------------------------------------


def _last_runs(
    config: Config, out_dir: Path, channels: list[str] | None, *, with_items: bool = False
) -> tuple[str, dict[str, tuple[FeedRun, ItemState | None]]]:
    """Per feed, its last published run into out_dir (and, `with_items`, that run's item set)."""
    from feedsync.pipeline import plan_feeds

    path = config.state_path
    if not path.exists():
        raise StateError(
            f"no run history at {path}: nothing has been published from this config yet",
            hint="run `feedsync build` first, or compare two folders / configs with --old and --new",
        )
    runs: dict[str, tuple[FeedRun, ItemState | None]] = {}
    with StateStore(path) as store:
        target = store.target_id(out_dir)
        if target is None:
            raise StateError(
                f"the run history {path} has no published run into {out_dir}",
                hint="pass the --out folder the builds write to",
            )
        chosen = [c for c in config.channels.values() if not channels or c.name in channels]
        for name in [f.key for f in plan_feeds(config, chosen)]:  # google, or google/FR per market
            last = store.last_published(target, name)
            if last is not None:
                runs[name] = (last, store.published_items(target, name) if with_items else None)
        if not with_items:  # snapshots pruned: the item ids of the last run that kept a set
            runs = {
                name: (last, store.items(target, name) if last.snapshot is None else None)
                for name, (last, _) in runs.items()
            }
    clocks = sorted({last.run_clock for last, _ in runs.values()})
    return f"last published run into {out_dir}" + (f" ({', '.join(clocks)})" if clocks else ""), runs


def published_frames(config: Config, out_dir: Path, channels: list[str] | None) -> tuple[str, dict[str, pd.DataFrame]]:
    """The last published run of each feed into out_dir, from the run history."""
    label, runs = _last_runs(config, out_dir, channels)
    frames: dict[str, pd.DataFrame] = {}
    for name, (last, ids) in runs.items():
        snap = read_snapshot(last.snapshot)
        frames[name] = snap if snap is not None else pd.DataFrame(index=ids.keys if ids else None)
    return label, frames


def catalog_frames(
    config: Config, channels: list[str] | None, now: datetime | None
) -> tuple[str, dict[str, pd.DataFrame]]:
    """The items a build of this config would publish now (nothing is written)."""
    from feedsync.pipeline import run

    result = run(config, now=now, channels=channels, collect=True)
    return f"catalog of {config.path}", result.frames or {}


FOLDER_PREFERENCE = {"google": ("tsv", "xml"), "meta": ("csv", "xml"), "google_local": ("tsv",), "amazon": ("json",)}


def folder_frames(folder: Path, channels: list[str] | None) -> tuple[str, dict[str, pd.DataFrame]]:
    """The items of a finished build, read back from the feed files its manifest.json lists."""
    path = folder / "manifest.json"
    try:
        manifest = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as e:
        raise SourceError(
            f"{path}: cannot read the build's manifest ({e})",
            hint="pass an output folder written by `feedsync build` (it holds manifest.json)",
        ) from None
    by_feed: dict[str, dict[str, list[Path]]] = {}
    for f in manifest.get("feeds", []):
        if f.get("mode", "full") != "full":
            continue
        key = f.get("feed") or f["channel"]  # a market's feed: google/FR
        by_feed.setdefault(key, {}).setdefault(f["format"], []).append(folder / f["path"])
    frames = {}
    for key, formats in by_feed.items():
        name = key.split("/")[0]
        if channels and name not in channels:
            continue
        fmt = next((f for f in FOLDER_PREFERENCE.get(name, ()) if f in formats), next(iter(formats)))
        frames[key] = _read_feed(name, fmt, formats[fmt])
    return f"build in {folder} ({manifest.get('generated_at', '?')})", frames


def _read_feed(channel: str, fmt: str, paths: list[Path]) -> pd.DataFrame:
    if fmt == "json":
        return _read_amazon(paths)
    frame = _read_rss(paths[0]) if fmt == "xml" else _read_delimited(paths[0], "\t" if fmt == "tsv" else ",")
    if channel == "google_local":
        key = frame["store_code"].fillna("") + KEY_SEP + frame["id"].fillna("")
    else:
        key = frame["id"].fillna("")
    return frame.set_index(pd.Index(key.astype("str"), name="key"))


def _open_text(path: Path):
    return (
        gzip.open(path, "rt", encoding="utf-8", newline="")
        if path.suffix == ".gz"
        else open(path, encoding="utf-8", newline="")
    )  # noqa: SIM115


def _read_delimited(path: Path, delimiter: str) -> pd.DataFrame:
    with _open_text(path) as fh:
        header = next(csv.reader(fh, delimiter=delimiter), [])
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header}, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)


def _read_rss(path: Path) -> pd.DataFrame:
    from lxml import etree

    rows = []
    source = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
    with source:
        for _, item in etree.iterparse(source, events=("end",), tag="item", resolve_entities=False, no_network=True):
            row: dict[str, str] = {}
            for child in item:
                if isinstance(child.tag, str):
                    name = etree.QName(child).localname
                    text = (child.text or "").strip()
                    row[name] = f"{row[name]},{text}" if name in row else text
            rows.append(row)
            item.clear()
    return pd.DataFrame(rows, dtype="str")


def _read_amazon(paths: list[Path]) -> pd.DataFrame:
    rows = []
    for path in paths:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        for m in orjson.loads(raw).get("messages", []):
            if m.get("operationType") == "DELETE":
                continue  # a tombstone, not an item
            row = {"sku": m.get("sku"), "operationType": m.get("operationType"), "productType": m.get("productType")}
            for name, value in (m.get("attributes") or {}).items():
                row[name] = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
            rows.append(row)
    frame = pd.DataFrame(rows, dtype="str")
    if not len(frame):
        return pd.DataFrame(index=pd.Index([], dtype="str", name="key"))
    return frame.set_index(pd.Index(frame["sku"].astype("str"), name="key"))


def side(
    spec: str | Path | None, *, config: Config, out_dir: Path, channels: list[str] | None, now: datetime | None
) -> tuple[str, dict[str, pd.DataFrame]]:
    """A side named on the command line: "last", "catalog", a build folder, or a feedsync.toml."""
    from feedsync.config import load_config

    if spec is None or str(spec) == "catalog":
        return catalog_frames(config, channels, now)
    if str(spec) == "last":
        return published_frames(config, out_dir, channels)
    path = Path(spec)
    if path.is_dir():
        return folder_frames(path, channels)
    if path.suffix == ".toml" or path.is_file():
        return catalog_frames(load_config(path), channels, now)
    raise SourceError(
        f"{spec}: not a build folder, a feedsync.toml, 'last' or 'catalog'",
        hint="--old/--new take an output folder of `feedsync build`, a config file, 'last' or 'catalog'",
    )


def diff(
    config: Config,
    out_dir: Path,
    *,
    old: str | Path | None = "last",
    new: str | Path | None = None,
    channels: list[str] | None = None,
    now: datetime | None = None,
) -> DiffResult:
    if str(old or "last") == "last" and str(new or "catalog") == "catalog":
        streamed = diff_last_with_catalog(config, out_dir, channels, now)
        if streamed is not None:
            return streamed
    old_label, old_frames = side(old, config=config, out_dir=out_dir, channels=channels, now=now)
    new_label, new_frames = side(new, config=config, out_dir=out_dir, channels=channels, now=now)
    empty = pd.DataFrame(index=pd.Index([], dtype="str", name="key"))
    names = list(dict.fromkeys([*new_frames, *old_frames]))
    result = {}
    for name in names:
        a = old_frames.get(name, empty)
        b = new_frames.get(name, empty)
        result[name] = diff_frames(name, a, b)
    return DiffResult(old_label, new_label, result)


# -- the last published run against the catalog, streamed ---------------------------------------


class ChangedSince:
    """An ItemSink (pipeline.run's `collect`) that keeps, per feed, only what a diff against
    the previous item sets needs: the text of items whose hashes differ, the keys of new
    items, and which previous items were seen. Feeds are fed from their own threads; each
    touches only its own entries."""

    def __init__(self, feeds: list[str], previous: dict[str, ItemState]) -> None:
        self.previous = {f: previous.get(f, ItemState.empty()) for f in feeds}
        self.seen = {f: np.zeros(len(p), dtype=bool) for f, p in self.previous.items()}
        self.changed: dict[str, list[pd.DataFrame]] = {f: [] for f in feeds}
        self.added: dict[str, list[pd.Series]] = {f: [] for f in feeds}
        self.items = dict.fromkeys(feeds, 0)

    def __call__(self, feed: str, channel: str, items: pd.DataFrame) -> None:
        prev = self.previous[feed]
        keys = item_keys(channel, items)
        self.items[feed] += len(keys)
        pos = prev.keys.get_indexer(pd.Index(keys, dtype="str")) if len(prev) else np.full(len(keys), -1)
        known = pos >= 0
        self.seen[feed][pos[known]] = True
        self.added[feed].append(keys[~known])
        if not known.any():
            return
        table = text_table(items, keys).filter(pa.array(known))  # new items need their keys only
        differs = (group_hashes(table, GROUPS[channel]) != prev.hashes[pos[known]]).any(axis=1)
        if differs.any():
            rows = table.filter(pa.array(differs))
            self.changed[feed].append(rows.to_pandas(types_mapper={pa.large_string(): pd.StringDtype()}.get))

    def result(self, feed: str, last: FeedRun | None) -> ChannelDiff:
        prev = self.previous[feed]
        out = ChannelDiff(feed, len(prev), self.items[feed])
        out.added = [k for part in self.added[feed] for k in part.tolist()]
        out.removed = prev.keys[~self.seen[feed]].tolist()
        parts = [p for p in self.changed[feed] if len(p)]
        if not parts:
            return out
        new = pd.concat(parts).set_index("key")
        old = read_snapshot(last.snapshot, new.index.tolist()) if last is not None else None
        if old is None:  # the snapshot was pruned: item ids only
            out.fields_known = False
            return out
        out.changed = diff_frames(feed, old, new).changed
        return out


def diff_last_with_catalog(
    config: Config, out_dir: Path, channels: list[str] | None, now: datetime | None
) -> DiffResult | None:
    """The last published run into out_dir against what a build would publish now, streamed
    (see the module docstring). None when a feed's last run kept no item set to compare hashes
    with (the caller then compares whole frames)."""
    from feedsync.pipeline import plan_feeds, run

    label, runs = _last_runs(config, out_dir, channels, with_items=True)
    if any(items is None for _, items in runs.values()):
        return None
    chosen = [c for c in config.channels.values() if not channels or c.name in channels]
    feeds = [f.key for f in plan_feeds(config, chosen)]
    sink = ChangedSince(feeds, {name: items for name, (_, items) in runs.items() if items is not None})
    run(config, now=now, channels=channels, collect=sink)
    result = {name: sink.result(name, runs[name][0] if name in runs else None) for name in feeds}
    return DiffResult(label, f"catalog of {config.path}", result)
