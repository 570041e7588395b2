"""The vectorised schema checks must give jsonschema's verdicts, record by record."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsync.validation.compile import CompiledSchema, compile_schema, load_schema, to_re2
from feedsync.validation.issues import ISSUE_COLUMNS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SPECS = Path(__file__).resolve().parent.parent / "channel_specs"

# Written independently of compile.DEFAULT_CODES so a wrong mapping there fails here.
EXPECTED_CODE = {
    "type": "invalid-type",
    "enum": "invalid-value",
    "const": "invalid-value",
    "maxLength": "too-long",
    "minLength": "too-short",
    "pattern": "invalid-format",
    "minimum": "out-of-range",
    "maximum": "out-of-range",
    "exclusiveMinimum": "out-of-range",
    "exclusiveMaximum": "out-of-range",
}

PATTERNS = [
    r"^\d+(\.\d{1,2})? [A-Z]{3}$",
    r"^https?://\S+$",
    r"^[^/]{1,5}(/[^/]{1,5}){0,2}$",
    r"^\w+$",
    r"^[\w.-]+@[\w-]+\.\w{2,}$",
    r"colou?r",
    r"^(a|b)*c$",
    r"^.$",
    r"^$",
    r"\s",
    r"^\D*$",
    r"[^a-z\d]",
    r"a\Z",
    r"\Aab",
    r"é+",
    "[\u00c0-\u00ff]{2}",
    "\U0001f600",
    r"x*?y",
    r"\bfoo\b",  # \b: RE2 for ASCII strings, Python re for the rest
    r"(?i)straße",  # flags: Python re only
    r"(a)\1",  # back-reference: Python re only
    r"^(?=.*\d)",  # look-ahead: Python re only
    r"a$\n",  # `$` not at the end: Python re only
    r"^\d{12,14}$",
]
# Characters where Python's re and RE2 (or str.isdigit and \d, or ASCII and Unicode) disagree.
TRICKY = (
    "aAbcfoxyrz0129_ -./:@>é\u00c9\u0301\u00a0\u2003\u1680\u2028\x1c\x1f\x85\t\n\r\v\f"
    "\u0663\uff15\u00b2\U0001d7d8\U0001f600\u01c5\u212a\u017fßUSDEURs"
)
VALUE_POOL = [
    "in_stock",
    "",
    "a",
    "15.00 USD",
    "\u0661\u0665 USD",
    0,
    1,
    -1,
    1.0,
    2.5,
    True,
    False,
    None,
    2**53 + 1,
    10**20,
    "1",
]


def reference_failures(schema: dict, record: dict) -> Counter:
    """(field, code) failures of one record according to the jsonschema library."""
    present = {
        k: v for k, v in record.items() if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    out: Counter = Counter()
    by_field: dict[str, list[str]] = {}
    n_required = 0
    for error in jsonschema.Draft202012Validator(schema).iter_errors(present):
        if error.validator == "required":
            n_required += 1
            continue
        by_field.setdefault(error.absolute_path[0], []).append(error.validator)
    missing = [p for p in schema.get("required", []) if p not in present]
    assert len(missing) == n_required
    out.update((p, "missing-required") for p in missing)
    for name, keywords in by_field.items():
        for keyword in ["type"] if "type" in keywords else keywords:
            out[(name, EXPECTED_CODE[keyword])] += 1
    return out


def compiled_failures(issues: pd.DataFrame, n: int) -> list[Counter]:
    out = [Counter() for _ in range(n)]
    for row, name, code in zip(issues["row"], issues["field"], issues["code"], strict=True):
        out[int(row) - 1][(name, code)] += 1
    return out


def typed_column(values: list, text_dtype: str) -> pd.Series | list:
    """The natural pandas dtype for these values, as a loader would produce; object if mixed."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, str) for v in present):
        try:
            return pd.Series(pd.array(values, dtype=text_dtype))
        except (pa.ArrowException, UnicodeError):
            return pd.Series(values, dtype=object)
    if present and all(type(v) is int and -(2**63) <= v < 2**63 for v in present):
        return pd.Series(pd.array(values, dtype="Int64"))
    if present and all(type(v) is float for v in present):
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
    if present and all(type(v) is bool for v in present):
        return pd.Series(pd.array(values, dtype="boolean"))
    return pd.Series(values, dtype=object)


