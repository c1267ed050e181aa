"""The centre pane: who the conversation is with, its thread, and the composer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...domain.models import ConversationSummary
from ...domain.reducer import WorkspaceState
from ..format import CHANNEL_NAMES, PRIORITY_NAMES, TIER_NAMES, aware, hub_today, local_times
from ..safe import safe_line
from .composer import Composer
from .lines import KeptLines
from .thread import Block, LazyBlocks, ThreadView, cards_of


OUTCOMES = {
    "answered": "answered",
    "no_answer": "no answer",
    "voicemail": "left a voicemail",
    "callback_requested": "asked to be called back",
    "wrong_number": "wrong number",
}


def _quote_of(attachments: list[Any], names: dict[str, str], client_name: str) -> str:
    for a in attachments:
        data = a if isinstance(a, dict) else a.model_dump()
        if data.get("type") == "quote":
            q = data.get("data") or {}
            author = client_name if q.get("author") == "client" else names.get(str(q.get("author")), str(q.get("author") or ""))
            return f"{author}: {q.get('excerpt', '')}"
    return ""


def _call_prefix(attachments: list[Any]) -> str:
    for a in attachments:
        data = a if isinstance(a, dict) else a.model_dump()
        if data.get("type") == "call":
            outcome = str((data.get("data") or {}).get("outcome", ""))
            return f"☎ Call · {OUTCOMES.get(outcome, outcome)}\n"
    return "☎ Call\n"


def thread_blocks(state: WorkspaceState, conversation_id: int, me_hub: str, now, client_name: str, memo: dict[tuple[Any, ...], Block] | None = None) -> LazyBlocks:
    """The blocks of a thread: its messages in order, then replies scheduled on the server,
    then what is still in the outbox. Call notes show as internal notes with their outcome.
    A message's block is made when first read (LazyBlocks): its key is known at once."""
    names = {u: a.name for u, a in state.advisors.items()}
    today = hub_today(me_hub, now)  # a block's time shows a date on other days than this
    shown_at = local_times(me_hub, now)
    messages = list(state.threads.get(conversation_id, []))  # as they are now: blocks are made later

    def message_block(m: Any) -> Block:
        kind = m.kind.value
        author = client_name if kind == "inbound" else names.get(m.author, m.author)
        # A message's block only changes with the day (its time shows a date on other days)
        # and the names: kept, so reopening a long thread does not rebuild it.
        memo_key = (m.id, author, me_hub, today, client_name, m.delivery)
        block = memo.get(memo_key) if memo is not None else None
        if block is None:
            body = m.body
            if kind == "call_note":
                kind, body = "note", _call_prefix(m.attachments) + body
            elif kind == "whisper":  # a team lead's note to the advisor holding it
                kind, body = "note", f"Whisper to {names.get(m.whisper_to or '', m.whisper_to or 'the advisor')} (no one else sees it): {body}"
            if m.subject and kind == "inbound":
                body = f"Subject: {m.subject}\n{body}"
            quote = _quote_of(m.attachments, names, client_name)
            # Delivery as the channel reports it (a channel without receipts stays "sent": no mark).
            status = f"delivery:{m.delivery}:{m.delivery_error or ''}" if kind == "reply" and m.delivery in ("pending", "delivered", "read", "failed") else ""
            block = Block(key=message_key(m), kind=kind, author=author, time=shown_at(m.at), body=body, cards=cards_of(m.attachments), quote=quote, status=status)
            if memo is not None:
                if len(memo) > 50_000:
                    memo.clear()
                memo[memo_key] = block
        return block

    tail: list[Block] = []
    for sid, item in sorted(state.scheduled.get(conversation_id, {}).items()):
        try:
            at = datetime.fromisoformat(str(item.get("send_at")))
        except ValueError:
            continue
        author = names.get(str(item.get("author")), str(item.get("author")))
        status = f"scheduled for {shown_at(at)}"
        tail.append(Block(key=f"s{sid}", kind="reply", author=author, time="later", body=str(item.get("body", "")), cards=cards_of(item.get("attachments") or []), status=status))
    for p in state.pending_for(conversation_id):
        if p.op != "message":
            continue
        status = p.error or "sending"
        tail.append(Block(key=f"p{p.key}:{status}", kind=p.kind if p.kind != "call_note" else "note", author="You", time="now", body=p.body, cards=cards_of(p.attachments), status=status))
    count = len(messages)
    keys = [message_key(m) for m in messages] + [block.key for block in tail]
    return LazyBlocks(keys, lambda i: message_block(messages[i]) if i < count else tail[i - count])


def message_key(m: Any) -> str:
    """A message block's key: it changes with what the block shows but the names and the day."""
    return f"m{m.id}:{m.delivery}"


def whatsapp_window(conv: ConversationSummary, now: datetime) -> tuple[bool, str] | None:
    """For a WhatsApp conversation: (open?, a few words on the 24-hour window)."""
    if conv.channel.value != "whatsapp":
        return None
    if conv.window_closes_at is None:
        return False, "WhatsApp window closed: templates only"
    left = (aware(conv.window_closes_at) - aware(now)).total_seconds()
    if left <= 0:
        return False, "WhatsApp window closed: templates only"
    hours, minutes = int(left // 3600), int(left % 3600 // 60)
    return True, f"WhatsApp window {hours} h {minutes:02d} m left"


class ConversationTitle(Static):
    COMPONENT_CLASSES = {"title--name", "title--dim", "title--mine", "title--other", "title--presence", "title--warn"}


class ConversationPane(KeptLines, Vertical):
    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.conversation_id: int | None = None
        self._blocks_memo: dict[tuple[Any, ...], Block] = {}  # message blocks, per message and day

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

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_title)  # the title is cut to the width

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
        blocks = thread_blocks(self.workspace.state, conv.id, self.workspace.me.hub, self.app.clock(), name, self._blocks_memo)
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
        if conv.priority:
            text.append(f" · {PRIORITY_NAMES.get(conv.priority, conv.priority)} priority", st("title--warn"))
        text.no_wrap = True
        text.overflow = "ellipsis"
        lines = [text]
        extra = Text(" ", no_wrap=True, overflow="ellipsis")
        # Who else is here comes first: it is the one thing that must not be cut off.
        others = [a for a in self.workspace.state.presence.get(conv.id, []) if a.get("username") != self.workspace.me.username]
        if others:
            said = ", ".join(f"{safe_line(str(a.get('name') or a.get('username')))} {'typing…' if a.get('state') == 'typing' else 'viewing'}" for a in others)
            extra.append(f"👁 {said}  ", st("title--presence"))
        window = whatsapp_window(conv, self.app.clock())
        if window is not None:
            extra.append(window[1] + "  ", st("title--dim" if window[0] else "title--warn"))
        if conv.tags:
            extra.append(" ".join(f"#{safe_line(t)}" for t in conv.tags) + "  ", st("title--dim"))
        if conv.subject:  # last: the longest, the one to cut
            extra.append(f"✉ {safe_line(conv.subject)}  ", st("title--dim"))
        if extra.plain.strip():
            lines.append(extra)
        width = title.content_region.width or 80
        for line in lines:  # each on one line, cut with an ellipsis: never wrapped
            line.truncate(width, overflow="ellipsis")
        if title.styles.height is None or title.styles.height.value != len(lines):
            title.styles.height = len(lines)  # a new height means a new layout: only on change
        # Cut to the width, its height set above: a new title needs no layout of its own.
        title.update(Text("\n", no_wrap=True).join(lines), layout=False)
