"""The event log: catch-up page and the live SSE stream (resumable with Last-Event-ID)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ...domain.models import Advisor, EventsPage
from .. import eventlog
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, ServerState, require
from ..errors import ApiError

router = APIRouter(prefix="/api/v1/events", tags=["events"])

KEEPALIVE_SECONDS = 15.0
BATCH = 500


@router.get("", response_model=EventsPage)
def read_events(
    advisor: CurrentAdvisor,
    session: ReadSession,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(500, ge=1, le=5000),
) -> EventsPage:
    require(advisor, *READERS)
    events, last = eventlog.read_after(session, after, limit, advisor)
    return EventsPage(events=events, last_seq=last)


def _read(state: ServerState, after: int, advisor: Advisor) -> tuple[list, int]:
    with Session(state.engine) as session:
        return eventlog.read_after(session, after, BATCH, advisor)


async def _stream(request: Request, state: ServerState, advisor: Advisor, after: int) -> AsyncIterator[str]:
    cursor = after
    yield "retry: 2000\n\n"
    while True:
        version = state.bus.version
        events, last = await run_in_threadpool(_read, state, cursor, advisor)
        for e in events:
            payload = json.dumps(e.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
            yield f"id: {e.seq}\nevent: {e.type}\ndata: {payload}\n\n"
        if last > cursor and not events:
            # Only filtered-out events: tell the reader how far it may advance.
            yield f"id: {last}\nevent: cursor\ndata: {{\"last_seq\": {last}}}\n\n"
        cursor = max(cursor, last)
        if len(events) == BATCH:
            continue
        if await request.is_disconnected():
            return
        if state.bus.version == version:
            woke = await state.bus.wait(KEEPALIVE_SECONDS)
            if not woke:
                yield ": keepalive\n\n"


@router.get("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def stream_events(
    request: Request,
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
    return StreamingResponse(_stream(request, state, advisor, after), media_type="text/event-stream", headers=headers)
