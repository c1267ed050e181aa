"""The SSE streams of one server process: one broadcaster, many cheap subscribers.

With hundreds of open streams, what each one does per commit is what limits the server.
Each stream used to wake on every commit, start two tasks to wait on the log and on
presence, ask the connection whether it was still open (an anyio cancel scope), filter
the log's tail for its reader and join its own frames. Now:

- One broadcaster task per event loop (`StreamHub`) waits for the log to grow, reads the
  new events once (`LogTail.refresh`: one query, each event rendered once) and writes
  them to every live stream itself, calling the stream's ASGI `send`: no task of a
  stream wakes (waking a request task resumes every frame of its middleware stack, twice).
- Streams are grouped by visibility class (supervisors and trainers see everything; an
  advisor sees what her hub and her username allow: `is_visible`), and the frames of a
  batch are filtered, joined and encoded once per class and cursor (`LogTail.page`), so
  a pass over 500 streams builds 5 chunks, not 500. Everything committed since a stream's
  last write goes out as one write, presence frames included.
- Passes are at least `PASS_GAP` apart: under a burst of commits each pass carries
  several events (one write per stream), and a quiet log still sends a commit at once.
- A write that cannot finish at once (the reader is slow: the server's write buffer is
  full) is finished by a task of its own while the broadcaster goes on; that stream is
  skipped until then, and catches up afterwards with one write. A stream that falls
  behind the tail (or starts behind it) catches up in its own request task, from the
  database, and then joins the broadcaster again.
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

from ..domain.models import Advisor, Role
from .eventlog import EventBus, LogTail
from .presence import PresenceHub

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
# At most one pass over the streams per PASS_GAP seconds. A pass over 500 streams costs a
# few milliseconds whether it carries one event or ten; at 200 commits a second, a pass
# per commit was most of the server's CPU. A lone commit still goes out at once.
PASS_GAP = 0.020
BUS_KEY = "sse-broadcaster"  # what the broadcaster waits under on the bus (EventBus.poke)
RETRY = b"retry: 2000\n\n"
KEEPALIVE = b": keepalive\n\n"


class _Stream:
    """One open SSE stream."""

    __slots__ = ("advisor", "key", "cursor", "send", "write", "hub", "presence", "presence_pending", "busy", "closed", "last_write", "owner", "__weakref__")

    def __init__(self, advisor: Advisor, cursor: int, send: Send, hub: StreamHub, write: Send | None = None) -> None:
        self.advisor = advisor
        self.key = LogTail.class_of(advisor)
        self.cursor = cursor
        self.send = send
        self.write = write or send  # what the broadcaster writes with (see `DirectSend`)
        self.hub = hub
        self.presence: Any = None
        self.presence_pending = False
        self.busy = False  # a write of the broadcaster's is being finished by a task
        self.closed = False
        self.last_write = hub.loop.time()
        self.owner: asyncio.Future[None] | None = None  # the request task waits on it

    def set(self) -> None:
        """A presence change waits (what `PresenceHub` calls, as `wake.set`, on our loop)."""
        self.presence_pending = True
        self.hub.poke()

    def wake_owner(self) -> None:
        owner = self.owner
        if owner is not None and not owner.done():
            owner.set_result(None)

    def close(self) -> None:
        self.closed = True
        self.hub.streams.discard(self)
        self.wake_owner()


class _Finish:
    """Awaitable that drives a coroutine already started elsewhere to its end, from the
    value it yielded when it suspended (what `await` would have done had the first step
    been taken by this task)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Any, first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Any:
        coro, value = self.coro, self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - handed to the coroutine, as await does
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