def make_frame(
    names: list[str], records: list[dict], *, typed: bool, text_dtype: str = "str"
) -> pd.DataFrame:
    data: dict = {
        "_row": pd.array(range(1, len(records) + 1), dtype="Int64"),
        "id": pd.array([f"sku-{i}" for i in range(len(records))], dtype="str"),
    }
    for name in names:
        values = [r.get(name) for r in records]
        if all(v is None for v in values) and int(name[1:]) % 2:
            continue  # an absent column counts as all-missing
        data[name] = typed_column(values, text_dtype) if typed else pd.Series(values, dtype=object)
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------- strategies

numbers = st.one_of(
    st.integers(-20, 20),
    st.sampled_from([0.5, -0.5, 2.5, 1e300, 2**53, 2**53 + 1, 2**63, -(2**63) - 1, 10.0]),
    st.floats(-30, 30).map(lambda x: round(x, 1)),
)
texts = st.one_of(
    st.text(TRICKY, max_size=12),
    st.text(max_size=8),
    st.sampled_from(PATTERNS[:18] + [PATTERNS[-1]])
    .flatmap(lambda p: st.from_regex(p))
    .filter(lambda s: len(s) < 60)
    .flatmap(lambda s: st.sampled_from([s, s + "\n", "\n" + s])),
    st.text(TRICKY, min_size=40, max_size=120),
    st.sampled_from(["in_stock", "out_of_stock", "15.00 USD", "https://x.com/a", "foo bar", "\ud800x"]),
)
values = st.one_of(
    st.none(),
    texts,
    st.integers(-5, 5),
    st.integers(),  # also beyond int64
    st.floats(allow_nan=True),
    st.booleans(),
    st.sampled_from(VALUE_POOL),
)
type_names = st.sampled_from(["string", "integer", "number", "boolean"])


@st.composite
def property_schemas(draw: st.DrawFn) -> dict:
    schema: dict = {}
    if draw(st.booleans()):
        schema["type"] = draw(
            st.one_of(type_names, st.lists(type_names, min_size=1, max_size=3, unique=True))
        )
    if draw(st.integers(0, 4)) == 0:
        schema["enum"] = draw(
            st.lists(st.one_of(st.sampled_from(VALUE_POOL), texts, numbers), min_size=1, max_size=10)
        )
    if draw(st.integers(0, 6)) == 0:
        schema["const"] = draw(st.sampled_from(VALUE_POOL))
    if draw(st.integers(0, 2)) == 0:
        schema["minLength"] = draw(st.integers(0, 4))
    if draw(st.integers(0, 2)) == 0:
        schema["maxLength"] = draw(st.integers(0, 20))
    if draw(st.integers(0, 1)) == 0:
        schema["pattern"] = draw(st.sampled_from(PATTERNS))
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if draw(st.integers(0, 3)) == 0:
            schema[keyword] = draw(numbers)
    if draw(st.booleans()):
        schema["description"] = "a description"
    return schema


