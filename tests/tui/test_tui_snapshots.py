"""Snapshots of the workstation at 160x48 from fixed data and a fixed clock.

Update after an intended change with `pytest tests/tui --snapshot-update`, and look at
the SVGs before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot

from tui_helpers import wait_until
from snapshot_app import make_app

SIZE = (160, 48)



def test_workspace_with_conversation_open(snap_compare) -> None:  # noqa: ANN001
    """Mine tab; Yuki Tanaka's WhatsApp thread with a note, a product card and a system event."""
    assert snap_compare(make_app(), press=["j", "enter"], terminal_size=SIZE)


def test_lookbook_open(snap_compare) -> None:  # noqa: ANN001
    """The lookbook over the conversation pane, searched for "siena", prices in yen."""

    async def search(pilot: Pilot) -> None:
        await pilot.press("j", "enter", "l", *"siena")
        lookbook = pilot.app.screen.lookbook
        await wait_until(pilot, lambda: lookbook._searched == "siena" and not lookbook.searching, what="results")

    assert snap_compare(make_app(), run_before=search, terminal_size=SIZE)


def test_wide_characters(snap_compare) -> None:  # noqa: ANN001
    """CJK, emoji ZWJ sequences, skin tones and combining marks in queue, thread and client 360;
    a client name made of terminal escapes and bidi overrides shown as placeholders (All tab)."""
    assert snap_compare(make_app(), press=["3", "j", "j", "enter"], terminal_size=SIZE)


def test_light_theme_with_note_composer(snap_compare) -> None:  # noqa: ANN001
    """advisor-light; the composer in note mode with a draft being typed."""
    assert snap_compare(make_app(theme="advisor-light"), press=["j", "enter", "n", *"Gift wrap"], terminal_size=SIZE)


def test_queue_filtered_sorted_searched_with_a_selection(snap_compare) -> None:  # noqa: ANN001
    """All tab filtered to chat and WhatsApp, sorted by priority, searched for "li", one row
    selected; the border says so; unread counts and priority marks on the rows."""

    async def setup(pilot: Pilot) -> None:
        from advisor_console.domain.queue import QueueView

        await pilot.pause()
        queue = pilot.app.screen.queue
        queue.set_view(QueueView("all", "priority", {"channel": {"chat", "whatsapp"}}))
        await pilot.pause()
        queue.list.highlighted = 0
        await pilot.press("space", "slash", *"i")
        await pilot.pause()

    assert snap_compare(make_app(), run_before=setup, terminal_size=SIZE)


def test_thread_with_quote_note_and_cards(snap_compare) -> None:  # noqa: ANN001
    """Li Wei's chat: product card, internal note, a reply quoting the client's message."""

    async def setup(pilot: Pilot) -> None:
        from tui_helpers import open_conversation

        await pilot.pause()
        await open_conversation(pilot, 4)

    assert snap_compare(make_app(), run_before=setup, terminal_size=SIZE)


def test_phone_call_note(snap_compare) -> None:  # noqa: ANN001
    """A phone conversation: the call note with its outcome, "Log call" in the footer."""

    async def setup(pilot: Pilot) -> None:
        from tui_helpers import open_conversation

        await pilot.press("3")
        await open_conversation(pilot, 3)

    assert snap_compare(make_app(), run_before=setup, terminal_size=SIZE)


def test_help_screen(snap_compare) -> None:  # noqa: ANN001
    """? lists every key, by pane."""
    assert snap_compare(make_app(), press=["question_mark"], terminal_size=SIZE)


def test_client_360_clienteling(snap_compare) -> None:  # noqa: ANN001
    """Yuki Tanaka's client 360: her local time, lifetime spend in her locale, personal
    advisor, birthday this month, contacts this month at the cap, recent conversations
    across channels (a preview with escapes shown as placeholders), shoe sizes EU/US/JP."""

    async def setup(pilot: Pilot) -> None:
        from tui_helpers import open_conversation

        await pilot.pause()
        await open_conversation(pilot, 1)

    assert snap_compare(make_app(), run_before=setup, terminal_size=SIZE)


def test_today_view(snap_compare) -> None:  # noqa: ANN001
    """ctrl+y: the day's due tasks, overdue first, due times in Tokyo and in the client's
    hub, names in Latin and native script, a title with an escape shown as a placeholder."""

    async def setup(pilot: Pilot) -> None:
        from advisor_console.tui.screens.today import TodayScreen

        await pilot.pause()
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TodayScreen), what="today view")

    assert snap_compare(make_app(), run_before=setup, terminal_size=SIZE)


