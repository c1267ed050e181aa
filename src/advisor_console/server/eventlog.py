"""The append-only event log and the wake-up bus of its streams.

Appends happen inside the write transaction that makes the change, so an event exists
if and only if its change was committed. `seq` is max+1 taken under a lock (SQLite's
write lock via BEGIN IMMEDIATE; a transaction-scoped advisory lock on PostgreSQL), so
sequence numbers are gapless and commit order equals seq order: a reader that has seen
seq N has seen every event below N.

After a commit, `EventBus.notify()` wakes the SSE streams of this process; on PostgreSQL
a NOTIFY (delivered at commit) wakes the streams of every other process too.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import secrets
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import Text, bindparam, cast, func, insert, select, text, type_coerce
from sqlmodel import Session

from ..domain.models import Advisor, Event
from .db import PG_LOG_LOCK_KEY
from .tables import EventRow

log = logging.getLogger(__name__)

PG_CHANNEL = "advisor_console_events"
# The payload of this process's NOTIFYs: its own LISTEN ignores them (its streams were woken
# at commit already; a second wake-up was a second read of the log's tail per write).
PROCESS_TOKEN = secrets.token_hex(8)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def serialise_writes(session: Session) -> None:
    """Take the log's write lock now, for the whole transaction.

    SQLite already holds it (BEGIN IMMEDIATE). On PostgreSQL a transaction-scoped advisory
    lock makes read-check-write sequences (claim, idempotency keys) race-free and keeps
    seq order equal to commit order; on the event loop's engine (option `nowait`) it is only
    tried, with the transaction's BEGIN (db.make_engine): `WouldWait` when another
    transaction holds it.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and not session.info.get("event_lock"):
        if bind.get_execution_options().get("nowait"):  # the event loop's engine: its BEGIN tried it
            session.connection()  # (WouldWait when it was taken)
        else:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOG_LOCK_KEY})
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
) -> int:
    """Append one event to the log in the session's transaction; its seq."""
    serialise_writes(session)
    values = {
        "type": type,
        "at": at or utcnow(),
        "actor": actor,
        "data": data,
        "conversation_id": conversation_id,
        "hub": hub,
        "assignee": assignee,
        "prev_hub": prev_hub,
        "prev_assignee": prev_assignee,
    }
    # Inserted at once through Core: an event is never read back or changed in the
    # transaction that writes it, so an ORM object (validated, tracked, flushed) bought
    # nothing and cost a fifth of a client message's write.
    table = EventRow.__table__  # type: ignore[attr-defined]
    next_seq = session.info.get("next_seq")
    if next_seq is None:
        # The transaction's first event: its seq is the log's max + 1, read by the INSERT
        # itself (under the write lock), not by a statement of its own: one round trip
        # fewer while the lock is held.
        # On PostgreSQL the same statement sends the transaction's NOTIFY (delivered at
        # commit, as one sent just before it would be; every transaction that appends has a
        # first event): another round trip saved.
        session.flush()
        next_seq = session.execute(_first_insert(session.get_bind().dialect.name == "postgresql"), values).first()[0]
    else:
        session.execute(insert(table), {"seq": next_seq, **values})
    session.info["next_seq"] = next_seq + 1
    session.info["appended"] = True
    return next_seq


_EVENT_VALUES = ("type", "at", "actor", "data", "conversation_id", "hub", "assignee", "prev_hub", "prev_assignee")
_FIRST_INSERTS: dict[bool, Any] = {}


def _first_insert(postgres: bool) -> Any:
    """The INSERT of a transaction's first event (`append`), built once per dialect: its seq is
    the log's max + 1; on PostgreSQL it also sends the NOTIFY. Parameters: `_EVENT_VALUES`."""
    stmt = _FIRST_INSERTS.get(postgres)
    if stmt is None:
        table = EventRow.__table__  # type: ignore[attr-defined]
        first = select(func.coalesce(func.max(table.c.seq), 0) + 1, *(bindparam(name, type_=table.c[name].type) for name in _EVENT_VALUES))
        returning = [table.c.seq, func.pg_notify(PG_CHANNEL, PROCESS_TOKEN)] if postgres else [table.c.seq]
        stmt = _FIRST_INSERTS[postgres] = insert(table).from_select(["seq", *_EVENT_VALUES], first).returning(*returning)
    return stmt


