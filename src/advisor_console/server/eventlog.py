"""The append-only event log and the wake-up bus of its streams.

Appends happen inside the write transaction that makes the change, so an event exists
if and only if its change was committed. `seq` is max+1 taken under a lock (SQLite's
write lock via BEGIN IMMEDIATE; a transaction-scoped advisory lock on PostgreSQL), so
sequence numbers are gapless and commit order equals seq order: a reader that has seen
seq N has seen every event below N.

After a commit, `EventBus.notify()` wakes the SSE streams of this process; on PostgreSQL
a NOTIFY (sent at commit) wakes the streams of every other process too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlmodel import Session

from ..domain.models import Advisor, Event, Role
from .tables import EventRow

log = logging.getLogger(__name__)

PG_CHANNEL = "advisor_console_events"
_PG_LOCK_KEY = 7_261_354


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def serialise_writes(session: Session) -> None:
    """Take the log's write lock now, for the whole transaction.

    SQLite already holds it (BEGIN IMMEDIATE). On PostgreSQL a transaction-scoped advisory
    lock makes read-check-write sequences (claim, idempotency keys) race-free and keeps
    seq order equal to commit order.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.info.get("event_lock"):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        session.info["event_lock"] = True


def append(
    session: Session,
    type: str,
    actor: str,
    data: dict[str, Any],
    *,
    conversation_id: int | None = None,
    hub: str | None = None,
    assignee: str | None = None,
    prev_hub: str | None = None,
    prev_assignee: str | None = None,
    at: datetime | None = None,
) -> EventRow:
    serialise_writes(session)
    next_seq = session.info.get("next_seq")
    if next_seq is None:
        session.flush()
        next_seq = (session.execute(select(func.max(EventRow.seq))).scalar() or 0) + 1
    row = EventRow(
        seq=next_seq,
        type=type,
        at=at or utcnow(),
        actor=actor,
        data=data,
        conversation_id=conversation_id,
        hub=hub,
        assignee=assignee,
        prev_hub=prev_hub,
        prev_assignee=prev_assignee,
    )
    session.add(row)
    session.info["next_seq"] = next_seq + 1
    session.info["appended"] = True
    return row


def to_event(row: EventRow) -> Event:
    return Event(seq=row.seq, type=row.type, at=row.at, actor=row.actor, data=row.data or {})


def visible_to(advisor: Advisor) -> Any:
    """SQL condition: which events a reader may see. Advisors: their hub, their own
    conversations, and events about no conversation (advisors' status)."""
    if advisor.role in (Role.supervisor, Role.trainer):
        return True
    return (
        EventRow.hub.is_(None)
        | (EventRow.hub == advisor.hub)
        | (EventRow.assignee == advisor.username)
        | (EventRow.prev_hub == advisor.hub)
        | (EventRow.prev_assignee == advisor.username)
    )


def read_after(session: Session, after: int, limit: int, advisor: Advisor) -> tuple[list[Event], int]:
    """Events after `after` that `advisor` may see, and the seq the reader may advance to.

    When a page is full, the cursor moves to the last event returned; otherwise to the head
    of the log at read time, so filtered-out events do not look like a gap.
    """
    head = session.execute(select(func.max(EventRow.seq))).scalar() or 0
    rows = session.execute(
        select(EventRow)
        .where(EventRow.seq > after, EventRow.seq <= head, visible_to(advisor))
        .order_by(EventRow.seq)
        .limit(limit)
    ).scalars().all()
    events = [to_event(r) for r in rows]
    last = events[-1].seq if len(events) == limit else max(head, after)
    return events, last


class EventBus:
    """Wakes waiting streams (on any event loop, from any thread) when the log grows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.version = 0

    def notify(self) -> None:
        with self._lock:
            self.version += 1
            waiters = list(self._waiters)
        for loop, ev in waiters:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # loop closed
                pass

    async def wait(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        ev = asyncio.Event()
        entry = (loop, ev)
        with self._lock:
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(ev.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def install(self, engine: Any) -> None:
        """Notify after every commit, on `engine`, of a session that appended events."""
        from sqlalchemy.orm import Session as session_class

        def ours(session: Session) -> bool:
            bind = session.bind
            return bind is not None and getattr(bind, "pool", None) is engine.pool

        @sa_event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            if not ours(session):
                return
            if session.info.pop("appended", False):
                self.notify()  # on PostgreSQL, before_commit also sent a NOTIFY
            session.info.pop("next_seq", None)
            session.info.pop("event_lock", None)

        @sa_event.listens_for(session_class, "before_commit")
        def _before_commit(session: Session) -> None:
            if ours(session) and session.info.get("appended") and engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_notify(:c, '')"), {"c": PG_CHANNEL})

        @sa_event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            for key in ("appended", "next_seq", "event_lock"):
                session.info.pop(key, None)


def listen_postgres(url: str, bus: EventBus, stop: threading.Event) -> threading.Thread:
    """A thread that LISTENs on PostgreSQL and wakes this process's streams on NOTIFY."""
    import psycopg

    from .db import normalise_url

    dsn = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")

    def run() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {PG_CHANNEL}")
                    bus.notify()  # catch anything committed while we were not listening
                    while not stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            bus.notify()
            except Exception as exc:  # noqa: BLE001 - keep listening through DB restarts
                log.warning("LISTEN connection lost: %s", exc)
                stop.wait(1.0)

    thread = threading.Thread(target=run, name="pg-listen", daemon=True)
    thread.start()
    return thread