@st.composite
def schemas_and_records(draw: st.DrawFn) -> tuple[dict, list[dict]]:
    names = [f"p{i}" for i in range(draw(st.integers(1, 4)))]
    props = {name: draw(property_schemas()) for name in names}
    required = draw(st.lists(st.sampled_from(names), unique=True))
    schema = {"$schema": DRAFT, "type": "object", "properties": props, "required": required}

    def value_for(name: str) -> st.SearchStrategy:
        """Any value, plus values at the property's edges: limits, and look-alikes of enum members."""
        prop = props[name]
        edges: list = []
        for member in prop.get("enum", []) + ([prop["const"]] if "const" in prop else []):
            edges.append(member)
            if isinstance(member, (bool, int, float)) and abs(member) < 2**60:
                edges += [float(member), int(member), bool(member), str(member)]
        for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if keyword in prop and abs(prop[keyword]) < 2**70:
                limit = prop[keyword]
                edges += [limit, float(limit), math.floor(limit), math.ceil(limit), math.floor(limit) - 1]
                edges += [
                    math.ceil(limit) + 1,
                    float(math.floor(limit)),
                    float(math.ceil(limit)),
                    limit + 0.5,
                ]
        for keyword in ("minLength", "maxLength"):
            if keyword in prop:
                edges += ["x" * prop[keyword], "😀" * (prop[keyword] + 1), "e\u0301" * prop[keyword]]
        return st.one_of(st.sampled_from(edges), values) if edges else values

    # Columns of one kind (as a loader yields them) as well as mixed ones.
    records = draw(
        st.lists(
            st.fixed_dictionaries({}, optional={name: value_for(name) for name in names}),
            min_size=1,
            max_size=8,
        )
    )
    return schema, records


# ---------------------------------------------------------------------------- property tests


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas_and_records(), st.sampled_from(["str", "string", "string[pyarrow]"]))
def test_verdicts_equal_jsonschema(case: tuple[dict, list[dict]], text_dtype: str) -> None:
    schema, records = case
    compiled = compile_schema(schema, "testchannel")
    expected = [reference_failures(schema, r) for r in records]
    names = list(schema["properties"])
    for typed in (True, False):
        frame = make_frame(names, records, typed=typed, text_dtype=text_dtype)
        issues = compiled.check(frame)
        assert list(issues.columns) == ISSUE_COLUMNS
        got = compiled_failures(issues, len(records))
        for i, record in enumerate(records):
            assert got[i] == expected[i], (typed, record, dict(frame.dtypes))
        assert (issues["channel"] == "testchannel").all()
        for name, message in zip(issues["field"], issues["message"], strict=True):
            assert name in message


edge_numbers = st.one_of(
    numbers,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.sampled_from([2**63 - 1, -(2**63), 2**62 + 1, float(2**63), -float(2**63), 1e-320, -0.0]),
    st.sampled_from([2**53 + 1, float(2**53), float(2**53 + 2), 10**400, -(10**400)]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
    edge_numbers,
    st.lists(st.one_of(edge_numbers, st.none()), min_size=1, max_size=12),
    st.booleans(),
)
def test_numeric_limits_compare_exactly(keyword: str, limit: float, numbers_: list, typed: bool) -> None:
    """int64/float64 columns against int/float limits give Python's exact int-float comparison."""
    schema = {"properties": {"p0": {keyword: limit}}}
    compiled = compile_schema(schema, "x")
    records = [{"p0": v} for v in numbers_]
    frame = make_frame(["p0"], records, typed=typed)
    got = compiled_failures(compiled.check(frame), len(records))
    assert got == [reference_failures(schema, r) for r in records]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(VALUE_POOL + [0.0, -0.0, 2.0, 2, "2", "True", 10.0**20]), min_size=1, max_size=5
    ),
    st.lists(st.sampled_from(VALUE_POOL + [0.0, 2.0, 2, "2", float(2**53)]), min_size=1, max_size=12),
    st.booleans(),
)
def test_enum_equality_matches_jsonschema(members: list, candidates: list, typed: bool) -> None:
    schema = {"properties": {"p0": {"enum": members}}}
    compiled = compile_schema(schema, "x")
    records = [{"p0": v} for v in candidates]
    got = compiled_failures(compiled.check(make_frame(["p0"], records, typed=typed)), len(records))
    assert got == [reference_failures(schema, r) for r in records]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATTERNS), st.lists(texts, max_size=10))
