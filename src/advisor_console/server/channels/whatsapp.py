"""WhatsApp through the Cloud API (issue 10).

In: `POST /webhooks/whatsapp` receives the Cloud API's webhook (entry[].changes[].value
with `messages`, `contacts` and `statuses`), signed with `X-Hub-Signature-256`
(HMAC-SHA256 of the raw body with the app secret; anything else is refused);
`GET /webhooks/whatsapp` answers the subscription handshake. A message becomes an inbound
message of the client with that phone number (a new client if none), once: its wamid is
the idempotency key, so a redelivered webhook creates nothing. Text, image (media id and
caption kept as an attachment) and interactive replies (the button's or row's title).
Statuses move our outbound message (found by its wamid) to delivered, read or failed with
the reason.

Out: replies on WhatsApp conversations start "pending"; `WhatsAppSender.tick` (run by the
background loop) posts each to `{graph_url}/{phone_number_id}/messages` in the Cloud
API's format and stores the wamid ("sent"), or "failed" with the reason (retry with POST
/api/v1/messages/{id}/retry).

The 24-hour customer-service window is computed from the client's last inbound message
(`conversation.last_inbound_at`, server/services.py).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import Session

from ...domain.models import Advisor, Channel, InboundContact, InboundIn, Role
from .. import services
from ..errors import ApiError
from ..tables import AdvisorRow, ClientRow, ConversationRow, MessageRow
from .delivery import ORDER, advance, set_delivery

log = logging.getLogger(__name__)
ENV = "ADVISOR_CONSOLE_WHATSAPP_"


@dataclass(frozen=True)
class WhatsAppConfig:
    app_secret: str
    verify_token: str = ""
    graph_url: str = "https://graph.facebook.com/v21.0"
    token: str = ""
    phone_number_id: str = ""

    @classmethod
    def from_env(cls) -> "WhatsAppConfig | None":
        secret = os.environ.get(ENV + "APP_SECRET")
        if not secret:
            return None
        return cls(
            app_secret=secret, verify_token=os.environ.get(ENV + "VERIFY_TOKEN", ""),
            graph_url=os.environ.get(ENV + "GRAPH_URL", cls.graph_url), token=os.environ.get(ENV + "TOKEN", ""),
            phone_number_id=os.environ.get(ENV + "PHONE_NUMBER_ID", ""),
        )


def signature_ok(config: WhatsAppConfig, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(config.app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[7:].strip().lower())


def channel_account(session: Session, username: str = "channel-whatsapp", name: str = "WhatsApp Cloud API") -> Advisor:
    """The service account (role channel) an adapter writes as: created when missing."""
    row = session.execute(select(AdvisorRow).where(AdvisorRow.username == username)).scalar_one_or_none()
    if row is None:
        row = AdvisorRow(username=username, name=name, hub="FLR", languages=[], role=Role.channel.value, capacity=0, password_hash="!")
        session.add(row)
        session.flush()
    return row.to_model()


def _text_of(message: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or ""), []
    if kind in ("image", "document", "audio", "video", "sticker"):
        media = message.get(kind) or {}
        caption = str(media.get("caption") or "")
        attachment = {"type": "media", "name": str(media.get("filename") or kind), "data": {"media_id": str(media.get("id") or ""), "mime_type": str(media.get("mime_type") or ""), "kind": kind}}
        return caption or f"[{kind}]", [attachment]
    if kind == "interactive":
        inter = message.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return str(reply.get("title") or reply.get("id") or "[interactive reply]"), []
    if kind == "button":
        return str((message.get("button") or {}).get("text") or "[button]"), []
    return f"[{kind or 'unknown'} message]", []


def receive(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """One webhook call (in one write transaction): its messages and statuses."""
    if payload.get("object") not in (None, "whatsapp_business_account") or not isinstance(payload.get("entry"), list):
        raise ApiError(422, "invalid_webhook", "Not a WhatsApp Cloud API webhook (object whatsapp_business_account with entry[]).")
    account = channel_account(session)
    created, duplicates, statuses = 0, 0, 0
    for entry in payload["entry"]:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "") for c in value.get("contacts") or [] if isinstance(c, dict)}
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
                    continue
                wamid, sender = str(message["id"])[:200], str(message["from"])
                if session.execute(select(MessageRow.id).where(MessageRow.external_id == wamid)).first() is not None:
                    duplicates += 1
                    continue
                text, attachments = _text_of(message)
                phone = "+" + sender.lstrip("+")
                client = session.execute(select(ClientRow).where(ClientRow.phone == phone)).scalars().first()
                body = InboundIn(
                    channel=Channel.whatsapp, client_id=client.id if client else None,
                    contact=None if client else InboundContact(name=names.get(sender) or phone, phone=phone),
                    body=text[:10_000] or "[empty message]", external_id=wamid,
                )
                _status, result = services.inbound(session, account, body)
                row = session.get(MessageRow, result["message"]["id"])
                if row is not None:
                    row.external_id = wamid
                    if attachments:
                        row.attachments = attachments
                    session.add(row)
                created += 1
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and update_status(session, str(status.get("id") or ""), str(status.get("status") or ""), status.get("errors")):
                    statuses += 1
    return {"messages": created, "duplicates": duplicates, "statuses": statuses}


def update_status(session: Session, wamid: str, state: str, errors: Any = None) -> bool:
    if state not in ORDER or not wamid:
        return False
    row = session.execute(select(MessageRow).where(MessageRow.external_id == wamid, MessageRow.kind == "reply")).scalar_one_or_none()
    if row is None:
        return False
    reason = None
    if state == "failed":
        first = (errors or [{}])[0] if isinstance(errors, list) and errors else {}
        reason = f"{first.get('title') or 'refused by WhatsApp'}" + (f" (code {first.get('code')})" if first.get("code") else "")
    return advance(session, row, state, reason, actor="channel-whatsapp")


class WhatsAppSender:
    """Sends pending WhatsApp replies to the Graph API (called by the background loop)."""

    def __init__(self, config: WhatsAppConfig, write_engine: Any, engine: Any) -> None:
        self.config, self.write_engine, self.engine = config, write_engine, engine
        self.http = httpx.Client(timeout=10)

    def close(self) -> None:
        self.http.close()

    def tick(self) -> int:
        with Session(self.engine) as session:
            pending = session.execute(
                select(MessageRow.id, MessageRow.body, ClientRow.phone, MessageRow.attachments)
                .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id).join(ClientRow, ClientRow.id == ConversationRow.client_id)
                .where(MessageRow.delivery == "pending", MessageRow.kind == "reply", ConversationRow.channel == "whatsapp").order_by(MessageRow.id).limit(20)
            ).all()
        for message_id, body, phone, attachments in pending:
            template = next((a for a in attachments or [] if a.get("type") == "whatsapp_template"), None)
            state, wamid, error = self._send(body, phone, template)

            def store(session: Session, i: int = message_id, st: str = state, w: str | None = wamid, e: str | None = error) -> tuple[int, dict[str, Any]]:
                row = session.get(MessageRow, i)
                if row is not None and row.delivery == "pending":
                    row.external_id = w or row.external_id
                    set_delivery(session, row, st, e, actor="channel-whatsapp")
                return 200, {}

            services.run_write(self.write_engine, store)
        return len(pending)

    def _send(self, body: str, phone: str | None, template: dict[str, Any] | None = None) -> tuple[str, str | None, str | None]:
        if not phone:
            return "failed", None, "The client has no phone number."
        url = f"{self.config.graph_url.rstrip('/')}/{self.config.phone_number_id}/messages"
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": phone.lstrip("+")}
        if template is not None:  # outside the 24-hour window: the approved template, filled
            data = template.get("data") or {}
            payload |= {"type": "template", "template": {
                "name": str(template.get("name") or ""), "language": {"code": str(data.get("language") or "en")},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in data.get("parameters") or []]}],
            }}
        else:
            payload |= {"type": "text", "text": {"preview_url": False, "body": body}}
        try:
            r = self.http.post(url, json=payload, headers={"Authorization": f"Bearer {self.config.token}"})
        except httpx.HTTPError as exc:
            return "failed", None, f"WhatsApp could not be reached ({type(exc).__name__})."
        try:
            data = r.json()
        except ValueError:
            data = {}
        if r.status_code >= 400 or not (data.get("messages") or [{}])[0].get("id"):
            err = (data.get("error") or {}) if isinstance(data, dict) else {}
            return "failed", None, f"{err.get('message') or f'HTTP {r.status_code}'}" + (f" (code {err.get('code')})" if err.get("code") else "")
        return "sent", str(data["messages"][0]["id"])[:200], None
