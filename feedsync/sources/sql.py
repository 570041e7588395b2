"""Catalogs in a database: a SQLite file (standard library) or any SQLAlchemy URL.

The URL may name environment variables as ${VAR}, so credentials stay out of feedsync.toml.
Credentials are never shown: messages name the database as driver://host/database only, and
anything a driver says is scrubbed of the password before it reaches a message.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from feedsync.columns import ROW
from feedsync.errors import ConfigError, SourceError
from feedsync.text import frame_as_text

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
EXTRA_HINT = "install the extra: pip install 'feedsync[sql]' (SQLAlchemy and the PostgreSQL driver psycopg)"


def read(cfg) -> pd.DataFrame:
    """Rows of `cfg.query` (or all of `cfg.table`) as text columns plus ROW (1-based row of the result)."""
    if getattr(cfg, "url", None):
        names, rows = _read_url(cfg)
    elif cfg.path is not None:
        names, rows = _read_sqlite(cfg)
    else:
        raise ConfigError(
            "[catalog] needs url (a database URL) or path (a SQLite file) to read a database",
            hint='e.g. url = "postgresql://shop:${SHOP_DB_PASSWORD}@db.example.com/shop" and query = "SELECT ..."',
        )
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise SourceError(
            f"the catalog query returns two columns named {dup!r}",
            hint="give each column its own name with AS, e.g. SELECT p.id, v.id AS variant_id ...",
        )
    frame = frame_as_text(pd.DataFrame.from_records(rows, columns=names, coerce_float=False))
    frame.insert(0, ROW, pd.array(np.arange(1, len(frame) + 1), dtype="Int64"))
    return frame


def _statement(cfg) -> tuple[str | None, str | None]:
    """(query, table): exactly what to read."""
    query, table = getattr(cfg, "query", None), getattr(cfg, "table", None)
    if not query and not table:
        raise ConfigError(
            "[catalog] names a database but neither query nor table",
            hint='add table = "products" or query = "SELECT sku AS id, name AS title, ... FROM products"',
        )
    return query or None, None if query else table


# --- SQLite ---------------------------------------------------------------------------------


def _quote_identifier(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _read_sqlite(cfg) -> tuple[list[str], list[tuple]]:
    path = Path(cfg.path)
    if not path.is_file():
        raise SourceError(f"{path}: file not found", hint="check [catalog] path (relative to the config file)")
    query, table = _statement(cfg)
    sql = query or f"SELECT * FROM {_quote_identifier(table or '')}"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise SourceError(f"{path}: cannot open the SQLite database: {e}") from None
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description or ()]
        return names, cur.fetchall()
    except sqlite3.DatabaseError as e:
        tables = _sqlite_tables(con)
        hint = f"tables and views in the file: {', '.join(tables)}" if tables else "check [catalog] query"
        if "file is not a database" in str(e):
            hint = "the file is not a SQLite database; check [catalog] path and format"
        raise SourceError(f"{path}: the catalog query failed: {e}", hint=hint) from None
    finally:
        con.close()


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")
        return [r[0] for r in rows]
    except sqlite3.DatabaseError:
        return []


# --- SQLAlchemy -----------------------------------------------------------------------------


def expand_env(url: str) -> str:
    """${VAR} replaced from the environment; a variable that is not set is a ConfigError.

    A URL that is only ${VAR} is taken as it is; a variable inside a URL is percent-encoded,
    so a password holding '@' or '/' cannot break the URL apart.
    """
    whole = _ENV.fullmatch(url.strip())

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(
                f"[catalog] url uses ${{{name}}}, which is not set in the environment",
                hint=f"set it before running feedsync, e.g. export {name}=...",
            )
        return os.environ[name] if whole else quote(os.environ[name], safe="")

    return _ENV.sub(value, url)


def _read_url(cfg) -> tuple[list[str], list[tuple]]:
    try:
        import sqlalchemy as sa
    except ImportError:
        raise SourceError("reading a catalog from a database URL needs SQLAlchemy", hint=EXTRA_HINT) from None
    query, table = _statement(cfg)
    text = expand_env(cfg.url)
    try:
        url = sa.engine.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise SourceError(
            "[catalog] url is not a database URL",
            hint="write it as dialect+driver://user:${PASSWORD_VAR}@host:port/database",
        ) from None
    secrets = [s for s in (url.password, text) if s]
    if url.drivername == "postgresql":  # SQLAlchemy's default driver is psycopg2; the extra installs psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    port = f":{url.port}" if url.port else ""
    shown = f"{url.drivername}://{url.host or ''}{port}/{url.database or ''}"  # no user, password or query

    def scrub(message: object) -> str:
        out = str(message).strip()
        for secret in secrets:
            out = out.replace(str(secret), "***")
        return out

    try:
        engine = sa.create_engine(url)
    except (ImportError, sa.exc.NoSuchModuleError) as e:
        raise SourceError(f"{shown}: no database driver for this URL: {scrub(e)}", hint=EXTRA_HINT) from None
    except sa.exc.ArgumentError as e:
        raise SourceError(f"{shown}: {scrub(e)}", hint="check [catalog] url") from None
    statement: Any
    if query:
        statement = sa.text(query)
    else:
        schema, _, name = (table or "").rpartition(".")
        statement = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))
    try:
        with engine.connect() as conn:
            result = conn.execute(statement)
            return list(result.keys()), [tuple(r) for r in result.fetchall()]
    except sa.exc.DBAPIError as e:
        reason = scrub(getattr(e, "orig", None) or e)
        raise SourceError(f"{shown}: cannot read the catalog: {reason}", hint="check [catalog] url and query") from None
    except sa.exc.SQLAlchemyError as e:
        raise SourceError(
            f"{shown}: cannot read the catalog: {scrub(e)}", hint="check [catalog] url and query"
        ) from None
    finally:
        engine.dispose()