def test_re2_translation_agrees_with_python_re(pattern: str, strings: list[str]) -> None:
    strings = [s for s in strings if "\ud800" not in s]
    arr = pa.array(strings, pa.large_string())
    python = [re.search(pattern, s) is not None for s in strings]
    for ascii_only in (False, True):
        translated = to_re2(pattern, ascii_subjects=ascii_only)
        if translated is None:
            continue
        rows = [i for i, s in enumerate(strings) if s.isascii() or not ascii_only]
        fast = pc.match_substring_regex(arr, pattern=translated).to_pylist()
        assert [fast[i] for i in rows] == [python[i] for i in rows], translated


# ---------------------------------------------------------------------------- unit tests

RICH = {
    "$schema": DRAFT,
    "type": "object",
    "required": ["id", "title", "price"],
    "properties": {
        "id": {"type": "string", "maxLength": 10},
        "title": {"type": "string", "minLength": 1, "maxLength": 15, "title": "Title", "$comment": "x"},
        "price": {
            "type": "string",
            "pattern": r"^\d+(\.\d{1,2})? [A-Z]{3}$",
            "description": "a number, a space and a currency, e.g. 15.00 USD",
        },
        "link": {
            "type": "string",
            "pattern": r"^https?://\S+$",
            "x-code": "invalid-url",
            "x-fix": "Use https.",
        },
        "availability": {"type": "string", "enum": ["in_stock", "out_of_stock", "preorder", "backorder"]},
        "quantity": {"type": "integer", "minimum": 0, "maximum": 1000, "x-severity": "warning"},
        "weight": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100},
        "adult": {"type": "boolean", "const": False, "examples": [False], "default": False},
        "color": {"type": "string", "enum": [f"c{i}" for i in range(12)]},
    },
}


def frame_of(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"_row": pd.array(range(1, n + 1), dtype="Int64")}
    if "id" not in columns:
        base["id"] = pd.array([f"s{i}" for i in range(n)], dtype="str")
    return pd.DataFrame({**base, **columns})


def one(issues: pd.DataFrame, **where) -> pd.Series:
    hit = issues
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, issues.to_dict("records")
    return hit.iloc[0]


@pytest.fixture(scope="module")
def rich() -> CompiledSchema:
    return compile_schema(RICH, "google")


def test_valid_record_has_no_issues(rich: CompiledSchema) -> None:
    frame = frame_of(
        id=pd.array(["A1"], dtype="str"),
        title=pd.array(["Shirt"], dtype="str"),
        price=pd.array(["15.00 USD"], dtype="str"),
        link=pd.array(["https://x.com/p"], dtype="str"),
        availability=pd.array(["in_stock"], dtype="str"),
        quantity=pd.array([3], dtype="Int64"),
        weight=np.array([1.5]),
        adult=pd.array([False], dtype="boolean"),
    )
    assert rich.check(frame).empty


def test_required_missing_and_absent_column(rich: CompiledSchema) -> None:
    frame = frame_of(id=pd.array(["A1", None], dtype="str"), title=pd.array([None, "ok"], dtype="str"))
    issues = rich.check(frame)
    assert set(zip(issues["row"], issues["field"], issues["code"], strict=True)) == {
        (1, "title", "missing-required"),
        (2, "id", "missing-required"),
        (1, "price", "missing-required"),  # column absent: every record misses it
        (2, "price", "missing-required"),
    }
    msg = one(issues, row=1, field="price")["message"]
    assert msg == "price is missing; google requires it"


def test_max_length_counts_code_points_and_names_limit(rich: CompiledSchema) -> None:
    title = "😀" * 15 + "e\u0301"  # 17 code points: astral and combining marks count one each
    frame = frame_of(
        title=pd.array([title, "😀" * 15], dtype="str"), price=pd.array(["1 USD"] * 2, dtype="str")
    )
    issue = one(rich.check(frame), field="title")
    assert issue["row"] == 1
    assert issue["code"] == "too-long"
    assert issue["severity"] == "error"
    assert issue["message"] == "title is 17 characters; google allows at most 15"
    assert issue["value"] == title


