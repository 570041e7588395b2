"""Time field templates (vectorised fast path vs the jinja2 sandbox) and rule conditions on a
synthetic catalog.

    python benchmarks/bench_templates.py [--products 100000] [--runs 3] [--record]

Generates --products rows with generate_catalog.py (seed 7), normalises them as one batch, then
times, in this process, the best of --runs:

- each template in TEMPLATES on the fast path (pyarrow) and in the sandbox (one render per row),
  checking both give identical text;
- a rule condition (`Evaluator`) and a whole RuleSet.apply (condition + set + append + exclude).

`--record` appends a section to benchmarks/RESULTS.md (never rewrites other sections).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_catalog import generate  # noqa: E402

from feedsync.catalog import normalise  # noqa: E402
from feedsync.config import CatalogConfig, Defaults  # noqa: E402
from feedsync.field_templates import compile_template  # noqa: E402
from feedsync.rules import Evaluator, load_rules, parse_condition  # noqa: E402
from feedsync.sources import read_catalog  # noqa: E402

NOW = datetime(2026, 11, 23, tzinfo=UTC)
TEMPLATES = {
    "concat": "{{ brand }} {{ title }} - {{ color }}",
    "filters": "{{ brand|upper }} {{ title|lower|trim }} ({{ size }})",
    "utm link": "{{ link|add_query('utm_source=google&utm_medium=cpc&utm_campaign=feed') }}",
    "price text": "{{ title }} from {{ price }} {{ currency }}",
}
CONDITION = 'price < 50 and brand in ["Northwind", "Cascadia Peak"] or title contains "tent" and quantity is not empty'
RULES = """
[[rules]]
name = "label cheap"
when = "price < 50"
set = { custom_label_0 = "under-50" }
else = { set = { custom_label_0 = "50-plus" } }

[[rules]]
name = "sale suffix"
when = "sale_price is not empty and sale_price < price"
append = { title = " - Sale" }

[[rules]]
name = "no clearance"
when = 'product_type contains "clearance" or quantity = 0'
exclude = true
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a | inside a Markdown table cell ends the cell


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    n = args.products

    with tempfile.TemporaryDirectory() as tmp:
        generate(n, 7, Path(tmp))
        raw = read_catalog(CatalogConfig(path=Path(tmp) / "catalog.csv"))
        frame = raw.frame
    frame.index = pd.RangeIndex(len(frame))
    frame = normalise(frame, Defaults()).frame
    rows = len(frame)

    lines = []
    print(f"{rows:,} products (normalised, one batch)")
    for name, source in TEMPLATES.items():
        t = compile_template(source, frame.columns, field="title", where=name)
        assert t.fast is not None, name
        fast = best(lambda t=t: t.render_raw(frame, fast=True), args.runs)
        slow = best(lambda t=t: t.render_raw(frame, fast=False), 1)
        same = t.render_raw(frame, fast=True)[0].equals(t.render_raw(frame, fast=False)[0])
        assert same, f"{name}: fast path and sandbox differ"
        row = (name, source, fast / rows * 1e6, slow / rows * 1e6, slow / fast)
        lines.append(row)
        print(f"{name:11} fast {row[2]:6.2f} µs/product  sandbox {row[3]:7.2f} µs/product  ({row[4]:.0f}x)")

    cond = parse_condition(CONDITION)
    t_cond = best(lambda: Evaluator(frame, NOW).condition(cond), args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feedsync.toml"
        path.write_text(RULES, encoding="utf-8")
        ruleset = load_rules(tomllib.loads(RULES)["rules"], path, list(frame.columns))
    t_rules = best(lambda: ruleset.apply(frame, "google", NOW, trace=set()), args.runs)
    print(f"condition   {t_cond / rows * 1e6:6.2f} µs/product   ({CONDITION})")
    print(f"3 rules     {t_rules / rows * 1e6:6.2f} µs/product   (condition + set/else, append, exclude)")

    if args.record:
        versions = ", ".join(f"{p} {version(p)}" for p in ("jinja2", "pandas", "pyarrow"))
        out = [
            "",
            f"### Field templates and rules, {rows:,} products ({datetime.now().date()})",
            "",
            f"Machine: {platform.machine()}, Python {platform.python_version()}, {versions}. Command: "
            f"`python benchmarks/bench_templates.py --products {n} --runs {args.runs} --record`. Catalog: "
            f"`generate_catalog.py` seed 7, normalised as one batch; fast path best of {args.runs}, sandbox one "
            "run; both outputs checked identical.",
            "",
            "| template | fast path µs/product | sandbox µs/product | speed-up |",
            "|---|---:|---:|---:|",
            *[f"| `{_cell(src)}` | {f:.2f} | {s:.1f} | {x:.0f}x |" for _, src, f, s, x in lines],
            "",
            f"Rule condition `{CONDITION}`: {t_cond / rows * 1e6:.2f} µs/product. Three rules (condition with "
            f"set/else, append, exclude; no provenance traced): {t_rules / rows * 1e6:.2f} µs/product.",
            "",
        ]
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(out))
        print("appended to benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
