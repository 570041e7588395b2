"""Normalise a raw (all-text) catalog batch into canonical, typed columns.

Problems become issues with the source row; a row with an error is excluded from every
channel (a wrong price must never be published), a warning keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedsync.columns import DATES, FLOAT, INTEGER, MONEY, ROW, TEXT
from feedsync.config import Defaults
from feedsync.render.values import drop_forbidden
from feedsync.validation.issues import concat_issues, issues_where
from feedsync.vector import arrow, isin, labels, matches, to_number

AVAILABILITY = {
    "in_stock": "in_stock",
    "in stock": "in_stock",
    "instock": "in_stock",
    "available": "in_stock",
    "out_of_stock": "out_of_stock",
    "out of stock": "out_of_stock",
    "outofstock": "out_of_stock",
    "sold out": "out_of_stock",
    "soldout": "out_of_stock",
    "unavailable": "out_of_stock",
    "preorder": "preorder",
    "pre-order": "preorder",
    "pre_order": "preorder",
    "pre order": "preorder",
    "backorder": "backorder",
    "back order": "backorder",
    "back_order": "backorder",
    "onbackorder": "backorder",
}
CONDITION = {"new": "new", "refurbished": "refurbished", "used": "used", "renewed": "refurbished"}
WEIGHT_UNITS = {
    "g": "g",
    "gram": "g",
    "grams": "g",
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "oz": "oz",
    "ounce": "oz",
    "ounces": "oz",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
}

# Beyond these, float64 no longer holds cents / whole units exactly: such values are typos.
MAX_AMOUNT = 1e13
MAX_QUANTITY = 2**53

_NUMBER = r"([+-]?\d+(?:\.\d+)?)"
_MONEY_RE = rf"^{_NUMBER}(?:\s*([A-Za-z]{{3}}))?$"
_WEIGHT_RE = rf"^{_NUMBER}\s*([A-Za-z]*)$"
# The same patterns in RE2 (pyarrow) for ASCII text: \d and \s there match ASCII digits and
# spaces only, where Python's match any Unicode digit or space; see _extract.
_NUMBER_ASCII = r"(?P<g0>[+-]?[0-9]+(?:\.[0-9]+)?)"
_ASCII = {
    _MONEY_RE: rf"^{_NUMBER_ASCII}(?:[\t\n\f\r ]*(?P<g1>[A-Za-z]{{3}}))?$",
    _WEIGHT_RE: rf"^{_NUMBER_ASCII}[\t\n\f\r ]*(?P<g1>[A-Za-z]*)$",
}


@dataclass
class Normalised:
    frame: pd.DataFrame  # canonical typed columns + extras + ROW; only rows without errors
    issues: pd.DataFrame
    excluded: pd.DataFrame  # ROW, id of rows dropped here (with their issues in `issues`)


def clean_text(s: pd.Series) -> pd.Series:
    """Drop control characters XML 1.0 forbids (no channel accepts them), strip surrounding
    whitespace; an empty cell is missing (NA). Done once here so no channel repeats it."""
    a = pc.utf8_trim_whitespace(drop_forbidden(arrow(s)))
    a = pc.if_else(pc.equal(a, ""), pa.scalar(None, a.type), a)
    return pd.Series(a, index=s.index, dtype="str")


def _extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """`text.str.extract(pattern)` (one of the patterns above), an empty group as NA.

    pandas runs str.extract through Python per value; here RE2 matches the values spelled in
    ASCII in one pass, and only what it leaves (junk, Unicode digits or spaces, which Python's
    \\d and \\s accept) goes through Python's re, so the result is the same.
    """
    found = pc.extract_regex(arrow(text), _ASCII[pattern])
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    out = pd.DataFrame(
        {
            i: pd.Series(found.field(i), index=text.index, dtype="str").where(matched)
            for i in range(found.type.num_fields)
        }
    )
    rest = text.notna().to_numpy() & ~matched
    if rest.any():
        slow = text[rest].str.extract(pattern)
        for i in out.columns:
            out.loc[rest, i] = slow[i]
    return out.mask(out == "")


def _quoting(text: pd.Series, before: str, after: str) -> Callable[[pd.DataFrame], pd.Series]:
    """A message for the offending rows that quotes each one's source text."""
    return lambda hit: before + text[hit.index].fillna("") + after


