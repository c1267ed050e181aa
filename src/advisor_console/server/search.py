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
  a rare word (index) from a common one (walk the primary key and stop at the page).

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
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Integer, Text, cast, column, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.sql import Select
from sqlmodel import Session

from .tables import ProductRow

MAX_WORDS = 8
TRIGRAM = 3  # the shortest word an n-gram index can serve

_FTS = table("product_fts", column("rowid", Integer))
_fts_available: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()
_grams_available: WeakKeyDictionary[Any, bool] = WeakKeyDictionary()
_GRAMS = literal_column("product.search_grams", PG_ARRAY(Text))


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
            # Custom plans for this transaction's statements (see the module docstring).
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
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
