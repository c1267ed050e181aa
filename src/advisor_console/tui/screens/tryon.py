"""What she kept from a try-on selection: every piece and size sent, ticked when kept.

Unticked ones are recorded as sent back. Answers (kept, returned) as lists of
{"sku", "size"}, or None when the advisor cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static
from textual.widgets.selection_list import Selection

from ...domain.models import TryonSelection
from ..safe import safe_line

Picks = list[dict[str, str]]


def picks_of(selection: TryonSelection) -> list[tuple[str, str, str]]:
    """(sku, size, label) for every piece and size sent ("OS" for one size)."""
    out = []
    for item in selection.items:
        for size in item.sizes or ["OS"]:
            out.append((item.sku, size, f"{safe_line(item.name)} · {safe_line(size)} · {safe_line(item.price)}"))
    return out


class TryonOutcomeScreen(ModalScreen[tuple[Picks, Picks] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tryon_outcome.cancel"),
        Binding("ctrl+s", "save", "Save", id="tryon_outcome.save"),
    ]

    def __init__(self, selection: TryonSelection, client_name: str) -> None:
        super().__init__()
        self.selection = selection
        self.client_name = client_name
        self.picks = picks_of(selection)

    def compose(self) -> ComposeResult:
        with Vertical(id="tryon-outcome-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Try-on outcome: {safe_line(self.client_name)}"
            sent = self.selection.created_at.strftime("%d %b")
            yield Static(Text(f"Sent {sent} by {safe_line(self.selection.advisor)}. Tick what she keeps; the rest goes back."), classes="dialog-hint")
            yield SelectionList[int](*(Selection(Text(label), i, False) for i, (_sku, _size, label) in enumerate(self.picks)), id="tryon-picks")
            yield Static(Text("space ticks · ctrl+s saves (kept and returned go to her history) · escape cancels"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="tryon-save")
                yield Button("Cancel", id="tryon-cancel")

    def on_mount(self) -> None:
        self.query_one("#tryon-picks").focus()

    def result(self) -> tuple[Picks, Picks]:
        kept = set(self.query_one("#tryon-picks", SelectionList).selected)
        as_pick = lambda i: {"sku": self.picks[i][0], "size": self.picks[i][1]}  # noqa: E731
        return [as_pick(i) for i in range(len(self.picks)) if i in kept], [as_pick(i) for i in range(len(self.picks)) if i not in kept]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.result() if event.button.id == "tryon-save" else None)

    def action_save(self) -> None:
        self.dismiss(self.result())

    def action_cancel(self) -> None:
        self.dismiss(None)
