"""Hostile input: every case gives a correct feed (conformance checker, lxml, csv, json agree)
or a clear issue / message, never a crash or a broken file."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import NOW, catalog, conformance_errors, product, write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner

import feedsync
from feedsync.cli.app import app

ALL_CHANNELS = """[catalog]
path = "catalog.csv"

[channels.google]
formats = ["xml", "tsv"]

[channels.meta]
formats = ["csv", "xml"]

[channels.amazon]
seller_id = "A1HOSTILE"
"""
COLUMNS = ["id", "title", "description", "link", "image_link", "brand", "gtin", "price", "quantity"]
# What XML 1.0 forbids even escaped; feedsync drops these from text everywhere.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
SAFE_PARSER = {"resolve_entities": False, "no_network": True, "huge_tree": True}


def _write_catalog(folder: Path, rows: list[dict[str, str]], toml: str = ALL_CHANNELS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "catalog.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    "link": f"https://shop.example.com/p/{r['id']}",
                    "image_link": f"https://cdn.example.com/{r['id']}.jpg",
                    "description": "A product.",
                    "brand": "Acme",
                    "gtin": "4006381333931",
                    "price": "10.00",
                    "quantity": "3",
                    **r,
                }
            )
    (folder / "feedsync.toml").write_text(toml, encoding="utf-8")
    return folder / "feedsync.toml"


def _google_items(path: Path) -> dict[str, dict[str, str]]:
    root = etree.parse(str(path), etree.XMLParser(**SAFE_PARSER))
    out = {}
    for item in root.iter("item"):
        fields = {etree.QName(c).localname: c.text or "" for c in item}
        out[fields["id"]] = fields
    return out


def _csv_rows(path: Path, delimiter: str = ",") -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["id"]: r for r in csv.DictReader(fh, delimiter=delimiter)}


def _amazon_values(out: Path) -> dict[str, dict[str, str]]:
    values = {}
    for path in sorted((out / "amazon").glob("listings-*.json")):
        for m in json.loads(path.read_bytes())["messages"]:
            attrs = m["attributes"]
            values[m["sku"]] = {
                "title": attrs["item_name"][0]["value"],
                "description": attrs["product_description"][0]["value"],
            }
    return values


# sku: (title, description, the description the channels must receive). Titles are sent as
# they are, less the forbidden characters; descriptions are read as HTML (shop exports carry
# it): tags, comments and CDATA sections dropped, entities decoded, white space collapsed.
HOSTILE = {
    "CTRL": (
        "Bad\x01\x02 ctrl\x0b\x0c\x1f title\x7f",
        "nul \x00 and bell \x07 and \ufffe\uffff end",
        "nul and bell and end",
    ),
    "MARKUP": (
        "A & B <b>bold</b> \"quoted\" 'single'",
        "&amp; &lt; &#x1; &#0; <![CDATA[ x ]]> <!-- c --> 5 > 3",
        "& < \ufffd 5 > 3",  # &#0; is U+FFFD and &#x1; nothing, as in html.unescape
    ),
    "CDATA": ("ends ]]> here", "]]>]]>", "]]>]]>"),
    "EMOJI": ("Tee 👕🔥 ñ", "family 👨‍👩‍👧 flag 🇺🇦 zwj", "family 👨‍👩‍👧 flag 🇺🇦 zwj"),
    "RTL": ("קפה טוב مرحبا", "\u202eevil\u202c and \u200fmarks\u200e", "\u202eevil\u202c and \u200fmarks\u200e"),
    "CELLS": ('comma, "quote", semi;', "line one\nline two\r\nline three\ttab", "line one\nline two\nline three tab"),
    "FORMULA": ('=HYPERLINK("http://evil")', "+1-2", "+1-2"),
    "SPACES": ("  padded title  ", "\u00a0nbsp\u2028line separator\u2029para", "nbsp\u2028line separator\u2029para"),
}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    rows = [{"id": sku, "title": t, "description": d} for sku, (t, d, _) in HOSTILE.items()]
    rows.append({"id": "LONG", "title": "T" * 10_240, "description": "ten kilobyte title"})
    cfg = _write_catalog(folder, rows)
    return feedsync.build(cfg, folder / "out", now=NOW)


def _expected(text: str) -> str:
    return FORBIDDEN.sub("", text).strip()


def test_hostile_feeds_pass_the_conformance_checker(hostile_build, checker):
    assert conformance_errors(checker, hostile_build.out_dir / "manifest.json") == []
    assert {(f["channel"], f["format"], f["items"]) for f in hostile_build.manifest["feeds"]} == {
        ("google", "xml", 8),
        ("google", "tsv", 8),
        ("meta", "csv", 8),
        ("meta", "xml", 8),
        ("amazon", "json", 8),
    }


def test_ten_kilobyte_title_is_a_too_long_issue_and_excluded(hostile_build):
    issues = [(i.code, i.channel, i.sku, i.field) for i in hostile_build.report.issue_list() if i.severity == "error"]
    assert sorted(issues) == [
        ("too-long", "amazon", "LONG", "item_name"),
        ("too-long", "google", "LONG", "title"),
        ("too-long", "meta", "LONG", "title"),
    ]
    [google] = [i for i in hostile_build.report.issue_list() if i.channel == "google" and i.code == "too-long"]
    assert google.message == "title is 10240 characters; google allows at most 150"
    assert len(google.value) <= 200  # offending values are capped in reports
    for path in hostile_build.out_dir.rglob("*.*"):
        if path.name not in ("report.json", "manifest.json"):
            assert "TTTTTTTTTT" not in path.read_text(encoding="utf-8"), path


def test_google_xml_parses_and_values_round_trip(hostile_build):
    out = hostile_build.out_dir
    items = _google_items(out / "google" / "products.xml")
    assert set(items) == set(HOSTILE)
    for sku, (title, _, description) in HOSTILE.items():
        assert items[sku]["title"] == _expected(title), sku
        assert items[sku]["description"] == description, sku
    raw = (out / "google" / "products.xml").read_text(encoding="utf-8")
    assert "<title>ends ]]&gt; here</title>" in raw
    assert "<title>A &amp; B &lt;b&gt;bold&lt;/b&gt; \"quoted\" 'single'</title>" in raw
    assert "<description>&amp; &lt; \ufffd 5 &gt; 3</description>" in raw
    assert "<![CDATA[" not in raw


def test_meta_xml_parses_and_values_round_trip(hostile_build):
    items = _google_items(hostile_build.out_dir / "meta" / "products.xml")
    for sku, (title, _, description) in HOSTILE.items():
        assert items[sku]["title"] == _expected(title), sku
        assert items[sku]["description"] == description, sku


def test_meta_csv_reads_back_the_same_values(hostile_build):
    rows = _csv_rows(hostile_build.out_dir / "meta" / "products.csv")
    assert set(rows) == set(HOSTILE)
    for sku, (title, _, description) in HOSTILE.items():
        assert rows[sku]["title"] == _expected(title), sku
        assert rows[sku]["description"] == description, sku


def test_google_tsv_keeps_one_record_per_line(hostile_build):
    path = hostile_build.out_dir / "google" / "products.tsv"
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 1 + 8 + 1  # header, 8 items, final newline
    rows = _csv_rows(path, "\t")
    assert rows["CELLS"]["description"] == "line one line two line three tab"
    assert rows["CELLS"]["title"] == 'comma, "quote", semi;'


def test_amazon_json_parses_and_values_round_trip(hostile_build):
    values = _amazon_values(hostile_build.out_dir)
    assert set(values) == set(HOSTILE)
    for sku, (title, _, description) in HOSTILE.items():
        assert values[sku]["title"] == _expected(title), sku
        assert values[sku]["description"] == description, sku


def test_formula_cells_are_neutralised_on_request(tmp_path, checker):
    toml = '[catalog]\npath = "catalog.csv"\n[channels.meta]\nneutralise_formulas = true\n'
    cfg = _write_catalog(tmp_path, [{"id": "F1", "title": "=SUM(A1)", "description": "@cmd", "brand": "+Acme"}], toml)
    feedsync.build(cfg, tmp_path / "out", now=NOW)
    row = _csv_rows(tmp_path / "out" / "meta" / "products.csv")["F1"]
    assert (row["title"], row["description"], row["brand"]) == ("'=SUM(A1)", "'@cmd", "'+Acme")
    assert conformance_errors(checker, tmp_path / "out" / "manifest.json") == []


# --------------------------------------------------------------------------- broken or unusual files


def _cli(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_empty_catalog_file_is_exit_3_with_a_clear_message(tmp_path):
    cfg = write_project(tmp_path, b"")
    result = _cli("build", "-c", cfg, "-o", tmp_path / "out")
    assert result.exit_code == 3
    assert f"{tmp_path / 'catalog.csv'}: the file is empty" in result.stderr
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []  # no feed, no manifest


def test_header_only_catalog_is_exit_3_not_an_empty_feed(tmp_path):
    cfg = write_project(tmp_path, catalog())
    result = _cli("build", "-c", cfg, "-o", tmp_path / "out")
    assert result.exit_code == 3
    assert "the catalog has no products, only a header" in result.stderr
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []  # no feed, no manifest


def test_utf8_with_bom(tmp_path):
    cfg = write_project(tmp_path, "\ufeff" + catalog(product("B1", "Café Crème")))
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.report.catalog["encoding"] == "utf-8-sig"
    assert result.report.errors == 0
    assert _google_items(tmp_path / "out/google/products.xml")["B1"]["title"] == "Café Crème"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_1252_and_latin_1_files(tmp_path, encoding):
    title = "Café Müller 5€" if encoding == "cp1252" else "Café Müller ½ÿ"
    cfg = write_project(tmp_path, catalog(product("W1", title)).encode(encoding))
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    assert result.report.catalog["encoding"] == "cp1252"  # Latin-1 text without C1 bytes is valid cp1252
    xml = (tmp_path / "out/google/products.xml").read_bytes()
    assert f"<title>{title}</title>".encode() in xml  # written as UTF-8


def test_latin_1_with_bytes_cp1252_leaves_undefined(tmp_path):
    data = catalog(product("W1", "Caf\u00e9 \u0081")).encode("latin-1")
    result = feedsync.validate(write_project(tmp_path, data), now=NOW)
    assert result.catalog["encoding"] == "latin-1"
    assert result.errors == 0


def test_quoted_cells_with_commas_quotes_and_newlines(tmp_path):
    text = (
        "id,title,description,link,image_link,brand,gtin,price,quantity\n"
        'Q1,"Tee, ""Classic""","first line\nsecond line, with comma",https://x.example/q,'
        "https://x.example/q.jpg,Acme,4006381333931,5.00,1\n"
        "Q2,Plain,d,https://x.example/r,https://x.example/r.jpg,Acme,4006381333931,5.00,1\n"
    )
    cfg = write_project(tmp_path, text, ALL_CHANNELS)
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    rows = _csv_rows(tmp_path / "out/meta/products.csv")
    assert rows["Q1"]["title"] == 'Tee, "Classic"'
    assert rows["Q1"]["description"] == "first line\nsecond line, with comma"
    # the record spanning two lines is still record 1; the next one is record 2
    assert [i.row for i in feedsync.validate(cfg, now=NOW).issue_list()] == []
    assert result.report.channels["google"].items == 2


