"""Stock and price overrides, applied to copies of the catalog, never to the catalog itself.

Every overridden value keeps its provenance (file and row) so a value on a feed can be
traced back; rows naming SKUs the catalog lacks are reported, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from feedsync.catalog import MAX_AMOUNT, MAX_QUANTITY, clean_text, derive_availability
from feedsync.columns import row_numbers
from feedsync.config import ChannelConfig, StockConfig
from feedsync.positions import CatalogPositions, positions_of
from feedsync.sources.delimited import read_delimited
from feedsync.validation.issues import concat_issues, empty_issues, issues_where
from feedsync.vector import isin, to_number

PROVENANCE_COLUMNS = ["sku", "channel", "field", "source", "row"]


@dataclass
class Stock:
    """Stock by location. `online` is the quantity online channels see, per SKU."""

    rows: pd.DataFrame  # sku, location, quantity, source, row (one per sku+location: the winning row)
    online: pd.Series  # index sku -> Int64
    stores: pd.DataFrame  # sku, location, quantity for store locations
    issues: pd.DataFrame = field(default_factory=empty_issues)
    positions: CatalogPositions | None = None  # the catalog's, once aligned_to it
    online_at: pd.arrays.IntegerArray | None = None  # `online` per catalog position

    def aligned_to(self, positions: CatalogPositions) -> Stock:
        """This stock with the online quantity laid out by catalog position, as apply_stock takes it."""
        online_at = positions.align(self.online.index.to_series(), self.online)
        return replace(self, positions=positions, online_at=online_at)


@dataclass
class Prices:
    rows: pd.DataFrame  # sku, channel ("" = every channel), price, sale_price, start, end, source, row
    issues: pd.DataFrame = field(default_factory=empty_issues)
    _by_channel: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def for_channel(self, channel: str) -> pd.DataFrame:
        """The rows that set `channel`'s prices, one per SKU indexed by it: channel rows beat
        all-channel rows, and within a level the later row wins. Built once per channel, not
        once per batch."""
        if channel not in self._by_channel:
            applicable = self.rows.loc[self.rows["channel"].isin(["", channel])]
            self._by_channel[channel] = (
                applicable.assign(_specific=applicable["channel"] != "")
                .sort_values("_specific", kind="stable")
                .drop_duplicates("sku", keep="last")
                .set_index("sku")
            )
        return self._by_channel[channel]


def _read_override(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    table, _ = read_delimited(path)
    frame = table.to_pandas()
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        from feedsync.errors import SourceError

        raise SourceError(
            f"{path}: missing column {missing[0]!r}", hint=f"an override file needs the columns {', '.join(required)}"
        )
    frame = frame.apply(clean_text)
    frame.insert(0, "row", row_numbers(1, len(frame)))
    frame["source"] = path.name
    return frame


def _bad_stock_message(file: str, hit: pd.DataFrame) -> pd.Series:
    return (
        file + " row " + hit["row"].astype("str") + ": needs a sku, a location and a whole quantity >= 0; "
        "got quantity '" + hit["quantity"].fillna("") + "'"
    )


def _unknown_sku_message(what: str, hit: pd.DataFrame) -> pd.Series:
    return (
        hit["source"] + " row " + hit["row"].astype("str") + ": " + what + " for SKU '" + hit["sku"]
        + "', which is not in the catalog; the row is not used"
    )  # fmt: skip


def _issue_view(frame: pd.DataFrame) -> pd.DataFrame:
    """issues_where expects `_row` and `id`: the override file's row and SKU."""
    return frame.assign(_row=frame["row"], id=frame["sku"].fillna(""))


