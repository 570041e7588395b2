"""Ordered merchandising rules: `[[rules]]` tables in feedsync.toml, applied top to bottom.

    [[rules]]
    name = "winter sale label"
    channels = ["google"]                   # optional; every channel when left out
    when = 'product_type starts with "Apparel" and sale_price < price * 0.8'
    from = 2026-11-20                       # optional window, judged against the run clock
    until = 2027-01-31                      # a date-only `until` includes that whole day
    set = { custom_label_0 = "winter-sale" }
    else = { set = { custom_label_0 = "regular" } }

A `when` condition is a small language of its own (tokenizer + recursive-descent parser below),
never Python: it can name columns and literals and nothing else, so no expression can call,
import or read attributes. It is evaluated column-wise over the whole batch (numpy and pyarrow
compute); no per-row Python. Text comparisons (=, !=, in, contains, starts with, ends with)
ignore case. A comparison with a missing value is false, except `!=`, which is its negation.

Actions, in this order within one rule: lookup, set, prepend, append, exclude. Every right-hand
side reads the row as it was before the rule, so `set = { title = "{{ brand }} {{ title }}" }`
sees the old title; `append`/`prepend` leave a missing value missing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.columns import DATES, FLOAT, INTEGER, MONEY
from feedsync.errors import ConfigError
from feedsync.field_templates import FieldTemplate, Rendered, compile_template, empty_provenance
from feedsync.mapping import MappingTable, read_mapping_table
from feedsync.validation.issues import concat_issues, empty_issues, issues_where
from feedsync.vector import arrow, numbers

MAX_EXPRESSION = 20_000  # characters; a generous `id in [...]` list fits
MAX_DEPTH = 40  # nesting of parentheses / not / unary minus
RULE_KEYS = ("name", "channels", "when", "from", "until", "exclude", "set", "append", "prepend", "lookup", "else")
ACTION_KEYS = ("exclude", "set", "append", "prepend", "lookup")
LOOKUP_KEYS = ("field", "from", "table", "default")
BOOL_COLUMNS = ("is_parent", "has_parent")
PROTECTED = ("id",)  # market id_suffix changes ids; rules may not
TYPED = MONEY + INTEGER + FLOAT + DATES  # prices and stock change through overrides and policies
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEYWORDS = {"and", "or", "not", "in", "contains", "starts", "ends", "with", "is", "empty", "today", "now"}


class RuleError(Exception):
    """A problem in one expression, at character `pos` (0-based)."""

    def __init__(self, message: str, pos: int | None = None, token: str | None = None) -> None:
        super().__init__(message)
        self.message, self.pos, self.token = message, pos, token


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # NUM STR NAME KW OP EOF
    value: Any
    pos: int
    text: str


_OPS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
_HINTS = {
    ".": "attribute access is not allowed; rules compare columns",
    ":": "rules cannot define functions",
    "{": "use a column name, not a template, in when",
    "}": "use a column name, not a template, in when",
    "&": 'write "and"',
    "|": 'write "or"',
    "!": 'write "not" (or != for "not equal")',
    "%": "only + - * / are available",
    "@": "only + - * / are available",
    ";": "a rule has one condition",
}


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_EXPRESSION:
        raise RuleError(f"the condition is {len(text)} characters long; at most {MAX_EXPRESSION} are allowed", 0)
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        start = i
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = re.compile(r"\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.").match(text, i)
            assert m
            i = m.end()
            if i < n and (text[i].isalpha() or text[i] == "_"):
                raise RuleError(
                    f"{text[start : i + 1]!r} is neither a number nor a column name", start, text[start : i + 1]
                )
            out.append(Token("NUM", float(m.group()), start, m.group()))
        elif c in "\"'":
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise RuleError(f"the text starting with {c} at character {start + 1} is never closed", start, c)
                ch = text[i]
                if ch == "\\" and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                if ch == c:
                    i += 1
                    break
                buf.append(ch)
                i += 1
            out.append(Token("STR", "".join(buf), start, text[start:i]))
        elif c == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise RuleError(f"the column name starting with ` at character {start + 1} is never closed", start, c)
            out.append(Token("NAME", text[i + 1 : end], start, text[start : end + 1]))
            i = end + 1
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            word = m.group() if m else c
            i += len(word)
            kw = word.lower()
            out.append(Token("KW", kw, start, word) if kw in KEYWORDS else Token("NAME", word, start, word))
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is None:
                hint = _HINTS.get(c, "it has no meaning in a rule")
                raise RuleError(f"unexpected character {c!r} ({hint})", start, c)
            i += len(op)
            out.append(Token("OP", {"==": "=", "<>": "!="}.get(op, op), start, op))
    out.append(Token("EOF", None, n, "end of the condition"))
    return out


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Clock(Node):
    which: str  # today | now


@dataclass(frozen=True)
class Col(Node):
    name: str


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class TextMatch(Node):
    op: str  # contains | starts | ends
    operand: Node
    pattern: Node
    negate: bool = False


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Node, ...]
    negate: bool = False


@dataclass(frozen=True)
class IsEmpty(Node):
    operand: Node
    negate: bool = False


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and | or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


def columns_of(node: Node) -> list[Col]:
    out: list[Col] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Col):
            out.append(n)
        for f in ("operand", "left", "right", "pattern"):
            if hasattr(n, f):
                stack.append(getattr(n, f))
        stack.extend(getattr(n, "items", ()))
    return sorted(out, key=lambda c: c.pos)


class Parser:
    """expr := or;  or := and ('or' and)*;  and := not ('and' not)*;  not := 'not' not | predicate
    predicate := sum [ (= != < <= > >=) sum | ['not'] 'in' list | ['not'] ('contains' | 'starts' 'with'
                 | 'ends' 'with') sum | 'is' ['not'] 'empty' ]
    sum := term (('+'|'-') term)*;  term := unary (('*'|'/') unary)*;  unary := '-' unary | primary
    primary := NUMBER | STRING | COLUMN | 'today' | 'now' | '(' expr ')'"""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def _is(self, kind: str, *values: Any) -> bool:
        return self.tok.kind == kind and (not values or self.tok.value in values)

    def _expect(self, kind: str, value: Any, what: str) -> Token:
        if not self._is(kind, value):
            raise self._unexpected(what)
        return self._next()

    def _unexpected(self, wanted: str) -> RuleError:
        t = self.tok
        if t.kind == "EOF":
            return RuleError(f"the condition ends too early; expected {wanted}", t.pos, "")
        if t.kind == "OP" and t.value == "(" and self.i and self.tokens[self.i - 1].kind == "NAME":
            return RuleError(
                f"{self.tokens[self.i - 1].text}(...) looks like a function call; rules cannot call functions",
                self.tokens[self.i - 1].pos,
                self.tokens[self.i - 1].text,
            )
        return RuleError(f"unexpected {t.text!r}; expected {wanted}", t.pos, t.text)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(f"the condition is nested more than {MAX_DEPTH} levels deep", self.tok.pos, self.tok.text)

    def parse(self) -> Node:
        node = self.or_()
        if not self._is("EOF"):
            raise self._unexpected('"and", "or" or the end of the condition')
        return node

    def or_(self) -> Node:
        pos, items = self.tok.pos, [self.and_()]
        while self._is("KW", "or"):
            self._next()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Logic(pos, "or", tuple(items))

    def and_(self) -> Node:
        pos, items = self.tok.pos, [self.not_()]
        while self._is("KW", "and"):
            self._next()
            items.append(self.not_())
        return items[0] if len(items) == 1 else Logic(pos, "and", tuple(items))

    def not_(self) -> Node:
        if self._is("KW", "not"):
            pos = self._next().pos
            self._enter()
            node = Not(pos, self.not_())
            self.depth -= 1
            return node
        return self.predicate()

    def predicate(self) -> Node:
        left = self.sum_()
        t = self.tok
        if t.kind == "OP" and t.value in ("=", "!=", "<", "<=", ">", ">="):
            self._next()
            node: Node = Compare(t.pos, t.value, left, self.sum_())
            if self.tok.kind == "OP" and self.tok.value in ("=", "!=", "<", "<=", ">", ">="):
                raise RuleError("comparisons cannot be chained; join them with and", self.tok.pos, self.tok.text)
            return node
        negate = False
        if (
            self._is("KW", "not")
            and self.tokens[self.i + 1].kind == "KW"
            and self.tokens[self.i + 1].value in ("in", "contains", "starts", "ends")
        ):
            self._next()
            negate = True
        t = self.tok
        if self._is("KW", "in"):
            self._next()
            return InList(t.pos, left, self.list_(), negate)
        if self._is("KW", "contains"):
            self._next()
            return TextMatch(t.pos, "contains", left, self.sum_(), negate)
        if self._is("KW", "starts", "ends"):
            op = self._next().value
            self._expect("KW", "with", f'"with" after "{op}"')
            return TextMatch(t.pos, op, left, self.sum_(), negate)
        if self._is("KW", "is"):
            self._next()
            neg = False
            if self._is("KW", "not"):
                self._next()
                neg = True
            self._expect("KW", "empty", '"empty" (as in "is empty" / "is not empty")')
            return IsEmpty(t.pos, left, neg)
        return left

    def list_(self) -> tuple[Node, ...]:
        self._expect("OP", "[", 'a list in brackets, e.g. ["a", "b"]')
        items: list[Node] = []
        while not self._is("OP", "]"):
            neg = self._is("OP", "-")
            start = self.tok.pos
            if neg:
                self._next()
            if self._is("NUM"):
                v = self._next().value
                items.append(Num(start, -v if neg else v))
            elif self._is("STR") and not neg:
                items.append(Str(start, self._next().value))
            else:
                raise self._unexpected("a text or number literal in the list")
            if self._is("OP", ","):
                self._next()
            elif not self._is("OP", "]"):
                raise self._unexpected('"," or "]"')
        self._next()
        if not items:
            raise RuleError("the list is empty", self.tokens[self.i - 1].pos, "[]")
        return tuple(items)

    def sum_(self) -> Node:
        node = self.term()
        while self._is("OP", "+", "-"):
            t = self._next()
            node = Arith(t.pos, t.value, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self._is("OP", "*", "/"):
            t = self._next()
            node = Arith(t.pos, t.value, node, self.unary())
        return node

    def unary(self) -> Node:
        if self._is("OP", "-"):
            pos = self._next().pos
            self._enter()
            node = Neg(pos, self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "NUM":
            self._next()
            return Num(t.pos, t.value)
        if t.kind == "STR":
            self._next()
            return Str(t.pos, t.value)
        if t.kind == "KW" and t.value in ("today", "now"):
            self._next()
            return Clock(t.pos, t.value)
        if t.kind == "NAME":
            self._next()
            if self._is("OP", "(") or self._is("OP", "["):
                raise self._unexpected("an operator")
            return Col(t.pos, t.value)
        if self._is("OP", "("):
            self._next()
            self._enter()
            node = self.or_()
            self.depth -= 1
            self._expect("OP", ")", '")"')
            return node
        raise self._unexpected("a column, a number, a quoted text, today or (")


def parse_condition(text: str) -> Node:
    if not text.strip():
        raise RuleError("the condition is empty", 0, "")
    return Parser(text).parse()


# --------------------------------------------------------------------------- evaluation


def column_kind(name: str) -> str:
    if name in MONEY + INTEGER + FLOAT:
        return "number"
    if name in DATES:
        return "date"
    if name in BOOL_COLUMNS:
        return "bool"
    return "text"


@dataclass
class V:
    kind: str  # number | text | date | bool
    data: Any  # np.ndarray / pa.Array, or a Python/numpy scalar when `scalar`
    scalar: bool = False


class Evaluator:
    """Evaluates a condition over a whole frame at once. Coercions: text meets number -> the text
    is read as a number (missing if it is not one); text meets date -> read as an ISO date."""

    def __init__(self, frame: pd.DataFrame, now: datetime) -> None:
        self.frame = frame
        self.n = len(frame)
        ts = pd.Timestamp(now)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        self.now = np.datetime64(ts.tz_localize(None).as_unit("ns"))
        self.today = np.datetime64(ts.tz_localize(None).floor("D").as_unit("ns"))
        self._cols: dict[str, V] = {}
        self._lowered: dict[int, tuple[pa.Array, pa.Array]] = {}  # keeps the source alive so ids stay unique

    def condition(self, node: Node) -> np.ndarray:
        v = self.ev(node)
        if v.kind != "bool":
            raise RuleError(
                f"{_describe(node)} is a {v.kind}, not a condition; compare it with something, e.g. price > 10",
                node.pos,
            )
        return np.broadcast_to(np.asarray(v.data, dtype=bool), (self.n,)).copy() if v.scalar else v.data

    # -- leaves
    def column(self, node: Col) -> V:
        if node.name not in self._cols:
            s = self.frame[node.name]
            kind = column_kind(node.name)
            if kind == "number":
                data = self._to_number(s)
            elif kind == "date":
                data = self._to_date(s)
            elif kind == "bool":
                data = s.fillna(False).astype(bool).to_numpy()
            else:
                data = _flat(arrow(s))
            self._cols[node.name] = V(kind, data)
        return self._cols[node.name]

    def _to_number(self, s: pd.Series) -> np.ndarray:
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            return s.to_numpy(dtype="float64", na_value=np.nan)
        return self._text_to_number(arrow(s))

    def lower(self, a: pa.Array) -> pa.Array:
        """Lower-cased text, once per column: ASCII-only columns take the much cheaper kernel."""
        key = id(a)
        if key not in self._lowered:
            ascii_only = pc.all(pc.string_is_ascii(a)).as_py() is not False
            self._lowered[key] = (a, pc.ascii_lower(a) if ascii_only else pc.utf8_lower(a))
        return self._lowered[key][1]

    def _text_to_number(self, a: pa.Array) -> np.ndarray:
        """A number with white space around it is still one here (RE2's \\s: tab, line feed,
        form feed, carriage return, space)."""
        return numbers(pc.utf8_trim(a, characters=" \t\n\f\r"))

    def _to_date(self, s: pd.Series) -> np.ndarray:
        if not pd.api.types.is_datetime64_any_dtype(s.dtype):
            s = pd.to_datetime(s.astype("str"), utc=True, format="ISO8601", errors="coerce")
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.to_numpy(dtype="datetime64[ns]")

    def ev(self, node: Node) -> V:
        if isinstance(node, Num):
            return V("number", node.value, True)
        if isinstance(node, Str):
            return V("text", node.value, True)
        if isinstance(node, Clock):
            return V("date", self.today if node.which == "today" else self.now, True)
        if isinstance(node, Col):
            return self.column(node)
        if isinstance(node, Neg):
            v = self.number(self.ev(node.operand), node.operand)
            return V("number", -v.data, v.scalar)
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, TextMatch):
            return self.text_match(node)
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, IsEmpty):
            return self.is_empty(node)
        if isinstance(node, Not):
            v = self.boolean(self.ev(node.operand), node.operand)
            return V("bool", ~v.data if not v.scalar else not v.data, v.scalar)
        if isinstance(node, Logic):
            vals = [self.boolean(self.ev(i), i) for i in node.items]
            out = vals[0].data if vals[0].scalar else vals[0].data.copy()
            for v in vals[1:]:
                out = (out & v.data) if node.op == "and" else (out | v.data)
            return V("bool", out, all(v.scalar for v in vals))
        raise RuleError("unsupported expression", node.pos)  # pragma: no cover

    # -- coercions
    def boolean(self, v: V, node: Node) -> V:
        if v.kind != "bool":
            raise RuleError(f"{_describe(node)} is a {v.kind}, not a condition", node.pos)
        return v

    def number(self, v: V, node: Node) -> V:
        if v.kind == "number":
            return v
        if v.kind == "text":
            if v.scalar:
                try:
                    return V("number", float(v.data), True)
                except ValueError:
                    raise RuleError(f"{v.data!r} is not a number", node.pos, str(v.data)) from None
            return V("number", self._text_to_number(v.data))
        raise RuleError(f"{_describe(node)} is a {v.kind}; arithmetic needs numbers", node.pos)

    def date(self, v: V, node: Node) -> V:
        if v.kind == "date":
            return v
        if v.kind == "text":
            if v.scalar:
                try:
                    ts = pd.Timestamp(v.data)
                except ValueError:
                    raise RuleError(f'{v.data!r} is not a date such as "2026-12-24"', node.pos, v.data) from None
                if ts is pd.NaT:
                    raise RuleError(f'{v.data!r} is not a date such as "2026-12-24"', node.pos, v.data)
                ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts
                return V("date", np.datetime64(ts.as_unit("ns")), True)
            return V("date", self._to_date(pd.Series(v.data.to_pandas(), dtype="str")))
        raise RuleError(f"{_describe(node)} is a {v.kind}, not a date", node.pos)

    # -- operators
    def arith(self, node: Arith) -> V:
        a, b = self.ev(node.left), self.ev(node.right)
        scalar = a.scalar and b.scalar
        if a.kind == "date" or b.kind == "date":
            if node.op == "-" and a.kind == "date" and b.kind == "date":
                days = (a.data - b.data) / np.timedelta64(1, "D")
                return V("number", days, scalar)
            if node.op in "+-" and a.kind == "date" and b.kind != "date":
                delta = _days(self.number(b, node.right))
                return V("date", a.data + delta if node.op == "+" else a.data - delta, scalar)
            if node.op == "+" and b.kind == "date" and a.kind != "date":
                return V("date", b.data + _days(self.number(a, node.left)), scalar)
            raise RuleError(f"cannot use {node.op} with dates (add or subtract days: today + 7)", node.pos, node.op)
        if (a.kind == "text" and a.scalar) or (b.kind == "text" and b.scalar):
            bad = node.left if a.kind == "text" and a.scalar else node.right
            raise RuleError(f"{_describe(bad)} is text; arithmetic needs numbers (use templates to join text)", bad.pos)
        na, nb = self.number(a, node.left), self.number(b, node.right)
        with np.errstate(all="ignore"):
            x, y = np.float64(na.data) if na.scalar else na.data, np.float64(nb.data) if nb.scalar else nb.data
            out = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node.op](x, y)
        out = np.where(np.isfinite(out), out, np.nan) if not scalar else (out if np.isfinite(out) else np.nan)
        return V("number", out, scalar)

    def compare(self, node: Compare) -> V:
        a, b = self.ev(node.left), self.ev(node.right)
        op = node.op
        kinds = {a.kind, b.kind}
        if "bool" in kinds:
            raise RuleError("a condition cannot be compared; use it directly (not is_parent)", node.pos, op)
        if "date" in kinds:
            if "number" in kinds:
                raise RuleError(
                    "a date cannot be compared with a number; write the date in quotes or use today", node.pos, op
                )
            a, b = self.date(a, node.left), self.date(b, node.right)
            return self._numeric_cmp(op, a, b)
        if "number" in kinds:
            a, b = self.number(a, node.left), self.number(b, node.right)
            return self._numeric_cmp(op, a, b)
        # text with text
        if a.scalar and b.scalar:
            x, y = (a.data.lower(), b.data.lower()) if op in ("=", "!=") else (a.data, b.data)
            return V("bool", _py_cmp(op, x, y), True)
        if op in ("=", "!="):
            x = self.lower(a.data) if not a.scalar else pa.scalar(a.data.lower(), pa.large_string())
            y = self.lower(b.data) if not b.scalar else pa.scalar(b.data.lower(), pa.large_string())
            eq = _np(pc.equal(x, y))
            return V("bool", eq if op == "=" else ~eq)
        x = a.data if not a.scalar else pa.scalar(a.data, pa.large_string())
        y = b.data if not b.scalar else pa.scalar(b.data, pa.large_string())
        fn = {"<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}[op]
        return V("bool", _np(fn(x, y)))

    def _numeric_cmp(self, op: str, a: V, b: V) -> V:
        fn = {
            "=": np.equal,
            "!=": np.equal,
            "<": np.less,
            "<=": np.less_equal,
            ">": np.greater,
            ">=": np.greater_equal,
        }[op]
        with np.errstate(invalid="ignore"):
            out = fn(a.data, b.data)
        if op == "!=":
            out = ~out if not (a.scalar and b.scalar) else not out
        return V("bool", out if (a.scalar and b.scalar) else np.asarray(out, dtype=bool), a.scalar and b.scalar)

    def text_match(self, node: TextMatch) -> V:
        a, p = self.ev(node.operand), self.ev(node.pattern)
        if not (p.kind == "text" and p.scalar):
            raise RuleError(f'{node.op} needs quoted text after it, e.g. contains "wool"', node.pattern.pos)
        if a.kind != "text":
            raise RuleError(f"{_describe(node.operand)} is a {a.kind}; {node.op} works on text", node.operand.pos)
        pattern = p.data
        if a.scalar:
            s, q = a.data.lower(), pattern.lower()
            hit = q in s if node.op == "contains" else s.startswith(q) if node.op == "starts" else s.endswith(q)
            return V("bool", hit != node.negate, True)
        fn = {"contains": pc.match_substring, "starts": pc.starts_with, "ends": pc.ends_with}[node.op]
        out = _np(fn(self.lower(a.data), pattern.lower()))
        return V("bool", ~out if node.negate else out)

    def in_list(self, node: InList) -> V:
        a = self.ev(node.operand)
        kinds = {type(i) for i in node.items}
        if len(kinds) > 1:
            raise RuleError("a list must hold only texts or only numbers", node.items[0].pos)
        texts = kinds == {Str}
        if a.kind == "bool":
            raise RuleError(f"{_describe(node.operand)} is a condition; in needs a column", node.operand.pos)
        if a.kind == "text" and texts:
            values = pa.array([i.value.lower() for i in node.items], pa.large_string())  # type: ignore[attr-defined]
            if a.scalar:
                out = a.data.lower() in values.to_pylist()
                return V("bool", out != node.negate, True)
            hit = _np(pc.is_in(self.lower(a.data), value_set=values))
        elif a.kind == "date":
            dates = [self.date(V("text", i.value, True), i).data if isinstance(i, Str) else None for i in node.items]
            if any(d is None for d in dates):
                raise RuleError('compare dates with quoted dates, e.g. in ["2026-12-24"]', node.items[0].pos)
            hit = np.isin(a.data, np.array(dates, dtype="datetime64[ns]"))
        else:
            num = self.number(a, node.operand)
            vals = [
                self.number(V("text", i.value, True) if isinstance(i, Str) else V("number", _num(i), True), i).data
                for i in node.items
            ]
            if num.scalar:
                return V("bool", (num.data in vals) != node.negate, True)
            hit = np.isin(num.data, np.array(vals, dtype="float64"))
        return V("bool", ~hit if node.negate else hit)

    def is_empty(self, node: IsEmpty) -> V:
        a = self.ev(node.operand)
        if a.scalar:
            empty = a.data is None or (isinstance(a.data, str) and not a.data.strip())
            return V("bool", empty != node.negate, True)
        if a.kind == "text":
            out = _np(pc.or_kleene(pc.is_null(a.data), pc.equal(pc.utf8_trim_whitespace(a.data), "")))
        elif a.kind == "number":
            out = np.isnan(a.data)
        elif a.kind == "date":
            out = np.isnat(a.data)
        else:
            out = np.zeros(self.n, dtype=bool)
        return V("bool", ~out if node.negate else out)


def _flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array: compute kernels pay per chunk, and concatenated frames have many."""
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks() if a.num_chunks != 1 else a.chunk(0)
    return a


