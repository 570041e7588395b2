"""Seeded synthetic master catalog for feedsync benchmarks.

    python benchmarks/generate_catalog.py --products 1000000 --seed 7 --out benchmarks/data/1m
    python benchmarks/generate_catalog.py --products 100000 --out /tmp/cat --format parquet

Writes catalog.csv (or catalog.parquet), stock.csv, prices.csv and feedsync.toml into --out.
`--products` is the number of catalog rows (feed items, parents included). About 30 % of the
top-level products are variant groups (a parent row plus 2-6 children), so roughly 14 % of the
rows are parents and 55 % variants. The same --products, --seed and --today always give
byte-identical files.

Everything is vectorised (numpy for numbers, pyarrow.compute for strings) and written in
batches of 50,000 rows, so memory stays flat: 1,000,000 rows take about 10 s on 2 cores with
a peak RSS under 400 MiB (catalog.csv ~710 MB, catalog.parquet ~75 MB).

Parquet keeps price, sale_price, list_price as float64 and quantity as int64; everything else is
text, exactly as in the CSV.

Deliberate data problems, so validators have something to find at scale: ~1 % of GTINs carry a
wrong check digit (invalid-gtin), and about a fifth of the sales (~3 % of rows) have a window
that ended before --today (sale-ended). Everything else is meant to pass every channel. All
google_product_category ids were checked against Google's taxonomy-with-ids.en-US.txt
(version 2021-09-21); `--taxonomy FILE` re-checks them at run time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CATALOG_COLUMNS = [
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
STOCK_COLUMNS = ["sku", "location", "quantity"]
PRICE_COLUMNS = ["sku", "channel", "price", "sale_price", "start", "end"]
LOCATIONS = ["wh-main", "store-nyc", "store-sf", "store-chi"]
STORE_SHARE = 0.55  # chance that a store carries a given SKU
DEFAULT_TODAY = "2026-11-23"  # fixed so a seed always gives the same files; override with --today
BATCH_ROWS = 50_000
SHOP = "https://shop.example.com/products/"
CDN = "https://cdn.example.com/img/"

# --------------------------------------------------------------------------------------------
# Reference data (small Python lists; every per-row column is built from them with numpy/arrow)
# --------------------------------------------------------------------------------------------

# name, SKU code, GTIN kind, GS1 prefix (UPC: the digit after the leading 0; EAN: 3 digits)
BRANDS = [
    ("Trailhead", "TRL", "upc", 8),
    ("Cascadia Peak", "CSP", "upc", 6),
    ("Granite & Pine", "GNP", "upc", 7),
    ("Høyfjell", "HYF", "ean", 703),
    ("Lumenridge", "LMR", "upc", 1),
    ("Emberfold", "EMB", "ean", 500),
    ("Saltmarsh Supply Co.", "SMS", "upc", 3),
    ("Alder & Ash", "ALA", "ean", 871),
    ("Sierra Azul", "SAZ", "ean", 843),
    ("Kōbō Kitchen", "KBK", "ean", 490),
    ("Northwind", "NWD", "ean", 400),
    ("Ridgeback Gear", "RBG", "ean", 760),
]

# (model name, ASCII slug); a few carry diacritics or CJK so titles are not all ASCII
MODELS = [
    ("Ridgeline", "ridgeline"),
    ("Summit", "summit"),
    ("Cascade", "cascade"),
    ("Tamarack", "tamarack"),
    ("Basecamp", "basecamp"),
    ("Switchback", "switchback"),
    ("Alpenglow", "alpenglow"),
    ("Headwall", "headwall"),
    ("Timberline", "timberline"),
    ("Driftwood", "driftwood"),
    ("Stormfront", "stormfront"),
    ("Cirque", "cirque"),
    ("Scree", "scree"),
    ("Talus", "talus"),
    ("Bivy", "bivy"),
    ("Traverse", "traverse"),
    ("Kestrel Ridge", "kestrel-ridge"),
    ("Saddleback", "saddleback"),
    ("Larch", "larch"),
    ("Cairn", "cairn"),
    ("Boundary", "boundary"),
    ("Meridian", "meridian"),
    ("Northstar", "northstar"),
    ("Fireweed", "fireweed"),
    ("Juniper", "juniper"),
    ("Sawtooth", "sawtooth"),
    ("Glacier", "glacier"),
    ("Highpoint", "highpoint"),
    ("Wayfarer", "wayfarer"),
    ("Ironwood", "ironwood"),
    ("Bluebird", "bluebird"),
    ("Canyon", "canyon"),
    ("Foothill", "foothill"),
    ("Outpost", "outpost"),
    ("Halyard", "halyard"),
    ("Tidewater", "tidewater"),
    ("Hearth", "hearth"),
    ("Emberline", "emberline"),
    ("Copperhead", "copperhead"),
    ("Quarry", "quarry"),
    ("Fjällbacka", "fjallbacka"),
    ("Kjølen", "kjolen"),
    ("Sólheimar", "solheimar"),
    ("Ålesund", "alesund"),
    ("Crête", "crete"),
    ("Piz Palü", "piz-palu"),
    ("Señal", "senal"),
    ("Hokkaidō", "hokkaido"),
    ("富士", "fuji"),
    ("Nordlys", "nordlys"),
]

COLORS = [
    ("Black", "BLK"),
    ("Charcoal", "CHR"),
    ("Grey", "GRY"),
    ("Heather Grey", "HGR"),
    ("White", "WHT"),
    ("Navy", "NVY"),
    ("Cobalt Blue", "COB"),
    ("Glacier Blue", "GLB"),
    ("Forest Green", "FOR"),
    ("Olive", "OLV"),
    ("Sage", "SGE"),
    ("Moss", "MOS"),
    ("Rust", "RST"),
    ("Burnt Orange", "BOR"),
    ("Ochre", "OCH"),
    ("Sand", "SND"),
    ("Khaki", "KHK"),
    ("Brown", "BRN"),
    ("Burgundy", "BUR"),
    ("Red", "RED"),
    ("Coral", "CRL"),
    ("Plum", "PLM"),
    ("Mustard", "MUS"),
    ("Graphite", "GPH"),
    ("Slate", "SLT"),
    ("Stone", "STN"),
]

# size systems: list of (label, SKU code)
SIZE_KINDS: dict[str, list[tuple[str, str]]] = {
    "none": [],
    "alpha": [(s, s) for s in ("XS", "S", "M", "L", "XL", "XXL")],
    "kids": [(s, "Y" + s) for s in ("4", "6", "8", "10", "12", "14")],
    "toddler": [(s, s) for s in ("2T", "3T", "4T", "5T")],
    "waist": [(s, "W" + s) for s in ("28", "30", "32", "34", "36", "38")],
    "shoe": [(str(s), str(s)) for s in range(38, 47)],
    "sock": [(s, s) for s in ("S", "M", "L", "XL")],
    "one": [("One Size", "OS")],
    "pack": [("S/M", "SM"), ("M/L", "ML")],
    "tent": [("1-Person", "1P"), ("2-Person", "2P"), ("3-Person", "3P"), ("4-Person", "4P"), ("6-Person", "6P")],
    "bag": [("Regular", "REG"), ("Long", "LNG")],
    "pad": [("Regular", "REG"), ("Long", "LNG"), ("Long Wide", "LW")],
    "pole": [("110 cm", "110"), ("120 cm", "120"), ("130 cm", "130")],
    "bottle": [("500 ml", "500ML"), ("750 ml", "750ML"), ("1 L", "1L")],
    "pan": [("20 cm", "20"), ("24 cm", "24"), ("26 cm", "26"), ("28 cm", "28"), ("30 cm", "30")],
    "oven": [("3.8 L", "3L8"), ("5.2 L", "5L2"), ("6.7 L", "6L7")],
    "blanket": [("Throw", "THR"), ("Twin", "TWN"), ("Queen", "QN"), ("King", "KG")],
    "towel": [("Hand", "HND"), ("Bath", "BTH"), ("Beach", "BCH")],
}

MATERIALS_APPAREL = [
    "Recycled Polyester",
    "Merino Wool",
    "Organic Cotton",
    "Nylon/Elastane",
    "Recycled Nylon",
    "Cotton/Hemp",
    "Polyester/Spandex",
]
PATTERNS = ["Solid", "Striped", "Plaid", "Heathered", "Camo", "Color Block"]


@dataclass
class Category:
    key: str
    google_id: int  # verified in taxonomy-with-ids.en-US.txt (2021-09-21)
    product_type: str
    amazon: str
    nouns: list[str]
    sizes: str
    apparel: bool
    price: tuple[int, int]  # whole dollars
    kg: tuple[float, float]
    materials: list[str]
    phrases: list[str]
    bullets: list[str]
    brands: list[int]
    weight: float = 1.0
    size_step: int = 0  # extra cents per step up the size list
    kids: bool = False


APPAREL_BRANDS = [0, 1, 2, 3, 8, 10]
GEAR_BRANDS = [0, 1, 2, 3, 4, 10, 11]
HOME_BRANDS = [5, 6, 7, 9, 10]

CATEGORIES = [
    Category(
        "rain_jacket",
        5598,
        "Apparel > Jackets > Rain Jackets",
        "COAT",
        ["Rain Jacket", "Waterproof Shell", "Storm Jacket", "Packable Rain Shell"],
        "alpha",
        True,
        (89, 329),
        (0.28, 0.7),
        ["Recycled Nylon", "3-Layer Recycled Nylon", "Polyester/Elastane"],
        [
            "keeps the weather out on long, wet approaches and packs into its own chest pocket.",
            "is cut long in the back and roomy enough to layer over a fleece.",
            "uses a breathable three-layer membrane so you stay dry from the inside too.",
            "was built for commuting in the rain as much as for the trail.",
        ],
        [
            "Fully taped seams",
            "Helmet-compatible adjustable hood",
            "Pit zips for venting",
            "Packs into its own pocket",
            "PFC-free water-repellent finish",
            "Two hand pockets sit above a hip belt",
        ],
        APPAREL_BRANDS,
        3.0,
        kids=True,
    ),
    Category(
        "insulated_jacket",
        5598,
        "Apparel > Jackets > Insulated Jackets",
        "COAT",
        ["Down Jacket", "Puffer Jacket", "Insulated Hoodie", "Parka", "Synthetic Jacket"],
        "alpha",
        True,
        (129, 449),
        (0.35, 1.2),
        ["800-Fill Responsibly Sourced Down", "Recycled Polyester", "Nylon/Down"],
        [
            "traps heat on cold belays and stuffs into a sack the size of a water bottle.",
            "pairs a warm baffled body with stretch side panels for freedom of movement.",
            "is the warm layer you reach for from the first frost until spring.",
            "keeps its loft in damp weather thanks to water-resistant insulation.",
        ],
        [
            "Responsibly sourced insulation",
            "Zippered hand pockets with fleece lining",
            "Adjustable hem drawcord",
            "Stuff sack included",
            "Two-way front zip",
            "Elastic cuffs seal out drafts",
        ],
        APPAREL_BRANDS,
        2.5,
        kids=True,
    ),
    Category(
        "fleece",
        5598,
        "Apparel > Midlayers > Fleece",
        "COAT",
        ["Fleece Jacket", "Grid Fleece Hoodie", "Quarter-Zip Fleece", "Sherpa Pullover"],
        "alpha",
        True,
        (59, 169),
        (0.25, 0.6),
        ["Recycled Polyester", "Polyester/Spandex"],
        [
            "breathes on the climb and keeps you warm at the summit.",
            "has a grid fleece back that dries fast and moves with you.",
            "is soft enough for the couch and tough enough for the trail.",
        ],
        [
            "Grid fleece for warmth and breathability",
            "Zippered chest pocket",
            "Thumb loops on the cuffs",
            "Made from recycled bottles",
            "Flatlock seams",
        ],
        APPAREL_BRANDS,
        2.0,
        kids=True,
    ),
    Category(
        "vest",
        1831,
        "Apparel > Jackets > Vests",
        "VEST",
        ["Down Vest", "Insulated Vest", "Fleece Vest"],
        "alpha",
        True,
        (79, 199),
        (0.2, 0.45),
        ["Recycled Polyester", "Nylon/Down"],
        [
            "adds core warmth without bulk under a shell.",
            "is a shoulder-season favourite for dog walks and cool mornings.",
        ],
        ["Lightweight core warmth", "Zippered hand pockets", "Packs into a pocket", "Stand-up collar"],
        APPAREL_BRANDS,
        1.0,
    ),
    Category(
        "tee",
        212,
        "Apparel > Tops > T-Shirts",
        "SHIRT",
        ["Merino Tee", "Organic Cotton T-Shirt", "Trail Tee", "Long-Sleeve Tee", "Graphic Tee", "Sun Hoodie"],
        "alpha",
        True,
        (24, 89),
        (0.12, 0.3),
        ["Merino Wool", "Organic Cotton", "Polyester/Spandex", "Cotton/Hemp"],
        [
            "resists odour for days on the trail and still looks sharp in town.",
            "is cut from soft, breathable fabric that wicks sweat on hot climbs.",
            "has a relaxed fit and a print inspired by our favourite trailheads.",
            "offers UPF 50+ sun protection on exposed ridges.",
        ],
        [
            "Odour-resistant fabric",
            "UPF 50+ sun protection",
            "Tagless neck label",
            "Relaxed fit",
            "Quick-drying",
            "Side-seam free body",
        ],
        APPAREL_BRANDS,
        3.0,
        kids=True,
    ),
    Category(
        "shirt",
        212,
        "Apparel > Tops > Shirts",
        "SHIRT",
        ["Flannel Shirt", "Hiking Shirt", "Chambray Shirt", "Travel Shirt"],
        "alpha",
        True,
        (49, 109),
        (0.25, 0.5),
        ["Organic Cotton", "Cotton/Hemp", "Recycled Nylon"],
        [
            "is brushed on both sides for a soft, warm hand.",
            "has hidden zip pockets for passports and a vented back yoke.",
        ],
        ["Brushed organic cotton", "Two chest pockets", "Roll-up sleeve tabs", "Vented back yoke", "Wrinkle-resistant"],
        APPAREL_BRANDS,
        1.5,
    ),
    Category(
        "pants",
        204,
        "Apparel > Bottoms > Hiking Pants",
        "PANTS",
        ["Hiking Pants", "Convertible Pants", "Softshell Pants", "Climbing Pants"],
        "waist",
        True,
        (69, 159),
        (0.3, 0.6),
        ["Nylon/Elastane", "Organic Cotton", "Recycled Nylon"],
        [
            "stretch in every direction and shrug off light rain.",
            "have a gusseted crotch and articulated knees for high steps.",
            "zip off into shorts when the afternoon warms up.",
        ],
        ["Four-way stretch fabric", "Gusseted crotch", "Zippered thigh pocket", "Integrated belt", "DWR finish"],
        APPAREL_BRANDS,
        2.0,
    ),
    Category(
        "shorts",
        207,
        "Apparel > Bottoms > Shorts",
        "SHORTS",
        ["Trail Shorts", "Hiking Shorts", "Running Shorts", "Board Shorts"],
        "alpha",
        True,
        (34, 79),
        (0.12, 0.3),
        ["Recycled Nylon", "Polyester/Spandex"],
        ["dry in minutes after a river crossing.", "have a 7-inch inseam and a stretchy waistband made for long days."],
        ["Quick-drying fabric", "Zippered back pocket", "Built-in liner", "Elastic waistband with drawcord"],
        APPAREL_BRANDS,
        1.5,
        kids=True,
    ),
    Category(
        "socks",
        209,
        "Apparel > Accessories > Socks",
        "SOCKS",
        ["Merino Hiking Socks", "Crew Socks", "Ski Socks", "Trail Running Socks"],
        "sock",
        True,
        (16, 32),
        (0.05, 0.12),
        ["Merino Wool", "Merino Wool/Nylon"],
        ["are cushioned where you need it and thin where you don't.", "come with a no-questions lifetime guarantee."],
        ["Seamless toe", "Cushioned heel and toe", "Merino wool blend", "Lifetime guarantee"],
        APPAREL_BRANDS,
        2.0,
        kids=True,
    ),
    Category(
        "hat",
        173,
        "Apparel > Accessories > Hats",
        "HAT",
        ["Beanie", "Sun Hat", "Trucker Cap", "Bucket Hat", "Pom Beanie"],
        "one",
        True,
        (19, 49),
        (0.05, 0.15),
        ["Merino Wool", "Organic Cotton", "Recycled Polyester"],
        ["is knit from soft wool that doesn't itch.", "has a wide brim and a chin strap for windy ridgelines."],
        ["One size fits most", "Embroidered logo", "Moisture-wicking sweatband", "Packable"],
        APPAREL_BRANDS,
        1.5,
        kids=True,
    ),
    Category(
        "gloves",
        170,
        "Apparel > Accessories > Gloves",
        "GLOVES",
        ["Fleece Gloves", "Insulated Mittens", "Liner Gloves", "Touchscreen Gloves"],
        "sock",
        True,
        (24, 89),
        (0.06, 0.2),
        ["Recycled Polyester", "Merino Wool", "Leather/Nylon"],
        [
            "keep your fingers nimble and warm on frosty mornings.",
            "work with touchscreens so you never take them off for a photo.",
        ],
        ["Touchscreen-compatible fingertips", "Silicone palm grip", "Wrist leash", "Windproof back"],
        APPAREL_BRANDS,
        1.0,
    ),
    Category(
        "boots",
        187,
        "Footwear > Boots > Hiking Boots",
        "BOOT",
        ["Hiking Boots", "Waterproof Mid Boots", "Winter Boots", "Leather Trail Boots"],
        "shoe",
        True,
        (119, 279),
        (0.9, 1.8),
        ["Full-Grain Leather", "Nubuck/Mesh", "Suede/Nylon"],
        [
            "are waterproof, supportive and comfortable out of the box.",
            "have a grippy rubber outsole that bites into wet rock and mud.",
            "can be resoled, so the uppers will see many seasons.",
        ],
        [
            "Waterproof breathable membrane",
            "Vibram-style lugged outsole",
            "Resoleable construction",
            "Padded collar and tongue",
            "Removable insole",
        ],
        GEAR_BRANDS,
        2.0,
    ),
    Category(
        "trail_shoes",
        187,
        "Footwear > Shoes > Trail Running Shoes",
        "SHOES",
        ["Trail Running Shoes", "Approach Shoes", "Hiking Shoes"],
        "shoe",
        True,
        (99, 189),
        (0.55, 0.95),
        ["Engineered Mesh", "Mesh/Synthetic"],
        [
            "are light, quick-draining and sticky on loose ground.",
            "have a rock plate and a roomy toe box for long days.",
        ],
        ["Rock plate", "Quick-drain mesh", "Sticky rubber outsole", "Wide toe box"],
        GEAR_BRANDS,
        1.5,
    ),
    Category(
        "backpack",
        100,
        "Bags > Backpacks > Hiking Packs",
        "BACKPACK",
        ["Daypack 22L", "Hiking Pack 28L", "Backpacking Pack 55L", "Travel Pack 40L", "Commuter Pack 20L"],
        "pack",
        False,
        (59, 299),
        (0.6, 2.0),
        ["Recycled Nylon", "Ripstop Nylon", "Waxed Canvas"],
        [
            "carries comfortably all day thanks to a ventilated back panel.",
            "has a padded laptop sleeve and a clamshell opening for travel.",
            "fits a weekend of gear and strips down for summit pushes.",
        ],
        [
            "Ventilated back panel",
            "Hydration sleeve",
            "Padded hip belt",
            "Rain cover included",
            "Front stretch pocket",
            "Laptop sleeve",
        ],
        GEAR_BRANDS,
        2.5,
        size_step=1000,
    ),
    Category(
        "duffel",
        103,
        "Bags > Duffels",
        "LUGGAGE",
        ["Expedition Duffel 60L", "Travel Duffel 40L", "Gear Duffel 90L"],
        "none",
        False,
        (79, 199),
        (0.8, 1.6),
        ["TPU-Laminated Polyester", "Ripstop Nylon"],
        ["is burly enough for bush planes and converts into a backpack."],
        ["Weather-resistant laminate", "Stowable backpack straps", "Lockable zips", "End pockets for shoes"],
        GEAR_BRANDS,
        1.0,
    ),
    Category(
        "tent",
        1022,
        "Camping > Tents",
        "TENT",
        ["Backpacking Tent", "Dome Tent", "Ultralight Tent", "Family Cabin Tent"],
        "tent",
        False,
        (149, 599),
        (1.0, 6.5),
        ["Ripstop Nylon", "Polyester", "Silnylon"],
        [
            "pitches in minutes and stands up to strong wind.",
            "has two doors and two vestibules so nobody climbs over anybody.",
            "packs small for the trail and still sleeps tall people comfortably.",
        ],
        [
            "Colour-coded poles",
            "Two doors, two vestibules",
            "Full-coverage rainfly",
            "Footprint sold separately",
            "Aluminium stakes included",
        ],
        GEAR_BRANDS,
        1.5,
        size_step=4000,
    ),
    Category(
        "sleeping_bag",
        1020,
        "Camping > Sleeping Bags",
        "SLEEPING_BAG",
        ["Down Sleeping Bag -7°C", "Synthetic Sleeping Bag", "Mummy Bag 0°C", "Camp Quilt"],
        "bag",
        False,
        (99, 449),
        (0.7, 1.8),
        ["650-Fill Down", "Recycled Synthetic Insulation"],
        ["keeps you warm on frosty nights and compresses small.", "has a draft collar and a contoured hood."],
        ["Draft collar", "Anti-snag zip", "Compression sack included", "Responsibly sourced down"],
        GEAR_BRANDS,
        1.0,
        size_step=2000,
    ),
    Category(
        "sleeping_pad",
        1021,
        "Camping > Sleeping Pads",
        "",
        ["Insulated Air Pad", "Self-Inflating Mat", "Foam Sleeping Pad"],
        "pad",
        False,
        (49, 199),
        (0.35, 1.2),
        ["Nylon/TPU", "Closed-Cell Foam"],
        ["inflates in a dozen breaths and packs to the size of a water bottle."],
        ["R-value 4.2", "Pump sack included", "Repair kit included", "Quiet fabric"],
        GEAR_BRANDS,
        1.0,
        size_step=1500,
    ),
    Category(
        "camp_cook",
        1016,
        "Camping > Camp Kitchen > Cookware",
        "KITCHEN",
        ["Titanium Pot 750 ml", "Camp Cook Set", "Nesting Mug Set", "Folding Spork", "Backpacking Stove"],
        "none",
        False,
        (14, 129),
        (0.05, 0.9),
        ["Titanium", "Hard-Anodised Aluminium", "Stainless Steel"],
        ["nests neatly and boils water fast on any canister stove."],
        ["Nests inside itself", "Folding handles", "Laser-etched measuring lines", "Mesh storage bag"],
        GEAR_BRANDS + [5],
        1.5,
    ),
    Category(
        "headlamp",
        2454,
        "Camping > Lighting > Headlamps",
        "FLASHLIGHT",
        ["Rechargeable Headlamp 400 lm", "Headlamp 250 lm", "Trail Running Headlamp", "Kids' Headlamp"],
        "none",
        False,
        (24, 89),
        (0.06, 0.15),
        ["Polycarbonate"],
        [
            "charges over USB-C and throws a beam far enough to find the trail marker.",
            "has a red night mode that won't wake your tent mate.",
        ],
        ["USB-C rechargeable", "Red night-vision mode", "IPX4 water resistant", "Lock mode for your pack"],
        [4, 0, 11],
        1.5,
    ),
    Category(
        "lantern",
        1019,
        "Camping > Lighting > Lanterns",
        "FLASHLIGHT",
        ["LED Camp Lantern", "Solar Lantern", "String Lights"],
        "none",
        False,
        (19, 79),
        (0.1, 0.5),
        ["Polycarbonate", "Silicone"],
        ["bathes the picnic table in warm light for two nights on a charge."],
        ["Dimmable warm light", "Doubles as a power bank", "Collapsible"],
        [4, 0, 11],
        1.0,
    ),
    Category(
        "hiking_poles",
        3738,
        "Camping > Hiking Poles",
        "",
        ["Carbon Trekking Poles", "Aluminium Trekking Poles", "Folding Z-Poles"],
        "pole",
        False,
        (69, 179),
        (0.35, 0.6),
        ["Carbon Fibre", "Aluminium"],
        ["save your knees on long descents and fold away in seconds."],
        ["Cork grips", "Flick-lock adjustment", "Carbide tips", "Sold as a pair"],
        GEAR_BRANDS,
        0.8,
    ),
    Category(
        "bottle",
        3809,
        "Home > Drinkware > Water Bottles",
        "BOTTLE",
        ["Insulated Bottle", "Wide-Mouth Bottle", "Trail Flask"],
        "bottle",
        False,
        (19, 49),
        (0.2, 0.5),
        ["Stainless Steel", "Tritan"],
        ["keeps coffee hot for 12 hours and water cold for 24."],
        ["Double-wall vacuum insulation", "Leak-proof lid", "Dishwasher safe", "BPA free"],
        HOME_BRANDS + [0, 1],
        2.0,
        size_step=400,
    ),
    Category(
        "mug",
        2169,
        "Home > Drinkware > Mugs",
        "DRINKING_CUP",
        ["Enamel Camp Mug", "Insulated Mug", "Stoneware Mug"],
        "none",
        False,
        (14, 36),
        (0.2, 0.45),
        ["Enamelled Steel", "Stoneware", "Stainless Steel"],
        ["is as at home by the campfire as on your desk."],
        ["Dishwasher safe", "Holds 350 ml", "Chip-resistant enamel"],
        HOME_BRANDS,
        1.5,
    ),
    Category(
        "skillet",
        662,
        "Home > Kitchen > Skillets",
        "KITCHEN",
        ["Cast Iron Skillet", "Carbon Steel Pan", "Nonstick Frying Pan"],
        "pan",
        False,
        (29, 149),
        (0.9, 3.2),
        ["Cast Iron", "Carbon Steel", "Hard-Anodised Aluminium"],
        ["comes pre-seasoned and gets better with every meal.", "works on gas, induction and over the campfire."],
        ["Pre-seasoned", "Induction compatible", "Oven safe to 260°C", "Pour spouts on both sides"],
        HOME_BRANDS,
        1.5,
        size_step=1000,
    ),
    Category(
        "dutch_oven",
        657,
        "Home > Kitchen > Dutch Ovens",
        "KITCHEN",
        ["Enamelled Dutch Oven", "Camp Dutch Oven"],
        "oven",
        False,
        (79, 299),
        (3.5, 6.5),
        ["Enamelled Cast Iron", "Cast Iron"],
        ["holds heat for slow braises and crusty sourdough."],
        ["Self-basting lid", "Oven safe to 260°C", "Lifetime warranty"],
        HOME_BRANDS,
        0.8,
        size_step=3000,
    ),
    Category(
        "blanket",
        1985,
        "Home > Textiles > Blankets",
        "BLANKET",
        ["Wool Throw", "Camp Blanket", "Sherpa Blanket", "Waffle Blanket"],
        "blanket",
        False,
        (59, 219),
        (0.8, 2.4),
        ["Merino Wool", "Organic Cotton", "Recycled Polyester"],
        ["is woven at a family mill and softens with every wash."],
        ["Woven at a family mill", "Machine washable", "Fringed edges", "Gift box included"],
        HOME_BRANDS,
        1.2,
        size_step=2000,
    ),
    Category(
        "towel",
        576,
        "Home > Textiles > Towels",
        "HOME_BED_AND_BATH",
        ["Quick-Dry Towel", "Turkish Cotton Towel", "Beach Towel"],
        "towel",
        False,
        (19, 69),
        (0.2, 0.9),
        ["Organic Cotton", "Microfibre"],
        ["dries fast and packs flat for trips to the coast."],
        ["Quick-drying", "Hanging loop", "OEKO-TEX certified cotton"],
        HOME_BRANDS,
        1.0,
        size_step=800,
    ),
    Category(
        "pillow",
        4454,
        "Home > Decor > Throw Pillows",
        "HOME",
        ["Wool Throw Pillow", "Linen Cushion Cover", "Plaid Cushion"],
        "none",
        False,
        (29, 79),
        (0.3, 0.8),
        ["Wool", "Linen", "Organic Cotton"],
        ["adds a bit of cabin warmth to any sofa."],
        ["Hidden zip", "Feather insert included", "Spot clean only"],
        HOME_BRANDS,
        0.8,
    ),
    Category(
        "cooler",
        1017,
        "Camping > Coolers",
        "",
        ["Hard Cooler 45 L", "Soft Cooler 20 L", "Cooler Backpack"],
        "none",
        False,
        (49, 329),
        (1.2, 9.0),
        ["Rotomoulded Polyethylene", "TPU-Coated Nylon"],
        ["keeps ice for days and doubles as a camp seat."],
        ["Keeps ice up to 5 days", "Bear-resistant latches", "Drain plug"],
        GEAR_BRANDS,
        0.8,
    ),
]

GENERIC = [
    "Designed and tested in the Cascade foothills.",
    "Backed by our lifetime repair promise.",
    "Ships in plastic-free packaging.",
    "Every piece is inspected by hand before it leaves our warehouse.",
    "Pair it with the rest of the collection for a complete kit.",
    "Made in a Fair Trade Certified factory.",
    "Part of our climate-neutral collection.",
    "Built to be repaired, not replaced.",
    "Our customers' favourite for three seasons running.",
    "Bluesign-approved materials throughout.",
]
CLOSING = [
    "Free returns within 60 days.",
    "Free shipping on orders over $75.",
    "See the size and spec chart for exact measurements.",
    "Questions? Our gear experts answer within a day.",
    "",
]
MULTILINGUAL = [
    "Conçu pour les randonnées d’automne en montagne.",
    "Hergestellt für nasse Herbsttage in den Alpen – Größe fällt normal aus.",
    "Diseñado para la Patagonia: ¡listo para el viento!",
    "山でも街でも使える、軽くて丈夫なアイテムです。",
    "适合四季户外活动。",
    "מתאים לטיולים בכל מזג אוויר.",
    "مناسب للرحلات في جميع الأحوال الجوية.",
    "🌲⛺🔥 Tested on three continents.",
    "Лучший выбор для походов.",
    "Ideal för fjällvandring – från Abisko till Åre.",
]
TITLE_EXTRAS = [
    " – Édition Alpine",
    " 🌲 Forest Edition",
    " (防水モデル)",
    " – Edición Patagonia",
    " ❄️",
    " – מהדורת חורף",
    " – إصدار الشتاء",
    " – Bergführer-Edition",
]

# --------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------

STR = pa.string()
NULL_STR = pa.scalar(None, STR)


def take(values: list[str] | pa.Array, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """values[idx] as an Arrow string array; rows where mask is True become null."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, STR)
    return arr.take(pa.array(idx, type=pa.int64(), mask=mask))