def to_event(row: EventRow) -> Event:
    return Event(seq=row.seq, type=row.type, at=row.at, actor=row.actor, data=row.data or {})


def visible_to(advisor: Advisor) -> Any:
    """SQL condition: which events a reader may see. Advisors: their hub, their own
    conversations, and events about no conversation (advisors' status)."""
    if advisor.sees_everything:
        return True
    return (
        EventRow.hub.is_(None)
        | (EventRow.hub == advisor.hub)
        | (EventRow.assignee == advisor.username)
        | (EventRow.prev_hub == advisor.hub)
        | (EventRow.prev_assignee == advisor.username)
    )


def is_visible(advisor: Advisor, hub: str | None, assignee: str | None, prev_hub: str | None, prev_assignee: str | None) -> bool:
    """`visible_to` in Python, for an event's filtering columns (keep the two in step)."""
    if advisor.sees_everything:
        return True
    return hub is None or hub == advisor.hub or assignee == advisor.username or prev_hub == advisor.hub or prev_assignee == advisor.username


def _page_query(session: Session, after: int, limit: int, advisor: Advisor, *columns: Any) -> tuple[Any, int]:
    """The statement of `_page` (rows of `columns` after `after` that `advisor` may see, up to
    the head of the log at read time) and that head."""
    head = session.execute(select(func.max(EventRow.seq))).scalar() or 0
    stmt = select(*columns).where(EventRow.seq > after, EventRow.seq <= head, visible_to(advisor)).order_by(EventRow.seq).limit(limit)
    return stmt, head


def _advance_to(rows: list[Any], limit: int, head: int, after: int) -> int:
    """When a page is full, the last row returned; otherwise the head of the log at read
    time, so filtered-out events do not look like a gap."""
    return rows[-1][0] if len(rows) == limit else max(head, after)


def _page(session: Session, after: int, limit: int, advisor: Advisor, *columns: Any) -> tuple[list[Any], int]:
    """Rows (of `columns`, seq first) after `after` that `advisor` may see, and the seq the
    reader may advance to (`_advance_to`)."""
    stmt, head = _page_query(session, after, limit, advisor, *columns)
    rows = list(session.execute(stmt).all())
    return rows, _advance_to(rows, limit, head, after)


def read_after(session: Session, after: int, limit: int, advisor: Advisor) -> tuple[list[Event], int]:
    """Events after `after` that `advisor` may see, and the seq the reader may advance to."""
    rows, last = _page(session, after, limit, advisor, EventRow.seq, EventRow)
    return [to_event(r[1]) for r in rows], last


def _iso(at: datetime) -> str:
    """A UTC time as pydantic writes it in JSON: ISO 8601 with `Z`."""
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


# `event.at` as the driver hands it over, without UTCDateTime's conversion: SQLite's stored
# text, PostgreSQL's naive UTC datetime (see `_iso_stored`).
_AT_STORED = type_coerce(EventRow.at, Text)


def _iso_stored(value: Any, dialect: Any) -> str:
    """`_iso` of an `event.at` as stored (naive UTC, `_AT_STORED`), without building the
    aware datetime UTCDateTime would: SQLite's `YYYY-MM-DD HH:MM:SS.ffffff` is rewritten
    as text (isoformat leaves out a zero fraction), a naive datetime is formatted as is.
    Anything else goes through the column's own result processing, as before."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == "." and value[20:].isdigit():
        frac = value[20:]
        return f"{value[:10]}T{value[11:19]}Z" if frac == "000000" else f"{value[:10]}T{value[11:]}Z"
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.isoformat() + "Z"
    process = EventRow.__table__.c.at.type.dialect_impl(dialect).result_processor(dialect, None)
    return _iso(process(value) if process else value)


# What an event's JSON is made of, as `EventJSON` reads it.
_EVENT_COLUMNS = (EventRow.seq, EventRow.type, _AT_STORED, EventRow.actor, cast(EventRow.data, Text))


class EventJSON:
    """Events as JSON text, the same document as serialising their `Event` models gives,
    built without them from the columns `_EVENT_COLUMNS` reads: the payload is the stored
    JSON text, spliced in as is, `at` is formatted from its stored form, and each distinct
    type and actor is JSON-quoted once (a page holds a handful). No row becomes an ORM
    object or a model: what is left per event is fetching the row and one f-string."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.quoted: dict[str, str] = {}

    def _quote(self, text: str) -> str:
        q = self.quoted.get(text)
        if q is None:
            q = self.quoted[text] = json.dumps(text, ensure_ascii=False)
        return q

    def __call__(self, seq: int, type_: str, at: Any, actor: str, data: str | None) -> str:
        payload = data if data and data != "null" else "{}"
        return f'{{"seq":{seq},"type":{self._quote(type_)},"at":"{_iso_stored(at, self.dialect)}","actor":{self._quote(actor)},"data":{payload}}}'