def test_min_length(rich: CompiledSchema) -> None:
    frame = frame_of(title=pd.array([""], dtype="str"), price=pd.array(["1 USD"], dtype="str"))
    issue = one(rich.check(frame), field="title")
    assert issue["code"] == "too-short"
    assert issue["message"] == "title is empty; google needs at least 1 character"


def test_enum_message_lists_values(rich: CompiledSchema) -> None:
    frame = frame_of(
        title=pd.array(["t"], dtype="str"),
        price=pd.array(["1 USD"], dtype="str"),
        availability=pd.array(["instock"], dtype="str"),
        color=pd.array(["red"], dtype="str"),
    )
    issues = rich.check(frame)
    msg = one(issues, field="availability")["message"]
    assert msg.startswith("availability 'instock' is not one of: in_stock, out_of_stock, preorder, backorder")
    assert "google" in msg
    color = one(issues, field="color")["message"]
    assert "c0, c1, c2, c3, c4, c5, c6, c7, …" in color and "c8" not in color


def test_pattern_message_uses_description_and_x_code_x_fix(rich: CompiledSchema) -> None:
    frame = frame_of(
        title=pd.array(["t"], dtype="str"),
        price=pd.array(["15 dollars"], dtype="str"),
        link=pd.array(["http://a b"], dtype="str"),
    )
    issues = rich.check(frame)
    price = one(issues, field="price")
    assert price["code"] == "invalid-format"
    assert price["message"].startswith("price '15 dollars' does not have the expected format")
    assert "google" in price["message"] and "e.g. 15.00 USD" in price["message"]
    link = one(issues, field="link")
    assert link["code"] == "invalid-url"
    assert link["message"].endswith("Use https.")


def test_python_pattern_semantics(rich: CompiledSchema) -> None:
    # Python's $ matches before a final newline and its \d takes any Unicode digit (jsonschema
    # uses re.search); RE2 would say otherwise on both.
    frame = frame_of(
        title=pd.array(["t"] * 3, dtype="str"), price=pd.array(["15 USD\n", "١٥ USD", "15 usd"], dtype="str")
    )
    issues = rich.check(frame)
    assert list(issues["row"]) == [3]


def test_numeric_bounds_and_x_severity(rich: CompiledSchema) -> None:
    frame = frame_of(
        title=pd.array(["t"] * 4, dtype="str"),
        price=pd.array(["1 USD"] * 4, dtype="str"),
        quantity=pd.array([-1, 0, 1000, 1001], dtype="Int64"),
        weight=np.array([0.0, 0.01, 99.99, 100.0]),
    )
    issues = rich.check(frame)
    got = set(zip(issues["row"], issues["field"], issues["code"], issues["severity"], strict=True))
    assert got == {
        (1, "quantity", "out-of-range", "warning"),
        (4, "quantity", "out-of-range", "warning"),
        (1, "weight", "out-of-range", "error"),
        (4, "weight", "out-of-range", "error"),
    }
    assert one(issues, row=1, field="quantity")["message"] == "quantity -1 is below google's minimum of 0"
    assert "less than 100" in one(issues, row=4, field="weight")["message"]


def test_type_failure_reports_only_type(rich: CompiledSchema) -> None:
    frame = frame_of(
        title=pd.Series(["t", "t", "t", "t"], dtype=object),
        price=pd.Series(["1 USD"] * 4, dtype=object),
        quantity=pd.Series([3.0, True, "3", -2.0], dtype=object),
        adult=pd.Series([0, True, False, None], dtype=object),
    )
    issues = rich.check(frame)
    got = sorted(zip(issues["row"], issues["field"], issues["code"], strict=True))
    # 3.0 is an integer for jsonschema, True is not; -2.0 is an integer below the minimum.
    assert got == [
        (1, "adult", "invalid-type"),
        (2, "adult", "invalid-value"),
        (2, "quantity", "invalid-type"),
        (3, "quantity", "invalid-type"),
        (4, "quantity", "out-of-range"),
    ]
    msg = one(issues, row=3, field="quantity")["message"]
    assert msg == "quantity '3' is text; google expects a whole number"


