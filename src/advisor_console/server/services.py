"""Write operations. Each runs in one write transaction that changes the tables, appends
its event(s) and records its idempotency key, so all three commit together or not at all."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from ..domain import events as ev
from ..domain.models import (
    CALL_OUTCOMES,
    HUBS,
    INTERNAL_KINDS,
    MAX_MESSAGE_CHARS,
    Advisor,
    AdvisorUpdateIn,
    ConversationSummary,
    ConversationUpdateIn,
    InboundIn,
    MessageIn,
    Message,
    MessageKind,
    Role,
    TaskIn,
    TaskUpdateIn,
    TransferIn,
    hub_for_country,
    language_of_locale,
)
from . import canned, contacts, eventlog, supervision
from .errors import ApiError, forbidden, not_found
from .eventlog import utcnow
from .tables import (
    AdvisorRow,
    AuditRow,
    ClientRow,
    ConversationRow,
    IdempotencyRow,
    MessageRow,
    ScheduledMessageRow,
    TaskRow,
    conversation_summary,
)

T = TypeVar("T")
PREVIEW_CHARS = 120
QUOTE_EXCERPT_CHARS = 300
SCHEDULE_HORIZON = timedelta(days=30)


def request_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def run_write(
    engine: Engine,
    op: Callable[[Session], tuple[int, dict[str, Any]]],
    *,
    scope: str | None = None,
    key: str | None = None,
    fingerprint: str = "",
) -> tuple[int, dict[str, Any]]:
    """Run `op` in a write transaction; with an idempotency key, replay the first answer."""
    for attempt in range(3):
        with Session(engine) as session:
            eventlog.serialise_writes(session)
            if key is not None and scope is not None:
                stored = session.execute(
                    select(IdempotencyRow).where(IdempotencyRow.scope == scope, IdempotencyRow.key == key)
                ).scalar_one_or_none()
                if stored is not None:
                    if stored.request_hash != fingerprint:
                        raise ApiError(422, "idempotency_key_reused", "This Idempotency-Key was already used for a different request.")
                    return stored.status_code, stored.response
            status, body = op(session)
            if key is not None and scope is not None:
                session.add(
                    IdempotencyRow(scope=scope, key=key, request_hash=fingerprint, status_code=status, response=body, created_at=utcnow())
                )
            try:
                session.commit()
            except (IntegrityError, OperationalError):
                # A concurrent request with the same key (or a serialisation clash) won: retry,
                # which replays its answer.
                session.rollback()
                if attempt == 2:
                    raise
                continue
            return status, body
    raise AssertionError("unreachable")


# ---- helpers -------------------------------------------------------------------------


def _conversation(session: Session, conv_id: int) -> ConversationRow:
    conv = session.get(ConversationRow, conv_id)
    if conv is None:
        raise not_found("Conversation")
    return conv


def username_of(session: Session, advisor_id: int | None) -> str | None:
    """An advisor's username (never changed once made), asked once per transaction: every
    event written carries the assignee's name, and a query that read it already (inbound's)
    leaves it here, in the session's `usernames`."""
    if advisor_id is None:
        return None
    known = session.info.setdefault("usernames", {})
    if advisor_id not in known:
        row = session.get(AdvisorRow, advisor_id)
        known[advisor_id] = row.username if row else None
    return known[advisor_id]


def summary(session: Session, conv: ConversationRow) -> ConversationSummary:
    client = session.get(ClientRow, conv.client_id)
    assert client is not None
    return conversation_summary(conv, client, username_of(session, conv.assignee_id))


def can_see(advisor: Advisor, hub: str, assignee: str | None) -> bool:
    if advisor.sees_everything:
        return True
    if advisor.role == Role.advisor:
        return hub == advisor.hub or assignee == advisor.username
    return False


def _emit(
    session: Session,
    etype: str,
    actor: str,
    conv: ConversationRow,
    extra: dict[str, Any] | None = None,
    *,
    prev_hub: str | None = None,
    prev_assignee: str | None = None,
) -> dict[str, Any]:
    session.flush()
    summ = summary(session, conv)
    data = {"conversation": summ.model_dump(mode="json"), **(extra or {})}
    eventlog.append(
        session,
        etype,
        actor,
        data,
        conversation_id=conv.id,
        hub=conv.hub,
        assignee=summ.assignee,
        prev_hub=prev_hub if prev_hub != conv.hub else None,
        prev_assignee=prev_assignee if prev_assignee != summ.assignee else None,
    )
    return data["conversation"]


