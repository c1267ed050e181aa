"""Workspace state as a function of events.

`apply(state, event)` folds one event into the state. It does no I/O and reads no clock:
the same events in the same order always give the same state, which is what lets the
advisor workspace, the supervisor board and replay share it. For speed at scale it updates
the state in place (a fresh copy per event would cost O(conversations) per message) and
reports what it touched in `state.changes`, which views drain to redraw only that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import events as ev
from .models import Advisor, ConversationSummary, Event, Message


@dataclass
class PendingItem:
    """A write waiting in the local outbox, shown in the thread as "sending…"."""

    key: str
    op: str
    conversation_id: int | None
    body: str = ""
    kind: str = "reply"
    error: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    target_id: int | None = None  # conversation, client or task the item acts on


@dataclass
class Changes:
    queue: bool = False
    conversations: set[int] = field(default_factory=set)
    connection: bool = False
    outbox: bool = False
    advisors: bool = False
    notices: bool = False
    clients: set[int] = field(default_factory=set)  # client profiles or tasks changed
    # (conversation id, message id) of messages that arrived through the log, in order:
    # what a notification may be raised for.
    new_messages: list[tuple[int, int]] = field(default_factory=list)
    presence: set[int] = field(default_factory=set)  # conversations whose viewers changed
    scheduled: set[int] = field(default_factory=set)  # conversations whose scheduled sends changed

    def __bool__(self) -> bool:
        return bool(
            self.queue or self.conversations or self.connection or self.outbox or self.advisors or self.notices
            or self.clients or self.new_messages or self.presence or self.scheduled
        )


@dataclass
class WorkspaceState:
    conversations: dict[int, ConversationSummary] = field(default_factory=dict)
    threads: dict[int, list[Message]] = field(default_factory=dict)
    # Conversations whose thread we hold from its first message (seen from creation or
    # loaded whole); others are fetched whole when opened.
    complete_threads: set[int] = field(default_factory=set)
    message_ids: set[int] = field(default_factory=set)
    advisors: dict[str, Advisor] = field(default_factory=dict)
    last_seq: int = 0
    connection: str = "connecting"
    connection_detail: str = ""
    pending: list[PendingItem] = field(default_factory=list)
    # Things to tell the advisor once (a refused claim, a failed send); views pop them.
    notices: list[tuple[str, str]] = field(default_factory=list)
    # The advisor's read marks (kept on this workstation): conversation id -> (the last
    # message id read, marked unread by hand).
    read_marks: dict[int, tuple[int, bool]] = field(default_factory=dict)
    # Who else is on a conversation, as the server last said: conversation id -> list of
    # {"username", "name", "state": "viewing"|"typing", "since"} (never logged, never cached).
    presence: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # Replies waiting for their time on the server: conversation id -> {scheduled id: data}.
    scheduled: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    def pop_notices(self) -> list[tuple[str, str]]:
        notices, self.notices = self.notices, []
        return notices

    def pending_for(self, conversation_id: int) -> list[PendingItem]:
        return [p for p in self.pending if p.conversation_id == conversation_id]


def _upsert_conversation(state: WorkspaceState, data: Mapping[str, Any]) -> ConversationSummary:
    conv = ConversationSummary.model_validate(data)
    state.conversations[conv.id] = conv
    state.changes.queue = True
    state.changes.conversations.add(conv.id)
    return conv


def _add_message(state: WorkspaceState, conv_id: int, message: Message) -> None:
    if message.id in state.message_ids:
        return
    state.message_ids.add(message.id)
    state.threads.setdefault(conv_id, []).append(message)


def apply(state: WorkspaceState, event: Event | Mapping[str, Any]) -> WorkspaceState:
    if not isinstance(event, Event):
        event = Event.model_validate(event)
    etype, data = event.type, event.data

    if etype.startswith("local.") or etype == ev.PRESENCE:
        _apply_local(state, etype, data)
        return state

    if event.seq <= state.last_seq:
        return state  # already applied: each event counts once
    state.last_seq = event.seq

    if etype in ev.CONVERSATION_EVENTS and "conversation" in data:
        conv = _upsert_conversation(state, data["conversation"])
        if etype == ev.CONVERSATION_CREATED:
            state.complete_threads.add(conv.id)
            state.threads.setdefault(conv.id, [])
        if etype == ev.MESSAGE_DELIVERY:
            updated = Message.model_validate(data["message"])
            thread = state.threads.get(conv.id, [])
            for i, m in enumerate(thread):
                if m.id == updated.id:
                    thread[i] = updated
        if etype == ev.MESSAGE_CREATED:
            message = Message.model_validate(data["message"])
            if message.id not in state.message_ids:
                state.changes.new_messages.append((conv.id, message.id))
            _add_message(state, conv.id, message)
            if message.scheduled_id is not None and state.scheduled.get(conv.id, {}).pop(message.scheduled_id, None) is not None:
                state.changes.scheduled.add(conv.id)
        elif etype == ev.MESSAGE_SCHEDULED:
            item = data["scheduled"]
            state.scheduled.setdefault(conv.id, {})[int(item["id"])] = dict(item)
            state.changes.scheduled.add(conv.id)
        elif etype == ev.MESSAGE_UNSCHEDULED:
            if state.scheduled.get(conv.id, {}).pop(int(data["scheduled_id"]), None) is not None:
                state.changes.scheduled.add(conv.id)
    elif etype in ev.CLIENT_EVENTS:
        state.changes.clients.add(int(data["client_id"]))
    elif etype == ev.ADVISOR_UPDATED:
        adv = Advisor.model_validate(data["advisor"])
        state.advisors[adv.username] = adv
        state.changes.advisors = True
    return state


def _apply_local(state: WorkspaceState, etype: str, data: Mapping[str, Any]) -> None:
    if etype == ev.LOCAL_CONNECTION:
        state.connection = data.get("state", "offline")
        state.connection_detail = data.get("detail", "")
        state.changes.connection = True
    elif etype == ev.LOCAL_OUTBOX:
        before = {p.conversation_id for p in state.pending}
        state.pending = [PendingItem(**p) for p in data.get("pending", [])]
        state.changes.outbox = True
        state.changes.conversations |= before | {p.conversation_id for p in state.pending if p.conversation_id}
        state.changes.conversations.discard(None)  # type: ignore[arg-type]
    elif etype == ev.LOCAL_NOTICE:
        state.notices.append((data.get("level", "information"), data.get("text", "")))
        state.changes.notices = True
    elif etype == ev.LOCAL_READ:
        for mark in data.get("marks", []):
            cid = int(mark["conversation_id"])
            state.read_marks[cid] = (int(mark["upto"]), bool(mark.get("unread", False)))
            state.changes.conversations.add(cid)
            state.changes.queue = True
    elif etype == ev.PRESENCE:
        cid = int(data["conversation_id"])
        advisors = [dict(a) for a in data.get("advisors", []) if isinstance(a, Mapping)]
        if advisors:
            state.presence[cid] = advisors
        else:
            state.presence.pop(cid, None)
        state.changes.presence.add(cid)
    elif etype == ev.LOCAL_THREAD_LOADED:
        detail = data["conversation"]
        conv_id = detail["id"]
        _upsert_conversation(state, {k: v for k, v in detail.items() if k != "messages"})
        thread: list[Message] = []
        for raw in detail.get("messages", []):
            msg = Message.model_validate(raw)
            state.message_ids.add(msg.id)
            thread.append(msg)
        # Keep any message that arrived through the stream after the snapshot was taken.
        seen = {m.id for m in thread}
        thread.extend(m for m in state.threads.get(conv_id, []) if m.id not in seen)
        thread.sort(key=lambda m: (m.at, m.id))
        state.threads[conv_id] = thread
        state.complete_threads.add(conv_id)


def reduce(events: Iterable[Event | Mapping[str, Any]], state: WorkspaceState | None = None) -> WorkspaceState:
    state = state or WorkspaceState()
    for event in events:
        apply(state, event)
    return state
