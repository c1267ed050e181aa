"""training: recordings and scenarios (issue 7)

Revision ID: 0009_training
Revises: 0008_channels
"""
from typing import Sequence, Union

from alembic import op  # noqa: F401

revision: str = "0009_training"
down_revision: Union[str, None] = "0008_channels"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
