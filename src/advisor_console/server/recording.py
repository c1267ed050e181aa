"""Recordings (issue 7): a conversation, a time window or an advisor's shift in it, exported from the event log
as JSONL (docs/recording-format.md), client personal data masked by default.

One function, `recording_lines`, serves `advisor-console record` (reading the database
directly) and GET /api/v1/recordings (team leads and trainers; always masked for
trainers). `masker` builds the Masker over every client of the database, so no client's
name, email or phone survives in an export, whoever the text mentions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from ..domain.masking import Masker
from . import clienteling, eventlog
from .errors import ApiError, not_found
from .tables import AdvisorRow, ClientRow, ConversationRow, EventRow

FORMAT = "advisor-console-recording"
VERSION = 1


def masker(session: Session) -> Masker:
    rows = session.execute(select(ClientRow.id, ClientRow.name, ClientRow.native_name, ClientRow.locale, ClientRow.email, ClientRow.phone)).all()
    return Masker([r._asdict() for r in rows])


def _dump(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)


def recording_lines(
    session: Session,
    *,
    conversation_id: int | None = None,
    advisor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mask: bool = True,
    source: str = "",
) -> Iterator[str]:
    """The recording, line by line (each ends with a newline). ApiError for a bad selection."""
    if conversation_id is not None and (advisor is not None or since is not None or until is not None):
        raise ApiError(422, "invalid_selection", "Record either one conversation, or a time window (since, until), optionally one advisor's shift.")
    stmt = select(EventRow).order_by(EventRow.seq)
    selection: dict[str, Any]
    if conversation_id is not None:
        if session.get(ConversationRow, conversation_id) is None:
            raise not_found("Conversation")
        stmt = stmt.where(EventRow.conversation_id == conversation_id)
        selection = {"conversation": conversation_id}
    else:
        if since is None or until is None:
            raise ApiError(422, "invalid_selection", "Give a conversation, or a time window: since and until (ISO 8601 times with a UTC offset).")
        if since >= until:
            raise ApiError(422, "invalid_window", "since must be before until.")
        stmt = stmt.where(EventRow.at >= since, EventRow.at < until)
        selection = {"since": since.isoformat(), "until": until.isoformat()}
        if advisor is not None:
            if session.execute(select(AdvisorRow.id).where(AdvisorRow.username == advisor)).first() is None:
                raise ApiError(422, "unknown_advisor", f"There is no advisor named {advisor!r}.")
            stmt = stmt.where(or_(EventRow.actor == advisor, EventRow.assignee == advisor, EventRow.prev_assignee == advisor))
            selection["advisor"] = advisor
    events = [eventlog.to_event(r).model_dump(mode="json") for r in session.execute(stmt).scalars()]
    client_ids: set[int] = set()
    usernames: set[str] = {advisor} if advisor else set()
    for e in events:
        conv = e["data"].get("conversation") or {}
        if conv.get("client_id"):
            client_ids.add(int(conv["client_id"]))
        if e["data"].get("client_id"):
            client_ids.add(int(e["data"]["client_id"]))
        for who in (conv.get("assignee"), e["actor"]):
            if who:
                usernames.add(who)
    m = masker(session) if mask else None
    yield _dump({
        "format": FORMAT, "version": VERSION, "masked": mask, "source": source,
        "recorded_at": datetime.now(timezone.utc).isoformat(), "selection": selection, "events": len(events),
    }) + "\n"
    for row in session.execute(select(AdvisorRow).where(AdvisorRow.username.in_(usernames))).scalars():
        yield _dump({"record": "document", "kind": "advisor", "id": row.username, "data": row.to_model().model_dump(mode="json")}) + "\n"
    for client in session.execute(select(ClientRow).where(ClientRow.id.in_(client_ids))).scalars():
        doc = clienteling.client_360(session, client).model_dump(mode="json")
        if m is not None:
            doc = m.document(doc)
            person = m.person(client.id or 0)
            if person is not None:  # the fields themselves, whatever the text rules would catch
                doc.update(name=person.pseudonym, native_name=person.pseudonym_native if client.native_name else None,
                           email=m.email(person) if client.email else None, phone=m.phone(person) if client.phone else None, birthday=None)
        yield _dump({"record": "document", "kind": "client", "id": client.id, "data": doc}) + "\n"
    for e in events:
        yield _dump({"record": "event", **(m.document(e) if m is not None else e)}) + "\n"
