"""lookbook search on PostgreSQL: an index for words of one or two characters

Revision ID: 0006_search_short_words
Revises: 0005_clienteling

pg_trgm cannot narrow `LIKE '%xq%'` (a two-letter word has no trigram): such a word used
to be checked row by row, walking the catalogue in id order until the page was full,
i.e. the whole catalogue (~28 ms at 50,000 products) when it is rare or absent.

`product.search_grams` (PostgreSQL only) holds every distinct one- and two-character
substring of `search_text` (`product_grams(text)`), kept in step by a trigger on insert
and update (so bulk inserts, like the seed's, fill it too) and indexed with GIN. A string
of one or two characters is a substring of the text iff it is one of its grams, so
`search_grams @> ARRAY['xq']` is the exact test, served by the index. It is a stored
column, not an expression index, so a filter on it costs a comparison, not a call of the
function per row: with the element statistics of ANALYZE the planner sends a rare word to
the index and walks the primary key for a common one, stopping at the page
(server/search.py). SQLite is unchanged (its FTS5 trigram path meets the target).
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0006_search_short_words"
down_revision: Union[str, None] = "0005_clienteling"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UP = (
    """CREATE OR REPLACE FUNCTION product_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT array(SELECT DISTINCT g FROM (
            SELECT substr(t, i, 1) FROM generate_series(1, length(t)) AS i
            UNION ALL
            SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
        ) AS grams(g))
    $$""",
    """CREATE OR REPLACE FUNCTION product_grams_trigger() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_grams := product_grams(NEW.search_text);
        RETURN NEW;
    END
    $$""",
    "ALTER TABLE product ADD COLUMN IF NOT EXISTS search_grams text[]",
    "UPDATE product SET search_grams = product_grams(search_text)",
    """CREATE TRIGGER product_search_grams BEFORE INSERT OR UPDATE OF search_text ON product
    FOR EACH ROW EXECUTE FUNCTION product_grams_trigger()""",
    "CREATE INDEX IF NOT EXISTS ix_product_search_grams ON product USING gin (search_grams)",
)
DOWN = (
    "DROP INDEX IF EXISTS ix_product_search_grams",
    "DROP TRIGGER IF EXISTS product_search_grams ON product",
    "ALTER TABLE product DROP COLUMN IF EXISTS search_grams",
    "DROP FUNCTION IF EXISTS product_grams_trigger()",
    "DROP FUNCTION IF EXISTS product_grams(text)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWN:
        op.execute(statement)
