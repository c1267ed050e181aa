"""Contacts, consent and the contact-frequency cap (issue 5).

What counts as a contact (`contacts_this_month`, `last_contacted_at`):
- A contact is a day on which an advisor wrote to the client in one conversation: at
  least one message of kind `reply` (outbound, to the client; not a note, call note or
  system message) authored by an advisor (not "client" or "system"), in any of the
  client's conversations, whatever the channel. Several replies in the same conversation
  on the same UTC day are one contact; replies in two conversations (an email and a
  WhatsApp, say) on the same day are two.
- Replies count whether the client or the advisor started the conversation: answering
  her is still being in touch. Scheduled replies count once they are sent.
- `contacts_this_month` counts the contacts of the current calendar month in UTC (from
  the 1st at 00:00 UTC); `last_contacted_at` is the time of the latest such reply ever.

What is checked (`check`), for an outreach — an advisor-initiated contact: the outreach
endpoint, and a reply in a conversation the client has never written in:
1. consent: `client.consent[channel]` must be true, else `consent_refused`;
2. frequency: with `contact_max_per_month` set, `contacts_this_month` must be below it,
   else `contact_frequency_exceeded` (the next is allowed from the 1st of next month).
Replies in a conversation the client wrote in are never refused by these rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlmodel import Session

from ..domain.models import ContactCheck
from .tables import ClientRow, ConversationRow, MessageRow

NOT_ADVISORS = ("client", "system")
CONSENT_CHANNELS = ("chat", "whatsapp", "email", "phone")


@dataclass
class ContactStats:
    this_month: int = 0
    last_at: datetime | None = None


def month_start(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def _is_contact():  # type: ignore[no-untyped-def]
    return (MessageRow.kind == "reply") & MessageRow.author.not_in(NOT_ADVISORS)


def stats(session: Session, client_ids: Iterable[int], now: datetime) -> dict[int, ContactStats]:
    """Contact statistics of these clients (absent ones had no contact ever)."""
    ids = sorted(set(client_ids))
    out: dict[int, ContactStats] = {}
    if not ids:
        return out
    start = month_start(now)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        last = session.execute(
            select(ConversationRow.client_id, func.max(MessageRow.at))
            .join(MessageRow, MessageRow.conversation_id == ConversationRow.id)
            .where(ConversationRow.client_id.in_(chunk), _is_contact())
            .group_by(ConversationRow.client_id)
        ).all()
        for cid, at in last:
            if at is not None:
                out.setdefault(cid, ContactStats()).last_at = _aware(at)
        days: dict[int, set[tuple[int, str]]] = defaultdict(set)
        rows = session.execute(
            select(ConversationRow.client_id, MessageRow.conversation_id, MessageRow.at)
            .join(MessageRow, MessageRow.conversation_id == ConversationRow.id)
            .where(ConversationRow.client_id.in_(chunk), _is_contact(), MessageRow.at >= start)
        ).all()
        for cid, conv_id, at in rows:
            days[cid].add((conv_id, at.astimezone(timezone.utc).date().isoformat()))
        for cid, seen in days.items():
            out.setdefault(cid, ContactStats()).this_month = len(seen)
    return out


def _aware(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def replied_today(session: Session, conv_id: int, now: datetime) -> bool:
    """Whether an advisor already replied in this conversation today (UTC): another reply
    today is the same contact, so the frequency cap does not refuse it."""
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    found = session.execute(
        select(MessageRow.id).where(MessageRow.conversation_id == conv_id, _is_contact(), MessageRow.at >= day).limit(1)
    ).first()
    return found is not None


def check(client: ClientRow, channel: str, st: ContactStats, now: datetime, *, same_contact: bool = False) -> ContactCheck:
    """May an advisor start a contact with this client on this channel now? With
    `same_contact` (the message joins a contact already made today in the same
    conversation) only consent is checked."""
    cap = client.contact_max_per_month
    base = {
        "channel": channel,
        "contacts_this_month": st.this_month,
        "max_per_month": cap,
        "last_contacted_at": st.last_at,
    }
    if not (client.consent or {}).get(channel):
        if channel not in CONSENT_CHANNELS:
            reason = f"The client cannot be contacted on {channel}: consent is given per channel ({', '.join(CONSENT_CHANNELS)})."
        elif channel in (client.consent or {}):
            reason = f"{client.name} has not consented to be contacted by {channel}."
        else:
            reason = f"{client.name} has not given consent to be contacted by {channel}."
        consented = [ch for ch in CONSENT_CHANNELS if (client.consent or {}).get(ch)]
        reason += f" Consented channels: {', '.join(consented)}." if consented else " She has consented to no channel."
        return ContactCheck(allowed=False, code="consent_refused", reason=reason, **base)
    if cap is not None and st.this_month >= cap and not same_contact:
        nxt = next_month_start(now)
        reason = (
            f"{client.name} asked not to be contacted more than {cap} time{'s' if cap != 1 else ''} a month; "
            f"she has been contacted {st.this_month} time{'s' if st.this_month != 1 else ''} this month. "
            f"The next contact is allowed from {nxt:%Y-%m-%d} 00:00 UTC."
        )
        return ContactCheck(allowed=False, code="contact_frequency_exceeded", reason=reason, next_allowed_at=nxt, **base)
    left = "no monthly limit" if cap is None else f"{cap - st.this_month} of {cap} contact{'s' if cap != 1 else ''} left this month"
    return ContactCheck(allowed=True, code=None, reason=f"{client.name} may be contacted by {channel} ({left}).", **base)


def check_one(session: Session, client: ClientRow, channel: str, now: datetime, *, same_contact: bool = False) -> ContactCheck:
    st = stats(session, [client.id or 0], now).get(client.id or 0, ContactStats())
    return check(client, channel, st, now, same_contact=same_contact)