def visible_conversation(session: Session, advisor: Advisor, conv_id: int) -> ConversationRow:
    conv = _conversation(session, conv_id)
    if not can_see(advisor, conv.hub, username_of(session, conv.assignee_id)):
        raise not_found("Conversation")  # do not reveal what the caller may not see
    return conv


def check_message_size(body: str) -> None:
    if len(body) > MAX_MESSAGE_CHARS:
        raise ApiError(413, "message_too_large", f"A message may hold at most {MAX_MESSAGE_CHARS:,} characters; this one has {len(body):,}.")


def _preview(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


# ---- operations ------------------------------------------------------------------------


def claim(session: Session, advisor: Advisor, conv_id: int) -> tuple[int, dict[str, Any]]:
    conv = visible_conversation(session, advisor, conv_id)
    holder = username_of(session, conv.assignee_id)
    if holder == advisor.username:
        return 200, summary(session, conv).model_dump(mode="json")
    if holder is not None:
        raise ApiError(409, "already_claimed", f"{holder} already holds this conversation.")
    if conv.status == "resolved":
        raise ApiError(409, "conversation_resolved", "This conversation is resolved; reopen it first.")
    conv.assignee_id = advisor.id
    conv.status = "assigned"
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_CLAIMED, advisor.username, conv)


def post_message(session: Session, advisor: Advisor, conv_id: int, body: MessageIn, key: str | None) -> tuple[int, dict[str, Any]]:
    """A reply, note or call note now (201 with the message), or a reply at `send_at`
    (202 with the ScheduledMessage; services.send_scheduled sends it when due)."""
    conv = visible_conversation(session, advisor, conv_id)
    now = utcnow()
    if body.send_at is not None:
        _check_send_at(body, now)
    if body.kind not in (MessageKind.reply, MessageKind.note, MessageKind.call_note):
        raise ApiError(422, "invalid_kind", "kind must be 'reply', 'note' or 'call_note'.")
    check_message_size(body.body)
    attachments = [a.model_dump(mode="json") for a in body.attachments]
    if body.kind == MessageKind.call_note:
        if body.outcome not in CALL_OUTCOMES:
            raise ApiError(422, "invalid_outcome", f"A call note needs an outcome: one of {', '.join(CALL_OUTCOMES)}.")
        attachments.append({"type": "call", "data": {"outcome": body.outcome}})
    elif not body.body.strip() and not body.attachments:
        raise ApiError(422, "empty_message", "A message needs a body or an attachment.")
    if body.quote_message_id is not None:
        attachments.append(_quote(session, conv, body))
    holder = username_of(session, conv.assignee_id)
    if body.kind == MessageKind.reply:
        if conv.status == "resolved":
            raise ApiError(409, "conversation_resolved", "This conversation is resolved; reopen it before replying.")
        if holder is not None and holder != advisor.username:
            raise ApiError(409, "already_claimed", f"{holder} holds this conversation; add a note instead of replying.")
        template = _check_whatsapp_window(conv, body.body, body.template, body.send_at or now, scheduled=body.send_at is not None)
        if template is not None:  # outside the window: it leaves as the template, filled
            attachments.append(template)
        check_outreach_reply(session, conv, now)
    if body.send_at is not None:
        return _schedule(session, advisor, conv, body, attachments, now, holder)
    message = deliver(session, conv, advisor.username, advisor.id, body.kind, body.body, attachments, now, key=key)
    return 201, message


def check_outreach_reply(session: Session, conv: ConversationRow, now: datetime) -> None:
    """A reply in a conversation the client has never written in is an outreach (an
    advisor-initiated contact): refused without her consent to the channel, or over her
    monthly contact limit (unless an advisor already wrote in it today: the same contact).
    See server/contacts.py."""
    if conv.last_inbound_at is not None:
        return
    client = session.get(ClientRow, conv.client_id)
    assert client is not None
    raise_if_refused(contacts.check_one(session, client, conv.channel, now, same_contact=contacts.replied_today(session, conv.id or 0, now)))


def raise_if_refused(result: Any) -> None:
    if not result.allowed:
        raise ApiError(422, result.code or "contact_refused", result.reason)


