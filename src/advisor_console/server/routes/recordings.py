"""GET /api/v1/recordings: a conversation or an advisor's shift as a JSONL recording
(docs/recording-format.md). Team leads and trainers only; always masked for trainers,
unmasked only for a team lead asking mask=false."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ...domain.models import Role
from .. import recording
from ..deps import CurrentAdvisor, ReadSession, require
from .clienteling import _parse_time

router = APIRouter(prefix="/api/v1", tags=["training"])


@router.get("/recordings", response_class=Response, responses={200: {"content": {"application/x-ndjson": {}}}})
def get_recording(
    advisor: CurrentAdvisor,
    session: ReadSession,
    conversation: int | None = Query(None, ge=1, le=2**31 - 1, description="One conversation, whole."),
    advisor_name: str | None = Query(None, alias="advisor", max_length=80, description="An advisor's shift: with since and until."),
    since: str | None = Query(None, max_length=40),
    until: str | None = Query(None, max_length=40),
    mask: bool = Query(True, description="Team leads only may ask false; trainers always get masked data."),
) -> Response:
    require(advisor, Role.supervisor, Role.trainer)
    masked = mask or advisor.role != Role.supervisor
    start: datetime | None = _parse_time(since, "since")
    end: datetime | None = _parse_time(until, "until")
    body = "".join(recording.recording_lines(session, conversation_id=conversation, advisor=advisor_name, since=start, until=end, mask=masked, source="api"))
    return Response(body, media_type="application/x-ndjson", headers={"Content-Disposition": 'attachment; filename="recording.jsonl"'})
