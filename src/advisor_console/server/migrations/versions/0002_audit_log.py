"""audit log of client profile views and changes

Revision ID: 0002_audit
Revises: 0001
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import advisor_console.server.tables

revision: str = "0002_audit"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", advisor_console.server.tables.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_actor", "audit", ["actor"])
    op.create_index("ix_audit_client_id", "audit", ["client_id"])


def downgrade() -> None:
    op.drop_table("audit")