def _days(v: V) -> Any:
    if v.scalar:
        return pd.Timedelta(days=v.data).to_timedelta64() if np.isfinite(v.data) else np.timedelta64("NaT", "ns")
    return pd.to_timedelta(v.data, unit="D").to_numpy()


def _num(node: Node) -> float:
    assert isinstance(node, Num)
    return node.value


def _np(a: pa.Array) -> np.ndarray:
    return a.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _py_cmp(op: str, x: Any, y: Any) -> bool:
    return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _describe(node: Node) -> str:
    if isinstance(node, Col):
        return f"column {node.name}"
    if isinstance(node, Str):
        return f"{node.value!r}"
    if isinstance(node, Num):
        return f"{node.value:g}"
    return "this part"


def _kind_frame(columns: Collection[str]) -> pd.DataFrame:
    """A zero-row frame with each column's kind: type-checks a condition before any data exists."""
    dtypes = {"number": "float64", "date": "datetime64[ns, UTC]", "bool": "bool", "text": "str"}
    return pd.DataFrame({c: pd.Series(dtype=dtypes[column_kind(c)]) for c in columns})


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Lookup:
    field: str
    source: str
    table: MappingTable
    default: str | None


@dataclass(frozen=True)
class Actions:
    exclude: bool = False
    set: tuple[FieldTemplate, ...] = ()
    prepend: tuple[FieldTemplate, ...] = ()
    append: tuple[FieldTemplate, ...] = ()
    lookups: tuple[Lookup, ...] = ()

    @property
    def fields(self) -> list[str]:
        return [t.field for t in self.set] + [lk.field for lk in self.lookups]

    def __bool__(self) -> bool:
        return bool(self.exclude or self.set or self.prepend or self.append or self.lookups)


