"""Waiting helpers for Pilot tests: poll a condition, never sleep a fixed long time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
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