def join(*parts: pa.Array | str, sep: str = "", skip_nulls: bool = False) -> pa.Array:
    """Element-wise concatenation; a null part makes the row null unless skip_nulls.

    With skip_nulls a row whose parts are all null is null. (binary_join_element_wise's own
    null_handling="skip" drops such rows in pyarrow 26, shortening the array, so it is not used.)
    """
    if not skip_nulls:
        return pc.binary_join_element_wise(*parts, sep, null_handling="emit_null")
    pieces = [
        sep + p if isinstance(p, str) else pc.fill_null(pc.binary_join_element_wise(sep, p, ""), "") for p in parts
    ]
    out = pc.binary_join_element_wise(*pieces, "")
    if sep:
        out = pc.utf8_slice_codeunits(out, len(sep))
    return pc.if_else(pc.equal(out, ""), NULL_STR, out)


def where(mask: np.ndarray, then: pa.Array | str | None, other: pa.Array | str | None) -> pa.Array:
    def scalar(v: pa.Array | str | None) -> pa.Array | pa.Scalar:
        return pa.scalar(v, STR) if v is None or isinstance(v, str) else v

    return pc.if_else(pa.array(mask), scalar(then), scalar(other))


def ints(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, type=pa.int64(), mask=mask).cast(STR)


def money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Integer cents -> '49.95' (always two decimals); masked rows null."""
    whole = ints(cents // 100)
    frac = pc.utf8_lpad(ints(cents % 100), width=2, padding="0")
    out = join(whole, frac, sep=".")
    return out if mask is None else where(mask, NULL_STR, out)


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 -> 'YYYY-MM-DD'."""
    return pa.array(days.astype(np.int32), type=pa.int32()).cast(pa.date32()).cast(STR)


