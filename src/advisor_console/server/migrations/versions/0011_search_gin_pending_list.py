"""lookbook search on PostgreSQL: a short pending list for the GIN indexes

Revision ID: 0011_search_gin_pending_list
Revises: 0010_web_chat

GIN indexes take new rows' entries into an unsorted "pending list" (`fastupdate`), which
every search reads through, entry by entry, until VACUUM, autoanalyze or a full list
(`gin_pending_list_limit`, 4 MB by default) merges it into the index; a manual ANALYZE
does not. After the seed's bulk load of 50,000 products, ~2,000 products' entries (300-400
pages) were left pending in each search index, and every lookbook search read them: a
whole SKU took 8.4 ms in the trigram index instead of 0.7 ms, `cognac bl` 26 ms instead
of 2 ms, `fd-sh-c` 11.7 ms instead of 1.2 ms (EXPLAIN ANALYZE), until autovacuum came by.

Both search indexes (`ix_product_search_trgm` of 0003, `ix_product_search_grams` of 0006)
now merge their pending list once it holds 256 kB (a few dozen pages: a search reads it
in well under a millisecond), and what is pending now is merged here. Turning the list
off (`fastupdate = off`) bounds it too, but made the seed's bulk insert of the catalogue
five times slower (34 s -> 184 s); a short list keeps the batched merge. The seed merges
what its load leaves pending (demo/seed.py).
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0011_search_gin_pending_list"
down_revision: Union[str, None] = "0010_web_chat"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = ("ix_product_search_trgm", "ix_product_search_grams")
PENDING_LIST_KB = 256


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"ALTER INDEX IF EXISTS {index} SET (gin_pending_list_limit = {PENDING_LIST_KB})")
        op.execute(f"SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = '{index}' AND c.relkind = 'i' AND pg_table_is_visible(c.oid)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in INDEXES:
        op.execute(f"ALTER INDEX IF EXISTS {index} RESET (gin_pending_list_limit)")
