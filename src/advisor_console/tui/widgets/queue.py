"""The queue: tabs Mine / Hub / All, a search box, and the conversation rows.

What is listed and in which order is `domain.queue.select` over the advisor's
`QueueView` (tab, filters, sort, search), which the workstation remembers. Rows show the
channel, the client's names, VIC tier, unread count, priority, waiting time and status;
space selects rows for bulk actions.

One `OptionList` row per conversation (only visible lines are rendered). Rows are
rebuilt by diff: when the order is unchanged only the changed rows get a new prompt;
otherwise the list is refilled and the highlighted conversation stays highlighted.

Each row's `Option` is kept while what it shows is the same (the same summary object,
width, waiting time, outbox state and styles), and its prompt (`rows.TextRow`) keeps its
rendered lines: refilling the list (a tab switch, a new order) then reuses rows that are
already built, measured and drawn instead of doing all three again for every row.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.css.scalar import Unit
from textual.widget import Widget
from textual.widgets import Input, OptionList, Tab, Tabs
from textual.widgets.option_list import Option

from ...domain.models import ConversationSummary
from ...domain.queue import SORTS, TABS, QueueView, fold, in_tab, matches, select, waiting_since
from ..format import CHANNEL_ICONS, PRIORITY_MARKS, STATUS_MARKS, TIER_MARKS, waiting, without_background
from ..keys import CONVERSATION_BINDINGS, QUEUE_BINDINGS, QUEUE_SEARCH_BINDINGS
from ..safe import safe_line
from .focus import QuietFocus
from .lines import KeptLines
from .rows import RowList, TextRow

_TAB_LABELS = {"mine": "Mine", "hub": "Hub", "all": "All"}


ROW_LINES = 2  # a queue row: the client and the wait, then the preview (QueuePane._row)


class QueueTabs(Tabs, can_focus=False):
    """The tab strip; keys 1/2/3 switch it, so it takes no focus of its own."""

    def _highlight_active(self, animate: bool = True) -> None:
        # The underline moves at once: Tabs slides it over 0.3 s, redrawing the strip at
        # every frame (about 15 ms of CPU each, some 250 ms per switch), and a key pressed
        # during the slide waited behind those frames.
        super()._highlight_active(animate=False)

    def validate_active(self, active: str) -> str:
        if active and active not in {tab.id for tab in self.query(Tab)}:
            raise ValueError(f"No Tab with id {active!r}")
        return active

    def watch_active(self, previously_active: str, active: str) -> None:
        """As Tabs does, in one pass: the tab losing and the tab gaining `-active` restyled
        together, once (Tabs restyles each through its own queries, then scrolls the strip
        to the tab: these three always fit). About 3 ms of each switch of the queue's tab."""
        if not active:
            super().watch_active(previously_active, active)
            return
        changed, active_tab = [], None
        for tab in self.query(Tab):
            if tab.id == active:
                active_tab = tab
            if tab.has_class("-active") != (tab.id == active):
                tab.set_class(tab.id == active, "-active", update=False)
                changed.append(tab)
        if changed:
            self.app.stylesheet.update_nodes(changed, animate=False)
        if active_tab is not None:
            self._highlight_active(animate=False)
            self.post_message(self.TabActivated(self, active_tab))


class QueueRowStyles(Widget):
    """Carries the rows' colours (component classes), never shown. On the list itself
    they were restyled (one virtual node each) on every focus move into or out of the
    queue; the list looks the same with the focus or without, but for its highlight."""

    DEFAULT_CSS = """
    QueueRowStyles { display: none; }
    """
    COMPONENT_CLASSES = {
        "queue--name", "queue--native", "queue--preview", "queue--wait", "queue--wait-long", "queue--tier",
        "queue--queued", "queue--assigned", "queue--snoozed", "queue--resolved", "queue--icon", "queue--mine",
        "queue--pending", "queue--unread", "queue--priority", "queue--selected", "queue--tags",
    }  # fmt: skip

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.stale = True  # QueuePane._row_styles reads them again

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.stale = True


class QueueList(QuietFocus, RowList):
    """The conversation rows: a row drawn once is not drawn again while the same `Option`
    (the same conversation as shown, see QueuePane._option) comes back."""

    BINDINGS = [*QUEUE_BINDINGS, *CONVERSATION_BINDINGS]
    COMPONENT_CLASSES = {"queue-list--highlight-focused"}
    FOCUSED_HIGHLIGHT = "queue-list--highlight-focused"  # see RowList


class QueueSearch(Input):
    """Incremental search by client name (Latin or native script)."""

    BINDINGS = QUEUE_SEARCH_BINDINGS