def pool(lists: list[list[str]]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Flatten per-category lists so that row choices become offset + (random % count)."""
    flat = [v for lst in lists for v in lst]
    counts = np.array([len(lst) for lst in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return pa.array(flat, STR), offsets, counts


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def gs1_check_digit(body: np.ndarray) -> np.ndarray:
    """GS1 mod-10 check digit for integer bodies (any length up to 17 digits)."""
    b = body.astype(np.int64).copy()
    total = np.zeros_like(b)
    weight = 3
    for _ in range(17):
        total += (b % 10) * weight
        b //= 10
        weight = 4 - weight
    return (10 - total % 10) % 10


# --------------------------------------------------------------------------------------------
# Lookup tables derived once
# --------------------------------------------------------------------------------------------


def build_tables() -> dict:
    kinds = list(SIZE_KINDS)
    labels: list[str] = []
    codes: list[str] = []
    off: list[int] = []
    cnt: list[int] = []
    for k in kinds:
        off.append(len(labels))
        cnt.append(len(SIZE_KINDS[k]))
        labels += [s for s, _ in SIZE_KINDS[k]]
        codes += [c for _, c in SIZE_KINDS[k]]
    cats = CATEGORIES
    t = {
        "kinds": kinds,
        "size_label": pa.array(labels, STR),
        "size_code": pa.array(codes, STR),
        "size_off": np.array(off, np.int64),
        "size_cnt": np.array(cnt, np.int64),
        "cat_kind": np.array([kinds.index(c.sizes) for c in cats], np.int64),
        "cat_apparel": np.array([c.apparel for c in cats]),
        "cat_kids": np.array([c.kids for c in cats]),
        "cat_lo": np.array([c.price[0] for c in cats], np.int64),
        "cat_hi": np.array([c.price[1] for c in cats], np.int64),
        "cat_kg_lo": np.array([c.kg[0] for c in cats]),
        "cat_kg_hi": np.array([c.kg[1] for c in cats]),
        "cat_step": np.array([c.size_step for c in cats], np.int64),
        "cat_gid": pa.array([str(c.google_id) for c in cats], STR),
        "cat_ptype": pa.array([c.product_type for c in cats], STR),
        "cat_amazon": pa.array([c.amazon or None for c in cats], STR),
        "cat_p": np.array([c.weight for c in cats]) / sum(c.weight for c in cats),
        "nouns": pool([c.nouns for c in cats]),
        "noun_slugs": pool([[slug(n) for n in c.nouns] for c in cats]),
        "materials": pool([c.materials for c in cats]),
        "phrases": pool([c.phrases for c in cats]),
        "bullets": pool([c.bullets for c in cats]),
        "brands": pool([[str(b) for b in c.brands] for c in cats]),
        "brand_name": pa.array([b[0] for b in BRANDS], STR),
        "brand_code": pa.array([b[1] for b in BRANDS], STR),
        "brand_upc": np.array([b[2] == "upc" for b in BRANDS]),
        "brand_prefix": np.array([b[3] for b in BRANDS], np.int64),
        "model": pa.array([m for m, _ in MODELS], STR),
        "model_slug": pa.array([s for _, s in MODELS], STR),
        # names with diacritics or CJK are a little rarer than plain ones
        "model_p": (w := np.array([1.0 if m.isascii() else 0.35 for m, _ in MODELS])) / w.sum(),
        "color": pa.array([c for c, _ in COLORS], STR),
        "color_code": pa.array([c for _, c in COLORS], STR),
        "kids_kind": kinds.index("kids"),
        "toddler_kind": kinds.index("toddler"),
        "alpha_kind": kinds.index("alpha"),
    }
    t["brand_ids"] = np.array([int(x) for x in t["brands"][0].to_pylist()], np.int64)
    return t


def choose(
    rng: np.random.Generator, offsets: np.ndarray, counts: np.ndarray, cat: np.ndarray, shift: np.ndarray | int = 0
) -> np.ndarray:
    r = rng.integers(0, 1 << 30, cat.size)
    return offsets[cat] + (r + shift) % counts[cat]


# --------------------------------------------------------------------------------------------
# The plan: which top-level products exist and how many rows each has
# --------------------------------------------------------------------------------------------


def plan(n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Children per top-level product (0 = standalone); rows sum to exactly n_rows."""
    estimate = int(n_rows / 2.2 * 1.1) + 16
    is_group = rng.random(estimate) < 0.30
    kids = np.where(is_group, rng.integers(2, 7, estimate), 0)
    rows = np.cumsum(kids + 1)
    keep = int(np.searchsorted(rows, n_rows, side="right"))
    kids = kids[:keep]
    rest = n_rows - int(rows[keep - 1] if keep else 0)
    return np.concatenate([kids, np.zeros(rest, np.int64)]).astype(np.int64)


# --------------------------------------------------------------------------------------------
# One batch of top-level products -> catalog, stock and price tables
# --------------------------------------------------------------------------------------------


def make_batch(
    t: dict, kids: np.ndarray, first_item: int, first_row: int, today: int, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table, pa.Table, dict]:
    n_items = kids.size
    grp = kids > 0
    rows_per = kids + 1
    n = int(rows_per.sum())
    item = np.repeat(np.arange(n_items), rows_per)
    starts = np.concatenate([[0], np.cumsum(rows_per)[:-1]])
    pos = np.arange(n) - starts[item]
    is_parent = grp[item] & (pos == 0)
    is_child = grp[item] & (pos > 0)
    sell = ~is_parent
    j = pos - 1  # child number inside its group

    # ---- item-level draws --------------------------------------------------------------
    cat_i = rng.choice(len(CATEGORIES), size=n_items, p=t["cat_p"])
    b_off, b_cnt = t["brands"][1], t["brands"][2]
    brand_i = t["brand_ids"][choose(rng, b_off, b_cnt, cat_i)]
    model_i = rng.choice(len(MODELS), size=n_items, p=t["model_p"])
    noun_i = choose(rng, t["nouns"][1], t["nouns"][2], cat_i)
    style_i = 10000 + first_item + np.arange(n_items)
    apparel_i = t["cat_apparel"][cat_i]
    u = rng.random(n_items)
    age_i = np.where(apparel_i & t["cat_kids"][cat_i] & (u < 0.10), 1, 0)  # 1 kids
    age_i = np.where(apparel_i & t["cat_kids"][cat_i] & (u < 0.015), 2, age_i)  # 2 toddler
    g = rng.random(n_items)
    gender_i = np.where(g < 0.42, 0, np.where(g < 0.84, 1, 2))  # male, female, unisex
    gender_i = np.where(age_i > 0, np.where(g < 0.25, 0, np.where(g < 0.5, 1, 2)), gender_i)
    kind_i = t["cat_kind"][cat_i]
    kind_i = np.where((age_i == 1) & (kind_i == t["alpha_kind"]), t["kids_kind"], kind_i)
    kind_i = np.where((age_i == 2) & (kind_i == t["alpha_kind"]), t["toddler_kind"], kind_i)
    nsizes_i = t["size_cnt"][kind_i]

    # variant axis: 0 size, 1 colour, 2 both (2 colours x k/2 sizes); fall back to colour
    a = rng.random(n_items)
    axis_i = np.where(a < 0.5, 0, np.where(a < 0.75, 2, 1))
    axis_i = np.where((axis_i == 0) & (nsizes_i < kids), 1, axis_i)
    axis_i = np.where((axis_i == 2) & ((kids % 2 == 1) | (nsizes_i < kids // 2) | (nsizes_i < 2)), 1, axis_i)
    need_i = np.maximum(np.where(axis_i == 0, kids, np.where(axis_i == 2, kids // 2, 1)), 1)
    room_i = np.maximum(nsizes_i - need_i, 0)
    s0_i = (rng.random(n_items) * (room_i + 1)).astype(np.int64)
    ncol = len(COLORS)
    c0_i = rng.integers(0, ncol, n_items)
    cstep_i = rng.integers(1, ncol // 6, n_items)  # distinct colours for up to 6 children
    second_i = np.where(rng.random(n_items) < 0.15, rng.integers(1, ncol, n_items), 0)
    has_color_i = apparel_i | (rng.random(n_items) < 0.7) | (grp & (axis_i != 0))
    has_size_i = (nsizes_i > 0) & (apparel_i | (rng.random(n_items) < 0.5) | (grp & (axis_i != 1)))

    base_i = (
        rng.integers(t["cat_lo"][cat_i], t["cat_hi"][cat_i] + 1) * 100
        + rng.choice(np.array([0, 95, 99, 50, 0]), n_items)
        - 100 * (rng.random(n_items) < 0.5)
    )
    base_i = np.maximum(base_i, 999)
    cond_u = rng.random(n_items)
    cond_i = np.where(cond_u < 0.975, 0, np.where(cond_u < 0.99, 1, 2))
    sale_i = rng.random(n_items) < 0.15
    sw = rng.random(n_items)
    window_i = np.where(sw < 0.35, 0, np.where(sw < 0.55, 1, np.where(sw < 0.85, 2, 3)))
    disc_i = rng.integers(2, 9, n_items) * 5  # 10..40 %
    fmt_i = rng.choice(3, size=n_items, p=[0.5, 0.35, 0.15])
    av = rng.random(n_items)
    avail_i = np.where(av < 0.01, 1, np.where(av < 0.02, 2, 0))  # preorder, backorder
    list_i = rng.random(n_items) < 0.20
    listf_i = 1.0 + rng.integers(0, 7, n_items) * 0.05
    extra_i = rng.random(n_items) < 0.02
    multi_i = rng.random(n_items) < 0.06
    pattern_i = np.where(apparel_i & (rng.random(n_items) < 0.2), rng.integers(0, len(PATTERNS), n_items), -1)
    mat_i = choose(rng, t["materials"][1], t["materials"][2], cat_i)
    mat_null_i = rng.random(n_items) < 0.1
    amazon_null_i = rng.random(n_items) < 0.05
    nb_i = rng.integers(0, 6, n_items)
    bshift_i = rng.integers(0, 1 << 20, n_items)

    # ---- row-level derived values --------------------------------------------------------
    cat = cat_i[item]
    axis = axis_i[item]
    size_local = np.where(axis == 0, s0_i[item] + j, np.where(axis == 2, s0_i[item] + j // 2, s0_i[item]))
    size_local = np.where(is_child, size_local, s0_i[item])
    size_idx = t["size_off"][kind_i[item]] + size_local
    size_null = ~has_size_i[item] | is_parent
    size_idx = np.where(size_null, 0, size_idx)
    color_local = np.where(
        axis == 1, c0_i[item] + j * cstep_i[item], np.where(axis == 2, c0_i[item] + (j % 2) * cstep_i[item], c0_i[item])
    )
    color_local = np.where(is_child, color_local, c0_i[item]) % ncol
    second = np.where(second_i[item] > 0, (color_local + second_i[item]) % ncol, -1)
    color_null = ~has_color_i[item] | is_parent
    primary = take(t["color"], color_local)
    color = where(
        color_null,
        NULL_STR,
        join(primary, take(t["color"], np.maximum(second, 0), second < 0), sep="/", skip_nulls=True),
    )
    ccode = join(
        take(t["color_code"], color_local), take(t["color_code"], np.maximum(second, 0), second < 0), skip_nulls=True
    )
    ccode = where(color_null, NULL_STR, ccode)
    size = take(t["size_label"], size_idx, size_null)
    scode = take(t["size_code"], size_idx, size_null)

    bcode = take(t["brand_code"], brand_i[item])
    style = ints(style_i[item])
    parent_id = join(bcode, style, sep="-")
    sku = join(parent_id, ccode, scode, sep="-", skip_nulls=True)
    group_id = where(is_child, parent_id, NULL_STR)

    # prices (integer cents)
    step = t["cat_step"][cat]
    price = base_i[item] + step * np.where(size_null, 0, size_local)
    price = np.where(is_parent, base_i[item] + step * s0_i[item], price)
    on_sale = sale_i[item] & sell
    sale = (price * (100 - disc_i[item]) // 100) // 100 * 100 + 99
    sale = np.minimum(sale, price - 100)
    on_sale &= sale > 0
    lp = np.maximum(price, (price * listf_i[item]).astype(np.int64) // 100 * 100 + 95)
    has_list = list_i[item] & sell

    # sale windows: 0 none, 1 past, 2 current, 3 future
    w = window_i[item]
    off1 = rng.integers(0, 1 << 20, n_items)[item]
    start = np.select([w == 1, w == 2, w == 3], [today - 30 - off1 % 60, today - 1 - off1 % 14, today + 5 + off1 % 35])
    end = np.select([w == 1, w == 2, w == 3], [start + 7 + off1 % 14, today + 3 + off1 % 28, start + 7 + off1 % 14])
    fmt = fmt_i[item]
    start_s = join(dates(start), pa.array(np.select([fmt == 1, fmt == 2], ["T00:00:00Z", "T00:00:00-05:00"], ""), STR))
    end_s = join(dates(end), pa.array(np.select([fmt == 1, fmt == 2], ["T23:59:59Z", "T23:59:59-05:00"], ""), STR))
    no_window = ~on_sale | (w == 0)
    start_s = where(no_window, NULL_STR, start_s)
    end_s = where(no_window, NULL_STR, end_s)

    # stock / availability
    avail = avail_i[item]
    q = rng.integers(1, 60, n) * np.where(rng.random(n) < 0.1, 8, 1)
    qu = rng.random(n)
    q = np.where(qu < 0.08, 0, q)
    qty_null = is_parent | (qu > 0.98) | (avail == 1)
    q = np.where(avail == 2, 0, q)
    availability = take(["preorder", "backorder"], np.maximum(avail - 1, 0), (avail == 0) | ~sell)
    av_days = today + np.where(avail == 1, 10 + off1 % 80, 5 + off1 % 25)
    av_date = join(dates(av_days), pa.array(np.where(fmt == 1, "T09:00:00Z", ""), STR))
    av_date = where((avail == 0) | ~sell, NULL_STR, av_date)

    # GTINs: unique per row (brand prefix + per-brand offset + global row number)
    b_row = brand_i[item]
    upc = t["brand_upc"][b_row]
    # an affine bijection of the row number mod 10^9 (7,654,321 is coprime with 10^9)
    serial = (7_654_321 * (first_row + np.arange(n)) + b_row * 104_729_003) % 1_000_000_000
    body = t["brand_prefix"][b_row] * 1_000_000_000 + serial
    check = gs1_check_digit(body)
    bad = rng.random(n) < 0.01
    check = np.where(bad, (check + rng.integers(1, 10, n)) % 10, check)
    gtin = pc.utf8_lpad(ints(body * 10 + check), width=12, padding="0")
    gtin = where(upc, gtin, pc.utf8_lpad(ints(body * 10 + check), width=13, padding="0"))
    gtin_null = is_parent | (rng.random(n) < 0.05)
    gtin = where(gtin_null, NULL_STR, gtin)
    mpn = where(is_parent, style, join(style, ccode, scode, sep="-", skip_nulls=True))

    # text
    brand = take(t["brand_name"], b_row)
    model = take(t["model"], model_i[item])
    noun = take(t["nouns"][0], noun_i[item])
    who = take(
        ["Men's", "Women's", "Kids'", "Toddler"],
        np.where(age_i[item] == 1, 2, np.where(age_i[item] == 2, 3, gender_i[item])),
        ~apparel_i[item] | ((age_i[item] == 0) & (gender_i[item] == 2)),
    )
    extra = take(TITLE_EXTRAS, rng.integers(0, len(TITLE_EXTRAS), n_items)[item], ~extra_i[item])
    head = join(brand, model, noun, sep=" ")
    head = join(head, extra, skip_nulls=True)
    head = join(head, join(" - ", who), skip_nulls=True)
    variant = join(color, size, sep=" / ", skip_nulls=True)
    variant = where(pc.equal(variant, ""), NULL_STR, variant)
    title = join(head, join(" - ", variant), skip_nulls=True)

    phrase = take(t["phrases"][0], choose(rng, t["phrases"][1], t["phrases"][2], cat_i)[item])
    material = take(t["materials"][0], mat_i[item], mat_null_i[item])
    generic = take(GENERIC, rng.integers(0, len(GENERIC), n_items)[item])
    closing = take(CLOSING, rng.integers(0, len(CLOSING), n_items)[item])
    closing = where(pc.equal(closing, ""), NULL_STR, closing)
    multi = take(MULTILINGUAL, rng.integers(0, len(MULTILINGUAL), n_items)[item], ~multi_i[item])
    description = join(
        join("The", model, pc.utf8_lower(noun), phrase, sep=" "),
        join("Made from ", pc.utf8_lower(material), "."),
        generic,
        closing,
        multi,
        sep=" ",
        skip_nulls=True,
    )

    handle = join(take(t["model_slug"], model_i[item]), take(t["noun_slugs"][0], noun_i[item]), style, sep="-")
    link = join(SHOP, handle, join("?variant=", where(is_parent, NULL_STR, sku)), skip_nulls=True)
    image = join(CDN, sku, ".jpg")
    nimg = rng.integers(0, 4, n)
    extra_imgs = [where(nimg > k, join(CDN, sku, f"-{k + 2}.jpg"), NULL_STR) for k in range(3)]
    add_images = join(*extra_imgs, sep="|", skip_nulls=True)
    add_images = where(nimg == 0, NULL_STR, add_images)

    bl = t["bullets"]
    nb = nb_i[item]
    bullet_cols = [
        take(bl[0], bl[1][cat] + (bshift_i[item] + k) % bl[2][cat], (nb <= k) | (k >= bl[2][cat])) for k in range(5)
    ]
    bullets = join(*bullet_cols, sep="|", skip_nulls=True)
    bullets = where(nb == 0, NULL_STR, bullets)

    kg = t["cat_kg_lo"][cat] + rng.random(n) * (t["cat_kg_hi"][cat] - t["cat_kg_lo"][cat])
    unit = rng.choice(4, size=n, p=[0.55, 0.3, 0.1, 0.05])
    wval = np.select(
        [unit == 0, unit == 1, unit == 2, unit == 3],
        [np.round(kg, 2), np.round(kg * 2.20462, 1), np.round(kg * 1000), np.round(kg * 35.274, 1)],
    )
    wtxt = pa.array(wval).cast(STR)
    wtxt = where(unit == 2, ints(wval.astype(np.int64)), wtxt)
    weight = join(wtxt, take(["kg", "lb", "g", "oz"], unit), sep=" ")
    weight = where(is_parent, NULL_STR, weight)

    cols = {
        "id": sku,
        "item_group_id": group_id,
        "title": title,
        "description": description,
        "link": link,
        "image_link": image,
        "additional_image_links": add_images,
        "brand": brand,
        "gtin": gtin,
        "mpn": mpn,
        "price": money(price),
        "currency": pa.repeat(pa.scalar("USD", STR), n),
        "sale_price": money(sale, ~on_sale),
        "sale_price_start": start_s,
        "sale_price_end": end_s,
        "list_price": money(lp, ~has_list),
        "quantity": ints(q, qty_null),
        "availability": availability,
        "availability_date": av_date,
        "condition": take(["new", "refurbished", "used"], cond_i[item]),
        "color": color,
        "size": size,
        "gender": take(["male", "female", "unisex"], gender_i[item], ~apparel_i[item]),
        "age_group": take(["adult", "kids", "toddler"], age_i[item], ~apparel_i[item]),
        "material": material,
        "pattern": take(PATTERNS, np.maximum(pattern_i[item], 0), pattern_i[item] < 0),
        "google_product_category": take(t["cat_gid"], cat),
        "product_type": take(t["cat_ptype"], cat),
        "shipping_weight": weight,
        "amazon_product_type": where(amazon_null_i[item], NULL_STR, take(t["cat_amazon"], cat)),
        "bullet_points": bullets,
    }
    catalog = pa.table([cols[c] for c in CATALOG_COLUMNS], names=CATALOG_COLUMNS)
    typed = {
        "price": price / 100.0,
        "sale_price": np.where(on_sale, sale / 100.0, np.nan),
        "list_price": np.where(has_list, lp / 100.0, np.nan),
        "quantity": (q, qty_null),
    }

    # ---- stock.csv: wh-main for every sellable SKU, each store for ~55 % ------------------
    carried = np.zeros((n, len(LOCATIONS)), dtype=bool)
    carried[:, 0] = sell
    carried[:, 1:] = sell[:, None] & (rng.random((n, len(LOCATIONS) - 1)) < STORE_SHARE)
    carried[:, 1:] &= (avail != 1)[:, None]  # preorders are not in stores yet
    r_idx, l_idx = np.nonzero(carried)
    wh_q = np.where(qty_null, rng.integers(0, 40, n), q)
    store_q = rng.integers(0, 16, r_idx.size)
    sq = np.where(l_idx == 0, wh_q[r_idx], store_q)
    stock = pa.table({"sku": sku.take(pa.array(r_idx)), "location": take(LOCATIONS, l_idx), "quantity": ints(sq)})

    # ---- prices.csv: ~3 % of sellable SKUs get a channel or global price row --------------
    pick = np.nonzero(sell & (rng.random(n) < 0.03))[0]
    ch = rng.choice(4, size=pick.size, p=[0.2, 0.15, 0.3, 0.35])  # all, google, meta, amazon
    p0 = price[pick]
    new_price = np.select(
        [ch == 0, ch == 1, ch == 3],
        [
            p0 * 105 // 100 // 100 * 100 + 99,
            p0 - 100,
            p0 * (105 + rng.integers(0, 8, pick.size)) // 100 // 100 * 100 + 99,
        ],
        p0,
    )
    new_price = np.maximum(new_price, 100)
    has_price = ch != 2
    eff = np.where(has_price, new_price, p0)
    has_sale = (ch == 2) | ((ch == 0) & (rng.random(pick.size) < 0.3))
    ps = np.minimum(eff * 85 // 100 // 100 * 100 + 99, eff - 100)
    has_sale &= ps > 0
    pw = rng.integers(0, 1 << 20, pick.size)
    p_start = today - 10 + pw % 30
    p_end = p_start + 7 + pw % 21
    prices = pa.table(
        {
            "sku": sku.take(pa.array(pick)),
            "channel": take(["google", "meta", "amazon"], np.maximum(ch - 1, 0), ch == 0),
            "price": money(new_price, ~has_price),
            "sale_price": money(ps, ~has_sale),
            "start": where(has_sale, dates(p_start), NULL_STR),
            "end": where(has_sale, dates(p_end), NULL_STR),
        }
    )
    stats = {
        "rows": n,
        "parents": int(is_parent.sum()),
        "children": int(is_child.sum()),
        "bad_gtins": int((bad & ~gtin_null).sum()),
        "on_sale": int(on_sale.sum()),
        "stock_rows": stock.num_rows,
        "price_rows": prices.num_rows,
    }
    return catalog, stock, prices, stats | {"typed": typed}


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

CATALOG_SCHEMA = pa.schema([(c, STR) for c in CATALOG_COLUMNS])
PARQUET_SCHEMA = pa.schema(
    [
        (c, pa.float64() if c in ("price", "sale_price", "list_price") else pa.int64() if c == "quantity" else STR)
        for c in CATALOG_COLUMNS
    ]
)


def to_parquet_table(catalog: pa.Table, typed: dict) -> pa.Table:
    q, q_null = typed["quantity"]
    cols = []
    for name in CATALOG_COLUMNS:
        if name in ("price", "sale_price", "list_price"):
            v = typed[name]
            cols.append(pa.array(v, pa.float64(), mask=np.isnan(v)))
        elif name == "quantity":
            cols.append(pa.array(q, pa.int64(), mask=q_null))
        else:
            cols.append(catalog.column(name))
    return pa.table(cols, schema=PARQUET_SCHEMA)


CORE_TOML = """\
[catalog]
path = "{catalog}"

[defaults]
currency = "USD"
country = "US"
language = "en"
condition = "new"

[stock]
files = ["stock.csv"]
stores = ["store-nyc", "store-sf", "store-chi"]   # these feed google_local; wh-main feeds online channels

[prices]
files = ["prices.csv"]

[channels.google]
formats = ["xml", "tsv"]
feed_label = "US"
title = "Synthetic benchmark catalog"
link = "https://shop.example.com/"

[channels.google_local]
pickup_method = "buy"
pickup_sla = "same day"
limited_threshold = 2

[channels.meta]
formats = ["csv", "xml"]
safety_stock = 1
title = "Synthetic benchmark catalog"
link = "https://shop.example.com/"

[channels.amazon]
seller_id = "A2NWEXAMPLE01"
marketplace_id = "ATVPDKIKX0DER"
language_tag = "en_US"
product_type = "PRODUCT"
lead_time_to_ship_max_days = 2
"""


def write_config(out: Path, catalog_name: str, n: int, seed: int) -> None:
    """feedsync.toml for the generated files: the core channels, no merchandising.

    examples/feedsync.toml is not copied: it carries the example's rules, category table, FX
    file and markets, whose files live in examples/. run_benchmark.py --example-rules builds
    with that merchandising pointed at the generated files instead.
    """
    header = (
        f"# Synthetic catalog: benchmarks/generate_catalog.py --products {n} --seed {seed}\n"
        "# Paths are relative to this file.\n\n"
    )
    (out / "feedsync.toml").write_text(header + CORE_TOML.format(catalog=catalog_name), encoding="utf-8")


def check_taxonomy(path: Path) -> None:
    ids = set()
    with path.open("rb") as fh:
        for line in fh:
            head = line.split(b" - ", 1)[0].strip()
            if head.isdigit():
                ids.add(int(head))
    missing = sorted({c.google_id for c in CATEGORIES if c.google_id not in ids})
    if missing:
        raise SystemExit(f"category ids not in {path}: {missing}")


def generate(
    n_rows: int, seed: int, out: Path, fmt: str = "csv", today: str = DEFAULT_TODAY, batch_rows: int = BATCH_ROWS
) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    t = build_tables()
    today_days = (dt.date.fromisoformat(today) - dt.date(1970, 1, 1)).days
    master = np.random.default_rng(seed)
    kids = plan(n_rows, master)
    rows_cum = np.cumsum(kids + 1)
    cuts = np.searchsorted(rows_cum, np.arange(batch_rows, n_rows, batch_rows), side="left") + 1
    bounds = [0, *np.unique(cuts).tolist(), kids.size]
    catalog_name = "catalog.parquet" if fmt == "parquet" else "catalog.csv"
    opts = pacsv.WriteOptions(include_header=True)
    totals: dict[str, int] = {}
    cat_writer = (
        pq.ParquetWriter(out / catalog_name, PARQUET_SCHEMA, compression="zstd")
        if fmt == "parquet"
        else pacsv.CSVWriter(out / catalog_name, CATALOG_SCHEMA, write_options=opts)
    )
    stock_writer = pacsv.CSVWriter(out / "stock.csv", pa.schema([(c, STR) for c in STOCK_COLUMNS]), write_options=opts)
    price_writer = pacsv.CSVWriter(out / "prices.csv", pa.schema([(c, STR) for c in PRICE_COLUMNS]), write_options=opts)
    with cat_writer, stock_writer, price_writer:
        first_row = 0
        for b, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            if hi <= lo:
                continue
            rng = np.random.default_rng([seed, b])
            catalog, stock, prices, stats = make_batch(t, kids[lo:hi], lo, first_row, today_days, rng)
            typed = stats.pop("typed")
            if fmt == "parquet":
                cat_writer.write_table(to_parquet_table(catalog, typed))
            else:
                cat_writer.write_table(catalog)
            stock_writer.write_table(stock)
            price_writer.write_table(prices)
            first_row += catalog.num_rows
            for k, v in stats.items():
                totals[k] = totals.get(k, 0) + v
    write_config(out, catalog_name, n_rows, seed)
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--products", type=int, required=True, help="catalog rows to write")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="folder to write into")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument(
        "--today", default=DEFAULT_TODAY, help="date sale windows and preorders are placed around (default %(default)s)"
    )
    ap.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help=argparse.SUPPRESS)
    ap.add_argument("--taxonomy", type=Path, help="Google taxonomy-with-ids file to re-check the category ids against")
    args = ap.parse_args(argv)
    if args.products < 1:
        ap.error("--products must be at least 1")
    if args.taxonomy:
        check_taxonomy(args.taxonomy)
    started = time.perf_counter()
    stats = generate(args.products, args.seed, args.out, args.format, args.today, args.batch_rows)
    took = time.perf_counter() - started
    print(
        f"wrote {stats['rows']:,} catalog rows ({stats['parents']:,} parents, "
        f"{stats['children']:,} variants), {stats['stock_rows']:,} stock rows, "
        f"{stats['price_rows']:,} price rows to {args.out} in {took:.1f} s "
        f"({stats['on_sale']:,} on sale, {stats['bad_gtins']:,} bad GTINs)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
