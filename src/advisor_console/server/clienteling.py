"""Clienteling (issue 5): the client 360's extras, outreach under consent and the contact
cap, try-on selections, call lists and the advisor's tasks.

Writes follow services.py: each runs inside `services.run_write` (one transaction with
its events and idempotency key) and answers `(status, body)`.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, exists, or_, select
from sqlmodel import Session

from ..domain import events as ev
from ..domain.models import (
    Client360,
    HUBS,
    MAX_TRYON_SIZES,
    Advisor,
    AdvisorRef,
    CallListItem,
    CallListWhy,
    ContactCheck,
    HistoryEntry,
    MessageKind,
    OutreachIn,
    ProductDetail,
    RecentConversation,
    Role,
    TaskListItem,
    TryonIn,
    TryonOutcomeIn,
    language_of_locale,
)
from . import contacts, services
from .errors import ApiError, not_found
from .eventlog import utcnow
from .tables import (
    AdvisorRow,
    ClientRow,
    ConversationRow,
    ProductRow,
    PurchaseRow,
    TaskRow,
    TryonSelectionRow,
)

RECENT_CONVERSATIONS = 10
TRYON_SHOWN = 20
HISTORY_SHOWN = 50
TRYON_FOLLOW_UP = timedelta(days=7)


# ---- money ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _babel_locale(locale: str) -> Any:
    from babel import Locale, UnknownLocaleError

    tag = (locale or "en").replace("-", "_")
    for candidate in (tag, tag.split("_")[0], "en"):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale.parse("en")


def format_money(amount: float, currency: str, locale: str) -> str:
    """`babel.numbers.format_currency` in the client's locale ("ja-JP" -> "￥178,000");
    currencies without minor units (JPY, KRW) show none."""
    from babel.numbers import format_currency

    try:
        return format_currency(amount, currency, locale=_babel_locale(locale))
    except Exception:  # noqa: BLE001 - an unknown currency code: plain, never a 500
        return f"{currency} {amount:,.2f}"


# ---- client 360 ----------------------------------------------------------------------------


def client_extras(session: Session, client: ClientRow, now: datetime | None = None) -> dict[str, Any]:
    """The issue-5 fields of `GET /clients/{id}` (see domain.models.Client360)."""
    now = now or utcnow()
    convs = session.execute(
        select(ConversationRow)
        .where(ConversationRow.client_id == client.id)
        .order_by(ConversationRow.last_activity_at.desc(), ConversationRow.id.desc())
        .limit(RECENT_CONVERSATIONS)
    ).scalars().all()
    advisor = session.get(AdvisorRow, client.personal_advisor_id) if client.personal_advisor_id else None
    selections = session.execute(
        select(TryonSelectionRow).where(TryonSelectionRow.client_id == client.id).order_by(TryonSelectionRow.id.desc()).limit(TRYON_SHOWN)
    ).scalars().all()
    done = session.execute(
        select(TaskRow).where(TaskRow.client_id == client.id, TaskRow.done.is_(True)).order_by(TaskRow.id.desc()).limit(HISTORY_SHOWN * 2)
    ).scalars().all()
    history = sorted(
        (
            HistoryEntry(
                at=t.completed_at or t.due,
                kind=t.kind,
                title=t.title,
                outcome=t.outcome,
                task_id=t.id or 0,
                advisor_id=t.advisor_id,
                tryon_selection_id=t.tryon_selection_id,
            )
            for t in done
        ),
        key=lambda h: (h.at, h.task_id),
        reverse=True,
    )[:HISTORY_SHOWN]
    st = contacts.stats(session, [client.id or 0], now).get(client.id or 0, contacts.ContactStats())
    return {
        "recent_conversations": [
            RecentConversation(id=c.id or 0, channel=c.channel, status=c.status, last_activity_at=c.last_activity_at, preview=c.preview) for c in convs
        ],
        "personal_advisor": AdvisorRef(username=advisor.username, name=advisor.name) if advisor else None,
        "lifetime_spend_formatted": format_money(client.lifetime_spend, client.currency, client.locale),
        "tryon_selections": [s.to_model() for s in selections],
        "last_contacted_at": st.last_at,
        "contacts_this_month": st.this_month,
        "history": history,
    }


def contact_check(session: Session, advisor: Advisor, client_id: int, channel: str) -> ContactCheck:
    client = services.visible_client(session, advisor, client_id)
    return contacts.check_one(session, client, channel, utcnow())


# ---- outreach ------------------------------------------------------------------------------


def outreach(session: Session, advisor: Advisor, client_id: int, body: OutreachIn, key: str | None) -> tuple[int, dict[str, Any]]:
    """An advisor-initiated contact: into the client's open conversation on that channel
    (newest), or a new one (assigned to the caller, tagged "outreach"). Consent and the
    monthly cap are checked first (contacts.py); then the rules of any reply (held by
    someone else: 409; WhatsApp outside the 24-hour window: an approved template)."""
    client = services.visible_client(session, advisor, client_id)
    services.check_message_size(body.body)
    if not body.body.strip() and not body.attachments:
        raise ApiError(422, "empty_message", "A message needs a body or an attachment.")
    now = utcnow()
    channel = body.channel.value
    conv = session.execute(
        select(ConversationRow)
        .where(ConversationRow.client_id == client.id, ConversationRow.channel == channel, ConversationRow.status != "resolved")
        .order_by(ConversationRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    same = conv is not None and contacts.replied_today(session, conv.id or 0, now)
    services.raise_if_refused(contacts.check_one(session, client, channel, now, same_contact=same))
    created = conv is None
    if conv is not None:
        holder = services.username_of(session, conv.assignee_id)
        if holder is not None and holder != advisor.username:
            raise ApiError(409, "already_claimed", f"{holder} holds her open {channel} conversation; add a note there instead.")
    else:
        subject = body.subject.strip() if channel == "email" and body.subject and body.subject.strip() else None
        conv = ConversationRow(
            client_id=client.id or 0,
            channel=channel,
            stage="intent",
            status="assigned",
            language=language_of_locale(client.locale)[:10],
            hub=client.hub,
            assignee_id=advisor.id,
            created_at=now,
            last_activity_at=now,
            tags=["outreach"],
            preview="",
            subject=subject,
        )
    services._check_whatsapp_window(conv, body.body, body.template, now)
    if created:
        session.add(conv)
        session.flush()
        services._emit(session, ev.CONVERSATION_CREATED, advisor.username, conv)
    attachments = [a.model_dump(mode="json") for a in body.attachments]
    message = services.deliver(
        session, conv, advisor.username, advisor.id, MessageKind.reply, body.body, attachments, now, key=key, subject=conv.subject if created else None
    )
    return 201, {
        "conversation": services.summary(session, conv).model_dump(mode="json"),
        "created_conversation": created,
        "message": message,
    }


# ---- try-on selections ---------------------------------------------------------------------


def _product_by_sku(session: Session, sku: str) -> ProductRow | None:
    row = session.execute(select(ProductRow).where(ProductRow.sku == sku)).scalar_one_or_none()
    if row is None and sku != sku.upper():
        row = session.execute(select(ProductRow).where(ProductRow.sku == sku.upper())).scalar_one_or_none()
    return row


def create_tryon(session: Session, advisor: Advisor, conv_id: int, body: TryonIn, key: str | None) -> tuple[int, dict[str, Any]]:
    """One reply carrying a `tryon` attachment, a tryon_selection row, and a follow-up task;
    events message.created, task.created and tryon.created (one transaction)."""
    conv = services.visible_conversation(session, advisor, conv_id)
    client = session.get(ClientRow, conv.client_id)
    assert client is not None
    now = utcnow()
    if body.due is not None:
        if body.due.tzinfo is None:
            raise ApiError(422, "invalid_time", "due must carry a UTC offset.")
        if body.due <= now:
            raise ApiError(422, "invalid_time", "due must be in the future.")
    if body.note is not None:
        services.check_message_size(body.note)
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in body.items:
        product = _product_by_sku(session, item.sku.strip())
        if product is None:
            raise ApiError(422, "unknown_sku", f"There is no product {item.sku!r} in the lookbook.")
        if product.sku in seen:
            raise ApiError(422, "duplicate_item", f"{product.sku} is twice in the selection: list its sizes once.")
        seen.add(product.sku)
        available = list(product.stock or {})
        sizes = list(dict.fromkeys(s.strip() for s in item.sizes))
        if not sizes:
            if len(available) != 1:
                raise ApiError(422, "invalid_size", f"Choose 1 to {MAX_TRYON_SIZES} sizes of {product.sku} ({product.name}): {', '.join(available)}.")
            sizes = available
        wrong = [s for s in sizes if s not in available]
        if wrong:
            raise ApiError(
                422, "invalid_size", f"{product.name} ({product.sku}) has no size {', '.join(wrong)}; its sizes are {', '.join(available) or 'none'}."
            )
        currency = client.currency if client.currency in (product.prices or {}) else "EUR"
        amount = (product.prices or {}).get(currency)
        items.append(
            {
                "sku": product.sku,
                "name": product.name,
                "sizes": sizes,
                "price": format_money(amount, currency, client.locale) if amount is not None else "",
                "amount": amount,
                "currency": currency if amount is not None else None,
            }
        )
    holder = services.username_of(session, conv.assignee_id)
    if conv.status == "resolved":
        raise ApiError(409, "conversation_resolved", "This conversation is resolved; reopen it before sending a selection.")
    if holder is not None and holder != advisor.username:
        raise ApiError(409, "already_claimed", f"{holder} holds this conversation.")
    services._check_whatsapp_window(conv, body.note or "", None, now)
    services.check_outreach_reply(session, conv, now)

    selection = TryonSelectionRow(
        client_id=client.id or 0, conversation_id=conv.id, advisor=advisor.username, items=items, note=body.note, status="sent", created_at=now
    )
    session.add(selection)
    session.flush()
    pieces = f"{len(items)} piece{'s' if len(items) != 1 else ''}"
    attachment = {"type": "tryon", "name": f"Try-on selection: {pieces}", "data": {"selection_id": selection.id, "items": items}}
    message = services.deliver(session, conv, advisor.username, advisor.id, MessageKind.reply, body.note or "", [attachment], now, key=key)
    task = TaskRow(
        client_id=client.id or 0,
        advisor_id=advisor.id,
        kind="follow_up",
        title=f"Confirm what {client.name} keeps from the try-on selection",
        due=body.due or now + TRYON_FOLLOW_UP,
        tryon_selection_id=selection.id,
    )
    session.add(task)
    session.flush()
    selection.message_id, selection.task_id = message["id"], task.id
    session.add(selection)
    session.flush()
    task_data = task.to_model().model_dump(mode="json")
    services._client_event(session, ev.TASK_CREATED, advisor.username, client, {"task": task_data})
    sel = selection.to_model().model_dump(mode="json")
    services._client_event(session, ev.TRYON_CREATED, advisor.username, client, {"selection": sel})
    return 201, {"selection": sel, "message": message, "task": task_data}


def _pick_label(items: dict[str, dict[str, Any]], pick: dict[str, str]) -> str:
    return f"{items[pick['sku']]['name']} ({pick['sku']}, {pick['size']})"


def update_tryon(session: Session, advisor: Advisor, selection_id: int, body: TryonOutcomeIn) -> tuple[int, dict[str, Any]]:
    """What the client kept and returned: the selection's status, its follow-up task done
    with the outcome (the client's history), events tryon.updated and task.updated."""
    row = session.get(TryonSelectionRow, selection_id)
    if row is None:
        raise not_found("Try-on selection")
    client = services.visible_client(session, advisor, row.client_id)
    if not body.kept and not body.returned:
        raise ApiError(422, "empty_outcome", "Say what was kept or returned (or both).")
    items = {i["sku"]: i for i in row.items or []}
    kept = [{"sku": p.sku.strip(), "size": p.size.strip()} for p in body.kept]
    returned = [{"sku": p.sku.strip(), "size": p.size.strip()} for p in body.returned]
    for pick in kept + returned:
        if pick["sku"] not in items or pick["size"] not in items[pick["sku"]]["sizes"]:
            raise ApiError(422, "invalid_pick", f"{pick['sku']} in size {pick['size']} is not in this try-on selection.")
    pairs = [(p["sku"], p["size"]) for p in kept + returned]
    if len(pairs) != len(set(pairs)):
        raise ApiError(422, "invalid_pick", "Each piece and size is either kept or returned, once.")
    now = utcnow()
    row.kept, row.returned = kept, returned
    row.status = "partly_kept" if kept and returned else ("kept" if kept else "returned")
    row.decided_at = now
    session.add(row)
    outcome = "; ".join(
        part
        for part in (
            "Kept: " + ", ".join(_pick_label(items, p) for p in kept) if kept else "",
            "Returned: " + ", ".join(_pick_label(items, p) for p in returned) if returned else "",
        )
        if part
    )
    task = session.get(TaskRow, row.task_id) if row.task_id else None
    if task is not None:
        if not task.done:
            task.completed_at = now
        task.done, task.outcome = True, outcome
        session.add(task)
        session.flush()
        services._client_event(session, ev.TASK_UPDATED, advisor.username, client, {"task": task.to_model().model_dump(mode="json")})
    session.flush()
    sel = row.to_model().model_dump(mode="json")
    services._client_event(session, ev.TRYON_UPDATED, advisor.username, client, {"selection": sel, "outcome": outcome})
    return 200, sel


# ---- products ------------------------------------------------------------------------------


def product_row(session: Session, id_or_sku: str) -> ProductRow:
    """A product by id or SKU, or 404."""
    key = id_or_sku.strip()
    row = None
    if key.isdecimal() and len(key) <= 10:
        row = session.get(ProductRow, int(key)) if int(key) <= 2**31 - 1 else None
    if row is None:
        row = _product_by_sku(session, key)
    if row is None:
        raise not_found("Product")
    return row


def product_detail(session: Session, id_or_sku: str) -> ProductDetail:
    return ProductDetail.of(product_row(session, id_or_sku).to_model())


# ---- call lists ----------------------------------------------------------------------------

CALL_LIST_SCAN = 5_000  # clients examined per page at most (a page may then be short)
CALL_LIST_BATCH = 500


def visible_clients_clause(advisor: Advisor) -> Any:
    """SQL: the clients `services.visible_client` lets this reader see."""
    if advisor.role != Role.advisor:
        return True
    serving = exists(
        select(ConversationRow.id).where(
            ConversationRow.client_id == ClientRow.id, or_(ConversationRow.hub == advisor.hub, ConversationRow.assignee_id == advisor.id)
        )
    )
    return or_(ClientRow.hub == advisor.hub, serving)


def _days(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)


def call_list(
    session: Session,
    advisor: Advisor,
    *,
    bought_within_days: int | None,
    vic_tiers: list[str],
    line: str | None,
    no_contact_days: int | None,
    birthday_month: int | None,
    hub: str | None,
    channel: str | None,
    include_blocked: bool,
    after: int | None,
    limit: int,
) -> tuple[list[CallListItem], int | None]:
    """Clients matching every criterion given, in client id order; the next cursor (the
    last client id examined) or None at the end."""
    now = utcnow()
    stmt = select(ClientRow).where(visible_clients_clause(advisor))
    if hub:
        stmt = stmt.where(ClientRow.hub == hub.upper())
    if vic_tiers:
        stmt = stmt.where(ClientRow.vic_tier.in_(vic_tiers))
    since = now - timedelta(days=bought_within_days) if bought_within_days else None
    if since is not None:
        stmt = stmt.where(
            exists(select(PurchaseRow.id).where(PurchaseRow.client_id == ClientRow.id, PurchaseRow.at >= since, PurchaseRow.returned.is_(False)))
        )
    cursor = after or 0
    items: list[CallListItem] = []
    scanned = 0
    while True:
        batch = session.execute(stmt.where(ClientRow.id > cursor).order_by(ClientRow.id).limit(CALL_LIST_BATCH)).scalars().all()
        if not batch:
            return items, None
        ids = [c.id or 0 for c in batch]
        recent = _recent_purchases(session, ids, since) if since is not None else {}
        in_line = _line_purchases(session, ids, line) if line else {}
        stats = contacts.stats(session, ids, now)
        last_bought = _last_purchases(session, ids)
        advisors = _personal_advisors(session, batch)
        for client in batch:
            cursor = client.id or 0
            scanned += 1
            why = _matches(client, now, recent, in_line, stats, line, vic_tiers, no_contact_days, birthday_month, hub)
            if why is None:
                continue
            st = stats.get(cursor, contacts.ContactStats())
            ch = channel or client.preferred_channel
            result = contacts.check(client, ch, st, now)
            if not result.allowed and not include_blocked:
                continue
            items.append(
                CallListItem(
                    client_id=cursor,
                    name=client.name,
                    native_name=client.native_name,
                    hub=client.hub,
                    country=client.country,
                    locale=client.locale,
                    vic_tier=client.vic_tier,
                    preferred_channel=client.preferred_channel,
                    channel=ch,
                    contactable=result.allowed,
                    code=result.code,
                    reason=result.reason,
                    contacts_this_month=st.this_month,
                    max_per_month=client.contact_max_per_month,
                    last_contacted_at=st.last_at,
                    last_purchase_at=last_bought.get(cursor),
                    birthday=client.birthday,
                    personal_advisor=advisors.get(client.personal_advisor_id or 0),
                    why=why,
                )
            )
            if len(items) >= limit:
                return items, cursor
        if scanned >= CALL_LIST_SCAN:
            return items, cursor


def _matches(
    client: ClientRow,
    now: datetime,
    recent: dict[int, tuple[str, datetime]],
    in_line: dict[int, int],
    stats: dict[int, contacts.ContactStats],
    line: str | None,
    vic_tiers: list[str],
    no_contact_days: int | None,
    birthday_month: int | None,
    hub: str | None,
) -> list[CallListWhy] | None:
    """Why this client is on the list (one entry per criterion asked), or None."""
    cid = client.id or 0
    why: list[CallListWhy] = []
    if cid in recent:
        name, at = recent[cid]
        why.append(CallListWhy(criterion="bought_within_days", text=f"Bought {name} {_days(now, at)} days ago ({at:%Y-%m-%d})"))
    if vic_tiers:
        why.append(CallListWhy(criterion="vic_tier", text=f"VIC tier {client.vic_tier}"))
    if line:
        liked = [ln for ln in (client.taste or {}).get("lines", []) if ln.lower() == line.lower()]
        bought = in_line.get(cid, 0)
        if not liked and not bought:
            return None
        parts = ([f"Loves {liked[0]}"] if liked else []) + ([f"bought {bought} piece{'s' if bought != 1 else ''} of {line}"] if bought else [])
        text = "; ".join(parts)
        why.append(CallListWhy(criterion="line", text=text[0].upper() + text[1:]))
    if no_contact_days:
        last = stats.get(cid, contacts.ContactStats()).last_at
        if last is not None and last > now - timedelta(days=no_contact_days):
            return None
        why.append(CallListWhy(criterion="no_contact_days", text=f"No contact for {_days(now, last)} days" if last else "Never contacted by an advisor"))
    if birthday_month:
        if client.birthday is None or client.birthday.month != birthday_month:
            return None
        why.append(CallListWhy(criterion="birthday_month", text=f"Birthday on {client.birthday.day} {client.birthday:%B}"))
    if hub:
        why.append(CallListWhy(criterion="hub", text=f"Client of {HUBS[client.hub].name if client.hub in HUBS else client.hub}"))
    return why


def _recent_purchases(session: Session, ids: list[int], since: datetime) -> dict[int, tuple[str, datetime]]:
    rows = session.execute(
        select(PurchaseRow.client_id, PurchaseRow.product_name, PurchaseRow.at)
        .where(PurchaseRow.client_id.in_(ids), PurchaseRow.at >= since, PurchaseRow.returned.is_(False))
        .order_by(PurchaseRow.client_id, PurchaseRow.at)
    ).all()
    return {cid: (name, at) for cid, name, at in rows}  # the latest wins


def _last_purchases(session: Session, ids: list[int]) -> dict[int, datetime]:
    rows = session.execute(select(PurchaseRow.client_id, PurchaseRow.at).where(PurchaseRow.client_id.in_(ids)).order_by(PurchaseRow.client_id, PurchaseRow.at)).all()
    return {cid: at for cid, at in rows}


def _line_purchases(session: Session, ids: list[int], line: str) -> dict[int, int]:
    rows = session.execute(
        select(PurchaseRow.client_id)
        .join(ProductRow, ProductRow.id == PurchaseRow.product_id)
        .where(PurchaseRow.client_id.in_(ids), ProductRow.line == line)
    ).all()
    out: dict[int, int] = {}
    for (cid,) in rows:
        out[cid] = out.get(cid, 0) + 1
    return out


def _personal_advisors(session: Session, clients: list[ClientRow]) -> dict[int, str]:
    ids = {c.personal_advisor_id for c in clients if c.personal_advisor_id}
    if not ids:
        return {}
    return dict(session.execute(select(AdvisorRow.id, AdvisorRow.username).where(AdvisorRow.id.in_(ids))).all())


# ---- the advisor's tasks -------------------------------------------------------------------


def encode_task_cursor(due: datetime, task_id: int) -> str:
    return base64.urlsafe_b64encode(f"{due.astimezone(timezone.utc).isoformat()}|{task_id}".encode()).decode()


def decode_task_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        due_s, id_s = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        due = datetime.fromisoformat(due_s)
        task_id = int(id_s)
        if due.tzinfo is None or not 0 < task_id <= 2**31 - 1:
            raise ValueError(cursor)
        return due, task_id
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "This cursor is not one the server gave out.") from None


