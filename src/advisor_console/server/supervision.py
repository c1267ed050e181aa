"""Supervision and routing (issue 6): what team leads see and set.

- Settings (`setting` table): first-response targets per channel, and the routing rules.
- `board`: every advisor's status, load against capacity, open conversations and oldest
  unanswered message; queue depth by hub, channel and language; the longest wait; the
  conversations past their first-response target. Computed from the tables at request time.
- `series`: conversations awaiting a first response, and the median first-response time,
  per time bucket over the last hours (for the board's charts).
- `report`: one day and one hub: handled, first response median and p90, resolved, try-on
  selections sent, purchases attributed to a product shared with that client.
- `whisper`: a team lead's note that only the advisor holding the conversation sees.
- `route`: offer a new conversation to an advisor: the client's personal advisor first,
  then by language, hub on duty (follow the sun by local business hours) and lowest load;
  never above capacity (the chosen advisor's row is locked while load is counted).
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session

from ..domain import events as ev
from ..domain.models import HUBS, Advisor, MessageKind, Role
from . import eventlog
from .errors import ApiError
from .eventlog import utcnow
from .tables import AdvisorRow, ClientRow, ConversationRow, EventRow, MessageRow, PurchaseRow, SettingRow, TryonSelectionRow

DEFAULT_TARGETS = {"chat": 120, "whatsapp": 900, "email": 4 * 3600, "phone": 600, "video": 300}
DEFAULT_ROUTING: dict[str, Any] = {
    "enabled": False,  # off: new conversations wait in their hub's queue to be claimed
    "personal_advisor_first": True,
    "language_match": True,
    "follow_the_sun": True,
    "business_hours": {hub: [9, 21] for hub in HUBS},  # local hours [from, to) a hub is on duty
}
OPEN = ("queued", "assigned")
WHISPER_HUB = "~"  # an event "hub" no advisor belongs to: only its assignee (and team leads) see it


def _aware(dt: datetime | None) -> datetime | None:
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# ---- settings ---------------------------------------------------------------------------------


def get_setting(session: Session, key: str, default: dict[str, Any]) -> dict[str, Any]:
    row = session.get(SettingRow, key)
    return {**default, **(row.value if row is not None else {})}


def rules(session: Session) -> dict[str, Any]:
    return {"first_response_targets": get_setting(session, "first_response_targets", DEFAULT_TARGETS), "routing": get_setting(session, "routing", DEFAULT_ROUTING)}


def set_rules(session: Session, actor: Advisor, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    targets = body.get("first_response_targets")
    routing = body.get("routing")
    if targets is not None:
        if not isinstance(targets, dict) or any(k not in DEFAULT_TARGETS or not isinstance(v, int) or not 1 <= v <= 7 * 86400 for k, v in targets.items()):
            raise ApiError(422, "invalid_targets", f"first_response_targets: seconds (1 to 604800) per channel, channels {', '.join(DEFAULT_TARGETS)}.")
        _put(session, "first_response_targets", {**get_setting(session, "first_response_targets", DEFAULT_TARGETS), **targets})
    if routing is not None:
        if not isinstance(routing, dict) or any(k not in DEFAULT_ROUTING for k in routing):
            raise ApiError(422, "invalid_routing", f"routing takes {', '.join(DEFAULT_ROUTING)}.")
        for flag in ("enabled", "personal_advisor_first", "language_match", "follow_the_sun"):
            if flag in routing and not isinstance(routing[flag], bool):
                raise ApiError(422, "invalid_routing", f"routing.{flag} is true or false.")
        hours = routing.get("business_hours")
        if hours is not None and (not isinstance(hours, dict) or any(h not in HUBS or not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and 0 <= x <= 24 for x in v) and v[0] < v[1]) for h, v in hours.items())):
            raise ApiError(422, "invalid_routing", "routing.business_hours: {HUB: [from, to]} in local hours, 0 <= from < to <= 24.")
        merged = {**get_setting(session, "routing", DEFAULT_ROUTING), **routing}
        if hours is not None:
            merged["business_hours"] = {**DEFAULT_ROUTING["business_hours"], **get_setting(session, "routing", DEFAULT_ROUTING)["business_hours"], **hours}
        _put(session, "routing", merged)
    result = rules(session)
    eventlog.append(session, ev.SUPERVISION_RULES_UPDATED, actor.username, result, hub=WHISPER_HUB)
    return 200, result


def _put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value))
    else:
        row.value = value
        session.add(row)
    session.flush()


# ---- the board ----------------------------------------------------------------------------------


def _last_reply_at(session: Session, conv_ids: list[int]) -> dict[int, datetime]:
    if not conv_ids:
        return {}
    rows = session.execute(
        select(MessageRow.conversation_id, func.max(MessageRow.at)).where(MessageRow.conversation_id.in_(conv_ids), MessageRow.kind == MessageKind.reply.value).group_by(MessageRow.conversation_id)
    ).all()
    return {cid: _aware(at) for cid, at in rows}


def waiting_since(conv: ConversationRow, last_reply: datetime | None) -> datetime | None:
    """When the client's unanswered message arrived (None: nothing waits for an answer)."""
    inbound = _aware(conv.last_inbound_at)
    if inbound is None or (last_reply is not None and last_reply >= inbound):
        return None
    return inbound


