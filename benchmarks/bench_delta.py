"""Time `feedsync build --delta` against a full build when 1 % of a large catalog changed.

    python benchmarks/bench_delta.py --products 1000000 [--changed 0.01] [--record]

1. Generates (or reuses) the seeded catalog (benchmarks/generate_catalog.py) under
   benchmarks/data/, and writes a mutated copy: of the changed products, 40 % get a new
   price, 30 % new stock (stock.csv), 20 % a new title, 5 % are removed and 5 % added.
2. In fresh processes, with one run history ([state] path in a temporary folder):
   a. full build of the original catalog (the first run, nothing to compare with);
   b. full build of the mutated catalog (the nightly full build: compares, gates, records);
   c. the history is put back as it was after (a), then `build --delta` of the mutated catalog;
   d. `build --delta` again with nothing changed (the fixed cost of a delta run).
   Builds run with `--format json --log-format json` (the text report's grouped issue list is
   presentation, not build, and costs more than the build itself at this size).
3. Reports wall time, user + sys CPU time and peak RSS of each process, the per-stage CPU time
   from `--log-format json`, the size of the full and delta files, the run history and the
   item snapshots. `--record` appends a section to benchmarks/RESULTS.md.

The machine has 2 cores shared with other jobs: wall times depend on the load, so CPU time
(user + sys) is reported too and the target (delta at most 1.5x a full build) is checked on it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
BEFORE, AFTER, QUIET = "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"


def ensure_catalog(n: int, seed: int, data: Path) -> Path:
    folder = data / f"{n}-{seed}-csv"
    if not (folder / "feedsync.toml").exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_catalog.py"), "--products", str(n), "--seed", str(seed),
             "--out", str(folder), "--format", "csv"],
            check=True,
        )  # fmt: skip
    return folder


def _read_all_text(path: Path) -> pa.Table:
    with open(path, encoding="utf-8") as fh:
        header = next(iter(fh)).strip()
    names = [c.strip('"') for c in header.split(",")]
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in names}, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )


def mutate(source: Path, target: Path, share: float, seed: int) -> dict[str, int]:
    """The catalog and stock of `source` with `share` of the products changed, into `target`."""
    rng = np.random.default_rng(seed)
    cat = _read_all_text(source / "catalog.csv")
    n = cat.num_rows
    changed = rng.choice(n, size=int(n * share), replace=False)
    cut = np.cumsum([0.40, 0.30, 0.20, 0.05]) * len(changed)
    price_rows, stock_rows, title_rows, removed_rows, added_from = np.split(changed, cut.astype(int))

    def set_rows(table: pa.Table, column: str, rows: np.ndarray, values: list) -> pa.Table:
        col = table[column].to_numpy(zero_copy_only=False).astype(object)
        col[rows] = values
        return table.set_column(table.column_names.index(column), column, pa.array(col, pa.string()))

    prices = np.array(pc.take(cat["price"], pa.array(price_rows)).to_pylist(), dtype=float)
    cat = set_rows(cat, "price", price_rows, [f"{p * 0.9:.2f}" for p in prices])
    titles = pc.take(cat["title"], pa.array(title_rows)).to_pylist()
    cat = set_rows(cat, "title", title_rows, [f"{t} (new)" for t in titles])
    added = pc.take(cat, pa.array(added_from))
    new_ids = pa.array([f"NEW-{i:07d}" for i in range(len(added_from))], pa.string())
    added = added.set_column(added.column_names.index("id"), "id", new_ids)
    added = added.set_column(
        added.column_names.index("item_group_id"), "item_group_id", pa.nulls(len(added_from), pa.string())
    )
    keep = np.ones(n, dtype=bool)
    keep[removed_rows] = False
    out = pa.concat_tables([cat.filter(pa.array(keep)), added])
    target.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(out, target / "catalog.csv")

    stock = _read_all_text(source / "stock.csv")
    skus = pc.take(cat["id"], pa.array(stock_rows))
    hit = pc.and_(pc.is_in(stock["sku"], value_set=skus), pc.equal(stock["location"], "wh-main"))
    qty = pc.cast(pc.add(pc.cast(stock["quantity"], pa.int64()), 1), pa.string())
    stock = stock.set_column(2, "quantity", pc.if_else(hit, qty, stock["quantity"]))
    pacsv.write_csv(stock, target / "stock.csv")
    return {
        "price": len(price_rows),
        "stock": int(pc.sum(hit).as_py()),
        "title": len(title_rows),
        "removed": len(removed_rows),
        "added": len(added_from),
    }


def config(template: Path, folder: Path, catalog: Path, stock: Path, prices: Path, state: Path) -> Path:
    text = template.read_text(encoding="utf-8")
    text = text.replace('path = "catalog.csv"', f'path = "{catalog}"')
    text = text.replace('files = ["stock.csv"]', f'files = ["{stock}"]')
    text = text.replace('files = ["prices.csv"]', f'files = ["{prices}"]')
    text += f'\n[state]\npath = "{state}"\n'
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "feedsync.toml").write_text(text, encoding="utf-8")
    return folder / "feedsync.toml"


def measure_diff(cfg: Path, out: Path, now: str) -> dict:
    """`feedsync diff` of the mutated catalog against the last published run."""
    cmd = [sys.executable, "-m", "feedsync", "diff", "--config", str(cfg), "--out", str(out), "--now", now,
           "--format", "json"]  # fmt: skip
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"diff failed: {stderr.read().decode()[-3000:]}")
        doc = json.loads(stdout.read())
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "counts": {name: ch["counts"] for name, ch in doc["channels"].items()},
    }


def measure(cfg: Path, out: Path, now: str, *extra: str) -> dict:
    # --format json: the text report's grouped issue list costs more than the build at this size
    cmd = [sys.executable, "-m", "feedsync", "build", "--config", str(cfg), "--out", str(out), "--now", now,
           "--format", "json", "--log-format", "json", *extra]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr_chunks = []
    for line in proc.stderr:  # drain while it runs
        stderr_chunks.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    events = [json.loads(line) for line in stderr_chunks if line.startswith("{")]
    # exit 1 is data errors, but also an uncaught exception: only a run that printed its summary counts
    if code not in (0, 1) or not any(e.get("stage") == "summary" for e in events):
        raise SystemExit(f"build failed with exit {code}: {''.join(stderr_chunks)[-3000:]}")
    stages: dict[str, float] = defaultdict(float)
    for e in events:
        if "cpu_seconds" in e:
            stages[e["stage"]] += e["cpu_seconds"]
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "stages": dict(stages),
        "manifest": manifest,
        "summary": next((e["line"] for e in events if e["stage"] == "summary"), ""),
        "changes": next((e for e in events if e["stage"] == "gate"), {}),
    }


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--products", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--changed", type=float, default=0.01, help="share of products changed")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    ap.add_argument("--note", default="", help="a line recorded with the results")
    ap.add_argument("--json", type=Path, default=None, help="also write the measurements to this JSON file")
    args = ap.parse_args()

    source = ensure_catalog(args.products, args.seed, args.data)
    work = args.work or Path(tempfile.mkdtemp(prefix="feedsync-delta-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    # In a child process: a child's peak RSS (ru_maxrss) starts from its parent's peak, because
    # the kernel carries the forked memory's high-water mark over exec, so a parent that once held
    # the whole catalog would inflate every build measured after it.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as ex:
        mutation = ex.submit(mutate, source, work / "v2", args.changed, args.seed).result()
    print(f"mutated {sum(v for k, v in mutation.items())} products in {time.perf_counter() - t0:.1f} s: {mutation}")
    state = work / "state" / "state.db"
    v1 = config(source / "feedsync.toml", work / "c1", source / "catalog.csv", source / "stock.csv",
                source / "prices.csv", state)  # fmt: skip
    v2 = config(source / "feedsync.toml", work / "c2", work / "v2" / "catalog.csv", work / "v2" / "stock.csv",
                source / "prices.csv", state)  # fmt: skip
    out = work / "out"
    runs = {}
    runs["first full build (no history)"] = first = measure(v1, out, BEFORE)
    print("first full", f"{first['wall_s']:.1f} s wall, {first['cpu_s']:.1f} s cpu, {first['peak_rss_mib']:.0f} MiB", flush=True)
    full_files = _size(out) - _size(out / "report.json")
    shutil.copytree(state.parent, work / "state-after-first")
    diffed = measure_diff(v2, out, AFTER)
    print("diff", f"{diffed['wall_s']:.1f} s wall, {diffed['cpu_s']:.1f} s cpu, {diffed['peak_rss_mib']:.0f} MiB",
          flush=True)  # fmt: skip
    runs["nightly full build (1% changed)"] = full = measure(v2, out, AFTER)
    print("nightly full", f"{full['wall_s']:.1f} s wall, {full['cpu_s']:.1f} s cpu, {full['peak_rss_mib']:.0f} MiB", flush=True)
    shutil.rmtree(state.parent)
    shutil.copytree(work / "state-after-first", state.parent)
    runs["delta build (1% changed)"] = delta = measure(v2, out, AFTER, "--delta")
    print("delta", f"{delta['wall_s']:.1f} s wall, {delta['cpu_s']:.1f} s cpu, {delta['peak_rss_mib']:.0f} MiB", flush=True)
    delta_files = {f["path"]: (f["items"], f["bytes"]) for f in delta["manifest"]["feeds"]}
    runs["delta build (nothing changed)"] = quiet = measure(v2, out, QUIET, "--delta")
    print("delta, no change", f"{quiet['wall_s']:.1f} s wall, {quiet['cpu_s']:.1f} s cpu, {quiet['peak_rss_mib']:.0f} MiB", flush=True)
    db_size = state.stat().st_size + sum(p.stat().st_size for p in state.parent.glob("state.db-*"))
    snap_runs = [p for p in (state.parent / "snapshots").glob("*/*") if p.is_dir()]
    snap_size = max((_size(p) for p in snap_runs), default=0)

    ratio_cpu = delta["cpu_s"] / full["cpu_s"]
    ratio_wall = delta["wall_s"] / full["wall_s"]
    delta_bytes = sum(b for _, b in delta_files.values())
    print(f"delta / nightly full: {ratio_cpu:.2f}x cpu, {ratio_wall:.2f}x wall; "
          f"delta files {delta_bytes / 1e6:.1f} MB vs full files {full_files / 1e6:.1f} MB")  # fmt: skip
    for path, (items, size) in delta_files.items():
        print(f"  {path}: {items} items, {size / 1e6:.2f} MB")
    if args.json:
        keep = ("wall_s", "cpu_s", "user_s", "sys_s", "peak_rss_mib", "stages", "summary")
        doc = {
            "products": args.products,
            "mutation": mutation,
            "runs": {name: {k: r[k] for k in keep} for name, r in runs.items()},
            "delta_files": delta_files,
            "full_files_bytes": full_files,
            "state_db_bytes": db_size,
            "snapshot_bytes_per_run": snap_size,
            "diff": diffed,
        }
        args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    stage_names = sorted({s for r in runs.values() for s in r["stages"]}, key=lambda s: -full["stages"].get(s, 0))
    if args.record:
        lines = [
            f"\n### Delta feeds: {args.products:,} products, {args.changed:.0%} changed ({date.today().isoformat()})\n",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"pandas {version('pandas')}, pyarrow {version('pyarrow')}. Command: `python benchmarks/bench_delta.py "
            f"--products {args.products} --changed {args.changed}`. Mutation: {mutation}. {args.note}\n",
            "| run | wall | user + sys CPU | peak RSS |",
            "|---|---:|---:|---:|",
        ]
        for name, r in runs.items():
            lines.append(
                f"| {name} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s ({r['user_s']:.1f} + {r['sys_s']:.1f}) | "
                f"{r['peak_rss_mib']:.0f} MiB |"
            )
        lines.append(
            f"| `feedsync diff` (last published run against the changed catalog) | {diffed['wall_s']:.1f} s | "
            f"{diffed['cpu_s']:.1f} s | {diffed['peak_rss_mib']:.0f} MiB |"
        )
        lines += [
            "",
            f"Delta / nightly full build: **{ratio_cpu:.2f}x CPU time**, {ratio_wall:.2f}x wall time "
            "(target: at most 1.5x).",
            "",
            "CPU seconds per stage (from `--log-format json`):",
            "",
            "| stage | " + " | ".join(runs) + " |",
            "|---|" + "---:|" * len(runs),
        ]
        for s in stage_names:
            lines.append(f"| {s} | " + " | ".join(f"{r['stages'].get(s, 0):.1f}" for r in runs.values()) + " |")
        lines += [
            "",
            f"Files: full feeds {full_files / 1e6:.0f} MB; delta files {delta_bytes / 1e6:.2f} MB:",
            "",
            "| delta file | items | size |",
            "|---|---:|---:|",
        ]
        for path, (items, size) in delta_files.items():
            lines.append(f"| {path} | {items:,} | {size / 1e6:.2f} MB |")
        lines += [
            "",
            f"Run history after four runs: state.db {db_size / 1e6:.0f} MB (item sets of the kept runs); "
            f"item snapshots {snap_size / 1e6:.0f} MB per run (Parquet, zstd; `keep_snapshots` runs kept).",
        ]
        with open(HERE / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
