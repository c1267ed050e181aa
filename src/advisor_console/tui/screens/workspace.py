"""The advisor's workspace: queue, conversation (or lookbook), client 360.

The screen owns which conversation is open and turns actions (keys, palette) into
workspace commands; the panes read `workspace.state` and redraw on `StateChanged`, each
only for what changed.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from ...domain.models import HUBS, Attachment, ConversationSummary
from ..commands import LookbookCommands, WorkspaceCommands
from ..keys import SCREEN_BINDINGS
from ..messages import StateChanged
from ..safe import safe_line
from ..widgets.client360 import Client360Pane
from ..widgets.composer import Composer
from ..widgets.conversation import ConversationPane
from ..widgets.header import AdvisorHeader
from ..widgets.lookbook import Lookbook
from ..widgets.queue import QueueList, QueuePane
from ..widgets.thread import ThreadView
from .confirm import ConfirmScreen
from .signin import SignInScreen


class WorkspaceScreen(Screen[None]):
    BINDINGS = SCREEN_BINDINGS
    COMMANDS = {WorkspaceCommands, LookbookCommands}

    def __init__(self, workspace) -> None:
        super().__init__(id="workspace")
        self.workspace = workspace
        self.open_id: int | None = None
        self._asking_sign_in = False

    def compose(self) -> ComposeResult:
        yield AdvisorHeader(self.workspace, id="header")
        with Horizontal(id="panes"):
            yield QueuePane(self.workspace, id="queue")
            with Vertical(id="centre"):
                yield ConversationPane(self.workspace, id="conversation")
                yield Lookbook(self.workspace, id="lookbook")
            yield Client360Pane(self.workspace, id="client360")
        yield Footer()

    def on_mount(self) -> None:
        self.queue.refresh_rows()
        if not self.queue.conversations():
            self.queue.select_tab("hub")
        self.queue.list.focus()

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
        if self.open_id is not None and self.open_id in changes.conversations:
            self.conversation.refresh_thread()
            self.conversation.refresh_title()
        conv = self.open_summary()
        if conv is not None and conv.client_id in changes.clients:
            self.query_one(Client360Pane).show_client(conv.client_id)
        self.refresh_bindings()

    # ---- opening --------------------------------------------------------------------------

    @on(QueuePane.ConversationSelected)
    def _selected(self, message: QueuePane.ConversationSelected) -> None:
        self.open_conversation(message.conversation_id)
        self.query_one(ThreadView).focus()

    def open_conversation(self, conversation_id: int) -> None:
        conv = self.workspace.state.conversations.get(conversation_id)
        if conv is None:
            return
        self.open_id = conversation_id
        self.close_lookbook(refocus=False)
        self.conversation.open(conversation_id)
        self.query_one(Client360Pane).show_client(conv.client_id)
        if conversation_id not in self.workspace.state.complete_threads:
            self._load_thread(conversation_id)
        self.refresh_bindings()

    @work(exclusive=True, group="thread", exit_on_error=False)
    async def _load_thread(self, conversation_id: int) -> None:
        await self.workspace.ensure_thread(conversation_id)

    # ---- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_in":
            return self.workspace.state.connection == "signed-out"
        if action in ("retry_failed", "discard_failed"):
            return bool(self.workspace.failed_sends())
        if action in ("claim", "reply", "note", "resolve", "snooze", "transfer"):
            cid = self.target_id()
            conv = self.workspace.state.conversations.get(cid) if cid is not None else None
            if conv is None:
                return None
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
        self.lookbook.open()

    def close_lookbook(self, *, refocus: bool = True) -> None:
        if not self.lookbook_open:
            return
        self.remove_class("-lookbook")
        if refocus:
            (self.query_one(ThreadView) if self.open_id is not None else self.queue.list).focus()

    def action_resolve(self) -> None:
        cid = self._ensure_open()
        conv = self.open_summary()
        if cid is None or conv is None:
            return
        question = Text.assemble("Resolve the conversation with ", (safe_line(conv.client_name), "bold"), "?\n\nIt leaves the queue; the client's next message reopens it.")
        self.app.push_screen(ConfirmScreen("Resolve conversation", question, yes="Resolve"), lambda ok: self._resolve(cid, ok))

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

        self.app.push_screen(SignInScreen(self.workspace), done)

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

    # ---- composer and lookbook messages ----------------------------------------------------

    @on(Composer.Submitted)
    def _send(self, message: Composer.Submitted) -> None:
        self.workspace.send_message(message.conversation_id, body=message.text, kind=message.mode)
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

    @on(Lookbook.Closed)
    def _lookbook_closed(self) -> None:
        self.close_lookbook()