def normalise(raw: pd.DataFrame, defaults: Defaults, *, duplicate: pd.Series | None = None) -> Normalised:
    """`duplicate` marks rows whose id already appeared earlier in the whole catalog."""
    f = pd.DataFrame(index=raw.index)
    f[ROW] = raw[ROW].astype("Int64")
    for col in raw.columns:
        if col != ROW and col not in MONEY + INTEGER + FLOAT + DATES:
            f[col] = clean_text(raw[col])
    for col in TEXT:
        if col not in f:
            f[col] = pd.Series(pd.NA, index=raw.index, dtype="str")
    issues: list[pd.DataFrame] = []
    bad = pd.Series(False, index=raw.index)

    def flag(
        mask: pd.Series,
        code: str,
        field: str,
        message: str | pd.Series | Callable[[pd.DataFrame], pd.Series],
        value: pd.Series | None = None,
        severity: str | None = None,
    ) -> None:
        nonlocal bad
        found = issues_where(f, mask, code=code, field=field, message=message, value=value, severity=severity)
        if len(found):
            issues.append(found)
            if (severity or found["severity"].iloc[0]) == "error":
                bad = bad | mask.fillna(False)

    f["id"] = f["id"].astype("str")
    flag(f["id"].isna(), "missing-id", "id", "this row has no id (SKU), so it cannot be sent to any channel")
    if duplicate is not None:
        flag(
            duplicate & f["id"].notna(),
            "duplicate-id",
            "id",
            lambda hit: "id " + hit["id"].fillna("") + " appears on an earlier row; this later copy is left out",
        )

    cur = f["currency"].str.upper()
    for col in MONEY:
        text = clean_text(raw[col]) if col in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
        parts = _extract(text.str.replace(",", "", regex=False) if col == "list_price" else text, _MONEY_RE)
        number = to_number(parts[0])
        unreadable = text.notna() & number.isna()
        negative = number < 0 if col != "price" else number <= 0
        flag(
            unreadable,
            "invalid-price",
            col,
            _quoting(text, f"{col} '", "' is not a number; write it like 19.99"),
            value=text,
        )
        flag(
            negative.fillna(False) & ~unreadable,
            "invalid-price",
            col,
            _quoting(text, f"{col} ", " must be above zero" if col == "price" else " must not be negative"),
            value=text,
        )
        flag(
            (number >= MAX_AMOUNT).fillna(False),
            "invalid-price",
            col,
            _quoting(text, f"{col} ", " is too large; check for a typo"),
            value=text,
        )
        f[col] = number.round(2)
        cur = cur.fillna(parts[1].str.upper())
    f["currency"] = cur.fillna(defaults.currency)
    flag(
        ~matches(f["currency"], r"^[A-Z]{3}$"),
        "invalid-currency",
        "currency",
        lambda hit: "currency '" + hit["currency"] + "' is not an ISO 4217 code such as USD",
    )

    qty_text = clean_text(raw["quantity"]) if "quantity" in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
    qty = to_number(qty_text)
    unreadable = qty_text.notna() & (qty.isna() | (qty != np.floor(qty.fillna(0))) | (qty.abs() > MAX_QUANTITY))
    flag(
        unreadable,
        "invalid-quantity",
        "quantity",
        lambda hit: "quantity '" + qty_text[hit.index].fillna("") + "' is not a whole number",
        value=qty_text,
    )
    negative = (qty < 0).fillna(False)
    flag(
        negative,
        "invalid-quantity",
        "quantity",
        lambda hit: "quantity " + qty_text[hit.index].fillna("") + " is negative; it is sent as 0",
        value=qty_text,
        severity="warning",
    )
    f["quantity"] = qty.where(~unreadable).clip(lower=0).round().astype("Int64")

    for col in DATES:
        text = clean_text(raw[col]) if col in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
        when = (
            pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
            if text.notna().any()
            else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
        )
        flag(
            text.notna() & when.isna(),
            "invalid-date",
            col,
            _quoting(text, f"{col} '", "' is not an ISO 8601 date such as 2026-12-24"),
            value=text,
        )
        f[col] = when.astype("datetime64[ns, UTC]")

    avail_raw = f["availability"]
    avail = avail_raw.str.lower().map(AVAILABILITY, na_action="ignore").astype("str")
    flag(
        avail_raw.notna() & avail.isna(),
        "invalid-availability",
        "availability",
        lambda hit: (
            "availability '"
            + avail_raw[hit.index].fillna("")
            + "' is not in_stock, out_of_stock, preorder or backorder"
        ),
    )
    f["availability_source"] = avail  # what the catalog said; the final value is derived after overrides
    f["availability"] = derive_availability(avail, f["quantity"])

    cond_raw = f["condition"]
    cond = cond_raw.str.lower().map(CONDITION, na_action="ignore").astype("str")
    flag(
        cond_raw.notna() & cond.isna(),
        "invalid-condition",
        "condition",
        lambda hit: "condition '" + cond_raw[hit.index].fillna("") + "' is not new, refurbished or used",
    )
    f["condition"] = cond.fillna(defaults.condition)
    # Shop exports carry HTML descriptions; Google and Meta want plain text, Amazon discourages HTML.
    from feedsync.text import html_to_text  # text.py builds on clean_text above

    f["description"] = html_to_text(f["description"])
    if defaults.brand:
        f["brand"] = f["brand"].fillna(defaults.brand)
    for col in ("gender", "age_group"):
        f[col] = f[col].str.lower()

    w_text = (
        clean_text(raw["shipping_weight"])
        if "shipping_weight" in raw
        else pd.Series(pd.NA, index=raw.index, dtype="str")
    )
    parts = _extract(w_text, _WEIGHT_RE)
    unit = parts[1].str.lower().replace("", pd.NA).fillna(f["shipping_weight_unit"].str.lower())
    if defaults.weight_unit:
        unit = unit.fillna(defaults.weight_unit)
    unit_n = unit.map(WEIGHT_UNITS, na_action="ignore").astype("str")
    weight = to_number(parts[0])
    bad_w = w_text.notna() & (weight.isna() | unit_n.isna() | (weight < 0))
    flag(
        bad_w,
        "invalid-weight",
        "shipping_weight",
        lambda hit: (
            "shipping_weight '"
            + w_text[hit.index].fillna("")
            + "' is not a number with a unit (g, kg, oz, lb); it is not sent"
            + ("" if defaults.weight_unit else " (set [defaults] weight_unit for numbers without a unit)")
        ),
        value=w_text,
    )
    f["shipping_weight"] = weight.where(~bad_w)
    f["shipping_weight_unit"] = unit_n.where(~bad_w)

    all_issues = concat_issues(issues)
    excluded = f.loc[bad, [ROW, "id"]]
    return Normalised(frame=f.loc[~bad], issues=all_issues, excluded=excluded)


