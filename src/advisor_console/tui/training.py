"""The workstation in training: the real UI on a scratch server, a scripted client (a
`Coach`) writing in, a line saying where the scenario is, and a scored debrief at the end.

ctrl+b shows the brief again; ctrl+e ends the scenario and scores it (it also ends by
itself once every turn is sent and answered).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..config import Settings
from ..training.coach import Coach, patience_left
from ..training.scenario import Debrief, Scenario
from .app import AdvisorApp
from .screens.workspace import WorkspaceScreen


class TrainingBar(Static):
    def __init__(self, coach: Coach) -> None:
        super().__init__(id="training-bar")
        self.coach = coach

    def on_mount(self) -> None:
        self.set_interval(1.0, self.show)
        self.show()

    def show(self) -> None:
        c = self.coach
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" TRAINING ", "bold reverse")
        text.append(f" {c.scenario.title} · client message {c.sent}/{len(c.scenario.turns)}")
        left = patience_left(c)
        if c.finished.is_set():
            text.append(" · finished", "bold")
        elif left is not None:
            text.append(f" · her patience: {max(0, left):.0f} s", "bold red" if left < 30 else "bold")
        text.append("  ctrl+b brief · ctrl+e end and score", "dim")
        self.update(text)


class BriefScreen(ModalScreen[bool]):
    BINDINGS = [Binding("enter,escape", "close", "Start", id="training.start")]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        s = self.scenario
        with Vertical(id="brief-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Training: {s.title}"
            yield Static(Text(s.brief.strip()))
            yield Static(Text(f"\nChannel {s.channel} · language {s.language} · her patience {s.patience_seconds:.0f} s · {s.total_points} points"), classes="dialog-hint")
            yield Static(Text("What is scored: " + "; ".join(c.title for c in s.checks)), classes="dialog-hint")
            yield Static(Text("enter: start (her first message arrives in your queue)"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(True)


class DebriefScreen(ModalScreen[None]):
    BINDINGS = [Binding("enter,escape,q", "app.quit", "Quit", id="training.quit")]

    def __init__(self, debrief: Debrief) -> None:
        super().__init__()
        self.debrief = debrief

    def compose(self) -> ComposeResult:
        d = self.debrief
        with Vertical(id="debrief-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Debrief: {d.score}/{d.scenario.total_points}"
            with VerticalScroll():
                for check, ok, why in d.results:
                    line = Text()
                    line.append("✓ " if ok else "✗ ", "bold green" if ok else "bold red")
                    line.append(f"{check.title} ", "bold")
                    line.append(f"({check.points} pt{'s' if check.points != 1 else ''})\n   ", "dim")
                    line.append(why)  # server data (product names, her messages): Text, never markup
                    yield Static(line)
            yield Static(Text("enter or q: quit"), classes="dialog-hint")


class TrainingApp(AdvisorApp):
    BINDINGS = [
        Binding("ctrl+e", "end_training", "End and score", priority=True, id="training.end"),
        Binding("ctrl+b", "brief", "Brief", priority=True, id="training.brief"),
    ]

    def __init__(self, workspace, settings: Settings, coach: Coach, **kwargs) -> None:  # noqa: ANN001
        super().__init__(workspace, settings, **kwargs)
        self.coach = coach
        self.coach.on_change = self._coach_moved
        self.debrief: Debrief | None = None
        self.title = "Advisor Console · training"

    def get_default_screen(self) -> Screen:
        return WorkspaceScreen(self.workspace, bars=(TrainingBar(self.coach),))

    def on_mount(self) -> None:
        super().on_mount()
        self.push_screen(BriefScreen(self.coach.scenario), lambda _ok: self._begin())

    def _begin(self) -> None:
        self.run_worker(self._play(), group="training", exit_on_error=False, name="coach")

    async def _play(self) -> None:
        await self.coach.run()
        await self._score()

    def _coach_moved(self) -> None:
        for bar in self.query(TrainingBar):
            bar.show()

    async def _score(self) -> None:
        if self.debrief is not None:
            return
        self.debrief = await self.coach.score()
        self.push_screen(DebriefScreen(self.debrief))

    def action_end_training(self) -> None:
        self.coach.stop()

    def action_brief(self) -> None:
        self.push_screen(BriefScreen(self.coach.scenario))

    async def on_unmount(self) -> None:
        await self.coach.close()
        await super().on_unmount()
