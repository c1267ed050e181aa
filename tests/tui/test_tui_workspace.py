"""The workstation with Pilot over fixed data (no server): composer, drafts, pending sends,
keys and keymap, palette, untrusted text, wide characters, a long thread."""

from __future__ import annotations

import asyncio

from datetime import timedelta
from typing import Any

import pytest
from rich.cells import cell_len
from textual.command import CommandPalette

from advisor_console.domain import events as ev
from advisor_console.tui.widgets.composer import Composer
from advisor_console.tui.widgets.queue import QueueList
from advisor_console.tui.widgets.thread import ThreadView
from tui_helpers import open_conversation, wait_until
from tui_helpers import cells, screen_text, textual_draws
from snapshot_app import NOW, fixed_events, make_app

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def _short_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor_console.tui.widgets import composer

    monkeypatch.setattr(composer, "DRAFT_DELAY", 0.02)


def _conv_event(seq: int, conv_id: int, body: str, minutes_ago: float = 0, kind: str = "inbound", msg_id: int | None = None, name: str = "Yuki Tanaka") -> dict[str, Any]:
    at = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    conv = {
        "id": conv_id, "client_id": 101, "client_name": name, "vic_tier": "gold", "channel": "whatsapp", "status": "assigned",
        "language": "ja", "hub": "TYO", "assignee": "advisor", "created_at": at, "last_activity_at": at, "last_inbound_at": at, "preview": body[:120],
    }
    message = {"id": msg_id or 50_000 + seq, "conversation_id": conv_id, "kind": kind, "body": body, "author": "client" if kind == "inbound" else "advisor", "at": at}
    return {"seq": seq, "type": ev.MESSAGE_CREATED, "at": at, "actor": "system", "data": {"conversation": conv, "message": message}}


async def test_composer_modes_newlines_and_send() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter", "r")
        composer = app.screen.query_one(Composer)
        assert app.focused is composer and composer.border_title == "Reply to client"
        await pilot.press(*"one", "enter", *"two")
        assert composer.text == "one\ntwo"  # enter types a newline, it does not send
        await pilot.press("ctrl+n")
        assert composer.mode == "note" and composer.has_class("-note") and "NOTE" in str(composer.border_title)
        assert "Internal note" in str(composer.placeholder)
        await pilot.press("ctrl+n")
        assert composer.mode == "reply"
        await pilot.press("ctrl+s")
        assert app.workspace.commands[-1] == ("message", {"conversation_id": 1, "body": "one\ntwo", "kind": "reply", "attachments": []})
        thread = app.screen.query_one(ThreadView)
        lines = thread.plain_lines()
        assert any(line.startswith("▎ You · now  sending…") for line in lines) and "▎ one" in lines
        await pilot.press("ctrl+l")  # the lookbook from anywhere, the composer included
        assert app.screen.lookbook_open and app.focused is app.screen.query_one("#lookbook-input")
        await pilot.press("escape")
        assert not app.screen.lookbook_open and app.focused is thread


async def test_failed_send_shows_the_error_in_the_thread() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        pending = [{"key": "x1", "op": "message", "conversation_id": 1, "target_id": 1, "body": "hello", "kind": "reply", "error": "Message not sent: too long"}]
        app.workspace.feed([{"seq": 0, "type": ev.LOCAL_OUTBOX, "at": NOW.isoformat(), "actor": "local", "data": {"pending": pending}}])
        thread = app.screen.query_one(ThreadView)
        await wait_until(pilot, lambda: any("⚠ not sent: Message not sent: too long" in line for line in thread.plain_lines()), what="error shown")
        await wait_until(pilot, lambda: "1 unsent (1 failed)" in screen_text(app), what="header count")
        app.workspace.feed([{"seq": 0, "type": ev.LOCAL_CONNECTION, "at": NOW.isoformat(), "actor": "local", "data": {"state": "offline", "detail": "Connection refused. Retrying in 4 s."}}])
        await wait_until(pilot, lambda: "○ offline · 1 unsent" in screen_text(app), what="offline in the header")


