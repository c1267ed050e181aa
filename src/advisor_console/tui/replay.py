"""The workstation replaying a recording: the same app, screens and widgets as live, fed
by a `Player` instead of a server, with a bar of controls at the bottom.

Keys (they take precedence over the panes'): space play/pause · . next event · , previous
event · + faster · - slower · ] forward 10% · [ back 10% · g start · G end · ctrl+g seek
to a time. Everything else works as in the workstation, read-only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ..config import Settings
from ..replay.player import Player, Recording, ReplayWorkspace
from .app import AdvisorApp
from .format import aware, hub_zone
from .screens.workspace import WorkspaceScreen


class ReplayBar(Static):
    """Where the replay is: state, speed, position, the recording's time, the keys."""

    def __init__(self, player: Player) -> None:
        super().__init__(id="replay-bar")
        self.player = player

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        p = self.player
        total = len(p.events)
        when = aware(p.now).astimezone(hub_zone(p.workspace.me.hub))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" ⏵ playing " if p.playing else (" ■ end " if p.done else " ⏸ paused "), "bold reverse")
        text.append(f" {p.speed:g}x · event {p.position}/{total} · {when:%d %b %H:%M:%S} {p.workspace.me.hub} · ")
        width = 20
        filled = round(width * p.position / total) if total else width
        text.append("━" * filled + "╸" + "─" * (width - filled), "bold")
        text.append("  space play/pause · . , step · + - speed · ] [ seek 10% · g G start/end · ctrl+g time", "dim")
        self.update(text)


class ReplayApp(AdvisorApp):
    BINDINGS = [
        Binding("space", "replay_toggle", "Play/pause", priority=True, id="replay.toggle"),
        Binding("full_stop", "replay_step(1)", "Next event", priority=True, id="replay.next"),
        Binding("comma", "replay_step(-1)", "Previous event", priority=True, id="replay.previous"),
        Binding("plus,equals_sign", "replay_speed(True)", "Faster", priority=True, id="replay.faster"),
        Binding("minus", "replay_speed(False)", "Slower", priority=True, id="replay.slower"),
        Binding("right_square_bracket", "replay_seek(0.1)", "Forward 10%", priority=True, id="replay.forward"),
        Binding("left_square_bracket", "replay_seek(-0.1)", "Back 10%", priority=True, id="replay.back"),
        Binding("g", "replay_to(0)", "Start", priority=True, id="replay.start"),
        Binding("G", "replay_to(1)", "End", priority=True, id="replay.end"),
        Binding("ctrl+g", "replay_seek_time", "Seek to a time", priority=True, id="replay.seek_time"),
    ]

    def __init__(self, recording: Recording, settings: Settings | None = None, *, speed: float = 1.0, play: bool = True) -> None:
        workspace = ReplayWorkspace(recording)
        self.player = Player(workspace, speed=speed, on_move=self._moved)
        self.player.playing = play
        super().__init__(workspace, settings or Settings(), clock=lambda: self.player.now)
        self.title = "Advisor Console · replay"

    def watch_theme(self, theme: str) -> None:
        """A replay writes nothing: the theme is not remembered."""

    def kept_css_folder(self, settings: Settings) -> Path | None:
        return None  # nor are parsed stylesheet rules

    def get_default_screen(self) -> Screen:
        return WorkspaceScreen(self.workspace, bars=(ReplayBar(self.player),))

    def on_mount(self) -> None:
        super().on_mount()
        self.run_worker(self.player.run(), group="replay", exit_on_error=False, name="replay")

    def _moved(self) -> None:
        for bar in self.query(ReplayBar):
            bar.show()

    def action_replay_toggle(self) -> None:
        self.player.toggle()

    def action_replay_step(self, n: int) -> None:
        self.player.playing = False
        self.player.step(n)
        self._moved()

    def action_replay_speed(self, up: bool) -> None:
        self.player.faster(up)

    def action_replay_seek(self, fraction: float) -> None:
        total = len(self.player.events) or 1
        self.player.seek_fraction(self.player.position / total + fraction)

    def action_replay_to(self, fraction: float) -> None:
        self.player.seek_fraction(fraction)

    def action_replay_seek_time(self) -> None:
        from .screens.prompts import TextPromptScreen

        hub = self.workspace.me.hub

        def check(text: str) -> str | None:
            try:
                seek_target(text, self.player.now, hub)
            except ValueError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if text:
                target = seek_target(text, self.player.now, hub)
                if isinstance(target, float):
                    self.player.seek_fraction(target)
                else:
                    self.player.seek_time(target)

        self.push_screen(TextPromptScreen("Seek", f"To a time of the recording ({hub} time: 14:30, 2026-11-23 09:00) or a share (50%)", check=check), done)


def seek_target(text: str, now: datetime, hub: str) -> float | datetime:
    """Where "seek" goes: a fraction for "40%", else a moment in the hub's zone ("14:30"
    on the day being shown, "2026-11-23 09:00"). ValueError with a sentence otherwise."""
    t = text.strip()
    if t.endswith("%"):
        try:
            value = float(t[:-1])
        except ValueError:
            raise ValueError("A share is a number followed by %, e.g. 40%.") from None
        if not 0 <= value <= 100:
            raise ValueError("A share is between 0% and 100%.")
        return value / 100
    zone = hub_zone(hub)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%H:%M", "%H:%M:%S"):
        try:
            parsed = datetime.strptime(t, fmt)
        except ValueError:
            continue
        if fmt.startswith("%H"):
            day = aware(now).astimezone(zone).date()
            parsed = datetime.combine(day, parsed.time())
        return parsed.replace(tzinfo=zone)
    raise ValueError("Type a time (14:30), a date and time (2026-11-23 09:00) or a share (40%).")
