"""Live visitors (issue 10): who is on the website now, what she looks at and for how long,
whether she is returning or a VIC, the products she viewed; `i` invites the highlighted
visitor to chat ("May I help you? — <advisor>"), her page shows it at once. Refreshed every
two seconds while open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...domain.models import Visitor
from ..format import waiting
from ..safe import safe_line
from .prompts import TextPromptScreen


def visitor_row(v: Visitor, now: datetime) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append("● " if v.live else "○ ", "bold green" if v.live else "dim")
    row.append(safe_line(v.label), "bold")
    if v.vic:
        row.append(f"  VIC {safe_line(v.vic_tier)}", "bold magenta")
    row.append(f"  {'returning, ' + str(v.visits) + ' visits' if v.returning else 'first visit'}", "dim")
    where = safe_line(v.current_product or v.current_page or "the site")
    row.append(f"  · on {where} for {waiting(v.since, now)}")
    if v.viewed:
        row.append("  · viewed " + ", ".join(safe_line(p.name) for p in v.viewed[:4]), "dim")
    if v.invitation is not None:
        row.append(f"  · invited by {safe_line(v.invitation.advisor_name)} ({v.invitation.status})", "yellow")
    return row


class VisitorsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="visitors.close"),
        Binding("i", "invite", "Invite to chat", id="visitors.invite"),
    ]

    def __init__(self, workspace: Any, now: Any) -> None:
        super().__init__()
        self.workspace = workspace
        self.now = now  # a callable: the app's clock
        self.visitors: list[Visitor] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="visitors-dialog", classes="dialog") as dialog:
            dialog.border_title = "Live visitors"
            yield Static(id="visitors-summary", classes="dialog-hint")
            yield OptionList(id="visitors-list")
            yield Static(Text("i invite to chat · escape close · refreshed every 2 s"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#visitors-list").focus()
        self.refresh_list()
        self.set_interval(2.0, self.refresh_list)

    @work(exclusive=True, group="visitors", exit_on_error=False)
    async def refresh_list(self) -> None:
        try:
            self.visitors = await self.workspace.visitors()
        except Exception as exc:  # noqa: BLE001 - offline: say so, keep the last list
            self.query_one("#visitors-summary", Static).update(Text(f"Live visitors need the server: {getattr(exc, 'message', type(exc).__name__)}"))
            return
        live = [v for v in self.visitors if v.live]
        self.query_one("#visitors-summary", Static).update(Text(f"{len(live)} on the site now · {sum(1 for v in live if v.vic)} VIC · {sum(1 for v in live if v.returning)} returning"))
        options = self.query_one("#visitors-list", OptionList)
        keep = options.highlighted
        options.set_options(Option(visitor_row(v, self.now()), id=str(v.id)) for v in self.visitors)
        if self.visitors:
            options.highlighted = min(keep or 0, len(self.visitors) - 1)

    def action_invite(self) -> None:
        options = self.query_one("#visitors-list", OptionList)
        if options.highlighted is None or not self.visitors:
            return
        visitor = self.visitors[options.highlighted]

        def send(message: str | None) -> None:
            if message is not None:
                self.workspace.invite_visitor(visitor.id, message.strip() or None)
                self.notify(f"{safe_line(visitor.label)} is invited to chat.", markup=False, timeout=3)

        first = self.workspace.me.name.split()[0]
        self.app.push_screen(TextPromptScreen(f"Invite {safe_line(visitor.label)}", "What her page shows (she may accept or dismiss)", f"May I help you? — {first}"), send)
