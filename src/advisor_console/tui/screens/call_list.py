"""Call lists: the clients of a segment to contact, filtered by consent and frequency.

A segment is a few criteria (bought in the last N days, VIC tier, line affinity, no
contact for N days, birthday this month, the channel to use); the server answers the
clients who match, each with whether the house may contact her now on that channel and
why not (consent, her monthly cap). `f` changes the segment; enter on a client offers
what can be done: write to her (when allowed), plan a call for later, open her profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...domain.models import CallListItem
from ..format import aware
from ..safe import safe_line
from .prompts import Facet

TIERS = ("silver", "gold", "platinum", "black")


@dataclass(frozen=True)
class Segment:
    """A call list's criteria ("" = any)."""

    bought: str = ""  # days
    tier: str = ""  # this tier and above
    line: str = ""
    quiet: str = ""  # no contact for N days
    birthday: str = ""  # "this" | "next"
    channel: str = ""  # "" = her preferred channel

    def params(self, now: datetime) -> dict[str, object]:
        month = now.month if self.birthday == "this" else (now.month % 12 + 1) if self.birthday == "next" else None
        tiers = ",".join(TIERS[TIERS.index(self.tier):]) if self.tier in TIERS else None
        return {
            "bought_within_days": int(self.bought) if self.bought else None,
            "vic_tier": tiers,
            "line": self.line or None,
            "no_contact_days": int(self.quiet) if self.quiet else None,
            "birthday_month": month,
            "channel": self.channel or None,
        }

    def describe(self) -> str:
        parts = []
        if self.bought:
            parts.append(f"bought in the last {int(self.bought) // 30} months" if int(self.bought) >= 60 else f"bought in the last {self.bought} days")
        if self.tier:
            parts.append(f"VIC {self.tier} and above")
        if self.line:
            parts.append(f"likes {self.line}")
        if self.quiet:
            parts.append(f"no contact for {self.quiet} days")
        if self.birthday:
            parts.append(f"birthday {self.birthday} month")
        parts.append(f"by {self.channel}" if self.channel else "on her preferred channel")
        return " · ".join(parts)

    def facets(self, lines: list[str]) -> list[Facet]:
        return [
            Facet("bought", "Bought", [("", "Any time"), ("30", "Last 30 days"), ("90", "Last 3 months"), ("365", "Last 12 months")], self.bought),
            Facet("tier", "VIC tier", [("", "Any")] + [(t, f"{t.capitalize()} and above") for t in TIERS], self.tier),
            Facet("line", "Line affinity", [("", "Any")] + [(v, v) for v in lines], self.line),
            Facet("quiet", "No contact for", [("", "Any"), ("30", "30 days"), ("60", "60 days"), ("90", "90 days")], self.quiet),
            Facet("birthday", "Birthday", [("", "Any"), ("this", "This month"), ("next", "Next month")], self.birthday),
            Facet("channel", "Contact by", [("", "Her preferred channel"), ("chat", "Chat"), ("whatsapp", "WhatsApp"), ("email", "Email"), ("phone", "Phone")], self.channel),
        ]


def call_row(item: CallListItem, now: datetime) -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append("✓ " if item.contactable else "✗ ", "bold green" if item.contactable else "bold red")
    row.append(safe_line(item.name), "bold")
    if item.native_name and item.native_name != item.name:
        row.append(" " + safe_line(item.native_name))
    row.append(f"  {safe_line(item.vic_tier)} · {safe_line(item.hub)} · {safe_line(item.channel)}", "dim")
    cap = f"{item.contacts_this_month}/{item.max_per_month}" if item.max_per_month is not None else f"{item.contacts_this_month}"
    row.append(f" · contacts {cap} this month", "dim")
    if item.last_purchase_at:
        row.append(f" · bought {(aware(now) - aware(item.last_purchase_at)).days}d ago", "dim")
    row.append("\n    ")
    if item.contactable:
        row.append(" · ".join(safe_line(w.text) for w in item.why) or "matches")
    else:
        row.append(safe_line(item.reason), "red")
    return row


class CallListScreen(ModalScreen[tuple[str, CallListItem] | None]):
    """The segment's clients; answers (what to do, the client) or None."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="call_list.close"),
        Binding("f", "segment", "Segment", id="call_list.segment"),
        Binding("w", "act('write')", "Write to her", id="call_list.write"),
        Binding("a", "act('call')", "Plan a call", id="call_list.plan"),
    ]

    def __init__(self, workspace, now: datetime, segment: Segment | None = None) -> None:  # noqa: ANN001
        super().__init__()
        self.workspace = workspace
        self.now = now
        self.segment = segment or Segment(bought="365", tier="gold")
        self.items: list[CallListItem] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="call-list-dialog", classes="dialog") as dialog:
            dialog.border_title = "Call list"
            yield Static(id="call-list-segment", classes="dialog-hint")
            yield OptionList(id="call-list")
            yield Static(Text("f segment · enter / w write to her · a plan a call · escape close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#call-list").focus()
        self.refresh_list()

    @work(exclusive=True, group="call-list", exit_on_error=False)
    async def refresh_list(self) -> None:
        self.query_one("#call-list-segment", Static).update(Text(f"{self.segment.describe()} · loading…"))
        try:
            self.items = await self.workspace.call_list(**self.segment.params(self.now))
        except Exception as exc:  # noqa: BLE001 - offline with nothing kept: say so
            self.items = []
            self.query_one("#call-list-segment", Static).update(Text(f"{self.segment.describe()} · cannot load: {type(exc).__name__}"))
            return
        allowed = sum(1 for i in self.items if i.contactable)
        self.query_one("#call-list-segment", Static).update(Text(f"{self.segment.describe()} · {len(self.items)} clients, {allowed} may be contacted now"))
        options = self.query_one("#call-list", OptionList)
        options.set_options(Option(call_row(item, self.now), id=str(i)) for i, item in enumerate(self.items))
        if self.items:
            options.highlighted = 0

    def highlighted(self) -> CallListItem | None:
        options = self.query_one("#call-list", OptionList)
        if options.highlighted is None or not self.items:
            return None
        return self.items[options.highlighted]

    @on(OptionList.OptionSelected, "#call-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_act("write")

    def action_act(self, what: str) -> None:
        item = self.highlighted()
        if item is None:
            return
        if not item.contactable:
            self.notify(f"{safe_line(item.reason)}", title="The house may not contact her now", severity="warning", markup=False, timeout=6)
            return
        self.dismiss((what, item))

    async def action_segment(self) -> None:
        from .prompts import ChoicesScreen

        facets = await self.workspace.product_facets()

        def chosen(answer: dict[str, str] | None) -> None:
            if answer is not None:
                self.segment = Segment(**answer)
                self.refresh_list()

        self.app.push_screen(ChoicesScreen("Call list segment", self.segment.facets(facets.get("lines", [])), dialog_id="segment-dialog"), chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

