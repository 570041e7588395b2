"""Field templates: per-channel jinja2 templates for title, description, link, custom labels or
any other attribute, e.g. `title = "{{ brand }} {{ title }} - {{ color }}"`.

User templates run in an immutable jinja2 sandbox with StrictUndefined. A template that only
joins columns and literals (optionally through upper, lower, trim, urlencode or add_query) is
recognised from jinja2's own parse tree and computed column-wise with pyarrow instead (about
100x faster, see benchmarks/RESULTS.md); a property test proves both paths give the same text.

Values a template sees are text in both paths: missing is "", money has two decimals, dates
are YYYY-MM-DD, whole numbers have no decimals. After rendering, surrounding whitespace is
trimmed, runs of spaces collapse to one, and an empty result is a missing value.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import jinja2
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import meta, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.filters import do_lower, do_upper, do_urlencode
from jinja2.sandbox import ImmutableSandboxedEnvironment

from feedsync.columns import DATES, FLOAT, INTEGER, MONEY
from feedsync.errors import ConfigError
from feedsync.validation.issues import empty_issues, issues_where
from feedsync.vector import arrow

MAX_RESULT = 100_000  # characters a sandboxed `*` may build
# what str.isspace() is true for (tests/test_field_templates.py checks it against every code
# point; a scan at import cost 90 ms of every run's start)
PYTHON_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_SPACE) + "]"
_TRIM_RE = f"^{_SPACE_CLASS}+|{_SPACE_CLASS}+$"  # exactly what str.strip() removes
TEMPLATE_FIELDS_DIR = "fields"


def add_query(value: Any, query: str) -> str:
    """Append a query string to a URL: `?` or `&` as needed, before any #fragment."""
    value = str(value)
    query = str(query).lstrip("?&")
    if not value or not query:
        return value
    base, hash_, frag = value.partition("#")
    sep = "" if base.endswith(("?", "&")) else ("&" if "?" in base else "?")
    return base + sep + query + hash_ + frag


