"""Where the channel specs and templates are, in a checkout and in an installed wheel.

The wheel carries them in feedsync/_data/ (see pyproject's force-include); a checkout or an
editable install finds them at the top of the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    for base in (_PACKAGE / "_data", _PACKAGE.parent):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"feedsync is installed without its {name}/ folder; reinstall the package")


@cache
def channel_spec(channel: str) -> dict[str, Any]:
    return json.loads((data_dir("channel_specs") / f"{channel}.schema.json").read_text(encoding="utf-8"))


@cache
def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
