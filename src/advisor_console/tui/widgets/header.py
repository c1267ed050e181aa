"""The top line: who, where, status, connection, and the six hubs' clocks."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widget import Widget

from ...domain.models import HUBS
from ..format import hub_zone
from ..safe import safe_line

_CONNECTION = {
    "live": ("● live", "header--live"),
    "connecting": ("◌ connecting…", "header--warn"),
    "reconnecting": ("◌ reconnecting…", "header--warn"),
    "offline": ("○ offline", "header--offline"),
    "signed-out": ("○ signed out", "header--offline"),
    "replay": ("⏵ replay", "header--live"),
}


class AdvisorHeader(Widget):
    """Advisor · hub · status · connection (N unsent) · hub clocks. Reads `workspace.state`."""

    COMPONENT_CLASSES = {"header--name", "header--live", "header--warn", "header--offline", "header--clock", "header--my-hub", "header--dim"}

    DEFAULT_CSS = """
    AdvisorHeader { height: 1; dock: top; }
    """

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self._minute: tuple[int, int, int] | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        now = self.app.clock()
        minute = (now.day, now.hour, now.minute)
        if minute != self._minute:
            self._minute = minute
            self.refresh()

    def refresh_state(self) -> None:
        detail = self.workspace.state.connection_detail
        self.tooltip = Text(safe_line(detail)) if detail else None
        self.refresh()

    def _left(self) -> Text:
        ws = self.workspace
        me = ws.state.advisors.get(ws.me.username, ws.me)
        hub = HUBS.get(me.hub)
        st = self.get_component_rich_style
        text = Text(" ")
        text.append(safe_line(me.name), st("header--name"))
        text.append(f" · {hub.name if hub else me.hub} · {me.status.value if hasattr(me.status, 'value') else me.status} · ", st("header--dim"))
        label, cls = _CONNECTION.get(ws.state.connection, (ws.state.connection, "header--warn"))
        text.append(label, st(cls))
        unsent = len(ws.state.pending)
        failed = sum(1 for p in ws.state.pending if p.error)
        if unsent:
            text.append(f" · {unsent} unsent", st("header--warn"))
            if failed:
                text.append(f" ({failed} failed)", st("header--offline"))
        return text

    def _clocks(self, now: datetime) -> Text:
        st = self.get_component_rich_style
        text = Text()
        for code in HUBS:
            local = now.astimezone(hub_zone(code))
            cls = "header--my-hub" if code == self.workspace.me.hub else "header--clock"
            text.append(f" {code} {local:%H:%M} ", st(cls))
        text.append(" ")
        return text

    def render(self) -> Text:
        width = self.size.width
        left = self._left()
        clocks = self._clocks(self.app.clock())
        if left.cell_len + clocks.cell_len <= width:
            gap = width - left.cell_len - clocks.cell_len
            return Text.assemble(left, " " * gap, clocks, no_wrap=True, end="")
        left.truncate(width, overflow="ellipsis")
        return left
