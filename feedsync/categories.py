"""google_product_category from a mapping table, checked against Google's product taxonomy.

    [categories]
    taxonomy = "../shared/oracles/google/taxonomy-with-ids.en-US.txt"   # Google's published file
    table = "categories.csv"      # key,value: product_type -> category id (or full taxonomy path)
    from = "product_type"         # the column looked up (default product_type)
    overwrite = false             # true: the table also replaces categories the catalog has

A product_type that is not in the table falls back to its parent ("Apparel > Jackets > Rain"
tries "Apparel > Jackets", then "Apparel"), so a table can map whole branches at once. A full
taxonomy path is sent as its numeric id. Unmapped products are summarised most frequent first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from feedsync.errors import ConfigError
from feedsync.field_templates import empty_provenance
from feedsync.mapping import MappingTable
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import matches, spread

MAX_LEVELS = 12  # parent fallbacks tried for a product_type path
SEPARATOR = " > "
UNMAPPED_COLUMNS = ["value", "products", "example_sku"]


@dataclass(frozen=True)
class Taxonomy:
    version: str
    source: Path
    paths: pd.Series  # index id (str) -> full path
    by_path: pd.Series  # index lower-case path -> id

    def __len__(self) -> int:
        return len(self.paths)

    def resolve(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(id, valid) per value: an id must exist; a full path becomes its id. Missing -> (NA, True).
        Resolved once per distinct value, then spread."""
        codes, uniques = pd.factorize(values.astype("str"))
        u_ids, u_valid = self._resolve_distinct(pd.Series(uniques, dtype="str"))
        valid = np.append(u_valid.to_numpy(dtype=bool), True)[codes]  # code -1 (missing): valid
        return spread(u_ids.astype("str"), codes, values.index), pd.Series(valid, index=values.index)

    def _resolve_distinct(self, values: pd.Series) -> tuple[pd.Series, pd.Series]:
        s = values.astype("str").str.strip()
        is_id = matches(s, r"^\d+$")
        known_id = pd.Series(self.paths.index.get_indexer(s.where(is_id)) >= 0, index=s.index) & is_id
        pos = self.by_path.index.get_indexer(s.str.lower().where(~is_id))
        from_path = pd.Series(
            np.where(pos >= 0, self.by_path.to_numpy()[np.maximum(pos, 0)], None), index=s.index, dtype="str"
        )
        ids = s.where(known_id, from_path).where(known_id | (pos >= 0)).astype("str")
        valid = values.isna() | ids.notna()
        return ids, valid


@cache
def _load(path: Path, mtime: float) -> Taxonomy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the Google taxonomy: {e}") from None
    version = ""
    ids, paths = [], []
    for line in text.splitlines():
        if line.startswith("#"):
            m = re.search(r"Version:\s*(\S+)", line)
            version = m.group(1) if m else version
            continue
        m = re.match(r"^\s*(\d+)\s+-\s+(.+?)\s*$", line)
        if m:
            ids.append(m.group(1))
            paths.append(m.group(2))
    if not ids:
        raise ConfigError(
            f"{path}: no '<id> - <path>' lines; this is not Google's taxonomy-with-ids file",
            hint="download taxonomy-with-ids.<locale>.txt from Google (support.google.com/merchants/answer/6324436)",
        )
    by_id = pd.Series(paths, index=pd.Index(ids, dtype="str"), dtype="str")
    by_path = pd.Series(ids, index=pd.Index([p.lower() for p in paths], dtype="str"), dtype="str")
    return Taxonomy(version or "unknown", path, by_id, by_path[~by_path.index.duplicated()])


def load_taxonomy(path: Path) -> Taxonomy:
    if not path.is_file():
        raise ConfigError(
            f"Google taxonomy file {path} does not exist", hint="[categories] taxonomy is relative to feedsync.toml"
        )
    return _load(path.resolve(), path.stat().st_mtime)


@dataclass
class CategoryResult:
    frame: pd.DataFrame
    issues: pd.DataFrame  # invalid-category (error), unmapped-category (warning)
    provenance: pd.DataFrame
    unmapped: pd.DataFrame  # value, products, example_sku: most frequent first
    mapped: int = 0


