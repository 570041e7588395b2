"""The run, stage by stage. Returns values; never prints, never exits.

Whole-catalog steps are few and named here (duplicate ids, variant families, override SKUs);
everything else runs per batch of rows so memory stays flat as the catalog grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from feedsync.catalog import clean_text, fill_url_templates, normalise
from feedsync.channels import CHANNELS
from feedsync.channels.common import ChannelContext, product_checks
from feedsync.columns import ROW
from feedsync.config import Config
from feedsync.errors import FeedsyncError
from feedsync.output import FeedFile, commit_all, dumps, manifest, write_atomic
from feedsync.overrides import PROVENANCE_COLUMNS, apply_channel, apply_stock, load_prices, load_stock, unknown_skus
from feedsync.resources import channel_spec
from feedsync.sources import read_catalog
from feedsync.validation.compile import CompiledSchema, compile_schema
from feedsync.validation.issues import concat_issues
from feedsync.validation.report import ChannelSummary, Report
from feedsync.vector import isin

Progress = Callable[[int, int], None]


@dataclass
class RunResult:
    report: Report
    feeds: list[FeedFile] = field(default_factory=list)
    manifest: dict | None = None
    out_dir: Path | None = None
    provenance: pd.DataFrame | None = None


@cache
def compiled(channel: str) -> CompiledSchema:
    return compile_schema(channel_spec(channel), channel)


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _families(ids: pd.Series, groups: pd.Series, size: pd.Series, color: pd.Series) -> pd.DataFrame:
    """Variant families over the whole catalog: parents, children with a parent, variation theme."""
    is_parent = isin(ids, groups.dropna())
    has_parent = isin(groups, ids[is_parent])
    children = pd.DataFrame({"g": groups, "size": size, "color": color}).loc[groups.notna()]
    varies = children.groupby("g")[["size", "color"]].nunique()
    theme = pd.Series(
        np.select(
            [(varies["size"] > 1) & (varies["color"] > 1), varies["size"] > 1, varies["color"] > 1],
            ["SIZE_NAME/COLOR_NAME", "SIZE_NAME", "COLOR_NAME"],
            default="SIZE_NAME",
        ),
        index=varies.index,
        dtype="str",
    )
    key = groups.where(~is_parent, ids)
    return pd.DataFrame(
        {"is_parent": is_parent, "has_parent": has_parent, "variation_theme": key.map(theme).astype("str")}
    )


def run(
    config: Config,
    *,
    out_dir: Path | None = None,
    now: datetime | None = None,
    channels: list[str] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Build (out_dir given) or only validate (out_dir None) every enabled channel."""
    now = _utc(now)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    chosen = [c for c in config.enabled_channels() if channels is None or c.name in channels]

    raw = read_catalog(config.catalog)
    if not raw.rows:
        raise FeedsyncError(
            f"{raw.source}: the catalog has no products, only a header",
            hint="export the catalog again; feeds built from it would remove every product from the channels",
        )
    keys = raw.keys
    ids = clean_text(keys["id"])
    if ids.isna().all():
        raise FeedsyncError(
            f"{raw.source}: the catalog has no id column (or every id is empty)",
            hint="name the SKU column `id`, or map it with [catalog.columns]",
        )
    duplicate = ids.duplicated() & ids.notna()
    fam = _families(
        ids.where(~duplicate), clean_text(keys["item_group_id"]), clean_text(keys["size"]), clean_text(keys["color"])
    )
    unique_ids = ids[~duplicate & ids.notna()]
    folded = unique_ids.str.lower()
    casefold = frozenset(folded[folded.duplicated(keep=False)])

    stock = load_stock(config.stock)
    prices = load_prices(config.prices.files, list(CHANNELS))
    catalog_ids = pd.Index(unique_ids)
    issues = [raw.issues, stock.issues, prices.issues, unknown_skus(catalog_ids, stock, prices)]
    override_errors = set(concat_issues([stock.issues, prices.issues]).query("severity == 'error'")["sku"])
    source_error_rows = set(raw.issues.loc[raw.issues["severity"] == "error", "row"].dropna())

    summaries = {c.name: ChannelSummary(c.name, list(c.formats)) for c in chosen}
    contexts = {
        c.name: ChannelContext(
            c,
            config.defaults,
            now,
            store_stock=stock.stores if c.name == "google_local" else None,
            casefold_duplicates=casefold,
        )
        for c in chosen
    }
    writers: dict[tuple[str, str], object] = {}
    if out_dir is not None:
        for c in chosen:
            made = CHANNELS[c.name].writers(out_dir / c.name, contexts[c.name], config.output.gzip)
            for fmt in c.formats:
                writers[(c.name, fmt)] = made[fmt]
    excluded_parts: list[pd.DataFrame] = []
    provenance: list[pd.DataFrame] = []
    code_counts: dict[str, Counter] = {c.name: Counter() for c in chosen}
    try:
        total, done = raw.rows, 0
        for batch in raw.batches(config.output.batch_size):
            batch.index = pd.RangeIndex(done, done + len(batch))
            norm = normalise(batch, config.defaults, duplicate=duplicate.iloc[done : done + len(batch)])
            done += len(batch)
            issues.append(norm.issues)
            p = norm.frame
            drop = isin(p["id"], override_errors) | p[ROW].isin(source_error_rows)
            excluded_parts.append(
                _excluded(
                    "",
                    pd.concat([norm.excluded, p.loc[drop, [ROW, "id"]]]),
                    concat_issues([norm.issues, raw.issues]),
                    override_issues=concat_issues([stock.issues, prices.issues]),
                )
            )
            p = fill_url_templates(p.loc[~drop].join(fam), config.defaults)
            online, prov = apply_stock(p, stock)
            provenance.append(prov)
            shared_checks = product_checks(online)
            for c in chosen:
                module, ctx = CHANNELS[c.name], contexts[c.name]
                ctx.batch_checks = shared_checks
                cp, prov = apply_channel(online, prices, c)
                provenance.append(prov)
                products = cp if c.name == "amazon" else cp.loc[~cp["is_parent"]]
                out = module.to_frame(products, ctx)
                found = concat_issues([compiled(c.name).check(out), module.check(products, out, ctx)])
                found["channel"] = c.name
                issues.append(found)
                bad_rows = found.loc[found["severity"] == "error", "row"].unique()
                ok = ~out[ROW].isin(bad_rows)
                summary = summaries[c.name]
                summary.products_in += int((~cp["is_parent"]).sum()) + len(norm.excluded) + int(drop.sum())
                bad_products = products.loc[products[ROW].isin(bad_rows)]
                summary.excluded += int((~bad_products["is_parent"]).sum()) + len(norm.excluded) + int(drop.sum())
                excluded_parts.append(_excluded(c.name, bad_products[[ROW, "id"]], found))
                summary.errors += int((found["severity"] == "error").sum())
                summary.warnings += int((found["severity"] == "warning").sum())
                code_counts[c.name].update(found["code"].tolist())
                for fmt in c.formats:
                    if (c.name, fmt) in writers:
                        writers[(c.name, fmt)].write(out.loc[ok])
            if progress:
                progress(done, total)
        feeds: list[FeedFile] = []
        for w in writers.values():
            feeds.extend(w.finish())
    except BaseException:
        for w in writers.values():
            w.abort()
        raise

    all_issues = concat_issues(issues)
    catalog_issues = all_issues.loc[all_issues["channel"] == ""]
    catalog_issue_counts = Counter(catalog_issues["code"].tolist())
    # one code can carry both severities (a negative quantity is a warning, "2.5" an error)
    catalog_errors = int((catalog_issues["severity"] == "error").sum())
    catalog_warnings = int((catalog_issues["severity"] == "warning").sum())
    for c in chosen:
        s = summaries[c.name]
        s.errors += catalog_errors
        s.warnings += catalog_warnings
        code_counts[c.name].update(catalog_issue_counts)
        s.top_codes = code_counts[c.name].most_common(5)
        s.items = sum(f.items for f in feeds if f.channel == c.name and f.format == c.formats[0])
    excluded = (
        pd.concat(excluded_parts, ignore_index=True)
        if excluded_parts
        else pd.DataFrame(columns=["channel", "sku", "row", "codes"])
    )
    report = Report(
        generated_at=stamp,
        catalog={
            "source": raw.source,
            "format": raw.format,
            "encoding": raw.encoding,
            "rows": raw.rows,
            "parents": int(fam["is_parent"].sum()),
        },
        channels=summaries,
        issues=all_issues,
        excluded=excluded,
    )
    result = RunResult(
        report=report,
        feeds=feeds,
        out_dir=out_dir,
        provenance=pd.concat(provenance, ignore_index=True) if provenance else None,
    )
    if out_dir is not None:
        pending = [p for w in writers.values() for p in w.pending]
        commit_all(pending)
        result.manifest = manifest(out_dir, stamp, feeds, report.excluded_products())
        write_atomic(out_dir / "report.json", dumps(report.to_dict()))
        write_atomic(out_dir / "manifest.json", dumps(result.manifest))
    return result


def _excluded(
    channel: str, rows: pd.DataFrame, issues: pd.DataFrame, *, override_issues: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One line per excluded product with the codes of the errors that excluded it.

    Override issues carry the override file's row, not the catalog's: they match by SKU.
    """
    if not len(rows):
        return pd.DataFrame(columns=["channel", "sku", "row", "codes"])

    def codes_by(found: pd.DataFrame, key: str) -> pd.Series:
        errors = found.loc[found["severity"] == "error"]
        return errors.groupby(key)["code"].agg(lambda s: ",".join(sorted(set(s))))

    codes = rows[ROW].map(codes_by(issues, "row")).astype(object)
    if override_issues is not None and len(override_issues):
        codes = codes.fillna(rows["id"].map(codes_by(override_issues, "sku")).astype(object))
    return pd.DataFrame(
        {
            "channel": channel,
            "sku": rows["id"].fillna("").to_numpy(),
            "row": rows[ROW].to_numpy(),
            "codes": codes.fillna("").to_numpy(),
        }
    )


__all__ = ["RunResult", "run", "PROVENANCE_COLUMNS"]
