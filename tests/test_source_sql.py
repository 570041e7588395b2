from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from feedsync.config import CatalogConfig
from feedsync.errors import ConfigError, SourceError
from feedsync.sources import read_catalog, sql


def plain(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# --- SQLite ---------------------------------------------------------------------------------


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE products (sku TEXT, name TEXT, price REAL, stock INTEGER, sale_from TEXT, gtin TEXT, img BLOB);
        INSERT INTO products VALUES ('SKU-1', 'Linen Shirt', 49.95, 12, '2026-11-27', '012345678905', NULL);
        INSERT INTO products VALUES ('SKU-2', 'Wool "Socks"', 10, NULL, NULL, NULL, x'6162');
        INSERT INTO products VALUES ('SKU-3', NULL, 7.5, 0, 'soon', '4006381333931', NULL);
        CREATE VIEW cheap AS SELECT sku AS id, name AS title FROM products WHERE price < 20;
        """
    )
    con.commit()
    con.close()
    return path


def test_sqlite_table_as_text_with_row_numbers(shop_db):
    frame = sql.read(CatalogConfig(path=shop_db, format="sqlite", table="products"))
    assert list(frame.columns) == ["_row", "sku", "name", "price", "stock", "sale_from", "gtin", "img"]
    assert frame["_row"].dtype == "Int64" and list(frame["_row"]) == [1, 2, 3]
    assert all(frame[c].dtype == "str" for c in frame.columns if c != "_row")
    assert plain(frame.drop(columns="_row")) == [
        {"sku": "SKU-1", "name": "Linen Shirt", "price": "49.95", "stock": "12", "sale_from": "2026-11-27",
         "gtin": "012345678905", "img": None},
        {"sku": "SKU-2", "name": 'Wool "Socks"', "price": "10", "stock": None, "sale_from": None, "gtin": None,
         "img": "ab"},
        {"sku": "SKU-3", "name": None, "price": "7.5", "stock": "0", "sale_from": "soon",
         "gtin": "4006381333931", "img": None},
    ]  # fmt: skip


def test_sqlite_query_and_view(shop_db):
    frame = sql.read(CatalogConfig(path=shop_db, format="sqlite", query="SELECT * FROM cheap ORDER BY id"))
    assert plain(frame) == [
        {"_row": 1, "id": "SKU-2", "title": 'Wool "Socks"'},
        {"_row": 2, "id": "SKU-3", "title": None},
    ]
    empty = sql.read(
        CatalogConfig(path=shop_db, format="sqlite", query="SELECT sku AS id FROM products WHERE 0")
    )
    assert list(empty.columns) == ["_row", "id"] and len(empty) == 0


def test_sqlite_table_names_are_quoted(tmp_path):
    path = tmp_path / "odd.db"
    con = sqlite3.connect(path)
    con.execute('CREATE TABLE "my ""products""" (id TEXT)')
    con.execute('INSERT INTO "my ""products""" VALUES (\'A\')')
    con.commit()
    con.close()
    frame = sql.read(CatalogConfig(path=path, format="sqlite", table='my "products"'))
    assert list(frame["id"]) == ["A"]


def test_sqlite_errors_name_the_file_and_help(shop_db, tmp_path):
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=shop_db, format="sqlite", table="items"))
    assert "shop.sqlite" in str(err.value) and "no such table" in str(err.value)
    assert err.value.hint == "tables and views in the file: cheap, products"

    with pytest.raises(SourceError, match="file not found"):
        sql.read(CatalogConfig(path=tmp_path / "missing.db", format="sqlite", table="products"))
    assert not (tmp_path / "missing.db").exists()  # opened read-only: nothing created

    junk = tmp_path / "junk.db"
    junk.write_text("id,title\nA,B\n" * 100)
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=junk, format="sqlite", table="products"))
    assert "not a SQLite database" in err.value.hint

    with pytest.raises(SourceError, match="two columns named 'sku'"):
        sql.read(CatalogConfig(path=shop_db, format="sqlite", query="SELECT sku, sku FROM products"))

    with pytest.raises(ConfigError, match="neither query nor table"):
        sql.read(CatalogConfig(path=shop_db, format="sqlite"))


def test_read_catalog_reads_sqlite_and_renames(shop_db):
    cfg = CatalogConfig(
        path=shop_db, table="products", columns={"sku": "id", "name": "title", "stock": "quantity"}
    )
    catalog = read_catalog(cfg)
    frame = pd.concat(list(catalog.batches(100)))
    assert catalog.format == "sqlite"
    assert list(frame["id"]) == ["SKU-1", "SKU-2", "SKU-3"]
    assert list(frame["quantity"].fillna("")) == ["12", "", "0"]


# --- environment and the optional extra ---------------------------------------------------


def test_env_variables_are_expanded_and_encoded(monkeypatch):
    monkeypatch.setenv("FS_TEST_PW", "p@ss/w:rd%")
    monkeypatch.setenv("FS_TEST_URL", "sqlite:///catalog.db")
    assert sql.expand_env("postgresql://u:${FS_TEST_PW}@h/db") == "postgresql://u:p%40ss%2Fw%3Ard%25@h/db"
    assert sql.expand_env("${FS_TEST_URL}") == "sqlite:///catalog.db"  # a whole URL is taken as it is
    monkeypatch.delenv("FS_TEST_NOPE", raising=False)
    with pytest.raises(ConfigError) as err:
        sql.expand_env("postgresql://u:${FS_TEST_NOPE}@h/db")
    assert "${FS_TEST_NOPE}" in str(err.value) and "export FS_TEST_NOPE=" in err.value.hint


def test_missing_sqlalchemy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=None, format="sql", url="postgresql://h/db", query="SELECT 1"))
    assert "SQLAlchemy" in str(err.value) and "feedsync[sql]" in err.value.hint