def lookup_hierarchical(table: MappingTable, keys: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(value, table row, key that matched): the full key first, then its parents. Worked out
    once per distinct key, then spread over the rows."""
    codes, uniques = pd.factorize(keys.astype("str"))
    value_u, row_u, matched_u = _lookup_hierarchical(table, pd.Series(uniques, dtype="str"))
    return spread(value_u, codes, keys.index), spread(row_u, codes, keys.index), spread(matched_u, codes, keys.index)


def _lookup_hierarchical(table: MappingTable, keys: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """For distinct keys (a few hundred): every key's candidates, itself then up to MAX_LEVELS
    parents, are looked up in one call, and each key takes its first candidate found."""
    candidates: list[str] = []
    owner: list[int] = []
    for i, key in enumerate(keys.tolist()):
        for _ in range(MAX_LEVELS + 1):
            candidates.append(key)
            owner.append(i)
            if SEPARATOR not in key:
                break
            key = key.rsplit(SEPARATOR, 1)[0]
    value, row = table.lookup(pd.Series(candidates, dtype="str"))
    found = row.notna().to_numpy()
    owners = np.asarray(owner, dtype=np.intp)[found]
    hits, first = np.unique(owners, return_index=True)  # candidates are in order: the first hit wins
    pick = np.full(len(keys), -1, dtype=np.intp)
    pick[hits] = np.flatnonzero(found)[first]
    return (
        spread(value, pick, keys.index),
        spread(row, pick, keys.index),
        spread(pd.Series(candidates, dtype="str"), pick, keys.index),
    )


def map_categories(
    frame: pd.DataFrame,
    *,
    table: MappingTable | None,
    taxonomy: Taxonomy | None,
    source: str = "product_type",
    target: str = "google_product_category",
    overwrite: bool = False,
    channel: str = "",
    trace: set[str] | None = None,
) -> CategoryResult:
    """Fill (or with `overwrite`, replace) `target` from `table` keyed by `source`; check every
    final value against `taxonomy`. Returns a copy; the input frame is not changed."""
    if source not in frame:
        raise ConfigError(
            f"[categories] from = {source!r} is not a catalog column",
            hint="valid columns: " + ", ".join(c for c in frame.columns if not c.startswith("_")),
        )
    out = frame.copy(deep=False)
    current = frame[target].astype("str") if target in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
    issues = []
    prov = empty_provenance()
    mapped_mask = pd.Series(False, index=frame.index)
    row = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if table is not None:
        value, row, _ = lookup_hierarchical(table, frame[source].astype("str"))
        use = row.notna() & value.notna() & (current.isna() | overwrite)
        mapped_mask = use
        current = value.where(use, current).astype("str")
        traced = use if trace is None else use & frame["id"].isin(list(trace))
        if traced.any():
            prov = pd.DataFrame(
                {
                    "sku": frame.loc[traced, "id"].astype("str").to_numpy(),
                    "channel": channel,
                    "field": target,
                    "source": f"categories {table.name}",
                    "row": row[traced].astype("Int64").to_numpy(),
                }
            )
    if taxonomy is not None:
        ids, valid = taxonomy.resolve(current)
        bad = ~valid

        def where(hit: pd.Index) -> pd.Series:
            """' (categories.csv row 12)' for the flagged values the table supplied."""
            rows = row[hit].astype("str")
            named = " (" + (table.name if table else "") + " row " + rows + ")"
            return named.where(mapped_mask[hit] & row[hit].notna(), "").astype("str")

        issues.append(
            issues_where(
                frame.assign(**{target: current}),
                bad,
                code="invalid-category",
                field=target,
                channel=channel,
                value=current,
                message=lambda hit: (
                    target
                    + " '"
                    + current[hit.index].str.slice(0, 80)
                    + "'"
                    + where(hit.index)
                    + f" is not in Google's product taxonomy (version {taxonomy.version})"
                ),
            )
        )
        current = ids.where(valid & ids.notna(), current).astype("str")
    out[target] = current
    unmapped = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "products" else "str") for c in UNMAPPED_COLUMNS})
    if table is not None:
        missing = current.isna()
        unmapped = unmapped_summary(frame.loc[missing], source)
        counts = frame.loc[missing, source].fillna("").map(unmapped.set_index("value")["products"])
        issues.append(
            issues_where(
                frame,
                missing,
                code="unmapped-category",
                field=target,
                channel=channel,
                value=frame[source],
                message=lambda hit: (
                    source
                    + " '"
                    + hit[source].fillna("").str.slice(0, 80)
                    + "' has no row in "
                    + table.name
                    + " ("
                    + counts[hit.index].astype("str")
                    + " products in this batch share it)"
                ),
            )
        )
    return CategoryResult(out, concat_issues(issues), prov, unmapped, int(mapped_mask.sum()))


def unmapped_summary(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Unmapped source values, most frequent first (ties by value), with one example SKU each."""
    values = frame[source].astype("str").fillna("")
    if not len(values):
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "products" else "str") for c in UNMAPPED_COLUMNS})
    g = pd.DataFrame({"value": values, "sku": frame["id"].astype("str")}).groupby("value", sort=False)
    out = pd.DataFrame({"products": g.size().astype("Int64"), "example_sku": g["sku"].first()}).reset_index()
    return _order(out)


def merge_unmapped(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Combine per-batch summaries into one for the whole catalog."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "products" else "str") for c in UNMAPPED_COLUMNS})
    both = pd.concat(parts, ignore_index=True)
    g = both.groupby("value", sort=False)
    out = pd.DataFrame({"products": g["products"].sum().astype("Int64"), "example_sku": g["example_sku"].first()})
    return _order(out.reset_index())


def _order(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["products", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)[
        UNMAPPED_COLUMNS
    ]