def load_stock(cfg: StockConfig) -> Stock:
    parts, issues = [], []
    for order, path in enumerate(cfg.files):
        f = _read_override(path, ("sku", "location", "quantity"))
        qty = to_number(f["quantity"])
        bad = f["sku"].isna() | f["location"].isna() | qty.isna() | (qty != np.floor(qty.fillna(0))) | (qty < 0)
        bad |= qty.abs() > MAX_QUANTITY
        view = _issue_view(f)
        issues.append(
            issues_where(
                view,
                bad,
                code="invalid-override",
                field="quantity",
                value=f["quantity"],
                message=partial(_bad_stock_message, path.name),  # worded for the flagged rows only
            )
        )
        f = f.loc[~bad].assign(quantity=qty[~bad].astype("Int64"), order=order)
        parts.append(f[["sku", "location", "quantity", "source", "row", "order"]])
    if not parts:
        rows = pd.DataFrame(
            {
                "sku": pd.Series(dtype="str"),
                "location": pd.Series(dtype="str"),
                "quantity": pd.Series(dtype="Int64"),
                "source": pd.Series(dtype="str"),
                "row": pd.Series(dtype="Int64"),
            }
        )
    else:
        # A later file (and a later row) wins for the same sku and location.
        rows = pd.concat(parts, ignore_index=True).drop_duplicates(["sku", "location"], keep="last")
        rows = rows.drop(columns="order").reset_index(drop=True)
    is_store = isin(rows["location"], cfg.stores)
    online_rows = rows if cfg.online_includes_stores else rows.loc[~is_store]
    online = online_rows.groupby("sku", sort=False)["quantity"].sum().astype("Int64")
    # A SKU stocked only in stores has zero online stock (not "unknown").
    store_skus = rows.loc[is_store, "sku"].drop_duplicates()
    only_store = pd.Index(store_skus[~isin(store_skus, online.index)])
    online = pd.concat([online, pd.Series(0, index=only_store, dtype="Int64")])
    return Stock(
        rows=rows, online=online, stores=rows.loc[is_store].reset_index(drop=True), issues=concat_issues(issues)
    )


def load_prices(files: tuple[Path, ...], channels: list[str]) -> Prices:
    parts, issues = [], []
    for path in files:
        f = _read_override(path, ("sku", "price"))
        for col in ("channel", "sale_price", "start", "end"):
            if col not in f:
                f[col] = pd.Series(pd.NA, index=f.index, dtype="str")
        view = _issue_view(f)
        price = to_number(f["price"])
        sale = to_number(f["sale_price"])
        start = pd.to_datetime(f["start"], utc=True, format="ISO8601", errors="coerce")
        end = pd.to_datetime(f["end"], utc=True, format="ISO8601", errors="coerce")
        checks = [
            (f["sku"].isna(), "sku", "has no sku"),
            (f["price"].notna() & ~(price > 0).fillna(False), "price", "price must be a number above zero"),
            (f["sale_price"].notna() & ~(sale > 0).fillna(False), "sale_price", "sale_price must be a number above 0"),
            ((price >= MAX_AMOUNT).fillna(False), "price", "price is too large; check for a typo"),
            ((sale >= MAX_AMOUNT).fillna(False), "sale_price", "sale_price is too large; check for a typo"),
            (f["start"].notna() & start.isna(), "start", "start is not an ISO 8601 date"),
            (f["end"].notna() & end.isna(), "end", "end is not an ISO 8601 date"),
            (
                f["channel"].notna() & ~f["channel"].isin(channels),
                "channel",
                "channel is not one of " + ", ".join(channels),
            ),
        ]
        bad = pd.Series(False, index=f.index)
        for mask, col, why in checks:
            mask = mask.fillna(False) & ~bad
            issues.append(
                issues_where(
                    view,
                    mask,
                    code="invalid-override",
                    field=col,
                    value=f[col],
                    message=path.name + " row " + f["row"].astype("str") + ": " + why,
                )
            )
            bad |= mask
        ok = ~bad
        parts.append(
            pd.DataFrame(
                {
                    "sku": f["sku"][ok],
                    "channel": f["channel"][ok].fillna(""),
                    "price": price[ok].round(2),
                    "sale_price": sale[ok].round(2),
                    "start": start[ok],
                    "end": end[ok],
                    "source": f["source"][ok],
                    "row": f["row"][ok],
                }
            )
        )
    rows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["sku", "channel", "price", "sale_price", "start", "end", "source", "row"])
    )
    return Prices(rows=rows, issues=concat_issues(issues))


