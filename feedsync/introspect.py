"""Looking inside a run: `explain` (where each output value of one product came from) and
`preview` (what the rules and policies do to the whole catalog), both built from a pipeline run
without writing files.

They read three things from pipeline.run's RunResult: `.report` (issues), `.provenance`
(sku, channel, field, source, row rows from every stage) and `.merchandising` (the run's
Merchandising object: per-feed stats and the traced SKUs' snapshots).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pandas as pd

from feedsync.config import Config
from feedsync.errors import UsageError
from feedsync.merchandising import FUNNEL, Merchandising

# Output field -> the canonical columns it is made from, where the names differ.
SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "google": {
        "additional_image_link": ("additional_image_links",),
        "price": ("price", "currency"),
        "sale_price": ("sale_price", "currency"),
        "sale_price_effective_date": ("sale_price_start", "sale_price_end"),
        "shipping_weight": ("shipping_weight", "shipping_weight_unit"),
    },
    "meta": {
        "additional_image_link": ("additional_image_links",),
        "price": ("price", "currency"),
        "sale_price": ("sale_price", "currency"),
        "sale_price_effective_date": ("sale_price_start", "sale_price_end"),
        "shipping_weight": ("shipping_weight", "shipping_weight_unit"),
        "quantity_to_sell_on_facebook": ("quantity",),
    },
    "amazon": {
        "sku": ("id",),
        "product_type": ("amazon_product_type",),
        "item_name": ("title",),
        "product_description": ("description",),
        "bullet_point": ("bullet_points",),
        "external_id": ("gtin",),
        "external_id_type": ("gtin",),
        "condition_type": ("condition",),
        "our_price": ("price",),
        "discounted_price": ("sale_price",),
        "sale_start": ("sale_price_start",),
        "sale_end": ("sale_price_end",),
        "main_image": ("image_link",),
        "other_images": ("additional_image_links",),
        "parent_sku": ("item_group_id",),
        "parentage_level": ("is_parent", "has_parent"),
    },
    "google_local": {
        "store_code": ("location",),
        "price": ("price", "currency"),
        "pickup_method": (),
        "pickup_sla": (),
    },
}
STAGE_OF = {
    "override": "overrides and stock policy",
    "stock policy": "overrides and stock policy",
    "rule": "rules",
    "category": "categories",
    "template": "templates",
    "price policy": "prices and market",
}
_RULE_RE = re.compile(r"^rule (\d+) (.*?)(?:: (.+))?$")


def explain(config: Config, sku: str, channel: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Every output field of `sku` on each channel (or one), its final value and the chain
    that produced it. Runs the pipeline (no files written) with provenance traced for this SKU."""
    from feedsync.pipeline import run

    merch = Merchandising(config, trace={sku})
    result = run(config, now=now, channels=[channel] if channel else None, merchandising=merch)
    return explain_result(result, sku, channel)


def preview(config: Config, now: datetime | None = None) -> dict[str, Any]:
    """Per feed: the funnel, how many products each rule touched, per-attribute fill rates and
    the most frequent unmapped categories. Runs the pipeline without writing files."""
    from feedsync.pipeline import run

    merch = Merchandising(config, fill_rates=True)
    result = run(config, now=now, merchandising=merch)
    return preview_result(result)


def preview_result(result: Any) -> dict[str, Any]:
    merch: Merchandising = result.merchandising
    report = result.report
    return {
        "generated_at": report.generated_at,
        "catalog": report.catalog,
        "funnel_stages": list(FUNNEL),
        "feeds": {key: stats.to_dict() for key, stats in sorted(merch.stats.items())},
        "rules": [
            {
                "number": r.number,
                "name": r.name,
                "line": r.line,
                "channels": list(r.channels) if r.channels else "all",
                "when": r.when_text,
                "from": r.start.isoformat() if r.start is not None else None,
                "until": r.end.isoformat() if r.end is not None else None,
            }
            for r in (merch.rules.rules if merch.rules else ())
        ],
    }


