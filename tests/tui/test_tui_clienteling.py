"""Clienteling in the workstation (issue 5), over fixed data (snapshot_app) and a fixed
clock: the client 360 extras, consent explained in the composer, the Today view and
try-on selections."""

from __future__ import annotations

import re
from typing import Any

from snapshot_app import make_app
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)


def _commands(app: Any, op: str) -> list[dict[str, Any]]:
    return [payload for name, payload in app.workspace.commands if name == op]


def _client360_text(app: Any) -> str:
    """The whole client 360 pane as text (it scrolls: the screen shows only its top)."""
    import io

    from rich.console import Console

    from advisor_console.tui.widgets.client360 import Client360Pane

    pane = app.screen.query_one(Client360Pane)
    console = Console(width=pane.content_region.width, file=io.StringIO(), record=True)
    console.print(pane.render_client(pane.client))
    return console.export_text(styles=False)


async def test_client_360_shows_local_time_advisor_birthday_contacts_and_recent_conversations() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_conversation(pilot, 1)
        await wait_until(pilot, lambda: "Yuki Tanaka" in screen_text(app), what="client 360")
        text = _client360_text(app)
        assert "Her time Mon 18:00" in text and "Asia/Tokyo" in text
        assert "Lifetime spend ￥493,000" in text
        assert "Personal advisor Aiko Mori (you)" in text
        assert "Birthday 29 November" in text and "this month" in text
        assert "contacted 2/2 this month · last 1h ago" in text
        assert "Recent conversations" in text and "✉ email · ✓ resolved · 31d ago" in text
        assert re.search(r"shoes +EU 37 · US 6.5 · JP 23.5", text)
        # The preview is the client's text: escapes and bidi overrides become placeholders.
        assert "\x1b" not in text and "␛[31mscarf⟨U+202E⟩" in text.replace("\n", "")


async def test_client_360_local_time_follows_her_country() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        await open_conversation(pilot, 2)  # Marco Rossi, Italy, served by Tokyo
        await wait_until(pilot, lambda: "Marco Rossi" in screen_text(app), what="client 360")
        text = _client360_text(app)
        assert "Her time Mon 10:00" in text and "Europe/Rome" in text
        assert "Personal advisor none" in text and "Birthday" not in text
