"""The composer: a multi-line editor that writes a reply to the client or an internal note.

Enter types a newline; ctrl+s sends; ctrl+t sends later; ctrl+n switches reply/note (the
border and the placeholder say which). "/" at the start of an empty line picks a canned
reply (ctrl+r too), "@" picks a product to attach as a card; a quoted message and the
attached cards show under the title until sent. The text is kept as a draft per
conversation (saved a moment after typing stops, and when another conversation is
opened) and restored on reopening.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea

from ..keys import COMPOSER_BINDINGS
from ..safe import safe_line

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
        """The advisor sent the text (`mode` is "reply" or "note"); `later` asks the screen
        for a time to send it at."""

        def __init__(self, composer: "Composer", conversation_id: int, text: str, mode: str, *, later: bool = False) -> None:
            super().__init__()
            self.composer = composer
            self.conversation_id = conversation_id
            self.text = text
            self.mode = mode
            self.later = later
            self.quote = composer.quote
            self.cards = list(composer.cards)
            self.template = composer.template

    class Left(Message):
        """The advisor pressed escape: back to the queue."""

    class Typing(Message):
        """The advisor typed (colleagues see "typing…")."""

    class Wants(Message):
        """The advisor asked for a picker: "canned" (a canned reply) or "product" (a card)."""

        def __init__(self, composer: "Composer", what: str) -> None:
            super().__init__()
            self.composer = composer
            self.what = what

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(soft_wrap=True, tab_behavior="focus", show_line_numbers=False, id=id)
        self.workspace = workspace
        self.conversation_id: int | None = None
        self._draft_timer = None
        self._saved_text = ""
        # What goes with the text: the message quoted (id, "Author: excerpt"), product
        # cards (Attachment), and the approved WhatsApp template the text was made from.
        self.quote: tuple[int, str] | None = None
        self.cards: list[Any] = []
        self.template: str | None = None
        # Why the house may not write to this client on this channel now (contact-check).
        self.consent_notice: str = ""

    def on_mount(self) -> None:
        self._apply_mode(self.mode)

    def watch_mode(self, mode: str) -> None:
        self._apply_mode(mode)

    def _apply_mode(self, mode: str) -> None:
        self.set_class(mode == "note", "-note")
        self.placeholder = _PLACEHOLDER[mode]
        self.border_title = _TITLE[mode]
        self._show_extras()
        self.refresh_bindings()

    def _show_extras(self) -> None:
        """The border's subtitle: what goes with the text (quote, cards, template)."""
        parts = []
        if self.quote is not None:
            parts.append("quoting " + safe_line(self.quote[1])[:40])
        if self.cards:
            parts.append(" + ".join(f"◆ {safe_line(c.name or c.sku or '')}" for c in self.cards))
        if self.template:
            parts.append(f"template {safe_line(self.template)}")
        subtitle = " · ".join(parts) + ("  (ctrl+x drops them)" if parts else "")
        if self.consent_notice and self.mode == "reply":
            subtitle = f"⚠ {self.consent_notice}" + (f" · {subtitle}" if subtitle else "")
        if subtitle != self.border_subtitle:  # a new subtitle repaints the whole composer
            self.border_subtitle = subtitle
        self.set_class(bool(self.consent_notice) and self.mode == "reply", "-refused")

    def set_consent_notice(self, text: str) -> None:
        self.consent_notice = safe_line(text)
        self._show_extras()

    def set_quote(self, message_id: int, text: str) -> None:
        self.quote = (message_id, text)
        self._show_extras()

    def add_card(self, card: Any) -> None:
        self.cards.append(card)
        self._show_extras()

    def use_template(self, template_id: str | None, text: str) -> None:
        """Put a canned reply's text in (replacing a lone "/" typed to ask for it)."""
        self.template = template_id
        current = self.text
        if current.rstrip().endswith("/"):
            current = current.rstrip()[:-1]
        self.load_text(current + text)
        self.move_cursor(self.document.end)
        self._show_extras()

    def drop_extras(self) -> None:
        self.quote, self.cards, self.template = None, [], None
        self._show_extras()

    # ---- conversations and drafts ---------------------------------------------------

    def open_conversation(self, conversation_id: int | None) -> None:
        """Save the draft of the conversation being left, show the one being opened."""
        if conversation_id == self.conversation_id:
            return
        self.save_draft_now()
        self.conversation_id = conversation_id
        self.quote, self.cards, self.template = None, [], None
        self.consent_notice = ""
        self._show_extras()
        text = self.workspace.draft(conversation_id) if conversation_id is not None else ""
        self._saved_text = text
        # An empty draft into an empty composer with nothing to undo changes nothing shown or
        # undoable: not loaded (loading rebuilt and redrew the composer on every open).
        if text or self.text or self.history.undo_stack or self.history.redo_stack:
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

    async def _on_key(self, event) -> None:  # noqa: ANN001 - "/" and "@" open pickers
        if self.conversation_id is not None and event.character in ("/", "@") and not self.read_only:
            row, col = self.cursor_location
            line = self.document.get_line(row)[:col]
            if event.character == "@" and (not line or line.endswith(" ")):
                event.stop()
                event.prevent_default()
                self.post_message(self.Wants(self, "product"))
                return
            if event.character == "/" and not line.strip():
                event.stop()
                event.prevent_default()
                self.post_message(self.Wants(self, "canned"))
                return
        await super()._on_key(event)

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        if self.conversation_id is not None and self.text.strip():
            self.post_message(self.Typing())
        if self.conversation_id is None or self.text == self._saved_text:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self.save_draft_now)

    def on_unmount(self) -> None:
        self.save_draft_now()

    # ---- actions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("send", "schedule", "canned"):
            return self.conversation_id is not None and (action != "schedule" or self.mode == "reply")
        if action == "drop_extras":
            return bool(self.quote or self.cards or self.template)
        return True

    def action_send(self, later: bool = False) -> None:
        text = self.text.strip()
        if self.conversation_id is None:
            return
        if not text and not self.cards:
            self.notify("Nothing to send yet.", severity="warning", timeout=2)
            return
        self.post_message(self.Submitted(self, self.conversation_id, text, self.mode, later=later))

    def action_schedule(self) -> None:
        self.action_send(later=True)

    def action_canned(self) -> None:
        self.post_message(self.Wants(self, "canned"))

    def action_drop_extras(self) -> None:
        self.drop_extras()

    def clear_after_send(self) -> None:
        self.load_text("")
        self.drop_extras()
        self.save_draft_now()

    def action_toggle_mode(self) -> None:
        self.mode = "note" if self.mode == "reply" else "reply"

    def action_leave(self) -> None:
        self.post_message(self.Left())
