"""The wheel carries channel_specs/ and templates/: an installed feedsync works outside the checkout.

The wheel is installed into a fresh venv in a temporary folder. Its dependencies come from the
current venv through a .pth file (no downloads); the current venv's editable install of
feedsync is not visible there, because .pth files on a path a .pth adds are not processed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, conformance_errors


def _run(args: list[str | Path], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{proc.args}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    args: list[str | Path] = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", folder]
    if importlib.util.find_spec("hatchling") is not None:
        args.append("--no-build-isolation")  # the build backend is already here: no download
    _ok(_run(args, cwd=ROOT))
    [built] = folder.glob("feedsync-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent))
    python = venv / "bin" / "python"
    purelib = _ok(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv)).stdout
    (Path(purelib.strip()) / "_feedsync_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _ok(_run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel], cwd=venv.parent))
    return venv / "bin"


def test_wheel_contains_specs_templates_and_starter(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for channel in ("google", "google_local", "meta", "amazon"):
        assert f"feedsync/_data/channel_specs/{channel}.schema.json" in names
    assert "feedsync/_data/templates/rss.xml.j2" in names
    for starter in ("feedsync.toml", "catalog.csv", "stock.csv", "prices.csv"):
        assert f"feedsync/_data/templates/starter/{starter}" in names
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "feedsync = feedsync.cli.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_package_finds_its_data_outside_the_checkout(installed, tmp_path):
    code = (
        "import feedsync, feedsync.resources as r; "
        "print(feedsync.__file__); print(r.data_dir('channel_specs')); print(r.data_dir('templates'))"
    )
    lines = _ok(_run([installed / "python", "-c", code], cwd=tmp_path)).stdout.splitlines()
    venv = installed.parent.resolve()
    assert all(Path(line).resolve().is_relative_to(venv) for line in lines), lines
    assert lines[1].endswith(os.path.join("feedsync", "_data", "channel_specs"))


def test_installed_cli_init_and_build_from_another_folder(installed, tmp_path, checker):
    work = tmp_path / "elsewhere"
    work.mkdir()
    feedsync_bin = installed / "feedsync"
    _ok(_run([feedsync_bin, "init", "shop"], cwd=work))
    assert (work / "shop" / "feedsync.toml").exists()
    proc = _run(
        [feedsync_bin, "build", "-c", "shop/feedsync.toml", "-o", "out", "--now", "2026-11-23T00:00:00Z"], cwd=work
    )
    _ok(proc)
    manifest = json.loads((work / "out" / "manifest.json").read_bytes())
    assert sorted(f["path"] for f in manifest["feeds"]) == [
        "amazon/listings-0001.json",
        "google/products.tsv",
        "google/products.xml",
        "google_local/inventory.tsv",
        "meta/products.csv",
    ]
    assert conformance_errors(checker, work / "out" / "manifest.json") == []
    channels = _ok(_run([feedsync_bin, "channels"], cwd=work)).stdout
    assert "seller_id [required]" in channels
