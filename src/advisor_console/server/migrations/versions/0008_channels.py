"""real channels (issue 10): a message's id on its channel, and why a delivery failed

Revision ID: 0008_channels
Revises: 0007_supervision

- `message.external_id`: the channel's own id of the message (WhatsApp's wamid): statuses
  from the channel find the message by it, and a redelivered webhook creates nothing.
- `message.delivery_error`: why the channel refused it (delivery "failed").
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_channels"
down_revision: Union[str, None] = "0007_supervision"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("delivery_error", sa.String(length=500), nullable=True))
        batch.create_index("ix_message_external_id", ["external_id"])
        batch.create_index("ix_message_delivery", ["delivery"])


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_index("ix_message_delivery")
        batch.drop_index("ix_message_external_id")
        batch.drop_column("delivery_error")
        batch.drop_column("external_id")
