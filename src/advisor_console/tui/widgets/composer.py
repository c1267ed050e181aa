"""The composer: a multi-line editor that writes a reply to the client or an internal note.

Enter types a newline; ctrl+s sends; ctrl+n switches reply/note (the border and the
placeholder say which). The text is kept as a draft per conversation (saved a moment
after typing stops, and when another conversation is opened) and restored on reopening.
"""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea

from ..keys import COMPOSER_BINDINGS

DRAFT_DELAY = 0.4

_PLACEHOLDER = {
    "reply": "Reply to the client…  (ctrl+s send · ctrl+n switch to note)",
    "note": "Internal note: only advisors see it…  (ctrl+s save · ctrl+n switch to reply)",
}
_TITLE = {"reply": "Reply to client", "note": "NOTE · internal, never sent to the client"}


class Composer(TextArea):
    BINDINGS = COMPOSER_BINDINGS

    mode: reactive[str] = reactive("reply")

    class Submitted(Message):
        """The advisor sent the text (`mode` is "reply" or "note")."""

        def __init__(self, composer: "Composer", conversation_id: int, text: str, mode: str) -> None:
            super().__init__()
            self.composer = composer
            self.conversation_id = conversation_id
            self.text = text
            self.mode = mode

    class Left(Message):
        """The advisor pressed escape: back to the queue."""

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(soft_wrap=True, tab_behavior="focus", show_line_numbers=False, id=id)
        self.workspace = workspace
        self.conversation_id: int | None = None
        self._draft_timer = None
        self._saved_text = ""

    def on_mount(self) -> None:
        self._apply_mode(self.mode)

    def watch_mode(self, mode: str) -> None:
        self._apply_mode(mode)

    def _apply_mode(self, mode: str) -> None:
        self.set_class(mode == "note", "-note")
        self.placeholder = _PLACEHOLDER[mode]
        self.border_title = _TITLE[mode]
        self.refresh_bindings()

    # ---- conversations and drafts ---------------------------------------------------

    def open_conversation(self, conversation_id: int | None) -> None:
        """Save the draft of the conversation being left, show the one being opened."""
        if conversation_id == self.conversation_id:
            return
        self.save_draft_now()
        self.conversation_id = conversation_id
        text = self.workspace.draft(conversation_id) if conversation_id is not None else ""
        self._saved_text = text
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.disabled = conversation_id is None

    def save_draft_now(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self.conversation_id is not None and self.text != self._saved_text:
            self.workspace.save_draft(self.conversation_id, self.text)
            self._saved_text = self.text

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        if self.conversation_id is None or self.text == self._saved_text:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self.save_draft_now)

    def on_unmount(self) -> None:
        self.save_draft_now()

    # ---- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return self.conversation_id is not None
        return True

    def action_send(self) -> None:
        text = self.text.strip()
        if self.conversation_id is None:
            return
        if not text:
            self.notify("Nothing to send yet.", severity="warning", timeout=2)
            return
        self.post_message(self.Submitted(self, self.conversation_id, text, self.mode))

    def clear_after_send(self) -> None:
        self.load_text("")
        self.save_draft_now()

    def action_toggle_mode(self) -> None:
        self.mode = "note" if self.mode == "reply" else "reply"

    def action_leave(self) -> None:
        self.post_message(self.Left())
