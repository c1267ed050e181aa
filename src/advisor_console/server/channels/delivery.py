"""Delivery of outbound replies, whatever the channel (issue 10).

A reply on a channel with a real adapter starts "pending"; the adapter's sender moves it
to "sent" (with the channel's id of it), then the channel's receipts to "delivered" and
"read", or to "failed" with the reason. Each change is a message.delivery event, so every
workstation shows it live; a failed reply can be sent again (`retry`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ...domain import events as ev
from ...domain.models import Advisor
from .. import services
from ..errors import ApiError
from ..tables import ConversationRow, MessageRow

ORDER = {"pending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def set_delivery(session: Session, row: MessageRow, state: str, error: str | None = None, actor: str = "channel") -> None:
    row.delivery, row.delivery_error = state, error
    session.add(row)
    session.flush()
    conv = session.get(ConversationRow, row.conversation_id)
    if conv is not None:
        services._emit(session, ev.MESSAGE_DELIVERY, actor, conv, {"message": row.to_model().model_dump(mode="json")})


def advance(session: Session, row: MessageRow, state: str, error: str | None = None, actor: str = "channel") -> bool:
    """A receipt: only forward (a late "delivered" never undoes "read"); "failed" always."""
    if state not in ORDER or row.delivery == state or (state != "failed" and ORDER.get(row.delivery, 0) >= ORDER[state]):
        return False
    set_delivery(session, row, state, error, actor)
    return True


def retry(session: Session, actor: Advisor, message_id: int) -> tuple[int, dict[str, Any]]:
    row = session.get(MessageRow, message_id)
    if row is None or row.kind != "reply":
        raise ApiError(404, "not_found", "There is no such reply.")
    services.visible_conversation(session, actor, row.conversation_id)
    if row.delivery != "failed":
        raise ApiError(409, "not_failed", f"This reply is {row.delivery}, not failed: nothing to retry.")
    set_delivery(session, row, "pending", actor=actor.username)
    return 200, row.to_model().model_dump(mode="json")


def mark_replies(session: Session, conversation_ids: list[int], state: str, *, ids: list[int] | None = None, upto: int | None = None, actor: str = "channel-chat") -> int:
    """Receipts from a channel that has them for a batch (the web chat page: delivered when
    her feed carries a reply, read when her page shows it): replies of her conversations,
    by id or up to an id. Returns how many moved."""
    from sqlalchemy import select

    if not conversation_ids or (not ids and upto is None):
        return 0
    stmt = select(MessageRow).where(MessageRow.conversation_id.in_(conversation_ids), MessageRow.kind == "reply")
    stmt = stmt.where(MessageRow.id.in_(ids)) if ids else stmt.where(MessageRow.id <= upto)
    return sum(1 for row in session.execute(stmt).scalars().all() if advance(session, row, state, actor=actor))
