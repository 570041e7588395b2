"""Streaming writers for delimited text and RSS XML feeds.

Cells are escaped and joined column-wise (pyarrow compute), then written as one block per
batch: DESIGN.md section 4 measured this at a fraction of the cost of per-item templating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from feedsync.output import FeedFile, PendingFile
from feedsync.render.values import concat_columns, single_line, xml_escape
from feedsync.resources import template_env
from feedsync.vector import matches

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
        cells = pd.DataFrame(index=frame.index)
        needs = "[" + self.delimiter + '"\r\n]|^\\s|\\s$'
        for col in self.columns:
            s = frame[col].astype("str").fillna("") if col in frame else pd.Series("", index=frame.index, dtype="str")
            if self.single_line:
                s = single_line(s)
            if self.neutralise_formulas:
                s = s.where(~matches(s, r"^[=+\-@]"), "'" + s)
            quote = matches(s, needs)
            if quote.any():
                s = s.where(~quote, '"' + s.str.replace('"', '""', regex=False) + '"')
            cells[col] = s
        lines = concat_columns(cells, self.delimiter)
        return ("\n".join(lines.to_pylist()) + "\n").encode("utf-8")


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
        parts = pd.DataFrame(index=frame.index)
        parts["_open"] = pd.Series("<item>\n", index=frame.index, dtype="str")
        for col in self.columns:
            if col not in frame:
                continue
            tag = col if col in self.plain else f"g:{col}"
            value = xml_escape(frame[col].astype("str"))
            if col in self.repeated:
                value = value.str.replace(",", f"</{tag}>\n<{tag}>", regex=False)
            element = f"<{tag}>" + value + f"</{tag}>\n"
            parts[col] = element.where(value.notna() & (value != ""), "")
        parts["_close"] = pd.Series("</item>", index=frame.index, dtype="str")
        joined = concat_columns(parts, "")
        return ("\n".join(joined.to_pylist()) + "\n").encode("utf-8")