async def test_drafts_are_kept_per_conversation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        composer = app.screen.query_one(Composer)
        await pilot.press("j", "enter", "r", *"draft for Yuki")
        await wait_until(pilot, lambda: app.workspace.drafts.get(1) == "draft for Yuki", what="debounced save")
        await pilot.press("escape", "k", "enter", "r")  # José
        assert composer.conversation_id == 6 and composer.text == ""
        await pilot.press(*"hola")
        await pilot.press("escape", "j", "enter")  # back to Yuki: leaving José saved his draft at once
        assert app.workspace.drafts[6] == "hola"
        assert composer.conversation_id == 1 and composer.text == "draft for Yuki"


async def test_an_empty_composer_is_not_reloaded_and_nothing_of_another_conversation_is_undone() -> None:
    """Opening conversations without drafts leaves an empty composer as it is (no reload, no
    redraw); text typed and deleted in one conversation cannot be undone back in the next."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        composer = app.screen.query_one(Composer)
        loads: list[str] = []
        original = composer.load_text

        def load_text(text: str) -> None:
            loads.append(text)
            original(text)

        composer.load_text = load_text  # type: ignore[method-assign]
        await pilot.press("j", "enter")  # Yuki: no draft
        await pilot.press("escape", "k", "enter")  # José: no draft
        assert loads == [] and composer.text == ""
        await pilot.press("r", *"secret", *["backspace"] * 6)
        assert composer.text == "" and composer.history.undo_stack
        await pilot.press("escape", "j", "enter", "r")  # Yuki again: the history goes
        assert loads == [""] and not composer.history.undo_stack
        await pilot.press("ctrl+z")
        assert composer.text == ""


async def test_live_message_updates_queue_and_open_thread_without_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        thread = app.screen.query_one(ThreadView)
        qlist = app.screen.query_one(QueueList)
        before = app.screen.queue.highlighted_id
        app.workspace.feed([_conv_event(900, 1, "新しいメッセージです")])
        await wait_until(pilot, lambda: "▎ 新しいメッセージです" in thread.plain_lines(), what="message in thread")
        assert "新しいメッセージです" in str(qlist.get_option("1").prompt)
        assert app.screen.queue.highlighted_id == before  # the highlight follows the conversation
        # a new conversation arriving does not move the highlight either
        app.workspace.feed([_conv_event(901, 77, "hello", name="New Client")])
        await pilot.press("3")
        await wait_until(pilot, lambda: "77" in [o.id for o in qlist._options], what="new row in All")
        assert app.screen.queue.highlighted_id == before


async def test_claim_and_resolve_need_confirmation_and_keys_are_remappable() -> None:
    from advisor_console.config import Settings
    from snapshot_app import FakeWorkspace

    app = make_app()
    app.settings = Settings(keymap={"workspace.claim": "C"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")  # All: Kim Seo-yeon (queued) is first
        assert app.screen.queue.highlighted_id is not None
        await pilot.press("2")
        top = app.screen.queue.list.get_option_at_index(0).id
        app.screen.queue.list.highlighted = 0
        await pilot.press("c")  # remapped: plain c does nothing now
        assert not app.workspace.commands
        await pilot.press("C")
        assert app.workspace.commands == [("claim", {"conversation_id": int(top)})]
        await pilot.press("R")
        await pilot.press("escape")
        assert [c[0] for c in app.workspace.commands] == ["claim"]
        await pilot.press("R", "y")
        assert [c[0] for c in app.workspace.commands] == ["claim", "resolve"]
    assert isinstance(app.workspace, FakeWorkspace)


async def test_palette_has_workspace_and_theme_commands() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Queue: All", "enter")
        await wait_until(pilot, lambda: app.screen.id == "workspace" and app.screen.queue.tab == "all", what="tab switched from the palette")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Theme: advisor-high", "enter")
        await wait_until(pilot, lambda: app.theme == "advisor-high-contrast", what="theme from the palette")


async def test_untrusted_text_is_never_markup() -> None:
    events = fixed_events()
    events.append(_conv_event(900, 1, "[bold red]not bold[/] [@click=app.quit]click me[/] \x1b[2J"))
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        lines = app.screen.query_one(ThreadView).plain_lines()
        assert "▎ [bold red]not bold[/] [@click=app.quit]click me[/] ␛[2J" in lines
        text = screen_text(app)
        assert "\x1b" not in text and "␛[31mEvil⟨U+202E⟩gnp.exe" not in text  # not in the Mine tab
        await pilot.press("3")
        await wait_until(pilot, lambda: "␛[31mEvil⟨U+202E⟩gnp.exe" in screen_text(app), what="escaped name in the All tab")


async def test_wide_characters_line_up() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        qlist = app.screen.query_one(QueueList)
        width = qlist.scrollable_content_region.width
        for option in qlist._options:
            for row in str(option.prompt).split("\n"):
                assert cell_len(row) == width, row  # every row, CJK/emoji/combining or not, is exactly as wide
        await pilot.press("j", "j", "enter")  # Li Wei 👩‍👩‍👧 李伟
        thread = app.screen.query_one(ThreadView)
        widths = {strip.cell_length for i in range(len(thread.blocks)) for strip in thread._block_strips(i, thread._width)}
        assert widths == {thread._width}
        card = [line for line in thread.plain_lines() if line.startswith("▎ │")]
        assert len({cell_len(line) for line in card}) == 1 and any("絹 🧣" in line for line in card)


async def test_thousand_message_thread_opens_at_the_end_and_scrolls_through() -> None:
    events = fixed_events()
    events += [_conv_event(1000 + i, 1, f"message {i} " + "lorem ipsum dolor sit amet " * (i % 7), minutes_ago=1000 - i, kind="inbound" if i % 2 else "reply") for i in range(1000)]
    app = make_app(events)
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        thread = app.screen.query_one(ThreadView)
        await wait_until(pilot, lambda: len(thread.blocks) > 1000, what="thread")
        assert thread.scroll_y == thread.max_scroll_y > 1000  # opened at the latest message
        # jump through the whole thread: each frame renders only the visible lines. How fast
        # is measured by benchmarks/tui.py at scale, not here (a shared machine's load).
        for y in range(thread.max_scroll_y, -1, -40):
            thread.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause(0)
        await pilot.press("end")
        assert thread.scroll_y == thread.max_scroll_y
        await pilot.press("home")
        assert thread.scroll_y == 0
        app.workspace.feed([_conv_event(5000, 1, "the newest")])
        await wait_until(pilot, lambda: thread.blocks[-1].body == "the newest", what="appended")


async def test_refused_session_asks_to_sign_in_again() -> None:
    from advisor_console.tui.screens.signin import SignInScreen
    from advisor_console.tui.screens.workspace import WorkspaceScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.workspace.feed([{"seq": 0, "type": ev.LOCAL_CONNECTION, "at": NOW.isoformat(), "actor": "local", "data": {"state": "signed-out", "detail": "Token expired."}}])
        await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen), what="sign-in prompt")
        await pilot.press(*"nope", "enter")
        await wait_until(pilot, lambda: "wrong password" in str(app.screen.query_one("#signin-error").render()), what="refusal shown")
        await pilot.press(*"demo", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspaceScreen) and app.workspace.state.connection == "live", what="resumed")


def test_every_binding_has_an_id_and_a_description() -> None:
    from textual.binding import Binding

    from advisor_console.tui.screens.confirm import ConfirmScreen
    from advisor_console.tui.screens.signin import SignInScreen
    from advisor_console.tui.screens.workspace import WorkspaceScreen
    from advisor_console.tui.widgets.lookbook import Lookbook, LookbookResults

    owners = [QueueList, ThreadView, Composer, Lookbook, LookbookResults, WorkspaceScreen, ConfirmScreen, SignInScreen]
    seen = 0
    for owner in owners:
        for binding in owner.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding) and binding.id and binding.description, (owner.__name__, binding)
            seen += 1
    assert seen >= 20


async def test_footer_keys_follow_the_focus() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)

        def shown() -> set[str]:
            return {b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}

        assert {"Claim", "Reply", "Note", "Lookbook", "Resolve"} <= shown() and "Send" not in shown()
        await pilot.press("r")
        assert {"Send", "Reply/Note"} <= shown() and "Claim" not in shown()
        await pilot.press("escape")
        assert "Open" in shown()  # back in the queue


async def test_time_to_first_frame_is_measured() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.first_frame_seconds is not None, what="ready")
        assert 0 < app.first_frame_seconds < 5


async def test_a_tab_switch_moves_the_underline_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys 1/2/3: the tab strip's underline is put under the new tab, never slid there (an
    animated underline redrew the strip at every frame for 0.3 s after each switch)."""
    from textual.widgets._tabs import Underline

    from advisor_console.tui.widgets.queue import QueueTabs

    slides: list[str] = []
    original = Underline.animate

    def animate(self: Underline, attribute: str, *args: Any, **kwargs: Any) -> None:
        slides.append(attribute)
        original(self, attribute, *args, **kwargs)

    monkeypatch.setattr(Underline, "animate", animate)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.screen.query_one(QueueTabs)
        underline = tabs.query_one(Underline)
        for key, tab in (("2", "hub"), ("3", "all"), ("1", "mine")):
            await pilot.press(key)
            await asyncio.sleep(0.08)
            await pilot.pause()
            active = tabs.query_one(f"#tab-{tab}")
            assert app.screen.queue.tab == tab
            assert (underline.highlight_start, underline.highlight_end) == active.virtual_region.shrink(active.styles.gutter).column_span
    assert slides == []


