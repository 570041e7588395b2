"""Build feeds from a large Shopify-layout product export and record wall time and peak RSS.

    python benchmarks/bench_shopify.py --rows 1000000 [--record]

Writes a synthetic export in Shopify's product CSV layout (the header of
tests/data/platforms/shopify_products.csv; 4 variants per product, the first row of each
handle carrying the product fields, HTML bodies, compare-at prices) under benchmarks/data/,
then runs `feedsync build` on it in a fresh process (run_benchmark.measure) and reports its
wall time, peak RSS and CPU time (user + sys: the 2 cores are shared with other jobs, so wall
time alone says little).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run_benchmark import measure  # noqa: E402

HEADER = HERE.parent / "tests" / "data" / "platforms" / "shopify_products.csv"
CONFIG = """[catalog]
path = "products_export.csv"
format = "shopify"
store_url = "https://shop.example.com"

[defaults]
currency = "USD"

[channels.google]
formats = ["xml", "tsv"]
[channels.meta]
formats = ["csv"]
[channels.amazon]
seller_id = "A2NWEXAMPLE01"
"""


def write_export(rows: int, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "products_export.csv"
    if path.exists():
        return folder / "feedsync.toml"
    columns = pd.read_csv(HEADER, nrows=0).columns
    i = np.arange(rows)
    product = (i // 4).astype(str)
    first = i % 4 == 0
    sku = np.char.add("SKU-", i.astype(str))
    def col(values) -> pa.Array:
        return pa.array(values, pa.string())
    blank = pa.array(np.full(rows, ""), pa.string())
    data = {c: blank for c in columns}
    data.update({
        "Handle": col(np.char.add("product-", product)),
        "Title": col(np.where(first, np.char.add("Trail Jacket ", product), "")),
        "Body (HTML)": col(np.where(first, np.char.add(
            "<p>Light &amp; packable shell for wet days.</p><ul><li>Taped seams</li><li>Hood</li></ul> #",
            product), "")),
        "Vendor": col(np.where(first, "Northwind", "")),
        "Type": col(np.where(first, "Jackets", "")),
        "Option1 Name": col(np.where(first, "Size", "")),
        "Option1 Value": col(np.array(["S", "M", "L", "XL"])[i % 4]),
        "Variant SKU": col(sku),
        "Variant Grams": col(np.full(rows, "450")),
        "Variant Inventory Tracker": col(np.full(rows, "shopify")),
        "Variant Inventory Qty": col((i % 9).astype(str)),
        "Variant Price": col(np.full(rows, "89.00")),
        "Variant Compare At Price": col(np.where(i % 5 == 0, "119.00", "")),
        "Image Src": col(np.char.add(np.char.add("https://cdn.example.com/", sku), ".jpg")),
        "Image Position": col(((i % 4) + 1).astype(str)),
        "Status": col(np.where(first, "active", "")),
    })
    pacsv.write_csv(pa.table(data), path)
    (folder / "feedsync.toml").write_text(CONFIG)
    return folder / "feedsync.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--note", default="", help="a paragraph recorded below the results")
    args = ap.parse_args()
    config = write_export(args.rows, HERE / "data" / f"shopify-{args.rows}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = measure(config, [])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the build process, reaped by measure
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    line = (f"| {args.rows:,} | {r['wall_s']:.1f} s | {user:.1f} s + {sys_:.1f} s | {r['peak_rss_mib']:.0f} MiB | "
            f"{', '.join(f'{k} {v:,}' for k, v in r['items'].items())} |")
    print(line)
    if args.record:
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(
                f"\n### feedsync build from a Shopify-layout export ({date.today().isoformat()})\n\n"
                f"Machine: 2 cores, Python {platform.python_version()}, pandas {version('pandas')}, "
                f"pyarrow {version('pyarrow')}. Command: `python benchmarks/bench_shopify.py --rows {args.rows}`. "
                "The export is streamed: a first pass over its Handle, SKU, option and price columns, then "
                "whole products converted a batch at a time. CPU is user + sys of the build process; "
                f"load average {os.getloadavg()[0]:.1f} at the end on the 2 shared cores.\n\n"
                "| export rows | wall time | CPU (user + sys) | peak RSS | items written |\n|---:|---:|---:|---:|---|\n"
                + line + "\n" + (f"\n{args.note}\n" if args.note else "")
            )


if __name__ == "__main__":
    main()