class StreamHub:
    """The streams of one event loop and their broadcaster."""

    def __init__(self, bus: EventBus, tail: LogTail, loop: asyncio.AbstractEventLoop, keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.bus, self.tail, self.loop, self.keepalive = bus, tail, loop, keepalive
        self.streams: set[_Stream] = set()  # the live ones
        self._task: asyncio.Task[None] | None = None
        self._poked = False
        self._finishing: set[asyncio.Task[None]] = set()
        self.presence_frames: Callable[[Any, Advisor], str] | None = None  # renders a stream's presence changes

    def join(self, stream: _Stream) -> None:
        """`stream` is caught up with the tail: the broadcaster serves it from now on."""
        self.streams.add(stream)
        if self._task is None or self._task.done():
            self._task = self.loop.create_task(self._broadcast(), name="sse-broadcaster")
        self.poke()

    def poke(self) -> None:
        """Run a pass soon even if the log did not grow (presence, a finished slow write)."""
        if not self._poked:
            self._poked = True
            self.bus.poke(self.loop, BUS_KEY)

    async def _broadcast(self) -> None:
        loop = self.loop
        next_keepalive = loop.time() + 1.0
        last_pass = 0.0
        while self.streams:
            # Commits that come within PASS_GAP of the last pass wait for the next one
            # and go out together: one write per stream for the lot.
            gap = last_pass + PASS_GAP - loop.time()
            if gap > 0:
                await asyncio.sleep(gap)
            last_pass = loop.time()
            version = self.bus.version
            try:
                await self.tail.refresh(version)
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end every stream
                log.warning("reading the log's tail failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            self._poked = False
            now = loop.time()
            keepalive = now >= next_keepalive
            if keepalive:
                next_keepalive = now + 1.0
            head = self.tail.head
            for stream in list(self.streams):
                if stream.busy or stream.closed:
                    continue
                if stream.cursor < head or stream.presence_pending or (keepalive and now - stream.last_write >= self.keepalive):
                    self._serve(stream, now)
            if not self._poked:
                await self.bus.wait(1.0, version, BUS_KEY)

    def _serve(self, stream: _Stream, now: float) -> None:
        parts: list[bytes] = []
        while True:
            page = self.tail.page(stream.cursor, stream.key, stream.advisor)
            if page is None:  # fell behind the tail: its own task catches up from the database
                if parts:
                    self.poke()  # send what is built now; the next pass hands it to its task
                    break
                self.streams.discard(stream)
                stream.wake_owner()
                return
            chunk, last, full = page
            if chunk:
                parts.append(chunk)
            stream.cursor = max(stream.cursor, last)
            if not full:
                break
        if stream.presence_pending:
            stream.presence_pending = False
            text = _presence(stream)
            if text:
                parts.append(text)
        if not parts:
            if now - stream.last_write < self.keepalive:
                return
            parts.append(KEEPALIVE)
        self._write(stream, b"".join(parts), now)

    def _write(self, stream: _Stream, body: bytes, now: float) -> None:
        """`send` the body, at once if the connection takes it (almost always), else finish
        it in a task of its own while the stream is skipped."""
        stream.last_write = now
        coro = stream.write({"type": "http.response.body", "body": body, "more_body": True})
        try:
            suspended = coro.send(None)
        except StopIteration:
            return
        except Exception:  # noqa: BLE001 - the connection is gone
            stream.close()
            return
        stream.busy = True
        task = self.loop.create_task(self._finish(stream, coro, suspended))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _finish(self, stream: _Stream, coro: Any, suspended: Any) -> None:
        try:
            await _Finish(coro, suspended)
        except Exception:  # noqa: BLE001 - the connection is gone
            stream.close()
        finally:
            stream.busy = False
            self.poke()


def _presence(stream: _Stream) -> bytes:
    render = stream.hub.presence_frames
    return render(stream.presence, stream.advisor).encode("utf-8") if render is not None and stream.presence is not None else b""


def _hub(state: Any, presence_frames: Callable[[Any, Advisor], str]) -> StreamHub:
    """This event loop's hub (the server runs on one loop; tests may run apps on several)."""
    loop = asyncio.get_running_loop()
    hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StreamHub] = state.streams
    hub = hubs.get(loop)
    if hub is None:
        hub = hubs[loop] = StreamHub(state.bus, state.tail, loop)
        hub.presence_frames = presence_frames
    return hub


class EventStreamResponse(Response):
    """`text/event-stream` of the event log for `advisor`, after seq `after` (pure ASGI)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        state: Any,
        advisor: Advisor,
        after: int,
        read: Callable[[Any, int, Advisor], tuple[bytes, int, bool]],
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
        hub = _hub(state, self.presence_frames)
        loop = hub.loop
        tail = state.tail
        assert tail is not None, "the server's lifespan sets the log's tail before any stream"
        presence_hub: PresenceHub = state.presence
        # A trainer's frames are masked by the TrainerMasking middleware, on the way out
        # through the wrapped `send`; everyone else's skip the middlewares.
        direct = scope.get(DIRECT_SEND) if self.advisor.role != Role.trainer else None
        stream = _Stream(self.advisor, self.after, send, hub, direct)
        stream.presence = presence_hub.subscribe(loop, stream)  # type: ignore[arg-type]  # duck-typed: .set()
        watcher = loop.create_task(self._watch(receive, stream))
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": RETRY, "more_body": True})
            while not stream.closed:
                # Catch up by ourselves (from the tail, or from the database when the tail
                # does not reach back to our cursor) until a read is not full...
                page = tail.page(stream.cursor, stream.key, stream.advisor)
                if page is None:
                    body, last, full = await run_in_threadpool(self.read, state, stream.cursor, stream.advisor)
                else:
                    body, last, full = page
                stream.cursor = max(stream.cursor, last)
                if body:
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    stream.last_write = loop.time()
                if full or stream.closed:
                    continue
                # ... then the broadcaster sends the rest, and everything after.
                stream.owner = loop.create_future()
                hub.join(stream)
                try:
                    await stream.owner  # until the end, or until it falls behind the tail
                finally:
                    stream.owner = None
        except OSError:
            pass  # the connection is gone (servers of ASGI spec >= 2.4 say so on send)
        finally:
            stream.close()
            presence_hub.unsubscribe(stream.presence)
            watcher.cancel()

    @staticmethod
    async def _watch(receive: Receive, stream: _Stream) -> None:
        """Until the client goes away (the request has no body to read)."""
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        except Exception:  # noqa: BLE001 - whatever ended the connection ends the stream
            pass
        stream.close()


DIRECT_SEND = "advisor_console.direct_send"


class DirectSend:
    """The outermost of the app's own middlewares: keeps the server's `send` in the scope.

    Every middleware that watches the response wraps `send` in a coroutine of its own, and
    the broadcaster writes to every open stream on each pass: through five wrappers, that
    was as much CPU as the write itself. Once a stream's response has started through the
    whole stack, its frames go through this `send` (only ServerErrorMiddleware, which
    Starlette keeps outermost, is still in between)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[DIRECT_SEND] = send
        await self.app(scope, receive, send)


def new_registry() -> weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StreamHub]:
    return weakref.WeakKeyDictionary()
