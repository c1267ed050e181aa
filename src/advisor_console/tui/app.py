"""The Textual application: wires a Workspace to the screens.

`AdvisorApp(workspace, settings, clock=...)`:
- state: the caller normally fills it from the local cache (`client.session.open_workspace`
  calls `workspace.load_cached()`); if it is still empty at start the app calls
  `load_cached()` itself, so the first frame shows what is known offline;
- it subscribes to the workspace: each `Changes` is merged and posted to the workspace
  screen as one `StateChanged` message, so a burst of events costs one redraw;
- sync runs in a worker (group "sync") from mount until unmount;
- every "now" in the UI is `app.clock()` (tests fix it);
- themes come from themes/ and the user themes folder; the choice is remembered;
- once mounted, everything loaded so far (the state folded from the cache: tens of
  thousands of objects) is moved out of the garbage collector's sight (`gc.freeze`), so
  a full collection no longer walks it: those took 40-90 ms, mid-keystroke, at scale;
  the collector itself (off since the command started, see workstation.py) is turned back on
  after the first frame, with sync; from then on its full collections wait for a pause in
  the typing (`advisor_console.idle_gc.IdleCollector`).
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from datetime import datetime, timezone
from typing import Any, Callable

from textual import events, on
from textual.app import App
from textual.screen import Screen

from ..config import Settings, save_setting
from ..domain.reducer import Changes
from ..idle_gc import IdleCollector
from .commands import ThemeCommands
from .kept_css import KeptStylesheet
from .messages import StateChanged, merge_changes
from . import scrollbars
from .screens.workspace import WorkspaceScreen
from .themes import DEFAULT_THEME, load_themes
from .widgets.product_image import picture_mode

_STARTED = time.perf_counter()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AdvisorApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("advisor.tcss"))  # absolute: subclasses live elsewhere
    TITLE = "Advisor Console"
    COMMANDS = App.COMMANDS | {ThemeCommands}
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, workspace: Any, settings: Settings, *, clock: Callable[[], datetime] | None = None) -> None:
        self._created = time.perf_counter()
        super().__init__()
        scrollbars.install()  # every scrollbar drawn straight into strips (scrollbars.py)
        # Rules parsed at an earlier start are read back rather than parsed (kept_css.py);
        # the theme's variables are set below, before anything is parsed.
        self.stylesheet = KeptStylesheet(self.kept_css_folder(settings))
        self.workspace = workspace
        self.settings = settings
        # Asked before the app takes the terminal: how product pictures are drawn.
        self.picture_mode = picture_mode(settings.images)
        self.clock: Callable[[], datetime] = clock or _utc_now
        self._pending: Changes | None = None
        self._theme_ready = False
        self.theme_errors: list[str] = []
        self.first_frame_seconds: float | None = None  # set in on_ready (also logged)
        self.collector = IdleCollector()
        self._install_themes()
        self.sub_title = f"{workspace.me.name} · {workspace.me.hub}"

    def kept_css_folder(self, settings: Settings) -> Path | None:
        """Where parsed stylesheet rules are kept between starts (None: parse each time)."""
        return settings.resolved_data_dir / "css"

    # ---- themes -------------------------------------------------------------------------

    def _install_themes(self) -> None:
        loaded = load_themes()
        for theme in loaded.themes.values():
            self.register_theme(theme)
        self.theme_errors = list(loaded.errors)
        wanted = self.settings.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            if wanted != DEFAULT_THEME:
                self.theme_errors.append(f"Theme {wanted!r} is not installed; using {DEFAULT_THEME}.")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self._take_theme_before_running(wanted)

    def _take_theme_before_running(self, name: str) -> None:
        """What Textual's theme watcher does, without the full reparse it queues: the app has
        not run, no rule is parsed yet, so the first parse uses this theme's variables. (Set
        through the watcher, every stylesheet was parsed a second time, from scratch, before
        the first frame: some 12 ms of a start.)"""
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        classes = {cls: False for cls in self.classes if cls.startswith("-theme-")}
        classes.update({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark})
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    @property
    def current_theme(self):  # noqa: ANN201 - textual.theme.Theme
        # Asked for every line Textual draws (its ANSI theme, for tints): Textual's own
        # answer copies the dict of themes twice per ask. `theme` is always a registered
        # name (validated when set).
        theme = self._registered_themes.get(self.theme)
        return theme if theme is not None else super().current_theme

    def watch_theme(self, theme: str) -> None:
        if self._theme_ready and theme != self.settings.theme:
            self.settings.theme = theme
            try:
                save_setting("theme", theme)
            except OSError as exc:
                self.notify(f"Could not remember the theme: {exc}", severity="warning", markup=False)

    # ---- lifecycle ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        if self.workspace.me.role.value == "supervisor":
            from .screens.supervisor import SupervisorScreen

            return SupervisorScreen(self.workspace)  # team leads start on the board
        return WorkspaceScreen(self.workspace)

    def action_workspace(self) -> None:
        """From the board to the workspace (a team lead can answer too), and back."""
        below = next((s for s in self.screen_stack if isinstance(s, WorkspaceScreen)), None)
        if below is None:
            self.push_screen(WorkspaceScreen(self.workspace))

    def action_board(self) -> None:
        """The team lead's board; the server refuses it to anyone else (said in a toast)."""
        from .screens.supervisor import SupervisorScreen

        if self.workspace.me.role.value != "supervisor":
            self.notify("The board is for team leads (supervisors): your role cannot open it.", severity="warning", timeout=5)
            return
        if isinstance(self.screen, WorkspaceScreen) and any(isinstance(s, SupervisorScreen) for s in self.screen_stack):
            self.pop_screen()
        elif not isinstance(self.screen, SupervisorScreen):
            self.push_screen(SupervisorScreen(self.workspace))

    def on_mount(self) -> None:
        state = self.workspace.state
        if state.last_seq == 0 and not state.conversations:
            self.workspace.load_cached()
            self._on_changes(Changes(queue=True, connection=True, outbox=True, advisors=True))
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        self._theme_ready = True
        for error in self.theme_errors:
            self.notify(error, title="Themes", severity="warning", markup=False, timeout=8)
        self.workspace.subscribe(self._on_changes)
        gc.freeze()
        # Sync (and the HTTP client it imports) after the first frame: that frame shows
        # what the local cache holds, and needs nothing from the network.
        self.call_after_refresh(self._start_sync)

    def _start_sync(self) -> None:
        gc.enable()  # off from the start of the `advisor-console` command (see workstation.py)
        self.collector.install()
        self.set_interval(0.25, self.collector.tick, name="idle-gc")
        if not any(worker.group == "sync" for worker in self.workers):
            self.run_worker(self.workspace.start(), group="sync", exit_on_error=False, name="sync")

    def on_ready(self) -> None:
        now = time.perf_counter()
        self.first_frame_seconds = now - self._created
        self.log.info(f"first frame after {self.first_frame_seconds:.3f} s (app created), {now - _STARTED:.3f} s (module imported)")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.collector.activity_seen()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        self.collector.uninstall()
        if isinstance(self.stylesheet, KeptStylesheet):  # (a stylesheet reloaded in development is not)
            self.stylesheet.save()
        try:
            await self.workspace.stop()
        except Exception as exc:  # noqa: BLE001 - closing must not hide the real exit reason
            self.log.error(f"stopping the workspace failed: {exc!r}")

    # ---- state changes ----------------------------------------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        """Workspace listener (called on this event loop): coalesce, then post once."""
        if self._pending is None:
            self._pending = Changes()
            self.call_next(self._flush_changes)
        merge_changes(self._pending, changes)

    def _flush_changes(self) -> None:
        changes, self._pending = self._pending, None
        if changes is None:
            return
        for screen in self.screen_stack:
            if getattr(screen, "FOLLOWS_STATE", False):
                screen.post_message(StateChanged(changes))

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(dict(self.settings.keymap or {})))

    @on(StateChanged)
    def _unrouted(self, message: StateChanged) -> None:  # pragma: no cover - screens handle it
        message.stop()
