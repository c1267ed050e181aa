"""Conversations: list, detail, and the writes on them (claim, messages, resolve, ...)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select

from pydantic import BaseModel, BeforeValidator

from ...domain.models import ConversationDetail, ConversationSummary, ConversationUpdateIn, Message, MessageIn, Page, Role, ScheduledMessage, SnoozeIn, TransferIn
from .. import supervision, services
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, require
from ..errors import ApiError
from ..tables import AdvisorRow, ClientRow, ConversationRow, MessageRow, ScheduledMessageRow, conversation_detail, conversation_summary

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

MAX_ID = 2**31 - 1
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _digits_only(value: Any) -> Any:
    """A path id is written in digits alone: pydantic's integers accept `\t3`, ` 3`, `+3`
    or `3_0` too, so one resource had many spellings (found by the schema tests)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("an id is written in digits alone")
    return value


# Ids are 32-bit integers in the database (PostgreSQL INTEGER): larger ones cannot exist.
Id = Annotated[int, BeforeValidator(_digits_only), PathParam(ge=1, le=MAX_ID)]


def _encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode()


def _decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        if not 0 < value <= MAX_ID:
            raise ValueError(value)
        return value
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.") from None


@router.get("", response_model=Page[ConversationSummary])
def list_conversations(
    advisor: CurrentAdvisor,
    session: ReadSession,
    status: str | None = None,
    assignee: str | None = Query(None, description="A username, or 'me'."),
    channel: str | None = None,
    language: str | None = None,
    hub: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> Page[ConversationSummary]:
    require(advisor, *READERS)
    stmt = select(ConversationRow, ClientRow, AdvisorRow.username).join(ClientRow, ClientRow.id == ConversationRow.client_id).outerjoin(
        AdvisorRow, AdvisorRow.id == ConversationRow.assignee_id
    )
    if advisor.role == Role.advisor:
        stmt = stmt.where(or_(ConversationRow.hub == advisor.hub, AdvisorRow.username == advisor.username))
    if status:
        stmt = stmt.where(ConversationRow.status == status)
    if assignee:
        stmt = stmt.where(AdvisorRow.username == (advisor.username if assignee == "me" else assignee))
    if channel:
        stmt = stmt.where(ConversationRow.channel == channel)
    if language:
        stmt = stmt.where(ConversationRow.language == language)
    if hub:
        stmt = stmt.where(ConversationRow.hub == hub.upper())
    after = _decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(ConversationRow.id < after)
    rows = session.execute(stmt.order_by(ConversationRow.id.desc()).limit(limit + 1)).all()
    items = [conversation_summary(conv, client, username) for conv, client, username in rows[:limit]]
    next_cursor = _encode_cursor(items[-1].id) if len(rows) > limit else None
    return Page[ConversationSummary](items=items, next_cursor=next_cursor)


@router.get("/{conversation_id}", response_model=ConversationDetail)
def get_conversation(conversation_id: Id, advisor: CurrentAdvisor, session: ReadSession) -> ConversationDetail:
    require(advisor, *READERS)
    conv = services.visible_conversation(session, advisor, conversation_id)
    messages = session.execute(select(MessageRow).where(MessageRow.conversation_id == conv.id).order_by(MessageRow.at, MessageRow.id)).scalars().all()
    return conversation_detail(services.summary(session, conv), [m for m in messages if supervision.visible_message(advisor, m)])


def write(state: Any, advisor: Any, key: str | None, fingerprint: str, op: Any) -> JSONResponse:
    status, body = services.run_write(state.write_engine, op, scope=advisor.username, key=key, fingerprint=fingerprint)
    return JSONResponse(body, status_code=status)


@router.post("/{conversation_id}/claim", response_model=ConversationSummary, responses={409: {"description": "already_claimed"}})
def claim(conversation_id: Id, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("claim", conversation_id)
    return write(state, advisor, idempotency_key, fp, lambda s: services.claim(s, advisor, conversation_id))


@router.post(
    "/{conversation_id}/messages",
    response_model=Message,
    status_code=201,
    responses={202: {"model": ScheduledMessage, "description": "Scheduled (send_at): the server sends it at send_at"}},
)
def post_message(conversation_id: Id, body: MessageIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("message", conversation_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.post_message(s, advisor, conversation_id, body, idempotency_key))


@router.post("/{conversation_id}/resolve", response_model=ConversationSummary)
def resolve(conversation_id: Id, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("resolve", conversation_id)
    return write(state, advisor, idempotency_key, fp, lambda s: services.resolve(s, advisor, conversation_id))


@router.post("/{conversation_id}/reopen", response_model=ConversationSummary)
def reopen(conversation_id: Id, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("reopen", conversation_id)
    return write(state, advisor, idempotency_key, fp, lambda s: services.reopen(s, advisor, conversation_id))


@router.post("/{conversation_id}/transfer", response_model=ConversationSummary)
def transfer(conversation_id: Id, body: TransferIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("transfer", conversation_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.transfer(s, advisor, conversation_id, body))


@router.post("/{conversation_id}/snooze", response_model=ConversationSummary)
def snooze(conversation_id: Id, body: SnoozeIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("snooze", conversation_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.snooze(s, advisor, conversation_id, body.until))


@router.patch("/{conversation_id}", response_model=ConversationSummary)
def update_conversation(
    conversation_id: Id, body: ConversationUpdateIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Priority (0-3), tags (normalised: stripped, lower-cased, deduplicated) and stage."""
    require(advisor, *STAFF)
    fp = services.request_hash("update", conversation_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.update_conversation(s, advisor, conversation_id, body))


class ScheduledMessages(BaseModel):
    items: list[ScheduledMessage]


@router.get("/{conversation_id}/scheduled", response_model=ScheduledMessages)
def list_scheduled(conversation_id: Id, advisor: CurrentAdvisor, session: ReadSession) -> ScheduledMessages:
    """The conversation's scheduled messages not yet sent, soonest first."""
    require(advisor, *READERS)
    conv = services.visible_conversation(session, advisor, conversation_id)
    rows = session.execute(
        select(ScheduledMessageRow).where(ScheduledMessageRow.conversation_id == conv.id).order_by(ScheduledMessageRow.send_at, ScheduledMessageRow.id)
    ).scalars().all()
    return ScheduledMessages(items=[r.to_model() for r in rows])
