"""A test stand-in for pipeline.run with the merchandising stages wired in, exactly as the
integration into feedsync/pipeline.py is meant to look (see feedsync/merchandising.py). It reads
the whole catalog as one batch and writes feeds when given a folder, so tests can check markets,
explain and preview end to end before pipeline.py calls these stages itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from feedsync.catalog import clean_text, fill_url_templates, normalise
from feedsync.channels import CHANNELS
from feedsync.channels.common import ChannelContext, product_checks
from feedsync.config import Config
from feedsync.markets import market_folder, markets_for
from feedsync.merchandising import Merchandising, feed_key
from feedsync.output import commit_all
from feedsync.overrides import apply_stock, load_prices, load_stock
from feedsync.resources import channel_spec
from feedsync.sources import read_catalog
from feedsync.validation.compile import compile_schema
from feedsync.validation.issues import concat_issues
from feedsync.validation.report import Report


def families(ids: pd.Series, groups: pd.Series) -> pd.DataFrame:
    is_parent = ids.isin(groups.dropna())
    has_parent = groups.isin(ids[is_parent])
    return pd.DataFrame({"is_parent": is_parent, "has_parent": has_parent,
                         "variation_theme": pd.Series("SIZE_NAME", index=ids.index, dtype="str")})


def mini_run(config: Config, now: datetime, *, trace=(), out_dir: Path | None = None) -> SimpleNamespace:
    raw = read_catalog(config.catalog)
    frame = raw.frame
    frame.index = pd.RangeIndex(len(frame))
    ids = clean_text(frame["id"])
    duplicate = ids.duplicated() & ids.notna()
    norm = normalise(frame, config.defaults, duplicate=duplicate)
    p = norm.frame
    folded = ids[~duplicate & ids.notna()].str.lower()
    casefold = frozenset(folded[folded.duplicated(keep=False)])
    fam = families(clean_text(frame["id"]), clean_text(frame["item_group_id"]) if "item_group_id" in frame
                   else pd.Series(pd.NA, index=frame.index, dtype="str"))
    p = fill_url_templates(p.join(fam), config.defaults)
    stock = load_stock(config.stock)
    prices = load_prices(config.prices.files, list(CHANNELS))
    online, stock_prov = apply_stock(p, stock)
    shared = product_checks(online)
    merch = Merchandising(config, trace=trace)
    issues, provenance, outputs, feeds, pending = [norm.issues], [stock_prov], {}, [], []
    for c in config.enabled_channels():
        module = CHANNELS[c.name]
        ctx = ChannelContext(c, config.defaults, now, casefold_duplicates=casefold,
                             store_stock=merch.store_inventory(stock, c) if c.name == "google_local" else None)
        ctx.batch_checks = shared
        prep = merch.prepare_channel(online, c, stock=stock, prices=prices, now=now)
        for market in markets_for(c, config.defaults):
            key = feed_key(c.name, market)
            mp = merch.for_market(prep, c, market, now=now)
            cp = mp.frame.loc[~mp.excluded.to_numpy(dtype=bool)]
            products = cp if c.name == "amazon" else cp.loc[~cp["is_parent"]]
            out = module.to_frame(products, ctx)
            found = concat_issues([compile_schema(channel_spec(c.name), c.name).check(out),
                                   module.check(products, out, ctx)])
            found["channel"] = key
            found = concat_issues([found, mp.issues])
            bad = found.loc[found["severity"] == "error", "row"].unique()
            ok = ~out["_row"].isin(bad)
            merch.record(c, market, out, ok)
            issues.append(found)
            provenance.append(mp.provenance)
            outputs[key] = out.loc[ok]
            if out_dir is not None:
                writers = module.writers(market_folder(out_dir, c.name, market), ctx, False)
                for fmt in c.formats:
                    writers[fmt].write(out.loc[ok])
                    feeds.extend(writers[fmt].finish())
                    pending.extend(writers[fmt].pending)
    if pending:
        commit_all(pending)
    report = Report(
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        catalog={"source": raw.source, "format": raw.format, "rows": raw.rows},
        channels={},
        issues=concat_issues(issues),
    )
    from feedsync.field_templates import empty_provenance

    prov = pd.concat([empty_provenance(), *[x for x in provenance if len(x)]], ignore_index=True)
    prov["row"] = prov["row"].astype("Int64")
    return SimpleNamespace(report=report, provenance=prov, merchandising=merch, outputs=outputs, feeds=feeds,
                           rows=np.arange(len(frame)))
