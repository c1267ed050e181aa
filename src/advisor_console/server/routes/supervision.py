"""Team leads' endpoints (issue 6): the board, its charts' series, the day's report (JSON
or CSV), targets and routing rules, whispers. Anyone else is refused (403) by the server.
Reassigning is POST /conversations/{id}/transfer; an advisor's status and capacity are
POST /advisors/{username}; monitoring is GET /conversations/{id} and the event stream."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from ...domain.models import HUBS, Advisor, Role, _Model
from .. import services, supervision
from ..deps import CurrentAdvisor, ReadSession, State
from ..errors import ApiError, forbidden
from .conversations import Id, IdempotencyKey, write

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])


def team_lead(advisor: Advisor) -> None:
    if advisor.role != Role.supervisor:
        raise forbidden(f"Only a team lead (supervisor) may use the supervision screen; you are signed in as {advisor.role.value}.")


def _hub(hub: str | None) -> str | None:
    if hub is None or hub == "":
        return None
    code = hub.upper()
    if code not in HUBS:
        raise ApiError(422, "unknown_hub", f"There is no hub {hub!r}; hubs are {', '.join(HUBS)}.")
    return code


class WhisperIn(_Model):
    body: str = Field(min_length=1, max_length=5_000)


@router.get("/board")
def get_board(advisor: CurrentAdvisor, session: ReadSession, hub: str | None = Query(None, max_length=8, description="A hub code; none: every hub.")) -> dict[str, Any]:
    """Every advisor (status, load vs capacity, open conversations, oldest unanswered in
    seconds), queue depth by hub, channel and language, the longest wait, and the
    conversations past their channel's first-response target."""
    team_lead(advisor)
    return supervision.board(session, _hub(hub))


@router.get("/series")
def get_series(
    advisor: CurrentAdvisor, session: ReadSession,
    hub: str | None = Query(None, max_length=8), hours: int = Query(6, ge=1, le=72), bucket_minutes: int = Query(15, ge=5, le=240),
) -> dict[str, Any]:
    """Per bucket: conversations awaiting a first response at its end, and the median
    first-response time of those answered within it."""
    team_lead(advisor)
    return supervision.series(session, _hub(hub), hours, bucket_minutes)


@router.get("/report", responses={200: {"content": {"application/json": {}, "text/csv": {}}}})
def get_report(
    advisor: CurrentAdvisor, session: ReadSession,
    day: date = Query(..., description="The day, in the hub's time zone (YYYY-MM-DD)."),
    hub: str = Query(..., max_length=8), attribution_days: int = Query(14, ge=1, le=90),
    format: Literal["json", "csv"] = Query("json"),  # noqa: A002
) -> Response:
    """One day of one hub: conversations handled, first response median and p90, resolved,
    try-on selections sent, purchases attributed (a piece shared with that client and
    bought by her within `attribution_days`)."""
    team_lead(advisor)
    code = _hub(hub)
    if code is None:
        raise ApiError(422, "unknown_hub", f"A report is for one hub: {', '.join(HUBS)}.")
    if not 2000 <= day.year <= 2100:
        raise ApiError(422, "invalid_day", "The day must be between the years 2000 and 2100.")
    data = supervision.report(session, day, code, attribution_days)
    if format == "csv":
        return Response(supervision.report_csv(data), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="report-{code}-{day}.csv"'})
    return JSONResponse(data)


@router.get("/rules")
def get_rules(advisor: CurrentAdvisor, session: ReadSession) -> dict[str, Any]:
    """First-response targets (seconds per channel) and the routing rules."""
    team_lead(advisor)
    return supervision.rules(session)


@router.put("/rules")
def put_rules(advisor: CurrentAdvisor, state: State, body: dict[str, Any] = Body(..., examples=[{"routing": {"enabled": True}, "first_response_targets": {"chat": 90}}]), idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Change targets and routing (only the keys given): `{"first_response_targets":
    {"chat": 90}, "routing": {"enabled": true, "business_hours": {"TYO": [9, 21]}}}`."""
    team_lead(advisor)
    fp = services.request_hash("rules", body)
    return write(state, advisor, idempotency_key, fp, lambda s: supervision.set_rules(s, advisor, body))


@router.post("/conversations/{conversation_id}/whisper", status_code=201)
def post_whisper(conversation_id: Id, body: WhisperIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A note only the advisor holding the conversation sees (and team leads); never the
    client, never another advisor."""
    team_lead(advisor)
    fp = services.request_hash("whisper", conversation_id, body.body)
    return write(state, advisor, idempotency_key, fp, lambda s: supervision.whisper(s, advisor, conversation_id, body.body))
