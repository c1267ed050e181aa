"""Messages that cross panes (the ones local to a widget are nested in its class)."""

from __future__ import annotations

from textual.message import Message

from ..domain.reducer import Changes


class StateChanged(Message):
    """The workspace state changed; `changes` says what (see domain/reducer.py)."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes


def merge_changes(into: Changes, more: Changes) -> Changes:
    into.queue |= more.queue
    into.conversations |= more.conversations
    into.connection |= more.connection
    into.outbox |= more.outbox
    into.advisors |= more.advisors
    into.notices |= more.notices
    into.clients |= more.clients
    into.new_messages += more.new_messages
    into.presence |= more.presence
    into.scheduled |= more.scheduled
    return into
