"""Screens of the workstation, one module each; `StyledOnMount`, shared by the start screens."""

from __future__ import annotations

from textual import events


class StyledOnMount:
    """Mixin for a Screen: its first resume does not restyle every widget again.

    Textual restyles the whole screen on every ScreenResume, the first one included, when
    each widget was styled a moment before, as it was mounted: on the workspace (some 66
    widgets, a stylesheet of 20 kB) a second full pass over the rules before the first
    frame. Later resumes (back from a dialog, after a theme change) restyle as Textual does.
    """

    _resumed_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Called before Screen._on_screen_resume (handlers run down the class's MRO).
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False
