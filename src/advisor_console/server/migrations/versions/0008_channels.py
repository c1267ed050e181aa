"""real channels: email, WhatsApp, web chat (issue 10)

Revision ID: 0008_channels
Revises: 0007_supervision
"""
from typing import Sequence, Union

from alembic import op  # noqa: F401

revision: str = "0008_channels"
down_revision: Union[str, None] = "0007_supervision"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