def test_sqlalchemy_url_to_sqlite_file(shop_db, monkeypatch):
    pytest.importorskip("sqlalchemy")
    monkeypatch.setenv("FS_TEST_DB", str(shop_db))
    cfg = CatalogConfig(path=None, format="sql", url="sqlite:///${FS_TEST_DB}", table="products")
    frame = sql.read(cfg)
    assert list(frame["price"]) == ["49.95", "10", "7.5"]


def test_bad_url_does_not_echo_it(monkeypatch):
    pytest.importorskip("sqlalchemy")
    monkeypatch.setenv("FS_TEST_PW", "hunter2-secret")
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=None, format="sql", url="not a url ${FS_TEST_PW}", query="SELECT 1"))
    assert "hunter2" not in str(err.value) and "not a database URL" in str(err.value)
    with pytest.raises(SourceError) as err:
        sql.read(
            CatalogConfig(path=None, format="sql", url="nosuchdb://u:${FS_TEST_PW}@h/db", query="SELECT 1")
        )
    assert "hunter2" not in str(err.value) and "feedsync[sql]" in err.value.hint


# --- PostgreSQL: a real server on a free loopback port --------------------------------------


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [found] if found else sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    for pg_ctl in candidates:
        if pg_ctl and Path(pg_ctl).with_name("initdb").exists():
            return Path(pg_ctl).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PG_PASSWORD = "s3cret/p@ss"


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster (initdb + pg_ctl) owned by a non-root user."""
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl); install them: apt-get install -y postgresql"
        )
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="feedsync-pg-"))
    (root / "pw").write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        runuser = shutil.which("runuser")
        prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh", "-c"]
        for p in (root, root / "pw"):
            os.chown(p, user.pw_uid, user.pw_gid)

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [*prefix, " ".join(args)] if prefix[:1] == ["su"] else [*prefix, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    port = _free_port()
    data = root / "data"
    init = run(str(bindir / "initdb"), "-D", str(data), "-U", "feedsync", f"--pwfile={root / 'pw'}",
               "-A", "scram-sha-256", "-E", "UTF8", "--no-sync")  # fmt: skip
    start = None
    if init.returncode == 0:
        start = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
                    "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start")  # fmt: skip
    if start is None or start.returncode != 0:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(
            f"could not start PostgreSQL: {(init.stderr + (start.stderr if start else '') + log)[-500:]}"
        )
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="feedsync", password=PG_PASSWORD,
                             dbname="postgres", autocommit=True) as con:  # fmt: skip
            con.execute(
                """
                CREATE TABLE products (
                    sku text PRIMARY KEY, name text, price numeric(10, 2), stock integer,
                    sale_from date, updated timestamptz, active boolean, weight double precision);
                INSERT INTO products VALUES
                    ('SKU-1', 'Linen Shirt', 49.95, 12, '2026-11-27', '2026-01-02 03:04:05+00', true, 0.25),
                    ('SKU-2', 'Café crème mug', 10.00, NULL, NULL, NULL, false, NULL);
                CREATE SCHEMA shop;
                CREATE TABLE shop.items AS SELECT sku AS id FROM products;
                """
            )
        yield {"port": port}
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres, monkeypatch) -> str:
    monkeypatch.setenv("FS_TEST_PG_PASSWORD", PG_PASSWORD)
    return f"postgresql://feedsync:${{FS_TEST_PG_PASSWORD}}@127.0.0.1:{postgres['port']}/postgres"


def test_postgresql_query_with_credentials_from_the_environment(pg_url):
    cfg = CatalogConfig(path=None, format="sql", url=pg_url, query="SELECT * FROM products ORDER BY sku")
    frame = sql.read(cfg)
    assert plain(frame) == [
        {"_row": 1, "sku": "SKU-1", "name": "Linen Shirt", "price": "49.95", "stock": "12",
         "sale_from": "2026-11-27", "updated": "2026-01-02T03:04:05+00:00", "active": "true", "weight": "0.25"},
        {"_row": 2, "sku": "SKU-2", "name": "Café crème mug", "price": "10.00", "stock": None,
         "sale_from": None, "updated": None, "active": "false", "weight": None},
    ]  # fmt: skip


def test_postgresql_schema_qualified_table(pg_url):
    frame = sql.read(CatalogConfig(path=None, format="sql", url=pg_url, table="shop.items"))
    assert sorted(frame["id"]) == ["SKU-1", "SKU-2"]


def test_read_catalog_reads_a_database_url(pg_url):
    catalog = read_catalog(CatalogConfig(path=None, format="sql", url=pg_url, table="shop.items"))
    frame = pd.concat(list(catalog.batches(100)))
    assert sorted(frame["id"]) == ["SKU-1", "SKU-2"]


def test_postgresql_errors_never_show_the_password(postgres, monkeypatch):
    monkeypatch.setenv("FS_TEST_PG_PASSWORD", "wrong-" + PG_PASSWORD)
    url = f"postgresql://feedsync:${{FS_TEST_PG_PASSWORD}}@127.0.0.1:{postgres['port']}/postgres"
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=None, format="sql", url=url, query="SELECT 1"))
    text = str(err.value)
    assert "password authentication failed" in text
    assert PG_PASSWORD not in text and "s3cret" not in text and "feedsync:" not in text
    assert f"127.0.0.1:{postgres['port']}/postgres" in text


def test_postgresql_bad_query_is_a_source_error(pg_url):
    with pytest.raises(SourceError) as err:
        sql.read(CatalogConfig(path=None, format="sql", url=pg_url, query="SELECT * FROM nowhere"))
    assert 'relation "nowhere" does not exist' in str(err.value)
    assert "s3cret" not in str(err.value)
