"""The publish gate: the checks a finished build must pass before its feeds replace the
published ones (DESIGN.md section 5). Channels punish mistakes: Meta deletes products missing
from a feed, so a half-exported catalog must never be published by a cron job.

Checks per channel:

- empty-feed: the feed has items (google_local only when store stock is configured);
- item-drop: the item count fell by at most `max_drop` since the last published run;
- error-rate: at most `max_error_rate` of the products offered to the channel were excluded
  for errors, unless the share is no higher than at the last published run. A catalog's
  known debt does not block every night; a rise past the limit does (a broken export).

The first build into an output folder has no published run to compare with: only the
empty-feed check applies (it is run by hand and its report lists every exclusion). Pure
functions of the counts; the pipeline supplies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feedsync.config import Config

GATES = ("empty-feed", "item-drop", "error-rate")


@dataclass
class GateCheck:
    gate: str
    channel: str
    passed: bool
    value: float
    limit: float
    message: str
    current: int
    previous: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "channel": self.channel,
            "passed": self.passed,
            "value": round(self.value, 4),
            "limit": self.limit,
            "current": self.current,
            "previous": self.previous,
            "message": self.message,
        }


@dataclass
class GateResult:
    checks: list[GateCheck] = field(default_factory=list)
    forced: bool = False

    @property
    def fired(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def passed(self) -> bool:
        return not self.fired

    @property
    def refused(self) -> bool:
        return bool(self.fired) and not self.forced

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "forced": self.forced,
            "published": not self.refused,
            "fired": [c.to_dict() for c in self.fired],
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class ChannelCounts:
    channel: str
    items: int  # items of the complete feed this run would publish
    previous: int | None  # items of the last published run (None: first run)
    products: int  # sellable products offered to the channel
    excluded: int  # of those, excluded for errors
    expects_items: bool = True  # False: an empty feed is normal (google_local without store stock)
    previous_rate: float | None = None  # error rate of the last published run


def _pct(x: float) -> str:
    return f"{x * 100:.1f}".rstrip("0").rstrip(".") + "%"


def evaluate(config: Config, counts: list[ChannelCounts], *, forced: bool = False) -> GateResult:
    result = GateResult(forced=forced)
    for c in counts:
        ch = config.channels.get(c.channel.split("/")[0])  # a market's feed (google/FR): its channel's limits
        max_drop = ch.max_drop if ch and ch.max_drop is not None else config.gate.max_drop
        max_errors = ch.max_error_rate if ch and ch.max_error_rate is not None else config.gate.max_error_rate
        if c.expects_items or (c.previous or 0) > 0:
            empty = c.items == 0
            result.checks.append(
                GateCheck(
                    "empty-feed",
                    c.channel,
                    not empty,
                    float(c.items),
                    1,
                    f"{c.channel} feed is empty" + (f" (last published: {c.previous} items)" if c.previous else "")
                    if empty
                    else f"{c.channel}: {c.items} items",
                    c.items,
                    c.previous,
                )
            )
        if c.previous:
            drop = max(c.previous - c.items, 0) / c.previous
            ok = drop <= max_drop
            result.checks.append(
                GateCheck(
                    "item-drop",
                    c.channel,
                    ok,
                    drop,
                    max_drop,
                    f"{c.channel} dropped {_pct(drop)} ({c.previous} -> {c.items} items; limit {_pct(max_drop)})",
                    c.items,
                    c.previous,
                )
            )
        if c.products and c.previous_rate is not None:
            rate = c.excluded / c.products
            ok = rate <= max_errors or rate <= c.previous_rate
            text = (
                f"{c.channel}: {_pct(rate)} of products excluded for errors ({c.excluded} of {c.products}; "
                f"limit {_pct(max_errors)}; last published run {_pct(c.previous_rate)})"
            )
            result.checks.append(GateCheck("error-rate", c.channel, ok, rate, max_errors, text, c.items, c.previous))
    return result
