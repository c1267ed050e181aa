"""The help screen: every key, by where it works, read from the bindings themselves (and
the user's keymap), so it can never disagree with what the keys do."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import keys

SECTIONS: list[tuple[str, list[Binding]]] = [
    ("Anywhere", keys.SCREEN_BINDINGS),
    ("Queue and thread: the conversation", keys.CONVERSATION_BINDINGS),
    ("Queue", keys.QUEUE_BINDINGS),
    ("Queue search", keys.QUEUE_SEARCH_BINDINGS),
    ("Thread", keys.THREAD_BINDINGS),
    ("Composer", keys.COMPOSER_BINDINGS),
    ("Lookbook", keys.LOOKBOOK_BINDINGS + keys.LOOKBOOK_RESULT_BINDINGS),
]
EXTRAS = [
    ("Composer", "/", "Canned reply (at the start of a line)"),
    ("Composer", "@", "Attach a product card"),
    ("Anywhere", "ctrl+p", "Command palette: every action by name"),
    ("Anywhere", "ctrl+q", "Quit"),
]


def _key_name(binding: Binding, keymap: dict[str, str]) -> str:
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    if binding.key_display:
        return binding.key_display
    return binding.key.replace("slash", "/").replace("asterisk", "*").replace("question_mark", "?")


def help_table(keymap: dict[str, str] | None = None) -> Table:
    keymap = keymap or {}
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=12)
    table.add_column()
    for title, bindings in SECTIONS:
        table.add_row(Text(title, style="underline"), "")
        for binding in bindings:
            table.add_row(Text(_key_name(binding, keymap)), Text(binding.description or binding.action))
        for section, key, what in EXTRAS:
            if section == title:
                table.add_row(Text(key), Text(what))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Keys"
            with VerticalScroll(id="help-body"):
                yield Static(help_table(self.keymap))
            yield Static(Text("escape to close · every action is also in the command palette (ctrl+p)"), classes="dialog-hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
