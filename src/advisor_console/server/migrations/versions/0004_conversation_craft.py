"""the advisor's day: scheduled messages, email subjects

Revision ID: 0004_conversation_craft
Revises: 0003_product_search

- `scheduled_message`: replies the server sends at `send_at` (then deletes the row).
- `conversation.subject`: the subject of the client's first email.
- `message.subject`: an email's subject ("Re: ..." on replies); `message.scheduled_id`:
  the scheduled message a message was sent from.
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import advisor_console.server.tables

revision: str = "0004_conversation_craft"
down_revision: Union[str, None] = "0003_product_search"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "scheduled_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("send_at", advisor_console.server.tables.UTCDateTime(), nullable=False),
        sa.Column("created_at", advisor_console.server.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["advisor.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scheduled_message_conversation_id", "scheduled_message", ["conversation_id"])
    op.create_index("ix_scheduled_message_send_at", "scheduled_message", ["send_at"])
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    with op.batch_alter_table("message") as batch_op:
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=True))
        batch_op.add_column(sa.Column("scheduled_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch_op:
        batch_op.drop_column("scheduled_id")
        batch_op.drop_column("subject")
    with op.batch_alter_table("conversation") as batch_op:
        batch_op.drop_column("subject")
    op.drop_index("ix_scheduled_message_send_at", table_name="scheduled_message")
    op.drop_index("ix_scheduled_message_conversation_id", table_name="scheduled_message")
    op.drop_table("scheduled_message")