async def test_a_click_on_a_tab_switches_the_queue_and_only_that_tab_is_active() -> None:
    """The tab strip by mouse as by keys: a click on a tab shows its rows, and exactly one
    tab carries the active style."""
    from textual.widgets import Tab

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue = app.screen.queue
        for tab in ("hub", "all", "mine", "all"):
            await pilot.click(f"#tab-{tab}")
            await pilot.pause()
            assert queue.tab == tab
            active = [t.id for t in app.screen.query(Tab) if t.has_class("-active")]
            assert active == [f"tab-{tab}"]
            assert {c.id for c in queue.conversations()} == {int(o.id) for o in queue.list._options}


async def test_moving_the_highlight_repaints_only_its_rows_and_the_screen_is_right() -> None:
    """A move of the queue's highlight repaints the row it leaves and the row it reaches
    (not the whole list): what the terminal shows after each move, with and without
    scrolling, is what a full repaint of the list shows."""
    def shown(app) -> str:  # noqa: ANN001 - every cell with its colours
        return screen_text(app, styles=True)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")  # the All tab: more rows than the list shows
        qlist = app.screen.queue.list
        qlist.focus()
        await pilot.pause()
        repainted: list[object] = []
        original = qlist.refresh

        def counting(*regions: Any, **kwargs: Any) -> Any:
            repainted.append(regions)
            return original(*regions, **kwargs)

        qlist.refresh = counting  # type: ignore[method-assign]
        for key in ("down", "down", "up", "end", "home"):
            repainted.clear()
            before = qlist.scroll_offset.y
            await pilot.press(key)
            await pilot.pause()
            if key == "down" and qlist.scroll_offset.y == before:
                assert repainted and all(regions for regions in repainted), "a move without scrolling repainted the whole list"
            partial = shown(app)
            qlist.refresh()
            await pilot.pause()
            assert shown(app) == partial, f"after {key!r} the list differs from a full repaint"


