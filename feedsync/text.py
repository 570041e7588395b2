"""String plumbing the source readers and platform adapters share.

Everything here takes and returns whole columns: exports run to millions of rows, so the work
is done by pyarrow's string kernels, and the few steps that need Python (html.unescape, date
parsing, typed cells from Excel or a database) run once per distinct value, not once per row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import math
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.catalog import clean_text
from feedsync.columns import CANONICAL, ROW
from feedsync.errors import SourceError
from feedsync.render.values import end_bytes, rows_holding
from feedsync.vector import arrow

# ---------------------------------------------------------------------------------------------
# HTML to plain text

# RE2 (pyarrow's regex engine) has no \b and an ASCII-only \s; pandas falls back to Python's
# re (slow, per value) for those, so boundaries are spelled out.
_WS = "[ \t\n\r\f\v]"
_END_OF_NAME = f"(?:{_WS}|/|>)"
_DROPPED = [r"(?s)<!--.*?-->"] + [
    rf"(?is)<{tag}{_END_OF_NAME}.*?</{tag}{_WS}*>" for tag in ("script", "style", "head", "template")
]
_BLOCK_TAGS = (
    "address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|"
    "main|nav|ol|p|pre|section|table|tbody|tfoot|thead|tr|ul"
)
_BLOCK = rf"(?i)</?(?:{_BLOCK_TAGS})(?:(?:{_WS}|/)[^>]*)?>"
_CELL = rf"(?i)</?t[dh](?:(?:{_WS}|/)[^>]*)?>"
_TAG = r"</?[A-Za-z][^>]*>|<![^>]*>|<\?[^>]*>"
# Horizontal white space, including what &nbsp; and friends decode to.
_SPACE = "[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+"


# Entities common enough to decode with Arrow. &amp; is decoded after them, and only where no
# other entity is left, so "&amp;lt;" becomes "&lt;" as html.unescape has it.
_COMMON_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&nbsp;", "\u00a0"))
_ENTITY_START = r"&(?:#[0-9xX]|[A-Za-z])"


def unescape_entities(text: pd.Series) -> pd.Series:
    """html.unescape semantics; Python runs only on values with entities beyond the common ones."""
    arr = arrow(text)
    for entity, char in _COMMON_ENTITIES:
        arr = pc.replace_substring(arr, entity, char)
    rare = pc.greater(pc.count_substring_regex(arr, _ENTITY_START), pc.count_substring(arr, "&amp;"))
    rare = rare.fill_null(False).to_numpy(zero_copy_only=False)
    out = pd.Series(pc.replace_substring(arr, "&amp;", "&"), index=text.index, dtype="str")
    if rare.any():
        out[rare] = [html.unescape(v) for v in pd.Series(arr.filter(rare), dtype="str")]
    return out


def html_to_text(series: pd.Series) -> pd.Series:
    """Plain text from HTML: tags dropped, entities decoded, white space collapsed.

    Block elements (p, br, li, div, headings ...) become line breaks so paragraphs and bullet
    points stay apart; runs of blank lines collapse to one line break. Text that is empty
    afterwards becomes NA.

    Each step runs only on the values it can change (a look at their bytes tells): tags need
    a '<', entities a '&'; plain-text descriptions skip nearly all of it.
    """
    codes, uniques = pd.factorize(series.astype("str"))
    if not len(uniques):
        return pd.Series(pd.NA, index=series.index, dtype="str")
    text = pd.Series(uniques, dtype="str")

    def markup(t: pd.Series) -> pd.Series:
        for pattern in _DROPPED:
            t = t.str.replace(pattern, " ", regex=True)
        t = t.str.replace(_BLOCK, "\n", regex=True)
        t = t.str.replace(_CELL, " ", regex=True)
        return t.str.replace(_TAG, "", regex=True)

    text = _where(text, markup, b"<")
    text = _where(text, unescape_entities, b"&")
    # a single space stays as it is: only other white space, runs of spaces or non-ASCII text
    text = _where(
        text, lambda t: t.str.replace(_SPACE, " ", regex=True), b"\t\x0b\x0c\r", pairs=(b"  ",), non_ascii=True
    )
    text = _where(text, lambda t: t.str.replace(r" ?\n[ \n]*", "\n", regex=True), b"\n")
    first, last, _ = end_bytes(arrow(text))
    space = np.zeros(256, dtype=bool)
    space[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
    space[0x80:] = True
    ends = space[first] | space[last]
    if ends.any():
        text = text.copy()
        text[ends] = text[ends].str.strip()
    text = text.mask(text == "")
    out = text.take(np.where(codes < 0, 0, codes)).set_axis(series.index)
    return out.mask(codes < 0)


def _where(
    text: pd.Series,
    fn: Callable[[pd.Series], pd.Series],
    chars: bytes,
    *,
    pairs: tuple[bytes, ...] = (),
    non_ascii: bool = False,
) -> pd.Series:
    """`fn(text)` where `fn` leaves values without any of `chars` (or `pairs`, or, with
    `non_ascii`, a byte above 0x7F) as they are: run on the other values only."""
    a = arrow(text)
    mask = rows_holding(a, chars, pairs=pairs, non_ascii=non_ascii)
    if mask is None:
        return text
    if mask.all():
        return fn(text)
    out = text.copy()
    out[mask] = fn(text[mask])
    return out


# ---------------------------------------------------------------------------------------------
# Text columns


def has_text(series: pd.Series) -> bool:
    """Whether any cell is non-empty: a cheap test that lets callers skip blank columns."""
    longest = pc.max(pc.utf8_length(arrow(series))).as_py()
    return bool(longest)


def column_reader(raw: pd.DataFrame):
    """`text(name, rows=None, clean=True)`: column `name` of `raw` (of the given row positions),
    indexed by position; all NA when the column is absent or blank. `clean=False` skips the
    cleaning for long HTML that html_to_text cleans anyway (once per distinct value)."""

    def text(name: str, rows: np.ndarray | None = None, clean: bool = True) -> pd.Series:
        col = raw[name] if name in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
        col = col if rows is None else col.iloc[rows]
        if not has_text(col):
            return pd.Series(pd.NA, index=pd.RangeIndex(len(col)), dtype="str")
        return (clean_text(col) if clean else col.astype("str")).reset_index(drop=True)

    return text


def join_nonblank(parts: Sequence[pd.Series], sep: str = "|") -> pd.Series:
    """Row-wise join of the non-missing values of several aligned text columns."""
    out = parts[0]
    for part in parts[1:]:
        out = (out + sep + part).fillna(out).fillna(part)
    return out


def _rejoin(values: pa.Array, owner: np.ndarray, n: int, sep: str) -> pd.Series:
    """Join `values` (sorted by `owner`, an int array of positions 0..n-1) into n strings."""
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values)
    joined = pd.Series(pc.binary_join(lists, pa.scalar(sep, pa.large_string())), dtype="str")
    return joined.mask(joined == "")


def join_by(keys: pd.Series, values: pd.Series, sep: str = "|") -> pd.Series:
    """The non-missing `values` of each key joined by `sep`, in row order; indexed by key.

    Vectorised (one Arrow kernel), unlike groupby().agg(sep.join), which calls Python per group.
    """
    keep = values.notna() & keys.notna()
    codes, uniques = pd.factorize(keys[keep])
    order = np.argsort(codes, kind="stable")
    vals = arrow(values[keep]).take(pa.array(order))
    return _rejoin(vals, codes[order], len(uniques), sep).set_axis(pd.Index(uniques, name=keys.name))


def split_items(lists: pd.Series, sep: str) -> tuple[pd.Series, np.ndarray]:
    """Every item of every list as one long column, with the position of the row it came from."""
    parts = pc.split_pattern(arrow(lists), sep)
    items = pd.Series(pc.list_flatten(parts), dtype="str")
    return items, pc.list_parent_indices(parts).to_numpy()


def map_items(lists: pd.Series, func, sep: str = "|") -> pd.Series:
    """Apply a column function to each item of `sep`-joined lists, keeping rows and order."""
    items, owner = split_items(lists, sep)
    mapped = clean_text(func(clean_text(items)))
    keep = mapped.notna().to_numpy()
    out = _rejoin(arrow(mapped[keep]), owner[keep], len(lists), sep)
    return out.set_axis(lists.index)


def remove_item(lists: pd.Series, item: pd.Series, sep: str = "|") -> pd.Series:
    """`lists` (values joined by `sep`) without the value `item` holds on the same row."""
    parts = pc.split_pattern(arrow(lists), sep)
    flat = pc.list_flatten(parts)
    owner = pc.list_parent_indices(parts)
    drop = pc.equal(flat, arrow(item).take(owner))
    keep = pc.invert(pc.fill_null(drop, False))
    out = _rejoin(flat.filter(keep), owner.filter(keep).to_numpy(), len(lists), sep)
    return out.set_axis(lists.index).mask(lists.isna())


# Attribute labels (Shopify options, WooCommerce attributes, Magento attribute codes) that name
# a canonical column, keyed by their snake_case form.
ATTRIBUTE_COLUMNS = {
    "color": "color",
    "colour": "color",
    "size": "size",
    "material": "material",
    "pattern": "pattern",
    "gender": "gender",
    "age_group": "age_group",
}


def column_name(label: str, taken: set[str]) -> str | None:
    """The column an attribute label fills: canonical for Color/Size/..., else its snake_case
    form, prefixed `attribute_` when that is taken."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if not key:
        return None
    if key in ATTRIBUTE_COLUMNS:
        return ATTRIBUTE_COLUMNS[key]
    return f"attribute_{key}" if key in taken else key


