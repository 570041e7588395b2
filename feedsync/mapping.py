"""Two-column mapping tables (key,value) used by rule lookups and category mapping.

Keys match case-insensitively after trimming, so "Apparel > Jackets" in the table finds
"apparel > jackets " in the catalog; a later row wins for a repeated key (like the override files).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from feedsync.errors import ConfigError, SourceError
from feedsync.vector import arrow, spread


@dataclass(frozen=True)
class MappingTable:
    path: Path
    values: pd.Series  # index: normalised key -> value (str)
    rows: pd.Series  # index: normalised key -> 1-based data row in the file

    @property
    def name(self) -> str:
        return self.path.name

    def lookup(self, keys: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(value, table row) per element of `keys`; NA where the key is missing or not in the table.

        Looked up once per distinct key (a product_type column has a few hundred), then spread."""
        codes, uniques = pd.factorize(keys.astype("str"))
        pos_u = self.values.index.get_indexer(normalise_keys(pd.Series(uniques, dtype="str")))
        pos = np.where(codes >= 0, pos_u[np.maximum(codes, 0)] if len(pos_u) else -1, -1)
        value = spread(self.values.astype("str"), pos, keys.index)
        row = spread(self.rows.astype("Int64"), pos, keys.index)
        return value, row


def normalise_keys(s: pd.Series) -> pd.Index:
    return pd.Index(pc.utf8_lower(pc.utf8_trim_whitespace(arrow(s))).to_pandas(types_mapper=None))


@cache
def _read(path: Path, mtime: float) -> MappingTable:
    from feedsync.sources.delimited import read_delimited

    try:
        table, _ = read_delimited(path)
    except (OSError, SourceError) as e:
        raise ConfigError(
            f"{path}: cannot read mapping table: {e}", hint="a mapping table is a CSV with key,value"
        ) from None
    frame = table.to_pandas()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "key" not in frame or "value" not in frame:
        raise ConfigError(
            f"{path}: a mapping table needs the columns key and value, found {', '.join(frame.columns)}",
            hint="write the header line `key,value`",
        )
    keys = frame["key"].astype("str")
    values = frame["value"].astype("str").str.strip()
    rows = pd.Series(range(1, len(frame) + 1), dtype="Int64")
    keep = keys.notna() & (keys.str.strip() != "")
    norm = normalise_keys(keys[keep])
    values = pd.Series(values[keep].to_numpy(), index=norm, dtype="str")
    rows = pd.Series(rows[keep].to_numpy(), index=norm, dtype="Int64")
    last = ~values.index.duplicated(keep="last")
    return MappingTable(path, values[last], rows[last])


def read_mapping_table(path: Path) -> MappingTable:
    if not path.is_file():
        raise ConfigError(f"mapping table {path} does not exist", hint="paths are relative to feedsync.toml")
    return _read(path.resolve(), path.stat().st_mtime)