async def test_a_focus_move_repaints_the_queues_highlighted_row_alone_and_the_screen_is_right() -> None:
    """The queue shows the focus in its highlighted row (stronger while it has the focus):
    a focus move to the thread and back repaints that row, without restyling the list
    (which repainted every line), and the screen is then what a full repaint shows."""
    from advisor_console.tui.widgets.thread import ThreadView

    def shown(app) -> str:  # noqa: ANN001 - every cell with its colours
        return screen_text(app, styles=True)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        qlist = app.screen.queue.list
        thread = app.screen.query_one(ThreadView)
        qlist.focus()
        await pilot.pause()
        focused_screen = shown(app)
        row = qlist.highlighted
        focused_style = qlist._highlight_class()
        repainted: list[tuple[Any, ...]] = []
        restyled: list[bool] = []
        original_refresh, original_restyle = qlist.refresh, qlist.update_node_styles

        def counting(*regions: Any, **kwargs: Any) -> Any:
            repainted.append(regions)
            return original_refresh(*regions, **kwargs)

        def restyle(*args: Any, **kwargs: Any) -> None:
            restyled.append(True)
            original_restyle(*args, **kwargs)

        qlist.refresh, qlist.update_node_styles = counting, restyle  # type: ignore[method-assign]
        original_update_nodes = app.stylesheet.update_nodes

        def update_nodes(nodes: Any, *args: Any, **kwargs: Any) -> None:
            nodes = list(nodes)
            restyled.extend(True for node in nodes if node is qlist)
            original_update_nodes(nodes, *args, **kwargs)

        app.stylesheet.update_nodes = update_nodes  # type: ignore[method-assign]
        for target, has_focus in ((thread, False), (qlist, True)):
            repainted.clear()
            target.focus()
            await pilot.pause()
            assert qlist.has_focus is has_focus and qlist.highlighted == row
            assert repainted and all(regions for regions in repainted), "a focus move repainted the whole list"
            assert not restyled, "a focus move restyled the list"
            partial = shown(app)
            original_refresh()
            await pilot.pause()
            assert shown(app) == partial, "the list differs from a full repaint"
            if not has_focus:
                assert qlist._highlight_class() != focused_style and partial != focused_screen
        assert shown(app) == focused_screen