def attribute_columns(
    pairs: Iterable[tuple[pd.Series, pd.Series]], *, reserved: Iterable[str] = ()
) -> dict[str, pd.Series]:
    """Columns from (label, value) column pairs, e.g. Option1 Name / Option1 Value.

    Labels that name a canonical attribute (Color, Colour, Size ...) fill that column; other
    labels become extra columns named by their snake_case label, prefixed `attribute_` when
    that would clash with a canonical or `reserved` column. The first pair that gives a row a
    value for a column wins. Labels are few, so each distinct label is looked at once.
    """
    taken = set(CANONICAL) | set(reserved)
    out: dict[str, pd.Series] = {}
    for label, value in pairs:
        codes, labels = pd.factorize(label)
        names = [column_name(str(v), taken) for v in labels]
        codes = np.where(value.notna().to_numpy(), codes, -1)
        for name in dict.fromkeys(names[i] for i in np.unique(codes[codes >= 0]) if names[i]):
            wanted = [i for i, n in enumerate(names) if n == name]
            got = value.where(np.isin(codes, wanted))
            out[name] = out[name].fillna(got) if name in out else got
    return out


def inherit(frame: pd.DataFrame, source: np.ndarray, columns: Iterable[str]) -> None:
    """Fill empty cells of `columns` in place from row `source[i]` (a position; -1 = none).

    Variants take what they leave empty (description, images, brand ...) from their parent.
    """
    has = source >= 0
    if not has.any():
        return
    at = np.where(has, source, 0)
    for col in columns:
        if col in frame:
            donor = frame[col].take(at).where(has).set_axis(frame.index)
            frame[col] = frame[col].fillna(donor)


def text_frame(columns: dict[str, pd.Series] | pd.DataFrame, rows: pd.Series | np.ndarray) -> pd.DataFrame:
    """A raw catalog frame: canonical columns first (in columns.py order), then extras, all
    text, then ROW (Int64)."""
    frame = pd.DataFrame(columns)
    canonical = [c for c in CANONICAL if c in frame]
    extras = [c for c in frame.columns if c not in canonical and c != ROW]
    out = frame[canonical + extras]
    out = out.astype({c: "str" for c in out.columns if out[c].dtype != "str"})
    out[ROW] = pd.array(np.asarray(rows), dtype="Int64")
    return out


# ---------------------------------------------------------------------------------------------
# Typed values (Excel cells, database rows) as text


def _cell_text(value: object) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return _float_text(float(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return repr(value)


def as_text(series: pd.Series) -> pd.Series:
    """Typed values as the strings a raw catalog holds: 12.0 -> '12', 49.95 -> '49.95',
    dates ISO 8601 (midnight datetimes as plain dates), booleans 'true'/'false', None -> NA."""
    kind = series.dtype.kind
    if isinstance(series.dtype, pd.StringDtype) or kind in "iu":
        return series.astype("str")
    if kind == "f":
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**63)
        out = series.astype("str")
        out[whole] = pd.Series(values[whole].astype("int64"), index=series.index[whole]).astype("str")
        return out
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = pd.Series([_cell_text(v) for v in uniques], dtype="str")
    if not len(texts):
        return pd.Series(pd.NA, index=series.index, dtype="str")
    out = texts.take(np.where(codes < 0, 0, codes)).set_axis(series.index)
    return out.mask(codes < 0)


def frame_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, headers as str (Excel and databases may give numbers)."""
    return pd.DataFrame({str(c): as_text(frame[c]) for c in frame.columns}, index=frame.index)


# ---------------------------------------------------------------------------------------------
# Dates

_US_DATE = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}(?:[^0-9]|$)"
_US_FORMATS = ("%m/%d/%y", "%m/%d/%Y", "%m/%d/%y, %I:%M %p", "%m/%d/%Y, %I:%M %p", "%m/%d/%Y %H:%M:%S")


def _us_date(value: str) -> str:
    for fmt in _US_FORMATS:
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.date().isoformat() if parsed.time() == dt.time(0) else parsed.isoformat()
    return value


def iso_date_text(series: pd.Series) -> pd.Series:
    """Dates as ISO 8601 text: '2026-05-01 00:00:00' -> '2026-05-01', '5/1/26' -> '2026-05-01'.

    MySQL's zero date means "none" and becomes NA; anything unreadable is kept as it is, so
    the normaliser reports it with its row.
    """
    text = clean_text(series)
    text = text.mask(text.str.startswith("0000-00-00"))
    text = text.str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]00:00(?::00)?$", r"\1", regex=True)
    text = text.str.replace(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9])", r"\1T\2", regex=True)
    us = text.str.contains(_US_DATE, regex=True).fillna(False).astype(bool)
    if us.any():
        codes, uniques = pd.factorize(text[us])
        text[us] = pd.Series([_us_date(v) for v in uniques], dtype="str").take(codes).to_numpy()
    return text


# ---------------------------------------------------------------------------------------------
# Headers


def header_key(name: object) -> str:
    """A header as compared: case, runs of white space and a leading BOM do not count."""
    return " ".join(str(name).lstrip("\ufeff").lower().split())


def match_headers(raw: pd.DataFrame, known: Iterable[str]) -> pd.DataFrame:
    """`raw` with headers that equal a known name up to case, white space or a BOM renamed
    to the known spelling, so adapters can index by the names the platform documents."""
    wanted = {header_key(k): k for k in known}
    renames = {}
    for col in raw.columns:
        key = header_key(col)
        if key in wanted and col != wanted[key] and wanted[key] not in raw.columns:
            renames[col] = wanted[key]
    return raw.rename(columns=renames) if renames else raw


def require_columns(
    raw: pd.DataFrame, required: Iterable[str], *, kind: str, path: Path | str | None, hint: str
) -> None:
    """Raise SourceError naming the file and the columns an export of `kind` must have."""
    missing = [c for c in required if c not in raw.columns]
    if missing:
        where = f"{path}: " if path else ""
        raise SourceError(
            f"{where}not a complete {kind} export: missing column(s) {', '.join(repr(c) for c in missing)}",
            hint=hint,
        )
