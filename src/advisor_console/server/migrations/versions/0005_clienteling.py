"""clienteling: try-on selections, birthdays, appointment kinds, stock tokens

Revision ID: 0005_clienteling
Revises: 0004_conversation_craft

- `tryon_selection`: pieces sent to a client to try (items, status, what she kept and
  returned), with the conversation, message and follow-up task they came with.
- `client.birthday` (optional): the call list's "birthday this month".
- `task.appointment_kind` (in_store | video), `task.video_link`, `task.completed_at` (when
  it was marked done: the client's history), `task.tryon_selection_id`.
- `product.stock_keys`: `|HUB|HUB=SIZE|=SIZE|` tokens of what is in stock where, which
  the lookbook's `in_stock_hub` and `size` filters match (tables.stock_keys); filled here
  from `product.stock` for the existing rows.
- `ix_message_conversation_kind_at` on message (conversation_id, kind, at): a client's
  contacts (advisor replies) are counted per conversation and month.
"""
import json
from typing import Any, Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import advisor_console.server.tables
from advisor_console.server.tables import stock_keys

revision: str = "0005_clienteling"
down_revision: Union[str, None] = "0004_conversation_craft"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _backfill_stock_keys() -> None:
    bind = op.get_bind()
    product = sa.table("product", sa.column("id", sa.Integer), sa.column("stock", sa.JSON), sa.column("stock_keys", sa.Text))
    rows = bind.execute(sa.select(product.c.id, product.c.stock)).all()
    updates: list[dict[str, Any]] = []
    for pid, stock in rows:
        if isinstance(stock, str):
            stock = json.loads(stock)
        keys = stock_keys(stock)
        if keys:
            updates.append({"pid": pid, "keys": keys})
    stmt = product.update().where(product.c.id == sa.bindparam("pid")).values(stock_keys=sa.bindparam("keys"))
    for i in range(0, len(updates), 2000):
        bind.execute(stmt, updates[i : i + 2000])


def upgrade() -> None:
    op.create_table(
        "tryon_selection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("advisor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kept", sa.JSON(), nullable=False),
        sa.Column("returned", sa.JSON(), nullable=False),
        sa.Column("created_at", advisor_console.server.tables.UTCDateTime(), nullable=False),
        sa.Column("decided_at", advisor_console.server.tables.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tryon_selection_client_id", "tryon_selection", ["client_id"])
    with op.batch_alter_table("client") as batch_op:
        batch_op.add_column(sa.Column("birthday", sa.Date(), nullable=True))
    with op.batch_alter_table("task") as batch_op:
        batch_op.add_column(sa.Column("appointment_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column("video_link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column("completed_at", advisor_console.server.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("tryon_selection_id", sa.Integer(), nullable=True))
    # A plain ADD COLUMN (not batch): on SQLite a batch rebuild of `product` would drop the
    # FTS triggers of migration 0003.
    op.add_column("product", sa.Column("stock_keys", sa.Text(), nullable=False, server_default=""))
    _backfill_stock_keys()
    op.create_index("ix_message_conversation_kind_at", "message", ["conversation_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_message_conversation_kind_at", table_name="message")
    op.drop_column("product", "stock_keys")
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_column("tryon_selection_id")
        batch_op.drop_column("completed_at")
        batch_op.drop_column("video_link")
        batch_op.drop_column("appointment_kind")
    with op.batch_alter_table("client") as batch_op:
        batch_op.drop_column("birthday")
    op.drop_index("ix_tryon_selection_client_id", table_name="tryon_selection")
    op.drop_table("tryon_selection")
