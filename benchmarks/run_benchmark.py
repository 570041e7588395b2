"""Time `feedsync build` (all four channels, every format) on synthetic catalogs.

    python benchmarks/run_benchmark.py --products 100000 1000000 [--example-rules] [--record]

Generates each catalog once (benchmarks/generate_catalog.py, seeded) under benchmarks/data/,
runs the build in a fresh process and measures wall time, CPU time and peak RSS of that
process. `--example-rules` builds with examples/feedsync.toml's merchandising (rules, templates,
category mapping, stock and price policies, two Google markets) on the synthetic files.
`--record` appends a table to benchmarks/RESULTS.md. Targets (2 cores): 1,000,000 products in
at most 60 s and 2 GiB peak RSS; 100,000 in at most 8 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = "2026-11-23T00:00:00Z"


def ensure_catalog(n: int, seed: int, data: Path, fmt: str) -> Path:
    folder = data / f"{n}-{seed}-{fmt}"
    if not (folder / "feedsync.toml").exists():
        subprocess.run([sys.executable, str(HERE / "generate_catalog.py"), "--products", str(n), "--seed", str(seed),
                        "--out", str(folder), "--format", fmt], check=True)
    return folder / "feedsync.toml"


EXAMPLE = HERE.parent / "examples" / "feedsync.toml"


def with_example_rules(config: Path) -> Path:
    """examples/feedsync.toml with its file paths pointed at the synthetic catalog's files."""
    data, ex = config.parent, EXAMPLE.parent
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (
        ('path = "catalog.csv"', f'path = "{data / "catalog.csv"}"'),
        ('files = ["stock.csv"]', f'files = ["{data / "stock.csv"}"]'),
        ('files = ["prices.csv"]', f'files = ["{data / "prices.csv"}"]'),
        ('fx = "fx.csv"', f'fx = "{ex / "fx.csv"}"'),
        ('table = "categories.csv"', f'table = "{ex / "categories.csv"}"'),
        ('taxonomy = "../', f'taxonomy = "{ex}/../'),
    ):
        if old not in text:
            raise SystemExit(f"examples/feedsync.toml has no line {old!r}; update with_example_rules()")
        text = text.replace(old, new, 1)
    merch = data / "feedsync-example-rules.toml"
    merch.write_text(text, encoding="utf-8")
    return merch


def measure(config: Path, extra: list[str]) -> dict:
    """One build in a fresh process: a first run (new output folder, empty run history), so
    repeated runs measure the same work (bench_delta.py measures builds with a history)."""
    shutil.rmtree(config.parent / ".feedsync", ignore_errors=True)
    out = Path(tempfile.mkdtemp(prefix="feedsync-bench-"))
    cmd = [sys.executable, "-m", "feedsync", "build", "--config", str(config), "--out", str(out / "out"),
           "--now", NOW, "--quiet", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"build failed with exit {code}: {proc.stderr.read().decode()[-2000:]}")
    manifest = json.loads((out / "out" / "manifest.json").read_text())
    shutil.rmtree(out)
    items: dict[str, int] = {}
    for f in manifest["feeds"]:
        key = f"{f.get('feed', f['channel'])}/{f['format']}"
        items[key] = items.get(key, 0) + f["items"]
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": usage.ru_maxrss / 1024, "items": items}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--runs", type=int, default=1, help="repeat and keep the fastest")
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    ap.add_argument("--note", default="", help="a line recorded with the results")
    ap.add_argument("--example-rules", action="store_true", help="with examples/feedsync.toml's merchandising")
    args = ap.parse_args()
    rows = []
    for n in args.products:
        config = ensure_catalog(n, args.seed, args.data, args.format)
        if args.example_rules:
            config = with_example_rules(config)
        best = min((measure(config, []) for _ in range(args.runs)), key=lambda r: r["wall_s"])
        rows.append((n, best))
        print(f"{n:>9,} products  {best['wall_s']:6.1f} s  CPU {best['cpu_s']:6.1f} s  {best['peak_rss_mib']:7.0f} MiB  "
              f"{best['wall_s'] / n * 1e6:5.1f} us/product  {best['items']}", flush=True)
    if args.record:
        lines = [
            f"\n### feedsync build, {args.format} catalog{' with the example rules' if args.example_rules else ''} "
            f"({date.today().isoformat()})\n",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, pandas {version('pandas')}, "
            f"pyarrow {version('pyarrow')}. Command: `python benchmarks/run_benchmark.py --products "
            f"{' '.join(map(str, args.products))} --format {args.format}"
            f"{' --example-rules' if args.example_rules else ''}`. {args.note}\n",
            "| products | wall time | CPU (user + sys) | peak RSS | per product | items written |",
            "|---:|---:|---:|---:|---:|---|",
        ]
        for n, r in rows:
            items = ", ".join(f"{k} {v:,}" for k, v in r["items"].items())
            lines.append(f"| {n:,} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {r['peak_rss_mib']:.0f} MiB | "
                         f"{r['wall_s'] / n * 1e6:.1f} µs | {items} |")
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
