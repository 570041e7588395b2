"""`build --delta`: only what changed since the last published run, as channel operations
(Amazon PATCH / UPDATE / DELETE checked against the oracle schema by the conformance checker),
Google supplemental rows, local inventory and Meta rows; tombstones for removed products;
re-sends before channels expire items; and full builds that clean up after deltas."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import numpy as np
import pytest
from conftest import CORE, NOW, check_feed, conformance_errors
from nightly import day, manifest, set_catalog, shop

import feedsync
from feedsync import pipeline, state

CUP = {
    "id": "CUP",
    "title": "Espresso Cup",
    "description": "Small cup.",
    "link": "https://shop.example.com/p/cup",
    "image_link": "https://cdn.example.com/cup.jpg",
    "brand": "Acme",
    "gtin": "5901234123457",
    "price": "6.00",
    "currency": "USD",
    "quantity": "4",
    "condition": "new",
    "google_product_category": "2169",
    "amazon_product_type": "DRINKING_CUP",
}


def _edit_core(folder) -> None:
    """LAMP price only, TEE-S stock only, MUG price and stock, PEN content, BOOK removed, CUP new."""
    path = folder / "catalog.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    fields = list(rows[0])
    by_id = {r["id"]: r for r in rows}
    by_id["LAMP"]["price"] = "35.00"
    by_id["MUG"]["price"] = "11.50"
    by_id["MUG"]["quantity"] = "6"
    by_id["PEN"]["title"] = "Fountain Pen, steel nib"
    rows = [r for r in rows if r["id"] != "BOOK"] + [{f: CUP.get(f, "") for f in fields}]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    stock = (folder / "stock.csv").read_text(encoding="utf-8").replace("TEE-S,warehouse,5", "TEE-S,warehouse,9")
    (folder / "stock.csv").write_text(stock, encoding="utf-8")


@pytest.fixture
def delta_build(tmp_path):
    project = tmp_path / "core"
    shutil.copytree(CORE, project, ignore=shutil.ignore_patterns(".feedsync"))
    out = tmp_path / "out"
    full = feedsync.build(project / "feedsync.toml", out, now=NOW)
    assert full.published
    _edit_core(project)
    result = feedsync.build(project / "feedsync.toml", out, now=day(1), delta=True)
    assert result.published and result.mode == "delta"
    return result, out, project


def _messages(path) -> dict[str, dict]:
    return {m["sku"]: m for m in json.loads(path.read_bytes())["messages"]}


def test_amazon_delta_operations(delta_build, checker):
    result, out, _ = delta_build
    path = out / "delta" / "amazon" / "listings-0001.json"
    findings = check_feed(checker, "amazon-json", path)  # listings-feed-schema-v2 (oracle) + channel rules
    assert findings.errors == []
    msgs = _messages(path)
    assert {sku: m["operationType"] for sku, m in msgs.items()} == {
        "LAMP": "PATCH",
        "TEE-S": "PATCH",
        "MUG": "PATCH",
        "PEN": "UPDATE",
        "CUP": "UPDATE",
        "BOOK": "DELETE",
    }
    paths = {sku: [p["path"] for p in m.get("patches", [])] for sku, m in msgs.items()}
    assert paths["LAMP"] == ["/attributes/purchasable_offer"]
    assert paths["TEE-S"] == ["/attributes/fulfillment_availability"]
    assert paths["MUG"] == ["/attributes/purchasable_offer", "/attributes/fulfillment_availability"]
    lamp = msgs["LAMP"]["patches"][0]
    assert lamp["op"] == "replace"
    assert lamp["value"][0]["our_price"][0]["schedule"][0]["value_with_tax"] == 35.0
    assert msgs["TEE-S"]["patches"][0]["value"] == [
        {"fulfillment_channel_code": "DEFAULT", "quantity": 9, "lead_time_to_ship_max_days": 2}
    ]
    assert msgs["LAMP"]["productType"] == "LAMP" and "attributes" not in msgs["LAMP"]
    assert msgs["BOOK"] == {"messageId": msgs["BOOK"]["messageId"], "sku": "BOOK", "operationType": "DELETE"}
    assert msgs["PEN"]["attributes"]["item_name"][0]["value"] == "Fountain Pen, steel nib"
    assert sorted(m["messageId"] for m in msgs.values()) == list(range(1, 7))
    assert result.changes["amazon"]["operations"] == {"DELETE": 1, "PATCH": 3, "UPDATE": 2}


def test_google_supplemental_has_changed_attributes_and_tombstones(delta_build):
    result, out, _ = delta_build
    rows = list(csv.DictReader(io.StringIO((out / "delta" / "google" / "supplemental.tsv").read_text()), delimiter="\t"))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"LAMP", "MUG", "PEN", "BOOK"}  # TEE-S's Google fields did not change; CUP is new
    assert by_id["LAMP"]["price"] == "35.00 USD" and by_id["MUG"]["price"] == "11.50 USD"
    assert by_id["PEN"]["title"] == "Fountain Pen, steel nib"
    assert by_id["BOOK"]["excluded_destination"].split(",")[:4] == [
        "Shopping_ads",
        "Display_ads",
        "Local_inventory_ads",
        "Free_listings",
    ]
    assert by_id["LAMP"]["excluded_destination"] == ""
    google = result.changes["google"]
    assert (google["mode"], google["pending_new"], google["removed"]) == ("delta", 1, 1)
    # a supplemental source cannot create products: the new one waits for the next full build
    assert "CUP" not in by_id


def test_rows_deltas_pass_the_checker_and_tombstone_removed_products(delta_build, checker):
    result, out, _ = delta_build
    assert conformance_errors(checker, out / "manifest.json") == []
    meta = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "delta" / "meta" / "products.csv").read_text()))}
    assert set(meta) == {"LAMP", "MUG", "PEN", "CUP", "TEE-S", "BOOK"}
    assert (meta["BOOK"]["availability"], meta["BOOK"]["quantity_to_sell_on_facebook"]) == ("out of stock", "0")
    assert meta["BOOK"]["title"] == "The Long Winter (First Edition)"  # the last published row
    local = list(csv.DictReader(io.StringIO((out / "delta" / "google_local" / "inventory.tsv").read_text()), delimiter="\t"))
    assert {(r["store_code"], r["id"]) for r in local} == {("store-1", "LAMP"), ("store-2", "LAMP")}
    assert all(r["price"] == "35.00 USD" for r in local)


def test_tombstones_from_a_snapshot_of_many_batches(tmp_path, checker):
    """Batches of two rows: the snapshot has several row groups, so the rows the tombstones are
    read from hold several Arrow chunks (a 1,000,000-product delta crashed on exactly that)."""
    project = tmp_path / "core"
    shutil.copytree(CORE, project, ignore=shutil.ignore_patterns(".feedsync"))
    config = project / "feedsync.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[output]\nbatch_size = 2\n", encoding="utf-8")
    out = tmp_path / "out"
    assert feedsync.build(config, out, now=NOW).published
    _edit_core(project)  # removes BOOK (third batch); TEE-M (second batch) goes too
    catalog = project / "catalog.csv"
    catalog.write_text(
        "".join(line for line in catalog.read_text(encoding="utf-8").splitlines(True) if not line.startswith("TEE-M,")),
        encoding="utf-8",
    )
    result = feedsync.build(config, out, now=day(1), delta=True, force=True)  # 2 of a few items: a big drop
    assert result.published and result.changes["meta"]["tombstones"] == 2
    assert conformance_errors(checker, out / "manifest.json") == []
    meta = {r["id"]: r for r in csv.DictReader(io.StringIO((out / "delta" / "meta" / "products.csv").read_text()))}
    assert meta["BOOK"]["title"] == "The Long Winter (First Edition)"
    assert meta["BOOK"]["availability"] == meta["TEE-M"]["availability"] == "out of stock"


def test_delta_manifest_marks_delta_feeds_and_keeps_the_full_feeds(delta_build):
    result, out, _ = delta_build
    doc = manifest(out)
    assert doc["mode"] == "delta"
    assert {(f["channel"], f["format"], f["path"], f["mode"]) for f in doc["feeds"]} == {
        ("google", "supplemental", "delta/google/supplemental.tsv", "delta"),
        ("google_local", "tsv", "delta/google_local/inventory.tsv", "delta"),
        ("meta", "csv", "delta/meta/products.csv", "delta"),
        ("meta", "xml", "delta/meta/products.xml", "delta"),
        ("amazon", "json", "delta/amazon/listings-0001.json", "delta"),
    }
    for f in doc["feeds"]:
        assert {"items", "bytes", "sha256"} <= set(f)
    assert (out / "google" / "products.xml").exists()  # the full feeds stay published
    assert "<g:id>BOOK</g:id>" in (out / "google" / "products.xml").read_text()
    assert result.report.to_dict()["changes"]["meta"]["tombstones"] == 1


def test_delta_state_moves_on_but_google_stays_cumulative(delta_build):
    _, out, project = delta_build
    again = feedsync.build(project / "feedsync.toml", out, now=day(2), delta=True)
    assert again.published
    amazon = again.changes["amazon"]
    assert (amazon["added"], amazon["changed"], amazon["removed"]) == (0, 0, 0)
    assert not (out / "delta" / "amazon").exists() or not list((out / "delta" / "amazon").iterdir())
    # Google: each supplemental upload replaces the last one, so it still carries every change
    rows = (out / "delta" / "google" / "supplemental.tsv").read_text().splitlines()
    assert {r.split("\t")[0] for r in rows[1:]} == {"LAMP", "MUG", "PEN", "BOOK"}
    # a full build starts Google afresh and removes the now superseded delta files
    full = feedsync.build(project / "feedsync.toml", out, now=day(3))
    assert full.published and not (out / "delta").exists()
    after = feedsync.build(project / "feedsync.toml", out, now=day(4), delta=True)
    rows = (out / "delta" / "google" / "supplemental.tsv").read_text().splitlines()
    assert rows == ["id"] and after.changes["google"]["pending_new"] == 0


def test_items_not_sent_for_resend_days_are_sent_again(tmp_path, checker):
    cfg = shop(tmp_path / "shop", 4, extra="\n[delta]\nresend_days = 10\n")
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    quiet = feedsync.build(cfg, out, now=day(5), delta=True)
    assert quiet.changes["amazon"]["resent"] == 0
    assert not list((out / "delta").rglob("listings-*.json"))
    due = feedsync.build(cfg, out, now=day(11), delta=True)
    assert due.changes["amazon"]["resent"] == 4
    msgs = _messages(out / "delta" / "amazon" / "listings-0001.json")
    assert {m["operationType"] for m in msgs.values()} == {"UPDATE"} and len(msgs) == 4
    assert check_feed(checker, "amazon-json", out / "delta" / "amazon" / "listings-0001.json").errors == []
    # Google's primary feed is what keeps its items alive: the full feed is written again
    assert due.changes["google"]["mode"] == "full"
    assert manifest(out)["mode"] == "delta"
    assert {f["path"] for f in manifest(out)["feeds"] if f["channel"] == "google"} == {
        "google/products.xml",
        "google/products.tsv",
    }
    # and then they are fresh for another resend_days
    later = feedsync.build(cfg, out, now=day(12), delta=True)
    assert later.changes["amazon"]["resent"] == 0 and later.changes["google"]["mode"] == "delta"


def test_full_amazon_build_deletes_removed_skus(tmp_path, checker):
    cfg = shop(tmp_path / "shop", {"A": {}, "B": {}, "C": {}, "D": {}, "E": {}, "F": {}})
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, {"A": {}, "B": {}, "C": {}, "D": {}, "E": {}})
    result = feedsync.build(cfg, out, now=day(1))
    msgs = _messages(out / "amazon" / "listings-0001.json")
    assert msgs["F"]["operationType"] == "DELETE"
    assert [m["operationType"] for sku, m in msgs.items() if sku != "F"] == ["UPDATE"] * 5
    assert result.changes["amazon"]["tombstones"] == 1
    assert check_feed(checker, "amazon-json", out / "amazon" / "listings-0001.json").errors == []


def test_config_change_resends_every_item(tmp_path):
    cfg = shop(tmp_path / "shop", 3)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    cfg.write_text(cfg.read_text().replace('seller_id = "A1NIGHTLY0000"', 'seller_id = "A1NIGHTLY0000"\nlead_time_to_ship_max_days = 3'))
    result = feedsync.build(cfg, out, now=day(1), delta=True)
    assert result.changes["amazon"]["content"] == 3
    msgs = _messages(out / "delta" / "amazon" / "listings-0001.json")
    assert all(m["operationType"] == "UPDATE" for m in msgs.values())
    assert msgs["SKU000"]["attributes"]["fulfillment_availability"][0]["lead_time_to_ship_max_days"] == 3


def _sha1_digests(a) -> np.ndarray:
    return np.array([int(hashlib.sha1(v.encode()).hexdigest()[:16], 16) for v in a.to_pylist()], dtype=np.uint64)


def test_history_hashed_with_another_digest_resends_every_item(tmp_path, monkeypatch):
    """A history from a feedsync that hashed items differently cannot be diffed against:
    the next delta is a full send, not a supplemental feed claiming every item changed."""
    cfg = shop(tmp_path / "shop", 3)
    out = tmp_path / "out"
    monkeypatch.setattr(state, "digest_each", _sha1_digests)
    monkeypatch.setattr(pipeline, "ITEM_HASH", "sha1-64")
    feedsync.build(cfg, out, now=NOW)
    monkeypatch.undo()
    result = feedsync.build(cfg, out, now=day(1), delta=True)
    assert result.changes["google"]["mode"] == "full"
    assert result.changes["amazon"]["content"] == 3
    again = feedsync.build(cfg, out, now=day(2), delta=True)
    assert again.changes["google"]["mode"] == "delta"
    assert again.changes["amazon"]["content"] == 0


def test_first_delta_sends_everything(tmp_path, checker):
    cfg = shop(tmp_path / "shop", 3)
    out = tmp_path / "out"
    result = feedsync.build(cfg, out, now=NOW, delta=True)
    assert result.published
    assert result.changes["google"]["mode"] == "full"  # no full Google build to supplement yet
    msgs = _messages(out / "delta" / "amazon" / "listings-0001.json")
    assert [m["operationType"] for m in msgs.values()] == ["UPDATE"] * 3
    assert conformance_errors(checker, out / "manifest.json") == []


def test_delta_is_gated_like_a_full_build(tmp_path):
    cfg = shop(tmp_path / "shop", 10)
    out = tmp_path / "out"
    feedsync.build(cfg, out, now=NOW)
    set_catalog(cfg, {f"SKU{i:03d}": {} for i in range(5)})
    result = feedsync.build(cfg, out, now=day(1), delta=True)
    assert result.refused and not (out / "delta").exists()
    assert result.changes["amazon"]["removed"] == 5


def _sale_shop(folder, sales: dict[str, tuple[str, str, str, str]]):
    """An Amazon-only project; `sales`: sku -> (price, sale_price, sale_price_start, sale_price_end)."""
    head = "id,title,description,link,image_link,brand,gtin,price,currency,sale_price,sale_price_start,sale_price_end"
    lines = [
        f"{sku},Item {sku},d,https://shop.example.com/p/{sku.lower()},https://cdn.example.com/{sku.lower()}.jpg,"
        f"Acme,4006381333931,{price},USD,{sale},{start},{end}"
        for sku, (price, sale, start, end) in sales.items()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.csv").write_text("\n".join([head, *lines]) + "\n", encoding="utf-8")
    cfg = folder / "feedsync.toml"
    cfg.write_text('[catalog]\npath = "catalog.csv"\n\n[channels.amazon]\nseller_id = "A1NIGHTLY0000"\n')
    return cfg


def test_unchanged_open_ended_sales_send_nothing_the_next_night(tmp_path, checker):
    """An open-ended sale used to get the run day as its start, so every night's delta PATCHed
    the purchasable_offer of every such product; now the Amazon delta follows the catalog."""
    sales = {
        "OPEN1": ("10.00", "8.00", "", ""),
        "OPEN2": ("12.00", "9.00", "", ""),
        "FROM": ("10.00", "7.00", "2026-11-01", ""),
        "UNTIL": ("10.00", "6.00", "", "2027-01-31"),
        "WINDOW": ("10.00", "5.00", "2026-11-20", "2026-12-24"),
        "PLAIN": ("10.00", "", "", ""),
    }
    cfg = _sale_shop(tmp_path / "shop", sales)
    out = tmp_path / "out"
    assert feedsync.build(cfg, out, now=NOW).published
    quiet = feedsync.build(cfg, out, now=day(1), delta=True)
    assert quiet.published
    amazon = quiet.changes["amazon"]
    assert (amazon["added"], amazon["changed"], amazon["removed"]) == (0, 0, 0)
    assert not list((out / "delta").rglob("listings-*.json"))  # no PATCH, no UPDATE
    # one open-ended sale changes its price: exactly one PATCH, and its window stays put
    sales["OPEN2"] = ("12.00", "8.50", "", "")
    cfg = _sale_shop(tmp_path / "shop", sales)
    one = feedsync.build(cfg, out, now=day(2), delta=True)
    path = out / "delta" / "amazon" / "listings-0001.json"
    msgs = _messages(path)
    assert {sku: m["operationType"] for sku, m in msgs.items()} == {"OPEN2": "PATCH"}
    assert one.changes["amazon"]["operations"] == {"PATCH": 1}
    offer = msgs["OPEN2"]["patches"][0]["value"][0]
    assert offer["discounted_price"][0]["schedule"][0] == {
        "start_at": "2000-01-01T00:00Z",
        "end_at": "2099-12-31T00:00Z",
        "value_with_tax": 8.5,
    }
    assert check_feed(checker, "amazon-json", path).errors == []


def test_a_delta_with_nothing_changed_writes_no_empty_files(delta_build, tmp_path):
    """A night with no change sends nothing: no empty Meta or local inventory file (an RSS
    document without items is not a valid Meta feed), only Google's cumulative supplemental."""
    _, out, project = delta_build
    again = feedsync.build(project / "feedsync.toml", out, now=day(2), delta=True)
    assert again.published
    quiet = {k: v for k, v in again.changes.items() if k != "google"}  # Google's supplemental is cumulative
    assert all(ch["added"] + ch["changed"] + ch["removed"] + ch["resent"] == 0 for ch in quiet.values())
    written = sorted(p.relative_to(out).as_posix() for p in (out / "delta").rglob("*") if p.is_file())
    assert written == ["delta/google/supplemental.tsv"]
    assert [f["path"] for f in again.manifest["feeds"]] == ["delta/google/supplemental.tsv"]
