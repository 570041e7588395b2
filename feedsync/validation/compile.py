"""Compile a channel's JSON Schema into vectorised column checks.

The schema in channel_specs/ stays the single source of truth for field rules; running
jsonschema once per record is ~100x too slow for a million rows, so each keyword becomes a
column operation (pyarrow / numpy) with the exact verdict of `jsonschema.Draft202012Validator`
(a property test holds the two together). Keywords this module does not enforce are refused at
compile time, so a schema can never carry a rule that is silently ignored.

Conventions: NA in a property column means the property is absent (only `required` applies);
a column missing from the frame counts as all-absent. `x-code` replaces the keyword's issue
code for failures of the property's value (an absent required value stays `missing-required`),
`x-severity` applies to every issue about the property, `x-fix` is appended to the message.
Values in object-dtype columns are taken as their JSON equivalents (numpy scalars as Python
numbers); values with no JSON equivalent are checked by jsonschema itself, one at a time.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.validation.codes import CODES
from feedsync.validation.issues import empty_issues, issues_where

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

_TOP_KEYWORDS = {"$schema", "$id", "$comment", "title", "description", "examples", "default"}
_TOP_KEYWORDS |= {"type", "properties", "required", "additionalProperties"}
_ANNOTATIONS = {"title", "description", "$comment", "examples", "default", "x-code", "x-severity", "x-fix"}
_NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
# Order in which a property's keywords are checked and reported.
_VALUE_KEYWORDS = ("type", "const", "enum", "minLength", "maxLength", "pattern", *_NUMERIC_KEYWORDS)
_TYPES = ("string", "integer", "number", "boolean")

DEFAULT_CODES = {
    "required": "missing-required",
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

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_SHOWN_CHARS = 60  # offending values quoted in messages are cut to this length
_ENUM_SHOWN = 8

# Value kinds of a column cell.
# _SLOW: checked by jsonschema one value at a time; _DATETIME: no JSON type at all (checked in bulk).
_MISSING, _STR, _BOOL, _INT, _FLOAT, _SLOW, _DATETIME = range(7)
_KIND_WORDS = np.array(
    ["", "text", "true/false", "a whole number", "a number", "a value of another type", "a date/time"]
)
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


# --------------------------------------------------------------------------- regex


class _Untranslatable(Exception):
    pass


_UNICODE_SIZE = 0x110000
_SURROGATES = slice(0xD800, 0xE000)


@functools.cache
def _category_members() -> dict[Any, np.ndarray]:
    """Exactly which code points Python's \\d \\D \\s \\S \\w \\W match, asked of `re` itself.

    Spelling these sets out as explicit ranges keeps the RE2 pattern independent of RE2's own
    (ASCII-only, or differently versioned) idea of digits, spaces and word characters.
    """
    import re._constants as c

    everything = np.arange(_UNICODE_SIZE, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    out: dict[Any, np.ndarray] = {}
    for cat, negated, runs in (
        (c.CATEGORY_DIGIT, c.CATEGORY_NOT_DIGIT, r"\d+"),
        (c.CATEGORY_SPACE, c.CATEGORY_NOT_SPACE, r"\s+"),
        (c.CATEGORY_WORD, c.CATEGORY_NOT_WORD, r"\w+"),
    ):
        members = np.zeros(_UNICODE_SIZE, dtype=bool)
        for m in re.finditer(runs, everything):
            members[m.start() : m.end()] = True
        out[cat], out[negated] = members, ~members
    return out


def _re2_char(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:  # lone surrogates cannot be UTF-8 encoded
        raise _Untranslatable
    return f"\\x{{{code:x}}}"


def _re2_class(members: np.ndarray) -> str:
    """An RE2 class of exactly the code points set in `members` (one that never matches if none)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], members.astype(np.int8), [0]))))
    if not len(edges):
        return "[^\\x{0}-\\x{10ffff}]"
    parts = [
        _re2_char(int(lo)) + ("" if lo == hi else "-" + _re2_char(int(hi)))
        for lo, hi in zip(edges[::2], edges[1::2] - 1, strict=True)
    ]
    return "[" + "".join(parts) + "]"


