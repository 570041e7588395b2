"""Streaming writers for delimited text and RSS XML feeds.

Cells are escaped and joined column-wise (pyarrow compute), then written as one block per
batch: DESIGN.md section 4 measured this at a fraction of the cost of per-item templating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.output import FeedFile, PendingFile
from feedsync.render.values import (
    Group,
    end_bytes,
    group,
    join,
    nonempty,
    replace_where,
    rows_bytes,
    rows_holding,
    single_line_arrow,
    xml_escape_arrow,
)
from feedsync.resources import template_env
from feedsync.vector import arrow

G_NS = "http://base.google.com/ns/1.0"
RENDER_ROWS = 10_000


@dataclass
class FeedWriter:
    """Base: one output file per writer, items counted across batches."""

    channel: str
    format: str
    path: Path
    compress: bool = False
    items: int = 0
    pending: list[PendingFile] = field(default_factory=list)

    def _open(self) -> PendingFile:
        if not self.pending:
            self.pending.append(PendingFile(self.path, compress=self.compress))
            self.start(self.pending[0])
        return self.pending[0]

    def start(self, file: PendingFile) -> None:  # header / envelope head
        pass

    def end(self, file: PendingFile) -> None:  # envelope tail
        pass

    def write(self, frame: pd.DataFrame) -> None:
        """Rendered `RENDER_ROWS` rows at a time: the channels of a batch render side by side,
        and a whole batch's escaped columns and output would be hundreds of megabytes."""
        file = self._open()
        for start in range(0, len(frame), RENDER_ROWS):
            file.write(self.render(frame.iloc[start : start + RENDER_ROWS]))
        self.items += len(frame)

    def render(self, frame: pd.DataFrame) -> bytes | memoryview:
        raise NotImplementedError

    def finish(self) -> list[FeedFile]:
        file = self._open()
        self.end(file)
        file.finish()
        return [FeedFile(self.channel, self.format, file.final, self.items, file.size, file.sha256)]

    def abort(self) -> None:
        for p in self.pending:
            p.abort()


@dataclass
class DelimitedWriter(FeedWriter):
    """CSV / TSV with a header row. Cells are quoted only when they must be (RFC 4180 rules)."""

    columns: tuple[str, ...] = ()
    delimiter: str = ","
    neutralise_formulas: bool = False
    single_line: bool = False  # one record per line (TSV): tabs and line breaks become spaces

    def start(self, file: PendingFile) -> None:
        file.write((self.delimiter.join(self.columns) + "\n").encode())

    def render(self, frame: pd.DataFrame) -> bytes | memoryview:
        parts: list[pa.Array | str] = []
        # single_line_arrow leaves no tab, line break or white space at either end of a cell:
        # then only the delimiter or a quote can make one need quotes
        special = f'{self.delimiter}"'.encode() if self.single_line else f'{self.delimiter}"\r\n'.encode()
        for col in self.columns:
            s = frame[col] if col in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
            a = arrow(s)
            if self.single_line:
                a = single_line_arrow(a)
            if self.neutralise_formulas:
                first, _, _ = end_bytes(a)
                formula = np.isin(first, np.frombuffer(b"=+-@", dtype=np.uint8))
                if formula.any():
                    where = pa.array(formula)
                    a = pc.replace_with_mask(a, where, join("'", a.filter(where)))
            quote = _needs_quotes(a, special, edges=not self.single_line)
            if quote is not None:
                where = pa.array(quote)
                quoted = join('"', pc.replace_substring(a.filter(where), '"', '""'), '"')
                a = pc.replace_with_mask(a, where, quoted)
            if parts:
                parts.append(self.delimiter)
            parts.append(a)
        parts.append("\n")
        return rows_bytes(*parts)


_SPACE = np.zeros(256, dtype=bool)  # by byte value: RE2's \s (a table: np.isin sorts per call)
_SPACE[list(b"\t\n\f\r ")] = True


def _needs_quotes(a: pa.Array, special: bytes, *, edges: bool = True) -> np.ndarray | None:
    """Where a cell must be quoted: it holds one of `special` (the delimiter, a quote, line
    breaks) or, with `edges`, starts or ends with white space (RE2 \\s: tab, line feed, form
    feed, carriage return, space). None when no cell must. Read from the bytes, no regex."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    mask = np.zeros(len(a), dtype=bool)
    if edges:
        first, last, _ = end_bytes(a)
        mask = _SPACE[first] | _SPACE[last]
    if len(special) == len(special.decode()):  # a one-byte delimiter: its bytes tell
        held = rows_holding(a, special)
    else:
        held = pc.match_substring_regex(a, "[" + re.escape(special.decode()) + "]").fill_null(False)
        held = held.to_numpy(zero_copy_only=False)
    if held is not None:
        mask |= held
    if a.null_count:
        mask &= a.is_valid().to_numpy(zero_copy_only=False)
    return mask if mask.any() else None


@dataclass
class RssWriter(FeedWriter):
    """RSS 2.0 with the g: namespace, one element per line (Meta caps a line at 5 MB).

    `plain` columns are RSS core elements written without prefix (title, link, description);
    `repeated` columns hold comma-separated values written as one element each.
    """

    columns: tuple[str, ...] = ()
    plain: frozenset[str] = frozenset()
    repeated: frozenset[str] = frozenset()
    title: str = ""
    link: str = ""
    description: str = ""

    def _envelope(self) -> tuple[str, str]:
        env = template_env().get_template("rss.xml.j2")
        marker = "\x00ITEMS\x00"
        text = env.render(namespace=G_NS, title=self.title, link=self.link, description=self.description, items=marker)
        head, tail = text.split(marker)
        return head, tail

    def start(self, file: PendingFile) -> None:
        file.write(self._envelope()[0].encode())

    def end(self, file: PendingFile) -> None:
        file.write(self._envelope()[1].encode())

    def render(self, frame: pd.DataFrame) -> bytes | memoryview:
        parts: list[Group | str] = ["<item>\n"]
        for col in self.columns:
            if col not in frame:
                continue
            tag = col if col in self.plain else f"g:{col}"
            value = xml_escape_arrow(arrow(frame[col]))
            if col in self.repeated:
                value = replace_where(
                    value, b",", lambda a, tag=tag: pc.replace_substring(a, ",", f"</{tag}>\n<{tag}>")
                )
            parts.append(group(f"<{tag}>", value, f"</{tag}>\n", when=nonempty(value)))
        parts.append("</item>\n")
        return rows_bytes(*parts)
