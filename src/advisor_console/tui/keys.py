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
    Binding("z", "screen.snooze_prompt", "Snooze", id="workspace.snooze"),
    Binding("T", "screen.transfer_prompt", "Transfer", id="workspace.transfer", key_display="⇧T"),
    Binding("t", "screen.tags_prompt", "Tags", id="workspace.tags", show=False),
    Binding("p", "screen.cycle_priority", "Priority", id="workspace.priority", show=False),
    Binding("O", "screen.reopen", "Reopen", id="workspace.reopen", key_display="⇧O", show=False),
    Binding("L", "screen.call_note", "Log call", id="workspace.call_note", key_display="⇧L"),
    Binding("i", "screen.focus_client", "Client 360", id="workspace.client360", show=False),
    Binding("a", "screen.new_task", "New task", id="workspace.new_task", show=False),
    Binding("1", "screen.tab('mine')", "Mine", id="workspace.tab_mine", show=False),
    Binding("2", "screen.tab('hub')", "Hub", id="workspace.tab_hub", show=False),
    Binding("3", "screen.tab('all')", "All", id="workspace.tab_all", show=False),
]

QUEUE_BINDINGS = [
    Binding("down,j", "cursor_down", "Next", id="queue.down", show=False),
    Binding("up,k", "cursor_up", "Previous", id="queue.up", show=False),
    Binding("enter", "select", "Open", id="queue.open"),
    Binding("slash", "screen.queue_search", "Search", id="queue.search", key_display="/"),
    Binding("f", "screen.filters", "Filter", id="queue.filter"),
    Binding("o", "screen.cycle_sort", "Sort", id="queue.sort", show=False),
    Binding("u", "screen.toggle_unread", "Read/unread", id="queue.unread"),
    Binding("space", "screen.toggle_select", "Select", id="queue.select"),
    Binding("asterisk", "screen.select_all", "Select all", id="queue.select_all", key_display="*", show=False),
    Binding("escape", "screen.clear_selection", "Clear selection", id="queue.clear_selection", show=False),
]

QUEUE_SEARCH_BINDINGS = [
    Binding("escape", "screen.clear_queue_search", "Clear search", id="queue_search.clear"),
    Binding("down", "screen.focus_queue", "Rows", id="queue_search.rows", show=False),
]

THREAD_BINDINGS = [
    Binding("j", "scroll_down", "Scroll down", id="thread.down", show=False),
    Binding("k", "scroll_up", "Scroll up", id="thread.up", show=False),
    Binding("q", "screen.quote", "Quote", id="thread.quote"),
]

COMPOSER_BINDINGS = [
    Binding("ctrl+s", "send", "Send", id="composer.send"),
    Binding("ctrl+n", "toggle_mode", "Reply/Note", id="composer.toggle_mode"),
    Binding("ctrl+t", "schedule", "Send later", id="composer.schedule"),
    Binding("ctrl+r", "canned", "Canned reply", id="composer.canned"),
    Binding("ctrl+x", "drop_extras", "Drop quote/cards", id="composer.drop_extras", show=False),
    Binding("escape", "leave", "Queue", id="composer.leave"),
]

LOOKBOOK_BINDINGS = [
    Binding("escape", "close", "Back / close", id="lookbook.close"),
    Binding("d", "detail", "Detail", id="lookbook.detail"),
    Binding("f,ctrl+f", "filters", "Filter", id="lookbook.filters", key_display="f"),
    Binding("s", "share", "Share", id="lookbook.share_piece"),
    Binding("t", "screen.tryon_add", "Add to try-on", id="lookbook.tryon_add"),
    Binding("T", "screen.tryon_send", "Send try-on", id="lookbook.tryon_send", key_display="⇧T"),
]

LOOKBOOK_RESULT_BINDINGS = [
    Binding("enter", "select", "Share", id="lookbook.share"),
    Binding("right,l", "detail", "Detail", id="lookbook.detail_right", show=False),
    Binding("down,j", "cursor_down", "Next", id="lookbook.down", show=False),
    Binding("up,k", "cursor_up", "Previous", id="lookbook.up", show=False),
]

LOOKBOOK_DETAIL_BINDINGS = [
    Binding("left,h,backspace", "back", "Results", id="lookbook.back", show=False),
    Binding("down,j", "scroll_down", "Scroll down", id="lookbook.detail_down", show=False),
    Binding("up,k", "scroll_up", "Scroll up", id="lookbook.detail_up", show=False),
]

CLIENT360_BINDINGS = [
    Binding("s", "sort_purchases", "Sort purchases", id="client360.sort"),
    Binding("e", "edit_notes", "Edit notes", id="client360.notes"),
    Binding("j,down", "scroll_down", "Scroll down", id="client360.down", show=False),
    Binding("k,up", "scroll_up", "Scroll up", id="client360.up", show=False),
    Binding("escape", "screen.focus_queue", "Queue", id="client360.leave"),
]

SCREEN_BINDINGS = [
    Binding("f1,question_mark", "app.help", "Help", id="app.help", key_display="?"),
    Binding("ctrl+l", "lookbook", "Lookbook", id="workspace.lookbook_anywhere", show=False),
    Binding("ctrl+o", "focus_queue", "Queue", id="workspace.focus_queue", show=False),
    Binding("ctrl+y", "today", "Today", id="workspace.today", show=False),
    Binding("ctrl+k", "call_list", "Call list", id="workspace.call_list", show=False),
    Binding("f2", "visitors", "Live visitors", id="workspace.visitors", show=False),
]
