"""Time the HTML catalog health report (feedsync/html_report.py) on a synthetic 100,000-product run.

    python benchmarks/bench_html_report.py [--products 100000] [--runs 3] [--feeds out/] [--record]

Builds a synthetic report dict (the shape of report.json) for --products products on four
channels in two scenarios: "typical" (about what benchmarks/generate_catalog.py's catalog
gives: ~1 % bad GTINs, ~3 % ended sales, a few other problems) and "heavy" (every product has
an issue on every channel, some errors, so 4 issues per product), plus 30 earlier runs for the
trend chart and fill-rate profiles of synthetic feed frames. It then times, in this process:

- render_html: the first call (includes compiling the templates) and the fastest warm call;
- the page size (target: under 5 MB) and the whole render (target: under 5 s);
- profile_frames on the synthetic per-channel frames (fill rates, availability, prices);
- with --feeds OUT: profile_feeds + write_html of a real build's output folder
  (e.g. `feedsync build` of `generate_catalog.py --products 100000`).

Exits 1 when a target is missed. `--record` appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from feedsync.html_report import load_report, profile_feeds, profile_frames, render_html, write_html  # noqa: E402
from feedsync.validation.codes import CODES  # noqa: E402

CHANNELS = ["google", "google_local", "meta", "amazon"]
TARGET_S = 5.0
TARGET_BYTES = 5_000_000


def synthetic_report(n: int, scenario: str, seed: int = 7) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    skus = [f"SKU-{i:07d}" for i in range(n)]
    issues: list[dict[str, Any]] = []

    def add(code: str, rows: np.ndarray, channels: list[str], field: str, value: str, message: str) -> None:
        severity = CODES[code].severity
        for ch in channels:
            issues.extend(
                {
                    "code": code,
                    "severity": severity,
                    "channel": ch,
                    "row": int(r) + 1,
                    "sku": skus[r],
                    "field": field,
                    "value": value,
                    "message": f"{field} {message} ({ch})",
                }
                for r in rows
            )

    def pick(share: float) -> np.ndarray:
        return np.sort(rng.choice(n, size=int(n * share), replace=False))

    if scenario == "typical":
        add("invalid-gtin", pick(0.01), CHANNELS, "gtin", "4006381333932", "has a wrong check digit (expected 1)")
        add("sale-ended", pick(0.03), CHANNELS, "sale_price_end", "2026-01-31", "ended; the sale price is not sent")
        add("missing-identifier", pick(0.02), ["google"], "gtin", "", "is empty and there is no mpn")
        add("too-long", pick(0.002), ["google", "meta"], "title", "x" * 200, "is 212 characters; at most 150")
        add("missing-required", pick(0.003), ["google", "meta"], "image_link", "", "is missing")
        add("duplicate-id", pick(0.001), [""], "id", "SKU-DUP", "appears on an earlier row")
    else:  # heavy: every product has one issue per channel, a tenth of them errors
        codes = ["sale-ended", "missing-identifier", "invalid-gtin", "too-long", "missing-required", "invalid-url"]
        which = rng.integers(0, len(codes), size=n)
        for k, code in enumerate(codes):
            add(code, np.flatnonzero(which == k), CHANNELS, "field", "<value & more>", "has a problem")

    errors_by_channel = {
        ch: {i["row"] for i in issues if i["channel"] in (ch, "") and i["severity"] == "error"} for ch in CHANNELS
    }
    excluded = [
        {"channel": ch, "sku": skus[r - 1], "row": r, "codes": "invalid-gtin"}
        for ch in CHANNELS
        for r in sorted(errors_by_channel[ch])
    ]
    codes = sorted({i["code"] for i in issues})
    channels = {}
    for ch in CHANNELS:
        mine = [i for i in issues if i["channel"] in (ch, "")]
        counts: dict[str, int] = {}
        for i in mine:
            counts[i["code"]] = counts.get(i["code"], 0) + 1
        channels[ch] = {
            "channel": ch,
            "formats": ["tsv"],
            "products_in": n,
            "excluded": len(errors_by_channel[ch]),
            "items": n - len(errors_by_channel[ch]) if ch != "google_local" else 3 * n,
            "errors": sum(i["severity"] == "error" for i in mine),
            "warnings": sum(i["severity"] == "warning" for i in mine),
            "top_codes": [{"code": c, "count": k} for c, k in sorted(counts.items(), key=lambda kv: -kv[1])[:5]],
        }
    return {
        "generated_at": "2026-11-23T00:00:00Z",
        "catalog": {"source": "/data/catalog.csv", "format": "csv", "encoding": "utf-8", "rows": n, "parents": 0},
        "summary": {
            "errors": sum(i["severity"] == "error" for i in issues),
            "warnings": sum(i["severity"] == "warning" for i in issues),
            "excluded_products": len({e["row"] for e in excluded}),
        },
        "channels": channels,
        "codes": {c: {"severity": CODES[c].severity, "title": CODES[c].title, "fix": CODES[c].fix} for c in codes},
        "issues": issues,
        "excluded": excluded,
    }


def history(report: dict[str, Any], runs: int) -> list[dict[str, Any]]:
    out = []
    for k in range(runs):
        day = pd.Timestamp("2026-11-23") - pd.Timedelta(days=runs - k)
        factor = 1 + 0.3 * np.sin(k / 3)
        out.append(
            {
                "generated_at": day.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "summary": {key: int(v * factor) for key, v in report["summary"].items()},
                "channels": report["channels"],
            }
        )
    return out


def synthetic_frames(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def sometimes(values: np.ndarray, share: float) -> pd.Series:
        return pd.Series(np.where(rng.random(n) < share, values, ""), dtype="str")

    ids = np.char.add("SKU-", np.arange(n).astype(str))
    prices = np.char.add(np.round(rng.lognormal(3.5, 0.8, n), 2).astype(str), " USD")
    availability = rng.choice(["in_stock", "out_of_stock", "preorder", "backorder"], size=n, p=[0.9, 0.08, 0.01, 0.01])
    frame = pd.DataFrame(
        {
            "id": pd.Series(ids, dtype="str"),
            "price": pd.Series(prices, dtype="str"),
            "availability": pd.Series(availability, dtype="str"),
        }
    )
    for k in range(22):
        frame[f"attribute_{k:02d}"] = sometimes(ids, 1 - k / 25)
    return {
        "google": frame,
        "meta": frame.copy(),
        "amazon": frame.rename(columns={"price": "purchasable_offer", "availability": "fulfillment_availability"}),
    }


def timed(fn, *args, **kwargs) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="warm renders to time (the fastest is kept)")
    ap.add_argument("--history", type=int, default=30, help="earlier runs given for the trend chart")
    ap.add_argument(
        "--feeds", type=Path, help="a build's output folder (report.json, manifest.json, feeds) to time too"
    )
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    ap.add_argument("--note", default="", help="a line recorded with the results")
    args = ap.parse_args()
    n = args.products

    t_frames, frames = timed(synthetic_frames, n)
    t_profile, profiles = timed(profile_frames, frames)
    print(
        f"profile_frames, 3 channels x {n:,} rows x {frames['google'].shape[1]} columns: {t_profile:.2f} s", flush=True
    )

    rows = []
    failed = False
    for scenario in ("typical", "heavy"):
        report = synthetic_report(n, scenario)
        past = history(report, args.history)
        cold, html = timed(render_html, report, previous=past[-1], history=past, profiles=profiles)
        warm = min(
            timed(render_html, report, previous=past[-1], history=past, profiles=profiles)[0] for _ in range(args.runs)
        )
        size = len(html.encode("utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            t_write, _ = timed(
                write_html, Path(tmp) / "report.html", report, previous=past[-1], history=past, profiles=profiles
            )
        ok = max(cold, t_write) < TARGET_S and size < TARGET_BYTES
        failed |= not ok
        rows.append((scenario, len(report["issues"]), len(report["excluded"]), cold, warm, t_write, size, ok))
        print(
            f"{scenario:8} {len(report['issues']):>8,} issues  first render {cold:5.2f} s  warm {warm:5.2f} s  "
            f"write_html {t_write:5.2f} s  {size / 1e6:5.2f} MB  {'ok' if ok else 'MISSED TARGET'}",
            flush=True,
        )

    feeds_line = ""
    if args.feeds:
        report = load_report(args.feeds / "report.json")
        t_prof, prof = timed(profile_feeds, args.feeds)
        with tempfile.TemporaryDirectory() as tmp:
            t_all, page = timed(write_html, Path(tmp) / "report.html", report, out_dir=args.feeds)
            size = page.stat().st_size
        sampled = ", ".join(f"{c} {p.profiled:,}/{p.items:,}" for c, p in prof.items())
        feeds_line = (
            f"Real build (--feeds, {len(report['issues']):,} issues): profile_feeds {t_prof:.2f} s "
            f"(items profiled: {sampled}); write_html with profiling {t_all:.2f} s, {size / 1e6:.2f} MB."
        )
        print(feeds_line, flush=True)

    if args.record:
        lines = [
            f"\n### HTML catalog health report, {n:,} products ({date.today().isoformat()})\n",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, jinja2 {version('jinja2')}, "
            f"pandas {version('pandas')}, pyarrow {version('pyarrow')}. Command: `python benchmarks/bench_html_report.py "
            f"--products {n}{' --feeds OUT' if args.feeds else ''}`. Targets: under {TARGET_S:.0f} s "
            f"and under {TARGET_BYTES / 1e6:.0f} MB. {args.note}\n",
            "| scenario | issues | excluded rows | first render (compiles templates) | warm render | write_html | page size |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for scenario, issues, excluded, cold, warm, t_write, size, _ in rows:
            lines.append(
                f"| {scenario} | {issues:,} | {excluded:,} | {cold:.2f} s | {warm:.2f} s | {t_write:.2f} s | {size / 1e6:.2f} MB |"
            )
        lines.append(
            f"\nFill-rate profiling of synthetic frames (profile_frames, 3 channels x {n:,} rows x "
            f"{frames['google'].shape[1]} columns): {t_profile:.2f} s."
        )
        if feeds_line:
            lines.append(feeds_line)
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