@functools.lru_cache(maxsize=256)
def _char_class(items: tuple[tuple[Any, Any], ...], ascii_subjects: bool) -> str:
    """RE2 for one parsed Python class (`[...]`, `\\d`, ...): the code points it matches, spelled out."""
    import re._constants as c

    size = 128 if ascii_subjects else _UNICODE_SIZE
    members = np.zeros(size, dtype=bool)
    negate = False
    for op, av in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.LITERAL:
            if av < size:
                members[av] = True
        elif op is c.RANGE:
            members[av[0] : av[1] + 1] = True
        elif op is c.CATEGORY and av in _category_members():
            members |= _category_members()[av][:size]
        else:
            raise _Untranslatable
    if negate:
        members = ~members
    if not ascii_subjects:
        members[_SURROGATES] = False  # Arrow strings are UTF-8: they hold no surrogates
    return _re2_class(members)


def to_re2(pattern: str, *, ascii_subjects: bool) -> str | None:
    """RE2 syntax with the same search verdict as Python's `re.search(pattern, s)`, or None.

    With `ascii_subjects=False` the result holds for every string; \\b and \\B (Unicode word
    boundaries in Python, ASCII ones in RE2) are then refused. With True it holds for ASCII
    strings only. Classes, including \\d \\s \\w, become the explicit code point sets Python
    matches. Only constructs whose meaning is the same in both engines are translated: literals,
    classes, `.`, groups, alternation, repeats up to 1000, ^ \\A \\Z, and `$` where nothing
    follows it (Python's `$` also matches before a final newline, so it becomes `\\n?\\z`).
    Flags, look-arounds, back-references and possessive repeats give None.
    """
    try:
        import re._constants as c
        import re._parser as sre_parse

        tree = sre_parse.parse(pattern)
        if tree.state.flags & ~(c.SRE_FLAG_UNICODE | c.SRE_FLAG_VERBOSE):
            return None

        def seq(items: Any, tail: bool) -> str:
            items = list(items)
            return "".join(node(op, av, tail and i == len(items) - 1) for i, (op, av) in enumerate(items))

        def char_class(items: list[tuple[Any, Any]]) -> str:
            return _char_class(tuple(items), ascii_subjects)

        def node(op: Any, av: Any, tail: bool) -> str:
            if op is c.LITERAL:
                return _re2_char(av)
            if op is c.NOT_LITERAL:
                return "[^" + _re2_char(av) + "]"
            if op is c.ANY:
                return "[^\\n]"
            if op is c.IN:
                return char_class(av)
            if op is c.BRANCH:
                return "(?:" + "|".join(seq(alt, tail) for alt in av[1]) + ")"
            if op is c.SUBPATTERN:
                _group, add_flags, del_flags, body = av
                if add_flags or del_flags:
                    raise _Untranslatable
                return "(?:" + seq(body, tail) + ")"
            if op in (c.MAX_REPEAT, c.MIN_REPEAT):
                lo, hi, body = av
                unbounded = hi is c.MAXREPEAT
                if lo > 1000 or (not unbounded and hi > 1000):
                    raise _Untranslatable
                quant = f"{{{lo},}}" if unbounded else (f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}")
                return "(?:" + seq(body, False) + ")" + quant + ("?" if op is c.MIN_REPEAT else "")
            if op is c.AT:
                if av is c.AT_BEGINNING:
                    return "^"
                if av is c.AT_BEGINNING_STRING:
                    return "\\A"
                if av is c.AT_END_STRING:
                    return "\\z"
                if av is c.AT_END and tail:
                    return "(?:\\n?\\z)"
                if ascii_subjects and av is c.AT_BOUNDARY:
                    return "\\b"
                if ascii_subjects and av is c.AT_NON_BOUNDARY:
                    return "\\B"
            raise _Untranslatable

        out = seq(tree, True)
        pc.match_substring_regex(pa.array([""]), pattern=out)  # RE2 must accept it
        return out
    except Exception:  # noqa: BLE001 - anything unexpected means "use Python's re"
        return None