def deliver(
    session: Session,
    conv: ConversationRow,
    author: str,
    author_id: int | None,
    kind: MessageKind,
    text: str,
    attachments: list[dict[str, Any]],
    now: datetime,
    *,
    key: str | None = None,
    scheduled_id: int | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """Store an advisor's message and append message.created (checks already done).
    `subject`: an email reply's subject when it opens the thread (else "Re: ...")."""
    first_subject = subject
    holder = username_of(session, conv.assignee_id)
    subject = None
    changes: dict[str, Any] = {"last_activity_at": now}
    if kind == MessageKind.reply:
        if holder is None:  # replying claims the conversation
            changes["assignee_id"] = author_id
            changes["status"] = "assigned" if conv.status != "snoozed" else conv.status
        changes["first_response_at"] = conv.first_response_at or now
        first_name = next((a.get("name") for a in attachments if a.get("type") not in ("quote", "call")), None)
        changes["preview"] = _preview(text or (first_name or "") if attachments else text)
        if conv.channel == "email":
            subject = first_subject or reply_subject(conv.subject)
    message = _add_message(
        session,
        conv,
        changes,
        kind=kind.value,
        body=text,
        attachments=attachments,
        author=author,
        at=now,
        delivery="internal" if kind in INTERNAL_KINDS else ("pending" if conv.channel in outbound_channels(session) else "sent"),
        idempotency_key=key,
        subject=subject,
        scheduled_id=scheduled_id,
    )
    _emit(session, ev.MESSAGE_CREATED, author, conv, {"message": message}, prev_assignee=holder)
    return message


def outbound_channels(session: Session) -> frozenset[str]:
    """Channels whose replies a real adapter sends (server/channels): those start "pending"
    and the adapter moves them on (sent, delivered, read, or failed with the reason)."""
    return getattr(session.get_bind(), "outbound_channels", frozenset())


_RE_PREFIX = re.compile(r"^\s*(re|aw|sv|rif)\s*:\s*", re.IGNORECASE)


def reply_subject(subject: str | None) -> str | None:
    """ "Re: <subject>", never "Re: Re: ..."."""
    if not subject or not subject.strip():
        return None
    bare = subject.strip()
    while (m := _RE_PREFIX.match(bare)) is not None and m.end() < len(bare):
        bare = bare[m.end() :]
    return f"Re: {bare}"


def _quote(session: Session, conv: ConversationRow, body: MessageIn) -> dict[str, Any]:
    quoted = session.get(MessageRow, body.quote_message_id)
    if quoted is None or quoted.conversation_id != conv.id:
        raise ApiError(422, "invalid_quote", "quote_message_id must be a message of this conversation.")
    if body.kind == MessageKind.reply and quoted.kind in INTERNAL_KINDS:
        raise ApiError(422, "invalid_quote", "An internal note cannot be quoted in a reply: notes never reach the client.")
    return {
        "type": "quote",
        "data": {"message_id": quoted.id, "author": quoted.author, "kind": quoted.kind, "excerpt": quoted.body[:QUOTE_EXCERPT_CHARS]},
    }


def _check_send_at(body: MessageIn, now: datetime) -> None:
    send_at = body.send_at
    assert send_at is not None
    if body.kind != MessageKind.reply:
        raise ApiError(422, "invalid_send_at", "Only replies can be scheduled; notes are written now.")
    if send_at.tzinfo is None:
        raise ApiError(422, "invalid_send_at", "send_at must carry a UTC offset.")
    if send_at <= now:
        raise ApiError(422, "invalid_send_at", "send_at must be in the future.")
    if send_at > now + SCHEDULE_HORIZON:
        raise ApiError(422, "invalid_send_at", f"A reply can be scheduled at most {SCHEDULE_HORIZON.days} days ahead.")


def _check_whatsapp_window(conv: ConversationRow, text: str, template: str | None, at: datetime, *, scheduled: bool = False) -> dict[str, Any] | None:
    """WhatsApp's 24-hour customer-service window: after it, only approved templates. Answers
    the template attachment (name, language, parameters) a reply outside the window carries."""
    if conv.channel != "whatsapp":
        return None
    closes = conv.window_closes_at()
    if closes is not None and at < closes:
        return None
    if template is None:
        if closes is None:
            when = "the client has not written on WhatsApp yet, so the window is not open"
        elif scheduled:
            when = f"the window closes at {closes:%Y-%m-%d %H:%M} UTC, before this reply would be sent"
        else:
            when = f"the window closed at {closes:%Y-%m-%d %H:%M} UTC, 24 hours after the client's last message"
        raise ApiError(422, "whatsapp_window_closed", f"Only approved WhatsApp templates can be sent: {when}.")
    reply = canned.approved_template(template, conv.language)
    if reply is None:
        raise ApiError(422, "template_not_approved", f"{template!r} is not an approved WhatsApp template in {conv.language}.")
    if not canned.matches(reply, text):
        raise ApiError(422, "template_mismatch", f"The message does not follow the template {template!r}: only its placeholders may change.")
    return {"type": "whatsapp_template", "name": template, "data": {"language": conv.language, "parameters": canned.parameters(reply, text)}}


def _schedule(
    session: Session, advisor: Advisor, conv: ConversationRow, body: MessageIn, attachments: list[dict[str, Any]], now: datetime, holder: str | None
) -> tuple[int, dict[str, Any]]:
    assert body.send_at is not None
    if holder is None:  # a reply on its way claims the conversation, like a reply now
        conv.assignee_id = advisor.id
        conv.status = "assigned" if conv.status != "snoozed" else conv.status
    conv.last_activity_at = now
    session.add(conv)
    row = ScheduledMessageRow(
        conversation_id=conv.id or 0,
        kind=body.kind.value,
        body=body.body,
        attachments=attachments,
        author=advisor.username,
        author_id=advisor.id,
        template=body.template,
        send_at=body.send_at,
        created_at=now,
    )
    session.add(row)
    session.flush()
    scheduled = row.to_model().model_dump(mode="json")
    _emit(session, ev.MESSAGE_SCHEDULED, advisor.username, conv, {"scheduled": scheduled}, prev_assignee=holder)
    return 202, scheduled


def send_scheduled(session: Session, scheduled_id: int, now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """Send one due scheduled message (background loop). Re-checked under the write lock,
    so with several server processes it is sent once."""
    now = now or utcnow()
    row = session.get(ScheduledMessageRow, scheduled_id)
    if row is None or row.send_at > now:
        return 200, {}
    conv = _conversation(session, row.conversation_id)
    reason = None
    if conv.status == "resolved":
        reason = "conversation_resolved"
    else:
        try:
            _check_whatsapp_window(conv, row.body, row.template, now)
        except ApiError:
            reason = "whatsapp_window_closed"
    session.delete(row)
    if reason is not None:
        _emit(session, ev.MESSAGE_UNSCHEDULED, "system", conv, {"scheduled_id": scheduled_id, "reason": reason})
        return 200, {}
    message = deliver(session, conv, row.author, row.author_id, MessageKind(row.kind), row.body, list(row.attachments or []), now, scheduled_id=scheduled_id)
    return 201, message


def cancel_scheduled(session: Session, advisor: Advisor, scheduled_id: int) -> tuple[int, dict[str, Any]]:
    row = session.get(ScheduledMessageRow, scheduled_id)
    if row is None:
        raise ApiError(404, "not_found", "Scheduled message not found: it was sent or cancelled already.")
    conv = visible_conversation(session, advisor, row.conversation_id)
    if advisor.role != Role.supervisor and row.author != advisor.username:
        raise forbidden("Only its author or a team lead may cancel a scheduled message.")
    scheduled = row.to_model().model_dump(mode="json")
    session.delete(row)
    _emit(session, ev.MESSAGE_UNSCHEDULED, advisor.username, conv, {"scheduled_id": scheduled_id, "reason": "cancelled"})
    return 200, scheduled


def update_conversation(session: Session, advisor: Advisor, conv_id: int, body: ConversationUpdateIn) -> tuple[int, dict[str, Any]]:
    """Priority, tags and stage; conversation.updated with the fields that changed."""
    conv = visible_conversation(session, advisor, conv_id)
    fields: dict[str, Any] = {}
    if body.priority is not None and body.priority != conv.priority:
        conv.priority = fields["priority"] = body.priority
    if body.tags is not None and body.tags != list(conv.tags or []):
        conv.tags = list(body.tags)
        fields["tags"] = list(body.tags)
    if body.stage is not None and body.stage.value != conv.stage:
        conv.stage = fields["stage"] = body.stage.value
    if not fields:
        return 200, summary(session, conv).model_dump(mode="json")
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_UPDATED, advisor.username, conv, {"fields": fields})


def wake_due(session: Session, conv_id: int, now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """End a snooze whose time came (background loop); re-checked under the write lock."""
    now = now or utcnow()
    conv = session.get(ConversationRow, conv_id)
    if conv is None or conv.status != "snoozed" or conv.snoozed_until is None or conv.snoozed_until > now:
        return 200, {}
    _wake(conv)
    conv.last_activity_at = now
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_WOKEN, "system", conv, {"reason": "timer"})


def _wake(conv: ConversationRow) -> None:
    conv.status = "assigned" if conv.assignee_id else "queued"
    conv.snoozed_until = None


def _must_hold_or_supervise(session: Session, advisor: Advisor, conv: ConversationRow) -> str | None:
    holder = username_of(session, conv.assignee_id)
    if advisor.role != Role.supervisor and holder not in (None, advisor.username):
        raise ApiError(409, "already_claimed", f"{holder} holds this conversation.")
    return holder


def resolve(session: Session, advisor: Advisor, conv_id: int) -> tuple[int, dict[str, Any]]:
    conv = visible_conversation(session, advisor, conv_id)
    holder = _must_hold_or_supervise(session, advisor, conv)
    if conv.status == "resolved":
        return 200, summary(session, conv).model_dump(mode="json")
    conv.status = "resolved"
    conv.assignee_id = conv.assignee_id or advisor.id
    conv.last_activity_at = utcnow()
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_RESOLVED, advisor.username, conv, prev_assignee=holder)


