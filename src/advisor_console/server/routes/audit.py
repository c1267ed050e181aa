"""GET /api/v1/audit: who viewed or changed which client profile, for team leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from ...domain.models import Page, Role
from ..deps import CurrentAdvisor, ReadSession, require
from ..tables import AuditRow
from .conversations import MAX_ID, _decode_cursor, _encode_cursor

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    client_id: int | None
    detail: dict[str, Any]


@router.get("/audit", response_model=Page[AuditEntry])
def read_audit(
    advisor: CurrentAdvisor,
    session: ReadSession,
    client_id: int | None = Query(None, ge=1, le=MAX_ID),
    actor: str | None = Query(None, max_length=200),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Newest first. Supervisors only."""
    require(advisor, Role.supervisor)
    stmt = select(AuditRow).order_by(AuditRow.id.desc())
    if client_id is not None:
        stmt = stmt.where(AuditRow.client_id == client_id)
    if actor:
        stmt = stmt.where(AuditRow.actor == actor)
    before = _decode_cursor(cursor)
    if before is not None:
        stmt = stmt.where(AuditRow.id < before)
    rows = session.execute(stmt.limit(limit + 1)).scalars().all()
    items = [AuditEntry.model_validate(r.model_dump()) for r in rows[:limit]]
    return Page[AuditEntry](items=items, next_cursor=_encode_cursor(items[-1].id) if len(rows) > limit else None)
