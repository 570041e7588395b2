"""Rebuild the Northwind Outfitters example files: catalog.csv, stock.csv and prices.csv.

    python examples/make_example.py            # writes next to this script

The merchandise below is written by hand; this script only expands it into variant rows,
computes GS1 check digits, spreads stock across the warehouse and three stores (seeded, so the
output never changes), and plants the deliberately broken rows listed in examples/README.md.
feedsync.toml in this folder is maintained separately.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261123
SHOP = "https://shop.example.com/products/"
CDN = "https://cdn.example.com/img/"
LOCATIONS = ("wh-main", "store-nyc", "store-sf", "store-chi")

COLUMNS = [
    "id",
    "item_group_id",
    "title",
    "description",
    "link",
    "image_link",
    "additional_image_links",
    "brand",
    "gtin",
    "mpn",
    "price",
    "currency",
    "sale_price",
    "sale_price_start",
    "sale_price_end",
    "list_price",
    "quantity",
    "availability",
    "availability_date",
    "condition",
    "color",
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "google_product_category",
    "product_type",
    "shipping_weight",
    "amazon_product_type",
    "bullet_points",
]

# Brand -> (SKU code, GS1 company prefix). Prefixes of 6 digits give UPC-12 (US brands),
# 7 digits give EAN-13 (Norway 70x, UK 50x).
BRANDS = {
    "Northwind": ("NWD", "084213"),
    "Cascadia Peak": ("CSP", "061552"),
    "Granite & Pine": ("GNP", "071934"),
    "Tundra Works": ("TDW", "088419"),
    "Lumenridge": ("LMR", "085217"),
    "Saltmarsh Supply Co.": ("SMS", "067214"),
    "Høyfjell": ("HYF", "7090047"),
    "Emberfold": ("EMB", "5060412"),
}

# Google product taxonomy ids used here (all checked against taxonomy-with-ids.en-US.txt):
JACKETS, VESTS, TOPS, PANTS, SOCKS, HATS, GLOVES, SHOES = 5598, 1831, 212, 204, 209, 173, 170, 187
BACKPACKS, TENTS, SLEEPING_BAGS, CAMP_FURNITURE, CAMP_COOKWARE = 100, 1022, 1020, 1014, 1016
HEADLAMPS, LANTERNS, WATER_BOTTLES, MUGS, SKILLETS, DUTCH_OVENS, PAELLA_PANS = (2454, 1019, 3809, 2169, 662, 657, 4459)
BLANKETS, TOWELS = 1985, 576

ALPHA_M = ["S", "M", "L", "XL"]
ALPHA_W = ["XS", "S", "M", "L"]


def gs1(body: str) -> str:
    """body + its GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:4] or "X"


def P(**kw) -> dict:  # noqa: N802 - reads like a table row
    kw.setdefault("who", None)
    kw.setdefault("gender", None)
    kw.setdefault("age", None)
    kw.setdefault("material", None)
    kw.setdefault("pattern", None)
    kw.setdefault("sizes", [None])
    kw.setdefault("sale", None)
    kw.setdefault("window", (None, None))
    kw.setdefault("list_price", None)
    kw.setdefault("availability", None)
    kw.setdefault("availability_date", None)
    kw.setdefault("condition", "new")
    kw.setdefault("bullets", [])
    kw.setdefault("size_prices", {})
    kw.setdefault("overrides", {})  # per-SKU-suffix field overrides (deliberate errors, one-offs)
    return kw


# Colour name -> SKU code
C = {
    "Black": "BLK",
    "Glacier Blue": "GLB",
    "Sage": "SGE",
    "Rust": "RST",
    "Navy": "NVY",
    "Plum": "PLM",
    "Forest Green": "FGR",
    "Natural": "NAT",
    "Field Tan": "TAN",
    "Slate": "SLT",
    "Yellow": "YLW",
    "Charcoal": "CHR",
    "Charcoal Heather": "CHH",
    "Olive": "OLV",
    "Dusty Rose": "DRS",
    "White": "WHT",
    "Sand": "SND",
    "Heather Grey": "HGR",
    "Brown": "BRN",
    "Taupe": "TPE",
    "Slate/Orange": "SLOR",
    "Coral": "CRL",
    "Ember Red": "ERD",
    "Juniper Green": "JGR",
    "Cream": "CRM",
    "Orange": "ORG",
    "Teal": "TEA",
    "Khaki": "KHK",
    "Red": "RED",
    "Grey/Natural": "GYNT",
    "Navy/White": "NVWT",
    "Stone": "STN",
    "Moss": "MOS",
    "Graphite": "GPH",
}

