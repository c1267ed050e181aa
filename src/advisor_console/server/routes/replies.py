"""Canned replies (and approved WhatsApp templates) and scheduled messages."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ...domain.models import CannedReply, ScheduledMessage
from .. import canned, services
from ..deps import READERS, STAFF, CurrentAdvisor, State, require
from .conversations import Id, IdempotencyKey, write

router = APIRouter(prefix="/api/v1", tags=["replies"])


class CannedReplies(BaseModel):
    items: list[CannedReply]


@router.get("/canned-replies", response_model=CannedReplies)
def canned_replies(advisor: CurrentAdvisor, language: str | None = Query(None, max_length=20, description="e.g. ja, zh-Hant; all languages without it")) -> CannedReplies:
    require(advisor, *READERS)
    return CannedReplies(items=canned.for_language(language))


@router.delete("/scheduled-messages/{scheduled_id}", response_model=ScheduledMessage)
def cancel_scheduled(scheduled_id: Id, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Cancel a scheduled message (its author or a team lead): 404 once sent or cancelled."""
    require(advisor, *STAFF)
    fp = services.request_hash("unschedule", scheduled_id)
    return write(state, advisor, idempotency_key, fp, lambda s: services.cancel_scheduled(s, advisor, scheduled_id))
