"""Lookbook search (`GET /api/v1/products?q=`): substring semantics over name, SKU, line,
colours and materials, every word required, paged in id order, served by an index
(FTS5 trigram on SQLite, pg_trgm on PostgreSQL), and no query text is ever syntax."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, text, update
from sqlmodel import Session

from conftest import BOTH_DATABASES, LiveServer

SYNTAX = [
    '"',
    '"bag',
    'bag"',
    "a'b",
    "'",
    "*",
    "bag*",
    "^bag",
    "^",
    "NEAR(bag black)",
    "NEAR",
    "near",
    "-bag",
    "bag -black",
    "(bag)",
    "(",
    ")",
    "((()))",
    "bag OR black",
    "bag AND NOT black",
    "search_text:bag",
    "{search_text}: bag",
    "+",
    "%",
    "_",
    "\\",
    "%_%' OR 1=1 --",
    "'; DROP TABLE product; --",
    "ba%",
    "b_g",
    ":",
    "::",
    "\u201cbag\u201d",
]


def _search_text(p: dict[str, Any]) -> str:
    """What the server matches (as demo.seed builds it)."""
    return " ".join([p["name"], p["sku"], p["line"], *p["colours"], *p["materials"]]).lower()


def _expected(products: list[dict[str, Any]], q: str, category: str | None = None) -> list[str]:
    words = q.lower().split()[:8]
    return [
        p["sku"]
        for p in products
        if all(w in _search_text(p) for w in words) and (category is None or p["category"] == category)
    ]


def _all(c: httpx.Client, limit: int, **params: Any) -> list[str]:
    """Every page of a search, following next_cursor."""
    skus: list[str] = []
    cursor = None
    for _ in range(1000):
        r = c.get("/api/v1/products", params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, (params, r.text)
        page = r.json()
        assert len(page["items"]) <= limit
        skus += [p["sku"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return skus
    raise AssertionError("paging did not end")


@BOTH_DATABASES
def test_search_is_substring_and_every_word(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("supervisor"), timeout=20) as c:
        catalogue: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = c.get("/api/v1/products", params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
            catalogue += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        ids = [p["id"] for p in catalogue]
        assert ids == sorted(ids) and len(ids) == len(set(ids)) >= 100  # empty q lists all, in id order

        bag = next(p for p in catalogue if " " in p["name"] and len(p["name"].split()[-1]) >= 5)
        word = bag["name"].split()[-1]
        number = bag["sku"].rsplit("-", 1)[-1]
        colour, material = bag["colours"][0], bag["materials"][0]
        queries = [
            word.lower(),
            word.upper(),
            word[1:5],  # a partial word, from inside it
            word[:2],  # a two-letter fragment (no trigram)
            word[:1],
            bag["sku"],
            bag["sku"].lower(),
            number,  # a SKU fragment
            bag["sku"][:6],
            colour,
            material,
            f"{colour} {word[:4]}",
            f"{word[:2]} {colour}",
            f"{material} {colour} {bag['line']}",
            bag["line"].split()[0][:3],
            "zzqqxx",
            "xq",
            "a b c d e f g h i j",  # more than eight words: the first eight count
        ]
        for q in queries + SYNTAX:
            assert _all(c, 200, q=q) == _expected(catalogue, q), q
        # Paging needs queries with more hits than a page: the common ones among these.
        paging = [q for q in (colour, word[:3], material[:4], material, "le", "a") if len(_expected(catalogue, q)) > 7]
        assert len(paging) >= 3, paging
        for q in paging:
            want = _expected(catalogue, q)
            assert _all(c, 7, q=q) == want, q  # paging with q: no row twice, none missed
            assert _all(c, 5, q=q, category=bag["category"]) == _expected(catalogue, q, bag["category"]), q
        assert _all(c, 200, q=bag["sku"]) == [bag["sku"]]


def _product(i: int, search_text: str) -> dict[str, Any]:
    return {
        "id": i,
        "sku": f"T-{i:05d}",
        "name": f"Test piece {i}",
        "line": "Test",
        "category": "bags",
        "season": "SS26",
        "iconic": False,
        "colours": [],
        "materials": [],
        "prices": {},
        "stock": {},
        "image": None,
        "search_text": search_text,
    }

@contextlib.contextmanager
def _pg_catalogue(pg_url: str, count: int) -> Iterator[Any]:
    """A migrated PostgreSQL database holding products 1..count ("piece <i> emerald
    calfskin"), and an engine of one connection on it."""
    from advisor_console.server.db import make_engine, migrate, writer
    from advisor_console.server.tables import ProductRow

    migrate(pg_url)
    engine = make_engine(pg_url, pool_size=1)
    try:
        with writer(engine).begin() as conn:
            conn.execute(insert(ProductRow.__table__), [_product(i, f"piece {i} emerald calfskin") for i in range(1, count + 1)])
        yield engine
    finally:
        engine.dispose()



def _search(engine: Any, q: str) -> list[int]:
    from advisor_console.server import search

    with Session(engine) as session:
        return [r.id for r in session.execute(search.product_query(session, q, None, None, 100)).scalars()]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_search_index_follows_writes_and_is_used(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from advisor_console.server import search
    from advisor_console.server.db import make_engine, migrate, writer
    from advisor_console.server.tables import ProductRow

    url = f"sqlite:///{tmp_path / 'search.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    migrate(url)
    engine = make_engine(url)
    table = ProductRow.__table__
    try:
        with writer(engine).begin() as conn:  # a bulk insert, as the seed does
            conn.execute(insert(table), [_product(i, f"piece {i} emerald calfskin") for i in range(1, 301)])
            conn.execute(insert(table), [_product(1000, "rosso nappa 東京限定 bag")])
        assert _search(engine, "emerald") == list(range(1, 101))
        assert _search(engine, "merald calf") == list(range(1, 101))
        assert _search(engine, "京限定") == [1000]
        with writer(engine).begin() as conn:
            conn.execute(update(table).where(table.c.id == 2).values(search_text="piece 2 sapphire"))
            conn.execute(delete(table).where(table.c.id == 3))
        assert _search(engine, "sapphire") == [2]
        assert 2 not in _search(engine, "emerald") and 3 not in _search(engine, "emerald")
        assert _search(engine, "ece 2 sapph") == [2]

        with Session(engine) as session:
            stmt = search.product_query(session, "zzqqxx", None, None, 51)
            sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
            if backend == "sqlite":
                plan = " ".join(str(r) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
                assert "VIRTUAL TABLE INDEX" in plan and "product_fts" in plan, plan
            else:
                # A 300-row table is best walked by its primary key; rule out the walks so
                # the plan shows whether the trigram index can serve the pattern at all.
                session.execute(text("ANALYZE product"))
                session.execute(text("SET LOCAL enable_seqscan = off"))
                session.execute(text("SET LOCAL enable_indexscan = off"))
                plan = " ".join(str(r) for r in session.execute(text(f"EXPLAIN {sql}")))
                assert "ix_product_search_trgm" in plan, plan
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_products_reads_a_page_as_to_model_does(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """`search.products` reads a page as plain rows, its JSON columns parsed with orjson (json
    where orjson reads otherwise): the same Products as `ProductRow.to_model`, in the same order."""
    from advisor_console.server import search
    from advisor_console.server.db import make_engine, migrate, writer
    from advisor_console.server.tables import ProductRow

    url = f"sqlite:///{tmp_path / 'search.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    migrate(url)
    engine = make_engine(url)
    rows = [
        {**_product(i, f"piece {i} emerald calfskin"), "colours": ["emerald", 'say "oui"', "東京"], "prices": {"EUR": 1250, "JPY": 210000.5}, "stock": {"38": {"FLR": 2, "TYO": 0}}, "image": f"img/{i}.png"}
        for i in range(1, 41)
    ]
    # Beyond 64 bits orjson reads an integer as a float: the same price once validated, a
    # count out of an int's range (the row is read again with json, as to_model did).
    rows[3].update(prices={"EUR": 2**70 + 1}, stock={"38": {"FLR": 2**70, "TYO": -(2**64)}})
    rows[6]["prices"] = {"EUR": 2**70 + 1}
    rows[4].update(colours=[], materials=[], prices={}, stock={}, image=None)
    if backend == "sqlite":  # PostgreSQL's json type refuses NaN; SQLite keeps what json.dumps wrote
        rows[5]["prices"] = {"EUR": float("inf")}
    try:
        with writer(engine).begin() as conn:
            conn.execute(insert(ProductRow.__table__), rows)
        with Session(engine) as session:
            for q, after, limit in (("", None, 100), ("emerald", None, 7), ("emerald", 4, 7), ("em", 3, 10), ("東京", None, 100), ("zzqqxx", None, 5)):
                stmt = search.product_query(session, q, None, after, limit)
                want = [r.to_model() for r in session.execute(stmt).scalars()]
                got = search.products(session, stmt)
                assert got == want, q
                assert all(type(p) is search.Product for p in got)
            assert len(search.products(session, search.product_query(session, "emerald", None, None, 100))) == 40
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_searches_are_sent_unprepared_on_postgresql(pg_url: str) -> None:
    """Each search is planned with its own patterns: psycopg prepares a statement it has run
    5 times on a connection (and PostgreSQL may then plan it once for every pattern), but a
    search's statement is sent unprepared, every time; other statements still are prepared."""
    from advisor_console.server import search

    with _pg_catalogue(pg_url, 30) as engine, Session(engine) as session:
        for i in range(12):
            word = ("emerald", "calfskin", "piece", "merald")[i % 4]
            assert [p.id for p in search.products(session, search.product_query(session, word, None, None, 5))] == [1, 2, 3, 4, 5]
            assert [r.id for r in session.execute(search.product_query(session, "em", None, None, 5)).scalars()] == [1, 2, 3, 4, 5]
            session.execute(text("SELECT id FROM product WHERE id = :i"), {"i": i}).all()
        prepared = session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert "SELECT id FROM product WHERE id = $1" in prepared
    assert not [sql for sql in prepared if sql.startswith("SELECT") and ("LIKE" in sql or "strpos" in sql)], prepared


@pytest.mark.postgres
def test_a_page_needs_no_transaction_on_postgresql(pg_url: str) -> None:
    """A session that has not begun reads a page in autocommit (no BEGIN, nothing to roll
    back: two round trips fewer); a session in a transaction reads it in that transaction."""
    from psycopg.pq import TransactionStatus

    from advisor_console.server import search
    from advisor_console.server.tables import ProductRow

    with _pg_catalogue(pg_url, 10) as engine:
        with Session(engine) as session:
            assert [p.id for p in search.products(session, search.product_query(session, "emerald", None, None, 3))] == [1, 2, 3]
            dbapi = session.connection().connection.dbapi_connection
            assert dbapi.info.transaction_status == TransactionStatus.IDLE  # nothing begun, nothing left open
        with Session(engine) as session:
            session.execute(update(ProductRow.__table__).where(ProductRow.__table__.c.id == 2).values(search_text="piece 2 sapphire"))
            assert [p.id for p in search.products(session, search.product_query(session, "emerald", None, None, 3))] == [1, 3, 4]
            assert session.connection().connection.dbapi_connection.info.transaction_status == TransactionStatus.INTRANS
            session.rollback()
        with Session(engine) as session:  # the connection back in the pool is transactional again
            session.execute(text("SELECT 1"))
            assert session.connection().connection.dbapi_connection.info.transaction_status == TransactionStatus.INTRANS


@pytest.mark.postgres
def test_search_gin_indexes_keep_a_short_pending_list_and_the_seed_merges_it(pg_url: str) -> None:
    """Migration 0011: both search indexes merge their pending list at 256 kB (a search reads
    the list through); the seed's bulk load leaves nothing pending (demo/seed.py)."""
    from advisor_console.demo.seed import seed
    from advisor_console.server.db import make_engine, migrate

    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        seed(engine, clients=60, products=400, conversations=20, seed=7, password="demo")
        with engine.connect() as conn:
            options = dict(conn.execute(text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('ix_product_search_trgm', 'ix_product_search_grams')")).all())
            assert options == {name: ["gin_pending_list_limit=256"] for name in ("ix_product_search_trgm", "ix_product_search_grams")}
            for name in options:  # a merge now finds nothing left to merge
                assert conn.execute(text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": name}).scalar() == 0
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_search_text_has_finer_statistics(pg_url: str) -> None:
    """Migration 0012: the planner's estimate of `%word%` comes from a histogram of 300 values
    of `product.search_text` (and ANALYZE samples 90,000 rows), not 100."""
    from advisor_console.server.db import make_engine, migrate

    migrate(pg_url)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            target = conn.execute(text("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'product'::regclass AND attname = 'search_text'")).scalar()
            assert target == 300
    finally:
        engine.dispose()
