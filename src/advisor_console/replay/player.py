"""Replay a recording in the workstation, with no server.

A recording (docs/recording-format.md) is a header, the documents a replay needs (client
profiles, advisors) and the events of the log, in order. `ReplayWorkspace` is a Workspace
whose events come from the recording instead of a server: the same reducer folds them,
the same screens draw them. Nothing is written anywhere: its local cache lives in memory,
and its user is a read-only viewer (the workstation hides every write key for it).

`Player` moves through the events: play and pause, speed 0.5x to 16x, step forward or
back one event, seek to a fraction or a time. Going back rebuilds the state from the
start (events are folded forward only), which takes a few milliseconds per thousand
events. Long quiet stretches are shortened to `MAX_GAP` seconds (divided by the speed).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from ..client.cache import LocalCache
from ..client.workspace import NotificationSettings, Workspace
from ..domain import events as ev
from ..domain.models import Advisor, Client360, Role
from ..domain.reducer import Changes, WorkspaceState

FORMAT = "advisor-console-recording"
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
MAX_GAP = 2.0  # a quiet stretch between two events is played as 2 s at most (at 1x)
MAX_LINE = 5_000_000  # bytes: a longer line is not one of ours
MAX_EVENTS = 2_000_000


class RecordingError(ValueError):
    """A file that is not a readable recording; the message says why and where."""


@dataclass
class Recording:
    header: dict[str, Any]
    events: list[dict[str, Any]]
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # kind -> id -> body

    @property
    def start(self) -> datetime:
        return _time(self.events[0]["at"]) if self.events else datetime.now(timezone.utc)

    @property
    def end(self) -> datetime:
        return _time(self.events[-1]["at"]) if self.events else self.start


def _time(value: Any) -> datetime:
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_recording(path: Path) -> Recording:
    """Read and check a recording; RecordingError with the line number otherwise."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RecordingError(f"Cannot open {path}: {exc.strerror or exc}.") from None
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    documents: dict[str, dict[str, dict[str, Any]]] = {}
    with handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > MAX_LINE:
                raise RecordingError(f"{path}, line {number}: longer than {MAX_LINE:,} bytes; not a recording.")
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise RecordingError(f"{path}, line {number}: not JSON.") from None
            if not isinstance(item, dict):
                raise RecordingError(f"{path}, line {number}: expected a JSON object.")
            if header is None:
                if item.get("format") != FORMAT:
                    raise RecordingError(f"{path} is not an Advisor Console recording (its first line has no \"format\": \"{FORMAT}\").")
                if item.get("version") != 1:
                    raise RecordingError(f"{path}: recording version {item.get('version')!r} is not supported (this workstation reads version 1).")
                header = item
                continue
            kind = item.get("record", "event")
            if kind == "document":
                doc_kind, doc_id, body = item.get("kind"), item.get("id"), item.get("data")
                if not isinstance(doc_kind, str) or doc_id is None or not isinstance(body, dict):
                    raise RecordingError(f"{path}, line {number}: a document needs a kind, an id and its data.")
                documents.setdefault(doc_kind, {})[str(doc_id)] = body
            elif kind == "event":
                if not isinstance(item.get("type"), str) or not isinstance(item.get("data"), dict):
                    raise RecordingError(f"{path}, line {number}: an event needs a type and its data.")
                try:
                    _time(item.get("at"))
                except (TypeError, ValueError):
                    raise RecordingError(f"{path}, line {number}: the event's time {item.get('at')!r} is not an ISO 8601 time.") from None
                events.append({k: v for k, v in item.items() if k != "record"})
                if len(events) > MAX_EVENTS:
                    raise RecordingError(f"{path}: more than {MAX_EVENTS:,} events; record a shorter window.")
            else:
                raise RecordingError(f"{path}, line {number}: unknown record {kind!r}.")
    if header is None:
        raise RecordingError(f"{path} is empty.")
    if all(isinstance(e.get("seq"), int) for e in events):
        events.sort(key=lambda e: e["seq"])  # the log's order, as live (times may tie or step back)
    return Recording(header=header, events=events, documents=documents)


def viewer_for(recording: Recording) -> Advisor:
    """Who the replay shows the workstation as: the recorded advisor (so "Mine" is hers),
    read-only (a trainer: no write key is offered)."""
    advisors = recording.documents.get("advisor", {})
    wanted = (recording.header.get("selection") or {}).get("advisor")
    body = advisors.get(str(wanted)) or next((a for a in advisors.values()), None)
    if body is not None:
        try:
            return Advisor.model_validate({**body, "role": Role.trainer})
        except ValueError:
            pass
    return Advisor(id=0, username=str(wanted or "replay"), name="Replay", hub="FLR", role=Role.trainer)


