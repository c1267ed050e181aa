"""The team lead's screen: the board, live.

Top: the hub shown (all, or one; `h` cycles), queue depth by hub, channel and language,
the longest wait, routing on or off. Left: every advisor with status, load against
capacity, open conversations and oldest unanswered message. Right: charts of the last
hours (conversations awaiting a first response; median first-response time), then the
conversations past their first-response target.

It refreshes from the server when the event stream brings anything (at most once a
second) and every ten seconds (waiting times grow by themselves).

Keys: on an advisor, `s` status, `+` / `-` capacity; on a late conversation, `a`
reassign to an advisor or a hub, `m` monitor it (read-only), `w` whisper to its advisor;
anywhere `o` routing on/off, `x` export the day's report (CSV), `ctrl+w` the workspace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.models import HUBS
from ..format import CHANNEL_NAMES, aware, hub_zone
from ..messages import StateChanged
from ..safe import safe_line
from ..widgets.header import AdvisorHeader
from ..widgets.keybar import KeyBar
from ..widgets.thread import ThreadView
from . import StyledOnMount
from .prompts import ChoiceScreen, TextPromptScreen

BARS = "▁▂▃▄▅▆▇"  # 1 to 7 eighths; a full cell is █
STATUSES = ("available", "busy", "away", "offline")


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    value = int(value)
    if value < 60:
        return f"{value}s"
    if value < 3600:
        return f"{value // 60}m{value % 60:02d}s"
    return f"{value // 3600}h{value % 3600 // 60:02d}m"


def chart(values: list[float | None], width: int, label: str, unit: str = "", height: int = 4) -> Text:
    """A bar chart `height` lines tall (eighths of a line at the top of each bar), with its
    label and scale: drawn with the terminal's own block characters."""
    values = values[-width:]
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    text = Text(no_wrap=True)
    text.append(f"{label}  ", "bold")
    text.append(f"max {top:g}{unit}\n" if known else "no data\n", "dim")
    for row in range(height, 0, -1):
        for v in values:
            eighths = 0 if v is None else round(v / top * height * 8)
            fill = eighths - (row - 1) * 8
            text.append("█" if fill >= 8 else (BARS[fill - 1] if fill > 0 else " "), "bold")
        text.append("\n")
    return text


class AdvisorTable(DataTable):
    BINDINGS = [
        Binding("s", "screen.advisor_status", "Status", id="supervisor.status"),
        Binding("plus,equals_sign", "screen.capacity(1)", "Capacity +1", id="supervisor.capacity_up"),
        Binding("minus", "screen.capacity(-1)", "Capacity −1", id="supervisor.capacity_down"),
    ]


class LateList(OptionList):
    BINDINGS = [
        Binding("a", "screen.reassign", "Reassign", id="supervisor.reassign"),
        Binding("m", "screen.monitor", "Monitor", id="supervisor.monitor"),
        Binding("w", "screen.whisper", "Whisper", id="supervisor.whisper"),
    ]


