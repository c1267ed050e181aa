"""indexed lookbook search: FTS5 trigram table on SQLite, pg_trgm GIN index on PostgreSQL

Revision ID: 0003_product_search
Revises: 0002_audit

`GET /api/v1/products?q=` matches every word as a substring of `product.search_text`
(server/search.py). Without an index that is a scan of the whole catalogue per query.

- SQLite: `product_fts`, an FTS5 table with the trigram tokenizer whose content is
  `product.search_text` (external content: the text is stored once, in `product`), kept
  in step by triggers on insert, delete and update, so bulk inserts (the demo seed) are
  indexed too; filled from the existing rows by 'rebuild'. Needs SQLite >= 3.34 with
  FTS5; where either is missing, nothing is created and search stays a scan.
- PostgreSQL: the pg_trgm extension and a GIN trigram index on `search_text`, which
  serves `LIKE '%word%'`. Where the extension cannot be created (not installed, or not
  allowed), nothing is created and search stays a scan.
"""
import logging
import sqlite3
from typing import Sequence, Union

from alembic import op

revision: str = "0003_product_search"
down_revision: Union[str, None] = "0002_audit"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")

SQLITE_UP = (
    """CREATE VIRTUAL TABLE product_fts USING fts5(
        search_text, content='product', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN
        INSERT INTO product_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN
        INSERT INTO product_fts(product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER product_fts_update AFTER UPDATE OF id, search_text ON product BEGIN
        INSERT INTO product_fts(product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO product_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO product_fts(product_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    "DROP TABLE IF EXISTS product_fts",
)


def _sqlite_has_trigram_fts() -> bool:
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return False
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if not _sqlite_has_trigram_fts():
            log.warning("SQLite %s has no FTS5 trigram tokenizer: lookbook search will scan.", sqlite3.sqlite_version)
            return
        for statement in SQLITE_UP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():  # a savepoint: a refusal must not abort the migration
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - not installed, or not allowed here
            log.warning("pg_trgm is not available (%s): lookbook search will scan.", exc)
            return
        op.execute("CREATE INDEX IF NOT EXISTS ix_product_search_trgm ON product USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_product_search_trgm")