async def test_panes_kept_lines_are_what_textual_draws_through_focus_moves_themes_and_sizes() -> None:
    """A pane's own lines (border, title, background) are kept per look (focus.KeptLines):
    after focus moves back and forth, a theme change and a resize, every pane's kept lines
    are cell for cell what Textual draws for it afresh, and a move back to a look is not
    drawn again."""
    from textual.geometry import Region
    from textual.widget import Widget

    from advisor_console.tui.widgets.lines import KeptLines
    from advisor_console.tui.widgets.thread import ThreadView

    def check(app) -> None:  # noqa: ANN001
        panes = [w for w in app.screen.walk_children() if isinstance(w, KeptLines) and w.display]
        assert len(panes) >= 3
        for pane in panes:
            whole = Region(0, 0, *pane.region.size)
            for crop in (whole, Region(0, 1, whole.width, 3), Region(2, 0, max(1, whole.width - 4), whole.height)):
                kept = cells(pane.render_lines(crop))
                pane.refresh()
                assert kept == cells(Widget.render_lines(pane, crop)), (type(pane).__name__, crop)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        thread, qlist = app.screen.query_one(ThreadView), app.screen.queue.list
        for target in (qlist, thread, qlist):
            target.focus()
            await pilot.pause()
            check(app)
        with textual_draws(app.screen.queue) as drawn:
            thread.focus()
            await pilot.pause()
            qlist.focus()
            await pilot.pause()
        assert drawn == [], "a look the queue pane had before was drawn again"
        app.theme = "textual-light"
        await pilot.pause()
        check(app)
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        check(app)