def _step(src: str, row: Any) -> dict[str, Any]:
    row = None if row is None or pd.isna(row) else int(row)
    m = _RULE_RE.match(src)
    if m:
        step: dict[str, Any] = {"step": "rule", "rule": int(m.group(1)), "name": m.group(2)}
        if m.group(3):
            step.update(table=m.group(3), table_row=row)
        else:
            step["line"] = row
        return step
    if src.startswith("template "):
        where, _, template = src[len("template ") :].partition(" = ")
        return {"step": "template", "where": where, "template": template}
    if src.startswith("categories "):
        return {"step": "category", "table": src[len("categories ") :], "row": row}
    for kind in ("stock policy", "price policy"):
        if src.startswith(kind):
            return {"step": kind, "detail": src.partition(": ")[2]}
    file, _, location = src.partition(":")
    step = {"step": "override", "file": file, "row": row}
    if location:
        step["location"] = location
    return step


def explain_result(result: Any, sku: str, channel: str | None = None) -> dict[str, Any]:
    merch: Merchandising = result.merchandising
    entry = merch.traced.get(sku)
    if entry is None:
        raise UsageError(
            f"SKU {sku!r} is not in the catalog (or its row has an error that keeps it out of every channel)",
            hint="check the id; `feedsync validate` lists rows left out",
        )
    report = result.report
    row = entry["row"]
    prov = (
        result.provenance
        if result.provenance is not None
        else pd.DataFrame(columns=["sku", "channel", "field", "source", "row"])
    )
    mine = prov.loc[prov["sku"] == sku]
    issues = report.issues.loc[(report.issues["row"] == row) | (report.issues["sku"] == sku)]
    catalog_values = entry.get("catalog", {})
    out: dict[str, Any] = {
        "sku": sku,
        "catalog": {"source": report.catalog.get("source"), "row": row},
        "feeds": {},
    }
    keys = set(entry["feeds"]) | {k for k in merch.stats if channel is None or k.split("/")[0] == channel}
    for key in sorted(keys):
        ch = key.split("/")[0]
        if channel is not None and ch != channel:
            continue
        feed = entry["feeds"].get(key, {"channel": ch, "items": []})
        stages = [s for s in entry.get("stages", {}).get(ch, []) if s["feed"] in (None, key)]
        feed_prov = mine.loc[mine["channel"].isin(["", ch, key])]
        feed_issues = issues.loc[issues["channel"].isin(["", ch, key])]
        sent = any(i["sent"] for i in feed["items"])
        excluded_by = feed_prov.loc[feed_prov["field"] == "(excluded)", "source"].tolist()
        status = "sent" if sent else ("excluded" if feed["items"] or excluded_by or len(feed_issues) else "not offered")
        items = []
        for item in feed["items"] or [{"values": {}, "sent": False}]:
            fields = {}
            for fld, value in item["values"].items():
                if fld.startswith("_"):
                    continue
                fields[fld] = {"value": value, "chain": _chain(ch, fld, catalog_values, stages, feed_prov, report, row)}
            items.append({"sent": item["sent"], "fields": fields})
        out["feeds"][key] = {
            "channel": ch,
            "status": status,
            "excluded_by_rules": excluded_by,
            "issues": [
                {k: (None if pd.isna(v) else (int(v) if k == "row" else v)) for k, v in rec.items()}
                for rec in feed_issues.to_dict("records")
            ],
            "items": items,
        }
    return out


def _chain(
    channel: str,
    fld: str,
    catalog: dict[str, Any],
    stages: list[dict[str, Any]],
    prov: pd.DataFrame,
    report: Any,
    row: Any,
) -> list[dict[str, Any]]:
    sources = SOURCES.get(channel, {}).get(fld, (fld,))
    chain: list[dict[str, Any]] = []
    for col in sources:
        if col in catalog or col in ("location",):
            chain.append(
                {
                    "step": "catalog",
                    "column": col,
                    "source": report.catalog.get("source"),
                    "row": row,
                    "value": catalog.get(col),
                }
            )
        for rec in prov.loc[prov["field"] == col].itertuples():
            step = _step(rec.source, rec.row)
            step["column"] = col
            stage = STAGE_OF.get(step["step"])
            after = next((s["values"].get(col) for s in reversed(stages) if s["stage"] == stage), None)
            if stage is not None:
                step["value_after"] = after
            chain.append(step)
    return chain
