"""Which key does what: the key bindings, apart from the actions they trigger.

Every binding has an `id` so a user can remap it from config (`[keymap]` in config.toml:
`"workspace.claim" = "C"`), applied with `App.set_keymap`. The conversation keys are shared
by the queue and the thread (the footer shows them where they apply, and not in the
composer, where letters are text).
"""

from __future__ import annotations

from textual.binding import Binding

CONVERSATION_BINDINGS = [
    Binding("c", "screen.claim", "Claim", id="workspace.claim"),
    Binding("r", "screen.reply", "Reply", id="workspace.reply"),
    Binding("n", "screen.note", "Note", id="workspace.note"),
    Binding("l", "screen.lookbook", "Lookbook", id="workspace.lookbook"),
    Binding("R", "screen.resolve", "Resolve", id="workspace.resolve", key_display="⇧R"),
    Binding("1", "screen.tab('mine')", "Mine", id="workspace.tab_mine", show=False),
    Binding("2", "screen.tab('hub')", "Hub", id="workspace.tab_hub", show=False),
    Binding("3", "screen.tab('all')", "All", id="workspace.tab_all", show=False),
]

QUEUE_BINDINGS = [
    Binding("down,j", "cursor_down", "Next", id="queue.down", show=False),
    Binding("up,k", "cursor_up", "Previous", id="queue.up", show=False),
    Binding("enter", "select", "Open", id="queue.open"),
]

THREAD_BINDINGS = [
    Binding("j", "scroll_down", "Scroll down", id="thread.down", show=False),
    Binding("k", "scroll_up", "Scroll up", id="thread.up", show=False),
]

COMPOSER_BINDINGS = [
    Binding("ctrl+s", "send", "Send", id="composer.send"),
    Binding("ctrl+n", "toggle_mode", "Reply/Note", id="composer.toggle_mode"),
    Binding("escape", "leave", "Queue", id="composer.leave"),
]

LOOKBOOK_BINDINGS = [
    Binding("escape", "close", "Close lookbook", id="lookbook.close"),
]

LOOKBOOK_RESULT_BINDINGS = [
    Binding("enter,s", "select", "Share", id="lookbook.share"),
    Binding("down,j", "cursor_down", "Next", id="lookbook.down", show=False),
    Binding("up,k", "cursor_up", "Previous", id="lookbook.up", show=False),
]

SCREEN_BINDINGS = [
    Binding("ctrl+l", "lookbook", "Lookbook", id="workspace.lookbook_anywhere", show=False),
    Binding("ctrl+o", "focus_queue", "Queue", id="workspace.focus_queue", show=False),
]