def sse_frame(seq: int, type_: str, event_json: str) -> str:
    """One event as an SSE frame: `id:` its seq, `event:` its type, `data:` the event."""
    return f"id: {seq}\nevent: {type_}\ndata: {event_json}\n\n"


def _json_page(session: Session, after: int, limit: int, advisor: Advisor) -> tuple[list[tuple[int, str, str]], int]:
    """`read_after` as (seq, type, the event's JSON) per event, built by `EventJSON`, and the
    seq the reader may advance to (for a page of 2,000 events, ORM loading, JSON decoding,
    validation and encoding took ~90 ms)."""
    stmt, head = _page_query(session, after, limit, advisor, *_EVENT_COLUMNS)
    connection = session.connection()
    rows = connection.execute(stmt).all()
    as_json = EventJSON(connection.dialect)
    return [(row[0], row[1], as_json(*row)) for row in rows], _advance_to(rows, limit, head, after)


def read_after_json(session: Session, after: int, limit: int, advisor: Advisor) -> tuple[bytes, int, int]:
    """`read_after` as the JSON body of an `EventsPage`, how many events it holds and the
    cursor after them (the route's headers)."""
    events, last = _json_page(session, after, limit, advisor)
    return f'{{"events":[{",".join(e[2] for e in events)}],"last_seq":{last}}}'.encode(), len(events), last


def read_after_sse(session: Session, after: int, limit: int, advisor: Advisor) -> tuple[bytes, int, int]:
    """`read_after` as one SSE chunk (`sse_chunk`: a cursor frame ends it when the reader may
    advance past its last event), the seq to advance to and how many events it holds."""
    events, last = _json_page(session, after, limit, advisor)
    frames = [sse_frame(*e) for e in events]
    return sse_chunk(frames, events[-1][0] if events else after, last), last, len(events)


class EventBus:
    """Wakes waiting streams (on any event loop, from any thread) when the log grows.

    The waiters of one event loop share one asyncio.Event per `key`, so a commit costs one
    `call_soon_threadsafe` per loop, not one per open stream. The SSE broadcaster waits
    under a key of its own, so that its pokes (a presence change, a slow write finished)
    wake it alone, not the web chat's visitor streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Event] = {}
        self.version = 0

    def notify(self) -> None:
        with self._lock:
            self.version += 1
            pending = list(self._events.items())
            self._events.clear()
        for (loop, _key), ev in pending:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # loop closed
                pass

    async def wait(self, timeout: float, version: int | None = None, key: str = "") -> bool:
        """Until the next notify, or a poke of `key` (True), or `timeout` (False). With
        `version`: at once if the bus has moved past it, so a notify between reading the
        version and waiting is not lost."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if version is not None and self.version != version:
                return True
            ev = self._events.get((loop, key))
            if ev is None:
                ev = self._events[(loop, key)] = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):  # not wait_for: on 3.11 that is a task per wait
                await ev.wait()
            return True
        except TimeoutError:
            return False

    def poke(self, loop: asyncio.AbstractEventLoop, key: str) -> None:
        """Wake the waiters of `key` on `loop` (on that loop's thread) without saying the log grew."""
        with self._lock:
            ev = self._events.pop((loop, key), None)
        if ev is not None:
            ev.set()

    def install(self, engine: Any) -> None:
        """Notify after every commit, on `engine`, of a session that appended events (the
        NOTIFY of other processes went with its first event, `append`)."""
        from sqlalchemy.orm import Session as session_class

        def ours(session: Session) -> bool:
            bind = session.bind
            return bind is not None and getattr(bind, "pool", None) is engine.pool

        @sa_event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            if not ours(session):
                return
            if session.info.pop("appended", False):
                self.notify()  # on PostgreSQL, the first event's INSERT also sent a NOTIFY
            for key in ("next_seq", "event_lock"):
                session.info.pop(key, None)

        @sa_event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            for key in ("appended", "next_seq", "event_lock"):
                session.info.pop(key, None)