class QueuePane(KeptLines, Vertical):
    """Tabs and conversation rows. Posts `ConversationSelected` when one is opened."""

    class ConversationSelected(Message):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.view: QueueView = workspace.queue_view()
        self.selected: set[int] = set()  # rows picked for a bulk action
        self._save_timer = None
        self._ids: list[int] = []
        self._width = 0
        # conversation id -> (the summary it was drawn from, (width, wait, outbox state), option)
        self._options: dict[int, tuple[ConversationSummary, tuple[object, ...], Option]] = {}
        self._styles: dict[str, Style] | None = None

    def compose(self) -> ComposeResult:
        yield QueueTabs(*(Tab(_TAB_LABELS[t], id=f"tab-{t}") for t in TABS), id="queue-tabs", active=f"tab-{self.view.tab}")
        yield QueueSearch(placeholder="/ search clients", id="queue-search")
        yield QueueList(id="queue-list")
        yield QueueRowStyles(id="queue-row-styles")

    @property
    def list(self) -> QueueList:
        return self.query_one(QueueList)

    @property
    def tab(self) -> str:
        return self.view.tab

    def on_mount(self) -> None:
        self.border_title = "Queue"
        self._show_view()
        self.set_interval(20.0, self.refresh_rows)  # waiting times stay live
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self._theme_changed), init=False)

    def _theme_changed(self) -> None:
        for carrier in self.query(QueueRowStyles):
            carrier.stale = True
        self.refresh_rows()

    def _expected_width(self) -> int:
        """The rows' width before the first layout (the first frame's rows are drawn before
        it): the pane's width in the stylesheet less its and the list's gutters and the
        scrollbar, so they are drawn once, not again at the first resize."""
        width, qlist = self.styles.width, self.list
        if width is None or width.unit != Unit.CELLS:
            return 36
        return max(10, int(width.value) - self.styles.gutter.width - qlist.styles.gutter.width - qlist.styles.scrollbar_size_vertical)

    def on_resize(self) -> None:
        width = self.list.scrollable_content_region.width
        if width != self._width:
            self._width = width
            self.refresh_rows()

    # ---- what is shown -----------------------------------------------------------

    def conversations(self, tab: str | None = None) -> list[ConversationSummary]:
        view = self.view if tab is None or tab == self.view.tab else QueueView(tab, self.view.sort, self.view.filters, self.view.search)
        return select(self.workspace.state.conversations.values(), view, self.workspace.me.username, self.workspace.me.hub)

    def set_view(self, view: QueueView) -> None:
        """Show the queue through `view` (tab, filters, sort) and remember it."""
        tab_changed = view.tab != self.view.tab
        self.view = view
        self.workspace.save_queue_view(view)
        if tab_changed:
            self.query_one(QueueTabs).active = f"tab-{view.tab}"
        self._ids = []
        self._show_view()
        self.refresh_rows()

    def cycle_sort(self) -> str:
        sort = SORTS[(SORTS.index(self.view.sort) + 1) % len(SORTS)]
        self.set_view(QueueView(self.view.tab, sort, self.view.filters, self.view.search))
        return sort

    def _show_view(self) -> None:
        subtitle = self.view.describe() + (f" · {len(self.selected)} selected" if self.selected else "")
        if subtitle != self.border_subtitle:  # a new subtitle repaints the whole pane
            self.border_subtitle = subtitle

    @on(Input.Changed, "#queue-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.view.search:
            self.view.search = event.value
            self._ids = []
            self._show_view()
            self.refresh_rows()

    @on(Input.Submitted, "#queue-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.list.focus()

    def clear_search(self) -> None:
        self.query_one(QueueSearch).value = ""
        self.list.focus()

    # ---- selection (bulk actions) ---------------------------------------------------

    def toggle_selected(self, conversation_id: int) -> None:
        self.selected ^= {conversation_id}
        self._show_view()
        self.refresh_rows({conversation_id})

    def select_all(self) -> None:
        self.selected = set(self._ids)
        self._show_view()
        self.refresh_rows(set(self._ids))

    def clear_selected(self) -> None:
        changed, self.selected = self.selected, set()
        self._show_view()
        self.refresh_rows(changed)

    def bulk_targets(self) -> list[int]:
        """The selected rows still in the queue, in queue order; else the highlighted one."""
        if self.selected:
            return [cid for cid in self._ids if cid in self.selected]
        cid = self.highlighted_id
        return [cid] if cid is not None else []

    @property
    def highlighted_id(self) -> int | None:
        option = self.list.highlighted_option
        return int(option.id) if option is not None and option.id is not None else None

    def select_tab(self, tab: str) -> None:
        """Show `tab`: its rows at once (the same frame as the tab strip), not once the
        strip's TabActivated message has come back."""
        if tab in TABS and tab != self.tab:
            self._switch_tab(tab)
            self.query_one(QueueTabs).active = f"tab-{tab}"

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        tab = (event.tab.id or "tab-mine").removeprefix("tab-")
        if tab != self.view.tab and tab in TABS:  # a click on the strip
            self._switch_tab(tab)

    def _switch_tab(self, tab: str) -> None:
        self.view.tab = tab
        self._remember_view()
        self._ids = []
        self._show_view()
        self.refresh_rows(counts=False)  # a tab switch changes no count

    def on_unmount(self) -> None:
        if self._save_timer is not None:  # a view changed just before quitting
            self._save_timer.stop()
            self.workspace.save_queue_view(self.view)

    def _remember_view(self) -> None:
        """Save the view a moment later: a run of tab switches writes once, off the key."""
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(1.0, lambda: self.workspace.save_queue_view(self.view))

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
        """The row styles of the current theme; new styles drop the kept rows."""
        carrier = self.query_one("#queue-row-styles", QueueRowStyles)
        styles = self._styles
        if styles is None or carrier.stale:
            carrier.stale = False
            styles = {name: without_background(carrier.get_component_rich_style(name)) for name in QueueRowStyles.COMPONENT_CLASSES}
            if styles != self._styles:
                self._styles = styles
                self._options.clear()
        return styles

    def _option(self, conv: ConversationSummary, width: int, now: datetime, busy: dict[int, bool], styles: dict[str, Style]) -> Option:
        """The row's option: the kept one while it would show the same, else a new one."""
        wait = waiting(waiting_since(conv), now)
        unread = self.workspace.unread(conv.id)
        picked = conv.id in self.selected
        shown = (width, wait, busy.get(conv.id), unread, picked)
        kept = self._options.get(conv.id)
        if kept is not None and kept[0] is conv and kept[1] == shown:
            return kept[2]
        make = partial(self._row, conv, width, wait, busy.get(conv.id), styles, unread, picked)
        option = Option(TextRow(make, self.app.console, lines=ROW_LINES), id=str(conv.id))
        self._options[conv.id] = (conv, shown, option)
        return option

    def _row(self, conv: ConversationSummary, width: int, wait: str, pending: bool | None, st: dict[str, Style], unread: int = 0, picked: bool = False) -> Text:
        width = max(width, 20)
        long_wait = conv.status.value == "queued" and wait.endswith(("h", "d"))
        tail = Text()
        if unread:
            tail.append(f" {min(unread, 99)}●" if unread < 100 else " 99+●", st["queue--unread"])
        if conv.priority:
            tail.append(f" {PRIORITY_MARKS.get(conv.priority, '!')}", st["queue--priority"])
        tail.append(f" {TIER_MARKS.get(conv.vic_tier, ' ')}", st["queue--tier"])
        tail.append(f"{wait:>5}", st["queue--wait-long" if long_wait else "queue--wait"])
        tail.append(" ")
        status = conv.status.value
        tail.append(STATUS_MARKS.get(status, "?"), st.get(f"queue--{status}", st["queue--preview"]))
        head = Text()
        if picked:
            head.append("▶", st["queue--selected"])
        head.append(f"{CHANNEL_ICONS.get(conv.channel.value, '?')} ", st["queue--icon"])
        name_width = width - cell_len(head.plain) - tail.cell_len
        name = Text(safe_line(conv.client_name), st["queue--name"])
        if conv.client_native_name and conv.client_native_name != conv.client_name:
            name.append(" ")
            name.append(safe_line(conv.client_native_name), st["queue--native"])
        name.truncate(name_width, overflow="ellipsis", pad=True)
        line1 = Text.assemble(head, name, tail, no_wrap=True)
        preview = Text("  ", no_wrap=True)
        if conv.tags:
            preview.append(" ".join(f"#{safe_line(t)}" for t in conv.tags[:3]) + " ", st["queue--tags"])
        if pending is not None:
            preview.append("not sent ⚠ " if pending else "sending… ", st["queue--pending"])
        elif conv.assignee and conv.assignee != self.workspace.me.username and status == "assigned":
            preview.append(f"@{safe_line(conv.assignee)} ", st["queue--preview"])
        preview.append(safe_line(conv.preview), st["queue--preview"])
        preview.truncate(width, overflow="ellipsis", pad=True)
        return Text("\n", no_wrap=True, end="").join([line1, preview])  # ROW_LINES lines

    def refresh_rows(self, changed: set[int] | None = None, *, counts: bool = True) -> None:
        """Redraw the rows: those in `changed` only if the order is the same, else all;
        and the tabs' counts unless `counts` is False (nothing they count changed)."""
        if not self.is_mounted:
            return
        qlist = self.list
        width = self._width = qlist.scrollable_content_region.width or self._expected_width()
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
            for cid in [cid for cid in self._options if cid not in known]:
                del self._options[cid]
        if counts:
            self._update_tab_labels()

    def _update_tab_labels(self) -> None:
        """Each tab: how many rows it would show (filters and search applied), and how
        many of them have unread client messages."""
        me, hub = self.workspace.me.username, self.workspace.me.hub
        counts = dict.fromkeys(TABS, 0)
        unread = dict.fromkeys(TABS, 0)
        folded = fold(self.view.search.strip())
        for c in self.workspace.state.conversations.values():
            if not matches(c, self.view, folded):
                continue
            has_unread = None
            for t in TABS:
                if in_tab(c, t, me, hub):
                    counts[t] += 1
                    if has_unread is None:
                        has_unread = self.workspace.unread(c.id) > 0
                    unread[t] += has_unread
        tabs = self.query_one(QueueTabs)
        for t in TABS:
            label = f"{_TAB_LABELS[t]} {counts[t]}" + (f" ●{unread[t]}" if unread[t] else "")
            tab = tabs.query_one(f"#tab-{t}", Tab)
            if tab.label_text != label:
                tab.label = label
