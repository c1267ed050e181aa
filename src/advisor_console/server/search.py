"""Lookbook search: every word of the query is a substring of the product's `search_text`
(lower-cased name, SKU, line, colours and materials), all words must match, results in
product id order, paged by id.

The substring match is served by an index, never by a scan, for every word of three
characters or more:
- SQLite: `product_fts`, an FTS5 table with the trigram tokenizer over `product.search_text`
  (external content, kept in sync by triggers; migration 0003). Each word becomes one FTS5
  string literal (a phrase of its trigrams, i.e. a substring match), so no character of
  the query is ever FTS5 syntax: quotes, `*`, `^`, `-`, `NEAR`, parentheses are text.
- PostgreSQL: a pg_trgm GIN index on `search_text` serves `LIKE '%word%'`. Each search
  plans with the actual patterns (custom plans): a generic plan of `LIKE $1` cannot tell
  a rare word (index) from a common one (walk the primary key and stop at the page). So
  its statement is never prepared (`_execute_unprepared`): psycopg prepares a statement
  it has run 5 times on a connection (counting again after a rollback, and a page is read
  in autocommit: `_page_connection`), and PostgreSQL may then plan a prepared statement
  once for every pattern; an unprepared one is planned with its values each time.

Words of one or two characters have no trigram (nor, on PostgreSQL, words without a run
of three letters or digits, as pg_trgm ignores punctuation):
- SQLite: they are checked on the rows the indexed words found, or, when the query has
  only such words, by walking products in id order until the page is full (fast for
  common strings, a full scan for rare ones).
- PostgreSQL: `product.search_grams` holds every one- and two-character substring of the
  text, GIN-indexed (migration 0006): `search_grams @> ARRAY['xq']` is exact for such a
  word (and a prefilter, by the word's two-character pieces, for a longer word pg_trgm
  cannot serve; strpos decides). The planner sends a rare word to that index and walks the
  primary key for a common one (a stored column: the filter costs a comparison per row).
A word that another word of the query contains is dropped ("giglio gi" is "giglio"): the
same matches, and no correlated condition for the planner to count as independent.

A page is read by `products` as plain Core rows of the columns a `Product` holds, its JSON
columns as text parsed by orjson (with json's results, see `products`), each row validated
into a `Product` once: not as `ProductRow` ORM objects turned into models (`to_model`),
which was most of a search's time in Python: psycopg's `json.loads` of four columns per
row, the ORM's instances and identity map, then `model_dump` and a validation per row.
The client CPU of executing a page of 51 and building its models went from 3.4 ms to
1.7 ms (PostgreSQL; SQLite 3.1 ms to 1.7 ms), with the machine loaded. The ORM's way also
made the cyclic garbage collector run six times as often (1,432 young collections per
1,200 searches, against 225) and promoted enough objects for a full pass every ~400
searches, each 50-95 ms in a process holding the server's modules (~90,000 long-lived
objects to walk): the stalls of 50-100 ms that hit a different query in each run of the
search benchmark. None in 1,200 searches now (a full pass still comes when the rest of
the process has promoted enough objects).
"""

from __future__ import annotations

import json
from typing import Any, Callable
from weakref import WeakKeyDictionary

from pydantic import ValidationError
from sqlalchemy import JSON, Integer, Text, cast, column, event, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlmodel import Session

from .. import jsontext
from ..domain.models import Product
from .tables import ProductRow

MAX_WORDS = 8
TRIGRAM = 3  # the shortest word an n-gram index can serve

_FTS = table("product_fts", column("rowid", Integer))
_fts_available: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()
_grams_available: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()
_GRAMS = literal_column("product.search_grams", PG_ARRAY(Text))


# What a page reads of each product: the fields of `Product`, in its order. The JSON columns
# are read as their text (CAST: psycopg would otherwise decode `json` itself, with json.loads).
_PRODUCT_FIELDS = tuple(Product.model_fields)
_JSON_FIELDS = frozenset(name for name in _PRODUCT_FIELDS if isinstance(ProductRow.__table__.c[name].type, JSON))
_PAGE_COLUMNS = tuple(
    cast(ProductRow.__table__.c[name], Text).label(name) if name in _JSON_FIELDS else ProductRow.__table__.c[name] for name in _PRODUCT_FIELDS
)
_JSON_AT = tuple(i for i, name in enumerate(_PRODUCT_FIELDS) if name in _JSON_FIELDS)


