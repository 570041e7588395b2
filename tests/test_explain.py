"""explain (every output field of one product, its value and the chain that produced it) and
preview (funnel per feed, rule reach, fill rates, unmapped categories), from a run of the
merchandising stages, through pipeline.run (tests/merch_run.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW, SHARED, write_project
from merch_run import mini_run

from feedsync.cli.exit_codes import ExitCode
from feedsync.config import load_config
from feedsync.errors import UsageError
from feedsync.introspect import explain_result, preview_result

TAXONOMY = SHARED / "oracles" / "google" / "taxonomy-with-ids.en-US.txt"

CATALOG = """id,title,description,link,image_link,brand,gtin,price,quantity,product_type,min_price
A1,Rain Jacket,Keeps you dry.,https://shop.example.com/p/a1,https://cdn.example.com/a1.jpg,Acme,4006381333931,100.00,9,Apparel > Jackets,60
B2,Wool Socks,Warm socks.,https://shop.example.com/p/b2,https://cdn.example.com/b2.jpg,Acme,9780201379624,12.00,0,Apparel > Socks,
C3,Clearance Cap,Old cap.,https://shop.example.com/p/c3,https://cdn.example.com/c3.jpg,Zed,036000291452,5.00,3,Clearance,
D4,Bad Gtin Mug,A mug.,https://shop.example.com/p/d4,https://cdn.example.com/d4.jpg,Zed,1234567890123,8.00,4,Kitchen > Mugs,
"""

TOML = f"""[catalog]
path = "catalog.csv"

[stock]
files = ["stock.csv"]

[prices]
files = ["prices.csv"]

[categories]
taxonomy = "{TAXONOMY.as_posix()}"
table = "categories.csv"

[channels.google]
title = "Shop"
link = "https://shop.example.com/"

[channels.google.templates]
title = "{{{{ brand }}}} {{{{ title }}}}"
link = "{{{{ link|add_query('utm_source=google') }}}}"

[channels.meta]
zero_stock = "exclude"
markup_percent = 10
rounding = "0.99"

[[rules]]
name = "no clearance"
when = 'product_type = "clearance"'
exclude = true

