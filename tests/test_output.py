"""Output: atomic publication, Amazon feed splitting, gzip, manifest."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import pytest
from conftest import AMAZON_SCHEMA, CORE, NOW, catalog, conformance_errors, product, write_project
from typer.testing import CliRunner

import feedsync
from feedsync.channels import amazon as amazon_channel
from feedsync.cli.app import app
from feedsync.output import PendingFile
from feedsync.render.amazon_json import AmazonWriter
from feedsync.render.writers import DelimitedWriter, RssWriter


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]


@pytest.fixture
def published(tmp_path) -> Path:
    """An output folder holding a complete earlier build of the core project."""
    out = tmp_path / "out"
    feedsync.build(CORE / "feedsync.toml", out, now=NOW)
    return out


LATER = NOW.replace(month=12, day=2)  # TEE-S's sale has ended: the feeds would change


@pytest.mark.parametrize(
    ("writer", "method"),
    [(RssWriter, "render"), (DelimitedWriter, "render"), (AmazonWriter, "write"), (RssWriter, "finish")],
)
def test_a_failing_writer_leaves_the_published_feeds_untouched(published, monkeypatch, writer, method):
    before = _snapshot(published)

    def boom(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, method, boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        feedsync.build(CORE / "feedsync.toml", published, now=LATER)
    assert _snapshot(published) == before
    assert _temporary_files(published) == []


def test_an_interrupted_build_cleans_up_too(published, monkeypatch):
    before = _snapshot(published)
    calls = {"n": 0}
    original = DelimitedWriter.render

    def interrupt_second_batch(self, frame):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, frame)

    monkeypatch.setattr(DelimitedWriter, "render", interrupt_second_batch)
    with pytest.raises(KeyboardInterrupt):
        feedsync.build(CORE / "feedsync.toml", published, now=LATER)
    assert calls["n"] >= 2  # channels of the interrupted batch running side by side may finish theirs
    assert _snapshot(published) == before
    assert _temporary_files(published) == []


def test_a_failed_rename_leaves_no_temporary_files_and_keeps_the_old_manifest(published, monkeypatch):
    manifest = (published / "manifest.json").read_bytes()
    report = (published / "report.json").read_bytes()
    original = PendingFile.commit
    calls = {"n": 0}

    def fail_third(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        original(self)

    monkeypatch.setattr(PendingFile, "commit", fail_third)
    with pytest.raises(feedsync.OutputError) as e:
        feedsync.build(CORE / "feedsync.toml", published, now=LATER)
    assert "No space left on device" in e.value.message
    assert _temporary_files(published) == []
    assert (published / "manifest.json").read_bytes() == manifest  # the manifest is written last
    assert (published / "report.json").read_bytes() == report


def test_unwritable_output_folder_is_exit_3(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    cfg = write_project(tmp_path / "p", catalog(product("A1")))
    result = CliRunner().invoke(app, ["build", "-c", str(cfg), "-o", str(blocker)])
    assert result.exit_code == 3
    assert str(blocker) in result.stderr
    assert "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "a file where the output folder should be"


def test_a_successful_build_leaves_no_temporary_files(core_build):
    assert _temporary_files(core_build.out_dir) == []


# --------------------------------------------------------------------------- Amazon splitting


def _amazon_docs(out: Path) -> list[dict]:
    return [json.loads(p.read_bytes()) for p in sorted((out / "amazon").glob("listings-*.json"))]


def _schema_errors(doc: dict) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    if not AMAZON_SCHEMA.exists():
        pytest.skip(f"Amazon listings feed schema not found at {AMAZON_SCHEMA}")
    schema = json.loads(AMAZON_SCHEMA.read_text(encoding="utf-8"))
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]


def test_amazon_feed_is_split_every_max_messages(core_project, tmp_path, checker):
    core_project.write_text(core_project.read_text() + "max_messages_per_file = 3\n", encoding="utf-8")
    out = tmp_path / "out"
    result = feedsync.build(core_project, out, now=NOW, channels=["amazon"])
    docs = _amazon_docs(out)
    assert [len(d["messages"]) for d in docs] == [3, 3, 1]
    for doc in docs:
        assert doc["header"] == {"sellerId": "A1CORETEST000", "version": "2.0", "issueLocale": "en_US"}
        assert [m["messageId"] for m in doc["messages"]] == list(range(1, len(doc["messages"]) + 1))
        assert _schema_errors(doc) == []
    skus = [m["sku"] for d in docs for m in d["messages"]]
    assert skus == ["TEE", "TEE-S", "TEE-M", "MUG", "BOOK", "LAMP", "PEN"]
    assert [(f["path"], f["items"]) for f in result.manifest["feeds"]] == [
        ("amazon/listings-0001.json", 3),
        ("amazon/listings-0002.json", 3),
        ("amazon/listings-0003.json", 1),
    ]
    assert conformance_errors(checker, out / "manifest.json") == []


def test_amazon_feed_is_split_before_max_bytes(core_project, tmp_path, monkeypatch):
    limit = 4000
    monkeypatch.setattr(amazon_channel, "AmazonWriter", functools.partial(AmazonWriter, max_bytes=limit))
    out = tmp_path / "out"
    feedsync.build(core_project, out, now=NOW, channels=["amazon"])
    files = sorted((out / "amazon").glob("listings-*.json"))
    assert len(files) >= 3
    docs = _amazon_docs(out)
    assert [m["sku"] for d in docs for m in d["messages"]] == ["TEE", "TEE-S", "TEE-M", "MUG", "BOOK", "LAMP", "PEN"]
    for path, doc in zip(files, docs, strict=True):
        assert path.stat().st_size <= limit or len(doc["messages"]) == 1
        assert _schema_errors(doc) == []


def test_amazon_messages_per_file_are_capped_at_10000(core_project):
    core_project.write_text(core_project.read_text() + "max_messages_per_file = 50000\n", encoding="utf-8")
    cfg = feedsync.load_config(core_project)
    from feedsync.channels.common import ChannelContext

    ctx = ChannelContext(cfg.channels["amazon"], cfg.defaults, NOW)
    writer = amazon_channel.writers(Path("unused"), ctx, False)["json"]
    assert writer.max_messages == 10_000


def test_golden_amazon_feed_is_valid_against_amazons_schema(core_build):
    [doc] = _amazon_docs(core_build.out_dir)
    assert _schema_errors(doc) == []


# --------------------------------------------------------------------------- gzip and manifest


def test_gzip_output_decompresses_to_the_plain_feeds(core_project, tmp_path, core_build, checker):
    text = core_project.read_text(encoding="utf-8")
    core_project.write_text(text.replace("[channels.google]", "[output]\ngzip = true\n\n[channels.google]"))
    out = tmp_path / "out"
    result = feedsync.build(core_project, out, now=NOW)
    plain = {f["path"]: f for f in core_build.manifest["feeds"]}
    for f in result.manifest["feeds"]:
        assert f["path"].endswith(".gz")
        data = gzip.decompress((out / f["path"]).read_bytes())
        assert data == (core_build.out_dir / f["path"][:-3]).read_bytes()
        assert f["items"] == plain[f["path"][:-3]]["items"]
    again = feedsync.build(core_project, tmp_path / "again", now=NOW)
    assert [f["sha256"] for f in again.manifest["feeds"]] == [f["sha256"] for f in result.manifest["feeds"]]
    assert conformance_errors(checker, out / "manifest.json") == []


def test_report_json_matches_the_returned_report(core_build):
    on_disk = json.loads((core_build.out_dir / "report.json").read_bytes())
    assert on_disk == json.loads(json.dumps(core_build.report.to_dict()))
    assert on_disk["catalog"]["rows"] == 9 and on_disk["catalog"]["parents"] == 1
