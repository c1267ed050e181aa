"""Command palette providers, one per area: workspace, lookbook, themes."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from ..domain.models import HUBS
from .safe import safe_line

if TYPE_CHECKING:
    from .screens.workspace import WorkspaceScreen

# (action, title, help): what the workspace can do; the keys live in keys.py.
WORKSPACE_COMMANDS = [
    ("claim", "Claim conversation", "Take the highlighted or open conversation (c)"),
    ("reply", "Reply", "Write to the client in the composer (r)"),
    ("note", "Internal note", "Write a note only advisors see (n)"),
    ("resolve", "Resolve conversation", "Close the open conversation, after a confirmation (shift+r)"),
    ("snooze(1)", "Snooze 1 hour", "Hide the conversation from the queue for an hour"),
    ("snooze(4)", "Snooze 4 hours", "Hide the conversation from the queue for four hours"),
    ("snooze(24)", "Snooze until tomorrow", "Hide the conversation from the queue for a day"),
    *((f"transfer('{code}')", f"Transfer to {hub.name}", f"Hand the conversation to the {hub.name} hub") for code, hub in HUBS.items()),
    ("tab('mine')", "Queue: Mine", "Conversations assigned to you (1)"),
    ("tab('hub')", "Queue: Hub", "Open conversations of your hub (2)"),
    ("tab('all')", "Queue: All", "Every conversation you can see (3)"),
    ("snooze_prompt", "Snooze until…", "Hide the conversation until a time you type; it comes back by itself (z)"),
    ("transfer_prompt", "Transfer to an advisor or hub…", "Hand the conversation over, with a note (shift+t)"),
    ("reopen", "Reopen conversation", "Bring a resolved conversation back (shift+o)"),
    ("cycle_priority", "Change priority", "Normal → high → urgent → critical (p)"),
    ("tags_prompt", "Edit tags…", "Tag the conversation, or add tags to the selection (t)"),
    ("call_note", "Log a call…", "A phone call's outcome and notes, and a callback (shift+l)"),
    ("quote", "Quote a message…", "Reply quoting one of the thread's messages (q in the thread)"),
    ("toggle_unread", "Mark read / unread", "The highlighted or selected conversations (u)"),
    ("toggle_select", "Select conversation", "Add the highlighted row to the selection for a bulk action (space)"),
    ("select_all", "Select all shown", "Select every row the queue shows (*)"),
    ("clear_selection", "Clear the selection", "Unselect every row (escape)"),
    ("queue_search", "Search the queue", "Find clients by name, in Latin or native script (/)"),
    ("filters", "Filter and sort the queue…", "Channel, language, stage, VIC tier, status; sort (f)"),
    ("cycle_sort", "Change the queue's sort", "Longest waiting → priority → last activity (o)"),
    *((f"notify_scope('{scope}')", f"Notifications: {label}", f"Be told of new client messages in {label}") for scope, label in (("mine", "my conversations"), ("hub", "my hub's conversations"), ("all", "every conversation I see"))),
    *((f"notify_toggle('{name}')", f"Notifications: turn {name} on/off", f"The {name} for new client messages") for name in ("bell", "toast", "desktop")),
    ("app.help", "Help: every key", "The keys of every pane (? or F1)"),
    ("visitors", "Live visitors on the website…", "Who is browsing what, for how long, returning or VIC; i invites her to chat (F2)"),
    ("call_client", "Call her (click-to-call)", "Dial the open conversation's client with the click_to_call handler (tel: URL or a command), unless she refused calls; then shift+L logs it"),
    ("retry_delivery", "Retry: send again what the channel refused", "Replies WhatsApp (or another channel) refused in the open conversation: ✗ failed in the thread"),
    ("retry_failed", "Retry failed sends", "Send again what the server refused (e.g. after a colleague released a claim)"),
    ("discard_failed", "Discard failed sends", "Drop what the server refused from the outbox"),
    ("sign_in", "Sign in again", "The server refused the session: sign in to resume sync"),
    ("focus_queue", "Focus the queue", "Move the focus to the queue (ctrl+o)"),
    ("tryon_add", "Try-on: add the highlighted piece…", "Add the lookbook's highlighted piece to the try-on selection, with sizes (t in the lookbook)"),
    ("tryon_send", "Send try-on selection", "Send the pieces chosen to try to the client of the open conversation (shift+t in the lookbook)"),
    ("today", "Today: my due tasks", "Calls, follow-ups and appointments due today, overdue first, in your time and hers (ctrl+y)"),
    ("call_list", "Call list: clients to contact…", "A segment (bought lately, VIC tier, line, no contact for N days, birthday) filtered by consent and her monthly cap (ctrl+k)"),
    ("app.board", "Supervisor: the team board", "Team leads: every advisor's load, queues by hub, channel and language, late conversations, charts; reassign, monitor, whisper (ctrl+w back)"),
    ("new_task", "New task for this client…", "A call, a follow-up, an appointment in store or by video, due in your time and hers (a)"),
    ("focus_client", "Client 360: focus (sort purchases, edit notes)", "Move to the client's profile: s sorts her purchases, e edits the notes (i)"),
    ("tryon_outcome", "Try-on: what she kept…", "Record what the open conversation's client kept and sent back from her latest try-on selection"),
]

LOOKBOOK_COMMANDS = [
    ("lookbook", "Open the lookbook", "Search the catalogue and share a piece (l, ctrl+l)"),
    ("lookbook_filters", "Lookbook: filter…", "Category, season, iconic or seasonal, in stock at a hub, in her size at her hub (f in the lookbook)"),
]


def highlight_plain(matcher: Matcher, candidate: str) -> Content:
    """Like `Matcher.highlight`, but never reads `candidate` as markup (it may hold a
    client's name: "[@click=…]" must stay text)."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if score:
        for offset in offsets:
            if not candidate[offset].isspace():
                content = content.stylize("bold underline", offset, offset + 1)
    return content


class _ActionProvider(Provider):
    commands: list[tuple[str, str, str]] = []

    def _available(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        out = []
        for action, title, help_text in self.commands:
            name, _, args = action.partition("(")
            params = tuple(a.strip("'\" )") for a in args.split(",")) if args else ()
            if screen.check_action(name, params):
                out.append((action, title, help_text))
        return out

    def _run(self, action: str) -> None:
        self.app.call_later(self.screen.run_action, action)

    async def discover(self) -> Hits:
        for action, title, help_text in self._available():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, title, help_text in self._available():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), help=help_text)