class _Sandbox(ImmutableSandboxedEnvironment):
    """No attribute tricks, no mutation, and no `"x" * 10**9` memory bombs."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise SecurityError("exponents above 100 are not allowed in templates")
        if operator == "*":
            for seq, k in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(k, int) and len(seq) * k > MAX_RESULT:
                    raise SecurityError(f"a template may not build values longer than {MAX_RESULT} characters")
        return super().call_binop(context, operator, left, right)


_ENV: _Sandbox | None = None


def sandbox() -> _Sandbox:
    global _ENV
    if _ENV is None:
        env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
        env.filters["add_query"] = add_query
        _ENV = env
    return _ENV


def check_syntax(source: str, *, where: str) -> nodes.Template:
    try:
        return sandbox().parse(source)
    except TemplateSyntaxError as e:
        raise ConfigError(
            f"{where}: template syntax error on its line {e.lineno}: {e.message}",
            hint='write columns as {{ column }}, e.g. "{{ brand }} {{ title }}"',
        ) from None


# --------------------------------------------------------------------------- values


def template_text(s: pd.Series, column: str) -> pd.Series:
    """The text a template sees for a column (both paths): missing -> ""."""
    if column in MONEY or (column not in INTEGER + FLOAT + DATES and pd.api.types.is_float_dtype(s.dtype)):
        cents = (s.astype("float64") * 100).round()
        whole = (cents // 100).astype("Int64").astype("str")
        frac = (cents % 100).astype("Int64").astype("str").str.zfill(2)
        out = whole + "." + frac
    elif column in INTEGER or pd.api.types.is_integer_dtype(s.dtype):
        out = s.astype("Int64").astype("str")
    elif column in FLOAT:
        out = s.astype("float64").round(3).astype("str").str.replace(r"\.0$", "", regex=True)
    elif column in DATES or pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.strftime("%Y-%m-%d").astype("str")
    elif pd.api.types.is_bool_dtype(s.dtype):
        out = s.map({True: "true", False: "false"}).astype("str")
    else:
        out = s.astype("str")
    return out.where(s.notna(), "").fillna("").astype("str")


# --------------------------------------------------------------------------- fast path

Arrow: TypeAlias = pa.Array
FastFn: TypeAlias = Callable[[dict[str, Any]], Any]  # columns (+ "__n__": row count) -> array or literal


def _py_map(a: Arrow, fn: Callable[[str], str], *, non_ascii_only: bool) -> Arrow:
    """fn over the distinct values (only the non-ASCII ones if asked): Python per distinct value."""
    mask = pc.invert(pc.string_is_ascii(a)) if non_ascii_only else None
    if mask is not None and not pc.any(mask).as_py():
        return a
    sub = a.filter(mask) if mask is not None else a
    uniq = pc.unique(sub)
    mapped = pa.array([fn(x) for x in uniq.to_pylist()], pa.large_string())
    res = pc.take(mapped, pc.index_in(sub, value_set=uniq))
    return res if mask is None else pc.replace_with_mask(a, mask, res)


def _upper(a: Arrow) -> Arrow:
    return _py_map(pc.ascii_upper(a), do_upper, non_ascii_only=True) if len(a) else a


def _lower(a: Arrow) -> Arrow:
    return _py_map(pc.ascii_lower(a), do_lower, non_ascii_only=True) if len(a) else a


def _trim(a: Arrow) -> Arrow:
    return pc.replace_substring_regex(a, _TRIM_RE, "")


def _urlencode(a: Arrow) -> Arrow:
    return _py_map(a, do_urlencode, non_ascii_only=False) if len(a) else a


def _add_query_fast(a: Arrow, query: str) -> Arrow:
    query = query.lstrip("?&")
    if not query or not len(a):
        return a
    amp, qm, none = (pa.scalar(x, pa.large_string()) for x in ("&", "?", ""))
    if pc.any(pc.match_substring(a, "#")).as_py():  # rare: split off the #fragment (a regex pass)
        parts = pc.extract_regex(a, r"(?s)^(?P<base>[^#]*)(?P<frag>.*)$")
        base, frag = pc.struct_field(parts, "base"), pc.struct_field(parts, "frag")
    else:
        base, frag = a, none
    ends = pc.or_(pc.ends_with(base, "?"), pc.ends_with(base, "&"))
    sep = pc.if_else(ends, none, pc.if_else(pc.match_substring(base, "?"), amp, qm))
    joined = pc.binary_join_element_wise(base, sep, pa.scalar(query, pa.large_string()), frag, none)
    return pc.if_else(pc.equal(a, none), a, joined)


FAST_FILTERS: dict[str, Callable[..., Arrow]] = {
    "upper": _upper,
    "lower": _lower,
    "trim": _trim,
    "urlencode": _urlencode,
}


def _as_array(v: Arrow | str, n: int) -> Arrow:
    if isinstance(v, str):
        return pa.array([v] * n, pa.large_string()) if n else pa.array([], pa.large_string())
    return v


def _literal(text: str) -> FastFn:
    return lambda cols: text


def _column(name: str) -> FastFn:
    return lambda cols: cols[name]


def _concat(parts: list[FastFn]) -> FastFn:
    return lambda cols: _join([p(cols) for p in parts], cols)


def _filtered(fn: Callable[[Arrow], Arrow], inner: FastFn) -> FastFn:
    return lambda cols: _apply(fn, inner(cols), cols)


def _fast(node: nodes.Node) -> FastFn | None:
    """A column-wise function for the expression, or None when it needs the sandbox."""
    if isinstance(node, nodes.TemplateData):
        return _literal(node.data)
    if isinstance(node, nodes.Const):
        if isinstance(node.value, bool) or not isinstance(node.value, str | int | float):
            return None
        return _literal(str(node.value))
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return _column(node.name)
    if isinstance(node, nodes.Concat | nodes.Output):
        parts = [_fast(n) for n in node.nodes]
        if any(p is None for p in parts):
            return None
        return _concat([p for p in parts if p is not None])
    if (
        isinstance(node, nodes.Filter)
        and node.node is not None
        and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
    ):
        inner = _fast(node.node)
        if inner is None:
            return None
        if node.name in FAST_FILTERS and not node.args:
            return _filtered(FAST_FILTERS[node.name], inner)
        if node.name == "add_query" and len(node.args) == 1 and isinstance(node.args[0], nodes.Const):
            query = node.args[0].value
            if isinstance(query, str):
                return _filtered(lambda a: _add_query_fast(a, query), inner)
    return None


def _apply(fn: Callable[[Arrow], Arrow], value: Arrow | str, cols: dict[str, Any]) -> Arrow:
    return fn(_as_array(value, cols["__n__"]))


def _join(parts: list[Arrow | str], cols: dict[str, Any]) -> Arrow | str:
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)  # type: ignore[arg-type]
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    if len(args) == 1:
        return args[0]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))


def _fast_template(tree: nodes.Template) -> FastFn | None:
    if not all(isinstance(n, nodes.Output) for n in tree.body):
        return None
    parts = [_fast(n) for n in tree.body]
    if any(p is None for p in parts):
        return None
    return _concat([p for p in parts if p is not None])


# --------------------------------------------------------------------------- templates


@dataclass
class Rendered:
    values: pd.Series  # str, tidied; NA where empty or failed
    errors: pd.Series  # message per failing row (index subset)


@dataclass
class FieldTemplate:
    field: str
    source: str
    where: str  # e.g. "[channels.google.templates] title" or "rule 3 \"sale\" set title"
    columns: tuple[str, ...]
    template: jinja2.Template
    fast: FastFn | None = None
    origin: str = "config"  # config | default | rule
    template_tree: nodes.Template | None = None
    label: str = ""  # how provenance names it: "[channels.google.templates] title"

    @property
    def identity(self) -> bool:
        """`{{ title }}` for the title field: nothing to do (judged on jinja2's parse tree)."""
        body = self.template_tree.body if self.template_tree is not None else []
        return (
            len(body) == 1
            and isinstance(body[0], nodes.Output)
            and len(body[0].nodes) == 1
            and isinstance(body[0].nodes[0], nodes.Name)
            and body[0].nodes[0].name == self.field
        )

    def render_raw(self, frame: pd.DataFrame, *, fast: bool | None = None) -> tuple[pd.Series, pd.Series]:
        """Rendered text before tidying, and per-row error messages. `fast` forces a path (tests)."""
        texts = {c: template_text(frame[c], c) for c in self.columns}
        use_fast = self.fast is not None if fast is None else fast
        if use_fast:
            if self.fast is None:
                raise ValueError(f"{self.where}: this template has no fast path")
            cols: dict[str, Any] = {c: _flat(pa.array(t.array).cast(pa.large_string())) for c, t in texts.items()}
            cols["__n__"] = len(frame)
            out = _as_array(self.fast(cols), len(frame))
            return pd.Series(out, index=frame.index, dtype="str"), pd.Series(dtype="str")
        return self._render_sandbox(frame.index, texts)

    def _render_sandbox(self, index: pd.Index, texts: dict[str, pd.Series]) -> tuple[pd.Series, pd.Series]:
        names = list(texts)
        lists = [texts[c].tolist() for c in names]
        render = self.template.render
        out: list[str | None] = []
        errors: dict[int, str] = {}
        rows = zip(*lists, strict=True) if names else ([()] * len(index))
        for i, vals in enumerate(rows):
            try:
                out.append(render(dict(zip(names, vals, strict=True))))
            except (SecurityError, UndefinedError, OverflowError) as e:
                raise ConfigError(
                    f"{self.where}: the template is not allowed: {e}",
                    hint="templates may use columns, literals, filters and simple logic; not attributes or methods",
                ) from None
            except Exception as e:  # data-dependent failure (e.g. |int of a text): an issue for that product
                out.append(None)
                errors[i] = f"{type(e).__name__}: {e}"
        err = pd.Series(list(errors.values()), index=index[list(errors)], dtype="str")
        return pd.Series(out, index=index, dtype="str"), err

    def render(self, frame: pd.DataFrame) -> Rendered:
        raw, errors = self.render_raw(frame)
        return Rendered(tidy(raw), errors)


def tidy(s: pd.Series) -> pd.Series:
    """Trim, collapse runs of spaces, empty -> missing (a title of only a separator is no title)."""
    a = arrow(s)
    if pc.any(pc.match_substring(a, "  ")).as_py():
        a = pc.replace_substring_regex(a, " {2,}", " ")
    # only values starting or ending with whitespace go through the (slower) trim regex
    spaces = pa.array(list(PYTHON_SPACE), pa.large_string())
    edge = pc.or_(
        pc.is_in(pc.utf8_slice_codeunits(a, 0, 1), value_set=spaces),
        pc.is_in(pc.utf8_slice_codeunits(a, -1, 2**31 - 1), value_set=spaces),
    ).fill_null(False)
    if pc.any(edge).as_py():
        a = pc.replace_with_mask(a, edge, pc.replace_substring_regex(a.filter(edge), _TRIM_RE, ""))
    a = pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.large_string()), a)
    return pd.Series(a, index=s.index, dtype="str")


