"""Helpers for Pilot tests: wait for a condition (never a fixed long sleep), open a
conversation as the advisor would, read the screen as text."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> None:
    # The timeout is for a failure only (a true predicate returns at once): generous, as the
    # suite runs four workers on two cores next to a live server and PostgreSQL.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


def notifications(app) -> list[str]:  # noqa: ANN001
    """Texts of the toasts currently shown."""
    return [str(n.message) for n in app._notifications]


async def open_conversation(pilot: Pilot, conversation_id: int) -> None:
    """Highlight a conversation's row in the current tab and press enter, as the advisor would."""
    queue = pilot.app.screen.queue
    queue.list.focus()
    queue.highlight(conversation_id)
    await pilot.pause()
    assert queue.highlighted_id == conversation_id, f"conversation {conversation_id} is not in the {queue.tab} tab"
    await pilot.press("enter")
    await wait_until(pilot, lambda: pilot.app.screen.open_id == conversation_id, what=f"conversation {conversation_id} open")


def screen_text(app: App, *, styles: bool = False) -> str:
    """What the screen shows, drawn afresh by the compositor; with `styles`, every cell's
    colours too (to compare a partial repaint with a full one)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=styles)


def cells(strips) -> list[list[tuple[str, object]]]:  # noqa: ANN001 - Textual Strips
    """Every cell of `strips`: its character and style (to compare two drawings)."""
    return [[(ch, segment.style) for segment in strip for ch in segment.text] for strip in strips]


@contextmanager
def textual_draws(widget) -> Iterator[list[object]]:  # noqa: ANN001 - a Widget
    """The crops Textual's own `Widget.render_lines` draws for `widget` meanwhile (a widget
    whose lines are kept draws nothing when it shows a look it had before)."""
    from textual.widget import Widget

    drawn: list[object] = []
    original = Widget.render_lines

    def counting(self, crop):  # noqa: ANN001, ANN202
        if self is widget:
            drawn.append(crop)
        return original(self, crop)

    Widget.render_lines = counting  # type: ignore[method-assign]
    try:
        yield drawn
    finally:
        Widget.render_lines = original  # type: ignore[method-assign]