def test_enum_equality_follows_jsonschema() -> None:
    compiled = compile_schema({"properties": {"v": {"enum": [1, "x", False]}}}, "meta")
    frame = frame_of(v=pd.Series([1.0, True, 0, False, "x", "1", 1], dtype=object))
    issues = compiled.check(frame)
    assert sorted(issues["row"]) == [2, 3, 6]


def test_big_numbers_compare_exactly() -> None:
    limit = 2**53 + 1  # not a float: float(limit) == 2**53
    compiled = compile_schema({"properties": {"n": {"maximum": limit}, "m": {"minimum": 0.5}}}, "meta")
    frame = frame_of(
        n=np.array([float(2**53), float(2**53 + 2)]),
        m=pd.array([0, 1], dtype="Int64"),
    )
    got = set(zip(compiled.check(frame)["row"], compiled.check(frame)["field"], strict=True))
    assert got == {(2, "n"), (1, "m")}
    objects = frame_of(n=pd.Series([2**64, 2**53 + 1], dtype=object), m=pd.Series([None, None], dtype=object))
    assert list(compiled.check(objects)["row"]) == [1]


def test_id_as_property_and_odd_index() -> None:
    compiled = compile_schema(RICH, "google")
    frame = frame_of(
        id=pd.array(["waytoolongid", "ok"], dtype="str"),
        title=pd.array(["t", "t"], dtype="str"),
        price=pd.array(["1 USD", "x"], dtype="str"),
    )
    frame.index = ["b", "b"]
    issues = compiled.check(frame)
    assert set(zip(issues["row"], issues["sku"], issues["field"], strict=True)) == {
        (1, "waytoolongid", "id"),
        (2, "ok", "price"),
    }


def test_numpy_scalars_in_object_columns_count_as_json_numbers(rich: CompiledSchema) -> None:
    frame = frame_of(
        title=pd.Series([np.str_("t")], dtype=object),
        price=pd.Series(["1 USD"], dtype=object),
        quantity=pd.Series([np.int64(5000)], dtype=object),
        adult=pd.Series([np.bool_(True)], dtype=object),
    )
    issues = rich.check(frame)
    assert sorted(zip(issues["field"], issues["code"], strict=True)) == [
        ("adult", "invalid-value"),
        ("quantity", "out-of-range"),
    ]


