"""Streaming writers for delimited text and RSS XML feeds.

Cells are escaped and joined column-wise (pyarrow compute), then written as one block per
batch: DESIGN.md section 4 measured this at a fraction of the cost of per-item templating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.output import FeedFile, PendingFile
from feedsync.render.values import data_bytes, holds_any_byte, join, present, text_array, xml_escape_arrow
from feedsync.resources import template_env

G_NS = "http://base.google.com/ns/1.0"


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
        file = self._open()
        if len(frame):
            file.write(self.render(frame))
            self.items += len(frame)

    def render(self, frame: pd.DataFrame) -> bytes:
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

    def render(self, frame: pd.DataFrame) -> bytes:
        needs = "[" + self.delimiter + '"\r\n]|^\\s|\\s$'
        cells = []
        for col in self.columns:
            s = frame[col] if col in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
            a = text_array(s.astype("str"))
            if self.single_line:
                a = pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"[\t\r\n]+", " "))
            if self.neutralise_formulas:
                a = pc.if_else(pc.match_substring_regex(a, r"^[=+\-@]").fill_null(False), join("'", a), a)
            quote = _needs_quotes(a, needs, self.delimiter)
            if pc.any(quote).as_py():
                a = pc.if_else(quote, join('"', pc.replace_substring(a, '"', '""'), '"'), a)
            cells.append(a)
        sep = pa.scalar(self.delimiter, pa.large_string())
        lines = pc.binary_join_element_wise(*cells, sep, null_handling="replace", null_replacement="")
        return data_bytes(join(lines, "\n"))


def _needs_quotes(a: pa.Array, needs: str, delimiter: str) -> pa.Array:
    """Where `needs` (the delimiter, a quote or a line break anywhere, white space (RE2 \\s) at
    either end) matches. Most columns hold none of those characters: a look at their bytes
    settles it, and trimming tells the ends; only the others run the regex."""
    special = f"{delimiter}\"\r\n".encode()
    if len(delimiter.encode()) == 1 and not holds_any_byte(a, special):
        return pc.not_equal(pc.utf8_trim(a, "\t\n\f\r "), a).fill_null(False)
    return pc.match_substring_regex(a, needs).fill_null(False)


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

    def render(self, frame: pd.DataFrame) -> bytes:
        parts: list[pa.Array | str] = ["<item>\n"]
        for col in self.columns:
            if col not in frame:
                continue
            tag = col if col in self.plain else f"g:{col}"
            value = present(xml_escape_arrow(text_array(frame[col])))
            if col in self.repeated:
                value = pc.replace_substring(value, ",", f"</{tag}>\n<{tag}>")
            parts.append(join(f"<{tag}>", value, f"</{tag}>\n"))
        parts.append("</item>\n")
        return data_bytes(join(*parts, skip_missing=True))