def board(session: Session, hub: str | None, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    targets = get_setting(session, "first_response_targets", DEFAULT_TARGETS)
    conv_q = select(ConversationRow).where(ConversationRow.status.in_(OPEN))
    adv_q = select(AdvisorRow).where(AdvisorRow.role.in_((Role.advisor.value, Role.supervisor.value))).order_by(AdvisorRow.hub, AdvisorRow.name)
    if hub:
        conv_q = conv_q.where(ConversationRow.hub == hub)
        adv_q = adv_q.where(AdvisorRow.hub == hub)
    convs = session.execute(conv_q).scalars().all()
    advisors = session.execute(adv_q).scalars().all()
    replies = _last_reply_at(session, [c.id for c in convs if c.id is not None])
    names = {a.id: a.username for a in session.execute(select(AdvisorRow)).scalars()}
    clients = {c.id: c for c in session.execute(select(ClientRow).where(ClientRow.id.in_({c.client_id for c in convs}))).scalars()} if convs else {}

    by_assignee: dict[int, list[ConversationRow]] = {}
    for c in convs:
        if c.assignee_id is not None and c.status == "assigned":
            by_assignee.setdefault(c.assignee_id, []).append(c)
    rows = []
    for a in advisors:
        mine = by_assignee.get(a.id or -1, [])
        waits = [w for c in mine if (w := waiting_since(c, replies.get(c.id or 0))) is not None]
        rows.append({
            "username": a.username, "name": a.name, "hub": a.hub, "role": a.role, "status": a.status, "capacity": a.capacity,
            "languages": list(a.languages or []), "load": len(mine), "open_conversations": [c.id for c in mine],
            "oldest_unanswered_seconds": round((now - min(waits)).total_seconds()) if waits else None,
        })
    queued = [c for c in convs if c.status == "queued"]
    depth: dict[str, dict[str, int]] = {"hub": {}, "channel": {}, "language": {}}
    for c in queued:
        for facet, value in (("hub", c.hub), ("channel", c.channel), ("language", c.language)):
            depth[facet][value] = depth[facet].get(value, 0) + 1
    waits_all = [(c, w) for c in convs if (w := waiting_since(c, replies.get(c.id or 0))) is not None]
    longest = max(waits_all, key=lambda cw: now - cw[1], default=None)
    past = []
    for c in convs:
        if c.first_response_at is not None:
            continue
        target = int(targets.get(c.channel, DEFAULT_TARGETS.get(c.channel, 900)))
        waited = (now - _aware(c.created_at)).total_seconds()
        if waited > target:
            client = clients.get(c.client_id)
            past.append({
                "conversation_id": c.id, "client": client.name if client else "", "client_native_name": client.native_name if client else None,
                "hub": c.hub, "channel": c.channel, "language": c.language, "status": c.status, "assignee": names.get(c.assignee_id),
                "waited_seconds": round(waited), "target_seconds": target,
            })
    past.sort(key=lambda p: p["waited_seconds"] - p["target_seconds"], reverse=True)
    return {
        "hub": hub, "at": now.isoformat(), "advisors": rows, "queue_depth": {"total": len(queued), **depth},
        "open_conversations": len(convs),
        "longest_wait": {"conversation_id": longest[0].id, "seconds": round((now - longest[1]).total_seconds()), "hub": longest[0].hub, "channel": longest[0].channel} if longest else None,
        "past_target": past, "first_response_targets": targets,
    }


# ---- series for the charts ---------------------------------------------------------------------


def series(session: Session, hub: str | None, hours: int, bucket_minutes: int, now: datetime | None = None) -> dict[str, Any]:
    """Per bucket over the last `hours`: conversations created and not yet answered at the
    bucket's end, and the median first-response time of those answered within it."""
    now = now or utcnow()
    start = now - timedelta(hours=hours)
    q = select(ConversationRow.created_at, ConversationRow.first_response_at).where((ConversationRow.first_response_at.is_(None)) | (ConversationRow.first_response_at >= start))
    if hub:
        q = q.where(ConversationRow.hub == hub)
    spans = [(_aware(a), _aware(b)) for a, b in session.execute(q).all()]
    step = timedelta(minutes=bucket_minutes)
    buckets = []
    t = start
    while t < now:
        end = min(t + step, now)
        waiting = sum(1 for created, first in spans if created <= end and (first is None or first > end))
        answered = [(first - created).total_seconds() for created, first in spans if first is not None and t <= first < end]
        buckets.append({"start": t.isoformat(), "end": end.isoformat(), "awaiting_first_response": waiting, "first_response_median_seconds": round(statistics.median(answered)) if answered else None, "answered": len(answered)})
        t = end
    return {"hub": hub, "hours": hours, "bucket_minutes": bucket_minutes, "buckets": buckets}


# ---- the day's report -------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(session: Session, day: date, hub: str, attribution_days: int) -> dict[str, Any]:
    zone = ZoneInfo(HUBS[hub].tz)
    start = datetime.combine(day, time(0), zone).astimezone(timezone.utc)
    end = start + timedelta(days=1)
    conv_ids_hub = select(ConversationRow.id).where(ConversationRow.hub == hub)
    handled = session.execute(
        select(func.count(func.distinct(MessageRow.conversation_id))).where(MessageRow.kind == MessageKind.reply.value, MessageRow.at >= start, MessageRow.at < end, MessageRow.conversation_id.in_(conv_ids_hub))
    ).scalar_one()
    firsts = [(_aware(f) - _aware(c)).total_seconds() for c, f in session.execute(
        select(ConversationRow.created_at, ConversationRow.first_response_at).where(ConversationRow.hub == hub, ConversationRow.first_response_at >= start, ConversationRow.first_response_at < end)
    ).all()]
    resolved = session.execute(select(func.count()).select_from(EventRow).where(EventRow.type == ev.CONVERSATION_RESOLVED, EventRow.hub == hub, EventRow.at >= start, EventRow.at < end)).scalar_one()
    tryons = session.execute(
        select(func.count()).select_from(TryonSelectionRow).join(ClientRow, ClientRow.id == TryonSelectionRow.client_id).where(ClientRow.hub == hub, TryonSelectionRow.created_at >= start, TryonSelectionRow.created_at < end)
    ).scalar_one()
    attributed = attributed_purchases(session, hub, start, end, attribution_days)
    return {
        "day": day.isoformat(), "hub": hub, "conversations_handled": handled,
        "first_response_median_seconds": round(statistics.median(firsts)) if firsts else None,
        "first_response_p90_seconds": round(_p(firsts, 0.9)) if firsts else None,  # type: ignore[arg-type]
        "first_responses": len(firsts), "resolved": resolved, "tryon_selections_sent": tryons,
        "purchases_attributed": len(attributed), "attributed_revenue": _revenue(attributed), "attribution_days": attribution_days,
        "attributed": attributed,
    }


def attributed_purchases(session: Session, hub: str, start: datetime, end: datetime, days: int) -> list[dict[str, Any]]:
    """Purchases made in [start, end) by clients of `hub` of a piece an advisor shared with
    that client (a product card or a try-on selection) in the `days` before."""
    purchases = session.execute(
        select(PurchaseRow).join(ClientRow, ClientRow.id == PurchaseRow.client_id).where(ClientRow.hub == hub, PurchaseRow.at >= start, PurchaseRow.at < end)
    ).scalars().all()
    out = []
    for p in purchases:
        bought = _aware(p.at)
        since = bought - timedelta(days=days)
        shared = session.execute(
            select(MessageRow.at, MessageRow.author, MessageRow.attachments).join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
            .where(ConversationRow.client_id == p.client_id, MessageRow.kind == MessageKind.reply.value, MessageRow.at >= since, MessageRow.at <= bought)
        ).all()
        hit = next(((at, author) for at, author, attachments in shared for a in attachments or [] if a.get("sku") == p.sku or any(i.get("sku") == p.sku for i in (a.get("data") or {}).get("items", []))), None)
        if hit is not None:
            out.append({"purchase_id": p.id, "client_id": p.client_id, "sku": p.sku, "price": p.price, "currency": p.currency, "bought_at": bought.isoformat(), "shared_at": _aware(hit[0]).isoformat(), "shared_by": hit[1]})
    return out


def _revenue(items: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for i in items:
        totals[i["currency"]] = totals.get(i["currency"], 0.0) + i["price"]
    return totals


def report_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["day", "hub", "conversations_handled", "first_response_median_seconds", "first_response_p90_seconds", "resolved", "tryon_selections_sent", "purchases_attributed", "attributed_revenue"])
    w.writerow([data["day"], data["hub"], data["conversations_handled"], data["first_response_median_seconds"] or "", data["first_response_p90_seconds"] or "",
                data["resolved"], data["tryon_selections_sent"], data["purchases_attributed"], " ".join(f"{c} {v:.2f}" for c, v in sorted(data["attributed_revenue"].items()))])
    return out.getvalue()


# ---- whispers -----------------------------------------------------------------------------------


def whisper(session: Session, actor: Advisor, conv_id: int, text: str) -> tuple[int, dict[str, Any]]:
    from .services import _add_message, _conversation, check_message_size, summary, username_of

    check_message_size(text)
    if not text.strip():
        raise ApiError(422, "empty_message", "A whisper needs some text.")
    conv = _conversation(session, conv_id)
    holder = username_of(session, conv.assignee_id)
    if holder is None:
        raise ApiError(409, "not_assigned", "Nobody holds this conversation: there is no one to whisper to.")
    message = _add_message(session, conv, {}, kind=MessageKind.whisper.value, body=text, attachments=[], author=actor.username, at=utcnow(), delivery="internal", whisper_to=holder)
    data = {"conversation": summary(session, conv).model_dump(mode="json"), "message": message}
    eventlog.append(session, ev.MESSAGE_CREATED, actor.username, data, conversation_id=conv.id, hub=WHISPER_HUB, assignee=holder)
    return 201, message


def visible_message(viewer: Advisor, row: MessageRow) -> bool:
    """A whisper is for its advisor and for team leads (and trainers, who see everything
    masked); every other message as its conversation."""
    return row.whisper_to is None or viewer.sees_everything or row.whisper_to == viewer.username


# ---- routing --------------------------------------------------------------------------------------


def on_duty(hub: str, hours: dict[str, list[int]], now: datetime) -> bool:
    start, stop = hours.get(hub, [9, 21])
    local = now.astimezone(ZoneInfo(HUBS[hub].tz)) if hub in HUBS else now
    return start <= local.hour < stop


def route(session: Session, conv: ConversationRow, now: datetime | None = None) -> AdvisorRow | None:
    """Offer a queued conversation to an advisor, when routing is on; assigns it and
    returns the advisor, or None (it stays queued)."""
    settings = get_setting(session, "routing", DEFAULT_ROUTING)
    if not settings.get("enabled") or conv.status != "queued" or conv.assignee_id is not None:
        return None
    now = now or utcnow()
    hours = {**DEFAULT_ROUTING["business_hours"], **settings.get("business_hours", {})}
    client = session.get(ClientRow, conv.client_id)
    candidates = session.execute(select(AdvisorRow).where(AdvisorRow.role == Role.advisor.value, AdvisorRow.status == "available", AdvisorRow.capacity > 0)).scalars().all()
    loads = dict(session.execute(
        select(ConversationRow.assignee_id, func.count()).where(ConversationRow.status == "assigned", ConversationRow.assignee_id.is_not(None)).group_by(ConversationRow.assignee_id)
    ).all())
    home_on_duty = on_duty(conv.hub, hours, now)

    def rank(a: AdvisorRow) -> tuple[Any, ...]:
        personal = settings.get("personal_advisor_first") and client is not None and client.personal_advisor_id == a.id
        speaks = conv.language in (a.languages or []) or conv.language.split("-")[0] in (a.languages or [])
        return (not personal, not (speaks or not settings.get("language_match")), a.hub != conv.hub, loads.get(a.id, 0) / max(1, a.capacity), a.id)

    def eligible(a: AdvisorRow) -> bool:
        if loads.get(a.id, 0) >= a.capacity:
            return False
        if a.hub == conv.hub:
            return home_on_duty or not settings.get("follow_the_sun") or (client is not None and client.personal_advisor_id == a.id)
        # Follow the sun: another hub's advisor takes it while the home hub is closed.
        return bool(settings.get("follow_the_sun")) and not home_on_duty and on_duty(a.hub, hours, now)

    for advisor in sorted((a for a in candidates if eligible(a)), key=rank):
        # Count again with the advisor's row locked: two arrivals never both take the last slot.
        locked = session.execute(select(AdvisorRow).where(AdvisorRow.id == advisor.id).with_for_update()).scalar_one()
        load = session.execute(select(func.count()).select_from(ConversationRow).where(ConversationRow.assignee_id == locked.id, ConversationRow.status == "assigned")).scalar_one()
        if load >= locked.capacity or locked.status != "available":
            continue
        conv.assignee_id, conv.status = locked.id, "assigned"
        session.add(conv)
        return locked
    return None


def fill_from_queue(session: Session, advisor_row: AdvisorRow, now: datetime | None = None) -> list[int]:
    """An advisor became available: offer queued conversations (oldest first) through the
    same rules until they are full or none suits. Returns the conversation ids routed."""
    from .services import _emit

    settings = get_setting(session, "routing", DEFAULT_ROUTING)
    if not settings.get("enabled"):
        return []
    routed = []
    queued = session.execute(select(ConversationRow).where(ConversationRow.status == "queued", ConversationRow.assignee_id.is_(None)).order_by(ConversationRow.created_at).limit(50)).scalars().all()
    for conv in queued:
        taker = route(session, conv, now)
        if taker is not None:
            _emit(session, ev.CONVERSATION_ROUTED, "routing", conv, {"to": taker.username})
            routed.append(conv.id)
        load = session.execute(select(func.count()).select_from(ConversationRow).where(ConversationRow.assignee_id == advisor_row.id, ConversationRow.status == "assigned")).scalar_one()
        if load >= advisor_row.capacity:
            break
    return routed