def test_thread_with_tryon_card(snap_compare) -> None:  # noqa: ANN001
    """Yuki Tanaka's thread ending with a try-on selection: a card listing pieces and sizes."""
    from snapshot_app import NOW, fixed_events

    events = fixed_events()
    conv = dict(events[-1]["data"].get("conversation") or {})
    items = [
        {"sku": "SHO-0101", "name": "Duomo Loafer", "sizes": ["37", "37.5"], "price": "¥115,000"},
        {"sku": "BAG-0042", "name": "Siena Canvas Tote", "sizes": [], "price": "¥198,000"},
        {"sku": "SCA-0003", "name": "Silk Twill Scarf 絹", "sizes": [], "price": "¥58,000"},
    ]
    base = next(e for e in events if e["type"] == "conversation.created" and e["data"]["conversation"]["id"] == 1)["data"]["conversation"]
    conv = {**base, "status": "assigned", "assignee": "advisor", "last_activity_at": NOW.isoformat()}
    message = {"id": 5000, "conversation_id": 1, "kind": "reply", "body": "お試しいただけるよう、3点お送りします。", "author": "advisor", "at": NOW.isoformat(),
               "attachments": [{"type": "tryon", "name": "Try-on selection: 3 pieces", "data": {"selection_id": 7, "items": items}}]}
    events.append({"seq": 999, "type": "message.created", "at": NOW.isoformat(), "actor": "advisor", "data": {"conversation": conv, "message": message}})

    async def setup(pilot: Pilot) -> None:
        from tui_helpers import open_conversation

        await pilot.pause()
        await open_conversation(pilot, 1)

    assert snap_compare(make_app(events), run_before=setup, terminal_size=SIZE)


async def _open_detail(pilot: Pilot, query: str, down: int = 0) -> None:
    await pilot.press("j", "enter", "l", *query)
    lookbook = pilot.app.screen.lookbook
    await wait_until(pilot, lambda: lookbook._searched == query and not lookbook.searching, what="results")
    await pilot.press("enter", *(["down"] * down), "d")
    await wait_until(pilot, lambda: lookbook.has_class("-detail") and lookbook.picture_drawn, what="detail")


def test_lookbook_detail_picture_in_blocks(snap_compare) -> None:  # noqa: ANN001
    """Yuki Tanaka's conversation: the Duomo Loafer's detail, its picture as colour
    half-blocks, her size (EU 37) column and her hub (TYO) row picked out, "in her size at
    her hub" said in one line."""
    assert snap_compare(make_app(), run_before=lambda pilot: _open_detail(pilot, "duomo"), terminal_size=SIZE)


def test_lookbook_detail_text_fallback(snap_compare) -> None:  # noqa: ANN001
    """A piece without a picture (the scarf): the framed text stand-in; not in stock at her
    hub, where it is said."""
    assert snap_compare(make_app(), run_before=lambda pilot: _open_detail(pilot, "scarf"), terminal_size=SIZE)


def test_call_list(snap_compare) -> None:  # noqa: ANN001
    """ctrl+k: a segment (gold and above, bought in 12 months) with who may be contacted now
    and why not (her monthly cap, no consent on the channel); names as text."""

    async def open_list(pilot: Pilot) -> None:
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: "may be contacted" in str(pilot.app.screen.query_one("#call-list-segment").render()), what="call list")

    assert snap_compare(make_app(), run_before=open_list, terminal_size=SIZE)


def test_tryon_outcome(snap_compare) -> None:  # noqa: ANN001
    """The outcome of Yuki Tanaka's try-on: each piece and size sent, the loafer in 37 ticked kept."""

    async def outcome(pilot: Pilot) -> None:
        await pilot.press("j", "enter")
        await pilot.app.run_action("screen.tryon_outcome")
        await wait_until(pilot, lambda: pilot.app.screen.query("#tryon-picks"), what="outcome dialog")
        await pilot.press("down", "space")

    assert snap_compare(make_app(), run_before=outcome, terminal_size=SIZE)


def test_supervisor_board(snap_compare) -> None:  # noqa: ANN001
    """A team lead's board: advisors with status, load against capacity (a full one in red),
    oldest unanswered; queue depth by hub, channel and language; the charts of the last six
    hours; the conversations past their target (client names as text)."""
    from snapshot_app import SUPERVISOR

    async def board(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "board", None) is not None, what="board")
        await pilot.pause()

    assert snap_compare(make_app(me=SUPERVISOR), run_before=board, terminal_size=SIZE)


def test_replay_at_the_end(snap_compare, tmp_path) -> None:  # noqa: ANN001
    """The fixed session replayed (advisor-console replay) to its end, Yuki Tanaka's thread
    open: the same panes as live, the replay's bar, no composer (read-only)."""
    from advisor_console.replay.player import load_recording
    from advisor_console.tui.replay import ReplayApp
    from test_tui_replay import write_recording

    async def to_the_end(pilot: Pilot) -> None:
        await pilot.press("G", "1", "j", "enter")
        await pilot.pause()

    app = ReplayApp(load_recording(write_recording(tmp_path / "r.jsonl")), play=False)
    assert snap_compare(app, run_before=to_the_end, terminal_size=SIZE)
