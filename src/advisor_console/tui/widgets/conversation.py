"""The centre pane: who the conversation is with, its thread, and the composer."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...domain.models import ConversationSummary
from ...domain.reducer import WorkspaceState
from ..format import CHANNEL_NAMES, TIER_NAMES, local_time
from ..safe import safe_line
from .composer import Composer
from .thread import Block, ThreadView, cards_of


def thread_blocks(state: WorkspaceState, conversation_id: int, me_hub: str, now, client_name: str) -> list[Block]:
    """The blocks of a thread: its messages in order, then what is still in the outbox."""
    names = {u: a.name for u, a in state.advisors.items()}
    blocks: list[Block] = []
    for m in state.threads.get(conversation_id, []):
        kind = m.kind.value
        author = client_name if kind == "inbound" else names.get(m.author, m.author)
        blocks.append(Block(key=f"m{m.id}", kind=kind, author=author, time=local_time(m.at, me_hub, now), body=m.body, cards=cards_of(m.attachments)))
    for p in state.pending_for(conversation_id):
        if p.op != "message":
            continue
        status = p.error or "sending"
        blocks.append(Block(key=f"p{p.key}:{status}", kind=p.kind, author="You", time="now", body=p.body, cards=cards_of(p.attachments), status=status))
    return blocks


class ConversationTitle(Static):
    COMPONENT_CLASSES = {"title--name", "title--dim", "title--mine", "title--other"}


class ConversationPane(Vertical):
    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.conversation_id: int | None = None

    def compose(self) -> ComposeResult:
        yield ConversationTitle(id="conversation-title")
        yield ThreadView(id="thread")
        yield Composer(self.workspace, id="composer")

    @property
    def thread(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def on_mount(self) -> None:
        self.border_title = "Conversation"
        self.composer.open_conversation(None)
        self.refresh_title()
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self.refresh_title), init=False)

    def open(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self.composer.open_conversation(conversation_id)
        self.refresh_thread(scroll_end=True)
        self.refresh_title()

    def summary(self) -> ConversationSummary | None:
        if self.conversation_id is None:
            return None
        return self.workspace.state.conversations.get(self.conversation_id)

    def refresh_thread(self, *, scroll_end: bool = False) -> None:
        conv = self.summary()
        if conv is None:
            self.thread.set_blocks([])
            return
        name = safe_line(conv.client_name)
        blocks = thread_blocks(self.workspace.state, conv.id, self.workspace.me.hub, self.app.clock(), name)
        self.thread.set_blocks(blocks, scroll_end=scroll_end)

    def refresh_title(self) -> None:
        title = self.query_one(ConversationTitle)
        st = title.get_component_rich_style
        conv = self.summary()
        if conv is None:
            title.update(Text(" No conversation open", st("title--dim")))
            return
        text = Text(" ")
        text.append(safe_line(conv.client_name), st("title--name"))
        if conv.client_native_name and conv.client_native_name != conv.client_name:
            text.append(f" {safe_line(conv.client_native_name)}", st("title--name"))
        parts = [CHANNEL_NAMES.get(conv.channel.value, conv.channel.value), conv.language, conv.stage.value.replace("_", " ")]
        if conv.vic_tier != "none":
            parts.append(f"VIC {TIER_NAMES.get(conv.vic_tier, conv.vic_tier)}")
        text.append(" · " + " · ".join(safe_line(p) for p in parts) + " · ", st("title--dim"))
        me = self.workspace.me.username
        if conv.status.value == "assigned" and conv.assignee == me:
            text.append("yours", st("title--mine"))
        elif conv.status.value == "assigned":
            holder = self.workspace.state.advisors.get(conv.assignee or "")
            text.append(f"with {safe_line(holder.name if holder else conv.assignee)}", st("title--other"))
        else:
            text.append(conv.status.value, st("title--other"))
        text.no_wrap = True
        text.overflow = "ellipsis"
        title.update(text)