PRODUCTS = [
    # ---------------------------------------------------------------- jackets
    P(
        brand="Northwind",
        style=10231,
        name="Stormline 3L Rain Jacket",
        who="Men's",
        gender="male",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Rain Jackets",
        amazon="COAT",
        material="Recycled Nylon",
        price=229.00,
        list_price=249.00,
        colors=["Black", "Glacier Blue"],
        sizes=["S", "M", "L", "XL", "XXL"],
        weight="0.48 kg",
        description="Our most-requested shell, rebuilt for the Pacific Northwest. The Stormline uses a "
        "three-layer recycled nylon with a PFC-free water-repellent finish, fully taped seams and "
        "two-way pit zips, so it keeps the rain out on a four-hour slog and still breathes on the "
        "climb. The helmet-compatible hood cinches down with one hand.",
        bullets=[
            "Three-layer waterproof, breathable recycled nylon",
            "Fully taped seams and PFC-free DWR finish",
            "Two-way pit zips for venting on the climb",
            "Helmet-compatible hood with one-hand adjustment",
            "Packs into its own chest pocket",
        ],
    ),
    P(
        brand="Northwind",
        style=10232,
        name="Stormline 3L Rain Jacket",
        who="Women's",
        gender="female",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Rain Jackets",
        amazon="COAT",
        material="Recycled Nylon",
        price=229.00,
        list_price=249.00,
        colors=["Black", "Sage"],
        sizes=["XS", "S", "M", "L", "XL"],
        weight="0.42 kg",
        description="The women's Stormline is cut with a slightly longer hem and a tapered waist that "
        "sits comfortably under a pack's hip belt. Three-layer recycled nylon, fully taped seams and "
        "two-way pit zips keep you dry from the inside and the outside on long, wet approaches.",
        bullets=[
            "Three-layer waterproof, breathable recycled nylon",
            "Longer drop-tail hem for extra coverage",
            "Two-way pit zips for venting",
            "Helmet-compatible hood",
            "Packs into its own chest pocket",
        ],
    ),
    P(
        brand="Cascadia Peak",
        style=20415,
        name="Alpenglow Down Hoodie",
        who="Men's",
        gender="male",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Insulated Jackets",
        amazon="COAT",
        material="Nylon/Down",
        price=279.00,
        sale=219.00,
        window=("2026-11-20", "2027-01-31"),
        colors=["Black", "Rust"],
        sizes=ALPHA_M,
        weight="0.39 kg",
        description="800-fill responsibly sourced down in a featherweight ripstop shell. The Alpenglow "
        "compresses into its own pocket, lives at the bottom of your pack all summer and becomes your "
        "everyday jacket when the first frost arrives. An elastic-bound hood fits over a beanie, not "
        "over a helmet.",
        bullets=[
            "800-fill RDS-certified down",
            "Packs into its internal chest pocket",
            "Zippered hand pockets lined with soft tricot",
            "Elastic cuffs and adjustable hem",
            "Weighs just 390 g in size M",
        ],
    ),
    P(
        brand="Cascadia Peak",
        style=20416,
        name="Alpenglow Down Hoodie",
        who="Women's",
        gender="female",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Insulated Jackets",
        amazon="COAT",
        material="Nylon/Down",
        price=279.00,
        sale=219.00,
        window=("2026-11-20", "2027-01-31"),
        colors=["Navy", "Plum"],
        sizes=ALPHA_W,
        weight="0.34 kg",
        description="A warm, packable down hoodie with a women's-specific fit through the shoulders and "
        "hips. 800-fill responsibly sourced down, a ripstop shell that shrugs off light snow and a "
        "hood that fits over a beanie make it the layer you'll grab from October to April.",
        bullets=[
            "800-fill RDS-certified down",
            "Women's-specific fit",
            "Packs into its internal chest pocket",
            "Elastic cuffs and adjustable hem",
        ],
    ),
    P(
        brand="Høyfjell",
        style=30108,
        name="Kjølen Wool Anorak",
        who=None,
        gender="unisex",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Anoraks",
        amazon="COAT",
        material="Boiled Wool/Nylon",
        price=289.00,
        colors=["Forest Green", "Natural"],
        sizes=["S", "M", "L"],
        weight="0.86 kg",
        description="Named after the mountain range on the Norwegian–Swedish border, the Kjølen is a "
        "half-zip anorak in boiled Norwegian wool with a nylon-lined hood and kangaroo pocket. Wool "
        "stays warm when damp, resists odour and is naturally flame-retardant around the campfire.",
        bullets=[
            "Boiled Norwegian wool body",
            "Nylon-lined hood and shoulders",
            "Deep kangaroo pocket with side zips",
            "Relaxed unisex fit",
        ],
    ),
    P(
        brand="Northwind",
        style=10240,
        name="Harbor Waxed Canvas Jacket",
        who="Men's",
        gender="male",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Casual Jackets",
        amazon="COAT",
        material="Waxed Cotton Canvas",
        price=198.00,
        colors=["Field Tan", "Black"],
        sizes=["M", "L", "XL"],
        weight="1.3 kg",
        description="A chore-coat silhouette in 10 oz waxed cotton canvas with a corduroy collar and "
        "blanket-lined body. The wax finish sheds drizzle and develops a patina that is yours alone; "
        "re-wax it every season or two with our Harbor wax bar.",
        bullets=[
            "10 oz waxed cotton canvas",
            "Corduroy collar",
            "Blanket-lined body for warmth",
            "Four front pockets with snap flaps",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=40512,
        name="Switchback Softshell Jacket",
        who="Women's",
        gender="female",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Jackets > Softshell Jackets",
        amazon="COAT",
        material="Nylon/Elastane",
        price=149.00,
        colors=["Slate"],
        sizes=["XS", "S", "M", "L"],
        weight="0.45 kg",
        description="Four-way stretch softshell that blocks wind, sheds light rain and moves with you on "
        "scrambles. A brushed interior takes the chill off shaded trailheads, and the two-way front "
        "zip lets you dump heat without taking your harness off.",
        bullets=[
            "Four-way stretch, wind-resistant softshell",
            "Brushed interior",
            "Harness-compatible hand pockets",
            "Two-way front zip",
        ],
    ),
    P(
        brand="Northwind",
        style=10255,
        name="Puddle Jumper Rain Jacket",
        who="Kids'",
        gender="unisex",
        age="kids",
        gpc=JACKETS,
        ptype="Apparel > Kids > Rain Jackets",
        amazon="COAT",
        material="Recycled Polyester",
        price=69.00,
        colors=["Yellow", "Navy"],
        sizes=["6", "8", "10", "12"],
        weight="0.32 kg",
        description="A fully waterproof jacket for kids who go straight for the deepest puddle. "
        "Reflective trim, a fleece-lined collar and a roll-away hood, plus a name label inside the "
        "collar so it comes home from school.",
        bullets=[
            "Fully waterproof and seam-sealed",
            "Reflective trim front and back",
            "Fleece-lined collar",
            "Name label inside the collar",
        ],
    ),
    P(
        brand="Cascadia Peak",
        style=20470,
        name="Gridlock Fleece Hoodie",
        who="Men's",
        gender="male",
        age="adult",
        gpc=JACKETS,
        ptype="Apparel > Midlayers > Fleece",
        amazon="COAT",
        material="Recycled Polyester",
        price=119.00,
        colors=["Charcoal", "Moss"],
        sizes=ALPHA_M,
        weight="0.36 kg",
        description="Grid fleece traps warmth in its squares and vents moisture through its channels, "
        "so the Gridlock keeps you comfortable from the car park to the summit. A fitted hood slips "
        "under a helmet and thumb loops keep the sleeves in place under gloves.",
        bullets=[
            "Grid fleece made from recycled bottles",
            "Fitted, helmet-compatible hood",
            "Thumb loops",
            "Zippered chest pocket",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=40530,
        name="Ridge Down Vest",
        who="Women's",
        gender="female",
        age="adult",
        gpc=VESTS,
        ptype="Apparel > Jackets > Vests",
        amazon="VEST",
        material="Nylon/Down",
        price=129.00,
        sale=99.00,
        colors=["Moss"],
        sizes=ALPHA_W,
        weight="0.21 kg",
        description="Core warmth without the bulk: 700-fill down in a quilted nylon shell, with a "
        "stand-up collar and zippered hand pockets. Wear it over a flannel in town or under a shell "
        "on the hill.",
        bullets=["700-fill responsibly sourced down", "Stand-up collar", "Zippered hand pockets"],
    ),
    # ---------------------------------------------------------------- tees and tops
    P(
        brand="Northwind",
        style=10310,
        name="Trailhead Merino Tee",
        who="Men's",
        gender="male",
        age="adult",
        gpc=TOPS,
        ptype="Apparel > Tops > T-Shirts",
        amazon="SHIRT",
        material="Merino Wool",
        price=65.00,
        colors=["Charcoal Heather", "Olive"],
        sizes=["S", "M", "L", "XL", "XXL"],
        weight="0.16 kg",
        description="150 g/m² merino jersey that regulates temperature, resists odour for days and "
        "still looks sharp at the pub after the hike. Shoulder seams are set forward so pack straps "
        "never rub.",
        bullets=[
            "150 g/m² merino wool jersey",
            "Naturally odour-resistant",
            "Forward shoulder seams for pack comfort",
            "Tagless printed neck label",
        ],
    ),
    P(
        brand="Northwind",
        style=10311,
        name="Trailhead Merino Tee",
        who="Women's",
        gender="female",
        age="adult",
        gpc=TOPS,
        ptype="Apparel > Tops > T-Shirts",
        amazon="SHIRT",
        material="Merino Wool",
        price=65.00,
        colors=["Charcoal Heather", "Dusty Rose"],
        sizes=["XS", "S", "M", "L"],
        weight="0.14 kg",
        description="Our best-selling merino tee in a women's cut with a slightly scooped neck. The "
        "fine 150 g/m² jersey is soft against the skin, regulates temperature and resists odour on "
        "multi-day trips.",
        bullets=[
            "150 g/m² merino wool jersey",
            "Naturally odour-resistant",
            "Forward shoulder seams for pack comfort",
            "Women's fit with scoop neck",
        ],
    ),
    P(
        brand="Saltmarsh Supply Co.",
        style=60120,
        name="Organic Cotton Pocket Tee",
        who=None,
        gender="unisex",
        age="adult",
        gpc=TOPS,
        ptype="Apparel > Tops > T-Shirts",
        amazon="SHIRT",
        material="Organic Cotton",
        price=32.00,
        colors=["White", "Navy", "Sand"],
        sizes=["S", "M", "L"],
        weight="0.2 kg",
        description="A heavyweight 220 g/m² organic cotton tee, garment-dyed for a broken-in feel from "
        "the first wear. Boxy fit, chest pocket and a collar that won't bacon after fifty washes.",
        bullets=[
            "220 g/m² GOTS-certified organic cotton",
            "Garment-dyed for a soft hand",
            "Boxy, unisex fit",
            "Made in Portugal",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=40620,
        name="Sun Hoodie UPF 50+",
        who="Women's",
        gender="female",
        age="adult",
        gpc=TOPS,
        ptype="Apparel > Tops > Sun Shirts",
        amazon="SHIRT",
        material="Polyester/Spandex",
        price=59.00,
        colors=["Glacier Blue"],
        sizes=ALPHA_W,
        weight="0.17 kg",
        description="Light, quick-drying and rated UPF 50+, this hoodie keeps the sun off your neck and "
        "arms on exposed desert trails and long paddling days. Thumb loops and a scuba-style hood "
        "cover the spots sunscreen misses.",
        bullets=["UPF 50+ sun protection", "Quick-drying, wicking knit", "Scuba-style hood", "Thumb loops"],
    ),
    P(
        brand="Saltmarsh Supply Co.",
        style=60135,
        name="Lighthouse Graphic Tee",
        who=None,
        gender="unisex",
        age="adult",
        gpc=TOPS,
        ptype="Apparel > Tops > Graphic Tees",
        amazon="SHIRT",
        material="Organic Cotton",
        price=36.00,
        colors=["Heather Grey"],
        sizes=ALPHA_M,
        weight="0.19 kg",
        description="Screen-printed by hand in Portland, Maine with water-based inks: a line drawing of "
        "the Portland Head Light on a soft, heathered organic cotton tee.",
        bullets=["Hand screen-printed with water-based inks", "Organic cotton blend", "Regular unisex fit"],
    ),
    P(
        brand="Cascadia Peak",
        style=20710,
        name="Traverse Hiking Pants",
        who="Men's",
        gender="male",
        age="adult",
        gpc=PANTS,
        ptype="Apparel > Bottoms > Hiking Pants",
        amazon="PANTS",
        material="Nylon/Elastane",
        price=89.00,
        colors=["Khaki"],
        sizes=["30", "32", "34", "36"],
        weight="0.38 kg",
        description="Stretch-woven nylon that dries fast, shrugs off brambles and moves with you on big "
        "steps. A gusseted crotch, articulated knees and a zippered thigh pocket sized for a phone "
        "make these the only hiking pants you need.",
        bullets=[
            "Four-way stretch nylon with DWR finish",
            "Gusseted crotch and articulated knees",
            "Zippered thigh pocket",
            "Integrated low-profile belt",
        ],
    ),
    P(
        brand="Cascadia Peak",
        style=20711,
        name="Traverse Hiking Pants",
        who="Women's",
        gender="female",
        age="adult",
        gpc=PANTS,
        ptype="Apparel > Bottoms > Hiking Pants",
        amazon="PANTS",
        material="Nylon/Elastane",
        price=89.00,
        colors=["Khaki"],
        sizes=["4", "6", "8", "10", "12"],
        weight="0.33 kg",
        description="Our stretchy, quick-drying hiking pants in a women's fit with a contoured, "
        "yoga-style waistband that sits flat under a hip belt. Roll-up cuffs snap in place for "
        "creek crossings.",
        bullets=[
            "Four-way stretch nylon with DWR finish",
            "Contoured waistband",
            "Roll-up snap cuffs",
            "Zippered thigh pocket",
        ],
    ),
    # ---------------------------------------------------------------- boots and shoes
    P(
        brand="Tundra Works",
        style=70110,
        name="Ridgeback Mid Waterproof Hiking Boot",
        who="Men's",
        gender="male",
        age="adult",
        gpc=SHOES,
        ptype="Footwear > Boots > Hiking Boots",
        amazon="BOOT",
        material="Full-Grain Leather",
        price=189.00,
        sale=159.00,
        colors=["Brown"],
        sizes=["8", "9", "10", "11", "12"],
        weight="1.9 lb",
        description="A full-grain leather mid boot with a waterproof, breathable membrane and a "
        "deep-lugged rubber outsole that grips wet rock and mud. Stitch-down construction means a "
        "cobbler can resole them, so your broken-in pair will last for many seasons.",
        bullets=[
            "Full-grain leather upper",
            "Waterproof, breathable membrane",
            "Resoleable stitch-down construction",
            "Deep 5 mm lugs",
            "Removable EVA footbed",
        ],
    ),
    P(
        brand="Tundra Works",
        style=70111,
        name="Ridgeback Mid Waterproof Hiking Boot",
        who="Women's",
        gender="female",
        age="adult",
        gpc=SHOES,
        ptype="Footwear > Boots > Hiking Boots",
        amazon="BOOT",
        material="Full-Grain Leather",
        price=189.00,
        sale=159.00,
        colors=["Taupe"],
        sizes=["6", "7", "8", "9", "10"],
        weight="1.6 lb",
        description="Built on a women's last with a narrower heel and higher arch, the Ridgeback keeps "
        "feet dry and supported on rocky trails. Full-grain leather, a waterproof membrane and a "
        "resoleable outsole.",
        bullets=[
            "Women's-specific last",
            "Waterproof, breathable membrane",
            "Resoleable stitch-down construction",
            "Removable EVA footbed",
        ],
    ),
    P(
        brand="Tundra Works",
        style=70140,
        name="Frostline Insulated Winter Boot",
        who="Men's",
        gender="male",
        age="adult",
        gpc=SHOES,
        ptype="Footwear > Boots > Winter Boots",
        amazon="BOOT",
        material="Nubuck/Nylon",
        price=219.00,
        colors=["Black"],
        sizes=["8", "9", "10", "11", "12"],
        weight="2.4 lb",
        description="200 g of synthetic insulation, a removable wool-blend liner and an ice-grip "
        "rubber compound keep you warm and upright on frozen sidewalks and snowy trails alike. "
        "Rated comfortable to -25 °C.",
        bullets=[
            "200 g synthetic insulation",
            "Removable wool-blend liner",
            "Ice-grip rubber outsole",
            "Waterproof nubuck and nylon upper",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=40810,
        name="Scramble Approach Shoe",
        who="Men's",
        gender="male",
        age="adult",
        gpc=SHOES,
        ptype="Footwear > Shoes > Approach Shoes",
        amazon="SHOES",
        material="Suede/Mesh",
        price=139.00,
        colors=["Slate/Orange"],
        sizes=["9", "10", "11"],
        weight="0.8 kg",
        description="Sticky rubber from heel to toe, a climbing-zone toe box and lace-to-toe fit make "
        "the Scramble the shoe for approach pitches, boulder fields and via ferratas.",
        bullets=[
            "Sticky climbing rubber outsole",
            "Lace-to-toe precision fit",
            "Protective rubber toe rand",
            "Heel loop for clipping to a harness",
        ],
    ),
    # ---------------------------------------------------------------- backpacks
    P(
        brand="Northwind",
        style=10410,
        name="Summit 28L Daypack",
        gpc=BACKPACKS,
        ptype="Bags > Backpacks > Daypacks",
        amazon="BACKPACK",
        material="Recycled Nylon",
        price=119.00,
        colors=["Black", "Forest Green", "Rust"],
        weight="0.95 kg",
        description="A 28-litre daypack with a ventilated mesh back panel, a hip belt with zippered "
        "pockets and a sleeve for a 3-litre hydration bladder. Big enough for a full day above the "
        "treeline, small enough for the office.",
        bullets=[
            "28 L capacity",
            "Ventilated mesh back panel",
            "Hip belt with zippered pockets",
            "Hydration sleeve for bladders up to 3 L",
            "Integrated rain cover",
        ],
    ),
    P(
        brand="Cascadia Peak",
        style=20810,
        name="Traverse 55L Backpacking Pack",
        gpc=BACKPACKS,
        ptype="Bags > Backpacks > Backpacking Packs",
        amazon="BACKPACK",
        material="Ripstop Nylon",
        price=279.00,
        list_price=299.00,
        colors=["Slate"],
        sizes=["S/M", "M/L"],
        size_prices={"M/L": 289.00},
        weight="1.7 kg",
        description="A 55-litre pack for three to five nights on the trail. The adjustable torso and "
        "load-lifters carry 18 kg comfortably, while the sleeping-bag compartment, J-zip front panel "
        "and stretch side pockets keep everything within reach.",
        bullets=[
            "55 L capacity",
            "Adjustable torso length",
            "J-zip front access",
            "Removable lid converts to a hip pack",
            "Rain cover included",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=40910,
        name="Transit 22L Laptop Backpack",
        gpc=BACKPACKS,
        ptype="Bags > Backpacks > Commuter Packs",
        amazon="BACKPACK",
        material="Recycled Polyester",
        price=99.00,
        colors=["Black"],
        weight="0.82 kg",
        description="A clean, weather-resistant commuter pack with a suspended sleeve for a 16-inch "
        "laptop, a clamshell main compartment and a luggage pass-through for the airport.",
        bullets=[
            "Padded sleeve fits a 16-inch laptop",
            "Clamshell opening",
            "Luggage pass-through",
            "Water-resistant recycled fabric",
        ],
    ),
    P(
        brand="Northwind",
        style=10420,
        name="Little Explorer 12L Kids' Pack",
        gpc=BACKPACKS,
        ptype="Bags > Backpacks > Kids' Packs",
        amazon="BACKPACK",
        material="Recycled Nylon",
        price=45.00,
        colors=["Coral"],
        weight="0.35 kg",
        description="A real hiking pack scaled down for kids aged 4 to 8, with a sternum strap, a "
        "whistle buckle and reflective details. Fits a lunch, a water bottle and a rain jacket.",
        bullets=[
            "12 L capacity",
            "Whistle on the sternum strap",
            "Reflective details",
            "Padded, adjustable shoulder straps",
        ],
    ),
    P(
        brand="Saltmarsh Supply Co.",
        style=60410,
        name="Waxed Canvas Rucksack",
        gpc=BACKPACKS,
        ptype="Bags > Backpacks > Rucksacks",
        amazon="BACKPACK",
        material="Waxed Cotton Canvas",
        price=165.00,
        colors=["Field Tan", "Olive"],
        weight="1.2 kg",
        description="Built from waxed cotton canvas and vegetable-tanned leather, with solid brass "
        "hardware. A drawstring main compartment, a padded laptop sleeve and a lid pocket; it will "
        "look better in ten years than it does today.",
        bullets=[
            "Waxed cotton canvas body",
            "Vegetable-tanned leather straps",
            "Solid brass hardware",
            "Padded laptop sleeve",
        ],
    ),
    # ---------------------------------------------------------------- tents and sleep
    P(
        brand="Granite & Pine",
        style=41010,
        name="Basecamp Backpacking Tent",
        gpc=TENTS,
        ptype="Camping > Tents > Backpacking Tents",
        amazon="TENT",
        material="Ripstop Nylon",
        price=299.00,
        colors=["Olive"],
        sizes=["1-Person", "2-Person", "3-Person"],
        size_prices={"2-Person": 349.00, "3-Person": 429.00},
        weight="2.1 kg",
        description="A freestanding, three-season tent with two doors and two vestibules, so nobody "
        "climbs over anybody at 3 a.m. Colour-coded poles and clips make pitching in the rain fast.",
        bullets=[
            "Freestanding three-season design",
            "Two doors and two vestibules",
            "Colour-coded poles and clips",
            "Footprint sold separately",
        ],
    ),
    P(
        brand="Northwind",
        style=10510,
        name="Meadowlark 4 Family Dome Tent",
        gpc=TENTS,
        ptype="Camping > Tents > Family Tents",
        amazon="TENT",
        material="Polyester",
        price=449.00,
        colors=["Sand"],
        weight="6.8 kg",
        description="Stand-up headroom, a full-coverage rainfly and two large doors make the Meadowlark "
        "a comfortable home for a family of four. Four interior pockets and a lantern loop keep the "
        "floor clear.",
        bullets=[
            "Sleeps four",
            "185 cm peak height",
            "Full-coverage rainfly",
            "Two large D-shaped doors",
            "Lantern loop and four pockets",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=41020,
        name="Aerie UL 1 Ultralight Tent",
        gpc=TENTS,
        ptype="Camping > Tents > Ultralight Tents",
        amazon="TENT",
        material="Silnylon",
        price=389.00,
        colors=["Stone"],
        availability="preorder",
        availability_date="2027-03-15T09:00:00-08:00",
        weight="0.98 kg",
        description="Under a kilo all-in, the Aerie UL 1 pitches with a single pole (or your trekking "
        "poles) and still gives you a vestibule big enough for boots and a pack. Shipping from "
        "mid-March.",
        bullets=[
            "980 g packed weight",
            "Pitches with one pole or trekking poles",
            "Large single vestibule",
            "Seam-taped silnylon fly",
        ],
    ),
    P(
        brand="Høyfjell",
        style=31020,
        name="Fjellheim 3 Tunnel Tent",
        gpc=TENTS,
        ptype="Camping > Tents > Four-Season Tents",
        amazon="TENT",
        material="Ripstop Nylon",
        price=749.00,
        colors=["Red"],
        weight="3.9 kg",
        description="A four-season tunnel tent designed for storms on the Hardangervidda plateau. The "
        "inner and outer tents pitch together in under three minutes, and snow flaps, guy-out points "
        "and a low profile keep it standing in wind that flattens dome tents.",
        bullets=["Four-season tunnel design", "Inner and outer pitch together", "Snow flaps all round", "Sleeps three"],
    ),
    P(
        brand="Cascadia Peak",
        style=21010,
        name="Nightjar 20°F Down Sleeping Bag",
        gpc=SLEEPING_BAGS,
        ptype="Camping > Sleeping Bags",
        amazon="SLEEPING_BAG",
        material="Nylon/Down",
        price=349.00,
        colors=["Navy"],
        sizes=["Regular", "Long"],
        size_prices={"Long": 369.00},
        weight="1.1 kg",
        description="A 20 °F (-7 °C) mummy bag filled with 800-fill responsibly sourced down. A draft "
        "collar, contoured hood and anti-snag zip keep the warmth in on cold shoulder-season nights.",
        bullets=[
            "20 °F / -7 °C comfort rating",
            "800-fill RDS-certified down",
            "Draft collar and contoured hood",
            "Compression and storage sacks included",
        ],
    ),
    P(
        brand="Granite & Pine",
        style=41110,
        name="Ridgeview Camp Chair",
        gpc=CAMP_FURNITURE,
        ptype="Camping > Camp Furniture > Chairs",
        amazon="CHAIR",
        material="Aluminium/Polyester",
        price=89.00,
        colors=["Graphite"],
        weight="1.1 kg",
        description="A packable camp chair with a high back, a mesh side pocket and feet that don't "
        "sink into sand. Folds into a stuff sack the size of a water bottle.",
        bullets=["Holds up to 145 kg", "Packs to 35 x 12 cm", "High back with mesh panel"],
    ),
    # ---------------------------------------------------------------- cookware
    P(
        brand="Emberfold",
        style=80110,
        name="Cast Iron Skillet",
        gpc=SKILLETS,
        ptype="Home > Kitchen > Skillets",
        amazon="KITCHEN",
        material="Cast Iron",
        price=34.00,
        sizes=["8-inch", "10-inch", "12-inch"],
        size_prices={"10-inch": 44.00, "12-inch": 59.00},
        weight="2.6 kg",
        description="Poured in a single piece and seasoned with flaxseed oil, our skillet is ready for "
        "eggs on the first morning and gets better with every meal. Use it on gas, induction, in the "
        "oven or straight on the campfire coals.",
        bullets=[
            "Pre-seasoned with flaxseed oil",
            "Works on every hob, in the oven and on the fire",
            "Pour spouts on both sides",
            "Lifetime warranty",
        ],
    ),
    P(
        brand="Emberfold",
        style=80120,
        name="Enamelled Dutch Oven 5.5 qt",
        gpc=DUTCH_OVENS,
        ptype="Home > Kitchen > Dutch Ovens",
        amazon="KITCHEN",
        material="Enamelled Cast Iron",
        price=189.00,
        list_price=229.00,
        colors=["Ember Red", "Juniper Green", "Cream"],
        weight="5.4 kg",
        description="Heavy enamelled cast iron that holds an even heat for slow braises, stews and "
        "no-knead bread. The tight-fitting lid has self-basting nubs underneath, and the chip-"
        "resistant enamel needs no seasoning.",
        bullets=[
            "5.5 qt (5.2 L) capacity",
            "Self-basting lid",
            "Oven-safe to 260 °C",
            "Chip-resistant enamel, no seasoning needed",
        ],
        overrides={"JGR": {"availability": "backorder", "availability_date": "2027-01-15", "quantity": "0"}},
    ),
    P(
        brand="Northwind",
        style=10610,
        name="Titanium Solo Pot 750 ml",
        gpc=CAMP_COOKWARE,
        ptype="Camping > Camp Kitchen > Cookware",
        amazon="KITCHEN",
        material="Titanium",
        price=44.95,
        weight="0.11 kg",
        description="A 750 ml titanium pot that boils half a litre in three minutes, nests a 100 g gas "
        "canister and a small stove inside, and doubles as your mug. The lid has a strainer and the "
        "handles fold flat.",
        bullets=[
            "Weighs 108 g",
            "Fits a 100 g canister and stove inside",
            "Strainer lid",
            "Laser-etched measuring lines",
        ],
    ),
    P(
        brand="Northwind",
        style=10620,
        name="Basecamp Cook Set for Two",
        gpc=CAMP_COOKWARE,
        ptype="Camping > Camp Kitchen > Cook Sets",
        amazon="KITCHEN",
        material="Hard-Anodised Aluminium",
        price=79.00,
        sale=62.00,
        weight="0.68 kg",
        description="Two pots, a frying pan, two insulated mugs, two bowls and two sporks that nest "
        "into a single 1.8-litre pot, with a mesh bag and a sink that doubles as a wash basin.",
        bullets=[
            "Complete kit for two",
            "Everything nests in the 1.8 L pot",
            "Hard-anodised aluminium",
            "Collapsible sink included",
        ],
    ),
    P(
        brand="Emberfold",
        style=80130,
        name="Campfire Percolator 9-Cup",
        gpc=CAMP_COOKWARE,
        ptype="Camping > Camp Kitchen > Coffee",
        amazon="KITCHEN",
        material="Stainless Steel",
        price=64.00,
        weight="0.9 kg",
        description="Proper coffee for the whole campsite: a 9-cup stainless-steel percolator with a "
        "glass knob, so you can watch it brew, and a stay-cool handle. Works on a stove, on a grate "
        "over the fire and at home.",
        bullets=[
            "Makes 9 cups",
            "Glass percolator knob",
            "Stay-cool handle",
            "Works on gas, induction and the campfire",
        ],
    ),
    P(
        brand="Northwind",
        style=10630,
        name="Enamel Camp Mug 12 oz",
        gpc=MUGS,
        ptype="Home > Drinkware > Mugs",
        amazon="DRINKING_CUP",
        material="Enamelled Steel",
        price=18.00,
        colors=["Cream", "Forest Green", "Navy", "Ember Red"],
        weight="0.24 kg",
        description="The classic enamelled steel camp mug with a rolled stainless rim. Drop it, clip "
        "it to your pack, put it on the camp stove: it only looks better with a few chips.",
        bullets=["12 oz (355 ml)", "Rolled stainless-steel rim", "Dishwasher safe"],
    ),
    P(
        brand="Saltmarsh Supply Co.",
        style=60610,
        name="Insulated Bottle",
        gpc=WATER_BOTTLES,
        ptype="Home > Drinkware > Water Bottles",
        amazon="BOTTLE",
        material="Stainless Steel",
        price=32.00,
        colors=["Sage", "Black"],
        sizes=["20 oz", "32 oz"],
        size_prices={"32 oz": 39.95},
        weight="0.45 kg",
        description="Double-wall vacuum-insulated stainless steel keeps drinks cold for 24 hours and "
        "hot for 12. The leak-proof cap carries on one finger and the wide mouth takes ice cubes.",
        bullets=["Cold 24 hours, hot 12 hours", "Leak-proof carry cap", "Wide mouth fits ice cubes", "BPA-free"],
    ),
    P(
        brand="Emberfold",
        style=80140,
        name="Carbon Steel Paella Pan 34 cm",
        gpc=PAELLA_PANS,
        ptype="Home > Kitchen > Paella Pans",
        amazon="KITCHEN",
        material="Carbon Steel",
        price=49.00,
        weight="1.3 kg",
        description="A traditional polished carbon-steel paella pan for four to six people. Season it "
        "like cast iron and it will develop a naturally non-stick surface and the crisp socarrat "
        "paella is known for.",
        bullets=["Serves 4 to 6", "Polished carbon steel", "Works over gas, the grill and the fire"],
    ),
    P(
        brand="Northwind",
        style=10640,
        name="Folding Titanium Spork",
        gpc=CAMP_COOKWARE,
        ptype="Camping > Camp Kitchen > Utensils",
        amazon="KITCHEN",
        material="Titanium",
        price=19.99,
        weight="0.02 kg",
        description="A full-size titanium spork that folds in half to fit inside a solo pot. Smooth "
        "edges, a slotted handle for a lanyard and no taste of metal.",
        bullets=["Weighs 18 g", "Folds to fit in a 750 ml pot", "Full-size bowl"],
    ),
    # ---------------------------------------------------------------- headlamps and lights
    P(
        brand="Lumenridge",
        style=50110,
        name="Beacon 400 Rechargeable Headlamp",
        gpc=HEADLAMPS,
        ptype="Camping > Lighting > Headlamps",
        amazon="FLASHLIGHT",
        material="Polycarbonate",
        price=49.95,
        colors=["Black", "Orange", "Teal"],
        weight="0.09 kg",
        description="400 lumens, a beam that reaches 90 metres and a USB-C battery that lasts all night "
        "on low. Red night mode protects your night vision and your tent mate's sleep.",
        bullets=[
            "400 lumens, 90 m beam",
            "USB-C rechargeable battery",
            "Red night-vision mode",
            "IPX4 water resistant",
            "Lock mode for your pack",
        ],
    ),
    P(
        brand="Lumenridge",
        style=50120,
        name="Firefly 150 Kids' Headlamp",
        gpc=HEADLAMPS,
        ptype="Camping > Lighting > Headlamps",
        amazon="FLASHLIGHT",
        material="Silicone",
        price=24.95,
        colors=["Yellow"],
        weight="0.05 kg",
        description="A soft, adjustable headlamp for small heads, with a 150-lumen beam capped at a "
        "safe brightness, a glow-in-the-dark button and a one-hour auto-off.",
        bullets=["150 lumens", "Soft silicone strap", "Auto-off after one hour", "Glow-in-the-dark button"],
    ),
    P(
        brand="Lumenridge",
        style=50130,
        name="Vanguard 1200 Trail Running Headlamp",
        gpc=HEADLAMPS,
        ptype="Camping > Lighting > Headlamps",
        amazon="FLASHLIGHT",
        material="Aluminium",
        price=129.00,
        colors=["Black"],
        availability="preorder",
        weight="0.14 kg",
        description="1,200 lumens of reactive lighting that dims when you look at your watch and boosts "
        "when you look down the trail. Rear-mounted battery balances the weight for running.",
        bullets=[
            "1,200 lumens with reactive lighting",
            "Rear battery for balance",
            "Six-hour burn time on medium",
            "Reflective headband",
        ],
    ),
    P(
        brand="Lumenridge",
        style=50210,
        name="Glow Camp Lantern",
        gpc=LANTERNS,
        ptype="Camping > Lighting > Lanterns",
        amazon="FLASHLIGHT",
        material="Polycarbonate",
        price=39.95,
        colors=["Graphite"],
        weight="0.3 kg",
        description="A warm, dimmable LED lantern that lights a picnic table for two nights on one "
        "charge and charges your phone when you need it to.",
        bullets=[
            "Up to 60 hours on low",
            "Doubles as a power bank",
            "Dimmable warm light",
            "Hanging hook and folding handle",
        ],
    ),
    # ---------------------------------------------------------------- accessories
    P(
        brand="Northwind",
        style=10710,
        name="Merino Hiking Socks",
        gender="unisex",
        age="adult",
        gpc=SOCKS,
        ptype="Apparel > Accessories > Socks",
        amazon="SOCKS",
        material="Merino Wool/Nylon",
        price=24.00,
        colors=["Charcoal"],
        sizes=["S", "M", "L", "XL"],
        weight="0.08 kg",
        description="Medium-cushioned merino hiking socks with a seamless toe and a reinforced heel. "
        "Backed by our no-questions lifetime guarantee: wear a hole in them and we'll replace them.",
        bullets=["Merino wool blend", "Seamless toe", "Medium cushion underfoot", "Lifetime guarantee"],
    ),
    P(
        brand="Høyfjell",
        style=30510,
        name="Lusekofte Beanie",
        gender="unisex",
        age="adult",
        gpc=HATS,
        ptype="Apparel > Accessories > Hats",
        amazon="HAT",
        material="Norwegian Wool",
        pattern="Nordic",
        price=45.00,
        colors=["Natural", "Navy", "Red"],
        sizes=["One Size"],
        weight="0.1 kg",
        description="Knitted in Norway from local wool in the traditional lusekofte pattern, with a "
        "soft fleece band inside so it never itches.",
        bullets=["Knitted in Norway", "Traditional lusekofte pattern", "Fleece-lined band"],
    ),
    P(
        brand="Granite & Pine",
        style=41210,
        name="Trail Running Cap",
        gender="unisex",
        age="adult",
        gpc=HATS,
        ptype="Apparel > Accessories > Hats",
        amazon="HAT",
        material="Recycled Polyester",
        price=32.00,
        colors=["Black"],
        sizes=["One Size"],
        weight="0.06 kg",
        description="An ultralight five-panel cap with a soft, packable brim, a perforated crown and "
        "a reflective logo for early starts.",
        bullets=["Packable soft brim", "Perforated crown", "Reflective logo"],
    ),
    P(
        brand="Northwind",
        style=10720,
        name="Fleece-Lined Gloves",
        gender="unisex",
        age="adult",
        gpc=GLOVES,
        ptype="Apparel > Accessories > Gloves",
        amazon="GLOVES",
        material="Nylon/Polyester",
        price=39.00,
        colors=["Black"],
        sizes=["S", "M", "L"],
        weight="0.09 kg",
        description="Wind-resistant softshell gloves with a warm fleece lining, touchscreen-ready "
        "fingertips and a silicone grip palm for dog walks and winter commutes.",
        bullets=["Touchscreen-compatible fingertips", "Silicone grip palm", "Wind-resistant softshell back"],
    ),
    # ---------------------------------------------------------------- home
    P(
        brand="Høyfjell",
        style=30610,
        name="Fjord Wool Throw",
        gpc=BLANKETS,
        ptype="Home > Textiles > Blankets",
        amazon="BLANKET",
        material="Norwegian Wool",
        price=169.00,
        colors=["Grey/Natural"],
        weight="1.4 kg",
        description="Woven at a family mill on the west coast of Norway from pure new wool, this "
        "130 x 170 cm throw has a classic herringbone weave and hand-knotted fringes.",
        bullets=["Pure new Norwegian wool", "130 x 170 cm", "Herringbone weave", "Hand-knotted fringes"],
    ),
    P(
        brand="Saltmarsh Supply Co.",
        style=60710,
        name="Turkish Cotton Beach Towel",
        gpc=TOWELS,
        ptype="Home > Textiles > Towels",
        amazon="HOME",
        material="Turkish Cotton",
        pattern="Striped",
        price=42.00,
        colors=["Navy/White"],
        weight="0.45 kg",
        description="A flat-woven Turkish cotton towel that dries fast, packs small and doubles as a "
        "picnic blanket or a sarong. Gets softer with every wash.",
        bullets=["100% Turkish cotton", "100 x 180 cm", "Quick-drying flat weave"],
    ),
    P(
        brand="Northwind",
        style=10810,
        name="Wool Camp Blanket",
        gpc=BLANKETS,
        ptype="Home > Textiles > Blankets",
        amazon="BLANKET",
        material="Recycled Wool",
        price=129.00,
        sale=99.00,
        window=("2027-03-01T00:00:00-05:00", "2027-03-31T23:59:59-05:00"),
        colors=["Red", "Olive"],
        weight="1.8 kg",
        description="A heavy, 150 x 200 cm blanket woven from 80% recycled wool with blanket-stitched "
        "edges: for the truck bed, the tent floor or the sofa.",
        bullets=["80% recycled wool", "150 x 200 cm", "Blanket-stitched edges"],
    ),
]

# --------------------------------------------------------------------------------------------
# Deliberately broken rows: SKU -> fields to overwrite. Documented in examples/README.md.
# --------------------------------------------------------------------------------------------
LONG_TITLE = (
    "Høyfjell Fjord Wool Throw Blanket – Handwoven Pure New Norwegian Wool, Herringbone, "
    "130 x 170 cm, Hand-Knotted Fringes, for Cabins, Sofas and Campervans - Grey/Natural"
)
BROKEN: dict[str, dict[str, str]] = {
    "NWD-10610": {"gtin": "wrong-check"},  # invalid-gtin
    "GNP-41210-BLK-OS": {"gtin": gs1("200458300127")},  # restricted-gtin (store number)
    "EMB-80130": {"sale_price": "69.00"},  # sale-not-below-price
    "NWD-10640": {"price": "19,99€"},  # invalid-price
    "HYF-30610-GYNT": {"title": LONG_TITLE},  # too-long (Google, 150)
    "LMR-50130-BLK": {},  # missing-availability-date (preorder)
    "SMS-60710-NVWT": {"image_link": "", "additional_image_links": ""},  # missing-required
    "NWD-10510-SND": {
        "sale_price": "379.00",
        "sale_price_start": "2026-12-26",
        "sale_price_end": "2026-12-01",
    },  # sale-window-order
    "GNP-41110-GPH": {"id": ""},  # missing-id
}
DUPLICATE_OF = "NWD-10630-FGR"  # pasted a second time further down the file: duplicate-id
UNKNOWN_STOCK_SKU = "NWD-10188-YLW-M"  # discontinued poncho still in the stock export: unknown-sku


ASCII = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "é": "e", "ü": "u", "ö": "o", "ä": "a"})


def size_code(size: str) -> str:
    """'One Size' -> OS, '2-Person' -> 2P, '10-inch' -> 10IN, '20 oz' -> 20OZ, 'S/M' -> SM."""
    if size == "One Size":
        return "OS"
    return size.replace("-Person", "P").replace("-inch", "IN").replace("/", "").replace(" ", "").upper()


def money(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def expand(rng: random.Random) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    counters = {b: 10100 + 37 * i for i, b in enumerate(BRANDS)}
    for p in PRODUCTS:
        bcode, prefix = BRANDS[p["brand"]]
        style = f"{bcode}-{p['style']}"
        colors = p.get("colors") or [None]
        sizes = p["sizes"]
        combos = [(c, s) for c in colors for s in sizes]
        grouped = len(combos) > 1
        words = p["name"].lower().replace("°f", "f").translate(ASCII)
        handle = "-".join("".join(ch if ch.isalnum() else " " for ch in words).split())
        if p["who"]:
            handle += "-" + {"Men's": "mens", "Women's": "womens", "Kids'": "kids"}[p["who"]]
        base_title = f"{p['brand']} {p['name']}" + (f" - {p['who']}" if p["who"] else "")
        common = {
            "brand": p["brand"],
            "currency": "USD",
            "condition": p["condition"],
            "gender": p["gender"] or "",
            "age_group": p["age"] or "",
            "material": p["material"] or "",
            "pattern": p["pattern"] or "",
            "google_product_category": str(p["gpc"]),
            "product_type": p["ptype"],
            "amazon_product_type": p["amazon"],
            "description": p["description"],
        }
        if grouped:
            rows.append(
                {
                    **common,
                    "id": style,
                    "item_group_id": "",
                    "title": base_title,
                    "link": f"{SHOP}{handle}",
                    "image_link": f"{CDN}{style}.jpg",
                    "additional_image_links": f"{CDN}{style}-lifestyle.jpg",
                    "gtin": "",
                    "mpn": str(p["style"]),
                    "price": money(p["price"]),
                    "quantity": "",
                    "bullet_points": "|".join(p["bullets"]),
                }
            )
        for color, size in combos:
            parts = [style] + ([C[color]] if color else []) + ([size_code(size)] if size else [])
            sku = "-".join(parts)
            counters[p["brand"]] += 1
            gtin = gs1(prefix + f"{counters[p['brand']]:05d}")  # UPC-12 or EAN-13
            price = p["size_prices"].get(size, p["price"])
            sale = p["sale"]
            if sale is not None and price != p["price"]:
                sale = round(sale + (price - p["price"]), 2)
            variant = " / ".join(x for x in (color, size) if x and x != "One Size")
            title = base_title + (f" - {variant}" if variant and grouped else "")
            if not grouped and variant and p["gpc"] in (JACKETS, TOPS, PANTS, SHOES):
                title = base_title + f" - {variant}"
            extras = [f"{CDN}{sku}-back.jpg", f"{CDN}{style}-detail.jpg", f"{CDN}{style}-on-model.jpg"]
            n_extra = rng.choice([0, 1, 1, 2, 2, 3])
            if p["availability"] == "preorder":
                qty = ""
            else:
                qty = str(rng.choice([0, 2, 3, 5, 8, 12, 14, 18, 23, 27, 31, 40, 46, 58, 75]))
            rows.append(
                {
                    **common,
                    "id": sku,
                    "item_group_id": style if grouped else "",
                    "title": title,
                    "link": f"{SHOP}{handle}?variant={sku}",
                    "image_link": f"{CDN}{sku}.jpg",
                    "additional_image_links": "|".join(extras[:n_extra]),
                    "gtin": gtin,
                    "mpn": "-".join([str(p["style"]), *parts[1:]]),
                    "price": money(price),
                    "sale_price": money(sale),
                    "sale_price_start": (p["window"][0] or "") if sale else "",
                    "sale_price_end": (p["window"][1] or "") if sale else "",
                    "list_price": money(p["list_price"]) if p["list_price"] and price <= p["list_price"] else "",
                    "quantity": qty,
                    "availability": p["availability"] or "",
                    "availability_date": p["availability_date"] or "",
                    "color": color or "",
                    "size": size or "",
                    "shipping_weight": p["weight"],
                    "bullet_points": "|".join(p["bullets"][: rng.choice([3, 4, 5])]),
                }
            )
            for suffix, fields in p["overrides"].items():
                if sku.split("-")[2:3] == [suffix]:
                    rows[-1].update(fields)
    return rows


def plant_errors(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    by_id = {r["id"]: r for r in rows}
    for sku, fields in BROKEN.items():
        row = by_id[sku]
        for k, v in fields.items():
            if k == "gtin" and v == "wrong-check":
                v = row["gtin"][:-1] + str((int(row["gtin"][-1]) + 3) % 10)
            row[k] = v
    dup = dict(by_id[DUPLICATE_OF])
    dup["quantity"] = "7"
    rows.insert(len(rows) - 4, dup)
    return rows


def stock_rows(rows: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    out = []
    seen = set()
    for r in rows:
        sku = r["id"]
        parent = any(x["item_group_id"] == sku for x in rows) if sku else True
        if not sku or parent or sku in seen:
            continue
        seen.add(sku)
        wh = r["quantity"] or "0"
        out.append({"sku": sku, "location": "wh-main", "quantity": wh})
        big = r["google_product_category"] in {str(TENTS), str(DUTCH_OVENS), str(CAMP_FURNITURE)}
        for loc in LOCATIONS[1:]:
            if r["availability"] in ("preorder", "backorder"):
                q = 0
            else:
                q = rng.choice([0, 0, 1, 2] if big else [0, 1, 2, 3, 4, 5, 6, 8, 10])
            out.append({"sku": sku, "location": loc, "quantity": str(q)})
    out.insert(37, {"sku": UNKNOWN_STOCK_SKU, "location": "wh-main", "quantity": "12"})
    return out


PRICE_ROWS = [
    # Amazon: marketplace fees priced in
    {"sku": "NWD-10231-BLK-M", "channel": "amazon", "price": "239.00"},
    {"sku": "NWD-10231-BLK-L", "channel": "amazon", "price": "239.00"},
    {"sku": "NWD-10410-BLK", "channel": "amazon", "price": "129.00"},
    {"sku": "LMR-50110-BLK", "channel": "amazon", "price": "54.95"},
    {"sku": "EMB-80110-10IN", "channel": "amazon", "price": "49.00"},
    # Meta only: an Instagram sale on the pocket tee
    {"sku": "SMS-60120-WHT-S", "channel": "meta", "sale_price": "24.00", "start": "2026-11-20", "end": "2027-01-15"},
    {"sku": "SMS-60120-WHT-M", "channel": "meta", "sale_price": "24.00", "start": "2026-11-20", "end": "2027-01-15"},
    {"sku": "SMS-60120-WHT-L", "channel": "meta", "sale_price": "24.00", "start": "2026-11-20", "end": "2027-01-15"},
    # Google: price-matched
    {"sku": "TDW-70140-BLK-10", "channel": "google", "price": "209.00"},
    # every channel: a price rise on the big bottle
    {"sku": "SMS-60610-SGE-32OZ", "channel": "", "price": "42.00"},
    {"sku": "SMS-60610-BLK-32OZ", "channel": "", "price": "42.00"},
]


def write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})


def main() -> None:
    rng = random.Random(SEED)
    rows = plant_errors(expand(rng))
    write_csv(HERE / "catalog.csv", COLUMNS, rows)
    write_csv(HERE / "stock.csv", ["sku", "location", "quantity"], stock_rows(rows, rng))
    write_csv(HERE / "prices.csv", ["sku", "channel", "price", "sale_price", "start", "end"], PRICE_ROWS)
    print(f"catalog.csv: {len(rows)} rows")


if __name__ == "__main__":
    main()