class SupervisorScreen(StyledOnMount, Screen[None]):
    FOLLOWS_STATE = True  # the app posts it every StateChanged
    BINDINGS = [
        Binding("h", "cycle_hub", "Hub", id="supervisor.hub"),
        Binding("o", "toggle_routing", "Routing on/off", id="supervisor.routing"),
        Binding("t", "edit_targets", "Targets", id="supervisor.targets"),
        Binding("x", "export_report", "Export report", id="supervisor.export"),
        Binding("ctrl+w", "app.workspace", "Workspace", id="supervisor.workspace"),
        Binding("f1,question_mark", "app.help", "Help", id="supervisor.help"),
    ]

    def __init__(self, workspace) -> None:  # noqa: ANN001
        super().__init__(id="supervisor")
        self.workspace = workspace
        self.hub: str | None = None  # None: every hub
        self.board: dict[str, Any] | None = None
        self.series: dict[str, Any] | None = None
        self.rules: dict[str, Any] | None = None
        self._stale = False

    def compose(self) -> ComposeResult:
        yield AdvisorHeader(self.workspace, id="header")
        yield Static(id="board-summary")
        with Horizontal(id="board-panes"):
            with Vertical(id="board-left"):
                yield AdvisorTable(id="board-advisors", cursor_type="row", zebra_stripes=True)
            with Vertical(id="board-right"):
                yield Static(id="board-charts")
                yield LateList(id="board-late")
        yield KeyBar(id="keybar")

    def on_mount(self) -> None:
        table = self.query_one(AdvisorTable)
        table.border_title = "Team"
        for label in ("Advisor", "Hub", "Status", "Load", "Open", "Oldest unanswered", "Languages"):
            table.add_column(label, key=label)
        self.query_one("#board-late").border_title = "Past their first-response target"
        self.query_one("#board-charts").border_title = "Last 6 hours"
        table.focus()
        self.set_interval(10.0, self.refresh_board)
        self.set_interval(1.0, self._refresh_if_stale)
        self.refresh_board()

    @on(StateChanged)
    def _state_changed(self, message: StateChanged) -> None:
        self._stale = True  # the stream brought something: refresh (at most once a second)
        if message.changes.connection or message.changes.advisors:
            self.query_one(AdvisorHeader).refresh_state()

    def _refresh_if_stale(self) -> None:
        if self._stale:
            self._stale = False
            self.refresh_board()

    @work(exclusive=True, group="board", exit_on_error=False)
    async def refresh_board(self) -> None:
        try:
            self.board = await self.workspace.supervision("board", hub=self.hub)
            self.series = await self.workspace.supervision("series", hub=self.hub, hours=6, bucket_minutes=15)
            if self.rules is None:  # rules change from here (kept up to date locally), not by themselves
                self.rules = await self.workspace.supervision("rules")
        except Exception as exc:  # noqa: BLE001 - offline or refused: say so, keep the last board
            self.query_one("#board-summary", Static).update(Text(f" The board needs the server: {getattr(exc, 'message', type(exc).__name__)}", "bold red"))
            return
        self._draw()

    # ---- drawing ---------------------------------------------------------------------------------

    def _draw(self) -> None:
        board, series, rules = self.board or {}, self.series or {}, self.rules or {}
        depth = board.get("queue_depth", {})
        summary = Text(no_wrap=True, overflow="ellipsis")
        summary.append(f" {'All hubs' if self.hub is None else HUBS[self.hub].name} ", "bold reverse")
        summary.append(f"  queued {depth.get('total', 0)}", "bold")
        for facet in ("hub", "channel", "language"):
            parts = " ".join(f"{safe_line(k)} {v}" for k, v in sorted(depth.get(facet, {}).items()))
            summary.append(f"  · by {facet}: {parts or '—'}")
        longest = board.get("longest_wait")
        summary.append(f"  · longest wait {seconds(longest['seconds'])} (#{longest['conversation_id']}, {longest['hub']})" if longest else "  · nobody waits")
        routing = (rules.get("routing") or {}).get("enabled")
        summary.append(f"  · routing {'ON' if routing else 'off'}", "bold green" if routing else "dim")
        self.query_one("#board-summary", Static).update(summary)

        table = self.query_one(AdvisorTable)
        keep = table.cursor_row
        table.clear()
        for a in board.get("advisors", []):
            full = a["load"] >= a["capacity"]
            load = Text(f"{a['load']}/{a['capacity']} " + "■" * a["load"] + "□" * max(0, a["capacity"] - a["load"]), "bold red" if full else "")
            oldest = a.get("oldest_unanswered_seconds")
            table.add_row(
                Text(safe_line(a["name"])), a["hub"], Text(a["status"], "green" if a["status"] == "available" else "yellow" if a["status"] == "busy" else "dim"),
                load, str(len(a["open_conversations"])), Text(seconds(oldest), "bold red" if oldest and oldest > 600 else ""), " ".join(a.get("languages", [])),
                key=a["username"],
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

        buckets = series.get("buckets", [])
        charts = Text()
        width = len(buckets)
        charts.append_text(chart([b["awaiting_first_response"] for b in buckets], width, "Awaiting a first response"))
        charts.append_text(chart([round(b["first_response_median_seconds"] / 60, 1) if b["first_response_median_seconds"] is not None else None for b in buckets], width, "First response, median", " min"))
        zone = hub_zone(self.hub or self.workspace.me.hub)
        if buckets:
            first, last = aware(datetime.fromisoformat(buckets[0]["start"])).astimezone(zone), aware(datetime.fromisoformat(buckets[-1]["end"])).astimezone(zone)
            charts.append(f"{first:%H:%M}{'':>{max(1, width - 10)}}{last:%H:%M} {zone.key}", "dim")
        self.query_one("#board-charts", Static).update(charts)

        late = self.query_one(LateList)
        keep_id = self._late()
        targets = board.get("first_response_targets", {})
        late.set_options(
            Option(Text.assemble(
                (f"#{p['conversation_id']:<6}", "bold"), (f"{CHANNEL_NAMES.get(p['channel'], p['channel']):9}", ""), f" {p['hub']} {p['language']:<4} ",
                (safe_line(p["client"]), "bold"), f"  waited {seconds(p['waited_seconds'])} / target {seconds(p['target_seconds'])}",
                (f"  · {p['assignee']}" if p.get("assignee") else "  · queued", "dim"),
                no_wrap=True, overflow="ellipsis",
            ), id=str(p["conversation_id"]))
            for p in board.get("past_target", [])
        )
        ids = [p["conversation_id"] for p in board.get("past_target", [])]
        if ids:
            late.highlighted = ids.index(keep_id) if keep_id in ids else 0
        late.border_subtitle = " · ".join(f"{CHANNEL_NAMES.get(k, k)} {seconds(v)}" for k, v in targets.items())

    # ---- actions -----------------------------------------------------------------------------------

    def _advisor(self) -> dict[str, Any] | None:
        table = self.query_one(AdvisorTable)
        if not table.row_count or not self.board:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((a for a in self.board["advisors"] if a["username"] == key), None)

    def _late(self) -> int | None:
        late = self.query_one(LateList)
        if late.highlighted is None or not late.option_count:
            return None
        return int(late.get_option_at_index(late.highlighted).id or 0)

    def action_cycle_hub(self) -> None:
        order = [None, *HUBS]
        self.hub = order[(order.index(self.hub) + 1) % len(order)]
        self.refresh_board()

    def action_advisor_status(self) -> None:
        advisor = self._advisor()
        if advisor is None:
            return

        def chosen(status: str | None) -> None:
            if status:
                self.workspace.update_advisor(advisor["username"], status=status)
                self.notify(f"{safe_line(advisor['name'])}: {status}" + (" (their conversations go back to the queue)" if status in ("away", "offline") else ""), markup=False, timeout=4)

        self.app.push_screen(ChoiceScreen(f"Status of {safe_line(advisor['name'])}", [(s, s) for s in STATUSES], filterable=False), chosen)

    def action_capacity(self, delta: int) -> None:
        advisor = self._advisor()
        if advisor is None:
            return
        capacity = max(0, min(50, advisor["capacity"] + delta))
        advisor["capacity"] = capacity  # shown at once; the board confirms
        self.workspace.update_advisor(advisor["username"], capacity=capacity)
        self._draw()

    def action_reassign(self) -> None:
        conv_id = self._late()
        if conv_id is None or not self.board:
            return
        choices: list[tuple[tuple[str, str], str]] = [
            (("advisor", a["username"]), f"{a['name']} · {a['hub']} · {a['status']} · {a['load']}/{a['capacity']}") for a in self.board["advisors"] if a["role"] == "advisor"
        ] + [(("hub", code), f"The {hub.name} queue") for code, hub in HUBS.items()]

        def chosen(target: tuple[str, str] | None) -> None:
            if target is None:
                return
            kind, name = target
            self.workspace.transfer(conv_id, **({"to_advisor": name} if kind == "advisor" else {"to_hub": name}), note="Reassigned by your team lead")
            self.notify(f"#{conv_id} reassigned to {name}.", timeout=3)
            self._stale = True

        self.app.push_screen(ChoiceScreen(f"Reassign #{conv_id} to", choices), chosen)

    def action_whisper(self) -> None:
        conv_id = self._late()
        if conv_id is None:
            return

        def said(text: str | None) -> None:
            if text and text.strip():
                self.workspace.whisper(conv_id, text.strip())
                self.notify("Whisper sent: only the advisor holding it sees it.", timeout=3)

        self.app.push_screen(TextPromptScreen(f"Whisper on #{conv_id}", "To the advisor holding it (never the client, never anyone else)", check=lambda t: None if t.strip() else "Say something."), said)

    def action_monitor(self) -> None:
        conv_id = self._late()
        if conv_id is not None:
            self.app.push_screen(MonitorScreen(self.workspace, conv_id))

    def action_toggle_routing(self) -> None:
        enabled = not ((self.rules or {}).get("routing") or {}).get("enabled")
        self.workspace.set_rules({"routing": {"enabled": enabled}})
        if self.rules is not None:
            self.rules.setdefault("routing", {})["enabled"] = enabled
        self.notify(f"Routing {'on: new conversations are offered to advisors' if enabled else 'off: they wait in the queue'}.", timeout=4)
        self._draw()

    def action_edit_targets(self) -> None:
        """First-response targets per channel, typed as `chat=2m whatsapp=15m email=4h`."""
        current = ((self.rules or {}).get("first_response_targets") or (self.board or {}).get("first_response_targets") or {})
        shown = " ".join(f"{k}={seconds(v)}" for k, v in current.items())

        def check(text: str) -> str | None:
            try:
                parse_targets(text)
            except ValueError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text:
                targets = parse_targets(text)
                self.workspace.set_rules({"first_response_targets": targets})
                if self.rules is not None:
                    self.rules.setdefault("first_response_targets", {}).update(targets)
                self.notify("Targets changed: " + " · ".join(f"{k} {seconds(v)}" for k, v in targets.items()), timeout=4)
                self._stale = True

        self.app.push_screen(TextPromptScreen("First-response targets", "Per channel, e.g. chat=2m whatsapp=15m email=4h phone=10m video=5m", shown, check=check), done)

    def action_export_report(self) -> None:
        hub = self.hub or self.workspace.me.hub
        today = aware(self.app.clock()).astimezone(hub_zone(hub)).date().isoformat()

        def day_chosen(day: str | None) -> None:
            if day:
                self._export(day.strip(), hub)

        self.app.push_screen(TextPromptScreen(f"Report for {HUBS[hub].name}", "Day (YYYY-MM-DD, the hub's time)", today, check=_check_day), day_chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _export(self, day: str, hub: str) -> None:
        try:
            text = await self.workspace.report_csv(day, hub)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"The report needs the server: {getattr(exc, 'message', type(exc).__name__)}", severity="error", markup=False)
            return
        folder = self.workspace.cache.path.parent / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"report-{hub}-{day}.csv"
        path.write_text(text, encoding="utf-8")
        self.last_export = path
        self.notify(f"Report saved: {path}", markup=False, timeout=8)


def parse_targets(text: str) -> dict[str, int]:
    """"chat=2m email=4h" -> {"chat": 120, "email": 14400}; ValueError with a sentence."""
    out: dict[str, int] = {}
    units = {"s": 1, "m": 60, "h": 3600}
    for part in text.split():
        channel, _, value = part.partition("=")
        if channel not in CHANNEL_NAMES:
            raise ValueError(f"{channel!r} is not a channel ({', '.join(CHANNEL_NAMES)}).")
        value = value.strip().lower()
        try:
            amount = sum(int(chunk[:-1]) * units[chunk[-1]] for chunk in _chunks(value)) if value and not value.isdigit() else int(value)
        except (ValueError, KeyError):
            raise ValueError(f"{part!r}: a time like 90s, 2m, 4h or 1h30m.") from None
        if not 1 <= amount <= 7 * 86400:
            raise ValueError(f"{part!r}: between 1 second and 7 days.")
        out[channel] = amount
    if not out:
        raise ValueError("Give at least one channel=time.")
    return out


def _chunks(value: str) -> list[str]:
    chunks, current = [], ""
    for ch in value:
        current += ch
        if not ch.isdigit():
            chunks.append(current)
            current = ""
    if current:
        raise ValueError(value)
    return chunks


def _check_day(text: str) -> str | None:
    from datetime import date

    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return "A day is YYYY-MM-DD."
    return None


class MonitorScreen(ModalScreen[None]):
    FOLLOWS_STATE = True  # the app posts it every StateChanged
    """A conversation followed live, read-only (escape closes)."""

    BINDINGS = [Binding("escape", "dismiss", "Close", id="monitor.close")]

    def __init__(self, workspace, conversation_id: int) -> None:  # noqa: ANN001
        super().__init__()
        self.workspace = workspace
        self.conversation_id = conversation_id

    def compose(self) -> ComposeResult:
        with Vertical(id="monitor-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Monitoring #{self.conversation_id} (read-only)"
            yield Static(id="monitor-title")
            yield ThreadView(id="monitor-thread")

    async def on_mount(self) -> None:
        await self.workspace.ensure_thread(self.conversation_id)
        self.redraw()
        self.query_one(ThreadView).focus()

    def redraw(self) -> None:
        from ..widgets.conversation import thread_blocks

        conv = self.workspace.state.conversations.get(self.conversation_id)
        if conv is None:
            return
        self.query_one("#monitor-title", Static).update(Text(f"{safe_line(conv.client_name)} · {conv.channel.value} · {conv.status.value} · {conv.assignee or 'queued'}", no_wrap=True))
        self.query_one(ThreadView).set_blocks(thread_blocks(self.workspace.state, conv.id, self.workspace.me.hub, self.app.clock(), safe_line(conv.client_name)), scroll_end=True)

    @on(StateChanged)
    def _changed(self, message: StateChanged) -> None:
        if self.conversation_id in message.changes.conversations:
            self.redraw()


