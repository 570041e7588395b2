"""Helpers for the nightly-operation tests (run history, gate, delta, diff, lock, interrupts)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from conftest import NOW, ROOT, catalog, product, write_project

TOML = """[catalog]
path = "catalog.csv"

[stock]
files = ["stock.csv"]
stores = ["store-1"]

[channels.google]
formats = ["xml", "tsv"]

[channels.google_local]
pickup_method = "buy"
pickup_sla = "same day"

[channels.meta]

[channels.amazon]
seller_id = "A1NIGHTLY0000"
"""


def day(n: int):
    return NOW + timedelta(days=n)


def shop(
    folder: Path,
    skus: dict[str, dict] | int = 10,
    *,
    extra: str = "",
    toml: str = TOML,
    stock: dict[str, int] | None = None,
) -> Path:
    """A project of simple valid products (`skus`: a count, or SKU -> product() overrides), every
    channel enabled; online stock from the catalog, store stock for google_local from `stock`."""
    items = {f"SKU{i:03d}": {} for i in range(skus)} if isinstance(skus, int) else skus
    lines = [product(sku, **fields) for sku, fields in items.items()]
    store = stock if stock is not None else {sku: 3 for sku in list(items)[:3]}
    stock_csv = "sku,location,quantity\n" + "".join(f"{s},store-1,{q}\n" for s, q in store.items())
    return write_project(folder, catalog(*lines), toml + extra, stock__csv=stock_csv)


def set_catalog(cfg: Path, skus: dict[str, dict]) -> None:
    (cfg.parent / "catalog.csv").write_text(catalog(*(product(s, **f) for s, f in skus.items())), encoding="utf-8")


def snapshot_files(out: Path) -> dict[str, str]:
    """sha256 of every file in a build folder (the lock and temporary files left out)."""
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def manifest(out: Path, name: str = "manifest.json") -> dict:
    return json.loads((out / name).read_bytes())


def feedsync_process(*args: str | Path, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    """`python -m feedsync ARGS` in a child process (so it can be killed)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "feedsync", *map(str, args)],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )
