"""JSON text built column-wise with pyarrow, byte for byte what `feedsync.output.dumps` (orjson,
indented by 2, keys sorted) writes: for tables of text and whole numbers with hundreds of
thousands of rows (report.json's issues), where Python dicts per row would cost seconds.
"""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.render.values import data_view, rows_bytes, rows_holding

# orjson's escapes: these five controls by name, the other C0 controls as \u00xx; DEL and
# everything above it as they are
_NAMED = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
_LARGE = pa.large_string()
_NULL = pa.scalar("null", _LARGE)


def json_strings(a: pa.Array) -> pa.Array:
    """The JSON literal of every value of a text array: `json_body` quoted; missing -> null."""
    quote = pa.scalar('"', _LARGE)
    body = json_body(a)
    return pc.fill_null(pc.binary_join_element_wise(quote, body, quote, pa.scalar("", _LARGE)), _NULL)


def json_body(a: pa.Array) -> pa.Array:
    """What goes between the quotes of a JSON string, per value (missing stays missing):
    backslash, quote and C0 controls escaped. Only values holding such a character are touched."""
    a = a.cast(_LARGE)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    mask = rows_holding(a, b'"\\', controls=True)
    if mask is None:
        return a
    where = pa.array(mask)
    return pc.replace_with_mask(a, where, _escape(a.filter(where)))


def _escape(a: pa.Array) -> pa.Array:
    a = pc.replace_substring(a, "\\", "\\\\")  # first: the escapes below add backslashes
    a = pc.replace_substring(a, '"', '\\"')
    b = np.frombuffer(data_view(a), dtype=np.uint8)
    for byte in np.unique(b[b < 0x20]).tolist():
        a = pc.replace_substring(a, chr(byte), _NAMED.get(byte, f"\\u{byte:04x}"))
    return a


def json_values(s: pd.Series) -> pa.Array:
    """The JSON text of each value of a text or whole-number column (missing -> null)."""
    a = pa.array(s, from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
        return json_strings(a)
    if pa.types.is_integer(a.type) or pa.types.is_null(a.type):
        return pc.fill_null(a.cast(_LARGE), _NULL)
    raise TypeError(f"column {s.name!r}: {a.type} has no column-wise JSON form (text or whole numbers only)")


def json_records(frame: pd.DataFrame, depth: int) -> memoryview:
    """The rows of `frame` as JSON objects, comma-separated, each starting on a new line indented
    `depth` levels (keys one more), keys sorted: the inside of a JSON list at that depth."""
    pad = "\n" + "  " * depth
    parts: list[object] = [",", pad, "{"]
    for i, col in enumerate(sorted(frame.columns)):
        parts += [("," if i else "") + pad + "  " + orjson.dumps(str(col)).decode() + ": ", json_values(frame[col])]
    parts.append(pad + "}")
    return rows_bytes(*parts)[1:]  # every row but the first follows a comma