def compile_template(
    source: str,
    columns: Collection[str] | None,
    *,
    field: str,
    where: str,
    origin: str = "config",
    label: str | None = None,
) -> FieldTemplate:
    """Parse, check every referenced name is a column (unless `columns` is None: syntax only),
    and pick the fast path when possible."""
    env = sandbox()
    tree = check_syntax(source, where=where)
    names = meta.find_undeclared_variables(tree) - set(env.globals)
    unknown = sorted(n for n in names if columns is not None and n not in columns)
    if unknown:
        close = difflib.get_close_matches(unknown[0], [] if columns is None else list(columns), n=1)
        raise ConfigError(
            f"{where}: the template uses {{{{ {unknown[0]} }}}}, which is not a column"
            + (f" (did you mean {close[0]}?)" if close else ""),
            hint="valid columns: "
            + ", ".join(sorted(c for c in ([] if columns is None else list(columns)) if not c.startswith("_"))),
        )
    return FieldTemplate(
        field=field,
        source=source,
        where=where,
        columns=tuple(sorted(names)),
        template=env.from_string(tree),
        fast=_fast_template(tree),
        origin=origin,
        template_tree=tree,
        label=label or where,
    )


@dataclass
class TemplateResult:
    frame: pd.DataFrame
    issues: pd.DataFrame
    provenance: pd.DataFrame
    rendered: dict[str, int] = field(default_factory=dict)  # field -> products it filled


