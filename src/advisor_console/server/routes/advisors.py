"""Advisors: the team list and status/capacity changes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ...domain.models import Advisor, AdvisorUpdateIn, Role
from .. import services
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, require
from ..tables import AdvisorRow
from .conversations import IdempotencyKey, write

router = APIRouter(prefix="/api/v1/advisors", tags=["advisors"])


@router.get("", response_model=list[Advisor])
def list_advisors(advisor: CurrentAdvisor, session: ReadSession, hub: str | None = None) -> list[Advisor]:
    require(advisor, *READERS)
    stmt = select(AdvisorRow).where(AdvisorRow.role != Role.channel.value).order_by(AdvisorRow.hub, AdvisorRow.name)
    if hub:
        stmt = stmt.where(AdvisorRow.hub == hub.upper())
    return [row.to_model() for row in session.execute(stmt).scalars()]


@router.post("/{username}", response_model=Advisor)
def update_advisor(username: str, body: AdvisorUpdateIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("advisor", username, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.update_advisor(s, advisor, username, body))