def test_inch_marks_in_unquoted_cells_are_text(tmp_path):
    text = catalog(product("TV1", 'TV 32" screen'), product("TV2"))
    result = feedsync.build(write_project(tmp_path, text), tmp_path / "out", now=NOW)
    assert result.report.errors == 0
    assert _google_items(tmp_path / "out/google/products.xml")["TV1"]["title"] == 'TV 32" screen'


def test_unbalanced_quote_names_the_line_it_starts_on(tmp_path):
    text = (
        catalog(product("A1"))
        + 'B2,"never closed,d,https://x.example/b,https://x.example/b.jpg,Acme,4006381333931,5.00,1\n'
        + product("C3")
        + "\n"
    )
    result = _cli("validate", "-c", write_project(tmp_path, text))
    assert result.exit_code == 3
    assert "malformed comma-separated file: line 3:" in result.stderr
    assert "quote" in result.stderr


def test_row_with_too_many_cells_names_its_line(tmp_path):
    text = catalog(product("A1"), product("B2") + ",extra", product("C3"))
    result = _cli("validate", "-c", write_project(tmp_path, text))
    assert result.exit_code == 3
    assert "line 3: 10 cells, the header has 9" in result.stderr


def test_duplicate_header_column(tmp_path):
    result = _cli("validate", "-c", write_project(tmp_path, "id,title,title\nA1,a,b\n"))
    assert result.exit_code == 3
    assert "column 'title' appears twice in the header" in result.stderr