def unknown_skus(catalog_ids: pd.Index, stock: Stock, prices: Prices) -> pd.DataFrame:
    """Warnings for override rows whose SKU is not in the catalog."""
    out = []
    for frame, what in ((stock.rows, "stock"), (prices.rows, "price")):
        if not len(frame):
            continue
        mask = ~isin(frame["sku"], catalog_ids)
        view = _issue_view(frame)
        out.append(
            issues_where(
                view,
                mask,
                code="unknown-sku",
                field="sku",
                value=frame["sku"],
                message=partial(_unknown_sku_message, what),  # worded for the flagged rows only
            )
        )
    return concat_issues(out)


def apply_stock(catalog: pd.DataFrame, stock: Stock) -> pd.DataFrame:
    """Online quantity from the stock files replaces the catalog's, in a copy: `catalog` is a
    batch indexed by catalog position, `stock` aligned_to the catalog. Where each value came
    from is stock_provenance(): the stock rows are kept, so it is built only when asked."""
    out = catalog.copy()
    if not len(stock.online):
        return out
    if stock.online_at is None:
        raise ValueError("apply_stock needs the stock aligned_to the catalog's positions")
    override = pd.Series(stock.online_at[positions_of(out)], index=out.index)
    has = override.notna()
    out["quantity"] = override.where(has, out["quantity"]).astype("Int64")
    out["availability"] = derive_availability(out["availability_source"], out["quantity"])
    return out


def stock_provenance(stock: Stock, skus: pd.Series) -> pd.DataFrame:
    """Provenance of the online quantity of `skus` (the catalog products the run kept): the stock
    file and row of every location that went into it."""
    if not len(stock.online):
        return _no_provenance()
    stocked = skus[isin(skus, stock.online.index)]
    touched = stock.rows.loc[isin(stock.rows["sku"], stocked)]
    prov = pd.DataFrame(
        {
            "sku": touched["sku"],
            "channel": "",
            "field": "quantity",
            "source": touched["source"] + ":" + touched["location"],
            "row": touched["row"],
        }
    )
    return prov[PROVENANCE_COLUMNS].reset_index(drop=True)


def apply_channel(frame: pd.DataFrame, prices: Prices, channel: ChannelConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-channel prices (channel rows beat all-channel rows) and safety stock; returns (copy, provenance)."""
    out = frame.copy(deep=False)  # columns are replaced, never written into (copy-on-write)
    prov = []
    if len(prices.rows):
        applicable = prices.for_channel(channel.name)
        at = applicable.index.get_indexer(out["id"])  # the index's hash table is built once per channel
        rows = np.flatnonzero(at >= 0)
        if len(rows):
            src = applicable.iloc[at[rows]]
            ids = out["id"].iloc[rows].to_numpy()
            new_price = src["price"].to_numpy(dtype="float64", na_value=np.nan)
            has_price = ~np.isnan(new_price)
            has_sale = src["sale_price"].notna().to_numpy()
            out["price"] = _placed(out["price"], rows[has_price], new_price[has_price])
            for col, given in (("sale_price", "sale_price"), ("sale_price_start", "start"), ("sale_price_end", "end")):
                out[col] = _placed(out[col], rows[has_sale], src[given].array[has_sale])
            for fld, used in (("price", has_price), ("sale_price", has_sale)):
                prov.append(
                    pd.DataFrame(
                        {
                            "sku": ids[used],
                            "channel": channel.name,
                            "field": fld,
                            "source": src["source"].to_numpy()[used],
                            "row": src["row"].to_numpy()[used],
                        }
                    )
                )
    if channel.safety_stock:
        out["quantity"] = (out["quantity"] - channel.safety_stock).clip(lower=0).astype("Int64")
        out["availability"] = derive_availability(out["availability_source"], out["quantity"])
    return out, (pd.concat(prov, ignore_index=True) if prov else _no_provenance())


def _placed(column: pd.Series, rows: np.ndarray, values: np.ndarray | pd.api.extensions.ExtensionArray) -> pd.Series:
    """`column` with `values` at positions `rows`, as a new Series of the column's dtype."""
    if not len(rows):
        return column
    placed = column.copy()
    placed.iloc[rows] = values
    return placed


def _no_provenance() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str") for c in PROVENANCE_COLUMNS})
