"""Request dependencies: database sessions and the signed-in advisor."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ..domain.models import Advisor, Role
from . import services
from .db import would_wait
from .errors import ApiError, forbidden
from .eventlog import EventBus, LogTail, utcnow
from .fanout import new_registry
from .presence import PresenceHub
from .security import token_digest
from .tables import AdvisorRow, TokenRow


@dataclass
class ServerState:
    engine: Engine
    write_engine: Engine
    bus: EventBus
    token_ttl_seconds: int
    presence: PresenceHub = field(default_factory=PresenceHub)  # who views/types where (not logged)
    tail: LogTail | None = None  # the newest events, shared by this process's SSE streams
    whatsapp: Any = None  # channels.whatsapp.WhatsAppConfig when the adapter is enabled
    streams: Any = field(default_factory=new_registry)  # the SSE streams of each event loop (fanout.StreamHub)
    loop_write_engine: Engine | None = None  # writes made on the event loop, never waiting (run_write)


# Dependencies that do not wait on the database are `async def`: FastAPI runs a plain `def`
# one in a worker thread, and a hop to a thread and back was a good part of a short
# request's CPU.


async def server_state(request: Request) -> ServerState:
    return request.app.state.server


def read_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.server.engine) as session:
        yield session


class AuthCache:
    """Who a token signs in, remembered for `ttl` seconds (every request of a busy client
    used to cost a session and two queries before doing anything).

    Safe because: a token's expiry is checked on every use against the time it was issued
    with; a change to any advisor or token row made by this process (status, capacity, a
    deleted token or account) empties the cache at once (mapper events, below); one made
    by another server process is seen within `ttl`. Unknown tokens are never cached."""

    def __init__(self, ttl: float = 2.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, int, datetime, Advisor]] = {}
        self.generation = 0

    def get(self, digest: str) -> tuple[datetime, Advisor] | None:
        item = self._items.get(digest)
        if item is None or item[1] != self.generation or time.monotonic() - item[0] > self.ttl:
            return None
        return item[2], item[3]

    def put(self, digest: str, generation: int, expires_at: datetime, advisor: Advisor) -> None:
        with self._lock:
            if generation != self.generation:
                return  # something changed while we read: do not keep what we read
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[digest] = (time.monotonic(), generation, expires_at, advisor)

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._items.clear()


AUTH_CACHE = AuthCache()


def _changed(_mapper: Any, _connection: Any, target: Any) -> None:
    AUTH_CACHE.invalidate()
    session = object_session(target)
    if session is not None:  # and again once committed: a read between flush and commit saw the old row
        session.info["auth_changed"] = True


def _committed(session: Any) -> None:
    if session.info.pop("auth_changed", False):
        AUTH_CACHE.invalidate()


for _table in (AdvisorRow, TokenRow):
    for _what in ("after_update", "after_delete"):  # (a new row changes nothing cached)
        sa_event.listen(_table, _what, _changed)
sa_event.listen(OrmSession, "after_commit", _committed)


def _sign_in(engine: Engine, digest: str) -> tuple[datetime, Advisor]:
    """Who the token with this digest signs in, and until when (from the database)."""
    generation = AUTH_CACHE.generation
    with Session(engine) as session:
        row = session.get(TokenRow, digest)
        if row is None:
            raise ApiError(401, "unauthorized", "This token is not valid. Sign in again.", {"WWW-Authenticate": "Bearer"})
        adv = session.get(AdvisorRow, row.advisor_id)
        if adv is None:
            raise ApiError(401, "unauthorized", "This account no longer exists.")
        found = row.expires_at, adv.to_model()
    AUTH_CACHE.put(digest, generation, *found)
    return found


async def current_advisor(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Advisor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "unauthorized", "Sign in first: send Authorization: Bearer <token>.", {"WWW-Authenticate": "Bearer"})
    digest = token_digest(authorization[7:].strip())
    cached = AUTH_CACHE.get(digest)
    if cached is None:  # only then a worker thread (the database)
        cached = await run_in_threadpool(_sign_in, request.app.state.server.engine, digest)
    expires_at, advisor = cached
    if expires_at <= utcnow():
        raise ApiError(401, "token_expired", "This token has expired. Sign in again.", {"WWW-Authenticate": "Bearer"})
    request.state.advisor_role = advisor.role.value  # for the trainer's masking (server/trainer_masking.py)
    return advisor.model_copy()  # each request its own (the cached one is shared)


CurrentAdvisor = Annotated[Advisor, Depends(current_advisor)]
ReadSession = Annotated[Session, Depends(read_session)]
State = Annotated[ServerState, Depends(server_state)]


async def run_write(state: ServerState, op: Callable[[Session], tuple[int, dict[str, Any]]], **idempotency: Any) -> tuple[int, dict[str, Any]]:
    """`services.run_write` from an `async def` route (the channels' inbound messages, the
    busiest writes): right here on the event loop when it can start without waiting;
    otherwise in a worker thread.

    A SQLite write is short and CPU-bound, and SQLite lets go of the GIL around each
    statement: from a worker thread, every statement then waited for the GIL while the
    event loop wrote to hundreds of SSE streams, all that time holding the database's
    write lock, so writes queued behind each other. On the loop there is no hand-off (and
    no hop to a thread and back). The loop must never wait, though: its engine
    (`state.loop_write_engine`, one connection of its own, `db.make_engine(nowait=True)`)
    refuses at once, before anything is written, when another thread or another process
    holds the write lock, and the write goes to a thread.

    PostgreSQL (on this machine only: the loop waits out each round trip, ~0.1 ms on
    loopback): from worker threads, each of a write's round trips ended in a wait for the
    GIL (up to 5 ms while the loop wrote to the streams), all under the log's lock, so
    writes queued behind each other (85 a second at most, on the fan-out benchmark). The
    loop's engine tries the lock with its BEGIN and gives up on a row lock after
    `db.LOOP_LOCK_TIMEOUT_MS`; either way nothing was written and a thread takes over."""
    if state.loop_write_engine is not None:
        try:
            return services.run_write(state.loop_write_engine, op, **idempotency)
        except Exception as exc:
            if not would_wait(exc):
                raise
    return await run_in_threadpool(services.run_write, state.write_engine, op, **idempotency)


def require(advisor: Advisor, *roles: Role) -> None:
    if advisor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise forbidden(f"This needs the role {allowed}; you are signed in as {advisor.role.value}.")


STAFF = (Role.advisor, Role.supervisor)
READERS = (Role.advisor, Role.supervisor, Role.trainer)
