"""The server's background loop (a thread started in the app's lifespan): wakes snoozed
conversations whose time came, sends scheduled messages that are due, expires presence,
and logs the departure of website visitors whose page went silent (webchat.sweep). Each
change runs in its own write transaction that re-checks its row under the log's write
lock, so several server processes on one database do each change once."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from . import services, webchat
from .db import checkpoint
from .deps import ServerState
from .eventlog import utcnow
from .tables import ConversationRow, ScheduledMessageRow

log = logging.getLogger(__name__)

BATCH = 200


class BackgroundLoop:
    def __init__(self, state: ServerState, period: float = 1.0, senders: list[Any] | None = None) -> None:
        self.state, self.period = state, period
        self.senders = senders or []  # channel adapters sending pending replies (server/channels)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="advisor-console-background", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - keep going through a DB hiccup
                log.exception("background loop")

    def tick(self) -> None:
        self.state.presence.sweep()
        if self.state.loop_write_engine is not None:  # its own commits leave the WAL as it is
            checkpoint(self.state.engine)
        now = utcnow()
        with Session(self.state.engine) as session:
            snoozed = session.execute(
                select(ConversationRow.id)
                .where(ConversationRow.status == "snoozed", ConversationRow.snoozed_until <= now)
                .order_by(ConversationRow.snoozed_until)
                .limit(BATCH)
            ).scalars().all()
            due = session.execute(
                select(ScheduledMessageRow.id).where(ScheduledMessageRow.send_at <= now).order_by(ScheduledMessageRow.send_at, ScheduledMessageRow.id).limit(BATCH)
            ).scalars().all()
            visitors_left = webchat.any_to_sweep(session, now)
        if visitors_left:  # pages silent for webchat.VISITOR_TTL: log their departure
            self._write(webchat.sweep)
        for conv_id in snoozed:
            self._write(lambda s, c=conv_id: services.wake_due(s, c))
            if self._stop.is_set():
                return
        for scheduled_id in due:
            self._write(lambda s, i=scheduled_id: services.send_scheduled(s, i))
            if self._stop.is_set():
                return
        for sender in self.senders:
            try:
                sender.tick()
            except Exception:  # noqa: BLE001 - a channel down must not stop the rest
                log.exception("channel sender")

    def _write(self, op: Any) -> None:
        try:
            services.run_write(self.state.write_engine, op)
        except Exception:  # noqa: BLE001 - one bad row must not stop the others
            log.exception("background write")
