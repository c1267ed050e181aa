"""Web chat: the chat page (/chat, /chat/demo, /chat/embed.js), the visitor's API
(/api/v1/visitor/...) and the advisors' live visitors (/api/v1/visitors). Logic in
server/webchat.py."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ...domain.models import (
    Visitor,
    VisitorChatMessage,
    VisitorIdentifyIn,
    VisitorInvitation,
    VisitorInvitationIn,
    VisitorInviteIn,
    VisitorList,
    VisitorMessageIn,
    VisitorPingIn,
    VisitorSession,
    VisitorSessionIn,
    VisitorTypingIn,
    VisitorViewIn,
    _Model,
)
from pydantic import Field

from .. import services, webchat
from ..channels import delivery
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, ServerState, State, require
from ..errors import ApiError
from ..tables import ClientRow, ProductRow, WebVisitorRow
from .conversations import Id, IdempotencyKey
from .events import _wait

router = APIRouter(tags=["web chat"])

Authorization = Annotated[str | None, Header()]


def _static(name: str) -> str:
    return resources.files("advisor_console.server").joinpath("static", name).read_text("utf-8")


# ---- the page --------------------------------------------------------------------------------


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
def chat_page() -> HTMLResponse:
    """The client-facing chat page (static/chat.html): embed it in an iframe, or with
    /chat/embed.js. `?sku=` reports that product as viewed when it opens."""
    return HTMLResponse(_static("chat.html"), headers={"Cache-Control": "no-cache"})


@router.get("/chat/embed.js", include_in_schema=False)
def embed_script() -> Response:
    return Response(_static("embed.js"), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/chat/demo", response_class=HTMLResponse, include_in_schema=False)
def demo_page(session: ReadSession, sku: str | None = Query(None, max_length=40)) -> HTMLResponse:
    """A tiny product page of the demo catalogue that embeds the chat (with embed.js)."""
    products = session.execute(select(ProductRow).order_by(ProductRow.id).limit(12)).scalars().all()
    chosen = next((p for p in products if p.sku == sku), None)
    if chosen is None and sku:
        chosen = session.execute(select(ProductRow).where(ProductRow.sku == sku)).scalar_one_or_none()
    chosen = chosen or (products[0] if products else None)
    items = "\n".join(
        f'<li><a class="product" data-sku="{html.escape(p.sku)}" href="/chat/demo?sku={html.escape(p.sku)}">{html.escape(p.name)}</a>'
        f' <small>{html.escape(p.line)} · {html.escape(p.category)}</small></li>'
        for p in products
    )
    title = html.escape(chosen.name) if chosen else "Our collection"
    detail = (
        f'<p id="product-detail" data-sku="{html.escape(chosen.sku)}">{html.escape(chosen.line)} · {html.escape(chosen.category)} · '
        f"{html.escape(chosen.season)} · SKU {html.escape(chosen.sku)}</p>"
        if chosen
        else ""
    )
    page = _static("demo.html").replace("{{detail}}", detail).replace("{{items}}", items).replace("{{title}}", title)
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


# ---- the visitor's API -----------------------------------------------------------------------


def current_visitor(request: Request, authorization: Authorization = None) -> int:
    """The visitor of this token (not an advisor's token: those are refused here)."""
    token = webchat.bearer(authorization)
    if token is None:
        raise ApiError(401, "unauthorized", "Start a visitor session first (POST /api/v1/visitor/session) and send its token.")
    with Session(request.app.state.server.engine) as session:
        row = webchat.visitor_by_token(session, token)
        if row is None:
            raise ApiError(401, "unknown_visitor", "This visitor token is not known; start a new session (POST /api/v1/visitor/session).")
        return row.id or 0


CurrentVisitor = Annotated[int, Depends(current_visitor)]


def _write(state: ServerState, visitor_id: int | None, op, key: str | None = None, fingerprint: str = "") -> JSONResponse:  # type: ignore[no-untyped-def]
    status, body = services.run_write(state.write_engine, op, scope=f"visitor:{visitor_id}" if key else None, key=key, fingerprint=fingerprint)
    if status == 204:
        return Response(status_code=204)  # type: ignore[return-value]
    return JSONResponse(body, status_code=status)


@router.post("/api/v1/visitor/session", response_model=VisitorSession, responses={201: {"model": VisitorSession, "description": "A new visitor"}})
def start_session(body: VisitorSessionIn, state: State, authorization: Authorization = None) -> JSONResponse:
    """Start a visitor session (no token, or one the server does not know: 201 with a new
    token) or resume one (her token as `Authorization: Bearer`: 200, her conversation so
    far, a pending invitation, and `last_seq` to resume her stream after)."""
    token = webchat.bearer(authorization)
    return _write(state, None, lambda s: webchat.start(s, token, body))


@router.post("/api/v1/visitor/messages", response_model=VisitorChatMessage, status_code=201)
def post_message(body: VisitorMessageIn, visitor: CurrentVisitor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Her message: into her open chat conversation, or a new one in the queue."""
    fp = services.request_hash("visitor-message", body.body)
    return _write(state, visitor, lambda s: webchat.post_message(s, visitor, body.body), idempotency_key, fp)


@router.post("/api/v1/visitor/typing", status_code=204, response_class=Response)
def post_typing(body: VisitorTypingIn, visitor: CurrentVisitor, session: ReadSession, state: State) -> Response:
    """She is typing (or stopped): advisors see presence entry `client` on her conversation."""
    row = session.get(webchat.WebVisitorRow, visitor)
    conv = webchat.open_conversation(session, row) if row is not None else None
    if conv is not None:
        client = session.get(ClientRow, conv.client_id)
        state.presence.post(
            conv.id or 0, conv.hub, services.username_of(session, conv.assignee_id), "client", client.name if client else "Client", "typing" if body.typing else "left"
        )
    return Response(status_code=204)


@router.post("/api/v1/visitor/view", response_model=Visitor)
def post_view(body: VisitorViewIn, visitor: CurrentVisitor, state: State) -> JSONResponse:
    """She is looking at this product (the embedding site calls AdvisorChat.viewed(sku))."""
    return _write(state, visitor, lambda s: webchat.view(s, visitor, body.sku, body.page))


@router.post("/api/v1/visitor/ping", status_code=204, response_class=Response)
def post_ping(body: VisitorPingIn, visitor: CurrentVisitor, state: State) -> Response:
    """Her page is still open (every 20 s); silent for 60 s, she has left."""
    return _write(state, visitor, lambda s: webchat.ping(s, visitor, body.page))


@router.post("/api/v1/visitor/identify")
def identify(body: VisitorIdentifyIn, visitor: CurrentVisitor, state: State) -> JSONResponse:
    """Her email (and name): links her to the client with that email, or makes one."""
    return _write(state, visitor, lambda s: webchat.identify(s, visitor, body.email, body.name))


@router.post("/api/v1/visitor/invitation", response_model=VisitorInvitation)
def answer_invitation(body: VisitorInvitationIn, visitor: CurrentVisitor, state: State) -> JSONResponse:
    """Accept (her conversation goes to the inviting advisor) or dismiss an invitation."""
    return _write(state, visitor, lambda s: webchat.answer_invitation(s, visitor, body.accept))


def _frame(event: str, data: object, seq: int | None = None) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def _poll(state: ServerState, visitor_id: int, cursor: int):  # type: ignore[no-untyped-def]
    with Session(state.engine) as session:
        messages, last, row = webchat.stream_poll(session, visitor_id, cursor)
        invitation = webchat.invitation_of(session, row) if row is not None else None
        return messages, last, list(row.conversation_ids or []) if row is not None else None, invitation


def _typing(state: ServerState, conversation_ids: list[int]) -> dict[str, object]:
    for cid in conversation_ids:
        for entry in state.presence.snapshot(cid).advisors:
            if entry.state == "typing" and entry.username != "client":
                return {"typing": True, "name": entry.name}
    return {"typing": False, "name": None}


async def _visitor_stream(request: Request, state: ServerState, visitor_id: int, after: int) -> AsyncIterator[str]:
    cursor = after
    wake = asyncio.Event()
    presence = state.presence.subscribe(asyncio.get_running_loop(), wake)  # held while we stream: it wakes us
    sent_invitation: object = ()
    sent_typing: object = None
    yield "retry: 2000\n\n"
    while True:
        version = state.bus.version
        wake.clear()
        presence.drain()
        messages, last, conversation_ids, invitation = await run_in_threadpool(_poll, state, visitor_id, cursor)
        if conversation_ids is None:
            return
        frames = [_frame("message", m.model_dump(mode="json"), seq) for seq, m in messages]
        if not frames and last > cursor:
            frames.append(_frame("cursor", {"last_seq": last}, last))
        cursor = max(cursor, last)
        inv = invitation.model_dump(mode="json") if invitation is not None else None
        if inv != sent_invitation:
            frames.append(_frame("invitation", inv))
            sent_invitation = inv
        typing = _typing(state, conversation_ids)
        if typing != sent_typing:
            frames.append(_frame("typing", typing))
            sent_typing = typing
        if frames:
            yield "".join(frames)
        replies = [m.id for _seq, m in messages if m.kind == "reply"]
        if replies:  # her feed carried them: delivered (advisors see ✓✓ delivered)
            await run_in_threadpool(services.run_write, state.write_engine, lambda s, ids=replies, cids=conversation_ids: (200, {"moved": delivery.mark_replies(s, list(cids), "delivered", ids=ids)}))
        if await request.is_disconnected():
            return
        if not await _wait(state, version, wake):
            yield ": keepalive\n\n"


class VisitorReadIn(_Model):
    upto: int = Field(ge=1, le=2**31 - 1)


@router.post("/api/v1/visitor/read", status_code=204, response_class=Response)
def post_read(body: VisitorReadIn, visitor: CurrentVisitor, state: State) -> Response:
    """Her page showed the advisors' replies up to `upto`: they are read."""

    def op(session: Session) -> tuple[int, dict[str, Any]]:
        row = session.get(WebVisitorRow, visitor)
        moved = delivery.mark_replies(session, list(row.conversation_ids or []) if row else [], "read", upto=body.upto)
        return 200, {"moved": moved}

    services.run_write(state.write_engine, op)
    return Response(status_code=204)


@router.get("/api/v1/visitor/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def visitor_stream(
    request: Request,
    visitor: CurrentVisitor,
    state: State,
    after: int = Query(0, ge=0, le=2**62),
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Her live feed (SSE): `message` (her messages and advisors' replies, `id:` the log's
    seq), `typing` ({typing, name}: an advisor is typing in her conversation),
    `invitation` (an advisor's invitation, or null). Resume with ?after= or Last-Event-ID."""
    if last_event_id:
        if not last_event_id.isdecimal() or int(last_event_id) > 2**62:
            raise ApiError(400, "invalid_last_event_id", "Last-Event-ID must be a sequence number.")
        after = max(after, int(last_event_id))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_visitor_stream(request, state, visitor, after), media_type="text/event-stream", headers=headers)


# ---- the advisors' live visitors -------------------------------------------------------------


@router.get("/api/v1/visitors", response_model=VisitorList)
def list_visitors(advisor: CurrentAdvisor, session: ReadSession) -> VisitorList:
    """The visitors on the website now (their page reported in the last 60 s), most recent
    first: current product and since when, products viewed, returning, VIC, invitation.
    Follow changes with `visitor.updated` events on the stream."""
    require(advisor, *READERS)
    return VisitorList(items=webchat.live_visitors(session))


@router.post("/api/v1/visitors/{visitor_id}/invite", response_model=Visitor, responses={409: {"description": "visitor_gone, already_invited"}})
def invite(visitor_id: Id, advisor: CurrentAdvisor, state: State, body: VisitorInviteIn | None = None, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Invite a live visitor to chat: her page shows "May I help you? — <your name>"."""
    require(advisor, *STAFF)
    message = body.message if body is not None else None
    fp = services.request_hash("invite", visitor_id, message)
    status, result = services.run_write(state.write_engine, lambda s: webchat.invite(s, advisor, visitor_id, message), scope=advisor.username, key=idempotency_key, fingerprint=fp)
    return JSONResponse(result, status_code=status)
