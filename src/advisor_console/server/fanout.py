"""The SSE streams of one server process: one broadcaster, many cheap subscribers.

With hundreds of open streams, what each one does per commit is what limits the server.
Each stream used to wake on every commit, start two tasks to wait on the log and on
presence, ask the connection whether it was still open (an anyio cancel scope), filter
the log's tail for its reader and join its own frames. Now:

- One broadcaster task per event loop (`StreamHub`) waits for the log to grow, reads the
  new events once (`LogTail.refresh`: one query, each event rendered once) and wakes the
  streams that are behind by resolving a future each: nothing else per stream.
- Streams are grouped by visibility class (supervisors and trainers see everything; an
  advisor sees what her hub and her username allow: `is_visible`), and the frames of a
  batch are filtered, joined and encoded once per class and cursor (`LogTail.page`), so
  a wake-up of 500 streams builds 5 chunks, not 500.
- Each stream writes its chunk to its own ASGI `send` in its own request task: a slow
  reader only slows itself (it falls behind, then catches up from the tail or, far
  behind, from the database), never the others. Everything committed since its last
  write goes out as one write.
- The connection's end is noticed by a task waiting on `receive()` (idle, no cost per
  event); keepalives are sent by the broadcaster's once-a-second pass to the streams that
  have been quiet for `KEEPALIVE_SECONDS`.

The contract is unchanged (shared/API.md): `id:` is the seq, `event:` the type, `data:`
the event; Last-Event-ID resumes; what an advisor may not see is never sent; when only
filtered-out events arrived, an `event: cursor` frame tells the reader how far it may
advance; presence changes are frames with no id.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..domain.models import Advisor
from .eventlog import EventBus, LogTail
from .presence import PresenceHub

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
RETRY = b"retry: 2000\n\n"
KEEPALIVE = b": keepalive\n\n"


class _Stream:
    """One open SSE stream (the broadcaster's view of it)."""

    __slots__ = ("advisor", "key", "cursor", "waiter", "woken", "last_write", "closed", "__weakref__")

    def __init__(self, advisor: Advisor, cursor: int, now: float) -> None:
        self.advisor = advisor
        self.key = LogTail.class_of(advisor)
        self.cursor = cursor
        self.waiter: asyncio.Future[None] | None = None
        self.woken = False
        self.last_write = now
        self.closed = False

    def set(self) -> None:
        """Wake the stream (from its event loop): the log grew, presence changed, or it ended.
        Also what `PresenceHub` calls (as `wake.set`, through call_soon_threadsafe)."""
        self.woken = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class StreamHub:
    """The streams of one event loop and their broadcaster."""

    def __init__(self, bus: EventBus, tail: LogTail, loop: asyncio.AbstractEventLoop, keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.bus, self.tail, self.loop, self.keepalive = bus, tail, loop, keepalive
        self.streams: set[_Stream] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, stream: _Stream) -> None:
        self.streams.add(stream)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._broadcast(), name="sse-broadcaster")

    def discard(self, stream: _Stream) -> None:
        self.streams.discard(stream)

    async def _broadcast(self) -> None:
        loop = self.loop
        next_keepalive_check = loop.time() + 1.0
        while self.streams:
            version = self.bus.version
            try:
                await self.tail.refresh(version)
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end every stream
                log.warning("reading the log's tail failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            head = self.tail.head
            for stream in self.streams:
                if stream.cursor < head and stream.waiter is not None:
                    stream.set()
            now = loop.time()
            if now >= next_keepalive_check:
                next_keepalive_check = now + 1.0
                for stream in self.streams:
                    if now - stream.last_write >= self.keepalive:
                        stream.set()
            await self.bus.wait(1.0, version)


def _hub(state: Any) -> StreamHub:
    """This event loop's hub (the server runs on one loop; tests may run apps on several)."""
    loop = asyncio.get_running_loop()
    hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StreamHub] = state.streams
    hub = hubs.get(loop)
    if hub is None:
        hub = hubs[loop] = StreamHub(state.bus, state.tail, loop)
    return hub


class EventStreamResponse(Response):
    """`text/event-stream` of the event log for `advisor`, after seq `after` (pure ASGI)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        state: Any,
        advisor: Advisor,
        after: int,
        read: Callable[[Any, int, Advisor], tuple[list[str], int, bool]],
        presence_frames: Callable[[Any, Advisor], str],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.state, self.advisor, self.after = state, advisor, after
        self.read, self.presence_frames = read, presence_frames
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        hub = _hub(state)
        loop = hub.loop
        tail: LogTail = state.tail
        presence_hub: PresenceHub = state.presence
        stream = _Stream(self.advisor, self.after, loop.time())
        presence = presence_hub.subscribe(loop, stream)  # type: ignore[arg-type]  # duck-typed: .set()
        watcher = loop.create_task(self._watch(receive, stream))
        hub.add(stream)

        async def write(body: bytes) -> None:
            await send({"type": "http.response.body", "body": body, "more_body": True})
            stream.last_write = loop.time()

        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await write(RETRY)
            while not stream.closed:
                stream.woken = False
                page = tail.page(stream.cursor, stream.key, stream.advisor)
                if page is None:  # far behind the tail (or no tail yet): read the log ourselves
                    frames, last, full = await run_in_threadpool(self.read, state, stream.cursor, stream.advisor)
                    chunk = "".join(frames).encode("utf-8")
                else:
                    chunk, last, full = page
                if chunk:
                    await write(chunk)  # one write per wake-up, however many events
                elif last > stream.cursor:
                    # Only filtered-out events: tell the reader how far it may advance.
                    await write(f"id: {last}\nevent: cursor\ndata: {{\"last_seq\": {last}}}\n\n".encode())
                stream.cursor = max(stream.cursor, last)
                if presence.pending and (text := self.presence_frames(presence, stream.advisor)):
                    await write(text.encode("utf-8"))
                if full or stream.closed:
                    continue
                if loop.time() - stream.last_write >= hub.keepalive:
                    await write(KEEPALIVE)
                if stream.woken or stream.cursor < tail.head:
                    continue
                stream.waiter = loop.create_future()
                try:
                    await stream.waiter
                finally:
                    stream.waiter = None
        except OSError:
            pass  # the connection is gone (servers of ASGI spec >= 2.4 say so on send)
        finally:
            stream.closed = True
            hub.discard(stream)
            presence_hub.unsubscribe(presence)
            watcher.cancel()

    @staticmethod
    async def _watch(receive: Receive, stream: _Stream) -> None:
        """Until the client goes away (the request has no body to read)."""
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        except Exception:  # noqa: BLE001 - whatever ended the connection ends the stream
            pass
        stream.closed = True
        stream.set()


def new_registry() -> weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StreamHub]:
    return weakref.WeakKeyDictionary()


