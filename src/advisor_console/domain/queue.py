"""What the queue shows: which conversations, in which order, and how many unread.

Pure functions of the workspace state and a `QueueView` (the advisor's tab, filters, sort
and search), so the queue pane, bulk actions and tests agree on one definition. The view
is plain data that round-trips through JSON: the workstation remembers it across restarts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .models import ConversationSummary, Message

TABS = ("mine", "hub", "all")
SORTS = ("waiting", "priority", "activity")
SORT_LABELS = {"waiting": "longest waiting", "priority": "priority", "activity": "last activity"}
# Facets a queue can be filtered on: the conversation field each reads.
FACETS = ("channel", "language", "stage", "vic_tier", "status")
FACET_LABELS = {"channel": "Channel", "language": "Language", "stage": "Stage", "vic_tier": "VIC tier", "status": "Status"}
_STATUS_ORDER = {"queued": 0, "assigned": 1, "snoozed": 2, "resolved": 3}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def fold(text: str) -> str:
    """Text as compared by the queue search: case and accents folded (é → e, ß → ss),
    full-width forms made narrow; native scripts are kept as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass
class QueueView:
    tab: str = "mine"
    sort: str = "waiting"
    # facet -> the values shown (an empty or missing set: every value)
    filters: dict[str, set[str]] = field(default_factory=dict)
    search: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["filters"] = {k: sorted(v) for k, v in self.filters.items() if v}
        data.pop("search")  # what is typed in the search box is not remembered
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "QueueView":
        """A view from remembered settings; anything unknown or malformed falls back."""
        view = cls()
        if not isinstance(data, Mapping):
            return view
        if data.get("tab") in TABS:
            view.tab = data["tab"]
        if data.get("sort") in SORTS:
            view.sort = data["sort"]
        filters = data.get("filters")
        if isinstance(filters, Mapping):
            for facet, values in filters.items():
                if facet in FACETS and isinstance(values, list):
                    view.filters[facet] = {str(v) for v in values if isinstance(v, str)}
        return view

    @property
    def filtered(self) -> bool:
        return any(self.filters.values())

    def describe(self) -> str:
        """One line for the queue's border: sort, filters, search."""
        parts = [f"by {SORT_LABELS[self.sort]}"]
        for facet in FACETS:
            values = self.filters.get(facet)
            if values:
                parts.append(f"{FACET_LABELS[facet].lower()}: {', '.join(sorted(values))}")
        if self.search:
            parts.append(f"“{self.search}”")
        return " · ".join(parts)


def waiting_since(conv: ConversationSummary) -> datetime:
    return conv.last_inbound_at or conv.created_at


def facet_value(conv: ConversationSummary, facet: str) -> str:
    value = getattr(conv, facet)
    return str(getattr(value, "value", value))


def in_tab(conv: ConversationSummary, tab: str, me: str, hub: str) -> bool:
    if tab == "mine":
        return conv.assignee == me and conv.status != "resolved"
    if tab == "hub":
        return conv.hub == hub and conv.status != "resolved"
    return True


def matches(conv: ConversationSummary, view: QueueView, folded_search: str) -> bool:
    for facet, values in view.filters.items():
        if values and facet_value(conv, facet) not in values:
            return False
    if folded_search:
        names = fold(conv.client_name) + "\n" + fold(conv.client_native_name or "")
        if not all(word in names for word in folded_search.split()):
            return False
    return True


def _sort_key(sort: str):  # noqa: ANN202
    if sort == "priority":
        return lambda c: (_STATUS_ORDER.get(c.status.value, 9), -c.priority, waiting_since(c), c.id)
    if sort == "activity":
        return lambda c: (_STATUS_ORDER.get(c.status.value, 9), -(c.last_activity_at - _EPOCH).total_seconds(), c.id)
    return lambda c: (_STATUS_ORDER.get(c.status.value, 9), waiting_since(c), -c.priority, c.id)


def queue_order(convs: Iterable[ConversationSummary], sort: str = "priority") -> list[ConversationSummary]:
    """Queued first, then assigned, snoozed, resolved; within each, by `sort`."""
    return sorted(convs, key=_sort_key(sort if sort in SORTS else "waiting"))


def select(conversations: Iterable[ConversationSummary], view: QueueView, me: str, hub: str) -> list[ConversationSummary]:
    """The rows of the queue for `view`, in order."""
    folded = fold(view.search.strip())
    return queue_order((c for c in conversations if in_tab(c, view.tab, me, hub) and matches(c, view, folded)), view.sort)


def facet_values(conversations: Iterable[ConversationSummary], facet: str) -> list[str]:
    """The values a facet takes among `conversations` (what a filter can offer)."""
    return sorted({facet_value(c, facet) for c in conversations})


# ---- unread ------------------------------------------------------------------------------


def unread_count(thread: list[Message], mark: tuple[int, bool] | None) -> int:
    """How many client messages the advisor has not read in a conversation.

    `mark` is the advisor's read mark: (the last message id read, marked unread by hand).
    Without a mark (never opened on this workstation), the client messages since the last
    answer count, i.e. what nobody has answered yet. A conversation marked unread by hand
    counts at least one."""
    upto, forced = mark if mark is not None else (None, False)
    count = 0
    for message in reversed(thread):
        if upto is not None:
            if message.id <= upto:
                break
        elif message.kind.value != "inbound":
            break
        if message.kind.value == "inbound":
            count += 1
    return max(count, 1) if forced else count


def unread_mark_for(thread: list[Message]) -> int:
    """The read mark that leaves the latest client message unread (mark as unread)."""
    for i in range(len(thread) - 1, -1, -1):
        if thread[i].kind.value == "inbound":
            return thread[i - 1].id if i > 0 else 0
    return thread[-1].id if thread else 0