[[rules]]
name = "sale tag"
channels = ["google"]
when = "price >= 50"
append = {{ title = " - Sale" }}
"""


@pytest.fixture
def run(tmp_path: Path):
    if not TAXONOMY.exists():
        pytest.skip("Google taxonomy not available")
    path = write_project(
        tmp_path / "shop", CATALOG, TOML,
        stock__csv="sku,location,quantity\nA1,wh-main,7\n",
        prices__csv="sku,channel,price,sale_price,start,end\nA1,google,90.00,,,\n",
        categories__csv="key,value\nApparel,166\n",
    )
    return mini_run(load_config(path), NOW, trace={"A1", "C3"})


def test_preview_has_the_funnel_rule_reach_fill_rates_and_unmapped_categories(run):
    preview = preview_result(run)
    json.dumps(preview)  # plain JSON, for --format json
    google, meta = preview["feeds"]["google"], preview["feeds"]["meta"]
    assert google["funnel"] == {"catalog": 4, "after_rules": 3, "after_stock_policy": 3, "after_validation": 2,
                                "emitted": 2}  # C3 excluded by rule; D4's GTIN is invalid
    assert meta["funnel"] == {"catalog": 4, "after_rules": 3, "after_stock_policy": 2, "after_validation": 1,
                              "emitted": 1}  # B2 has no stock and meta excludes zero stock
    assert google["rules"] == {"rule 1 no clearance": 1, "rule 2 sale tag": 1}
    assert meta["rules"] == {"rule 1 no clearance": 1}
    assert google["fill_rates"]["title"] == 1.0 and google["fill_rates"]["gtin"] == 1.0
    assert google["fill_rates"]["color"] == 0.0
    assert google["unmapped_categories"] == [{"value": "Clearance", "products": 1, "example_sku": "C3"},
                                             {"value": "Kitchen > Mugs", "products": 1, "example_sku": "D4"}]
    assert [r["name"] for r in preview["rules"]] == ["no clearance", "sale tag"]
    assert preview["rules"][1]["channels"] == ["google"] and preview["rules"][0]["channels"] == "all"


def test_explain_gives_every_output_field_with_its_chain(run):
    doc = explain_result(run, "A1")
    json.dumps(doc)
    assert doc["catalog"]["row"] == 1
    google = doc["feeds"]["google"]
    assert google["status"] == "sent"
    fields = google["items"][0]["fields"]
    assert fields["title"]["value"] == "Acme Rain Jacket - Sale"
    chain = fields["title"]["chain"]
    assert chain[0] == {"step": "catalog", "column": "title", "source": chain[0]["source"], "row": 1,
                        "value": "Rain Jacket"}
    assert chain[0]["source"].endswith("catalog.csv")
    assert chain[1] == {"step": "rule", "rule": 2, "name": "sale tag", "line": chain[1]["line"], "column": "title",
                        "value_after": "Rain Jacket - Sale"}
    assert chain[2]["step"] == "template" and chain[2]["template"] == "{{ brand }} {{ title }}"
    assert chain[2]["value_after"] == "Acme Rain Jacket - Sale"
    assert fields["link"]["value"] == "https://shop.example.com/p/a1?utm_source=google"
    assert fields["price"]["value"] == "90.00 USD"
    price_steps = [s["step"] for s in fields["price"]["chain"]]
    assert price_steps == ["catalog", "override", "catalog"]  # price, prices.csv, currency
    override = fields["price"]["chain"][1]
    assert (override["file"], override["row"], override["value_after"]) == ("prices.csv", 1, 90.0)
    category = fields["google_product_category"]
    assert category["value"] == "166"
    assert category["chain"][1] == {"step": "category", "table": "categories.csv", "row": 1,
                                    "column": "google_product_category", "value_after": "166"}
    meta = doc["feeds"]["meta"]["items"][0]["fields"]
    assert meta["price"]["value"] == "109.99 USD"  # 100 * 1.1 = 110 -> .99 rounding
    assert meta["price"]["chain"][1]["step"] == "price policy"
    qty = meta["quantity_to_sell_on_facebook"]
    assert qty["value"] == "7"
    assert [s["step"] for s in qty["chain"]] == ["catalog", "override"]
    assert qty["chain"][1]["location"] == "wh-main"


def test_explain_shows_rule_exclusions_and_issues(run):
    doc = explain_result(run, "C3")
    google = doc["feeds"]["google"]
    assert google["status"] == "excluded"
    assert google["excluded_by_rules"] == ["rule 1 no clearance"]
    assert [i["code"] for i in google["issues"]][:1] == ["excluded-by-rule"]


def test_explain_only_the_asked_channel_and_unknown_skus(run):
    assert set(explain_result(run, "A1", "meta")["feeds"]) == {"meta"}
    with pytest.raises(UsageError, match="'ZZ' is not in the catalog"):
        explain_result(run, "ZZ")


# --------------------------------------------------------------------------- through the build and the CLI


def _project(tmp_path: Path) -> Path:
    if not TAXONOMY.exists():
        pytest.skip("Google taxonomy not available")
    return write_project(
        tmp_path / "shop", CATALOG, TOML + '\n[[rules]]\nname = "label"\nwhen = "price < 50"\n'
        'set = { custom_label_0 = "under-50" }\nelse = { set = { custom_label_0 = "50-plus" } }\n',
        stock__csv="sku,location,quantity\nA1,wh-main,7\n",
        prices__csv="sku,channel,price,sale_price,start,end\nA1,google,90.00,,,\n",
        categories__csv="key,value\nApparel,166\n",
    )


def test_build_lists_every_product_a_rule_or_policy_left_out_with_its_reason(tmp_path):
    import feedsync

    result = feedsync.build(_project(tmp_path), tmp_path / "out", now=NOW)
    report = json.loads((tmp_path / "out" / "report.json").read_bytes())
    left_out = sorted((e["channel"], e["sku"], e["codes"]) for e in report["excluded"])
    assert left_out == [
        ("google", "C3", "excluded-by-rule"),
        ("google", "D4", "invalid-gtin"),
        ("meta", "B2", "excluded-by-stock-policy"),
        ("meta", "C3", "excluded-by-rule"),
        ("meta", "D4", "invalid-gtin"),
    ]
    google, meta = result.report.channels["google"], result.report.channels["meta"]
    assert (google.products_in, google.excluded, google.filtered, google.items) == (4, 1, 1, 2)
    assert (meta.products_in, meta.excluded, meta.filtered, meta.items) == (4, 1, 2, 1)
    assert report["channels"]["meta"]["filtered"] == 2


def test_custom_labels_from_rules_are_google_and_meta_columns(tmp_path, checker):
    from conftest import conformance_errors

    import feedsync

    out = tmp_path / "out"
    feedsync.build(_project(tmp_path), out, now=NOW)
    xml = (out / "google" / "products.xml").read_text()
    assert xml.count("<g:custom_label_0>50-plus</g:custom_label_0>") == 1  # A1; C3 is excluded, D4 invalid
    assert xml.count("<g:custom_label_0>under-50</g:custom_label_0>") == 1  # B2
    header, *rows = (out / "meta" / "products.csv").read_text().splitlines()
    assert header.endswith(",custom_label_0") and rows == [rows[0]] and rows[0].endswith(",50-plus")
    assert conformance_errors(checker, out / "manifest.json") == []


def test_cli_explain_and_preview(tmp_path):
    from typer.testing import CliRunner

    from feedsync.cli.app import app

    path = _project(tmp_path)
    runner = CliRunner()
    now = ["--now", "2026-11-23T00:00:00Z"]
    res = runner.invoke(app, ["explain", "A1", "-c", str(path), *now, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["feeds"]["google"]["items"][0]["fields"]["title"]["value"] == "Acme Rain Jacket - Sale"
    res = runner.invoke(app, ["explain", "A1", "-c", str(path), *now, "--channel", "meta"])
    assert res.exit_code == 0, res.output
    assert "\nmeta: sent" in res.stdout and "\ngoogle:" not in res.stdout
    assert "rule 3 'label' (line" in res.stdout and "price policy: markup 10%" in res.stdout
    res = runner.invoke(app, ["explain", "ZZ", "-c", str(path), *now])
    assert res.exit_code == int(ExitCode.USAGE) and "'ZZ' is not in the catalog" in res.output
    res = runner.invoke(app, ["explain", "A1", "-c", str(path), "--channel", "myspace"])
    assert res.exit_code == int(ExitCode.USAGE)
    res = runner.invoke(app, ["preview", "-c", str(path), *now])
    assert res.exit_code == 0, res.output
    assert "rule 1 no clearance" in res.stdout and "after validation" in res.stdout
    assert not (tmp_path / "shop" / "out").exists()
    res = runner.invoke(app, ["preview", "-c", str(path), *now, "--format", "json"])
    assert json.loads(res.stdout)["feeds"]["google"]["funnel"]["emitted"] == 2