class LogTail:
    """The newest events of the log, read once per commit for every stream of this process.

    Each SSE stream used to run its own query per commit: with hundreds of streams that is
    hundreds of queries (and serialisations) per event. The tail reads what was appended
    once, renders each event once (`render`), and keeps the last `capacity` in memory with
    their filtering columns; a stream takes what its reader may see from here (filtered by
    `is_visible`, the same rule as the SQL `visible_to`) and falls back to its own query only
    when its cursor is older than the tail. Only event-loop code touches it (no thread
    reads it while the lock-holding refresh writes it: the refresh's query runs on the loop
    or in a thread, the update of the lists on the loop).
    """

    def __init__(self, engine: Any, capacity: int = 5_000) -> None:
        self.engine, self.capacity = engine, capacity
        # Where the database is on this machine, the refresh reads on the loop, on an engine
        # of its own (db.make_loop_reader): from a worker thread each of its round trips
        # ended in a wait for the GIL the loop was holding, tens of ms after every commit.
        self.loop_engine: Any = None
        self.lo: int | None = None  # the tail holds every event with lo < seq <= head
        self.head = 0
        self.seqs: list[int] = []
        self.items: list[tuple[str | None, str | None, str | None, str | None, str]] = []
        self.version = -1  # the bus version the tail is known to be current for
        self._lock: asyncio.Lock | None = None
        # Pages already built for the tail as it is now: (class, cursor, limit) -> page.
        self._pages: dict[tuple[Any, int, int], tuple[bytes, int, bool]] = {}
        self._pages_of: tuple[int | None, int, int] = (None, 0, 0)

    def _read(self, after: int | None, engine: Any = None) -> tuple[int, int, list[tuple[int, Any, str]]]:
        """The events after `after` (None: none, only where the log's head is now) as SSE
        frames with their filtering columns, the cursor they start after and the head:
        one query through Core on `engine` (the tail's own by default), each frame built
        by `EventJSON`."""
        with (engine or self.engine).connect() as connection:
            if after is None:
                head = connection.execute(select(func.max(EventRow.seq))).scalar() or 0
                return head, head, []
            # Seq order is commit order (the log's write lock): every row after `after`
            # that is committed now is a gapless run.
            columns = (*_EVENT_COLUMNS, EventRow.hub, EventRow.assignee, EventRow.prev_hub, EventRow.prev_assignee)
            newer = select(*columns).where(EventRow.seq > after).order_by(EventRow.seq).limit(self.capacity + 1)
            rows = connection.execute(newer).all()
            if len(rows) > self.capacity:  # far behind (a bulk load): the newest `capacity` only
                head = connection.execute(select(func.max(EventRow.seq))).scalar() or 0
                after = max(after, head - self.capacity)
                rows = connection.execute(newer.where(EventRow.seq > after)).all()
            as_json = EventJSON(connection.dialect)
            frames = [(r[0], (r[5], r[6], r[7], r[8]), sse_frame(r[0], r[1], as_json(*r[:5]))) for r in rows]
            return after, (rows[-1][0] if rows else after), frames

    async def refresh(self, version: int) -> None:
        """Bring the tail up to the log as committed at (or after) bus `version`."""
        from starlette.concurrency import run_in_threadpool

        if self.version >= version:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.version >= version:
                return
            after = None if self.lo is None else self.head
            read = None
            if self.loop_engine is not None:
                try:
                    read = self._read(after, self.loop_engine)
                except Exception as exc:  # noqa: BLE001 - read where waiting is allowed, on the pinged engine
                    log.info("reading the log's tail on the loop failed (%s): in a thread", exc)
            lo, head, rows = read or await run_in_threadpool(self._read, after)
            if self.lo is None or lo > self.head:  # first read, or too far behind: start afresh
                self.lo, self.seqs, self.items = lo, [], []
            for seq, meta, frame in rows:
                self.seqs.append(seq)
                self.items.append((*meta, frame))
            self.head = max(self.head, head)
            if len(self.seqs) > 2 * self.capacity:
                cut = len(self.seqs) - self.capacity
                self.lo = self.seqs[cut - 1]
                del self.seqs[:cut], self.items[:cut]
            self.version = max(self.version, version)

    @staticmethod
    def class_of(advisor: Advisor) -> tuple[str, ...]:
        """Readers who see the same events: everyone who sees everything, or one advisor
        (her hub and her username decide, as in `is_visible`)."""
        if advisor.sees_everything:
            return ("all",)
        return ("advisor", str(advisor.hub), advisor.username)

    def page(self, cursor: int, key: tuple[str, ...], advisor: Advisor, limit: int = 500) -> tuple[bytes, int, bool] | None:
        """`since` as one encoded chunk, built once for every reader of the class `key`
        (`class_of(advisor)`) at the same cursor: (chunk, the seq to advance to, whether
        more events follow). None when the tail no longer holds the events after `cursor`."""
        state = (self.lo, self.head, len(self.seqs))
        if state != self._pages_of:
            self._pages, self._pages_of = {}, state
        found = self._pages.get((key, cursor, limit))
        if found is None:
            got = self.since(cursor, advisor, limit)
            if got is None:
                return None
            frames, shown, last = got
            found = self._pages[(key, cursor, limit)] = (sse_chunk(frames, shown, last), last, last < self.head)
        return found

    def since(self, cursor: int, advisor: Advisor, limit: int) -> tuple[list[str], int, int] | None:
        """What `advisor` may see after `cursor` (at most `limit` events scanned): its frames,
        the seq of the last of them (`cursor` when none) and the seq it may advance to; None
        when the tail no longer holds the events after `cursor`."""
        if self.lo is None or cursor < self.lo:
            return None
        start = bisect.bisect_right(self.seqs, cursor)
        end = min(len(self.seqs), start + limit)
        last = self.seqs[end - 1] if end < len(self.seqs) else max(self.head, cursor)
        if advisor.sees_everything:
            return [item[4] for item in self.items[start:end]], self.seqs[end - 1] if end > start else cursor, last
        frames: list[str] = []
        shown = cursor
        for i in range(start, end):
            item = self.items[i]
            if is_visible(advisor, item[0], item[1], item[2], item[3]):
                frames.append(item[4])
                shown = self.seqs[i]
        return frames, shown, last