def reopen(session: Session, advisor: Advisor, conv_id: int) -> tuple[int, dict[str, Any]]:
    conv = visible_conversation(session, advisor, conv_id)
    if conv.status != "resolved":
        return 200, summary(session, conv).model_dump(mode="json")
    conv.status = "assigned"
    conv.assignee_id = advisor.id
    conv.last_activity_at = utcnow()
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_REOPENED, advisor.username, conv)


def transfer(session: Session, advisor: Advisor, conv_id: int, body: TransferIn) -> tuple[int, dict[str, Any]]:
    conv = visible_conversation(session, advisor, conv_id)
    holder = _must_hold_or_supervise(session, advisor, conv)
    prev_hub = conv.hub
    if bool(body.to_advisor) == bool(body.to_hub):
        raise ApiError(422, "invalid_transfer", "Give exactly one of to_advisor or to_hub.")
    if body.to_advisor:
        target = session.execute(select(AdvisorRow).where(AdvisorRow.username == body.to_advisor)).scalar_one_or_none()
        if target is None or target.role not in ("advisor", "supervisor"):
            raise ApiError(422, "unknown_advisor", f"There is no advisor named {body.to_advisor!r}.")
        conv.assignee_id, conv.hub, conv.status = target.id, target.hub, "assigned"
    else:
        hub = (body.to_hub or "").upper()
        if hub not in HUBS:
            raise ApiError(422, "unknown_hub", f"There is no hub {body.to_hub!r}; hubs are {', '.join(HUBS)}.")
        conv.assignee_id, conv.hub, conv.status = None, hub, "queued"
    conv.last_activity_at = utcnow()
    session.add(conv)
    data = _emit(
        session,
        ev.CONVERSATION_TRANSFERRED,
        advisor.username,
        conv,
        {"from": holder, "note": body.note},
        prev_hub=prev_hub,
        prev_assignee=holder,
    )
    return 200, data


