"""The queue: tabs Mine / Hub / All over a list of conversations.

One `OptionList` row per conversation (only visible lines are rendered). Rows are
rebuilt by diff: when the order is unchanged only the changed rows get a new prompt;
otherwise the list is refilled and the highlighted conversation stays highlighted.

Each row's `Option` is kept while what it shows is the same (the same summary object,
width, waiting time, outbox state and styles), and its prompt (`QueueRow`) keeps its
rendered lines: refilling the list (a tab switch, a new order) then reuses rows that are
already built, measured and drawn instead of doing all three again for every row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, Visual
from textual.widgets import OptionList, Tab, Tabs
from textual.widgets.option_list import Option

from ...domain.models import ConversationSummary
from ..format import CHANNEL_ICONS, STATUS_MARKS, TIER_MARKS, waiting, without_background
from ..keys import CONVERSATION_BINDINGS, QUEUE_BINDINGS
from ..safe import safe_line

TABS = ("mine", "hub", "all")
_TAB_LABELS = {"mine": "Mine", "hub": "Hub", "all": "All"}
_STATUS_ORDER = {"queued": 0, "assigned": 1, "snoozed": 2, "resolved": 3}


def waiting_since(conv: ConversationSummary) -> datetime:
    return conv.last_inbound_at or conv.created_at


def in_tab(conv: ConversationSummary, tab: str, me: str, hub: str) -> bool:
    if tab == "mine":
        return conv.assignee == me and conv.status != "resolved"
    if tab == "hub":
        return conv.hub == hub and conv.status != "resolved"
    return True


def queue_order(convs: Iterable[ConversationSummary]) -> list[ConversationSummary]:
    """Queued first, longest waiting first; then assigned, snoozed, resolved (also oldest first)."""
    return sorted(convs, key=lambda c: (_STATUS_ORDER.get(c.status.value, 9), -c.priority, waiting_since(c), c.id))


class QueueRow(Visual):
    """A row's text, laid out once, with its rendering kept per width and style (normal,
    highlighted…). Reads like the `Text` it was made from (`plain`, `spans`, `str()`)."""

    def __init__(self, text: Text, console) -> None:  # noqa: ANN001
        self.text = text
        self.content = Content.from_rich_text(text, console=console)
        self._strips: dict[tuple[int, int | None, VisualStyle], list[Strip]] = {}

    def __str__(self) -> str:
        return self.text.plain

    @property
    def plain(self) -> str:
        return self.text.plain

    @property
    def spans(self) -> list:  # noqa: ANN201
        return self.text.spans

    def render_strips(self, width: int, height: int | None, style: VisualStyle, options: RenderOptions) -> list[Strip]:
        if options.selection is not None or options.post_style is not None:
            return self.content.render_strips(width, height, style, options)
        key = (width, height, style)
        strips = self._strips.get(key)
        if strips is None:
            if len(self._strips) >= 4:
                self._strips.clear()
            strips = self._strips[key] = self.content.render_strips(width, height, style, options)
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content.get_height(rules, width)


class QueueTabs(Tabs, can_focus=False):
    """The tab strip; keys 1/2/3 switch it, so it takes no focus of its own."""


class QueueList(OptionList):
    """The conversation rows."""

    BINDINGS = [*QUEUE_BINDINGS, *CONVERSATION_BINDINGS]
    COMPONENT_CLASSES = {"queue--name", "queue--native", "queue--preview", "queue--wait", "queue--wait-long", "queue--tier", "queue--queued", "queue--assigned", "queue--snoozed", "queue--resolved", "queue--icon", "queue--mine", "queue--pending"}


class QueuePane(Vertical):
    """Tabs and conversation rows. Posts `ConversationSelected` when one is opened."""

    class ConversationSelected(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.tab = "mine"
        self._ids: list[int] = []
        self._width = 0
        # conversation id -> (the summary it was drawn from, (width, wait, outbox state), option)
        self._options: dict[int, tuple[ConversationSummary, tuple[int, str, bool | None], Option]] = {}
        self._styles: dict[str, Style] = {}

    def compose(self) -> ComposeResult:
        yield QueueTabs(*(Tab(_TAB_LABELS[t], id=f"tab-{t}") for t in TABS), id="queue-tabs")
        yield QueueList(id="queue-list")

    @property
    def list(self) -> QueueList:
        return self.query_one(QueueList)

    def on_mount(self) -> None:
        self.border_title = "Queue"
        self.set_interval(30.0, self.refresh_rows)
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self.refresh_rows), init=False)

    def on_resize(self) -> None:
        width = self.list.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self.refresh_rows()

    # ---- what is shown -----------------------------------------------------------

    def conversations(self, tab: str | None = None) -> list[ConversationSummary]:
        tab = tab or self.tab
        me, hub = self.workspace.me.username, self.workspace.me.hub
        return queue_order(c for c in self.workspace.state.conversations.values() if in_tab(c, tab, me, hub))

    @property
    def highlighted_id(self) -> int | None:
        option = self.list.highlighted_option
        return int(option.id) if option is not None and option.id is not None else None

    def select_tab(self, tab: str) -> None:
        if tab in TABS and tab != self.tab:
            self.query_one(QueueTabs).active = f"tab-{tab}"

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab = (event.tab.id or "tab-mine").removeprefix("tab-")
        if tab != self.tab:
            self.tab = tab
            self._ids = []
            self.refresh_rows()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.ConversationSelected(int(event.option.id)))

    def highlight(self, conversation_id: int) -> None:
        try:
            self.list.highlighted = self.list.get_option_index(str(conversation_id))
        except Exception:  # noqa: BLE001 - not in this tab
            pass

    # ---- rows ----------------------------------------------------------------------

    def _row_styles(self) -> dict[str, Style]:
        """The row styles of the current theme (a change of theme drops the kept rows)."""
        qlist = self.list
        styles = {name: without_background(qlist.get_component_rich_style(name)) for name in QueueList.COMPONENT_CLASSES}
        if styles != self._styles:
            self._styles = styles
            self._options.clear()
        return styles

    def _option(self, conv: ConversationSummary, width: int, now: datetime, busy: dict[int, bool], styles: dict[str, Style]) -> Option:
        """The row's option: the kept one while it would show the same, else a new one."""
        wait = waiting(waiting_since(conv), now)
        shown = (width, wait, busy.get(conv.id))
        kept = self._options.get(conv.id)
        if kept is not None and kept[0] is conv and kept[1] == shown:
            return kept[2]
        option = Option(QueueRow(self._row(conv, width, wait, busy.get(conv.id), styles), self.app.console), id=str(conv.id))
        self._options[conv.id] = (conv, shown, option)
        return option

    def _row(self, conv: ConversationSummary, width: int, wait: str, pending: bool | None, st: dict[str, Style]) -> Text:
        width = max(width, 20)
        long_wait = conv.status.value == "queued" and wait.endswith(("h", "d"))
        tail = Text()
        tail.append(f" {TIER_MARKS.get(conv.vic_tier, ' ')}", st["queue--tier"])
        tail.append(f"{wait:>5}", st["queue--wait-long" if long_wait else "queue--wait"])
        tail.append(" ")
        status = conv.status.value
        tail.append(STATUS_MARKS.get(status, "?"), st.get(f"queue--{status}", st["queue--preview"]))
        head = Text()
        head.append(f"{CHANNEL_ICONS.get(conv.channel.value, '?')} ", st["queue--icon"])
        name_width = width - cell_len(head.plain) - tail.cell_len
        name = Text(safe_line(conv.client_name), st["queue--name"])
        if conv.client_native_name and conv.client_native_name != conv.client_name:
            name.append(" ")
            name.append(safe_line(conv.client_native_name), st["queue--native"])
        name.truncate(name_width, overflow="ellipsis", pad=True)
        line1 = Text.assemble(head, name, tail, no_wrap=True)
        preview = Text("  ", no_wrap=True)
        if pending is not None:
            preview.append("not sent ⚠ " if pending else "sending… ", st["queue--pending"])
        elif conv.assignee and conv.assignee != self.workspace.me.username and status == "assigned":
            preview.append(f"@{safe_line(conv.assignee)} ", st["queue--preview"])
        preview.append(safe_line(conv.preview), st["queue--preview"])
        preview.truncate(width, overflow="ellipsis", pad=True)
        return Text("\n", no_wrap=True, end="").join([line1, preview])

    def refresh_rows(self, changed: set[int] | None = None) -> None:
        """Redraw the rows: those in `changed` only if the order is the same, else all."""
        if not self.is_mounted:
            return
        qlist = self.list
        width = qlist.scrollable_content_region.width or 36
        now = self.app.clock()
        styles = self._row_styles()
        # conversation id -> True when one of its outbox items was refused (shown as "not sent").
        busy: dict[int, bool] = {}
        for p in self.workspace.state.pending:
            if p.conversation_id is not None:
                busy[p.conversation_id] = busy.get(p.conversation_id, False) or bool(p.error)
        convs = self.conversations()
        ids = [c.id for c in convs]
        if ids == self._ids and changed is not None:
            by_id = {c.id: c for c in convs}
            for cid in changed:
                if cid in by_id:
                    option = self._option(by_id[cid], width, now, busy, styles)
                    if qlist.get_option(str(cid)) is not option:
                        qlist.replace_option_prompt(str(cid), option.prompt)
        else:
            keep = self.highlighted_id
            scroll_y = qlist.scroll_y
            qlist.set_options([self._option(c, width, now, busy, styles) for c in convs])
            if ids:
                index = ids.index(keep) if keep in ids else 0
                qlist.scroll_to(y=scroll_y, animate=False, immediate=True)
                qlist.highlighted = index
            self._ids = ids
        if len(self._options) > len(self.workspace.state.conversations) + 64:
            known = self.workspace.state.conversations
            self._options = {cid: kept for cid, kept in self._options.items() if cid in known}
        self._update_tab_labels()

    def _update_tab_labels(self) -> None:
        me, hub = self.workspace.me.username, self.workspace.me.hub
        counts = dict.fromkeys(TABS, 0)
        for c in self.workspace.state.conversations.values():
            for t in TABS:
                if in_tab(c, t, me, hub):
                    counts[t] += 1
        tabs = self.query_one(QueueTabs)
        for t in TABS:
            label = f"{_TAB_LABELS[t]} {counts[t]}"
            tab = tabs.query_one(f"#tab-{t}", Tab)
            if tab.label_text != label:
                tab.label = label
