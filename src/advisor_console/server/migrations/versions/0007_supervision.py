"""supervision and routing (issue 6)

Revision ID: 0007_supervision
Revises: 0006_search_short_words
"""
from typing import Sequence, Union

from alembic import op  # noqa: F401

revision: str = "0007_supervision"
down_revision: Union[str, None] = "0006_search_short_words"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
