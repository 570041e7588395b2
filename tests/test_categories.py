"""Category mapping: product_type -> google_product_category through a table, checked against
Google's taxonomy file (the 2021-09-21 release in ../shared/oracles/google/, never copied here)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED, write_project
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsync.categories import (
    MAX_LEVELS,
    load_taxonomy,
    lookup_hierarchical,
    map_categories,
    merge_unmapped,
    unmapped_summary,
)
from feedsync.config import load_config
from feedsync.errors import ConfigError
from feedsync.mapping import read_mapping_table

TAXONOMY = SHARED / "oracles" / "google" / "taxonomy-with-ids.en-US.txt"
pytestmark = pytest.mark.skipif(not TAXONOMY.exists(), reason=f"Google taxonomy not found at {TAXONOMY}")

TABLE = (
    "key,value\n"
    "Apparel > Jackets,5598\n"
    "Apparel,Apparel & Accessories > Clothing\n"
    "Camping > Tents,999999\n"
    "Footwear > Boots,  Apparel & Accessories > Shoes  \n"  # values are trimmed
)


@pytest.fixture
def table(tmp_path: Path):
    path = tmp_path / "categories.csv"
    path.write_text(TABLE, encoding="utf-8")
    return read_mapping_table(path)


@pytest.fixture
def taxonomy():
    return load_taxonomy(TAXONOMY)


def _frame(types: list, categories: list | None = None) -> pd.DataFrame:
    n = len(types)
    return pd.DataFrame(
        {
            "_row": pd.array(range(1, n + 1), dtype="Int64"),
            "id": pd.Series([f"P{i}" for i in range(1, n + 1)], dtype="str"),
            "product_type": pd.Series(types, dtype="str"),
            "google_product_category": pd.Series(categories or [None] * n, dtype="str"),
        }
    )


def test_taxonomy_file_is_read_with_its_version(taxonomy):
    assert taxonomy.version == "2021-09-21"
    assert len(taxonomy) == 5595
    assert taxonomy.paths["166"] == "Apparel & Accessories"
    ids, valid = taxonomy.resolve(pd.Series(["166", " 5598 ", "apparel & accessories > clothing", "12345678",
                                             "Not > A > Path", None], dtype="str"))
    assert ids.tolist()[:3] == ["166", "5598", "1604"]
    assert valid.tolist() == [True, True, True, False, False, True]


def test_products_are_mapped_exactly_case_insensitively_or_by_a_parent_path(table, taxonomy):
    frame = _frame(["Apparel > Jackets", "apparel > jackets ", "Apparel > Jackets > Rain Jackets",
                    "Apparel > Tees", "Footwear > Boots > Hiking"])
    r = map_categories(frame, table=table, taxonomy=taxonomy, channel="google")
    assert r.frame["google_product_category"].tolist() == ["5598", "5598", "5598", "1604", "187"]
    assert r.issues.empty
    assert r.mapped == 5
    assert r.provenance["row"].tolist() == [1, 1, 1, 2, 4]
    assert set(r.provenance["source"]) == {"categories categories.csv"}
    assert frame["google_product_category"].isna().all()  # the input frame is unchanged


def test_lookup_hierarchical_reports_the_key_that_matched(table):
    keys = pd.Series(["Apparel > Jackets > Rain > Light", "Gear"], dtype="str")
    value, row, matched = lookup_hierarchical(table, keys)
    assert value.tolist()[0] == "5598" and row.tolist()[0] == 1 and matched.tolist()[0] == "Apparel > Jackets"
    assert pd.isna(value.iloc[1])


def test_catalog_categories_are_kept_unless_overwrite(table, taxonomy):
    frame = _frame(["Apparel > Jackets", "Apparel > Jackets"], ["166", None])
    kept = map_categories(frame, table=table, taxonomy=taxonomy)
    assert kept.frame["google_product_category"].tolist() == ["166", "5598"]
    replaced = map_categories(frame, table=table, taxonomy=taxonomy, overwrite=True)
    assert replaced.frame["google_product_category"].tolist() == ["5598", "5598"]


def test_invalid_ids_are_errors_naming_the_table_row(table, taxonomy):
    frame = _frame(["Camping > Tents", "Misc"], [None, "4242424242"])
    r = map_categories(frame, table=table, taxonomy=taxonomy, channel="google")
    bad = r.issues.loc[r.issues["code"] == "invalid-category"]
    assert bad["severity"].unique().tolist() == ["error"]
    assert bad["sku"].tolist() == ["P1", "P2"]
    assert bad["message"].iloc[0] == ("google_product_category '999999' (categories.csv row 3) is not in Google's "
                                      "product taxonomy (version 2021-09-21)")
    assert "(categories.csv" not in bad["message"].iloc[1]


def test_taxonomy_check_without_a_table_checks_catalog_values(taxonomy):
    frame = _frame(["x", "y", "z"], ["5598", "Apparel & Accessories > Shoes", "99999999"])
    r = map_categories(frame, table=None, taxonomy=taxonomy, channel="meta")
    assert r.frame["google_product_category"].tolist() == ["5598", "187", "99999999"]
    assert r.issues[["code", "sku", "channel"]].values.tolist() == [["invalid-category", "P3", "meta"]]
    assert r.unmapped.empty  # no table: nothing is "unmapped"


def test_unmapped_products_are_warned_and_summarised_most_frequent_first(table, taxonomy):
    frame = _frame(["Home > Blankets", "Cookware", "Home > Blankets", None, "Cookware", "Home > Blankets",
                    "Apparel > Jackets", "Aaa"])
    r = map_categories(frame, table=table, taxonomy=taxonomy, channel="google")
    warned = r.issues.loc[r.issues["code"] == "unmapped-category"]
    assert warned["severity"].unique().tolist() == ["warning"]
    assert warned["sku"].tolist() == ["P1", "P2", "P3", "P4", "P5", "P6", "P8"]
    assert "'Home > Blankets' has no row in categories.csv (3 products in this batch share it)" in warned[
        "message"].iloc[0]
    assert r.unmapped.values.tolist() == [
        ["Home > Blankets", 3, "P1"],
        ["Cookware", 2, "P2"],
        ["", 1, "P4"],
        ["Aaa", 1, "P8"],
    ]


def test_unmapped_summaries_merge_across_batches():
    a = unmapped_summary(_frame(["x", "y", "y"]), "product_type")
    b = unmapped_summary(_frame(["x", "x", "z"]).assign(id=pd.Series(["Q1", "Q2", "Q3"], dtype="str")), "product_type")
    merged = merge_unmapped([a, b])
    assert merged.values.tolist() == [["x", 3, "P1"], ["y", 2, "P2"], ["z", 1, "Q3"]]
    assert merge_unmapped([]).empty


def test_source_column_must_exist(table, taxonomy):
    with pytest.raises(ConfigError, match="from = 'category' is not a catalog column"):
        map_categories(_frame(["x"]), table=table, taxonomy=taxonomy, source="category")


def test_garbage_taxonomy_file_is_a_config_error(tmp_path):
    path = tmp_path / "tax.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not Google's taxonomy-with-ids file"):
        load_taxonomy(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_taxonomy(tmp_path / "missing.txt")


def test_categories_config_resolves_paths_relative_to_the_config(tmp_path):
    folder = tmp_path / "shop"
    folder.mkdir()
    relative = Path(*[".."] * len(folder.relative_to(folder.anchor).parts)) / TAXONOMY.relative_to(TAXONOMY.anchor)
    toml = (
        '[catalog]\npath = "catalog.csv"\n\n[channels.google]\n\n[categories]\n'
        f'taxonomy = "{relative.as_posix()}"\ntable = "categories.csv"\nfrom = "product_type"\n'
    )
    config = load_config(write_project(folder, "id\nA\n", toml, categories__csv=TABLE))
    assert config.categories.taxonomy == TAXONOMY.resolve()
    assert config.categories.table == (folder / "categories.csv").resolve()
    assert config.categories.source == "product_type" and config.categories.overwrite is False
    with pytest.raises(ConfigError, match=r"\[categories\] has unknown key 'taxonomy_file'"):
        load_config(write_project(tmp_path / "bad", "id\nA\n", toml.replace("taxonomy =", "taxonomy_file =")))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(write_project(tmp_path / "missing", "id\nA\n", toml.replace("categories.csv", "nope.csv")))


_SEGMENT = st.sampled_from(["A", "b", "C c", " A ", "Ä", "x>y", ""])
_ROOT = st.sampled_from(["A", "b", "a ", "Ä"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_ROOT, min_size=1, max_size=3).map(" > ".join), min_size=1, max_size=6),
    st.lists(st.lists(_SEGMENT, min_size=1, max_size=16).map(" > ".join), min_size=0, max_size=40),
)
def test_lookup_hierarchical_takes_the_deepest_listed_path_within_max_levels(tmp_path_factory, listed, keys):
    """Against a plain reference: the key itself, else its parents (at most MAX_LEVELS of them),
    compared trimmed and case-insensitively; a later table row wins for a repeated key."""
    path = tmp_path_factory.mktemp("t") / "t.csv"
    pd.DataFrame({"key": listed, "value": [f"v{i}" for i in range(len(listed))]}).to_csv(path, index=False)
    table = read_mapping_table(path)
    known = {k.strip().lower(): (f"v{i}", i + 1) for i, k in enumerate(listed) if k.strip()}
    value, row, matched = lookup_hierarchical(table, pd.Series(keys + [None], dtype="str"))
    for i, key in enumerate(keys):
        want = None
        candidate = key
        for _ in range(MAX_LEVELS + 1):
            if candidate.strip().lower() in known:
                want = (*known[candidate.strip().lower()], candidate)
                break
            if " > " not in candidate:
                break
            candidate = candidate.rsplit(" > ", 1)[0]
        got = (value.iloc[i], row.iloc[i], matched.iloc[i])
        assert got == want if want else all(pd.isna(g) for g in got), (key, got, want)
    assert all(pd.isna(v) for v in (value.iloc[-1], row.iloc[-1], matched.iloc[-1]))