async def test_lines_drawn_directly_are_what_textual_draws() -> None:
    """The queue list, the lookbook's results and the thread make their lines without
    Textual's line pipeline (focus.DirectLines): cell for cell what Textual draws for them,
    kept or drawn afresh, whole or cropped, focused or not, scrolled, in two themes; with a
    style the direct path does not draw (padding, tint, opacity), Textual draws."""
    from textual.color import Color
    from textual.filter import Monochrome
    from textual.geometry import Region
    from textual.widget import Widget

    from advisor_console.tui.widgets.lines import DirectLines

    def check(app) -> int:  # noqa: ANN001
        widgets = [w for w in app.screen.walk_children() if isinstance(w, DirectLines) and w.display and w.region.area]
        for widget in widgets:
            whole = Region(0, 0, *widget.region.size)
            for crop in (whole, Region(0, 1, whole.width, 3), Region(2, 0, max(1, whole.width - 4), whole.height)):
                drawn = cells(widget.render_lines(crop))  # lines kept from what was drawn so far
                widget._styles_cache.clear()
                widget.render_lines(whole)  # every line made directly, and kept
                kept = cells(widget.render_lines(crop))
                widget._styles_cache.clear()
                direct = cells(widget.render_lines(crop))  # made afresh
                widget._styles_cache.clear()
                assert drawn == kept == direct == cells(Widget.render_lines(widget, crop)), (type(widget).__name__, crop)
        return len(widgets)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        thread, qlist = app.screen.query_one(ThreadView), app.screen.queue.list
        assert thread._drawn_directly() and qlist._drawn_directly()
        for target in (qlist, thread):
            target.focus()
            await pilot.pause()
            assert check(app) >= 2
        thread.scroll_to(y=2, animate=False, immediate=True)
        await pilot.press("3")
        qlist.scroll_to(y=1, animate=False, immediate=True)
        await pilot.pause()
        check(app)
        await pilot.press("l")  # the lookbook: its results list
        await wait_until(pilot, lambda: app.screen.lookbook_open and app.screen.lookbook.products, what="lookbook results")
        assert check(app) >= 2
        await pilot.press("escape")
        app.theme = "textual-light"
        await pilot.pause()
        check(app)
        app._filters.append(Monochrome())  # a line filter (NO_COLOR's): applied to the kept lines as Textual does
        app.refresh(repaint=True)
        await pilot.pause()
        check(app)
        app._filters.pop()
        for name, value in (("padding", (0, 1)), ("tint", Color(200, 0, 0, 0.3)), ("opacity", 0.5)):
            setattr(thread.styles, name, value)
            await pilot.pause()
            assert not thread._drawn_directly(), name
            check(app)
            thread.styles.clear_rule(name)
            await pilot.pause()
        assert thread._drawn_directly()


async def test_the_client_360_draws_a_client_shown_before_from_its_kept_lines() -> None:
    """Back to a conversation whose client was shown: the profile's lines are the kept ones
    (nothing drawn), and they are what Textual draws for it; a changed profile is drawn."""
    from textual.geometry import Region
    from textual.widget import Widget

    from advisor_console.tui.widgets.client360 import Client360Body, Client360Pane

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        body = app.screen.query_one(Client360Body)
        await pilot.press("j", "enter")  # Yuki
        await pilot.pause()
        yuki = screen_text(app, styles=True)
        await pilot.press("escape", "k", "enter")  # José
        await pilot.pause()
        with textual_draws(body) as drawn:
            await pilot.press("escape", "j", "enter")  # Yuki again
            await pilot.pause()
        assert drawn == [], "a profile shown before was drawn again"
        assert screen_text(app, styles=True) == yuki
        whole = Region(0, 0, *body.region.size)
        kept = cells(body.render_lines(whole))
        body.refresh()
        assert kept == cells(Widget.render_lines(body, whole))
        pane = app.screen.query_one(Client360Pane)
        pane.client = pane.client.model_copy(update={"notes": "Prefers the Tokyo boutique."})
        pane._show()
        await pilot.pause()
        assert "Prefers the Tokyo boutique." in screen_text(app)


async def test_a_client_profile_is_rendered_once_to_measure_and_draw() -> None:
    """The first showing of a client renders her profile once (Textual renders a Rich
    renderable to measure it, then again to draw it), and the height and lines are
    Textual's own, at several widths."""
    from textual.visual import RenderOptions, RichVisual

    from advisor_console.tui.widgets.client360 import Client360Body, KeptProfile

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        body = app.screen.query_one(Client360Body)
        rendered: list[object] = []  # Textual's renders of a Rich renderable (to measure, to draw)
        measure, draw = RichVisual.get_height, RichVisual.render_strips

        def measuring(self, rules, width):  # noqa: ANN001, ANN202
            rendered.append(self._renderable)
            return measure(self, rules, width)

        def drawing(self, width, height, style, options):  # noqa: ANN001, ANN202
            rendered.append(self._renderable)
            return draw(self, width, height, style, options)

        RichVisual.get_height, RichVisual.render_strips = measuring, drawing
        try:
            await pilot.press("j", "enter")  # Yuki, shown for the first time
            await pilot.pause()
        finally:
            RichVisual.get_height, RichVisual.render_strips = measure, draw
        profile = body.visual
        assert isinstance(profile, KeptProfile)
        assert rendered.count(profile._renderable) == 1, "the profile was rendered more than once"
        style = body.visual_style
        options = RenderOptions(body._get_style, body.styles)
        for width in (20, 33, 41, 60):
            fresh = RichVisual(body, profile._renderable)
            height = fresh.get_height(body.styles, width)
            assert profile.get_height(body.styles, width) == height, width
            assert cells(profile.render_strips(width, height, style, options)) == cells(fresh.render_strips(width, height, style, options)), width


