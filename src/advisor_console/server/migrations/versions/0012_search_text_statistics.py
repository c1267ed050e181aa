"""lookbook search on PostgreSQL: finer statistics of `product.search_text`

Revision ID: 0012_search_text_statistics
Revises: 0011_search_gin_pending_list

The planner picks, for each search, between walking the primary key until the page is full
(fast for a common word) and the trigram index with a sort (fast for a rare one); the
choice rests on its estimate of how many products hold `%word%`, which it reads off the
column's histogram. At the default statistics target (100) that histogram has 100 values:
a word held by 1.4% of the catalogue (`brass`, 677 of 50,000) matched none of them and
was estimated at 5 rows (the floor), so the plan was chosen on a guess. ANALYZE also reads only a sample of 30,000 rows at that target,
a new one each time: each ANALYZE moved the misestimates to other words, and with them
the slow queries (`fd-bg-ss26`: 2 ms after one ANALYZE, 13 ms after the next).

At 300 the histogram has 300 values and ANALYZE samples 90,000 rows (the whole catalogue
of 50,000: the same estimates after every ANALYZE). Planning a search costs ~0.08 ms more
per word (1,000 would cost ~0.3 ms per word). The benchmark's 60 queries under EXPLAIN
ANALYZE (planning and execution, best of 3), after each of three ANALYZEs: at 100, p95
2.2-2.7 ms and the slowest 7.2, 7.9, 11.7 ms (`cognac bl`, `velluto notte`, `fd-bg-pf26`:
another query after each ANALYZE); at 300, p95 1.9-2.6 ms and the slowest 2.8-4.0 ms.
The column's statistics are gathered again here; SQLite is unchanged.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0012_search_text_statistics"
down_revision: Union[str, None] = "0011_search_gin_pending_list"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATISTICS = 300


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE product ALTER COLUMN search_text SET STATISTICS {STATISTICS}")
    op.execute("ANALYZE product (search_text)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE product ALTER COLUMN search_text SET STATISTICS -1")
