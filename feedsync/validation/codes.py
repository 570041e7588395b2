"""Every issue code feedsync emits: stable kebab-case names, default severity, and the fix.

This table is the single place codes are defined; the README's list and the report's
"how to fix" text are generated from it, and `Issue` construction refuses unknown codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeInfo:
    code: str
    severity: str  # "error" excludes the product from that channel's feed; "warning" keeps it
    title: str
    fix: str


_CODES = [
    # master catalog
    CodeInfo("missing-id", "error", "Product has no id (SKU)", "Give every catalog row a unique, non-empty id."),
    CodeInfo(
        "duplicate-id",
        "error",
        "Same id on more than one catalog row",
        "Make ids unique; feedsync keeps the first row and excludes the later copies.",
    ),
    CodeInfo(
        "invalid-price",
        "error",
        "Price is not a number",
        "Write prices as plain numbers with '.' decimals, e.g. 19.99 (no currency symbols).",
    ),
    CodeInfo(
        "invalid-quantity",
        "error",
        "Quantity is not a whole number",
        "Write stock quantities as whole numbers, e.g. 12.",
    ),
    CodeInfo(
        "invalid-date",
        "error",
        "Date cannot be read",
        "Write dates as ISO 8601, e.g. 2026-12-24 or 2026-12-24T09:00:00+01:00.",
    ),
    CodeInfo(
        "invalid-currency",
        "error",
        "Currency is not an ISO 4217 code",
        "Use a three-letter ISO 4217 currency code such as USD or EUR.",
    ),
    CodeInfo(
        "invalid-availability",
        "error",
        "Availability value is not recognised",
        "Use in_stock, out_of_stock, preorder or backorder (or leave it empty to derive it from quantity).",
    ),
    CodeInfo("invalid-condition", "error", "Condition value is not recognised", "Use new, refurbished or used."),
    CodeInfo(
        "invalid-weight",
        "warning",
        "Shipping weight cannot be read; it is not sent",
        "Write weights as a number and unit, e.g. '1.2 kg' (units: g, kg, oz, lb), or set [defaults] weight_unit.",
    ),
    # overrides
    CodeInfo(
        "unknown-sku",
        "warning",
        "Override names a SKU the catalog lacks",
        "Remove the row from the override file, or add the product to the catalog.",
    ),
    CodeInfo(
        "invalid-override",
        "error",
        "Override row cannot be applied",
        "Correct the value in the override file; the row is ignored until then.",
    ),
    # schema keywords (channel_specs/*.schema.json)
    CodeInfo(
        "missing-required",
        "error",
        "Required attribute is missing",
        "Fill the attribute in the catalog (or through a default in feedsync.toml).",
    ),
    CodeInfo(
        "too-long", "error", "Value is longer than the channel allows", "Shorten the value to the channel's limit."
    ),
    CodeInfo(
        "too-short", "error", "Value is shorter than the channel allows", "Lengthen the value to the channel's minimum."
    ),
    CodeInfo(
        "invalid-value",
        "error",
        "Value is not one the channel accepts",
        "Use one of the values the channel lists for this attribute.",
    ),
    CodeInfo(
        "invalid-format",
        "error",
        "Value does not have the format the channel expects",
        "Rewrite the value in the format the message names.",
    ),
    CodeInfo("invalid-type", "error", "Value has the wrong type", "Give a value of the type the message names."),
    CodeInfo(
        "out-of-range",
        "error",
        "Number is outside the allowed range",
        "Give a number inside the range the message names.",
    ),
    CodeInfo(
        "invalid-url", "error", "URL is not an http(s) URL", "Use an absolute http:// or https:// URL without spaces."
    ),
    # semantic checks a schema cannot express
    CodeInfo(
        "invalid-gtin",
        "error",
        "GTIN is not valid",
        "Use the 8, 12, 13 or 14-digit GTIN printed on the product; check for a typo in the last digit.",
    ),
    CodeInfo(
        "restricted-gtin",
        "error",
        "GTIN is a store-internal or coupon number",
        "Use the manufacturer's GTIN; numbers starting 2, 02, 04 (store) or 05, 99, 981-984 (coupons) are not accepted.",
    ),
    CodeInfo(
        "sale-not-below-price",
        "error",
        "Sale price is not below the regular price",
        "Lower the sale price below the price, or remove it.",
    ),
    CodeInfo(
        "sale-window-order",
        "error",
        "Sale ends before it starts",
        "Swap or correct sale_price_start and sale_price_end.",
    ),
    CodeInfo(
        "sale-ended",
        "warning",
        "Sale window has ended; the sale price is not sent",
        "Remove the expired sale price, or extend sale_price_end.",
    ),
    CodeInfo(
        "missing-availability-date",
        "error",
        "Preorder or backorder without availability date",
        "Add availability_date (ISO 8601) for preorder and backorder products.",
    ),
    CodeInfo(
        "missing-identifier",
        "warning",
        "Neither GTIN nor MPN",
        "Add the GTIN (or at least brand and MPN); products without identifiers perform worse.",
    ),
    CodeInfo(
        "missing-brand-gtin-mpn",
        "error",
        "None of brand, GTIN, MPN",
        "Meta needs at least one of brand, GTIN or MPN: add the brand.",
    ),
    CodeInfo(
        "duplicate-channel-id",
        "error",
        "Two products share an id on this channel",
        "Ids must be unique per channel (Google compares them case-insensitively).",
    ),
    CodeInfo(
        "missing-variant-parent",
        "warning",
        "Variant's parent is not in the catalog",
        "Add a parent row whose id equals the item_group_id, or the variant is listed standalone on Amazon.",
    ),
    # platform exports (Shopify, WooCommerce, Magento)
    CodeInfo(
        "invalid-row",
        "warning",
        "Export row cannot be used and is skipped",
        "Fix the row in the shop platform and export again; the message names what is missing.",
    ),
    CodeInfo(
        "grouped-product-skipped",
        "warning",
        "Grouped product is not a product of its own",
        "Nothing to do: the products it groups are listed one by one. Leave it out of the export to silence this.",
    ),
    # merchandising: rules, templates, categories, price policies
    CodeInfo(
        "excluded-by-rule",
        "warning",
        "A rule left the product out of this channel",
        "Nothing to do if intended; otherwise change the rule's `when` (the message names the rule and its line).",
    ),
    CodeInfo(
        "excluded-by-stock-policy",
        "warning",
        "Out of stock, and the channel's stock policy leaves such products out",
        'Nothing to do if intended (zero_stock = "exclude"); restock, or set zero_stock to out_of_stock or backorder.',
    ),
    CodeInfo(
        "template-error",
        "error",
        "A field template failed for this product",
        "Fix the template or the product's data; the message names the template and the error.",
    ),
    CodeInfo(
        "invalid-category",
        "error",
        "google_product_category is not in Google's taxonomy",
        "Use an id (or full path) from Google's taxonomy file, in the catalog or in the category mapping table.",
    ),
    CodeInfo(
        "unmapped-category",
        "warning",
        "No google_product_category for this product",
        "Add its product_type to the category mapping table (a parent path maps a whole branch).",
    ),
    CodeInfo(
        "below-min-price",
        "error",
        "Price after the channel's policy is below min_price",
        "Lower the markdown, or change min_price; a product is never sent below its floor.",
    ),
    CodeInfo(
        "missing-fx-rate",
        "error",
        "No exchange rate for the product's currency",
        "Add the currency and its rate to the FX table ([prices] fx).",
    ),
    CodeInfo(
        "sale-dropped-by-policy",
        "warning",
        "Sale price is not below the price after the channel's policy",
        "The sale price is not sent on this channel; deepen the discount or change the rounding.",
    ),
]

CODES: dict[str, CodeInfo] = {c.code: c for c in _CODES}


def info(code: str) -> CodeInfo:
    try:
        return CODES[code]
    except KeyError:  # a programming error: every emitted code must be declared above
        raise KeyError(f"undeclared issue code {code!r}") from None
