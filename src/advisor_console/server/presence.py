"""Who is viewing or typing in a conversation: ephemeral, in memory, not in the event log.

An entry lives `TTL` seconds after the advisor's last POST (a "left" removes it at once).
Every change, expiry included, is pushed to the SSE streams that may see the
conversation as `event: presence` with no `id:` line, so resumption (Last-Event-ID) is
untouched. With several server processes on PostgreSQL, each change is also sent on
its own NOTIFY channel; every process applies it to its copy and pushes it to its
streams.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..domain.models import Presence, PresenceEntry

log = logging.getLogger(__name__)

PG_PRESENCE_CHANNEL = "advisor_console_presence"
TTL = 30.0


@dataclass
class _Entry:
    username: str
    name: str
    state: str
    since: datetime
    expires: float  # wall-clock epoch seconds, comparable across processes on one host


@dataclass(eq=False)
class Subscriber:
    """One SSE stream: presence payloads waiting to be sent, and the event that wakes it."""

    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event
    pending: deque[tuple[str, str | None, dict[str, Any]]] = field(default_factory=lambda: deque(maxlen=1000))

    def drain(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        out = []
        while self.pending:
            out.append(self.pending.popleft())
        return out


class PresenceHub:
    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self.origin = uuid.uuid4().hex  # this process, to skip our own NOTIFYs
        self._lock = threading.Lock()
        self._entries: dict[int, dict[str, _Entry]] = {}
        self._where: dict[int, tuple[str, str | None]] = {}  # conversation -> (hub, assignee)
        # Held weakly: a stream's generator holds its Subscriber, so a stream that is gone
        # (however it ended) stops receiving.
        self._subscribers: weakref.WeakSet[Subscriber] = weakref.WeakSet()
        self.notify_peers: Any = None  # set on PostgreSQL: callable(payload: dict)

    # ---- changes ---------------------------------------------------------------------

    def post(self, conversation_id: int, hub: str, assignee: str | None, username: str, name: str, state: str) -> Presence:
        """A local POST: apply it, push it, and tell the other processes."""
        now = datetime.now(timezone.utc)
        with self._lock:
            current = self._entries.get(conversation_id, {}).get(username)
            since = current.since if current is not None and current.state == state else now
        change = {
            "origin": self.origin,
            "conversation_id": conversation_id,
            "hub": hub,
            "assignee": assignee,
            "username": username,
            "name": name,
            "state": state,
            "since": since.isoformat(),
            "expires": time.time() + self.ttl,
        }
        presence = self.apply(change)
        if self.notify_peers is not None:
            try:
                self.notify_peers(change)
            except Exception as exc:  # noqa: BLE001 - presence is best effort
                log.warning("presence NOTIFY failed: %s", exc)
        return presence

    def apply(self, change: dict[str, Any]) -> Presence:
        """Apply one change (local, or from another process) and push the new list."""
        cid = int(change["conversation_id"])
        with self._lock:
            self._where[cid] = (str(change["hub"]), change.get("assignee"))
            entries = self._entries.setdefault(cid, {})
            if change["state"] == "left":
                entries.pop(change["username"], None)
            else:
                entries[change["username"]] = _Entry(
                    username=change["username"],
                    name=change["name"],
                    state=change["state"],
                    since=datetime.fromisoformat(change["since"]),
                    expires=float(change["expires"]),
                )
        return self._publish(cid)

    def apply_remote(self, payload: str) -> None:
        try:
            change = json.loads(payload)
            if change.get("origin") == self.origin:
                return
            self.apply(change)
        except Exception as exc:  # noqa: BLE001 - a malformed notification is dropped
            log.warning("bad presence notification: %s", exc)

    def sweep(self) -> None:
        """Drop expired entries and push the lists that changed."""
        now = time.time()
        changed: list[int] = []
        with self._lock:
            for cid, entries in self._entries.items():
                gone = [u for u, e in entries.items() if e.expires <= now]
                for u in gone:
                    del entries[u]
                if gone:
                    changed.append(cid)
        for cid in changed:
            self._publish(cid)

    # ---- reading ---------------------------------------------------------------------

    def snapshot(self, conversation_id: int) -> Presence:
        now = time.time()
        with self._lock:
            entries = [e for e in self._entries.get(conversation_id, {}).values() if e.expires > now]
        entries.sort(key=lambda e: (e.since, e.username))
        return Presence(
            conversation_id=conversation_id,
            advisors=[PresenceEntry(username=e.username, name=e.name, state=e.state, since=e.since) for e in entries],
        )

    def _publish(self, cid: int) -> Presence:
        presence = self.snapshot(cid)
        with self._lock:
            if not self._entries.get(cid):
                self._entries.pop(cid, None)
            hub, assignee = self._where.get(cid, ("", None))
            if cid not in self._entries:
                self._where.pop(cid, None)
            subscribers = list(self._subscribers)
        payload = presence.model_dump(mode="json")
        for sub in subscribers:
            sub.pending.append((hub, assignee, payload))
            try:
                sub.loop.call_soon_threadsafe(sub.wake.set)
            except RuntimeError:  # its loop is closed: the stream is gone
                self.unsubscribe(sub)
        return presence

    # ---- streams ---------------------------------------------------------------------

    def subscribe(self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> Subscriber:
        sub = Subscriber(loop=loop, wake=wake)
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)


# ---- PostgreSQL: presence across server processes ------------------------------------------


def postgres_notifier(engine: Any) -> Any:
    """A function that sends one presence change to every process (NOTIFY, autocommit)."""
    from sqlalchemy import text

    def send(change: dict[str, Any]) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": PG_PRESENCE_CHANNEL, "p": json.dumps(change, separators=(",", ":"))})
            conn.commit()

    return send


def listen_postgres(url: str, hub: PresenceHub, stop: threading.Event) -> threading.Thread:
    """A thread that LISTENs for the presence changes of the other processes."""
    import psycopg

    from .db import normalise_url

    dsn = normalise_url(url).replace("postgresql+psycopg://", "postgresql://")

    def run() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {PG_PRESENCE_CHANNEL}")
                    while not stop.is_set():
                        for note in conn.notifies(timeout=0.5, stop_after=1):
                            hub.apply_remote(note.payload)
            except Exception as exc:  # noqa: BLE001 - keep listening through DB restarts
                log.warning("presence LISTEN connection lost: %s", exc)
                stop.wait(1.0)

    thread = threading.Thread(target=run, name="pg-listen-presence", daemon=True)
    thread.start()
    return thread