def default_templates(channel: str) -> dict[str, str]:
    """templates/fields/<channel>/<field>.j2: what a channel sends when feedsync.toml says nothing."""
    from feedsync.resources import data_dir

    folder = data_dir("templates") / TEMPLATE_FIELDS_DIR / channel
    if not folder.is_dir():
        return {}
    return {p.stem: p.read_text(encoding="utf-8").rstrip("\n") for p in sorted(folder.glob("*.j2"))}


def channel_templates(
    channel: str, configured: dict[str, str], columns: Collection[str], *, config_file: str = "feedsync.toml"
) -> list[FieldTemplate]:
    """The channel's templates (configured ones win over the defaults), identity templates dropped."""
    out = []
    merged = {
        **{k: ("default", v) for k, v in default_templates(channel).items()},
        **{k: ("config", v) for k, v in configured.items()},
    }
    for fld, (origin, source) in merged.items():
        label = (
            f"[channels.{channel}.templates] {fld}"
            if origin == "config"
            else f"templates/{TEMPLATE_FIELDS_DIR}/{channel}/{fld}.j2"
        )
        where = f"{config_file}: {label}" if origin == "config" else label
        if compile_template(source, None, field=fld, where=where, origin=origin).identity:
            continue  # `{{ title }}` for title: nothing to do
        out.append(compile_template(source, columns, field=fld, where=where, origin=origin, label=label))
    return out


def apply_templates(
    frame: pd.DataFrame,
    templates: Iterable[FieldTemplate],
    *,
    channel: str,
    trace: Collection[str] | None = None,
) -> TemplateResult:
    """Every template reads the frame as it was before any of them ran; returns a copy."""
    from feedsync.overrides import PROVENANCE_COLUMNS

    out = frame.copy(deep=False)
    issues, prov = [], []
    rendered: dict[str, int] = {}
    results = [(t, t.render(frame)) for t in templates]
    traced = _traced(frame, trace)
    for t, r in results:
        out[t.field] = r.values
        rendered[t.field] = int(r.values.notna().sum())
        if len(r.errors):
            failed = pd.Series(frame.index.isin(r.errors.index), index=frame.index)
            issues.append(
                issues_where(
                    frame,
                    failed,
                    code="template-error",
                    field=t.field,
                    channel=channel,
                    value=pd.Series(t.source, index=frame.index, dtype="str"),
                    message="the "
                    + t.field
                    + " template failed for this product ("
                    + r.errors.reindex(frame.index)
                    + ")",
                )
            )
        ids = frame.loc[traced, "id"]
        if len(ids):
            prov.append(
                pd.DataFrame(
                    {
                        "sku": ids.to_numpy(),
                        "channel": channel,
                        "field": t.field,
                        "source": f"template {t.label} = {t.source}",
                        "row": pd.array([pd.NA] * len(ids), dtype="Int64"),
                    }
                )
            )
    from feedsync.validation.issues import concat_issues

    return TemplateResult(
        out,
        concat_issues(issues) if issues else empty_issues(),
        pd.concat(prov, ignore_index=True)[PROVENANCE_COLUMNS] if prov else empty_provenance(),
        rendered,
    )


def _traced(frame: pd.DataFrame, trace: Collection[str] | None) -> np.ndarray:
    if trace is None:
        return np.ones(len(frame), dtype=bool)
    if not trace:
        return np.zeros(len(frame), dtype=bool)
    return frame["id"].isin(list(trace)).to_numpy(dtype=bool, na_value=False)


_EMPTY_PROVENANCE: pd.DataFrame | None = None


def empty_provenance() -> pd.DataFrame:
    global _EMPTY_PROVENANCE
    if _EMPTY_PROVENANCE is None:
        from feedsync.overrides import PROVENANCE_COLUMNS

        _EMPTY_PROVENANCE = pd.DataFrame(
            {c: pd.Series(dtype="Int64" if c == "row" else "str") for c in PROVENANCE_COLUMNS}
        )
    return _EMPTY_PROVENANCE.copy()


def _flat(a: Any) -> Any:
    """One contiguous array: pyarrow kernels pay per chunk."""
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a