@dataclass(frozen=True)
class Rule:
    number: int  # 1-based position in the config
    name: str
    line: int | None  # line of its [[rules]] header in the config file
    channels: tuple[str, ...] | None
    when_text: str | None
    when: Node | None
    then: Actions
    otherwise: Actions | None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None  # exclusive

    @property
    def label(self) -> str:
        """`rule 3 winter sale`: the provenance source and the key of touched counts."""
        return f"rule {self.number} {self.name}"

    def active(self, now: pd.Timestamp) -> bool:
        return (self.start is None or now >= self.start) and (self.end is None or now < self.end)

    def applies_to(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels


@dataclass
class RuleResult:
    frame: pd.DataFrame
    excluded: pd.Series  # bool per row: a rule excluded it from this channel
    touched: dict[str, int]  # rule label -> products it changed or excluded
    provenance: pd.DataFrame  # sku, channel, field, source ("rule N name"), row (config line or table row)
    issues: pd.DataFrame = field(default_factory=empty_issues)  # excluded-by-rule, template-error


@dataclass
class RuleSet:
    rules: tuple[Rule, ...]
    config_path: Path
    created_fields: tuple[str, ...] = ()  # fields the rules add (custom_label_0 ...); templates may use them

    def __len__(self) -> int:
        return len(self.rules)

    def for_channel(self, channel: str) -> list[Rule]:
        return [r for r in self.rules if r.applies_to(channel)]

    def apply(
        self,
        frame: pd.DataFrame,
        channel: str,
        now: datetime,
        *,
        trace: Collection[str] | None = None,
    ) -> RuleResult:
        """Apply the channel's rules top to bottom to a copy of `frame` (never mutated).

        `trace`: SKUs to record provenance for (None: every product; empty: none, the cheap
        choice for big builds)."""
        ts = pd.Timestamp(now)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        out = frame.copy(deep=False)
        excluded = np.zeros(len(frame), dtype=bool)
        touched: dict[str, int] = {}
        prov: list[pd.DataFrame] = []
        issues: list[pd.DataFrame] = []
        traced = _traced(frame, trace)
        for rule in self.for_channel(channel):
            if not rule.active(ts):
                touched[rule.label] = 0
                continue
            alive = ~excluded
            try:
                cond = Evaluator(out, ts).condition(rule.when) if rule.when is not None else np.ones(len(out), bool)
            except RuleError as e:  # types are checked at load; this guards a column whose data changed kind
                raise _rule_error(self.config_path, rule, "when", rule.when_text or "", e, list(out.columns)) from None
            then_mask = cond & alive
            else_mask = ~cond & alive if rule.otherwise else np.zeros(len(out), bool)
            changes: dict[str, pd.Series] = {}
            for actions, mask in ((rule.then, then_mask), (rule.otherwise, else_mask)):
                if actions and mask.any():
                    self._actions(rule, actions, out, mask, changes, channel, traced, prov, issues)
            for fld, values in changes.items():
                out[fld] = values
            newly = np.zeros(len(out), bool)
            for actions, mask in ((rule.then, then_mask), (rule.otherwise, else_mask)):
                if actions and actions.exclude:
                    newly |= mask
            if newly.any():
                excluded |= newly
                hit = pd.Series(newly, index=out.index)
                issues.append(
                    issues_where(
                        out,
                        hit,
                        code="excluded-by-rule",
                        field="id",
                        channel=channel,
                        value=out["id"],
                        message=f"left out of {channel} by {rule.label} ({self.config_path.name} line "
                        f"{rule.line or '?'})",
                    )
                )
                prov.append(_prov(out, newly & traced, channel, "(excluded)", rule.label, rule.line))
            touched[rule.label] = int((then_mask.sum() if rule.then else 0) + else_mask.sum())
        from feedsync.overrides import PROVENANCE_COLUMNS

        provenance = pd.concat(prov, ignore_index=True)[PROVENANCE_COLUMNS] if prov else empty_provenance()
        return RuleResult(out, pd.Series(excluded, index=frame.index), touched, provenance, concat_issues(issues))

    def _actions(
        self,
        rule: Rule,
        actions: Actions,
        before: pd.DataFrame,
        mask: np.ndarray,
        changes: dict[str, pd.Series],
        channel: str,
        traced: np.ndarray,
        prov: list[pd.DataFrame],
        issues: list[pd.DataFrame],
    ) -> None:
        """Compute this branch's new values from `before` (the frame as it was before the rule)."""
        # only the columns this branch reads: a batch has ~35 columns, long descriptions among them
        templates = (*actions.set, *actions.prepend, *actions.append)
        needed = {"id", *(lk.source for lk in actions.lookups), *(c for t in templates for c in t.columns)}
        rows = before.loc[mask, [c for c in before.columns if c in needed]]
        branch: dict[str, pd.Series] = {}  # field -> values on `rows`

        def current(fld: str) -> pd.Series:
            if fld in branch:
                return branch[fld]
            if fld in before:
                return before.loc[mask, fld].astype("str")
            return pd.Series(pd.NA, index=rows.index, dtype="str")

        for lk in actions.lookups:
            value, row = lk.table.lookup(rows[lk.source])
            hit = row.notna()
            new = value.where(hit, lk.default if lk.default is not None else current(lk.field))
            branch[lk.field] = new.astype("str")
            used = np.zeros(len(before), bool)
            used[np.flatnonzero(mask)[hit.to_numpy() | (lk.default is not None)]] = True
            src = f"{rule.label}: {lk.table.name}"
            prov.append(_prov(before, used & traced, channel, lk.field, src, None, rows=row.reindex(before.index)))
        for kind, templates in (("set", actions.set), ("prepend", actions.prepend), ("append", actions.append)):
            for t in templates:
                r = t.render(rows) if kind == "set" else _raw(t, rows)
                if len(r.errors):
                    failed = pd.Series(before.index.isin(r.errors.index), index=before.index)
                    issues.append(
                        issues_where(
                            before,
                            failed,
                            code="template-error",
                            field=t.field,
                            channel=channel,
                            value=pd.Series(t.source, index=before.index, dtype="str"),
                            message=f"{rule.label} could not {kind} {t.field}: " + r.errors.reindex(before.index),
                        )
                    )
                if kind == "set":
                    branch[t.field] = r.values
                else:
                    base = current(t.field)
                    text = r.values.fillna("").astype("str")
                    joined = (text + base) if kind == "prepend" else (base + text)
                    branch[t.field] = joined.where(base.notna()).astype("str")
                prov.append(_prov(before, mask & traced, channel, t.field, rule.label, rule.line))
        where = pa.array(mask)
        for fld, values in branch.items():
            base = changes.get(fld)
            if base is None:
                base = before[fld].astype("str") if fld in before else pd.Series(pd.NA, index=before.index, dtype="str")
            # values are the masked rows in order: placed by position (a reindex hashes the index)
            full = pc.replace_with_mask(arrow(base), where, arrow(values))
            changes[fld] = pd.Series(full, index=before.index, dtype="str")


def _raw(t: FieldTemplate, rows: pd.DataFrame) -> Rendered:
    """append/prepend text is used as written: " - Sale" keeps its leading space."""
    values, errors = t.render_raw(rows)
    return Rendered(values, errors)


def _traced(frame: pd.DataFrame, trace: Collection[str] | None) -> np.ndarray:
    if trace is None:
        return np.ones(len(frame), dtype=bool)
    if not trace:
        return np.zeros(len(frame), dtype=bool)
    return frame["id"].isin(list(trace)).to_numpy(dtype=bool, na_value=False)


def _prov(
    frame: pd.DataFrame,
    mask: np.ndarray,
    channel: str,
    fld: str,
    source: str,
    line: int | None,
    rows: pd.Series | None = None,
) -> pd.DataFrame:
    if not mask.any():
        return empty_provenance()
    ids = frame["id"].to_numpy()[mask]
    row = rows.to_numpy()[mask] if rows is not None else [line] * len(ids)
    return pd.DataFrame(
        {
            "sku": pd.Series(ids, dtype="str"),
            "channel": channel,
            "field": fld,
            "source": source,
            "row": pd.array(row, dtype="Int64"),
        }
    )


# --------------------------------------------------------------------------- loading


def rule_lines(config_path: Path) -> list[int]:
    """1-based line of every `[[rules]]` header, in order (tomllib keeps no positions)."""
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [i for i, line in enumerate(text.splitlines(), 1) if re.match(r"^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$", line)]


def _where(config_path: Path, number: int, name: str, line: int | None) -> str:
    at = f" line {line}," if line else ""
    return f'{config_path}{at} rule {number} "{name}"'


def _rule_error(
    config_path: Path,
    rule: Any,
    key: str,
    text: str,
    e: RuleError,
    columns: list[str] | None,
) -> ConfigError:
    number, name, line = rule.number, rule.name, rule.line
    near = (
        f" (at character {e.pos + 1}: {e.token!r})"
        if e.pos is not None and e.token
        else (f" (at character {e.pos + 1})" if e.pos is not None else "")
    )
    hint = 'conditions look like: product_type starts with "Apparel" and price < 20'
    if columns is not None and "not a column" in e.message:
        hint = "valid columns: " + ", ".join(sorted(c for c in columns if not c.startswith("_")))
    shown = text if len(text) <= 120 else text[:100] + f"... ({len(text)} characters)"
    return ConfigError(f"{_where(config_path, number, name, line)}: {key} = {shown!r}: {e.message}{near}", hint=hint)


@dataclass
class _Stub:
    number: int
    name: str
    line: int | None


def _window(value: Any, *, end: bool, where: str) -> pd.Timestamp | None:
    if value is None:
        return None

    def fail() -> ConfigError:
        return ConfigError(
            f"{where} must be a date such as 2026-12-24 or a datetime, got {value!r}",
            hint="write TOML dates without quotes: from = 2026-11-20",
        )

    date_only = isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(value, str):
        date_only = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()))
        try:
            ts = pd.Timestamp(value.strip())
        except ValueError:
            raise fail() from None
        if ts is pd.NaT:
            raise fail()
    elif isinstance(value, datetime | date):
        ts = pd.Timestamp(value)
    else:
        raise fail()
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts + timedelta(days=1) if (end and date_only) else ts