@dataclass(frozen=True)
class _Pattern:
    source: str
    regex: re.Pattern[str]
    re2_any: str | None  # valid for every string
    re2_ascii: str | None  # valid for ASCII strings

    @classmethod
    def build(cls, source: str) -> _Pattern:
        regex = re.compile(source)
        re2_any = to_re2(source, ascii_subjects=False)
        re2_ascii = None if re2_any is not None else to_re2(source, ascii_subjects=True)
        return cls(source, regex, re2_any, re2_ascii)

    def search(self, strings: pa.Array, rows: np.ndarray) -> np.ndarray:
        """Whether the pattern is found in each string, for the positions where `rows` is true."""
        found = np.zeros(len(strings), dtype=bool)
        if not rows.any():
            return found
        todo = rows.copy()
        fast = self.re2_any or self.re2_ascii
        if fast is not None:
            found = _bools(pc.match_substring_regex(strings, pattern=fast))
            if self.re2_any is not None:
                return found
            todo &= ~_bools(pc.string_is_ascii(strings))
        where = np.flatnonzero(todo)
        if len(where):
            search = self.regex.search
            found[where] = [search(s) is not None for s in strings.take(pa.array(where)).to_pylist()]
        return found


# --------------------------------------------------------------------------- columns


def _bools(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


@dataclass
class _Column:
    """One property column split by JSON kind, with typed arrays for the vectorised checks."""

    kind: np.ndarray  # int8 codes _MISSING, _STR, ...
    strings: pa.Array | None = None  # null where kind != _STR
    bools: np.ndarray | None = None
    ints: np.ndarray | None = None  # int64
    floats: np.ndarray | None = None  # float64
    objects: np.ndarray | None = None  # the raw values, for object-dtype columns only
    series: pd.Series | None = None

    def has(self, kind: int) -> np.ndarray:
        return self.kind == kind


def _is_text_dtype(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


def _column(series: pd.Series) -> _Column:
    dtype = series.dtype
    if _is_text_dtype(dtype):
        try:
            strings = pa.array(series)
        except (pa.ArrowException, UnicodeError):
            return _object_column(series)
        if isinstance(strings, pa.ChunkedArray):  # streamed batches may arrive in chunks
            strings = strings.combine_chunks()
        kind = np.where(_bools(strings.is_valid()), _STR, _MISSING).astype(np.int8)
        return _Column(kind, strings=strings, series=series)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        present = series.notna().to_numpy(dtype=bool)
        return _Column(np.where(present, _DATETIME, _MISSING).astype(np.int8), series=series)
    if pd.api.types.is_bool_dtype(dtype):
        present = series.notna().to_numpy(dtype=bool)
        bools = series.to_numpy(dtype=bool, na_value=False)
        return _Column(np.where(present, _BOOL, _MISSING).astype(np.int8), bools=bools, series=series)
    if pd.api.types.is_integer_dtype(dtype):
        present = series.notna().to_numpy(dtype=bool)
        if pd.api.types.is_unsigned_integer_dtype(dtype) and present.any() and series.max() > _INT64_MAX:
            return _object_column(series)
        ints = series.to_numpy(dtype=np.int64, na_value=0)
        return _Column(np.where(present, _INT, _MISSING).astype(np.int8), ints=ints, series=series)
    if pd.api.types.is_float_dtype(dtype):
        floats = series.to_numpy(dtype=np.float64, na_value=np.nan)
        kind = np.where(np.isnan(floats), _MISSING, _FLOAT).astype(np.int8)
        return _Column(kind, floats=floats, series=series)
    return _object_column(series)


def _object_column(series: pd.Series) -> _Column:
    """Per-value classification: the only place that looks at values one by one."""
    values = series.astype(object).to_numpy(dtype=object)
    n = len(values)
    kind = np.zeros(n, dtype=np.int8)
    bools = np.zeros(n, dtype=bool)
    ints = np.zeros(n, dtype=np.int64)
    floats = np.zeros(n, dtype=np.float64)
    strs: list[str | None] = [None] * n
    for i, v in enumerate(values):
        if isinstance(v, str):
            kind[i], strs[i] = _STR, str(v)
        elif isinstance(v, (bool, np.bool_)):
            kind[i], bools[i] = _BOOL, bool(v)
        elif isinstance(v, (int, np.integer)):
            if _INT64_MIN <= v <= _INT64_MAX:
                kind[i], ints[i] = _INT, int(v)
            else:
                kind[i] = _SLOW
        elif isinstance(v, (float, np.floating)):
            if v == v:
                kind[i], floats[i] = _FLOAT, float(v)
        elif v is None or v is pd.NA or _is_na_scalar(v):
            pass
        else:
            kind[i] = _SLOW
    strings = None
    if (kind == _STR).any():
        try:
            strings = pa.array(strs, type=pa.large_string())
        except (pa.ArrowException, UnicodeError):
            for i in np.flatnonzero(kind == _STR).tolist():
                try:
                    strs[i].encode("utf-8")  # type: ignore[union-attr]
                except UnicodeError:
                    kind[i], strs[i] = _SLOW, None
            strings = pa.array(strs, type=pa.large_string())
    return _Column(kind, strings=strings, bools=bools, ints=ints, floats=floats, objects=values, series=series)


def _is_na_scalar(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- exact comparisons


def _compare(values: np.ndarray, op: str, limit: int | float) -> np.ndarray:
    """`values <op> limit` with Python's exact int/float semantics (what jsonschema computes)."""
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    if isinstance(limit, float) and not math.isfinite(limit):
        return ops[op](values, limit)
    if values.dtype.kind == "i":
        # int vs number: move the limit to the integer that gives the same answer.
        bound = math.ceil(limit) if op in ("<", ">=") else math.floor(limit)
        if bound > _INT64_MAX:
            return np.full(len(values), op in ("<", "<="))
        if bound < _INT64_MIN:
            return np.full(len(values), op in (">", ">="))
        return ops[op](values, np.int64(bound))
    if isinstance(limit, float):
        return ops[op](values, limit)
    try:
        near = float(limit)
    except OverflowError:
        near = math.inf if limit > 0 else -math.inf
    if near == limit:
        return ops[op](values, near)
    # The int lies strictly between two floats lo < limit < hi.
    lo, hi = (math.nextafter(near, -math.inf), near) if near > limit else (near, math.nextafter(near, math.inf))
    if op in ("<", "<="):
        return np.less_equal(values, lo)
    return np.greater_equal(values, hi)


def _member(col: _Column, members: list[Any]) -> np.ndarray:
    """Whether each value equals one of `members` the way jsonschema compares (1 == 1.0, True != 1)."""
    hit = np.zeros(len(col.kind), dtype=bool)
    texts = [m for m in members if isinstance(m, str)]
    bools = [m for m in members if isinstance(m, bool)]
    numbers = [m for m in members if isinstance(m, (int, float)) and not isinstance(m, bool)]
    if col.strings is not None and texts:
        try:
            value_set = pa.array(texts, type=col.strings.type)
            hit |= _bools(pc.is_in(col.strings, value_set=value_set))
        except (pa.ArrowException, UnicodeError):
            wanted = set(texts)
            hit |= np.array([s in wanted for s in col.strings.to_pylist()], dtype=bool)
    if col.bools is not None and bools:
        hit |= col.has(_BOOL) & np.isin(col.bools, np.array(bools, dtype=bool))
    if col.ints is not None and numbers:
        ints = {int(m) for m in numbers if isinstance(m, int) or m.is_integer()}
        whole = [m for m in ints if _INT64_MIN <= m <= _INT64_MAX]
        if whole:
            hit |= col.has(_INT) & np.isin(col.ints, np.array(whole, dtype=np.int64))
    if col.floats is not None and numbers:
        exact = [float(m) for m in numbers if isinstance(m, float) or _float_exact(m)]
        if exact:
            hit |= col.has(_FLOAT) & np.isin(col.floats, np.array(exact, dtype=np.float64))
    return hit


def _float_exact(m: int) -> bool:
    try:
        return float(m) == m
    except OverflowError:
        return False


# --------------------------------------------------------------------------- rules


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class _Property:
    name: str
    schema: dict[str, Any]
    types: frozenset[str] | None
    pattern: _Pattern | None
    code: str | None
    severity: str | None
    fix: str | None
    description: str | None

    def code_for(self, keyword: str) -> str:
        return self.code or DEFAULT_CODES[keyword]


def _compile_property(name: str, schema: Any, channel: str) -> _Property:
    where = f"{channel} schema, property {name!r}"
    if not isinstance(schema, dict):
        raise ValueError(f"{where}: the property schema must be an object, not {schema!r}")
    for key in schema:
        if key not in _VALUE_KEYWORDS and key not in _ANNOTATIONS:
            raise ValueError(
                f"{where}: keyword {key!r} is not supported by feedsync's schema compiler, so it would "
                f"not be enforced; supported: {', '.join(_VALUE_KEYWORDS)} "
                f"(annotations: {', '.join(sorted(_ANNOTATIONS))})"
            )
    types = None
    if "type" in schema:
        declared = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        unknown = [t for t in declared if t not in _TYPES]
        if unknown:
            raise ValueError(f"{where}: type {unknown[0]!r} is not supported; use {', '.join(_TYPES)}")
        types = frozenset(declared)
    pattern = None
    if "pattern" in schema:
        try:
            pattern = _Pattern.build(schema["pattern"])
        except re.error as e:
            raise ValueError(f"{where}: pattern {schema['pattern']!r} is not a valid regex: {e}") from None
    code = schema.get("x-code")
    if code is not None and code not in CODES:
        raise ValueError(f"{where}: x-code {code!r} is not a declared issue code (feedsync/validation/codes.py)")
    severity = schema.get("x-severity")
    if severity is not None and severity not in ("error", "warning"):
        raise ValueError(f"{where}: x-severity must be 'error' or 'warning', not {severity!r}")
    fix = schema.get("x-fix")
    if fix is not None and not isinstance(fix, str):
        raise ValueError(f"{where}: x-fix must be a string")
    description = schema.get("description")
    return _Property(
        name=name,
        schema=schema,
        types=types,
        pattern=pattern,
        code=code,
        severity=severity,
        fix=fix,
        description=description if isinstance(description, str) and description else None,
    )


def compile_schema(schema: dict[str, Any], channel: str) -> CompiledSchema:
    """Compile one channel's record schema; raises ValueError for anything it cannot enforce."""
    if not isinstance(schema, dict):
        raise ValueError(f"{channel} schema: must be a JSON object")
    if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        raise ValueError(f"{channel} schema: $schema must be {DRAFT_2020_12!r}, not {schema['$schema']!r}")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise ValueError(f"{channel} schema: not a valid Draft 2020-12 schema: {e.message}") from None
    for key in schema:
        if key not in _TOP_KEYWORDS:
            raise ValueError(
                f"{channel} schema: top-level keyword {key!r} is not supported by feedsync's schema "
                f"compiler, so it would not be enforced; supported: {', '.join(sorted(_TOP_KEYWORDS))}"
            )
    if schema.get("type", "object") != "object":
        raise ValueError(f"{channel} schema: a record schema must have type 'object'")
    additional = schema.get("additionalProperties", True)
    if not isinstance(additional, bool):
        raise ValueError(f"{channel} schema: additionalProperties must be true or false")
    props = schema.get("properties", {})
    compiled = tuple(_compile_property(name, sub, channel) for name, sub in props.items())
    return CompiledSchema(
        channel=channel,
        properties=tuple(props),
        required=tuple(dict.fromkeys(schema.get("required", []))),
        additional_properties=additional,
        _rules=compiled,
    )


def load_schema(path: str | Path) -> dict[str, Any]:
    """Read a channel schema file and check it is a valid Draft 2020-12 schema."""
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        where = "/".join(str(p) for p in e.path) or "(top level)"
        raise ValueError(f"{path}: not a valid Draft 2020-12 schema at {where}: {e.message}") from None
    return schema


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class CompiledSchema:
    channel: str
    properties: tuple[str, ...]
    required: tuple[str, ...] = ()
    additional_properties: bool = True
    _rules: tuple[_Property, ...] = field(default=(), repr=False)

    def check(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Issues (ISSUE_COLUMNS) for every record of `frame` that breaks the schema.

        `frame` holds one column per property plus `_row` and `id`; see the module docstring.
        """
        parts: list[_Batch | None] = []
        n = len(frame)
        if n == 0:
            return empty_issues()
        rules = {r.name: r for r in self._rules}
        for name in self.required:
            absent = frame[name].isna().to_numpy(dtype=bool) if name in frame else np.ones(n, dtype=bool)
            rule = rules.get(name)
            parts.append(
                self._issues(
                    frame,
                    absent,
                    name,
                    None,
                    code="missing-required",
                    severity=rule.severity if rule else None,
                    message=f"{name} is missing; {self.channel} requires it",
                    fix=rule.fix if rule else None,
                )
            )
        for rule in self._rules:
            if rule.name in frame:
                parts.extend(self._check_property(frame, rule))
        if not self.additional_properties:
            parts.extend(self._check_additional(frame))
        return self._assemble(frame, [b for b in parts if b is not None])

    def _assemble(self, frame: pd.DataFrame, batches: list[_Batch]) -> pd.DataFrame:
        """One issues_where() call for all batches: its cost is per call, not per issue."""
        if not batches:
            return empty_issues()
        where = np.concatenate([b.where for b in batches])
        counts = [len(b.where) for b in batches]
        ids = frame["id"].array[where] if "id" in frame else pd.array([""] * len(where), dtype="str")
        hit = pd.DataFrame({"_row": frame["_row"].array[where], "id": ids})
        values = pa.concat_arrays([b.values for b in batches]).to_pandas()
        messages = pa.concat_arrays([b.messages for b in batches]).to_pandas()
        first = batches[0]
        out = issues_where(
            hit,
            pd.Series(True, index=hit.index),
            code=first.code,
            field=first.field,
            message=messages,
            channel=self.channel,
            value=values,
            severity=first.severity,
        )
        for column in ("code", "field", "severity"):
            labels = np.array([getattr(b, column) for b in batches], dtype=object)
            out[column] = pd.Series(np.repeat(labels, counts), index=out.index, dtype="str")
        return out

    def _check_additional(self, frame: pd.DataFrame) -> list[_Batch | None]:
        out = []
        for name in frame.columns:
            if name in self.properties or name == "id" or str(name).startswith("_"):
                continue
            present = frame[name].notna().to_numpy(dtype=bool)
            out.append(
                self._issues(
                    frame,
                    present,
                    str(name),
                    _column(frame[name]),
                    code="invalid-value",
                    severity=None,
                    message=f"{name} is not an attribute {self.channel} accepts; remove it",
                    fix=None,
                )
            )
        return out

    def _check_property(self, frame: pd.DataFrame, rule: _Property) -> list[_Batch | None]:
        col = _column(frame[rule.name])
        schema = rule.schema
        out: list[_Batch | None] = []
        slow = np.flatnonzero(col.has(_SLOW))
        slow_failures: dict[str, np.ndarray] = {}
        if len(slow):
            assert col.objects is not None
            validator = jsonschema.Draft202012Validator(schema)
            for i in slow:
                failed = {e.validator for e in validator.iter_errors(col.objects[i])}
                for keyword in {"type"} if "type" in failed else failed:
                    slow_failures.setdefault(str(keyword), np.zeros(len(col.kind), dtype=bool))[i] = True

        def emit(keyword: str, mask: np.ndarray, message: Any) -> None:
            if keyword in slow_failures:
                mask = mask | slow_failures[keyword]
            if mask.any():
                out.append(
                    self._issues(
                        frame,
                        mask,
                        rule.name,
                        col,
                        code=rule.code_for(keyword),
                        severity=rule.severity,
                        message=message,
                        fix=rule.fix,
                    )
                )

        eligible = (col.kind != _MISSING) & (col.kind != _SLOW)
        if rule.types is not None:
            ok = np.zeros(len(col.kind), dtype=bool)
            if "string" in rule.types:
                ok |= col.has(_STR)
            if "boolean" in rule.types:
                ok |= col.has(_BOOL)
            if rule.types & {"integer", "number"}:
                ok |= col.has(_INT)
            if col.floats is not None:
                if "number" in rule.types:
                    ok |= col.has(_FLOAT)
                elif "integer" in rule.types:
                    f = col.floats
                    with np.errstate(invalid="ignore"):
                        ok |= col.has(_FLOAT) & np.isfinite(f) & (f == np.floor(f))
            bad = eligible & ~ok
            expected = " or ".join(_TYPE_WORDS[t] for t in _TYPES if t in rule.types)
            emit("type", bad, _TypeMessage(rule.name, self.channel, expected))
            eligible &= ~bad
        is_str = eligible & col.has(_STR)
        is_num = eligible & (col.has(_INT) | col.has(_FLOAT))

        if "const" in schema:
            emit(
                "const",
                eligible & ~_member(col, [schema["const"]]),
                _ValueMessage(rule.name, f"must be {_fmt(schema['const'])}; {self.channel} accepts only that value"),
            )
        if "enum" in schema:
            allowed = ", ".join(_fmt(v) for v in schema["enum"][:_ENUM_SHOWN])
            if len(schema["enum"]) > _ENUM_SHOWN:
                allowed += ", …"
            emit(
                "enum",
                eligible & ~_member(col, list(schema["enum"])),
                _ValueMessage(rule.name, f"is not one of: {allowed} (the values {self.channel} accepts)"),
            )
        if ("minLength" in schema or "maxLength" in schema) and col.strings is not None and is_str.any():
            lengths = pc.utf8_length(col.strings).fill_null(0).to_numpy(zero_copy_only=False)
            if "minLength" in schema:
                limit = schema["minLength"]
                emit(
                    "minLength",
                    is_str & (lengths < limit),
                    _LengthMessage(
                        rule.name,
                        f"{self.channel} needs at least {limit} character{'' if limit == 1 else 's'}",
                    ),
                )
            if "maxLength" in schema:
                limit = schema["maxLength"]
                emit(
                    "maxLength",
                    is_str & (lengths > limit),
                    _LengthMessage(rule.name, f"{self.channel} allows at most {limit}"),
                )
        else:
            for keyword in ("minLength", "maxLength"):
                if keyword in schema:
                    emit(keyword, np.zeros(len(col.kind), dtype=bool), _LengthMessage(rule.name, ""))
        if rule.pattern is not None:
            bad = np.zeros(len(col.kind), dtype=bool)
            if col.strings is not None and is_str.any():
                bad = is_str & ~rule.pattern.search(col.strings, is_str)
            expected = rule.description or f"pattern {rule.pattern.source}"
            emit(
                "pattern",
                bad,
                _ValueMessage(rule.name, f"does not have the expected format for {self.channel}: {expected}"),
            )
        bounds = {
            "minimum": ("<", "is below {ch}'s minimum of {v}"),
            "exclusiveMinimum": ("<=", "must be greater than {v} for {ch}"),
            "maximum": (">", "is above {ch}'s maximum of {v}"),
            "exclusiveMaximum": (">=", "must be less than {v} for {ch}"),
        }
        for keyword, (op, wording) in bounds.items():
            if keyword not in schema:
                continue
            limit = schema[keyword]
            bad = np.zeros(len(col.kind), dtype=bool)
            if col.ints is not None and is_num.any():
                bad |= is_num & col.has(_INT) & _compare(col.ints, op, limit)
            if col.floats is not None and is_num.any():
                with np.errstate(invalid="ignore"):
                    bad |= is_num & col.has(_FLOAT) & _compare(col.floats, op, limit)
            emit(keyword, bad, _ValueMessage(rule.name, wording.format(ch=self.channel, v=_fmt(limit))))
        return out

    def _issues(
        self,
        frame: pd.DataFrame,
        mask: np.ndarray,
        name: str,
        col: _Column | None,
        *,
        code: str,
        severity: str | None,
        message: str | _Message,
        fix: str | None,
    ) -> _Batch | None:
        where = np.flatnonzero(mask)
        if not len(where):
            return None
        values = pa.nulls(len(where), _TEXT) if col is None else _value_text(col, where)
        if isinstance(message, str):
            text = pa.array(np.full(len(where), _utf8(message), dtype=object), _TEXT)
        else:
            assert col is not None
            text = message.render(values, _quoted(values, col.kind[where]), col, where)
        if fix:
            text = _join(text, f". {fix}")
        return _Batch(where, code, name, severity or CODES[code].severity, values, text)


@dataclass(frozen=True)
class _Batch:
    """Failures of one keyword of one property: positions in the frame, and their wording."""

    where: np.ndarray
    code: str
    field: str
    severity: str
    values: pa.Array  # large_string
    messages: pa.Array  # large_string


# --------------------------------------------------------------------------- messages

_TEXT = pa.large_string()


def _join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of Arrow string arrays and constant strings."""
    args = [pa.scalar(_utf8(p), _TEXT) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", _TEXT))


def _utf8(text: str) -> str:
    """`text` with any lone surrogate (not encodable, so not storable in Arrow) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _value_text(col: _Column, where: np.ndarray) -> pa.Array:
    """The offending values as text, as the issue's `value` shows them."""
    if col.objects is not None:
        texts = []
        for v in col.objects[where]:
            if isinstance(v, (bool, np.bool_)):
                texts.append("true" if v else "false")
            else:
                texts.append(_utf8(str(v)))
        return pa.array(texts, _TEXT)
    if col.strings is not None:
        return col.strings.take(pa.array(where)).cast(_TEXT)
    for typed in (col.ints, col.floats, col.bools):
        if typed is not None:
            return pa.array(typed[where]).cast(_TEXT)
    assert col.series is not None
    return pa.array(col.series.iloc[where].astype("str"), _TEXT)


def _quoted(values: pa.Array, kind: np.ndarray) -> pa.Array:
    """Values for a message: cut to a readable length, text in quotes."""
    cut = pc.utf8_slice_codeunits(values, 0, _SHOWN_CHARS)
    cut = pc.if_else(pc.greater(pc.utf8_length(values), _SHOWN_CHARS), _join(cut, "…"), cut)
    return pc.if_else(pa.array(kind == _STR), _join("'", cut, "'"), cut)


class _Message:
    def render(self, values: pa.Array, shown: pa.Array, col: _Column, where: np.ndarray) -> pa.Array:
        raise NotImplementedError


@dataclass(frozen=True)
class _ValueMessage(_Message):
    name: str
    tail: str

    def render(self, values: pa.Array, shown: pa.Array, col: _Column, where: np.ndarray) -> pa.Array:
        return _join(self.name + " ", shown, " " + self.tail)


@dataclass(frozen=True)
class _TypeMessage(_Message):
    name: str
    channel: str
    expected: str

    def render(self, values: pa.Array, shown: pa.Array, col: _Column, where: np.ndarray) -> pa.Array:
        kinds = pa.array(_KIND_WORDS[col.kind[where]], _TEXT)
        return _join(self.name + " ", shown, " is ", kinds, f"; {self.channel} expects {self.expected}")


@dataclass(frozen=True)
class _LengthMessage(_Message):
    name: str
    tail: str

    def render(self, values: pa.Array, shown: pa.Array, col: _Column, where: np.ndarray) -> pa.Array:
        if col.objects is not None:
            lengths = np.array([len(v) for v in col.objects[where]], dtype=np.int64)
        else:
            lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
        counted = _join(self.name + " is ", pa.array(lengths).cast(_TEXT), " characters; " + self.tail)
        one = pa.scalar(_utf8(f"{self.name} is 1 character; {self.tail}"), _TEXT)
        empty = pa.scalar(_utf8(f"{self.name} is empty; {self.tail}"), _TEXT)
        return pc.if_else(pa.array(lengths == 0), empty, pc.if_else(pa.array(lengths == 1), one, counted))