class ReplayWorkspace(Workspace):
    """A Workspace fed by a Player: no server, nothing written (an in-memory cache)."""


    def __init__(self, recording: Recording) -> None:
        super().__init__(api=None, cache=LocalCache(Path(":memory:")), me=viewer_for(recording))  # type: ignore[arg-type]
        self.recording = recording
        for body in recording.documents.get("advisor", {}).values():
            try:
                advisor = Advisor.model_validate(body)
            except ValueError:
                continue
            self.state.advisors[advisor.username] = advisor
        self._stop = asyncio.Event()

    def load_cached(self) -> None:
        self.reset([])

    async def start(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()
        self.cache.close()

    def reset(self, events: list[dict[str, Any]]) -> None:
        """The state after exactly `events` (from the start), every view told to redraw."""
        advisors = dict(self.state.advisors)
        self.state = WorkspaceState()
        self.state.advisors.update(advisors)
        self._unread.clear()
        self._apply_events([ev.local_event(ev.LOCAL_CONNECTION, {"state": "replay", "detail": "recording"}), *events], notify=False)
        changes = Changes(queue=True, connection=True, outbox=True, advisors=True, conversations=set(self.state.conversations), clients={c.client_id for c in self.state.conversations.values()})
        for listener in list(self._listeners):
            listener(changes)

    def play(self, events: list[dict[str, Any]]) -> None:
        """Fold the next events in, as live: views update; no bell for old messages."""
        self._apply_events(events)

    # What the views ask a server for: the recording's documents, or nothing.

    async def client_360(self, client_id: int) -> Client360 | None:
        return self.cached_client_360(client_id)

    def cached_client_360(self, client_id: int) -> Client360 | None:
        body = self.recording.documents.get("client", {}).get(str(client_id))
        if body is None:
            return None
        try:
            return Client360.model_validate(body)
        except ValueError:
            return None

    def notification_settings(self) -> NotificationSettings:
        """Recorded messages are old news: no bell, no toast, no desktop notification."""
        return NotificationSettings(bell=False, toast=False, desktop=False)

    async def ensure_thread(self, conversation_id: int) -> None:
        return None

    async def announce_presence(self, conversation_id: int, state: str) -> None:
        return None

    async def canned_replies(self, language: str | None = None) -> list[dict[str, Any]]:
        return []

    async def contact_check(self, client_id: int, channel: str) -> None:
        return None

    async def tasks_today(self) -> list[Any]:
        return []

    async def search_products(self, q: str = "", limit: int = 50, **filters: Any) -> list[Any]:
        raise RuntimeError("a replay has no lookbook")


class Player:
    """Where the replay is and how fast it goes. `position` = events shown so far."""

    def __init__(self, workspace: ReplayWorkspace, *, speed: float = 1.0, on_move: Callable[[], None] | None = None) -> None:
        self.workspace = workspace
        self.events = workspace.recording.events
        self.position = 0
        self.playing = False
        self.speed = min(SPEEDS, key=lambda s: abs(s - speed))
        self.on_move = on_move or (lambda: None)
        self._wake = asyncio.Event()

    @property
    def now(self) -> datetime:
        """The recording's clock: the time of the last event shown (its start before any)."""
        if self.position == 0:
            return self.workspace.recording.start
        return _time(self.events[self.position - 1]["at"])

    @property
    def done(self) -> bool:
        return self.position >= len(self.events)

    # ---- moving ----------------------------------------------------------------------

    def step(self, n: int = 1) -> None:
        self.seek(self.position + n)

    def seek(self, position: int) -> None:
        position = max(0, min(len(self.events), position))
        if position == self.position:
            return
        if position > self.position:
            self.workspace.play(self.events[self.position:position])
        else:
            self.workspace.reset(self.events[:position])
        self.position = position
        self._wake.set()
        self.on_move()

    def seek_fraction(self, fraction: float) -> None:
        self.seek(round(max(0.0, min(1.0, fraction)) * len(self.events)))

    def seek_time(self, when: datetime) -> None:
        """To the last event at or before `when`."""
        self.seek(sum(1 for e in self.events if _time(e["at"]) <= when))

    def toggle(self) -> None:
        self.playing = not self.playing
        if self.playing and self.done:
            self.seek(0)
        self._wake.set()
        self.on_move()

    def faster(self, up: bool = True) -> None:
        i = SPEEDS.index(self.speed) + (1 if up else -1)
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, i))]
        self._wake.set()
        self.on_move()

    # ---- playing ---------------------------------------------------------------------

    def delay_to_next(self) -> float:
        """Real seconds until the next event at this speed (quiet stretches shortened)."""
        if self.done:
            return 0.0
        gap = (_time(self.events[self.position]["at"]) - self.now).total_seconds() if self.position else 0.0
        return max(0.0, min(MAX_GAP, gap)) / self.speed

    async def run(self) -> None:
        """Play while `playing`; wake on every control."""
        while True:
            self._wake.clear()
            if not self.playing or self.done:
                if self.done and self.playing:
                    self.playing = False
                    self.on_move()
                await self._wake.wait()
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.delay_to_next())
                continue  # a control moved us: measure again
            except asyncio.TimeoutError:
                pass
            self.step()