def zone(tz: str | None, advisor: Advisor) -> ZoneInfo:
    name = tz or (HUBS[advisor.hub].tz if advisor.hub in HUBS else "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(422, "invalid_timezone", f"{name!r} is not an IANA time zone (e.g. Europe/Rome).") from None


def end_of_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(days=1)
    return midnight.astimezone(timezone.utc)


def list_tasks(
    session: Session,
    advisor: Advisor,
    *,
    assignee: str | None,
    status: str,
    due_before: datetime | None,
    client_id: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[list[TaskListItem], str | None]:
    """Tasks by due time (then id). `assignee`: "me" (default), a username, or "any".
    Advisors see tasks of their hub's clients and their own."""
    now = utcnow()
    stmt = select(TaskRow, ClientRow).join(ClientRow, ClientRow.id == TaskRow.client_id)
    if advisor.role == Role.advisor:
        stmt = stmt.where(or_(ClientRow.hub == advisor.hub, TaskRow.advisor_id == advisor.id))
    who = assignee or "me"
    if who != "any":
        username = advisor.username if who == "me" else who
        row = session.execute(select(AdvisorRow.id).where(AdvisorRow.username == username)).first()
        if row is None:
            raise ApiError(422, "unknown_advisor", f"There is no advisor named {username!r}.")
        stmt = stmt.where(TaskRow.advisor_id == row[0])
    if status == "open":
        stmt = stmt.where(TaskRow.done.is_(False))
    elif status == "done":
        stmt = stmt.where(TaskRow.done.is_(True))
    if due_before is not None:
        if due_before.tzinfo is None:
            raise ApiError(422, "invalid_time", "due_before must carry a UTC offset.")
        stmt = stmt.where(TaskRow.due < due_before)
    if client_id is not None:
        stmt = stmt.where(TaskRow.client_id == client_id)
    if after is not None:
        due, tid = after
        stmt = stmt.where(or_(TaskRow.due > due, and_(TaskRow.due == due, TaskRow.id > tid)))
    rows = session.execute(stmt.order_by(TaskRow.due, TaskRow.id).limit(limit + 1)).all()
    items = [
        TaskListItem(
            **task.to_model().model_dump(),
            client_name=client.name,
            client_native_name=client.native_name,
            client_hub=client.hub,
            client_hub_tz=HUBS[client.hub].tz if client.hub in HUBS else "UTC",
            overdue=not task.done and task.due < now,
        )
        for task, client in rows[:limit]
    ]
    nxt = encode_task_cursor(items[-1].due, items[-1].id) if len(rows) > limit else None
    return items, nxt


def client_360(session: Session, client: ClientRow) -> Client360:
    """Everything the house knows about a client (GET /clients/{id}, recordings)."""
    purchases = session.execute(select(PurchaseRow).where(PurchaseRow.client_id == client.id).order_by(PurchaseRow.at.desc())).scalars().all()
    tasks = session.execute(select(TaskRow).where(TaskRow.client_id == client.id, TaskRow.done.is_(False)).order_by(TaskRow.due)).scalars().all()
    return Client360(
        **client.to_model().model_dump(),
        purchases=[p.to_model() for p in purchases],
        tasks=[t.to_model() for t in tasks],
        **client_extras(session, client),
    )
