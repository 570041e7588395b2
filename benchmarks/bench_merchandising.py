"""Time the merchandising stages (stock policy, price overrides, rules, categories, templates,
price policy and markets) per product, batch by batch as pipeline.run will call them.

    python benchmarks/bench_merchandising.py --data benchmarks/data/1000000-7-csv [--record]
    python benchmarks/bench_merchandising.py --products 100000

The catalog, stock and price files come from --data (a generate_catalog.py folder; generated
into a temporary folder with --products otherwise); channels, rules, templates, categories,
policies and markets come from examples/feedsync.toml. Reading and normalising the
catalog is timed separately: the figure that matters is what these stages add to a build.
`--record` appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import tempfile
import time
import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_catalog import generate  # noqa: E402

from feedsync.catalog import clean_text, normalise  # noqa: E402
from feedsync.channels import CHANNELS  # noqa: E402
from feedsync.config import parse_config  # noqa: E402
from feedsync.markets import markets_for  # noqa: E402
from feedsync.merchandising import Merchandising, feed_key  # noqa: E402
from feedsync.overrides import apply_stock, load_prices, load_stock  # noqa: E402
from feedsync.sources import read_catalog  # noqa: E402

NOW = datetime(2026, 11, 23, tzinfo=UTC)
EXAMPLE = ROOT / "examples" / "feedsync.toml"


def config_for(data: Path):
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["catalog"]["path"] = str(data / "catalog.csv")
    raw["stock"]["files"] = [str(data / "stock.csv")]
    raw["prices"]["files"] = [str(data / "prices.csv")]
    raw["prices"]["fx"] = str(EXAMPLE.parent / "fx.csv")
    raw["categories"]["taxonomy"] = str((EXAMPLE.parent / raw["categories"]["taxonomy"]).resolve())
    raw["categories"]["table"] = str(EXAMPLE.parent / "categories.csv")
    return parse_config(raw, EXAMPLE)


def families(ids: pd.Series, groups: pd.Series) -> pd.DataFrame:
    is_parent = ids.isin(groups.dropna())
    return pd.DataFrame(
        {
            "is_parent": is_parent,
            "has_parent": groups.isin(ids[is_parent]),
            "variation_theme": pd.Series("SIZE_NAME", index=ids.index, dtype="str"),
        }
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="a generate_catalog.py output folder")
    ap.add_argument("--products", type=int, default=100_000, help="generate this many rows when --data is not given")
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--baseline", action="store_true", help="read, normalise and apply stock only (RSS reference)")
    args = ap.parse_args(argv)
    tmp = None
    data = args.data
    if data is None:
        tmp = tempfile.TemporaryDirectory()
        data = Path(tmp.name)
        generate(args.products, 7, data)
    config = config_for(data.resolve())

    start = time.perf_counter()
    raw = read_catalog(config.catalog)
    keys = raw.keys
    ids = clean_text(keys["id"])
    fam = families(ids, clean_text(keys["item_group_id"]))
    stock = load_stock(config.stock)
    prices = load_prices(config.prices.files, list(CHANNELS))
    setup = time.perf_counter() - start

    merch = Merchandising(config)
    stage = Counter()
    read_norm = 0.0
    done = 0
    contexts_local = {}
    t0 = time.perf_counter()
    for c in config.enabled_channels():
        if c.name == "google_local":
            contexts_local[c.name] = merch.store_inventory(stock, c)
    stage["store inventory"] += time.perf_counter() - t0
    t_read = time.perf_counter()
    for batch in raw.batches(args.batch):
        batch.index = pd.RangeIndex(done, done + len(batch))
        norm = normalise(batch, config.defaults)
        p = norm.frame.join(fam)
        online = apply_stock(p, stock)
        read_norm += time.perf_counter() - t_read
        for c in [] if args.baseline else config.enabled_channels():
            t0 = time.perf_counter()
            prep = merch.prepare_channel(online, c, stock=stock, prices=prices, now=NOW)
            stage[c.name] += time.perf_counter() - t0
            for market in markets_for(c, config.defaults):
                t0 = time.perf_counter()
                merch.for_market(prep, c, market, now=NOW)
                stage[feed_key(c.name, market)] += time.perf_counter() - t0
        done += len(batch)
        t_read = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(stage.values())
    us = {k: v / done * 1e6 for k, v in stage.items()}
    print(
        f"{done:,} rows in batches of {args.batch:,}; setup {setup:.1f} s, read + normalise + stock "
        f"{read_norm:.1f} s ({read_norm / done * 1e6:.1f} us/product)"
    )
    for k, v in us.items():
        print(f"  {k:16} {v:6.2f} us/product")
    print(f"merchandising total {total:.1f} s = {total / done * 1e6:.2f} us/product; peak RSS {rss:.0f} MiB")
    if args.record:
        lines = [
            "",
            f"### Merchandising stages, {done:,} products ({datetime.now().date()})",
            "",
            f"Machine: {platform.machine()}, Python {platform.python_version()}. Command: `python "
            f"benchmarks/bench_merchandising.py --data {args.data or '(generated)'} --batch {args.batch} --record`. "
            "Channels, rules, templates, categories, policies and the two Google markets of "
            "examples/feedsync.toml on the synthetic catalog; no provenance traced; feeds not rendered.",
            "",
            "| stage | us/product |",
            "|---|---:|",
            *[f"| {k} | {v:.2f} |" for k, v in us.items()],
            f"| **all merchandising stages** | **{total / done * 1e6:.2f}** |",
            "",
            f"For scale: reading, normalising and applying stock files took {read_norm / done * 1e6:.1f} us/product "
            f"in the same run; peak RSS {rss:.0f} MiB.",
            "",
        ]
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
        print("appended to benchmarks/RESULTS.md")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
