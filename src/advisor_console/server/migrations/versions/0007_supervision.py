"""supervision and routing (issue 6): team-lead settings and whispers

Revision ID: 0007_supervision
Revises: 0006_search_short_words

- `setting`: one JSON document per key, edited by team leads: `first_response_targets`
  (seconds per channel) and `routing` (on/off, business hours per hub, personal advisor
  first, language match).
- `message.whisper_to`: a whisper (a team lead's note) is shown to this advisor only (and
  to team leads), never to the client or to other advisors.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_supervision"
down_revision: Union[str, None] = "0006_search_short_words"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=60), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("whisper_to", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("whisper_to")
    op.drop_table("setting")
