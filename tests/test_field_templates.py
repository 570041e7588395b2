"""Field templates: the sandbox, the vectorised fast path (proved equal to the sandbox by a
property test), channel defaults, and configuration."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import write_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsync.config import load_config
from feedsync.errors import ConfigError
from feedsync.field_templates import (
    PYTHON_SPACE,
    add_query,
    apply_templates,
    channel_templates,
    compile_template,
    default_templates,
    template_text,
    tidy,
)

COLUMNS = ["id", "brand", "title", "color", "link", "price", "quantity", "sale_price_end", "_row"]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_row": pd.array([1, 2, 3], dtype="Int64"),
            "id": pd.Series(["A", "B", "C"], dtype="str"),
            "brand": pd.Series(["Acme", None, "Høyfjell"], dtype="str"),
            "title": pd.Series(["Rain Jacket", "Cap", "Straße Sock"], dtype="str"),
            "color": pd.Series(["Red", None, ""], dtype="str"),
            "link": pd.Series(["https://s.example/p/a", "https://s.example/p/b?v=1#top", None], dtype="str"),
            "price": [19.9, np.nan, 5.0],
            "quantity": pd.array([3, None, 0], dtype="Int64"),
            "sale_price_end": pd.to_datetime(["2026-12-24", None, "2027-01-02T15:00:00Z"], utc=True, format="ISO8601"),
        }
    )


def render(source: str, frame: pd.DataFrame, fast: bool | None = None) -> list:
    t = compile_template(source, frame.columns, field="title", where="test")
    raw, errors = t.render_raw(frame, fast=fast)
    assert errors.empty
    return raw.tolist()


def test_concatenation_takes_the_fast_path_and_matches_the_sandbox(frame):
    source = "{{ brand }} {{ title }} - {{ color }}"
    t = compile_template(source, frame.columns, field="title", where="test")
    assert t.fast is not None
    assert render(source, frame, fast=True) == render(source, frame, fast=False) == [
        "Acme Rain Jacket - Red",
        " Cap - ",
        "Høyfjell Straße Sock - ",
    ]
    assert t.render(frame).values.tolist() == ["Acme Rain Jacket - Red", "Cap -", "Høyfjell Straße Sock -"]


@pytest.mark.parametrize(
    "source",
    [
        "{{ brand|upper }} {{ title|lower }}",
        "{{ (brand ~ ' ' ~ title)|upper|trim }}",
        "{{ title|urlencode }}",
        "{{ link|add_query('utm_source=google&utm_medium=cpc') }}",
        "{{ link|add_query('?utm_campaign=' ) }}{{ 5 }}{{ 'x' }}",
        "plain text only",
        "",
    ],
)
def test_fast_path_filters_match_the_sandbox(frame, source):
    t = compile_template(source, frame.columns, field="title", where="test")
    assert t.fast is not None, source
    assert render(source, frame, fast=True) == render(source, frame, fast=False)


@pytest.mark.parametrize(
    "source",
    [
        "{% if brand %}{{ brand }} {% endif %}{{ title }}",
        "{{ title if brand else 'n/a' }}",
        "{{ title|replace('a', 'b') }}",
        "{{ title|truncate(10) }}",
        "{{ title[:3] }}",
        "{% for w in title.split() %}{{ w }}{% endfor %}",
        "{{ brand|default('x') }}",
    ],
)
def test_anything_else_renders_in_the_sandbox(frame, source):
    t = compile_template(source, frame.columns, field="title", where="test")
    assert t.fast is None
    assert len(t.render(frame).values) == 3


def test_template_values_are_text_formatted_the_same_on_both_paths(frame):
    assert template_text(frame["price"], "price").tolist() == ["19.90", "", "5.00"]
    assert template_text(frame["quantity"], "quantity").tolist() == ["3", "", "0"]
    assert template_text(frame["sale_price_end"], "sale_price_end").tolist() == ["2026-12-24", "", "2027-01-02"]
    assert render("{{ title }}: {{ price }} ({{ quantity }} left, until {{ sale_price_end }})", frame) == [
        "Rain Jacket: 19.90 (3 left, until 2026-12-24)",
        "Cap:  ( left, until )",
        "Straße Sock: 5.00 (0 left, until 2027-01-02)",
    ]


def test_tidy_trims_collapses_spaces_and_makes_empty_missing():
    s = pd.Series(["  a  b ", " ", "", None, "x\n\ny"], dtype="str")
    assert tidy(s).tolist()[:1] == ["a b"]
    assert tidy(s).isna().tolist() == [False, True, True, True, False]
    assert tidy(s).tolist()[4] == "x\n\ny"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://s/p", "https://s/p?utm_source=g"),
        ("https://s/p?v=1", "https://s/p?v=1&utm_source=g"),
        ("https://s/p?", "https://s/p?utm_source=g"),
        ("https://s/p?v=1&", "https://s/p?v=1&utm_source=g"),
        ("https://s/p#frag", "https://s/p?utm_source=g#frag"),
        ("https://s/p?v=1#a?b", "https://s/p?v=1&utm_source=g#a?b"),
        ("", ""),
    ],
)
def test_add_query_appends_utm_parameters(url, expected):
    assert add_query(url, "utm_source=g") == expected
    frame = pd.DataFrame({"link": pd.Series([url], dtype="str")})
    assert render("{{ link|add_query('utm_source=g') }}", frame, fast=True) == [expected]


# --------------------------------------------------------------------------- property test

_TEXT = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["ß", "ﬁ", " x ", "\u2003y\u3000", "İ", "a#b?c", ""]))
_COLS = ["a", "b", "c"]


@st.composite
def _expr(draw, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["col", "lit", "concat", "filter", "query"] if depth < 2 else ["col", "lit"]))
    if kind == "col":
        return draw(st.sampled_from(_COLS))
    if kind == "lit":
        return repr(draw(st.text(alphabet=st.characters(exclude_characters="{}%#'\\", exclude_categories=("Cs",)), max_size=5)))
    if kind == "concat":
        return f"({draw(_expr(depth + 1))} ~ {draw(_expr(depth + 1))})"
    if kind == "query":
        return f"({draw(_expr(depth + 1))})|add_query('utm_source=x&y=1')"
    return f"({draw(_expr(depth + 1))})|{draw(st.sampled_from(['upper', 'lower', 'trim', 'urlencode']))}"


@st.composite
def _template(draw) -> str:
    parts = draw(st.lists(st.one_of(
        _expr().map(lambda e: "{{ " + e + " }}"),
        st.text(alphabet=st.characters(exclude_characters="{}%#", exclude_categories=("Cs",)), max_size=6),
    ), min_size=1, max_size=4))
    return "".join(parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_template(), rows=st.lists(st.tuples(_TEXT, _TEXT, _TEXT), min_size=0, max_size=8))
def test_fast_path_equals_sandbox_render_on_generated_frames(source, rows):
    frame = pd.DataFrame({c: pd.Series([r[i] for r in rows], dtype="str") for i, c in enumerate(_COLS)})
    t = compile_template(source, _COLS, field="title", where="property")
    assert t.fast is not None, source
    fast, _ = t.render_raw(frame, fast=True)
    slow, errors = t.render_raw(frame, fast=False)
    assert errors.empty
    assert fast.tolist() == slow.tolist(), source
    assert tidy(fast).tolist() == tidy(slow).tolist()


# --------------------------------------------------------------------------- safety and errors


@pytest.mark.parametrize(
    "source",
    [
        "{{ title.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ 'x' * 1000000 }}",
        "{{ 2 ** 100000 }}",
        "{% for i in range(1000000) %}x{% endfor %}",
        "{{ title.foo }}",
    ],
)
def test_sandbox_refuses_attribute_tricks_and_resource_bombs(frame, source):
    t = compile_template(source, frame.columns, field="title", where="[channels.google.templates] title")
    with pytest.raises(ConfigError, match=r"\[channels.google.templates\] title: the template is not allowed"):
        t.render(frame)


def test_data_dependent_failures_are_per_product_errors(frame):
    t = compile_template("{{ (price|float) / (quantity|int) }}", frame.columns, field="custom_label_0", where="t")
    r = t.render(frame)
    assert r.values.tolist()[0] == "6.633333333333333"
    assert r.errors.index.tolist() == [1, 2]
    assert "ZeroDivisionError" in r.errors.iloc[0]
    result = apply_templates(frame, [t], channel="google")
    assert result.issues["code"].tolist() == ["template-error", "template-error"]
    assert result.issues["severity"].tolist() == ["error", "error"]
    assert result.issues["sku"].tolist() == ["B", "C"]


def test_unknown_columns_and_syntax_errors_are_config_errors(frame):
    with pytest.raises(ConfigError, match=r"uses \{\{ titel \}\}, which is not a column \(did you mean title\?\)") as e:
        compile_template("{{ titel }}", frame.columns, field="title", where="t")
    assert "brand" in e.value.hint and "_row" not in e.value.hint
    with pytest.raises(ConfigError, match="template syntax error on its line 1"):
        compile_template("{{ title ", frame.columns, field="title", where="t")


def test_apply_templates_returns_a_copy_with_provenance(frame):
    t = compile_template("{{ brand }} {{ title }}", frame.columns, field="title", where="[channels.meta.templates] title")
    result = apply_templates(frame, [t], channel="meta", trace={"A"})
    assert result.frame["title"].tolist() == ["Acme Rain Jacket", "Cap", "Høyfjell Straße Sock"]
    assert frame["title"].tolist()[0] == "Rain Jacket"
    assert result.provenance[["sku", "channel", "field"]].values.tolist() == [["A", "meta", "title"]]
    assert result.provenance["source"].iloc[0] == "template [channels.meta.templates] title = {{ brand }} {{ title }}"
    assert result.rendered == {"title": 3}


def test_default_templates_are_identity_and_skipped():
    for channel in ("google", "meta", "amazon"):
        assert default_templates(channel) == {"title": "{{ title }}", "description": "{{ description }}",
                                              "link": "{{ link }}"}
        assert channel_templates(channel, {}, COLUMNS) == []
    got = channel_templates("google", {"title": "{{ brand }} {{ title }}", "custom_label_0": "{{ color|lower }}"},
                            COLUMNS)
    assert {(t.field, t.origin) for t in got} == {("title", "config"), ("custom_label_0", "config")}


def test_config_templates_table(tmp_path):
    toml = (
        '[catalog]\npath = "catalog.csv"\n\n[channels.google]\n\n[channels.google.templates]\n'
        'title = "{{ brand }} {{ title }} - {{ color }}"\n'
        "link = \"{{ link|add_query('utm_source=google') }}\"\n"
    )
    config = load_config(write_project(tmp_path / "ok", "id\nA\n", toml))
    assert config.channels["google"].templates["title"] == "{{ brand }} {{ title }} - {{ color }}"
    with pytest.raises(ConfigError, match=r"\[channels.google.templates\] title: template syntax error"):
        load_config(write_project(tmp_path / "bad", "id\nA\n", toml.replace("{{ color }}", "{{ color")))
    with pytest.raises(ConfigError, match="'id' is not a field a template can fill"):
        load_config(write_project(tmp_path / "id", "id\nA\n", toml + 'id = "{{ id }}x"\n'))
    with pytest.raises(ConfigError, match="must be a template string"):
        load_config(write_project(tmp_path / "num", "id\nA\n", toml + "custom_label_0 = 5\n"))


def test_python_space_is_what_str_isspace_accepts():
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == PYTHON_SPACE
