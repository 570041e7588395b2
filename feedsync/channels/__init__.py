"""The one registry of channels. Every channel module has the same names, in the same order:

NAME, TITLE, FORMATS, DEFAULT_FORMATS, OPTIONS, to_frame(products, ctx), check(products, frame, ctx),
writers(folder, ctx, compress). Its field rules are data: channel_specs/<NAME>.schema.json.
"""

from __future__ import annotations

from types import ModuleType

from feedsync.channels import amazon, google, google_local, meta
from feedsync.errors import UsageError

CHANNELS: dict[str, ModuleType] = {m.NAME: m for m in (google, google_local, meta, amazon)}


def get_channel(name: str) -> ModuleType:
    try:
        return CHANNELS[name]
    except KeyError:
        raise UsageError(f"unknown channel {name!r}", hint=f"valid channels: {', '.join(CHANNELS)}") from None
