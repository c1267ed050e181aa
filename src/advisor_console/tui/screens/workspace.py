"""The advisor's workspace: queue, conversation (or lookbook), client 360.

The screen owns which conversation is open and turns actions (keys, palette) into
workspace commands; the panes read `workspace.state` and redraw on `StateChanged`, each
only for what changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from ...lazy import lazy_module
from ...domain.address import fill_placeholders, her_size_for
from ...domain.models import HUBS, MAX_TRYON_ITEMS, MAX_TRYON_SIZES, Attachment, ConversationSummary, Product
from ...domain.queue import FACETS, facet_values
from ..commands import LookbookCommands, WorkspaceCommands
from ..keys import SCREEN_BINDINGS
from ..messages import StateChanged
from ..format import PRIORITY_NAMES, WHEN_HELP, HUB_CURRENCY, aware, client_zone, local_time, money, parse_when
from ..notify import Notifier
from ..safe import safe_line
from ..widgets.client360 import Client360Pane
from ..widgets.composer import Composer
from ..widgets.focus import mark_focused_pane
from ..widgets.conversation import OUTCOMES, ConversationPane, whatsapp_window
from ..widgets.header import AdvisorHeader
from ..widgets.keybar import KeyBar
from ..widgets.lookbook import STOCK_CHOICES, Lookbook, LookbookFilters
from ..widgets.queue import QueueList, QueuePane
from ..widgets.thread import ThreadView
from . import StyledOnMount

# The dialogs are loaded when first opened, not at start (with the widgets only they use,
# some 10 ms of a start).
call_list = lazy_module(f"{__package__}.call_list")
confirm = lazy_module(f"{__package__}.confirm")
prompts = lazy_module(f"{__package__}.prompts")
signin = lazy_module(f"{__package__}.signin")
tryon = lazy_module(f"{__package__}.tryon")

# Actions that change a conversation (not offered to roles that may only read).
WRITE_ACTIONS = frozenset({
    "claim", "reply", "note", "resolve", "snooze", "transfer", "snooze_prompt", "transfer_prompt", "reopen",
    "call_note", "tags_prompt", "cycle_priority", "quote", "retry_failed", "tryon_add", "tryon_send", "tryon_outcome", "retry_delivery", "call_client", "visitors",
})  # fmt: skip
PRESENCE_HEARTBEAT = 15.0  # seconds between "still viewing" (the server forgets after 30)
TYPING_QUIET = 6.0  # seconds without a keystroke before "typing" turns back to "viewing"


class WorkspaceScreen(StyledOnMount, Screen[None]):
    # Screen.focused repaints the whole screen on every focus move (a full frame: every line
    # composed again, the screen's background drawn again). What a focus move changes
    # redraws itself: the widgets gaining and losing focus, the panes' -focus class.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    FOLLOWS_STATE = True  # the app posts it every StateChanged
    BINDINGS = SCREEN_BINDINGS
    AUTO_FOCUS = "#queue-list"  # not the search box: the first keys are queue keys
    COMMANDS = {WorkspaceCommands, LookbookCommands}

    def __init__(self, workspace, *, bars: tuple[Widget, ...] = ()) -> None:  # noqa: ANN001
        super().__init__(id="workspace")
        self.workspace = workspace
        self.bars = bars  # extra lines above the key bar (the replay's controls)
        self.open_id: int | None = None
        # Pending try-on selections, per conversation: [{"sku", "name", "sizes"}].
        self.tryon: dict[int, list[dict]] = {}
        self.call_segment: call_list.Segment | None = None  # the call list's last segment
        self._asking_sign_in = False
        self._presence_state = "viewing"
        self._typing_timer = None
        # The last message id seen in the open conversation when the advisor started
        # writing: a colleague's reply after it means someone else has just answered.
        self._seen_upto: int = 0
        self.notifier = Notifier(self)

    def compose(self) -> ComposeResult:
        yield AdvisorHeader(self.workspace, id="header")
        with Horizontal(id="panes"):
            yield QueuePane(self.workspace, id="queue")
            with Vertical(id="centre"):
                yield ConversationPane(self.workspace, id="conversation")
                yield Lookbook(self.workspace, id="lookbook")
            yield Client360Pane(self.workspace, id="client360")
        yield from self.bars
        yield KeyBar(id="keybar")

    def on_mount(self) -> None:
        # A read-only viewer (a trainer, a replay) has nothing to write with.
        self.composer.display = self.workspace.me.role.value in ("advisor", "supervisor")
        self.queue.refresh_rows()
        if not self.queue.conversations():
            self.queue.select_tab("hub")
        self._panes = (self.queue, self.conversation, self.lookbook, self.query_one(Client360Pane))
        self.watch(self, "focused", self._focus_moved)
        self.queue.list.focus()
        self.set_interval(PRESENCE_HEARTBEAT, self._presence_heartbeat)
        self.set_interval(30.0, self._tick)

    def _focus_moved(self, focused: Widget | None) -> None:
        mark_focused_pane(self._panes, focused)

    def _tick(self) -> None:
        """Once in a while: the title's clock-bound parts (WhatsApp window) stay true."""
        if self.open_id is not None:
            self.conversation.refresh_title()

    # ---- parts ----------------------------------------------------------------------------

    @property
    def queue(self) -> QueuePane:
        return self.query_one(QueuePane)

    @property
    def conversation(self) -> ConversationPane:
        return self.query_one(ConversationPane)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def lookbook(self) -> Lookbook:
        return self.query_one(Lookbook)

    @property
    def lookbook_open(self) -> bool:
        return self.has_class("-lookbook")

    def open_summary(self) -> ConversationSummary | None:
        return self.workspace.state.conversations.get(self.open_id) if self.open_id is not None else None

    def target_id(self) -> int | None:
        """The conversation an action applies to: the highlighted row when the queue has
        focus, else the open conversation."""
        if isinstance(self.focused, QueueList):
            return self.queue.highlighted_id
        return self.open_id if self.open_id is not None else self.queue.highlighted_id

    # ---- state changes -------------------------------------------------------------------

    @on(StateChanged)
    def _state_changed(self, message: StateChanged) -> None:
        changes = message.changes
        for level, text in self.workspace.state.pop_notices():
            self.notify(text, severity=level if level in ("information", "warning", "error") else "information", markup=False, timeout=8)
        if changes.connection or changes.outbox or changes.advisors:
            self.query_one(AdvisorHeader).refresh_state()
        if changes.connection and self.workspace.state.connection == "signed-out":
            self.action_sign_in()
        if changes.queue or changes.outbox:
            self.queue.refresh_rows(set(changes.conversations))
        if self.open_id is not None and (self.open_id in changes.conversations or self.open_id in changes.scheduled):
            self.conversation.refresh_thread()
            self.conversation.refresh_title()
            if self.open_id in changes.conversations and any(cid == self.open_id for cid, _ in changes.new_messages):
                self.workspace.mark_read(self.open_id)
        elif self.open_id is not None and self.open_id in changes.presence:
            self.conversation.refresh_title()
        if changes.new_messages:
            self.notifier.new_messages(changes.new_messages, self.open_id)
        conv = self.open_summary()
        if conv is not None and conv.client_id in changes.clients:
            self.query_one(Client360Pane).show_client(conv.client_id)
        self.refresh_bindings()

    # ---- opening --------------------------------------------------------------------------

    @on(QueuePane.ConversationSelected)
    def _selected(self, message: QueuePane.ConversationSelected) -> None:
        thread = self.query_one(ThreadView)
        self.open_conversation(message.conversation_id, refresh_bindings=self.focused is thread)
        thread.focus()

    def open_conversation(self, conversation_id: int, *, refresh_bindings: bool = True) -> None:
        """Show the conversation; `refresh_bindings` False when a focus move follows (it
        refreshes the keys shown: working them out twice was ~1 ms of an open)."""
        conv = self.workspace.state.conversations.get(conversation_id)
        if conv is None:
            return
        previous, self.open_id = self.open_id, conversation_id
        self._presence_state = "viewing"
        self.close_lookbook(refocus=False)
        self.conversation.open(conversation_id)
        thread = self.workspace.state.threads.get(conversation_id, [])
        self._seen_upto = thread[-1].id if thread else 0
        self.query_one(Client360Pane).show_client(conv.client_id, refetch=False)
        if refresh_bindings:
            self.refresh_bindings()
        # What goes to the server (presence, the client's profile, the rest of the thread)
        # starts once the frame showing the conversation is drawn: the embedded server runs
        # in this process, and its share of the CPU came before that frame. So does marking
        # it read (a write to the local cache, then the queue's row and the thread redrawn
        # for the new mark: some 4 ms that the opening frame need not wait for).
        self.call_after_refresh(self._opened, previous, conversation_id, conv.client_id)

    def _opened(self, previous: int | None, conversation_id: int, client_id: int) -> None:
        self.workspace.mark_read(conversation_id)
        if previous is not None and previous != conversation_id:
            self._announce(previous, "left")
        self._announce(conversation_id, "viewing")
        if self.open_id != conversation_id:
            return  # another one was opened meanwhile: its own call fetches for it
        self.query_one(Client360Pane).show_client(client_id)
        if conversation_id not in self.workspace.state.complete_threads:
            self._load_thread(conversation_id)

    @work(exclusive=True, group="thread", exit_on_error=False)
    async def _load_thread(self, conversation_id: int) -> None:
        await self.workspace.ensure_thread(conversation_id)
        if self.open_id == conversation_id:
            self.workspace.mark_read(conversation_id)
            thread = self.workspace.state.threads.get(conversation_id, [])
            self._seen_upto = max(self._seen_upto, thread[-1].id if thread else 0)

    # ---- presence ---------------------------------------------------------------------------

    def _announce(self, conversation_id: int, state: str) -> None:
        # A callable, not a coroutine: a worker that never starts (the app is closing) leaves
        # nothing un-awaited behind.
        self.run_worker(partial(self.workspace.announce_presence, conversation_id, state), group="presence", exit_on_error=False)

    def _presence_heartbeat(self) -> None:
        if self.open_id is not None:
            self._announce(self.open_id, self._presence_state)

    @on(Composer.Typing)
    def _typing(self) -> None:
        if self.open_id is None:
            return
        if self._presence_state != "typing":
            self._presence_state = "typing"
            self._announce(self.open_id, "typing")
        if self._typing_timer is not None:
            self._typing_timer.stop()
        self._typing_timer = self.set_timer(TYPING_QUIET, self._stopped_typing)

    def _stopped_typing(self) -> None:
        self._typing_timer = None
        if self.open_id is not None and self._presence_state == "typing":
            self._presence_state = "viewing"
            self._announce(self.open_id, "viewing")

    def on_unmount(self) -> None:
        if self.open_id is not None:
            self._announce(self.open_id, "left")

    # ---- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS and self.workspace.me.role.value not in ("advisor", "supervisor"):
            return False  # a trainer reads: the server would refuse, so the keys are not offered
        if action == "sign_in":
            return self.workspace.state.connection == "signed-out"
        if action in ("retry_failed", "discard_failed"):
            return bool(self.workspace.failed_sends())
        if action in ("toggle_select", "select_all", "filters", "cycle_sort", "queue_search"):
            return isinstance(self.focused, QueueList) or action in ("filters", "cycle_sort", "queue_search")
        if action == "clear_selection":
            return bool(self.queue.selected) and isinstance(self.focused, QueueList)
        if action == "quote":
            return self.open_id is not None
        if action in ("toggle_unread", "tags_prompt", "cycle_priority", "snooze_prompt", "transfer_prompt") and self.queue.selected and isinstance(self.focused, QueueList):
            return True
        if action == "resolve" and self.queue.selected and isinstance(self.focused, QueueList):
            return True
        if action in ("claim", "reply", "note", "resolve", "snooze", "transfer", "snooze_prompt", "transfer_prompt", "reopen", "call_note", "tags_prompt", "cycle_priority", "toggle_unread"):
            cid = self.target_id()
            conv = self.workspace.state.conversations.get(cid) if cid is not None else None
            if conv is None:
                return None
            if action == "reopen":
                return conv.status.value == "resolved" or None
            if action == "call_note":
                return conv.channel.value == "phone"
            if action in ("snooze_prompt", "transfer_prompt"):
                return conv.status.value != "resolved" or None
            if action == "claim":
                return conv.status.value != "resolved" and conv.assignee != self.workspace.me.username or None
            if action in ("resolve", "snooze"):
                return conv.status.value != "resolved" or None
            if action == "transfer":
                return conv.status.value != "resolved" and (not parameters or parameters[0] != conv.hub) or None
        return True

    def _ensure_open(self) -> int | None:
        cid = self.target_id()
        if cid is not None and cid != self.open_id:
            self.open_conversation(cid)
        return self.open_id

    def action_claim(self) -> None:
        cid = self.target_id()
        conv = self.workspace.state.conversations.get(cid) if cid is not None else None
        if conv is None:
            return
        if conv.assignee == self.workspace.me.username:
            self.notify("This conversation is already yours.", timeout=3)
            return
        self.workspace.claim(conv.id)
        if cid != self.open_id:
            self.open_conversation(conv.id)
        self.notify(Text.assemble("Claiming ", safe_line(conv.client_name), "…").plain, markup=False, timeout=3)

    def action_reply(self) -> None:
        self._start_writing("reply")

    def action_note(self) -> None:
        self._start_writing("note")

    def _start_writing(self, mode: str) -> None:
        if self._ensure_open() is None:
            self.notify("Open a conversation first.", severity="warning", timeout=3)
            return
        self.close_lookbook(refocus=False)
        self.composer.mode = mode
        self.composer.focus()
        if mode == "reply" and self.open_id is not None:
            self._check_contact(self.open_id)

    @work(exclusive=True, group="contact-check", exit_on_error=False)
    async def _check_contact(self, conversation_id: int) -> None:
        """Say before the advisor writes why the house may not contact her on this channel
        (no consent, or the monthly cap reached): the server's reason, in the composer."""
        conv = self.workspace.state.conversations.get(conversation_id)
        if conv is None:
            return
        check = await self.workspace.contact_check(conv.client_id, conv.channel.value)
        if self.open_id != conversation_id or self.composer.conversation_id != conversation_id:
            return
        self.composer.set_consent_notice("" if check is None or check.allowed else check.reason)

    # ---- try-on selection ----------------------------------------------------------------

    def action_tryon_add(self) -> None:
        """Add the lookbook's highlighted piece to the pending try-on selection, with sizes."""
        if self.open_id is None:
            self.notify("Open a conversation to prepare a try-on selection.", severity="warning", timeout=4)
            return
        product = self.lookbook.highlighted_product() if self.lookbook_open else None
        if product is None:
            self.notify("Highlight a piece in the lookbook first.", severity="warning", timeout=3)
            return
        conv = self.workspace.state.conversations.get(self.open_id)
        client = self.workspace.cached_client_360(conv.client_id) if conv is not None else None
        sizes = [s for s in product.stock if s != "OS"]
        guess = her_size_for(client, product.category, sizes) or ""
        conversation_id = self.open_id

        def check(text: str) -> str | None:
            n = len([s for s in text.split(",") if s.strip()])
            if n > MAX_TRYON_SIZES:
                return f"At most {MAX_TRYON_SIZES} sizes per piece."
            if n == 0 and sizes:
                return "Give at least one size (sizes: " + ", ".join(sizes[:12]) + ")."
            return None

        def done(text: str | None) -> None:
            if text is None:
                return
            chosen = [s.strip() for s in text.split(",") if s.strip()]
            selection = self.tryon.setdefault(conversation_id, [])
            selection[:] = [i for i in selection if i["sku"] != product.sku]
            if len(selection) >= MAX_TRYON_ITEMS:
                self.notify(f"A try-on selection holds at most {MAX_TRYON_ITEMS} pieces.", severity="warning", timeout=4)
                return
            selection.append({"sku": product.sku, "name": product.name, "sizes": chosen})
            self.notify(f"Try-on: {safe_line(product.name)} ({', '.join(chosen) or 'one size'}) · {len(selection)} piece(s); shift+t sends.", markup=False, timeout=4)

        label = "Sizes, comma separated" + (f" (in stock: {', '.join(sizes[:12])})" if sizes else " (one size: leave empty)")
        self.app.push_screen(prompts.TextPromptScreen(f"Try-on: {safe_line(product.name)}", label, guess, check=check), done)

    def action_tryon_send(self) -> None:
        if self.open_id is None:
            return
        selection = self.tryon.get(self.open_id) or []
        if not selection:
            self.notify("The try-on selection is empty: t in the lookbook adds a piece.", severity="warning", timeout=4)
            return
        self.workspace.send_tryon(self.open_id, [{"sku": i["sku"], "sizes": i["sizes"]} for i in selection])
        self.tryon.pop(self.open_id, None)
        self.notify(f"Sending the try-on selection ({len(selection)} piece(s))…", timeout=3)

    def action_today(self) -> None:
        self._show_today()

    @work(exclusive=True, group="today", exit_on_error=False)
    async def _show_today(self) -> None:
        from .today import TodayScreen

        tasks = await self.workspace.tasks_today()

        def picked(task) -> None:  # noqa: ANN001 - a TaskListItem or None
            if task is None:
                return
            choices: list[tuple[str, str]] = [("open", "Open her conversation"), ("done", "Done: log the outcome…")]
            if task.tryon_selection_id is not None:
                choices.insert(1, ("tryon", "Try-on: what she kept…"))
            self.app.push_screen(prompts.ChoiceScreen(f"{safe_line(task.client_name)}: {safe_line(task.title)}", choices, filterable=False), partial(self._task_action, task))

        self.app.push_screen(TodayScreen(tasks, self.workspace.me.hub, self.app.clock()), picked)

    def _task_action(self, task, what: str | None) -> None:  # noqa: ANN001 - a TaskListItem
        if what == "open":
            self.open_client(task.client_id, task.client_name)
        elif what == "tryon":
            self._tryon_outcome(task.client_id, task.tryon_selection_id)
        elif what == "done":
            def logged(outcome: str | None) -> None:
                if outcome is not None:
                    self.workspace.update_task(task.id, done=True, outcome=outcome.strip() or "done")
                    self.notify("Task done; the outcome is in her history.", timeout=3)

            self.app.push_screen(prompts.TextPromptScreen("Task done", f"Outcome of “{safe_line(task.title)}” (goes to her history)", check=lambda t: None if len(t) <= 2000 else "At most 2,000 characters."), logged)

    def open_client(self, client_id: int, name: str) -> bool:
        """Open her latest conversation held here; says so when there is none."""
        convs = [c for c in self.workspace.state.conversations.values() if c.client_id == client_id]
        if not convs:
            self.notify(Text.assemble("No conversation with ", safe_line(name), " here yet.").plain, markup=False, timeout=3)
            return False
        latest = max(convs, key=lambda c: aware(c.last_activity_at))
        self.open_conversation(latest.id)
        self.query_one(ThreadView).focus()
        return True

    # ---- clienteling: try-on outcomes and call lists ------------------------------------------

    def action_tryon_outcome(self) -> None:
        conv = self.open_summary()
        if conv is None:
            self.notify("Open a conversation first: the outcome is for her latest try-on selection.", severity="warning", timeout=4)
            return
        self._tryon_outcome(conv.client_id, None)

    @work(exclusive=True, group="tryon-outcome", exit_on_error=False)
    async def _tryon_outcome(self, client_id: int, selection_id: int | None) -> None:
        client = await self.workspace.client_360(client_id)
        selections = client.tryon_selections if client is not None else []
        waiting = [s for s in selections if (s.id == selection_id if selection_id is not None else s.status == "sent")]
        if client is None or not waiting:
            self.notify("No try-on selection waiting for her answer.", severity="warning", timeout=4)
            return
        selection = waiting[0]

        def saved(answer) -> None:  # noqa: ANN001 - (kept, returned) or None
            if answer is not None:
                kept, returned = answer
                self.workspace.record_tryon_outcome(selection.id, kept, returned)
                self.notify(f"Try-on: {len(kept)} kept, {len(returned)} returned; in her history.", timeout=4)

        self.app.push_screen(tryon.TryonOutcomeScreen(selection, client.name), saved)

    def action_call_list(self) -> None:
        def chosen(answer) -> None:  # noqa: ANN001 - (what, CallListItem) or None
            self.call_segment = screen.segment
            if answer is None:
                return
            what, item = answer
            if what == "call" or item.channel == "phone":
                self.ask_when("Plan a call", f"When to call {safe_line(item.name)}? (her hub is {item.hub})", "tomorrow 10:00",
                              lambda due: self._plan_call(item, due))
                return

            def write(body: str | None) -> None:
                if body:
                    self.workspace.outreach(item.client_id, item.channel, body)
                    self.notify(f"Message to {safe_line(item.name)} on {item.channel} sent to the server.", markup=False, timeout=4)

            self.app.push_screen(prompts.TextPromptScreen(f"Write to {safe_line(item.name)} ({item.channel})", "Your message (the server checks her consent and monthly cap again)",
                                                  check=lambda t: None if t.strip() else "Write something first."), write)

        screen = call_list.CallListScreen(self.workspace, self.app.clock(), self.call_segment)
        self.app.push_screen(screen, chosen)

    def _plan_call(self, item, due: datetime) -> None:  # noqa: ANN001 - a CallListItem
        self._create_task(item.client_id, "call", f"Call {item.name}", due)

    TASK_KINDS = [
        ("call", "A call"),
        ("follow_up", "A follow-up"),
        ("in_store", "An appointment in store"),
        ("video", "A video appointment"),
    ]

    def action_new_task(self) -> None:
        """A task for the open conversation's client: kind, what, when (her hub's time
        shown), and for appointments the boutique or the video link."""
        conv = self.open_summary()
        if conv is None:
            self.notify("Open a conversation first: the task is for its client.", severity="warning", timeout=4)
            return
        client = self.workspace.cached_client_360(conv.client_id)
        name = client.name if client is not None else "the client"

        def kind_chosen(kind: str | None) -> None:
            if kind is None:
                return
            default = {"call": f"Call {name}", "follow_up": f"Follow up with {name}", "in_store": f"Appointment in store with {name}", "video": f"Video appointment with {name}"}[kind]

            def titled(title: str | None) -> None:
                if not title:
                    return

                def when(due: datetime) -> None:
                    if kind in ("call", "follow_up"):
                        self._create_task(conv.client_id, kind, title, due)
                        return
                    label = "Boutique (e.g. Ginza flagship)" if kind == "in_store" else "Video link (https://…)"
                    check = (lambda t: None if t.strip() else "Say where.") if kind == "in_store" else (lambda t: None if t.strip().startswith("https://") else "A video link starts with https://")
                    extra = {"in_store": "place", "video": "video_link"}[kind]
                    self.app.push_screen(prompts.TextPromptScreen(title, label, check=check),
                                         lambda v: v and self._create_task(conv.client_id, "appointment", title, due, appointment_kind=kind, **{extra: v.strip()}))

                self.ask_when("When", f"When? ({self._client_zone_hint(conv.client_id)})", "tomorrow 10:00", when)

            self.app.push_screen(prompts.TextPromptScreen("New task", "What", default, check=lambda t: None if t.strip() and len(t) <= 500 else "Say what, in at most 500 characters."), titled)

        self.app.push_screen(prompts.ChoiceScreen(f"New task for {safe_line(name)}", self.TASK_KINDS, filterable=False), kind_chosen)

    def _client_zone_hint(self, client_id: int) -> str:
        client = self.workspace.cached_client_360(client_id)
        if client is None:
            return "your time"
        zone = client_zone(client.country, client.hub)
        return f"your time; it is {aware(self.app.clock()).astimezone(zone):%H:%M} for her ({zone.key})"

    def _create_task(self, client_id: int, kind: str, title: str, due: datetime, **appointment: str | None) -> None:
        self.workspace.create_task(client_id, kind, title, aware(due).isoformat(), **appointment)
        self.notify(f"Task planned for {self._hub_time(due)}.", timeout=3)

    def action_visitors(self) -> None:
        from .visitors import VisitorsScreen

        self.app.push_screen(VisitorsScreen(self.workspace, self.app.clock))

    def action_call_client(self) -> None:
        """Click-to-call the open conversation's client (the `click_to_call` setting), unless
        she refused phone calls; then shift+L logs the call."""
        conv = self.open_summary()
        client = self.workspace.cached_client_360(conv.client_id) if conv is not None else None
        if client is None or not client.phone:
            self.notify("No phone number for this client.", severity="warning", timeout=4)
            return
        if client.consent.get("phone") is False:
            self.notify(f"{safe_line(client.name)} does not want to be called (no consent for phone).", severity="warning", markup=False, timeout=6)
            return
        try:
            how = click_to_call(self.app.settings.click_to_call, client.phone)
        except (OSError, ValueError) as exc:
            self.notify(f"Click-to-call failed: {exc}", severity="error", markup=False, timeout=6)
            return
        self.notify(f"Calling {safe_line(client.name)} ({how}); shift+L logs the call.", markup=False, timeout=6)

    def action_retry_delivery(self) -> None:
        """Send again the open conversation's replies the channel refused."""
        conv_id = self.open_id
        failed = [m for m in self.workspace.state.threads.get(conv_id, []) if m.kind.value == "reply" and m.delivery == "failed"] if conv_id is not None else []
        if not failed:
            self.notify("No refused reply in this conversation.", timeout=3)
            return
        for m in failed:
            self.workspace.retry_delivery(m.id)
        self.notify(f"{len(failed)} repl{'y' if len(failed) == 1 else 'ies'} sent again.", timeout=3)

    def action_lookbook_filters(self) -> None:
        if not self.lookbook_open:
            self.action_lookbook()
        self.lookbook.action_filters()

    def action_focus_client(self) -> None:
        self.query_one(Client360Pane).focus()

    def action_focus_queue(self) -> None:
        self.close_lookbook(refocus=False)
        self.queue.list.focus()

    def action_tab(self, tab: str) -> None:
        self.queue.select_tab(tab)

    def action_lookbook(self) -> None:
        if self.lookbook_open:
            self.lookbook.query_one("#lookbook-input").focus()
            return
        self.add_class("-lookbook")
        conv = self.open_summary()
        self.lookbook.open(self.workspace.cached_client_360(conv.client_id) if conv is not None else None)

    def close_lookbook(self, *, refocus: bool = True) -> None:
        if not self.lookbook_open:
            return
        self.remove_class("-lookbook")
        if refocus:
            (self.query_one(ThreadView) if self.open_id is not None else self.queue.list).focus()

    def action_resolve(self) -> None:
        if self.queue.selected and isinstance(self.focused, QueueList):
            targets = self.queue.bulk_targets()
            question = Text(f"Resolve {len(targets)} conversations?\n\nThey leave the queue; a client's next message reopens hers.")

            def done(ok: bool | None) -> None:
                if ok:
                    for cid in targets:
                        self.workspace.resolve(cid)
                    self.queue.clear_selected()
                    self.notify(f"Resolved {len(targets)}.", timeout=3)

            self.app.push_screen(confirm.ConfirmScreen("Resolve conversations", question, yes="Resolve all"), done)
            return
        cid = self._ensure_open()
        conv = self.open_summary()
        if cid is None or conv is None:
            return
        question = Text.assemble("Resolve the conversation with ", (safe_line(conv.client_name), "bold"), "?\n\nIt leaves the queue; the client's next message reopens it.")
        self.app.push_screen(confirm.ConfirmScreen("Resolve conversation", question, yes="Resolve"), lambda ok: self._resolve(cid, ok))

    def _resolve(self, conversation_id: int, confirmed: bool | None) -> None:
        if confirmed:
            self.workspace.resolve(conversation_id)
            self.notify("Resolved.", timeout=3)

    def action_retry_failed(self) -> None:
        count = self.workspace.retry_failed()
        self.notify(f"Sending {count} refused item(s) again.", timeout=4)

    def action_discard_failed(self) -> None:
        count = self.workspace.discard_failed()
        self.notify(f"Discarded {count} refused item(s).", timeout=4)

    def action_sign_in(self) -> None:
        if self._asking_sign_in:
            return
        self._asking_sign_in = True

        def done(ok: bool | None) -> None:
            self._asking_sign_in = False
            if ok:
                self.notify("Signed in again: sync resumed.", timeout=4)

        self.app.push_screen(signin.SignInScreen(self.workspace), done)

    def action_snooze(self, hours: int) -> None:
        cid = self.target_id()
        if cid is None:
            return
        until = self.app.clock() + timedelta(hours=hours)
        self.workspace.snooze(cid, until.isoformat())
        self.notify(f"Snoozed for {hours} h.", timeout=3)

    def action_transfer(self, hub: str) -> None:
        cid = self.target_id()
        if cid is None or hub not in HUBS:
            return
        self.workspace.transfer(cid, to_hub=hub)
        self.notify(f"Transferring to {HUBS[hub].name}…", timeout=3)

    # ---- queue: search, filters, sort, selection, read state ---------------------------

    def action_queue_search(self) -> None:
        self.queue.query_one("#queue-search").focus()

    def action_clear_queue_search(self) -> None:
        self.queue.clear_search()

    def action_filters(self) -> None:
        convs = list(self.workspace.state.conversations.values())
        values = {facet: facet_values(convs, facet) for facet in FACETS}
        self.app.push_screen(prompts.FilterScreen(self.queue.view, values), self._filters_chosen)

    def _filters_chosen(self, view) -> None:  # noqa: ANN001
        if view is not None:
            self.queue.set_view(view)

    def action_cycle_sort(self) -> None:
        from ...domain.queue import SORT_LABELS

        sort = self.queue.cycle_sort()
        self.notify(f"Queue sorted by {SORT_LABELS[sort]}.", timeout=2)

    def action_toggle_select(self) -> None:
        cid = self.queue.highlighted_id
        if cid is not None:
            self.queue.toggle_selected(cid)
            self.queue.list.action_cursor_down()
        self.refresh_bindings()

    def action_select_all(self) -> None:
        self.queue.select_all()
        self.refresh_bindings()

    def action_clear_selection(self) -> None:
        self.queue.clear_selected()
        self.refresh_bindings()

    def _targets(self) -> list[int]:
        """What an action applies to: the selected rows when the queue has focus and some
        are selected, else the highlighted row or the open conversation."""
        if self.queue.selected and isinstance(self.focused, QueueList):
            return self.queue.bulk_targets()
        cid = self.target_id()
        return [cid] if cid is not None else []

    def action_toggle_unread(self) -> None:
        targets = self._targets()
        if not targets:
            return
        read = any(self.workspace.unread(cid) for cid in targets)
        self.workspace.set_read(targets, read)
        self.notify(f"Marked {len(targets)} conversation(s) {'read' if read else 'unread'}.", timeout=2)

    # ---- conversation: priority, tags, snooze, transfer, reopen, call notes ------------

    def action_cycle_priority(self) -> None:
        targets = self._targets()
        convs = [self.workspace.state.conversations[c] for c in targets if c in self.workspace.state.conversations]
        if not convs:
            return
        priority = (convs[0].priority + 1) % 4
        for conv in convs:
            self.workspace.update_conversation(conv.id, priority=priority)
        self.notify(f"Priority: {PRIORITY_NAMES[priority]} ({len(convs)}).", timeout=2)

    def action_tags_prompt(self) -> None:
        targets = self._targets()
        convs = [self.workspace.state.conversations[c] for c in targets if c in self.workspace.state.conversations]
        if not convs:
            return
        bulk = len(convs) > 1
        current = "" if bulk else ", ".join(convs[0].tags)

        def check(text: str) -> str | None:
            tags = [t.strip() for t in text.split(",") if t.strip()]
            if len(tags) > 20 or any(len(t) > 40 for t in tags):
                return "At most 20 tags of up to 40 characters."
            return None

        def done(text: str | None) -> None:
            if text is None:
                return
            tags = list(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
            for conv in convs:
                merged = list(dict.fromkeys([*conv.tags, *tags])) if bulk else tags
                self.workspace.update_conversation(conv.id, tags=merged[:20])
            self.notify(f"Tags saved on {len(convs)} conversation(s).", timeout=2)

        label = f"Tags to add to {len(convs)} conversations, comma separated" if bulk else "Tags, comma separated (empty: none)"
        self.app.push_screen(prompts.TextPromptScreen("Tags", label, current, check=check, placeholder="vip-event, size-exchange"), done)

    def ask_when(self, title: str, question: str, default: str, then: Callable[[datetime], None], *, optional: bool = False) -> None:
        """Ask for a moment in the advisor's hub time (`format.parse_when`), refusing what
        it cannot read; `then` gets it in UTC. `optional`: an empty answer means none."""
        hub = self.workspace.me.hub

        def check(text: str) -> str | None:
            if optional and not text.strip():
                return None
            try:
                parse_when(text, self.app.clock(), hub)
            except ValueError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text is not None and text.strip():
                then(parse_when(text, self.app.clock(), hub))

        self.app.push_screen(prompts.TextPromptScreen(title, f"{question} {WHEN_HELP}", default, check=check), done)

    def _hub_time(self, when: datetime) -> str:
        return local_time(when, self.workspace.me.hub, self.app.clock())

    def action_snooze_prompt(self) -> None:
        targets = self._targets()
        if not targets:
            return

        def snooze(until: datetime) -> None:
            for cid in targets:
                self.workspace.snooze(cid, until.isoformat())
            self.notify(f"Snoozed until {self._hub_time(until)} ({len(targets)}); it comes back by itself.", timeout=3)

        self.ask_when("Snooze until", "When should it come back?", "2h", snooze)

    def action_transfer_prompt(self) -> None:
        targets = self._targets()
        if not targets:
            return
        me = self.workspace.me.username
        choices: list[tuple[tuple[str, str], Text | str]] = [(("hub", code), f"Hub · {hub.name}") for code, hub in HUBS.items()]
        for adv in sorted(self.workspace.state.advisors.values(), key=lambda a: (a.hub, a.name)):
            if adv.username != me and adv.role.value in ("advisor", "supervisor"):
                langs = ", ".join(adv.languages) if getattr(adv, "languages", None) else ""
                choices.append((("advisor", adv.username), Text(f"{adv.name} · {adv.hub} · {adv.status.value} · {langs}")))

        def chosen(target: tuple[str, str] | None) -> None:
            if target is None:
                return
            kind, value = target

            def with_note(note: str | None) -> None:
                if note is None:
                    return
                for cid in targets:
                    if kind == "hub":
                        self.workspace.transfer(cid, to_hub=value, note=note)
                    else:
                        self.workspace.transfer(cid, to_advisor=value, note=note)
                self.notify(f"Transferring {len(targets)} conversation(s)…", timeout=3)

            self.app.push_screen(prompts.TextPromptScreen("Transfer note", "A note for whoever takes it over (internal):", ""), with_note)

        self.app.push_screen(prompts.ChoiceScreen(f"Transfer {len(targets)} conversation(s) to", choices), chosen)

    def action_reopen(self) -> None:
        cid = self.target_id()
        if cid is not None:
            self.workspace.reopen(cid)
            self.notify("Reopening…", timeout=2)

    def action_call_note(self) -> None:
        cid = self._ensure_open()
        conv = self.open_summary()
        if cid is None or conv is None:
            return

        def outcome_chosen(outcome: str | None) -> None:
            if outcome is None:
                return

            def noted(note: str | None) -> None:
                if note is None:
                    return
                self.workspace.send_message(cid, body=note.strip() or OUTCOMES[outcome], kind="call_note", outcome=outcome)
                self.conversation.refresh_thread(scroll_end=True)
                if outcome in ("callback_requested", "no_answer", "voicemail"):
                    self._ask_callback(conv)

            self.app.push_screen(prompts.TextPromptScreen("Call note", "What was said (internal, never sent to the client):", ""), noted)

        self.app.push_screen(prompts.ChoiceScreen("Call outcome", list(OUTCOMES.items()), filterable=False), outcome_chosen)

    def _ask_callback(self, conv: ConversationSummary) -> None:
        def schedule(due: datetime) -> None:
            self.workspace.create_task(conv.client_id, "callback", f"Call back {conv.client_name}", due.isoformat())
            self.notify(f"Callback scheduled for {self._hub_time(due)}.", timeout=3)

        self.ask_when("Schedule a callback?", "When (empty: no callback)?", "tomorrow 10:00", schedule, optional=True)

    def action_quote(self) -> None:
        if self.open_id is None:
            return
        conv = self.open_summary()
        names = {u: a.name for u, a in self.workspace.state.advisors.items()}
        thread = self.workspace.state.threads.get(self.open_id, [])
        choices = []
        for m in reversed(thread[-40:]):
            if m.kind.value == "system":
                continue
            who = safe_line(conv.client_name if conv and m.kind.value == "inbound" else names.get(m.author, m.author))
            choices.append(((m.id, f"{who}: {safe_line(m.body)[:120]}"), Text(f"{who} · {local_time(m.at, self.workspace.me.hub, self.app.clock())} · {safe_line(m.body)[:80]}")))
        if not choices:
            self.notify("Nothing to quote yet.", timeout=2)
            return

        def chosen(picked: tuple[int, str] | None) -> None:
            if picked is not None:
                self.composer.set_quote(*picked)
                self.composer.focus()

        self.app.push_screen(prompts.ChoiceScreen("Quote a message", choices), chosen)

    # ---- notification settings (per advisor) ------------------------------------------------

    def action_notify_scope(self, scope: str) -> None:
        settings = self.workspace.notification_settings()
        settings.scope = scope
        self.workspace.save_notification_settings(settings)
        self.notify(f"Notifications for {scope} conversations.", timeout=2)

    def action_notify_toggle(self, name: str) -> None:
        settings = self.workspace.notification_settings()
        if name in ("bell", "toast", "desktop"):
            setattr(settings, name, not getattr(settings, name))
            self.workspace.save_notification_settings(settings)
            self.notify(f"Notification {name}: {'on' if getattr(settings, name) else 'off'}.", timeout=2)

    # ---- composer pickers: canned replies, products ------------------------------------------

    @on(Composer.Wants)
    def _composer_wants(self, message: Composer.Wants) -> None:
        if message.what == "canned":
            self._pick_canned()
        else:
            self._pick_product()

    @work(exclusive=True, group="canned", exit_on_error=False)
    async def _pick_canned(self) -> None:
        conv = self.open_summary()
        if conv is None:
            return
        window = whatsapp_window(conv, self.app.clock())
        templates_only = window is not None and not window[0]
        replies = await self.workspace.canned_replies(conv.language)
        if not replies and conv.language != "en":
            replies = await self.workspace.canned_replies("en")
        if templates_only:
            replies = [r for r in replies if r.get("whatsapp_approved")]
        if not replies:
            self.notify("No canned replies for this language" + (" that WhatsApp approves." if templates_only else "."), severity="warning", timeout=4)
            return
        client = await self.workspace.client_360(conv.client_id)
        personal = None
        if client is not None and client.personal_advisor_id is not None:
            personal = next((a.name for a in self.workspace.state.advisors.values() if getattr(a, "id", None) == client.personal_advisor_id), None)
        choices = []
        for r in replies:
            filled = fill_placeholders(str(r.get("body", "")), client, self.workspace.me.name, personal_advisor=personal)
            mark = "✓ template · " if r.get("whatsapp_approved") else ""
            choices.append(((r, filled), Text(f"{mark}{safe_line(str(r.get('title', '')))} — {safe_line(filled)[:70]}")))
        hint = "WhatsApp window closed: only approved templates can be sent." if templates_only else ""

        def chosen(picked) -> None:  # noqa: ANN001
            if picked is None:
                self.composer.focus()
                return
            reply, filled = picked
            template = str(reply.get("id")) if conv.channel.value == "whatsapp" and reply.get("whatsapp_approved") else None
            self.composer.use_template(template, filled)
            self.composer.focus()

        self.app.push_screen(prompts.ChoiceScreen(f"Canned replies · {conv.language}", choices, hint=hint), chosen)

    def _pick_product(self) -> None:
        currency = HUB_CURRENCY.get(self.workspace.me.hub, "EUR")

        async def search(text: str) -> list[tuple[Product, Text]]:
            products = await self.workspace.search_products(text, limit=30)
            out = []
            for p in products:
                price = money(p.prices[currency], currency) if currency in p.prices else ""
                out.append((p, Text(f"{safe_line(p.name)} · {safe_line(p.sku)} · {price}")))
            return out

        def chosen(product: Product | None) -> None:
            if product is not None:
                price = money(product.prices[currency], currency) if currency in product.prices else ""
                self.composer.add_card(Attachment(type="product_card", sku=product.sku, name=product.name, price=price))
            self.composer.focus()

        self.app.push_screen(prompts.SearchPickScreen("Attach a product", search, placeholder="name, SKU, line, colour, material"), chosen)

    # ---- composer and lookbook messages ----------------------------------------------------

    @on(Composer.Submitted)
    def _send(self, message: Composer.Submitted) -> None:
        conv = self.workspace.state.conversations.get(message.conversation_id)
        if conv is None:
            return
        if message.mode == "reply":
            window = whatsapp_window(conv, self.app.clock())
            if window is not None and not window[0] and not message.template:
                self.notify("The WhatsApp window is closed: only an approved template can be sent. Press / or ctrl+r for templates.", severity="warning", timeout=6)
                return
            answered = self._answered_by_colleague(conv.id)
            if answered is not None:
                who, body = answered
                question = Text.assemble((who, "bold"), " has just answered this client:\n\n", ("“" + body[:200] + "”", "italic"), "\n\nSend your reply as well?")
                self.app.push_screen(confirm.ConfirmScreen("Someone else answered", question, yes="Send anyway"), lambda ok: ok and self._deliver(message))
                return
        self._deliver(message)

    def _answered_by_colleague(self, conversation_id: int) -> tuple[str, str] | None:
        """A colleague's reply that arrived after this advisor last caught up with the thread."""
        me = self.workspace.me.username
        for m in reversed(self.workspace.state.threads.get(conversation_id, [])):
            if m.id <= self._seen_upto:
                return None
            if m.kind.value == "reply" and m.author != me:
                adv = self.workspace.state.advisors.get(m.author)
                return safe_line(adv.name if adv else m.author), safe_line(m.body)
        return None

    def _deliver(self, message: Composer.Submitted) -> None:
        if message.later:

            def at(when: datetime) -> None:
                self._really_send(message, when)
                self.notify(f"Scheduled for {self._hub_time(when)}.", timeout=3)

            self.ask_when("Send later", "When should it go out?", "tomorrow 9:00", at)
            return
        self._really_send(message, None)

    def _really_send(self, message: Composer.Submitted, at: datetime | None) -> None:
        self.workspace.send_message(
            message.conversation_id,
            body=message.text,
            kind=message.mode,
            attachments=message.cards,
            quote_message_id=message.quote[0] if message.quote else None,
            send_at_iso=at.isoformat() if at else None,
            template=message.template if message.mode == "reply" else None,
        )
        thread = self.workspace.state.threads.get(message.conversation_id, [])
        self._seen_upto = thread[-1].id if thread else self._seen_upto
        message.composer.clear_after_send()
        self.conversation.refresh_thread(scroll_end=True)

    @on(Composer.Left)
    def _left_composer(self) -> None:
        self.queue.list.focus()

    @on(Lookbook.Share)
    def _share(self, message: Lookbook.Share) -> None:
        if self.open_id is None:
            self.notify("Open a conversation to share a piece into it.", severity="warning", timeout=4)
            return
        p = message.product
        card = Attachment(type="product_card", sku=p.sku, name=p.name, price=message.price)
        self.workspace.send_message(self.open_id, body=p.name, kind="reply", attachments=[card])
        self.conversation.refresh_thread(scroll_end=True)
        self.notify(f"Shared {safe_line(p.name)}.", markup=False, timeout=3)

    @on(Lookbook.WantsFilters)
    async def _lookbook_filters(self) -> None:
        lookbook = self.lookbook
        facets = await self.workspace.product_facets()
        current = lookbook.filters
        her = lookbook.client
        stock_choices = [(k, label) for k, label in STOCK_CHOICES.items() if her is not None or k in ("any", "my_hub")]
        questions = [
            prompts.Facet("category", "Category", [("", "Any")] + [(c, c.replace("_", " ").capitalize()) for c in facets["categories"]], current.category),
            prompts.Facet("season", "Season", [("", "Any")] + [(v, v) for v in facets["seasons"]], current.season),
            prompts.Facet("kind", "Iconic or seasonal", [("", "Any"), ("iconic", "Iconic"), ("seasonal", "Seasonal")], current.kind),
            prompts.Facet("stock", "Stock" + (f" (her hub {her.hub}, my hub {self.workspace.me.hub})" if her else f" (my hub {self.workspace.me.hub})"), stock_choices, current.stock),
        ]

        def chosen(answer: dict[str, str] | None) -> None:
            if answer is not None:
                lookbook.set_filters(LookbookFilters(**answer))

        self.app.push_screen(prompts.ChoicesScreen("Filter the lookbook", questions, dialog_id="lookbook-filters-dialog"), chosen)

    @on(Lookbook.Closed)
    def _lookbook_closed(self) -> None:
        self.close_lookbook()


def click_to_call(template: str, phone: str) -> str:
    """Place a call with the configured handler: a URL opened by the system, or a command
    run without a shell (the number is one argument, only + and digits). Says how."""
    import re
    import shlex
    import subprocess
    import webbrowser

    number = "+" + "".join(ch for ch in phone if ch.isdigit()) if phone.strip().startswith("+") else "".join(ch for ch in phone if ch.isdigit())
    if len(number.strip("+")) < 5:
        raise ValueError(f"{phone!r} is not a phone number")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", template.strip()):
        url = template.strip().replace("{phone}", number)
        webbrowser.open(url)
        return url
    args = [part.replace("{phone}", number) for part in shlex.split(template)]
    if not args:
        raise ValueError("click_to_call is empty")
    subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return args[0]