def snooze(session: Session, advisor: Advisor, conv_id: int, until: datetime) -> tuple[int, dict[str, Any]]:
    conv = visible_conversation(session, advisor, conv_id)
    holder = _must_hold_or_supervise(session, advisor, conv)
    if until.tzinfo is None:
        raise ApiError(422, "invalid_time", "until must carry a UTC offset.")
    if until <= utcnow():
        raise ApiError(422, "invalid_time", "until must be in the future.")
    conv.status, conv.snoozed_until = "snoozed", until
    conv.assignee_id = conv.assignee_id or advisor.id
    session.add(conv)
    return 200, _emit(session, ev.CONVERSATION_SNOOZED, advisor.username, conv, prev_assignee=holder)


def inbound(session: Session, actor: Advisor, body: InboundIn) -> tuple[int, dict[str, Any]]:
    """A client's message from a channel: into her open conversation on that channel, or a new one."""
    check_message_size(body.body)
    now = utcnow()
    client, conv = _inbound_client_and_conversation(session, body)
    created = conv is None
    if conv is None:
        conv = ConversationRow(
            client_id=client.id or 0,
            channel=body.channel.value,
            stage="intent",
            status="queued",
            language=(body.language or language_of_locale(client.locale))[:10],
            hub=client.hub,
            created_at=now,
            last_activity_at=now,
            last_inbound_at=now,
            preview=_preview(body.body),
        )
        session.add(conv)
        session.flush()
        _emit(session, ev.CONVERSATION_CREATED, actor.username, conv)
        routed_to = supervision.route(session, conv, now)  # when routing is on
        if routed_to is not None:
            _emit(session, ev.CONVERSATION_ROUTED, "routing", conv, {"to": routed_to.username})
    if conv.status == "snoozed":  # the client wrote: it comes back to the queue
        _wake(conv)
        conv.last_activity_at = now
        session.add(conv)
        _emit(session, ev.CONVERSATION_WOKEN, "client", conv, {"reason": "inbound"})
    subject = body.subject.strip() if body.subject and body.subject.strip() else None
    changes = {"last_inbound_at": now, "last_activity_at": now, "preview": _preview(body.body)}
    if conv.subject is None and subject and conv.channel == "email":
        changes["subject"] = subject
    message = _add_message(
        session,
        conv,
        changes,
        kind=MessageKind.inbound.value,
        body=body.body,
        attachments=[],
        author="client",
        at=now,
        delivery="received",
        idempotency_key=body.external_id,
        subject=subject,
    )
    _emit(session, ev.MESSAGE_CREATED, "client", conv, {"message": message})
    return 201, {"conversation_id": conv.id, "client_id": client.id, "created_conversation": created, "message": message}