def test_additional_properties_false() -> None:
    compiled = compile_schema({"properties": {"a": {}}, "additionalProperties": False}, "amazon")
    frame = frame_of(a=pd.array(["x", "y"], dtype="str"), extra=pd.array([None, "z"], dtype="str"))
    issues = compiled.check(frame)
    assert list(zip(issues["row"], issues["field"], strict=True)) == [(2, "extra")]


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"properties": {"title": {"type": "string", "format": "uri"}}}, ["title", "format"]),
        ({"properties": {"gtin": {"maxItems": 3}}}, ["gtin", "maxItems"]),
        ({"properties": {"gtin": {"x-sevrity": "warning"}}}, ["gtin", "x-sevrity"]),
        ({"properties": {"a": {"type": "null"}}}, ["a", "null"]),
        ({"properties": {"a": {"type": "array"}}}, ["a", "array"]),
        ({"properties": {"a": {"x-code": "no-such-code"}}}, ["a", "no-such-code"]),
        ({"properties": {"a": {"x-severity": "fatal"}}}, ["a", "fatal"]),
        ({"properties": {"a": {"pattern": "(?<=a"}}}, ["not a valid Draft 2020-12 schema"]),
        ({"properties": {"a": True}}, ["a"]),
        ({"allOf": [{"required": ["a"]}]}, ["allOf"]),
        ({"$defs": {}, "properties": {}}, ["$defs"]),
        ({"additionalProperties": {"type": "string"}}, ["additionalProperties"]),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, ["$schema"]),
        ({"properties": {"a": {"maxLength": -1}}}, ["not a valid Draft 2020-12 schema"]),
    ],
)
def test_unsupported_keywords_are_refused(schema: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as excinfo:
        compile_schema(schema, "google")
    for word in words:
        assert word in str(excinfo.value)


def test_load_schema(tmp_path: Path) -> None:
    good = tmp_path / "good.schema.json"
    good.write_text(json.dumps(RICH), encoding="utf-8")
    assert load_schema(good) == RICH
    bad = tmp_path / "bad.schema.json"
    bad.write_text(json.dumps({"properties": {"a": {"minLength": "3"}}}), encoding="utf-8")
    with pytest.raises(ValueError, match="bad.schema.json"):
        load_schema(bad)


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.schema.json")), ids=lambda p: p.name)
def test_channel_specs_compile_with_fast_patterns(path: Path) -> None:
    compiled = compile_schema(load_schema(path), path.name.split(".")[0])
    assert compiled.properties
    for rule in compiled._rules:
        if rule.pattern is not None:  # every shipped pattern runs in RE2, not per row in Python
            assert rule.pattern.re2_any is not None, rule.pattern.source


def test_common_patterns_take_the_fast_path() -> None:
    for pattern in [r"^\d+(\.\d{1,2})? [A-Z]{3}$", r"^https?://\S+$", r"^[^/]{1,40}(/[^/]{1,40}){0,2}$"]:
        assert to_re2(pattern, ascii_subjects=False) is not None
    assert to_re2(r"\bfoo\b", ascii_subjects=False) is None
    assert to_re2(r"\bfoo\b", ascii_subjects=True) is not None
    assert to_re2(r"(?i)foo", ascii_subjects=True) is None
    assert to_re2(r"(a)\1", ascii_subjects=True) is None


def test_no_rows_and_all_valid_return_typed_empty_frame(rich: CompiledSchema) -> None:
    empty = rich.check(frame_of(title=pd.array([], dtype="str")))
    assert list(empty.columns) == ISSUE_COLUMNS and empty.empty


def test_chunked_text_columns(rich: CompiledSchema) -> None:
    """Streamed batches hand over Arrow-backed columns in several chunks."""
    chunks = pa.chunked_array(
        [pa.array(["ok", "x" * 20], pa.large_string()), pa.array([None], pa.large_string())]
    )
    frame = frame_of(
        title=pd.Series(chunks.to_pandas()),
        price=pd.Series(pa.chunked_array([["1 USD"], ["2 USD", "3"]]).to_pandas()),
    )
    issues = rich.check(frame)
    assert sorted(zip(issues["row"], issues["code"], strict=True)) == [
        (2, "too-long"),
        (3, "invalid-format"),
        (3, "missing-required"),
    ]


def test_datetime_columns_are_not_json_values() -> None:
    """A date column has no JSON type: jsonschema fails `type` and `enum`, and nothing else applies."""
    schema = {
        "properties": {
            "p0": {"type": "string", "maxLength": 3},
            "p1": {"enum": ["a"]},
            "p2": {"maxLength": 1},
        }
    }
    stamps = pd.to_datetime(["2026-01-01", None, "2026-02-03"], utc=True)
    frame = frame_of(p0=stamps, p1=stamps, p2=stamps)
    records = [
        {k: (None if pd.isna(v) else v) for k, v in zip(("p0", "p1", "p2"), [t] * 3, strict=True)}
        for t in stamps
    ]
    got = compiled_failures(compile_schema(schema, "google").check(frame), 3)
    assert got == [reference_failures(schema, r) for r in records]
    assert got[0] == Counter({("p0", "invalid-type"): 1, ("p1", "invalid-value"): 1})
