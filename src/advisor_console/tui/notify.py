"""Never miss a message: a client message in a conversation that is not on screen rings
the terminal bell, shows a toast and, where the terminal supports it, raises a desktop
notification, as the advisor's settings say (scope: mine / hub / all; each channel on or
off). The queue's unread badges come from the read marks, not from here.

Desktop notifications are escape sequences some terminals turn into system notifications:
OSC 9 (iTerm2, WezTerm, Windows Terminal, foot, Ghostty) and OSC 777 (kitty also reads
OSC 99, but understands 777's sibling poorly, so it gets OSC 9 too). The text in them is
the client's name only, stripped of anything but printable characters, never her words:
a sequence must not be breakable by what a client writes.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from .format import aware
from .safe import safe_line

# Terminals known to turn OSC 9 into a desktop notification.
_OSC9_TERMINALS = ("iTerm.app", "WezTerm", "ghostty", "vscode")
STALE = timedelta(minutes=10)  # older client messages (a catch-up) ring no bell
STALE = timedelta(minutes=10)  # older client messages (a catch-up) ring no bell
MAX_TOASTS = 3  # per burst; more become one summary toast


def desktop_supported(env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ if env is None else env)
    return env.get("TERM_PROGRAM", "") in _OSC9_TERMINALS or "WT_SESSION" in env or env.get("TERM", "").startswith(("foot", "xterm-kitty", "xterm-ghostty"))


def osc9(text: str) -> str:
    """The desktop notification sequence for `text` (printable characters only)."""
    clean = "".join(ch for ch in safe_line(text) if ch.isprintable() and ch not in "\x1b\x07\x9c")[:120]
    return f"\x1b]9;{clean}\x07"


class Notifier:
    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.sent_desktop: list[str] = []  # what went to the terminal (tests read it)

    def in_scope(self, conv: Any, scope: str) -> bool:
        me = self.screen.workspace.me
        if scope == "all":
            return True
        if scope == "hub":
            return conv.hub == me.hub or conv.assignee == me.username
        return conv.assignee == me.username

    def new_messages(self, new: list[tuple[int, int]], open_id: int | None) -> None:
        """Tell the advisor of client messages that arrived outside the open conversation."""
        workspace = self.screen.workspace
        settings = workspace.notification_settings()
        state = workspace.state
        hits: list[tuple[Any, Any]] = []
        for cid, mid in new:
            if cid == open_id:
                continue
            conv = state.conversations.get(cid)
            if conv is None or not self.in_scope(conv, settings.scope):
                continue
            message = next((m for m in reversed(state.threads.get(cid, [])) if m.id == mid), None)
            if message is None or message.kind.value != "inbound":
                continue
            if aware(message.at) < aware(self.screen.app.clock()) - STALE:
                continue  # caught up after a while away: in the unread counts, not a ringing bell
            hits.append((conv, message))
        if not hits:
            return
        app = self.screen.app
        if settings.bell:
            app.bell()
        if settings.toast:
            for conv, message in hits[:MAX_TOASTS]:
                app.notify(safe_line(message.body)[:140], title=f"✉ {safe_line(conv.client_name)}", markup=False, timeout=6)
            if len(hits) > MAX_TOASTS:
                app.notify(f"and {len(hits) - MAX_TOASTS} more new messages", markup=False, timeout=6)
        if settings.desktop and desktop_supported():
            names = ", ".join(dict.fromkeys(conv.client_name for conv, _ in hits))
            self._desktop(f"New message: {names}")

    def _desktop(self, text: str) -> None:
        sequence = osc9(text)
        self.sent_desktop.append(sequence)
        driver = getattr(self.screen.app, "_driver", None)
        if driver is not None and not getattr(self.screen.app, "is_headless", False):
            try:
                driver.write(sequence)
                driver.flush()
            except Exception:  # noqa: BLE001 - a notification must never break the app
                pass
