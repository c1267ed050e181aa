"""Web chat and live visitors (issue 10): the logic behind /chat and /api/v1/visitor(s).

The visitor
- The chat page (static/chat.html) starts a session with POST /api/v1/visitor/session; the
  first time, with no token, the server issues a random opaque token (kept hashed in
  `web_visitor`, like advisors' tokens) that the page keeps in localStorage and sends as
  `Authorization: Bearer <token>` from then on. It is not an advisor token: the advisors'
  routes refuse it (401), and the visitor routes refuse advisors' tokens. The request
  limits (server/limits.py) apply per token like everywhere; starting a session without
  a token is limited per IP address.
- Her messages go through `services.inbound` (channel "chat"), as a channel adapter's
  would: they land in the queues and on the advisors' streams. Until she says who she is,
  she is an anonymous client ("Web visitor <id>", hub from her browser's locale).
- She is linked to a client when she gives her email (POST /visitor/identify): a client
  with that email (case-insensitive) if there is one — her conversations move to that
  client — else her anonymous client takes the email (and the name she gave). "I have an
  account" is the same call: the email is enough here, there is no password. So a visitor
  never sees anything of the client's past: only the conversations she wrote in from
  this browser (`conversation_ids`), and of those only her messages and the advisors'
  replies — never notes, call notes or system messages.
- Her stream (GET /visitor/stream, SSE read with fetch so that the token stays in a
  header) sends `message` (id: the log's seq), `typing` (an advisor is typing in her
  conversation: server/presence.py) and `invitation` events.
- She reports typing (POST /visitor/typing): presence entry "client" on her conversation.

Live visitors
- The page reports the products she views (POST /visitor/view) and pings every 20 s
  (POST /visitor/ping). Advisors read GET /api/v1/visitors (those live now) and follow
  `visitor.updated` events in the log (about no conversation: every advisor sees them).
  Changes that matter are logged (arrived, viewed, linked, chat, invited, invitation
  answered, left) so that streams resume and several processes agree; pings are not:
  `left` is logged by the background loop when a page has been silent for VISITOR_TTL.
- An advisor invites a live visitor (POST /visitors/{id}/invite); the page shows the
  invitation; if she accepts, her conversation is assigned to that advisor (at once if
  she has an open one, else with her first message).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from ..domain import events as ev
from ..domain.models import (
    Advisor,
    Channel,
    InboundIn,
    MessageKind,
    Role,
    Visitor,
    VisitorChatMessage,
    VisitorInvitation,
    VisitorSession,
    VisitorSessionIn,
    VisitorView,
    language_of_locale,
)
from . import eventlog, services
from .errors import ApiError, not_found
from .eventlog import utcnow
from .security import token_digest
from .tables import AdvisorRow, ClientRow, ConversationRow, EventRow, MessageRow, ProductRow, WebVisitorRow

VISITOR_TTL = timedelta(seconds=60)  # a page silent for this long has left (it pings every 20 s)
NEW_VISIT_AFTER = timedelta(minutes=30)  # a session resumed after this long is a new visit
MAX_VIEWED = 50
HISTORY = 200  # messages a resumed page gets back
DEFAULT_INVITATION = "May I help you?"
VISITOR_ACTOR = "visitor"
# Her messages arrive as from a channel adapter (the actor of conversation.created).
WEB_CHANNEL = Advisor(id=0, username="channel-web", name="Web chat", hub="FLR", role=Role.channel)
VISIBLE_KINDS = (MessageKind.inbound.value, MessageKind.reply.value)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# ---- reading ------------------------------------------------------------------------------


def visitor_by_token(session: Session, token: str | None) -> WebVisitorRow | None:
    if not token:
        return None
    return session.execute(select(WebVisitorRow).where(WebVisitorRow.token_hash == token_digest(token))).scalar_one_or_none()


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def _visitor(session: Session, visitor_id: int) -> WebVisitorRow:
    row = session.get(WebVisitorRow, visitor_id)
    if row is None:
        raise not_found("Visitor")
    return row


def to_visitor(session: Session, row: WebVisitorRow, now: datetime | None = None) -> Visitor:
    client = session.get(ClientRow, row.client_id) if row.client_id else None
    invitation = invitation_of(session, row)
    tier = client.vic_tier if client else "none"
    return Visitor(
        id=row.id or 0,
        label=client.name if client else f"Visitor {row.id}",
        client_id=row.client_id,
        vic_tier=tier,
        vic=tier not in ("", "none"),
        returning=row.visits > 1 or row.known_client,
        visits=row.visits,
        locale=row.locale,
        first_seen_at=row.created_at,
        last_seen_at=row.last_seen_at,
        live=row.live,
        current_page=row.current_page,
        current_sku=row.current_sku,
        current_product=row.current_product,
        since=row.current_since,
        viewed=[VisitorView.model_validate(v) for v in row.viewed or []],
        conversation_id=(row.conversation_ids or [None])[-1],
        invitation=invitation,
    )


def invitation_of(session: Session, row: WebVisitorRow) -> VisitorInvitation | None:
    if row.invitation_status is None or row.invited_by_id is None or row.invitation_at is None:
        return None
    adv = session.get(AdvisorRow, row.invited_by_id)
    return VisitorInvitation(
        advisor=adv.username if adv else "",
        advisor_name=adv.name if adv else "",
        message=row.invitation_message or DEFAULT_INVITATION,
        status=row.invitation_status,  # type: ignore[arg-type]
        at=row.invitation_at,
    )


def live_visitors(session: Session) -> list[Visitor]:
    rows = session.execute(select(WebVisitorRow).where(WebVisitorRow.live.is_(True)).order_by(WebVisitorRow.last_seen_at.desc()).limit(500)).scalars().all()
    return [to_visitor(session, r) for r in rows]


def _names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return dict(session.execute(select(AdvisorRow.username, AdvisorRow.name).where(AdvisorRow.username.in_(sorted(usernames)))).all())


def chat_message(raw: dict[str, Any], names: dict[str, str]) -> VisitorChatMessage | None:
    """A message (Message's JSON) as the visitor sees it; None for what she may not see."""
    if raw.get("kind") not in VISIBLE_KINDS:
        return None
    mine = raw["kind"] == MessageKind.inbound.value
    author = raw.get("author", "")
    return VisitorChatMessage(
        id=raw["id"],
        conversation_id=raw["conversation_id"],
        kind=raw["kind"],
        body=raw.get("body", ""),
        author_name="You" if mine else names.get(author, "Your advisor"),
        at=raw["at"],
        attachments=[a for a in raw.get("attachments", []) if a.get("type") not in ("quote", "call")],
    )


def history(session: Session, row: WebVisitorRow) -> list[VisitorChatMessage]:
    ids = list(row.conversation_ids or [])
    if not ids:
        return []
    rows = session.execute(
        select(MessageRow)
        .where(MessageRow.conversation_id.in_(ids), MessageRow.kind.in_(VISIBLE_KINDS))
        .order_by(MessageRow.at.desc(), MessageRow.id.desc())
        .limit(HISTORY)
    ).scalars().all()
    raws = [m.to_model().model_dump(mode="json") for m in reversed(rows)]
    names = _names(session, {r["author"] for r in raws if r["kind"] == "reply"})
    return [m for m in (chat_message(r, names) for r in raws) if m is not None]


def head(session: Session) -> int:
    return session.execute(select(func.max(EventRow.seq))).scalar() or 0


def stream_poll(session: Session, visitor_id: int, cursor: int, limit: int = 500) -> tuple[list[tuple[int, VisitorChatMessage]], int, WebVisitorRow | None]:
    """Her messages logged after `cursor` (seq, message), the seq she may advance to, and
    her visitor row (None if it is gone)."""
    row = session.get(WebVisitorRow, visitor_id)
    top = head(session)
    if row is None:
        return [], top, None
    ids = list(row.conversation_ids or [])
    if not ids or top <= cursor:
        return [], max(cursor, top), row
    events = session.execute(
        select(EventRow.seq, EventRow.data)
        .where(EventRow.seq > cursor, EventRow.seq <= top, EventRow.type == ev.MESSAGE_CREATED, EventRow.conversation_id.in_(ids))
        .order_by(EventRow.seq)
        .limit(limit)
    ).all()
    raws = [(seq, (data or {}).get("message") or {}) for seq, data in events]
    names = _names(session, {r.get("author", "") for _, r in raws if r.get("kind") == "reply"})
    out = [(seq, m) for seq, m in ((seq, chat_message(r, names)) for seq, r in raws) if m is not None]
    last = events[-1][0] if len(events) == limit else top
    return out, max(cursor, last), row


def open_conversation(session: Session, row: WebVisitorRow) -> ConversationRow | None:
    """Her newest conversation that is not resolved."""
    for cid in reversed(row.conversation_ids or []):
        conv = session.get(ConversationRow, cid)
        if conv is not None and conv.status != "resolved":
            return conv
    return None


# ---- writes (each inside services.run_write) -------------------------------------------------


def _emit(session: Session, row: WebVisitorRow, change: str, actor: str = VISITOR_ACTOR) -> dict[str, Any]:
    session.add(row)
    session.flush()
    visitor = to_visitor(session, row).model_dump(mode="json")
    eventlog.append(session, ev.VISITOR_UPDATED, actor, {"visitor": visitor, "change": change})
    return visitor


def _session_answer(session: Session, row: WebVisitorRow, token: str) -> dict[str, Any]:
    client = session.get(ClientRow, row.client_id) if row.client_id else None
    top = head(session)  # before the history: a message in between comes twice, never not at all
    return VisitorSession(
        token=token,
        visitor_id=row.id or 0,
        name=client.name if client is not None and client.email else None,
        linked=bool(client is not None and client.email),
        messages=history(session, row),
        invitation=invitation_of(session, row),
        last_seq=top,
    ).model_dump(mode="json")


def start(session: Session, token: str | None, body: VisitorSessionIn) -> tuple[int, dict[str, Any]]:
    """Start (201, a new token) or resume (200, the same token) a visitor's session."""
    now = utcnow()
    row = visitor_by_token(session, token)
    status = 200
    if row is None:
        token = secrets.token_urlsafe(32)
        row = WebVisitorRow(
            token_hash=token_digest(token),
            created_at=now,
            last_seen_at=now,
            visit_started_at=now,
            current_since=now,
            locale=_locale(body.locale),
        )
        session.add(row)
        session.flush()
        change: str | None = "arrived"
        status = 201
    else:
        change = None
        if now - row.last_seen_at > NEW_VISIT_AFTER:
            row.visits += 1
            row.visit_started_at = now
            change = "arrived"
        elif not row.live:
            change = "arrived"
        row.live = True
        row.last_seen_at = now
        if body.locale:
            row.locale = _locale(body.locale)
    assert token is not None
    if body.page is not None and body.page != row.current_page:
        row.current_page, row.current_since = body.page, now
        change = change or "viewed"
    if body.sku:
        viewed = _view(session, row, body.sku, now)
        change = change or viewed  # "arrived" (on that product) says more than "viewed"
    if change:
        _emit(session, row, change)
    else:
        session.add(row)
    return status, _session_answer(session, row, token)


def _locale(value: str | None) -> str:
    value = (value or "en").strip()
    return value if re.fullmatch(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*", value) else "en"


def _view(session: Session, row: WebVisitorRow, sku: str, now: datetime) -> str | None:
    product = session.execute(select(ProductRow).where(ProductRow.sku == sku)).scalar_one_or_none()
    if product is None:
        raise ApiError(422, "unknown_product", f"There is no product with SKU {sku!r}.")
    if row.current_sku == product.sku:
        return None  # the same product again (a reload)
    row.current_sku, row.current_product, row.current_since = product.sku, product.name, now
    viewed = [{"sku": product.sku, "name": product.name, "at": now.isoformat()}]
    viewed += [v for v in row.viewed or [] if v.get("sku") != product.sku]
    row.viewed = viewed[:MAX_VIEWED]
    return "viewed"


def view(session: Session, visitor_id: int, sku: str, page: str | None) -> tuple[int, dict[str, Any]]:
    now = utcnow()
    row = _visitor(session, visitor_id)
    row.last_seen_at, row.live = now, True
    if page is not None:
        row.current_page = page
    if _view(session, row, sku, now) is None:
        session.add(row)
        return 200, to_visitor(session, row).model_dump(mode="json")
    return 200, _emit(session, row, "viewed")


def ping(session: Session, visitor_id: int, page: str | None) -> tuple[int, dict[str, Any]]:
    """The page is still open (not logged unless something changed)."""
    now = utcnow()
    row = _visitor(session, visitor_id)
    change = None if row.live else "arrived"
    row.last_seen_at, row.live = now, True
    if page is not None and page != row.current_page:
        row.current_page, row.current_since = page, now
        row.current_sku = row.current_product = None
        change = change or "viewed"
    if change:
        _emit(session, row, change)
    else:
        session.add(row)
    return 204, {}


def _new_client(session: Session, row: WebVisitorRow, name: str, email: str | None = None) -> ClientRow:
    """A client made from the chat page: locale and hub from her browser's locale."""
    parts = row.locale.replace("_", "-").split("-")
    country = parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else "ZZ"
    return services.new_client(session, name, row.locale, country, email=email, preferred_channel="chat")


def post_message(session: Session, visitor_id: int, text: str) -> tuple[int, dict[str, Any]]:
    """Her message: into her open chat conversation, or a new one (services.inbound)."""
    services.check_message_size(text)
    if not text.strip():
        raise ApiError(422, "empty_message", "A message needs some text.")
    now = utcnow()
    row = _visitor(session, visitor_id)
    client = session.get(ClientRow, row.client_id) if row.client_id else None
    if client is None:
        client = _new_client(session, row, f"Web visitor {row.id}")
        row.client_id = client.id
    _, result = services.inbound(
        session, WEB_CHANNEL, InboundIn(channel=Channel.chat, client_id=client.id, body=text, language=language_of_locale(row.locale))
    )
    conv_id = int(result["conversation_id"])
    row.last_seen_at, row.live = now, True
    new_conversation = conv_id not in (row.conversation_ids or [])
    if new_conversation:
        row.conversation_ids = [*(row.conversation_ids or []), conv_id]
    if row.invitation_status == "accepted" and row.invitation_at is not None and now - row.invitation_at < NEW_VISIT_AFTER:
        _assign_to_inviter(session, row)  # this visit's chat; a later visit goes to the queue
    if new_conversation:
        _emit(session, row, "chat")
    else:
        session.add(row)
    message = chat_message(result["message"], {})
    assert message is not None
    return 201, message.model_dump(mode="json")


def _assign_to_inviter(session: Session, row: WebVisitorRow) -> None:
    """Her open conversation goes to the advisor whose invitation she accepted (if no one
    holds it yet)."""
    conv = open_conversation(session, row)
    adv = session.get(AdvisorRow, row.invited_by_id) if row.invited_by_id else None
    if conv is None or adv is None or conv.assignee_id is not None:
        return
    conv.assignee_id = adv.id
    conv.status = "assigned"
    session.add(conv)
    services._emit(session, ev.CONVERSATION_CLAIMED, adv.username, conv, {"reason": "invitation_accepted"})


def identify(session: Session, visitor_id: int, email: str, name: str | None) -> tuple[int, dict[str, Any]]:
    """Link her to the client with this email, or give her anonymous client this email."""
    email = email.strip()
    if not _EMAIL.match(email):
        raise ApiError(422, "invalid_email", "This does not look like an email address (name@example.com).")
    name = (name or "").strip() or None
    row = _visitor(session, visitor_id)
    found = session.execute(select(ClientRow).where(func.lower(ClientRow.email) == email.lower()).order_by(ClientRow.id).limit(1)).scalar_one_or_none()
    current = session.get(ClientRow, row.client_id) if row.client_id else None
    if found is not None:
        if current is not None and current.id != found.id:
            _move_conversations(session, row, current, found)
        row.client_id, row.known_client = found.id, True
    elif current is not None and current.email is None and not row.known_client:
        # Her anonymous client takes the email and the name she gave.
        fields = {"email": email, "name": name or current.name}
        current.email, current.name = fields["email"], fields["name"]
        session.add(current)
        eventlog.append(session, ev.CLIENT_UPDATED, VISITOR_ACTOR, {"client_id": current.id, "fields": fields}, hub=current.hub)
        for cid in row.conversation_ids or []:
            conv = session.get(ConversationRow, cid)
            if conv is not None:
                services._emit(session, ev.CONVERSATION_UPDATED, VISITOR_ACTOR, conv, {"fields": {"client_name": current.name}})
    else:
        # A new client (a client she was linked to before keeps its email).
        client = _new_client(session, row, name or email.split("@", 1)[0], email)
        if current is not None:
            _move_conversations(session, row, current, client)
        row.client_id, row.known_client = client.id, False
    row.last_seen_at, row.live = utcnow(), True
    _emit(session, row, "linked")
    # Never the stored client's name: an email is no proof of who she is.
    return 200, {"linked": True, "name": name}


def _move_conversations(session: Session, row: WebVisitorRow, old: ClientRow, new: ClientRow) -> None:
    for cid in row.conversation_ids or []:
        conv = session.get(ConversationRow, cid)
        if conv is not None and conv.client_id == old.id:
            conv.client_id = new.id or 0
            session.add(conv)
            services._emit(session, ev.CONVERSATION_UPDATED, VISITOR_ACTOR, conv, {"fields": {"client_id": new.id}})


def answer_invitation(session: Session, visitor_id: int, accept: bool) -> tuple[int, dict[str, Any]]:
    row = _visitor(session, visitor_id)
    if row.invitation_status != "pending":
        raise ApiError(409, "no_invitation", "There is no invitation waiting for an answer.")
    row.invitation_status = "accepted" if accept else "dismissed"
    row.last_seen_at, row.live = utcnow(), True
    if accept:
        _assign_to_inviter(session, row)
    _emit(session, row, "invitation_accepted" if accept else "invitation_dismissed")
    invitation = invitation_of(session, row)
    assert invitation is not None
    return 200, invitation.model_dump(mode="json")


def invite(session: Session, advisor: Advisor, visitor_id: int, message: str | None) -> tuple[int, dict[str, Any]]:
    """An advisor offers help to a live visitor; her page shows it."""
    row = _visitor(session, visitor_id)
    if not row.live:
        raise ApiError(409, "visitor_gone", "This visitor has left the website.")
    if row.invitation_status == "pending" and row.invited_by_id not in (None, advisor.id):
        holder = session.get(AdvisorRow, row.invited_by_id)
        raise ApiError(409, "already_invited", f"{holder.name if holder else 'Another advisor'} has already invited this visitor.")
    text = (message or "").strip() or DEFAULT_INVITATION
    row.invited_by_id, row.invitation_status, row.invitation_message, row.invitation_at = advisor.id, "pending", text, utcnow()
    return 200, _emit(session, row, "invited", advisor.username)


def sweep(session: Session, now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """Visitors whose page has been silent for VISITOR_TTL have left (re-checked under the
    log's write lock, so one process logs each departure once)."""
    now = now or utcnow()
    rows = session.execute(
        select(WebVisitorRow).where(WebVisitorRow.live.is_(True), WebVisitorRow.last_seen_at < now - VISITOR_TTL).limit(200)
    ).scalars().all()
    for row in rows:
        row.live = False
        _emit(session, row, "left", "system")
    return 200, {"left": len(rows)}


def any_to_sweep(session: Session, now: datetime | None = None) -> bool:
    now = now or utcnow()
    found = session.execute(select(WebVisitorRow.id).where(WebVisitorRow.live.is_(True), WebVisitorRow.last_seen_at < now - VISITOR_TTL).limit(1)).first()
    return found is not None
