"""feedsync.toml -> typed Config.

Every error names the file, the key and what was expected. Relative paths resolve
against the config file's folder, so a project can be run from anywhere.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedsync.errors import ConfigError
from feedsync.merchandising_config import (
    CategoryConfig,
    MarketConfig,
    PricePolicy,
    StockPolicy,
    StoreConfig,
    check_channel_stock,
    parse_categories,
    parse_channel_extras,
    parse_rules,
)

CATALOG_FORMATS = ("csv", "tsv", "jsonl", "parquet", "xlsx", "sqlite", "sql", "shopify", "woocommerce", "magento")


@dataclass(frozen=True)
class CatalogConfig:
    path: Path | None
    format: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    query: str | None = None
    url: str | None = None
    table: str | None = None
    media_base_url: str | None = None
    store_url: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class Defaults:
    currency: str = "USD"
    country: str = "US"
    language: str = "en"
    condition: str = "new"
    brand: str | None = None
    link_template: str | None = None
    image_template: str | None = None
    weight_unit: str | None = None  # for shipping weights written as bare numbers


@dataclass(frozen=True)
class StockConfig:
    files: tuple[Path, ...] = ()
    stores: tuple[str, ...] = ()  # locations that are physical stores (feed google_local)
    online_includes_stores: bool = False  # do store quantities count towards online stock?


@dataclass(frozen=True)
class PriceConfig:
    files: tuple[Path, ...] = ()
    fx: Path | None = None  # CSV currency,rate: units per 1 [defaults] currency (markets convert with it)


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    formats: tuple[str, ...]
    enabled: bool = True
    safety_stock: int = 0
    options: dict[str, Any] = field(default_factory=dict)  # channel-specific, declared by the channel module
    max_drop: float | None = None  # publish gate overrides; None = the [gate] value
    max_error_rate: float | None = None
    # merchandising (feedsync/merchandising_config.py): templates, policies, markets, stores
    templates: dict[str, str] = field(default_factory=dict)  # [channels.<name>.templates] field -> template
    stock_policy: StockPolicy = field(default_factory=StockPolicy)
    price_policy: PricePolicy = field(default_factory=PricePolicy)
    markets: tuple[MarketConfig, ...] = ()  # [[channels.<name>.markets]]: one feed each
    stores: dict[str, StoreConfig] = field(default_factory=dict)  # google_local pickup per store

    def opt(self, key: str) -> Any:
        return self.options[key]


@dataclass(frozen=True)
class OutputConfig:
    gzip: bool = False
    batch_size: int = 50_000


@dataclass(frozen=True)
class StateConfig:
    """Run history (SQLite) and the per-run item snapshots kept beside it for diff and delta."""

    path: Path | None = None  # None: .feedsync/state.db beside the config file
    keep_snapshots: int = 3


@dataclass(frozen=True)
class GateConfig:
    """The publish gate: feeds replace the published ones only when every check passes."""

    max_drop: float = 0.2  # item count may fall at most this fraction since the last published run
    max_error_rate: float = 0.05  # at most this fraction of a channel's products excluded for errors


@dataclass(frozen=True)
class DeltaConfig:
    resend_days: int = 25  # `build --delta` re-sends items not sent for longer, so channels do not expire them


@dataclass(frozen=True)
class Config:
    path: Path
    catalog: CatalogConfig
    defaults: Defaults
    stock: StockConfig
    prices: PriceConfig
    channels: dict[str, ChannelConfig]
    output: OutputConfig
    state: StateConfig = field(default_factory=StateConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    delta: DeltaConfig = field(default_factory=DeltaConfig)
    rules: tuple[dict[str, Any], ...] = ()  # [[rules]] as written; feedsync.rules.load_rules compiles them
    categories: CategoryConfig | None = None

    @property
    def root(self) -> Path:
        return self.path.parent

    def enabled_channels(self) -> list[ChannelConfig]:
        return [c for c in self.channels.values() if c.enabled]

    @property
    def state_path(self) -> Path:
        return self.state.path or self.root / ".feedsync" / "state.db"


class _Table:
    """A TOML table that remembers where it lives, so errors can say `[channels.google] formats`."""

    def __init__(self, file: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{file}: [{where}] must be a table, got {type(data).__name__}")
        self.file, self.where, self.data = file, where, dict(data)
        self.used: set[str] = set()

    def _fail(self, key: str, expected: str, got: Any) -> ConfigError:
        return ConfigError(
            f"{self.file}: [{self.where}] {key} must be {expected}, got {got!r}",
            hint=f"edit `{key} = ...` in the [{self.where}] table",
        )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, expected: str = "") -> Any:
        self.used.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if not ok:
            raise self._fail(key, expected or getattr(kind, "__name__", str(kind)), value)
        return value

    def fraction(self, key: str, default: Any) -> Any:
        """A share such as 0.2 (20%); TOML integers 0 and 1 are accepted too."""
        value = self.get(key, (int, float), default, "a fraction between 0 and 1, e.g. 0.2")
        if value is not None and (isinstance(value, bool) or not 0 <= value <= 1):
            raise self._fail(key, "a fraction between 0 and 1, e.g. 0.2", value)
        return None if value is None else float(value)

    def str_list(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(key, list, None, "a list of strings")
        if value is None:
            return default
        if not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings", value)
        return tuple(value)

    def sub(self, key: str) -> _Table:
        self.used.add(key)
        return _Table(self.file, f"{self.where}.{key}" if self.where else key, self.data.get(key, {}))

    def reject_unknown(self, allowed: list[str] | None = None) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(allowed or self.used))
            raise ConfigError(
                f"{self.file}: [{self.where}] has unknown key {unknown[0]!r}",
                hint=f"valid keys here: {known}",
            )


def load_config(path: str | Path) -> Config:
    path = Path(path).resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", hint="run `feedsync init DIR` to create one") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}", hint="check quotes and brackets on that line") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    from feedsync.channels import CHANNELS  # the registry declares channel options

    root = path.parent
    top = _Table(path, "", raw)

    def resolve(p: str) -> Path:
        return (root / p).resolve()

    cat = top.sub("catalog")
    fmt = cat.get("format", str)
    if fmt is not None and fmt not in CATALOG_FORMATS:
        raise cat._fail("format", f"one of {', '.join(CATALOG_FORMATS)}", fmt)
    columns = cat.sub("columns")
    for k in columns.data:
        columns.get(k, str, expected="a canonical column name (string)")
    cat_path = cat.get("path", str)
    catalog = CatalogConfig(
        path=resolve(cat_path) if cat_path else None,
        format=fmt,
        columns=dict(columns.data),
        sheet=cat.get("sheet", str),
        query=cat.get("query", str),
        url=cat.get("url", str),
        table=cat.get("table", str),
        media_base_url=cat.get("media_base_url", str),
        store_url=cat.get("store_url", str),
        encoding=cat.get("encoding", str),
        delimiter=cat.get("delimiter", str),
    )
    if catalog.path is None and catalog.url is None:
        raise ConfigError(f"{path}: [catalog] path is missing", hint='add `path = "catalog.csv"` under [catalog]')
    cat.reject_unknown()

    d = top.sub("defaults")
    currency = d.get("currency", str, "USD")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise d._fail("currency", "an ISO 4217 code such as USD", currency)
    defaults = Defaults(
        currency=currency,
        country=d.get("country", str, "US"),
        language=d.get("language", str, "en"),
        condition=d.get("condition", str, "new"),
        brand=d.get("brand", str),
        link_template=d.get("link_template", str),
        image_template=d.get("image_template", str),
        weight_unit=d.get("weight_unit", str),
    )
    d.reject_unknown()

    s = top.sub("stock")
    stock = StockConfig(
        files=tuple(resolve(p) for p in s.str_list("files")),
        stores=s.str_list("stores"),
        online_includes_stores=s.get("online_includes_stores", bool, False),
    )
    s.reject_unknown()

    pr = top.sub("prices")
    fx = pr.get("fx", str, None, "the path of an FX table (CSV currency,rate)")
    prices = PriceConfig(files=tuple(resolve(p) for p in pr.str_list("files")), fx=resolve(fx) if fx else None)
    pr.reject_unknown()

    o = top.sub("output")
    batch = o.get("batch_size", int, 50_000)
    if batch < 1:
        raise o._fail("batch_size", "a positive whole number", batch)
    output = OutputConfig(gzip=o.get("gzip", bool, False), batch_size=batch)
    o.reject_unknown()

    st = top.sub("state")
    state_path = st.get("path", str)
    keep = st.get("keep_snapshots", int, 3)
    if keep < 1:
        raise st._fail("keep_snapshots", "a whole number >= 1", keep)
    state = StateConfig(path=resolve(state_path) if state_path else None, keep_snapshots=keep)
    st.reject_unknown()

    g = top.sub("gate")
    gate = GateConfig(max_drop=g.fraction("max_drop", 0.2), max_error_rate=g.fraction("max_error_rate", 0.05))
    g.reject_unknown()

    dl = top.sub("delta")
    resend = dl.get("resend_days", int, 25)
    if resend < 1:
        raise dl._fail("resend_days", "a whole number of days >= 1", resend)
    delta = DeltaConfig(resend_days=resend)
    dl.reject_unknown()

    ch = top.sub("channels")
    channels: dict[str, ChannelConfig] = {}
    for name in ch.data:
        if name not in CHANNELS:
            raise ConfigError(
                f"{path}: [channels.{name}] is not a known channel",
                hint=f"valid channels: {', '.join(CHANNELS)}",
            )
        channels[name] = _channel(ch.sub(name), CHANNELS[name], defaults)
        check_channel_stock(path, name, channels[name].stock_policy, channels[name].stores, stock)
    if not channels:
        raise ConfigError(f"{path}: no [channels.*] table", hint="add at least `[channels.google]`")

    rules = parse_rules(top)
    categories = parse_categories(top, resolve)

    top.reject_unknown(
        [
            "catalog",
            "defaults",
            "stock",
            "prices",
            "output",
            "state",
            "gate",
            "delta",
            "channels",
            "rules",
            "categories",
        ]
    )
    return Config(
        path, catalog, defaults, stock, prices, channels, output, state, gate, delta, rules=rules, categories=categories
    )


def _channel(t: _Table, module: Any, defaults: Defaults | None = None) -> ChannelConfig:
    formats = t.str_list("formats", tuple(module.DEFAULT_FORMATS))
    for f in formats:
        if f not in module.FORMATS:
            raise t._fail("formats", f"a list drawn from {', '.join(module.FORMATS)}", list(formats))
    safety = t.get("safety_stock", int, 0)
    if safety < 0:
        raise t._fail("safety_stock", "a whole number >= 0", safety)
    options: dict[str, Any] = {}
    for opt in module.OPTIONS:
        value = t.get(opt.key, opt.kind, opt.default, opt.expected)
        if opt.choices and value not in opt.choices:
            raise t._fail(opt.key, f"one of {', '.join(map(str, opt.choices))}", value)
        options[opt.key] = value
    required = [o.key for o in module.OPTIONS if o.required and options[o.key] is None]
    if required and t.get("enabled", bool, True):
        raise ConfigError(
            f"{t.file}: [{t.where}] needs {required[0]!r}",
            hint=f"add `{required[0]} = ...` ({next(o.help for o in module.OPTIONS if o.key == required[0])})",
        )
    enabled = t.get("enabled", bool, True)
    max_drop = t.fraction("max_drop", None)
    max_error_rate = t.fraction("max_error_rate", None)
    extras = parse_channel_extras(t, module.NAME, defaults or Defaults())
    t.reject_unknown()
    return ChannelConfig(module.NAME, formats, enabled, safety, options, max_drop, max_error_rate, **extras)


@dataclass(frozen=True)
class Option:
    """A channel-specific config key, declared by the channel module."""

    key: str
    kind: type | tuple[type, ...]
    default: Any
    help: str
    expected: str = ""
    choices: tuple[Any, ...] = ()
    required: bool = False