async def test_queue_rows_are_made_as_they_come_on_screen() -> None:
    """A refill of the queue makes the rows on screen, not the hundreds below them: those
    are made when scrolled to (or read), and then show what they would have shown."""
    app = make_app()
    async with app.run_test(size=(120, 14)) as pilot:  # a short list: rows below it
        await pilot.press("3")  # the All tab: more rows than the list shows
        await pilot.pause()
        qlist = app.screen.queue.list
        rows = [qlist.get_option_at_index(i).prompt for i in range(qlist.option_count)]
        assert len(rows) * 2 > qlist.size.height  # more than fit
        made = [row._make is None for row in rows]
        top = qlist.scroll_offset.y // 2
        on_screen = range(top, min(len(rows), top + qlist.size.height // 2))
        assert all(made[i] for i in on_screen) and not all(made)
        last = qlist.option_count - 1
        qlist.focus()
        await pilot.press("end")
        await pilot.pause()
        assert rows[last]._make is None  # drawn: made
        conv = app.screen.queue.conversations()[last]
        assert conv.client_name.split()[0] in rows[last].plain and rows[last].lines == 2
        assert conv.client_name.split()[0] in screen_text(app)


def test_a_list_row_draws_the_cells_content_would() -> None:
    """TextRow draws its lines with Rich: each cell has the character and the style that
    Textual's own Content drawing gives (spans, wide characters, the base style under them,
    the padding to the width), for one and two lines."""
    from rich.console import Console
    from rich.style import Style as RichStyle
    from rich.text import Text
    from textual.content import Content
    from textual.style import Style
    from textual.visual import RenderOptions

    from advisor_console.tui.widgets.rows import TextRow

    def cells(strips: list[Any]) -> list[list[tuple[str, Any]]]:
        # Content also marks each cell's offset (meta, for text selection, which a list
        # does not allow); OptionList pads each line to the width and adds the option's own.
        padded = [strip.crop_extend(0, 40, base.rich_style) for strip in strips]
        def look(st: Any) -> RichStyle:
            return RichStyle(color=st.color, bgcolor=st.bgcolor, bold=st.bold, italic=st.italic, underline=st.underline)

        return [[(ch, look(seg.style)) for seg in strip for ch in seg.text] for strip in padded]

    console = Console(width=80, color_system="truecolor", force_terminal=True)
    base = Style.parse("#e0e0e0 on #202020")
    line1 = Text("✆ ", RichStyle(color="#8080ff"))
    line1.append("Kim Seo-yeon 김서연", RichStyle(color="#ffffff", bold=True))
    line1.append("  12m ◆", RichStyle(color="#a0a0a0", italic=True))
    line2 = Text("  Hola, ¿tienen el cinturón en café?", RichStyle(color="#909090"))
    for text in (line1, Text("\n").join([line1, line2])):
        row = TextRow(text, console)
        lazy = TextRow(lambda t=text: t, console, lines=text.plain.count("\n") + 1)
        expected = Content.from_rich_text(text, console=console).render_strips(40, None, base, RenderOptions(None, {}))  # type: ignore[arg-type]
        for drawn in (row._draw(40, None, base), lazy._draw(40, None, base)):
            assert [s.cell_length for s in drawn] == [40] * len(expected)
            assert cells(drawn) == cells(expected)
