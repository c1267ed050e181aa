"""web chat: the website's visitors (issue 10)

Revision ID: 0010_web_chat
Revises: 0009_training

- `web_visitor`: a visitor of the chat page (server/webchat.py): her token (hashed), visits,
  whether her page is live, the product she is on and those she viewed, the client she is
  linked to, the conversations she wrote in, and an advisor's invitation.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import advisor_console.server.tables

revision: str = "0010_web_chat"
down_revision: Union[str, None] = "0009_training"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    utc = advisor_console.server.tables.UTCDateTime
    op.create_table(
        "web_visitor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("last_seen_at", utc(), nullable=False),
        sa.Column("visit_started_at", utc(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("known_client", sa.Boolean(), nullable=False),
        sa.Column("current_page", sa.String(length=2000), nullable=True),
        sa.Column("current_sku", sa.String(length=40), nullable=True),
        sa.Column("current_product", sa.String(), nullable=True),
        sa.Column("current_since", utc(), nullable=False),
        sa.Column("viewed", sa.JSON(), nullable=True),
        sa.Column("conversation_ids", sa.JSON(), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("invitation_status", sa.String(length=20), nullable=True),
        sa.Column("invitation_message", sa.String(length=500), nullable=True),
        sa.Column("invitation_at", utc(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["invited_by_id"], ["advisor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_visitor_token_hash", "web_visitor", ["token_hash"], unique=True)
    op.create_index("ix_web_visitor_last_seen_at", "web_visitor", ["last_seen_at"])
    op.create_index("ix_web_visitor_client_id", "web_visitor", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_web_visitor_client_id", table_name="web_visitor")
    op.drop_index("ix_web_visitor_last_seen_at", table_name="web_visitor")
    op.drop_index("ix_web_visitor_token_hash", table_name="web_visitor")
    op.drop_table("web_visitor")
