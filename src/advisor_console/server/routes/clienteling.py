"""Clienteling (issue 5): outreach and the contact check, try-on selections, call lists,
the advisor's tasks. Rules and definitions: server/contacts.py and server/clienteling.py."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ...domain.models import (
    VIC_TIERS,
    CallList,
    Channel,
    ContactCheck,
    OutreachIn,
    OutreachResult,
    TaskList,
    TryonIn,
    TryonOutcomeIn,
    TryonResult,
    TryonSelection,
)
from .. import clienteling, services
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, require
from ..errors import ApiError, ErrorResponse
from .conversations import Id, IdempotencyKey, _decode_cursor, _encode_cursor, write

router = APIRouter(prefix="/api/v1", tags=["clienteling"])


def _errors(**codes: str) -> dict[int | str, dict[str, Any]]:
    """Route-specific error codes, documented with the error body's schema."""
    by_status: dict[int, list[str]] = {}
    for code, status in codes.items():
        by_status.setdefault(int(status), []).append(code)
    return {status: {"model": ErrorResponse, "description": "Error codes: " + ", ".join(names)} for status, names in by_status.items()}


@router.get("/clients/{client_id}/contact-check", response_model=ContactCheck)
def contact_check(client_id: Id, advisor: CurrentAdvisor, session: ReadSession, channel: Channel = Query(..., description="The channel to contact her on.")) -> ContactCheck:
    """May an advisor start a contact (an outreach) with this client on `channel` now?
    `{"allowed", "code": null|"consent_refused"|"contact_frequency_exceeded", "reason",
    "channel", "contacts_this_month", "max_per_month", "next_allowed_at", "last_contacted_at"}`
    — the same check `POST /clients/{id}/outreach` makes (server/contacts.py)."""
    require(advisor, *READERS)
    return clienteling.contact_check(session, advisor, client_id, channel.value)