_MESSAGE = MessageRow.__table__  # type: ignore[attr-defined]
_CONVERSATION = ConversationRow.__table__  # type: ignore[attr-defined]


def _add_message(session: Session, conv: ConversationRow, changes: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Insert a message into `conv` and make `changes` to the conversation's row, through
    Core (the busiest write, a client's message: the ORM's unit of work was a fifth of its
    CPU): on PostgreSQL one statement (the UPDATE in a CTE of the INSERT), one round trip.
    `conv` is left holding the new values, as loaded (not to be written again). The
    message as its model's JSON. Every message is stored here (client, advisor, whisper)."""
    session.flush()  # the ORM's own pending changes (a conversation just made or woken) first
    conversation_id = conv.id
    insert = _MESSAGE.insert().values(conversation_id=conversation_id, **values).returning(_MESSAGE.c.id)
    update = _CONVERSATION.update().where(_CONVERSATION.c.id == conversation_id).values(**changes) if changes else None
    if update is not None and session.get_bind().dialect.name == "postgresql":
        message_id = session.execute(insert.add_cte(update.cte("touched"))).scalar_one()
    else:
        if update is not None:
            session.execute(update)
        message_id = session.execute(insert).scalar_one()
    for name, value in changes.items():
        set_committed_value(conv, name, value)
    return Message(id=message_id, conversation_id=conversation_id, **values).model_dump(mode="json")


def _unknown_client(client_id: int) -> ApiError:
    return ApiError(422, "unknown_client", f"There is no client {client_id}.")


def _open_conversation(client_id: Any, channel: str) -> Any:
    """The condition for the client's open conversation on `channel` (not resolved)."""
    return (ConversationRow.client_id == client_id) & (ConversationRow.channel == channel) & (ConversationRow.status != "resolved")


# Built once (with parameters), not per message: building it was a tenth of a client
# message's CPU.
_CLIENT_AND_CONVERSATION = (
    select(ClientRow, ConversationRow, AdvisorRow.username)
    .outerjoin(ConversationRow, _open_conversation(ClientRow.id, bindparam("channel")))
    .outerjoin(AdvisorRow, AdvisorRow.id == ConversationRow.assignee_id)
    .where(ClientRow.id == bindparam("client_id"))
    .order_by(ConversationRow.id.desc())
    .limit(1)
)


def _inbound_client_and_conversation(session: Session, body: InboundIn) -> tuple[ClientRow, ConversationRow | None]:
    """The client a message is from and her open conversation on its channel (the latest).

    Known by id (every channel that knows its clients): one query reads both and the
    assignee's username (which the event carries: left for `username_of`), instead of three
    round trips under the log's write lock. Known by a contact: as `client_for` finds her,
    then her conversation."""
    channel = body.channel.value
    if body.client_id is not None:
        found = session.execute(_CLIENT_AND_CONVERSATION, {"client_id": body.client_id, "channel": channel}).first()
        if found is None:
            raise _unknown_client(body.client_id)
        client, conv, assignee = found
        if conv is not None and conv.assignee_id is not None:
            session.info.setdefault("usernames", {})[conv.assignee_id] = assignee
        return client, conv
    client = client_for(session, None, body.contact)
    conv = session.execute(select(ConversationRow).where(_open_conversation(client.id, channel)).order_by(ConversationRow.id.desc()).limit(1)).scalar_one_or_none()
    return client, conv


def client_for(session: Session, client_id: int | None, contact: Any) -> ClientRow:
    """The client a channel speaks of: by id, else by the contact's email or phone, else a
    new client from the contact."""
    if client_id is not None:
        client = session.get(ClientRow, client_id)
        if client is None:
            raise _unknown_client(client_id)
        return client
    if contact is None:
        raise ApiError(422, "invalid_request", "Give client_id or contact.")
    for column, value in ((ClientRow.email, contact.email), (ClientRow.phone, contact.phone)):
        if value:
            found = session.execute(select(ClientRow).where(column == value).limit(1)).scalar_one_or_none()
            if found is not None:
                return found
    return new_client(session, contact.name, contact.locale, contact.country, email=contact.email, phone=contact.phone,
                      preferred_channel="email" if contact.email else "phone")


def new_client(session: Session, name: str, locale: str, country: str | None, *, email: str | None = None, phone: str | None = None, preferred_channel: str = "email") -> ClientRow:
    """A client first known through a channel: her hub from her country (Florence serves
    the rest of the world), nothing else known yet."""
    code = (country or "ZZ")[:2].upper()
    client = ClientRow(name=name, locale=locale, country=code, hub=hub_for_country(code), email=email, phone=phone,
                       preferred_channel=preferred_channel, consent={}, sizes={}, taste={}, currency="EUR")
    session.add(client)
    session.flush()
    return client


# ---- clients and tasks ---------------------------------------------------------------------


def visible_client(session: Session, advisor: Advisor, client_id: int) -> ClientRow:
    """A client the advisor may see: of their hub, or one they are serving now."""
    client = session.get(ClientRow, client_id)
    if client is None:
        raise not_found("Client")
    if advisor.role == Role.advisor and client.hub != advisor.hub:
        serving = session.execute(
            select(ConversationRow.id)
            .outerjoin(AdvisorRow, AdvisorRow.id == ConversationRow.assignee_id)
            .where(ConversationRow.client_id == client_id, (ConversationRow.hub == advisor.hub) | (AdvisorRow.username == advisor.username))
            .limit(1)
        ).first()
        if serving is None:
            raise not_found("Client")
    elif advisor.role not in (Role.advisor, Role.supervisor, Role.trainer):
        raise forbidden()
    return client


def audit(session: Session, actor: str, action: str, client_id: int | None, detail: dict[str, Any] | None = None) -> None:
    session.add(AuditRow(at=utcnow(), actor=actor, action=action, client_id=client_id, detail=detail or {}))


def _client_event(session: Session, etype: str, actor: str, client: ClientRow, data: dict[str, Any]) -> None:
    eventlog.append(session, etype, actor, {"client_id": client.id, **data}, hub=client.hub)
    actions = {"client.updated": "client.notes", "task.created": "task.create", "task.updated": "task.update", "tryon.created": "tryon.create", "tryon.updated": "tryon.update"}
    audit(session, actor, actions[etype], client.id, data)


def set_client_notes(session: Session, advisor: Advisor, client_id: int, notes: str) -> tuple[int, dict[str, Any]]:
    client = visible_client(session, advisor, client_id)
    client.notes = notes
    session.add(client)
    _client_event(session, ev.CLIENT_UPDATED, advisor.username, client, {"fields": {"notes": notes}})
    return 200, client.to_model().model_dump(mode="json")


def create_task(session: Session, advisor: Advisor, client_id: int, body: TaskIn) -> tuple[int, dict[str, Any]]:
    client = visible_client(session, advisor, client_id)
    if body.due.tzinfo is None:
        raise ApiError(422, "invalid_time", "due must carry a UTC offset.")
    check_appointment(body)
    task = TaskRow(
        client_id=client_id,
        advisor_id=advisor.id,
        kind=body.kind,
        title=body.title,
        due=body.due,
        place=body.place,
        appointment_kind=body.appointment_kind,
        video_link=body.video_link,
    )
    session.add(task)
    session.flush()
    data = task.to_model().model_dump(mode="json")
    _client_event(session, ev.TASK_CREATED, advisor.username, client, {"task": data})
    return 201, data


def check_appointment(body: TaskIn) -> None:
    """appointment_kind only on appointments; in_store needs a place, video an https:// link."""
    if body.appointment_kind is None:
        if body.video_link is not None and body.kind != "appointment":
            raise ApiError(422, "invalid_appointment", "A video_link belongs to a video appointment.")
        return
    if body.kind != "appointment":
        raise ApiError(422, "invalid_appointment", "appointment_kind belongs to tasks of kind 'appointment'.")
    if body.appointment_kind == "in_store":
        if not (body.place or "").strip():
            raise ApiError(422, "place_required", "An in-store appointment needs a place (the boutique or salon).")
        if body.video_link is not None:
            raise ApiError(422, "invalid_appointment", "An in-store appointment has no video_link.")
    elif not (body.video_link or "").startswith("https://") or len((body.video_link or "").strip()) <= len("https://"):
        raise ApiError(422, "invalid_video_link", "A video appointment needs a video_link starting with https://.")


def update_task(session: Session, advisor: Advisor, task_id: int, body: TaskUpdateIn) -> tuple[int, dict[str, Any]]:
    task = session.get(TaskRow, task_id)
    if task is None:
        raise not_found("Task")
    client = visible_client(session, advisor, task.client_id)
    if body.due is not None and body.due.tzinfo is None:
        raise ApiError(422, "invalid_time", "due must carry a UTC offset.")
    if body.done is not None and body.done != task.done:
        task.completed_at = utcnow() if body.done else None  # the client's history
    for name in ("done", "outcome", "due"):
        value = getattr(body, name)
        if value is not None:
            setattr(task, name, value)
    session.add(task)
    session.flush()
    data = task.to_model().model_dump(mode="json")
    _client_event(session, ev.TASK_UPDATED, advisor.username, client, {"task": data})
    return 200, data


# ---- advisors ---------------------------------------------------------------------------------


def update_advisor(session: Session, actor: Advisor, username: str, body: AdvisorUpdateIn) -> tuple[int, dict[str, Any]]:
    """Status (anyone for themselves, supervisors for anyone) and capacity (supervisors).

    An advisor who goes away or offline hands their open conversations back to the queue,
    so no client waits on someone who is not there."""
    row = session.execute(select(AdvisorRow).where(AdvisorRow.username == username)).scalar_one_or_none()
    if row is None or row.role == Role.channel.value:
        raise not_found("Advisor")
    is_self = row.username == actor.username
    if actor.role != Role.supervisor and not (is_self and body.capacity is None):
        raise forbidden("Only a team lead may change another advisor or a capacity.")
    if body.status is not None:
        row.status = body.status.value
    if body.capacity is not None:
        row.capacity = body.capacity
    session.add(row)
    session.flush()
    advisor = row.to_model()
    eventlog.append(session, ev.ADVISOR_UPDATED, actor.username, {"advisor": advisor.model_dump(mode="json")})
    if body.status is not None and body.status.value in ("away", "offline"):
        held = session.execute(
            select(ConversationRow).where(ConversationRow.assignee_id == row.id, ConversationRow.status == "assigned")
        ).scalars().all()
        for conv in held:
            conv.assignee_id, conv.status = None, "queued"
            session.add(conv)
            _emit(session, ev.CONVERSATION_UPDATED, actor.username, conv, {"reason": f"{row.username} is {body.status.value}"}, prev_assignee=row.username)
            taker = supervision.route(session, conv)  # to someone who is there, when routing is on
            if taker is not None:
                _emit(session, ev.CONVERSATION_ROUTED, "routing", conv, {"to": taker.username})
    if (body.status is not None and body.status.value == "available") or body.capacity is not None:
        supervision.fill_from_queue(session, row)
    return 200, advisor.model_dump(mode="json")
