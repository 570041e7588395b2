"""Shared fixtures for the core test suite.

The fixed clock, the core test project (tests/data/core/), the independent conformance
checker from ../shared/conformance/ and the `--update-golden` switch live here.
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "tests" / "data" / "core"
GOLDEN = ROOT / "tests" / "golden"
SHARED = ROOT.parent / "shared"
CHECKER = SHARED / "conformance" / "check.py"
AMAZON_SCHEMA = SHARED / "oracles" / "amazon" / "listings-feed-schema-v2.json"

NOW = datetime(2026, 11, 23, tzinfo=UTC)

# (channel, format) -> the file a build writes, relative to the output folder, and the
# conformance checker's name for that kind of feed.
FEEDS = {
    ("google", "xml"): ("google/products.xml", "google-xml"),
    ("google", "tsv"): ("google/products.tsv", "google-tsv"),
    ("google_local", "tsv"): ("google_local/inventory.tsv", "google-local"),
    ("meta", "csv"): ("meta/products.csv", "meta-csv"),
    ("meta", "xml"): ("meta/products.xml", "meta-xml"),
    ("amazon", "json"): ("amazon/listings-0001.json", "amazon-json"),
}

# Columns every small hand-written catalog in the tests starts from.
HEADER = "id,title,description,link,image_link,brand,gtin,price,quantity"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current build instead of comparing against it (review the diff!)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a minute; deselect with -m 'not slow'")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def checker() -> ModuleType:
    """../shared/conformance/check.py, imported by path (it is not a package)."""
    if not CHECKER.exists():
        pytest.skip(f"conformance checker not found at {CHECKER}")
    spec = importlib.util.spec_from_file_location("feedsync_conformance_check", CHECKER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def conformance_errors(checker: ModuleType, manifest: Path) -> list[str]:
    """Every error the independent checker finds in the feeds a manifest lists."""
    return [f"{r.label}: {e}" for r in checker.from_manifest(manifest) for e in r.errors]


def check_feed(checker: ModuleType, kind: str, path: Path):
    """Run one of the checker's feed checks; returns its Findings (errors, warnings, items)."""
    return checker.CHECKS[kind](path)


@pytest.fixture
def core_project(tmp_path: Path) -> Path:
    """A private copy of tests/data/core/ (so a test may edit it); returns its feedsync.toml."""
    target = tmp_path / "core"
    shutil.copytree(CORE, target, ignore=shutil.ignore_patterns(".feedsync"))  # not the run history
    return target / "feedsync.toml"


@pytest.fixture(scope="session")
def core_build(tmp_path_factory: pytest.TempPathFactory):
    """The core project built once, every channel and format, with the fixed clock."""
    import feedsync

    out = tmp_path_factory.mktemp("core-build") / "out"
    return feedsync.build(CORE / "feedsync.toml", out, now=NOW)


def write_project(
    folder: Path,
    catalog: str | bytes,
    toml: str = '[catalog]\npath = "catalog.csv"\n\n[channels.google]\n',
    *,
    catalog_name: str = "catalog.csv",
    **files: str,
) -> Path:
    """A throwaway project: feedsync.toml, the catalog (text is written as UTF-8) and extra files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "feedsync.toml").write_text(toml, encoding="utf-8")
    data = catalog.encode("utf-8") if isinstance(catalog, str) else catalog
    (folder / catalog_name).write_bytes(data)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return folder / "feedsync.toml"


def product(
    sku: str,
    title: str = "Plain Tee",
    *,
    description: str = "A plain tee.",
    brand: str = "Acme",
    gtin: str = "4006381333931",
    price: str = "10.00",
    quantity: str = "5",
) -> str:
    """One CSV line under HEADER with valid defaults (cells here must not need quoting)."""
    link = f"https://shop.example.com/p/{sku.lower()}"
    image = f"https://cdn.example.com/{sku.lower()}.jpg"
    return ",".join([sku, title, description, link, image, brand, gtin, price, quantity])


def catalog(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"