def test_binary_garbage_is_a_clear_error(tmp_path):
    result = _cli("validate", "-c", write_project(tmp_path, bytes(range(256)) * 4))
    assert result.exit_code == 3
    assert "catalog.csv: malformed" in result.stderr
    assert "Traceback" not in result.output


def test_id_that_becomes_empty_after_removing_forbidden_characters(tmp_path):
    rows = [{"id": "\x01\x02", "title": "ctrl id"}, {"id": "OK1", "title": "fine"}]
    cfg = _write_catalog(tmp_path, rows, '[catalog]\npath = "catalog.csv"\n[channels.google]\n')
    result = feedsync.build(cfg, tmp_path / "out", now=NOW)
    items = _google_items(tmp_path / "out/google/products.xml")
    assert list(items) == ["OK1"]
    assert [(i.code, i.row) for i in result.report.issue_list()] == [("missing-id", 1)]


# --------------------------------------------------------------------------- property test


_hostile_chars = st.sampled_from(list("\x00\x01\x08\x0b\x0c\x1f\x7f\ufffe\uffff\r\n\t\"',;<>&]=+-@ \u202e\u05d0\xa0"))
_text = st.text(alphabet=st.one_of(_hostile_chars, st.characters(codec="utf-8")), max_size=60)


def _as_description(text: str) -> str:
    """What the catalog makes of a description cell (HTML to plain text), by the library itself:
    the property below is about the writers carrying that value into every format intact."""
    from feedsync.catalog import clean_text
    from feedsync.text import html_to_text

    value = html_to_text(clean_text(pd.Series([text], dtype="str"))).iloc[0]
    return "" if pd.isna(value) else value


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_text, _text), min_size=1, max_size=6))
def test_random_unicode_never_breaks_google_xml_or_meta_csv(tmp_path_factory, texts):
    folder = tmp_path_factory.mktemp("prop")
    # Letters around each value: the catalog strips surrounding whitespace, which is not at issue here.
    rows = [{"id": f"P{n}", "title": f"T{t}T", "description": f"D{d}D"} for n, (t, d) in enumerate(texts)]
    toml = '[catalog]\npath = "catalog.csv"\n[channels.google]\n[channels.meta]\n[channels.amazon]\nseller_id = "A"\n'
    cfg = _write_catalog(folder, rows, toml)
    result = feedsync.build(cfg, folder / "out", now=NOW)
    assert result.report.errors == 0, result.report.issue_list()[:3]

    items = _google_items(folder / "out/google/products.xml")
    rows_back = _csv_rows(folder / "out/meta/products.csv")
    amazon = _amazon_values(folder / "out")
    for row in rows:
        title = FORBIDDEN.sub("", row["title"])
        description = _as_description(row["description"])
        assert not FORBIDDEN.search(description)
        # an XML parser normalises line ends to \n (XML 1.0 section 2.11)
        assert items[row["id"]]["title"] == title.replace("\r\n", "\n").replace("\r", "\n")
        assert items[row["id"]]["description"] == description.replace("\r", "\n")
        assert rows_back[row["id"]]["title"] == title
        assert rows_back[row["id"]]["description"] == description
        assert amazon[row["id"]] == {"title": title, "description": description}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7])
def test_utf8_detection_across_read_chunks(tmp_path, monkeypatch, chunk):
    """Multi-byte characters cut by the detector's read chunks are still valid UTF-8; a file
    cut inside a character, or holding a stray Latin-1 byte, is not."""
    import feedsync.sources.encoding as encoding

    monkeypatch.setattr(encoding, "_CHUNK", chunk)
    text = "id,title\nA,Høyfjell naïve 😀 €\n".encode()
    cases = {"whole.csv": (text, "utf-8"), "cut.csv": (text[:-3], "cp1252"), "stray.csv": (text + b"\xe9\n", "cp1252")}
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert encoding.detect_encoding(tmp_path / name) == expected, name
