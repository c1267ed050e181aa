"""Channel webhooks (issue 10): WhatsApp Cloud API in; a failed reply's retry."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field
from sqlmodel import Session

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ...domain.models import InboundContact, InTime, Role, _Model
from .. import services
from ..channels import delivery, phone, whatsapp
from ..deps import STAFF, CurrentAdvisor, State, require
from ..errors import ApiError
from .conversations import Id, IdempotencyKey, write

router = APIRouter(tags=["channels"])


def _config(state: object) -> whatsapp.WhatsAppConfig:
    config = getattr(state, "whatsapp", None)
    if config is None:
        raise ApiError(404, "channel_disabled", "WhatsApp is not enabled on this server (set ADVISOR_CONSOLE_WHATSAPP_APP_SECRET).")
    return config


@router.get("/webhooks/whatsapp", response_model=None, responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "hub.challenge, echoed"}})
def whatsapp_verify(
    state: State,
    mode: str = Query("", alias="hub.mode", max_length=40),
    token: str = Query("", alias="hub.verify_token", max_length=500),
    challenge: str = Query("", alias="hub.challenge", max_length=500),
) -> PlainTextResponse:
    """The subscription handshake: echo hub.challenge when hub.verify_token matches."""
    config = _config(state)
    if mode != "subscribe" or not config.verify_token or token != config.verify_token:
        raise ApiError(403, "verification_failed", "The verify token does not match.")
    return PlainTextResponse(challenge)


@router.post("/webhooks/whatsapp")
async def whatsapp_webhook(request: Request, state: State) -> JSONResponse:
    """Messages and statuses from the WhatsApp Cloud API, signed with X-Hub-Signature-256."""
    config = _config(state)
    raw = await request.body()
    if not whatsapp.signature_ok(config, raw, request.headers.get("x-hub-signature-256")):
        raise ApiError(401, "bad_signature", "X-Hub-Signature-256 is missing or does not match the body.")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The webhook body is not JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_webhook", "The webhook body is not a JSON object.")
    status, result = services.run_write(state.write_engine, lambda s: (200, whatsapp.receive(s, payload)))
    return JSONResponse(result, status_code=status)


@router.post("/api/v1/messages/{message_id}/retry")
def retry_message(message_id: Id, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Send a failed reply again (its delivery goes back to pending)."""
    require(advisor, *STAFF)
    fp = services.request_hash("retry", message_id)
    return write(state, advisor, idempotency_key, fp, lambda s: delivery.retry(s, advisor, message_id))


class CallbackIn(_Model):
    client_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    contact: InboundContact | None = None
    when: InTime | None = None  # when she wants the call (default: in 30 minutes)
    note: str = Field(default="asked to be called", max_length=500)


@router.post("/api/v1/callbacks", status_code=201)
def request_callback(body: CallbackIn, advisor: CurrentAdvisor, state: State) -> JSONResponse:
    """A client asks to be called back (the chat page, a channel adapter): a callback task
    for her, due when she said (or in 30 minutes). Channel accounts only."""
    require(advisor, Role.channel)

    def op(session: Session) -> tuple[int, dict[str, Any]]:
        client = services.client_for(session, body.client_id, body.contact)
        return 201, phone.request_callback(session, client, advisor.username, body.note, due=body.when)

    status, result = services.run_write(state.write_engine, op)
    return JSONResponse(result, status_code=status)