class WorkspaceCommands(_ActionProvider):
    """Workspace actions, and "Open <client>" for every conversation in the queue."""

    commands = WORKSPACE_COMMANDS

    async def search(self, query: str) -> Hits:
        async for hit in super().search(query):
            yield hit
        screen: WorkspaceScreen = self.screen  # type: ignore[assignment]
        matcher = self.matcher(query)
        for conv in list(screen.workspace.state.conversations.values()):
            label = f"Open {safe_line(conv.client_name)}"
            if conv.client_native_name:
                label += f" {safe_line(conv.client_native_name)}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score * 0.9, highlight_plain(matcher, label), partial(screen.open_conversation, conv.id), text=label, help=f"{conv.channel.value} · {conv.status.value}")


class LookbookCommands(_ActionProvider):
    commands = LOOKBOOK_COMMANDS


class ThemeCommands(Provider):
    """"Theme: <name>" for every registered theme (the app remembers the choice)."""

    def _themes(self) -> list[str]:
        return sorted(self.app.available_themes)

    def _set(self, name: str) -> None:
        self.app.theme = name

    async def discover(self) -> Hits:
        for name in self._themes():
            if name.startswith("advisor-"):
                yield DiscoveryHit(Content(f"Theme: {name}"), partial(self._set, name), text=f"Theme: {name}", help="Switch the colour theme")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._themes():
            title = f"Theme: {name}"
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, highlight_plain(matcher, title), partial(self._set, name), text=title, help="Switch the colour theme")


__all__ = ["WorkspaceCommands", "LookbookCommands", "ThemeCommands"]