def cursor_frame(last: int) -> str:
    """Tells a reader how far it may advance when the last events it was sent a page of were
    not for it (no id otherwise names them)."""
    return f"id: {last}\nevent: cursor\ndata: {{\"last_seq\": {last}}}\n\n"


def sse_chunk(frames: list[str], shown: int, last: int) -> bytes:
    """The frames of a page as one chunk, followed by a cursor frame when the page reaches
    further than its last frame (events the reader may not see, alone or after the ones it
    may): its Last-Event-ID must become `last`, or a reconnect would ask again for what it
    has passed, and a reader waiting for a seq would never hear of it."""
    if last > shown:
        frames = [*frames, cursor_frame(last)]
    return "".join(frames).encode("utf-8")


def listen_postgres(url: str, bus: EventBus, stop: threading.Event) -> threading.Thread:
    """A thread that LISTENs on PostgreSQL and wakes this process's streams on another
    process's NOTIFY (its own carry `PROCESS_TOKEN`)."""
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
                        for notice in conn.notifies(timeout=0.5, stop_after=1):
                            if notice.payload != PROCESS_TOKEN:
                                bus.notify()
            except Exception as exc:  # noqa: BLE001 - keep listening through DB restarts
                log.warning("LISTEN connection lost: %s", exc)
                stop.wait(1.0)

    thread = threading.Thread(target=run, name="pg-listen", daemon=True)
    thread.start()
    return thread