@router.post(
    "/clients/{client_id}/outreach",
    response_model=OutreachResult,
    status_code=201,
    responses=_errors(consent_refused="422", contact_frequency_exceeded="422", whatsapp_window_closed="422", empty_message="422", already_claimed="409"),
)
def outreach(client_id: Id, body: OutreachIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """An advisor-initiated contact: `{"channel", "body", "attachments"?, "subject"? (email),
    "template"? (WhatsApp outside the window)}` posts a reply into the client's open
    conversation on that channel, or opens one (assigned to the caller, tagged "outreach").
    201 `{"conversation": ConversationSummary, "created_conversation": bool, "message":
    Message}`; events conversation.created (when opened) and message.created.
    422 `consent_refused` without her consent to the channel; 422
    `contact_frequency_exceeded` at her monthly limit (the message says how many and when
    the next is allowed)."""
    require(advisor, *STAFF)
    fp = services.request_hash("outreach", client_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: clienteling.outreach(s, advisor, client_id, body, idempotency_key))


@router.post(
    "/conversations/{conversation_id}/tryon",
    response_model=TryonResult,
    status_code=201,
    responses=_errors(
        unknown_sku="422",
        invalid_size="422",
        duplicate_item="422",
        invalid_time="422",
        whatsapp_window_closed="422",
        consent_refused="422",
        contact_frequency_exceeded="422",
        already_claimed="409",
        conversation_resolved="409",
    ),
)
def create_tryon(conversation_id: Id, body: TryonIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Send a try-on selection: `{"items": [{"sku", "sizes": ["36.5", "37"]}] (1-10 items,
    1-3 sizes each; none for a one-size piece), "note"?: str, "due"?: datetime}`.
    One reply (kind reply, body = note) with the attachment
    `{"type": "tryon", "name": "Try-on selection: N pieces", "data": {"selection_id",
    "items": [{"sku", "name", "sizes", "price", "amount", "currency"}]}}` (price formatted in
    the client's currency and locale), a tryon_selection (status "sent") and a follow-up
    task ("Confirm what {name} keeps from the try-on selection", due in 7 days by default).
    201 `{"selection", "message", "task"}`; events message.created, task.created,
    tryon.created."""
    require(advisor, *STAFF)
    fp = services.request_hash("tryon", conversation_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: clienteling.create_tryon(s, advisor, conversation_id, body, idempotency_key))


@router.patch("/tryon/{selection_id}", response_model=TryonSelection, responses=_errors(empty_outcome="422", invalid_pick="422"))
def update_tryon(selection_id: Id, body: TryonOutcomeIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """What she kept and sent back: `{"kept": [{"sku", "size"}], "returned": [...]}`.
    status: `kept` (nothing returned), `returned` (nothing kept) or `partly_kept`; the
    follow-up task is marked done with the outcome ("Kept: ...; Returned: ...") and joins
    the client's history. May be sent again to correct it. Events task.updated and
    tryon.updated {"client_id", "selection", "outcome"}."""
    require(advisor, *STAFF)
    fp = services.request_hash("tryon-outcome", selection_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: clienteling.update_tryon(s, advisor, selection_id, body))


@router.get("/clienteling/call-list", response_model=CallList, responses=_errors(invalid_vic_tier="422", invalid_cursor="400"))
def call_list(
    advisor: CurrentAdvisor,
    session: ReadSession,
    bought_within_days: int | None = Query(None, ge=1, le=3650, description="Bought (and kept) something in the last N days."),
    vic_tier: list[str] | None = Query(None, description="VIC tiers (repeat, or comma-separated): none, silver, gold, platinum, black."),
    line: str | None = Query(None, max_length=60, description="Line affinity: in her taste, or bought in that line."),
    no_contact_days: int | None = Query(None, ge=1, le=3650, description="No advisor contact for N days (or never)."),
    birthday_month: int | None = Query(None, ge=1, le=12, description="Birthday in this month (1-12)."),
    hub: str | None = Query(None, max_length=8, description="The client's hub."),
    channel: Channel | None = Query(None, description="Check contactability on this channel (default: her preferred one)."),
    include_blocked: bool = Query(False, description="Also list clients who may not be contacted now (contactable false, with why)."),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> CallList:
    """Clients matching every criterion given (client id order). Each item: the client's
    name, hub, tier, preferred channel, `channel` checked, `contactable` with `code` and
    `reason` (consent and monthly cap, as the outreach), contact counts, last purchase,
    birthday, personal advisor, and `why`: [{"criterion", "text"}] per criterion matched.
    Advisors see the clients they may open (their hub's, and those they serve); team leads
    and trainers all. A page examines at most 5,000 clients: it may hold fewer than
    `limit` items with a next_cursor (follow it)."""
    require(advisor, *READERS)
    tiers = [t.strip().lower() for raw in (vic_tier or []) for t in raw.split(",") if t.strip()]
    wrong = [t for t in tiers if t not in VIC_TIERS]
    if wrong:
        raise ApiError(422, "invalid_vic_tier", f"Unknown VIC tier {wrong[0]!r}; tiers are {', '.join(VIC_TIERS)}.")
    items, nxt = clienteling.call_list(
        session,
        advisor,
        bought_within_days=bought_within_days,
        vic_tiers=tiers,
        line=line,
        no_contact_days=no_contact_days,
        birthday_month=birthday_month,
        hub=hub,
        channel=channel.value if channel else None,
        include_blocked=include_blocked,
        after=_decode_cursor(cursor),
        limit=limit,
    )
    return CallList(items=items, next_cursor=_encode_cursor(nxt) if nxt else None)


def _parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with its offset (a query parameter: no number taken as a timestamp)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(value)
        parsed.astimezone(timezone.utc)
        return parsed
    except (ValueError, OverflowError):
        raise ApiError(422, "invalid_time", f"{name} must be an ISO 8601 time with a UTC offset, e.g. 2026-11-23T18:00:00+09:00.") from None


@router.get("/tasks", response_model=TaskList, responses=_errors(unknown_advisor="422", invalid_time="422", invalid_cursor="400"))
def list_tasks(
    advisor: CurrentAdvisor,
    session: ReadSession,
    assignee: str = Query("me", max_length=200, description="'me', a username, or 'any'."),
    status: str = Query("open", pattern="^(open|done|all)$"),
    due_before: str | None = Query(None, max_length=40, description="Only tasks due before this time (ISO 8601 with an offset).", json_schema_extra={"format": "date-time"}),
    client_id: int | None = Query(None, ge=1, le=2**31 - 1),
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> TaskList:
    """Tasks by due time: each a Task with `client_name`, `client_native_name`,
    `client_hub`, `client_hub_tz` and `overdue`. Advisors see their own tasks and those of
    their hub's clients."""
    require(advisor, *READERS)
    items, nxt = clienteling.list_tasks(
        session,
        advisor,
        assignee=assignee,
        status=status,
        due_before=_parse_time(due_before, "due_before"),
        client_id=client_id,
        after=clienteling.decode_task_cursor(cursor),
        limit=limit,
    )
    return TaskList(items=items, next_cursor=nxt)


@router.get("/tasks/today", response_model=TaskList, responses=_errors(invalid_timezone="422"))
def tasks_today(
    advisor: CurrentAdvisor,
    session: ReadSession,
    tz: str | None = Query(None, max_length=64, description="IANA zone of 'today' (default: the caller's hub's)."),
) -> TaskList:
    """The caller's open tasks due before the end of today in `tz`, overdue ones included
    (soonest first, at most 500): what the advisor's day holds."""
    require(advisor, *READERS)
    end = clienteling.end_of_day(clienteling.utcnow(), clienteling.zone(tz, advisor))
    items, _ = clienteling.list_tasks(session, advisor, assignee="me", status="open", due_before=end, client_id=None, after=None, limit=500)
    return TaskList(items=items, next_cursor=None)
