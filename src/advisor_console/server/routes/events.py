"""The event log: catch-up page and the live SSE stream (resumable with Last-Event-ID)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from ...domain.models import Advisor, EventsPage
from .. import eventlog, services
from ..deps import READERS, CurrentAdvisor, ReadSession, State, ServerState, require
from ..errors import ApiError
from ..fanout import KEEPALIVE_SECONDS, EventStreamResponse
from ..presence import Subscriber

router = APIRouter(prefix="/api/v1/events", tags=["events"])

BATCH = 500


@router.get("", response_model=EventsPage)
def read_events(
    advisor: CurrentAdvisor,
    session: ReadSession,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=5000),
) -> Response:
    require(advisor, *READERS)
    # The page's JSON is built directly (the catch-up of a long log is mostly this route).
    body, count, last = eventlog.read_after_json(session, after, limit, advisor)
    # A full page names the next one, so a reader can ask for it before parsing this one.
    headers = {"X-Next-After": str(last)} if count >= limit else None
    return Response(body, media_type="application/json", headers=headers)


def _read(state: ServerState, after: int, advisor: Advisor) -> tuple[bytes, int, bool]:
    """A stream's own read of the log, when it is further behind than the shared tail: the
    chunk to send, the seq to advance to, whether more follow."""
    with Session(state.engine) as session:
        chunk, last, count = eventlog.read_after_sse(session, after, BATCH, advisor)
    return chunk, last, count == BATCH


def _presence_frames(sub: Subscriber, advisor: Advisor) -> str:
    """Presence changes for the conversations `advisor` may see: SSE events with no id, so
    Last-Event-ID stays the last logged seq."""
    frames = []
    for hub, assignee, payload in sub.drain():
        if services.can_see(advisor, hub, assignee):
            frames.append(f"event: presence\ndata: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n")
    return "".join(frames)


async def _wait(state: ServerState, version: int, presence_wake: asyncio.Event) -> bool:
    """Until the log grows or a presence change arrives (True), or the keepalive (False).
    (The web chat's visitor stream waits with it; the advisors' streams are fanout.py's.)"""
    if presence_wake.is_set():
        return True
    log_task = asyncio.ensure_future(state.bus.wait(KEEPALIVE_SECONDS, version))
    presence_task = asyncio.ensure_future(presence_wake.wait())
    try:
        done, _ = await asyncio.wait({log_task, presence_task}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        log_task.cancel()
        presence_task.cancel()
    return presence_task in done or (log_task in done and not log_task.cancelled() and log_task.result())


@router.get("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def stream_events(
    advisor: CurrentAdvisor,
    state: State,
    after: int = Query(0, ge=0, le=2**62),
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    require(advisor, *READERS)
    if last_event_id:
        try:
            resume = int(last_event_id)
            if not 0 <= resume <= 2**62:
                raise ValueError(resume)
            after = max(after, resume)
        except ValueError:
            raise ApiError(400, "invalid_last_event_id", "Last-Event-ID must be a sequence number.") from None
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    # One broadcaster wakes this process's streams; see server/fanout.py.
    return EventStreamResponse(state, advisor, after, _read, _presence_frames, headers=headers)
