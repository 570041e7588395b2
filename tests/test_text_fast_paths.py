"""html_to_text runs each step only on the values it can change; the result must equal
running every step on every value (the reference below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedsync.text import _BLOCK, _CELL, _DROPPED, _SPACE, _TAG, html_to_text, unescape_entities

PIECES = [
    "a", "b c", "  ", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u3000", "\u2009", "é", "\U0001f600",
    "<p>", "</p>", "<br/>", "<td>", "<script>x</script>", "<!-- c -->", "<b>", "&amp;", "&lt;", "&nbsp;",
    "&eacute;", "&amp;lt;", "&#39;", "&", "<", ">", "\x1c", "\x85",
]  # fmt: skip


def _reference(series: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(series.astype("str"))
    if not len(uniques):
        return pd.Series(pd.NA, index=series.index, dtype="str")
    text = pd.Series(uniques, dtype="str")
    for pattern in _DROPPED:
        text = text.str.replace(pattern, " ", regex=True)
    text = text.str.replace(_BLOCK, "\n", regex=True)
    text = text.str.replace(_CELL, " ", regex=True)
    text = text.str.replace(_TAG, "", regex=True)
    text = unescape_entities(text)
    text = text.str.replace(_SPACE, " ", regex=True)
    text = text.str.replace(r" ?\n[ \n]*", "\n", regex=True).str.strip()
    text = text.mask(text == "")
    out = text.take(np.where(codes < 0, 0, codes)).set_axis(series.index)
    return out.mask(codes < 0)


@pytest.mark.parametrize("seed", range(30))
def test_html_to_text_equals_every_step_on_every_value(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    values = [None if rng.random() < 0.1 else "".join(rng.choice(PIECES, int(rng.integers(0, 7)))) for _ in range(n)]
    if seed % 3 == 0:  # mostly plain text, as most catalogs have
        values = [v if v is None or rng.random() < 0.2 else "plain words, one space" for v in values]
    series = pd.Series(values, dtype="str", index=pd.RangeIndex(5, 5 + n))
    pd.testing.assert_series_equal(html_to_text(series), _reference(series))