def _check_field(fld: Any, where: str, key: str, *, allow_typed: bool = False) -> str:
    if not isinstance(fld, str) or not FIELD_RE.match(fld):
        raise ConfigError(
            f"{where}: {key} names {fld!r}, which is not a field name",
            hint="field names are letters, digits and _, e.g. custom_label_0",
        )
    if fld in PROTECTED or fld.startswith("_"):
        raise ConfigError(f"{where}: {key} cannot change {fld}", hint="ids change only through a market's id_suffix")
    if fld in TYPED and not allow_typed:
        raise ConfigError(
            f"{where}: {key} cannot change {fld}, which is a price, quantity or date",
            hint="prices and stock change through the price and stock files and channel policies",
        )
    return fld


def load_rules(
    raw_rules: list[dict[str, Any]] | tuple[dict[str, Any], ...],
    config_path: Path,
    columns: Collection[str] | None,
) -> RuleSet:
    """Check and compile [[rules]]. With `columns` None only structure and syntax are checked
    (config time); with the catalog's columns every name and type is checked too."""
    from feedsync.channels import CHANNELS

    lines = rule_lines(config_path)
    root = config_path.parent
    known = set(columns) if columns is not None else None
    compiled: list[Rule] = []
    names: set[str] = set()
    created: list[str] = []
    for i, raw in enumerate(raw_rules, 1):
        line = lines[i - 1] if i - 1 < len(lines) else None
        name = raw.get("name", f"rule {i}") if isinstance(raw, dict) else f"rule {i}"
        stub = _Stub(i, str(name), line)
        where = _where(config_path, i, str(name), line)
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: name must be a non-empty string", hint='name = "winter sale label"')
        if name in names:
            raise ConfigError(f"{where}: another rule is also named {name!r}", hint="give every rule its own name")
        names.add(name)
        unknown = sorted(set(raw) - set(RULE_KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}", hint="valid keys: " + ", ".join(RULE_KEYS))
        channels = raw.get("channels")
        if channels is not None:
            if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
                raise ConfigError(
                    f"{where}: channels must be a list of channel names",
                    hint=f'e.g. channels = ["google"]; valid: {", ".join(CHANNELS)}',
                )
            bad = [c for c in channels if c not in CHANNELS]
            if bad:
                raise ConfigError(
                    f"{where}: channels names {bad[0]!r}, which is not a channel",
                    hint=f"valid channels: {', '.join(CHANNELS)}",
                )
            channels = tuple(channels)

        start = _window(raw.get("from"), end=False, where=f"{where}: from")
        end = _window(raw.get("until"), end=True, where=f"{where}: until")
        if start is not None and end is not None and end <= start:
            raise ConfigError(f"{where}: until ({raw.get('until')}) is not after from ({raw.get('from')})")

        when_text = raw.get("when")
        when: Node | None = None
        if when_text is not None:
            if not isinstance(when_text, str):
                raise ConfigError(f"{where}: when must be a string", hint="when = 'price < 10'")
            try:
                when = parse_condition(when_text)
                if known is not None:
                    for col in columns_of(when):
                        if col.name not in known:
                            close = difflib.get_close_matches(col.name, sorted(known), n=1)
                            raise RuleError(
                                f"{col.name!r} is not a column" + (f" (did you mean {close[0]}?)" if close else ""),
                                col.pos,
                                col.name,
                            )
                    Evaluator(_kind_frame(known), datetime.now(UTC)).condition(when)
            except RuleError as e:
                raise _rule_error(
                    config_path, stub, "when", when_text, e, sorted(known) if known is not None else None
                ) from None
        then = _actions(raw, where, root, known)
        otherwise = None
        if "else" in raw:
            if when is None:
                raise ConfigError(f"{where}: else needs a when", hint="else applies where the condition is false")
            other = raw["else"]
            if not isinstance(other, dict):
                raise ConfigError(f"{where}: else must be a table of actions", hint="else = { exclude = true }")
            bad = sorted(set(other) - set(ACTION_KEYS))
            if bad:
                raise ConfigError(
                    f"{where}: else has unknown key {bad[0]!r}", hint="else may hold: " + ", ".join(ACTION_KEYS)
                )
            otherwise = _actions(other, f"{where} else", root, known)
            if not otherwise:
                raise ConfigError(f"{where}: else does nothing", hint="give it an action or remove it")
        if not then and not otherwise:
            raise ConfigError(
                f"{where}: the rule has no action", hint="add exclude = true, set, append, prepend or lookup"
            )
        for fld in then.fields + (otherwise.fields if otherwise else []):
            if known is not None and fld not in known:
                known.add(fld)
                created.append(fld)
        compiled.append(Rule(i, name, line, channels, when_text, when, then, otherwise, start, end))
    return RuleSet(tuple(compiled), config_path, tuple(created))


def _actions(raw: dict[str, Any], where: str, root: Path, known: set[str] | None) -> Actions:
    exclude = raw.get("exclude", False)
    if not isinstance(exclude, bool):
        raise ConfigError(f"{where}: exclude must be true or false, got {exclude!r}")
    lookups: list[Lookup] = []
    lk_raw = raw.get("lookup")
    if lk_raw is not None:
        items = lk_raw if isinstance(lk_raw, list) else [lk_raw]
        for item in items:
            if not isinstance(item, dict):
                raise ConfigError(
                    f"{where}: lookup must be a table",
                    hint='lookup = { field = "google_product_category", from = "product_type", '
                    'table = "categories.csv" }',
                )
            bad = sorted(set(item) - set(LOOKUP_KEYS))
            if bad:
                raise ConfigError(
                    f"{where}: lookup has unknown key {bad[0]!r}", hint="valid: " + ", ".join(LOOKUP_KEYS)
                )
            for key in ("field", "from", "table"):
                if not isinstance(item.get(key), str):
                    raise ConfigError(
                        f"{where}: lookup needs {key} (a string)",
                        hint='lookup = { field = "google_product_category", from = "product_type", '
                        'table = "categories.csv", default = "" }',
                    )
            fld = _check_field(item["field"], where, "lookup")
            source = item["from"]
            if known is not None and source not in known:
                raise ConfigError(
                    f"{where}: lookup reads from {source!r}, which is not a column",
                    hint="valid columns: " + ", ".join(sorted(c for c in known if not c.startswith("_"))),
                )
            default = item.get("default")
            if default is not None and not isinstance(default, str):
                raise ConfigError(f"{where}: lookup default must be a string, got {default!r}")
            try:
                table = read_mapping_table(root / item["table"])
            except ConfigError as e:
                raise ConfigError(f"{where}: {e.message}", hint=e.hint) from None
            lookups.append(Lookup(fld, source, table, default))
    groups: dict[str, list[FieldTemplate]] = {"set": [], "prepend": [], "append": []}
    for key in groups:
        entries = raw.get(key)
        if entries is None:
            continue
        if not isinstance(entries, dict) or not entries:
            raise ConfigError(
                f'{where}: {key} must be a table of field = "template"', hint=f'{key} = {{ custom_label_0 = "sale" }}'
            )
        for fld, source in entries.items():
            _check_field(fld, where, key)
            if not isinstance(source, str):
                raise ConfigError(f"{where}: {key}.{fld} must be a string (a template), got {source!r}")
            label = f"{where} {key} {fld}"
            if known is not None and key != "set" and fld not in known and fld not in (raw.get("set") or {}):
                raise ConfigError(
                    f"{label}: {fld} is not a column, so there is nothing to {key} to",
                    hint="set it first (in this or an earlier rule)",
                )
            groups[key].append(compile_template(source, known, field=fld, where=label, origin="rule"))
    return Actions(exclude, tuple(groups["set"]), tuple(groups["prepend"]), tuple(groups["append"]), tuple(lookups))


def check_rules(raw_rules: list[dict[str, Any]] | tuple[dict[str, Any], ...], config_path: Path) -> None:
    """Config-time check: structure, windows, expression syntax, template syntax, tables exist."""
    load_rules(raw_rules, config_path, None)