# An execution option: send the statement unprepared (psycopg's `prepare=False`), so that
# PostgreSQL plans it with its values every time (unless the server is set to force generic
# plans). A `SET LOCAL plan_cache_mode = force_custom_plan` before each search did the same
# at the cost of a round trip (~0.3 ms of a search). The hook below is installed for every
# psycopg engine of the process; a statement without the option runs as SQLAlchemy runs it.
_UNPREPARED = "advisor_console_unprepared"


@event.listens_for(PGDialect_psycopg, "do_execute")
def _execute_unprepared(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """SQLAlchemy's cursor.execute for psycopg statements carrying `_UNPREPARED` (True: done)."""
    if context is not None and context.execution_options.get(_UNPREPARED):
        cursor.execute(statement, parameters, prepare=False)
        return True
    return False


def words_of(q: str) -> list[str]:
    return q.lower().split()[:MAX_WORDS]


def implied_words_dropped(words: list[str]) -> list[str]:
    """The words without those that another word of the query contains ("giglio gi" is
    "giglio"): the same matches, and no condition the planner would count as independent
    of the word that implies it (which made it expect a few rows where there were
    thousands, and pick the wrong plan)."""
    kept: list[str] = []
    for i, word in enumerate(words):
        if word in kept:
            continue
        if any(word in other and (len(other) > len(word)) for other in words[:i] + words[i + 1 :]):
            continue
        kept.append(word)
    return kept


def fts_phrase(word: str) -> str:
    """An FTS5 string literal: the word as text, whatever characters it holds."""
    return '"' + word.replace('"', '""') + '"'


def like_pattern(word: str) -> str:
    """`%word%` with LIKE's wildcards and the escape character taken literally (escape `\\`)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def pg_trigram_indexable(word: str) -> bool:
    """Whether pg_trgm can narrow `LIKE '%word%'`: it takes trigrams from runs of letters
    and digits only, so a word needs such a run of three or more (else the index would be
    read whole, slower than walking the table)."""
    run = 0
    for ch in word:
        run = run + 1 if ch.isalnum() else 0
        if run >= TRIGRAM:
            return True
    return False


def grams_of(word: str) -> list[str]:
    """The one- or two-character pieces a product must hold to contain `word` (PostgreSQL's
    `product.search_grams`, migration 0006): the word itself when it is that short, else
    its distinct two-character substrings (a prefilter; strpos decides)."""
    if len(word) <= 2:
        return [word]
    return sorted({word[i : i + 2] for i in range(len(word) - 1)})


def has_grams(session: Session) -> bool:
    """Whether this PostgreSQL database has `product.search_grams` (cached per engine)."""
    engine = session.get_bind()
    found = _grams_available.get(engine)
    if found is None:
        found = bool(
            session.execute(text("SELECT 1 FROM information_schema.columns WHERE table_name = 'product' AND column_name = 'search_grams'")).first()
        )
        _grams_available[engine] = found
    return found


def has_fts(session: Session) -> bool:
    """Whether this SQLite database has the product_fts table (cached per engine)."""
    engine = session.get_bind()
    found = _fts_available.get(engine)
    if found is None:
        found = bool(session.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'product_fts'")).first())
        _fts_available[engine] = found
    return found


def _literal(text_: str) -> str:
    """`text_` for LIKE with its wildcards and the escape character taken literally."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def stock_pattern(hub: str | None, size: str | None) -> str | None:
    """The LIKE pattern of the `stock_keys` token (tables.stock_keys) for a hub, a size, or both."""
    if hub and size:
        token = f"{hub}={size}"
    elif hub:
        token = hub
    elif size:
        token = f"={size}"
    else:
        return None
    return "%|" + _literal(token) + "|%"


def product_query(
    session: Session,
    q: str,
    category: str | None,
    after: int | None,
    limit: int,
    *,
    line: str | None = None,
    season: str | None = None,
    iconic: bool | None = None,
    in_stock_hub: str | None = None,
    size: str | None = None,
) -> Select[Any]:
    """The statement of one page (`limit` rows; ask for one more to know if there is a next).

    Filters (all optional, ANDed with the words): `line`, `category` and `season` equal;
    `iconic`; `in_stock_hub` (a hub code: at least one unit of some size there) and `size`
    (with a hub: that size in stock at that hub; alone: that size in stock somewhere),
    matched on `product.stock_keys`. With words, the filters are checked on the rows the
    index finds; without, products are walked in id order (line and category by their
    indexes) until the page is full."""
    words = implied_words_dropped(words_of(q))
    long_words = [w for w in words if len(w) >= TRIGRAM]
    short_words = [w for w in words if len(w) < TRIGRAM]
    dialect = session.get_bind().dialect.name
    key: Any = ProductRow.id
    if dialect == "sqlite" and long_words and has_fts(session):
        stmt = select(ProductRow).select_from(_FTS).join(ProductRow, ProductRow.id == _FTS.c.rowid)
        stmt = stmt.where(text("product_fts MATCH :fts_query").bindparams(fts_query=" AND ".join(fts_phrase(w) for w in long_words)))
        key = _FTS.c.rowid  # FTS5 hands rowids out in order, and stops at the limit
        for word in short_words:
            stmt = stmt.where(func.instr(ProductRow.search_text, word) > 0)
    else:
        stmt = select(ProductRow)
        if dialect == "postgresql":
            stmt = stmt.execution_options(**{_UNPREPARED: True})  # custom plans (see the module docstring)
            for word in words:
                if pg_trigram_indexable(word):
                    stmt = stmt.where(ProductRow.search_text.like(like_pattern(word)))  # `\` is PostgreSQL's default escape
                else:  # the same test, in a form the planner will not answer from the trigram index
                    stmt = stmt.where(func.strpos(ProductRow.search_text, word) > 0)
                    if has_grams(session):  # and the grams index: which rows hold its one- and two-character pieces
                        stmt = stmt.where(_GRAMS.op("@>")(cast(pg_array(grams_of(word)), PG_ARRAY(Text))))
        else:
            for word in words:
                stmt = stmt.where(ProductRow.search_text.like(like_pattern(word), escape="\\"))
    if category:
        stmt = stmt.where(ProductRow.category == category)
    if line:
        stmt = stmt.where(ProductRow.line == line)
    if season:
        stmt = stmt.where(ProductRow.season == season)
    if iconic is not None:
        stmt = stmt.where(ProductRow.iconic.is_(iconic))
    pattern = stock_pattern(in_stock_hub, size)
    if pattern is not None:
        stmt = stmt.where(ProductRow.stock_keys.like(pattern, escape="\\"))
    if after is not None:
        stmt = stmt.where(key > after)
    return stmt.order_by(key).limit(limit)


def _product(row: Any, loads: Callable[[str], Any]) -> Product:
    """A row of `_PAGE_COLUMNS` as a `Product`, its JSON columns read by `loads`."""
    values = list(row)
    for i in _JSON_AT:
        if values[i] is not None:
            values[i] = loads(values[i])
    return Product.model_validate(dict(zip(_PRODUCT_FIELDS, values)))


def _page_connection(session: Session) -> Connection:
    """The session's connection, to read a page on. On PostgreSQL, a session that has not
    begun yet takes it in autocommit: a page is one statement, which needs no transaction of
    its own, and BEGIN then ROLLBACK (when the session closes) were two of the round trips of
    a search. The session's later statements run in autocommit too: it is a session for
    reading (the route's). Not on SQLite, whose engine begins transactions itself
    (db.make_engine), and a search there costs no round trip."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def products(session: Session, stmt: Select[Any]) -> list[Product]:
    """The rows of `stmt` (a `product_query`) as `Product`s, in its order: read as plain
    columns, not ORM objects (see the module docstring), validated as `to_model` does."""
    # Core rows, without the ORM's result machinery.
    rows = _page_connection(session).execute(stmt.with_only_columns(*_PAGE_COLUMNS, maintain_column_froms=False)).all()
    out: list[Product] = []
    for row in rows:
        try:
            out.append(_product(row, jsontext.loads))
        except ValidationError:
            # orjson reads JSON as json does but for an integer beyond 64 bits, which it
            # reads as a float: the same value once validated into a float field, refused
            # (out of range) by an int field; then the row is read as `to_model` read it.
            out.append(_product(row, json.loads))
    return out