def derive_availability(declared: pd.Series, quantity: pd.Series) -> pd.Series:
    """Preorder and backorder are merchandising decisions and stay; otherwise stock decides.

    With no quantity known, what the catalog declared stands (or out_of_stock if nothing).
    """
    in_stock = quantity.fillna(0).to_numpy() > 0
    from_qty = labels(in_stock.astype(np.int8), ["out_of_stock", "in_stock"], quantity.index)
    keep = isin(declared, ["preorder", "backorder"]) | (quantity.isna() & declared.notna())
    return declared.where(keep, from_qty).astype("str")


def fill_url_templates(f: pd.DataFrame, defaults: Defaults) -> pd.DataFrame:
    """Empty link / image_link cells filled from [defaults] link_template / image_template.

    Placeholders name catalog columns ({id}, {item_group_id}, ...); values are URL-encoded.
    """
    for col, template in (("link", defaults.link_template), ("image_link", defaults.image_template)):
        if template and f[col].isna().any():
            f[col] = f[col].fillna(render_placeholders(template, f, key=f"{col.replace('_link', '')}_template"))
    return f


def render_placeholders(template: str, f: pd.DataFrame, *, key: str) -> pd.Series:
    from string import Formatter
    from urllib.parse import quote

    from feedsync.errors import ConfigError

    out = pd.Series("", index=f.index, dtype="str")
    try:
        parts = list(Formatter().parse(template))
    except ValueError as e:
        raise ConfigError(
            f"[defaults] {key} {template!r} is not a valid template: {e}",
            hint="write placeholders as {column}, e.g. https://shop.example.com/p/{id}",
        ) from None
    for literal, name, _, _ in parts:
        out = out + literal
        if name is None:
            continue
        if name not in f:
            raise ConfigError(
                f"[defaults] {key} uses {{{name}}}, which is not a catalog column",
                hint=f"use one of: {', '.join(c for c in f.columns if not c.startswith('_'))}",
            )
        values = f[name].astype("str")
        uniques = values.dropna().unique()
        encoded = pd.Series([quote(u, safe="") for u in uniques], index=uniques, dtype="str")
        out = out + values.map(encoded).astype("str")
    return out.where(out.notna())
