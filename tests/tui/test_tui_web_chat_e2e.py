"""End to end (issue 10): a visitor writes on the web chat page in headless Chromium
(Debian's, driven by playwright) against the real server, while the workstation answers
through Pilot: her message arrives in the advisor's queue, the advisor opens, claims and
types (she sees "typing"), sends, and the answer appears on her page live; her page's
receipt comes back: the thread shows it delivered, then read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from conftest import LiveServer
from support import CHROMIUM, CHROMIUM_ARGS, chromium_skip_reason
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)
pytestmark = pytest.mark.skipif(chromium_skip_reason() is not None, reason=chromium_skip_reason() or "")


async def test_visitor_in_chromium_and_the_workstation_answering(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    from playwright.async_api import async_playwright

    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(locale="ja-JP")  # Tokyo's queue: the advisor's hub
            page = await context.new_page()
            page.set_default_timeout(15_000)
            async with app.run_test(size=SIZE) as pilot:
                await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
                await page.goto(f"{live_server.url}/chat")
                await page.locator("#status").filter(has_text="online").wait_for()
                await page.locator("#input").fill("Bonsoir, do you have the Duomo loafer in 37?")
                await page.locator("#send").click()
                await page.locator("#messages li.inbound").filter(has_text="Duomo loafer").wait_for()

                def arrived() -> Any:
                    return next((c for c in ws.state.conversations.values() if c.channel.value == "chat" and c.preview.startswith("Bonsoir, do you have")), None)

                await wait_until(pilot, arrived, timeout=15, what="her message in the queue")
                conv = arrived()
                await pilot.press("2")
                await open_conversation(pilot, conv.id)
                await pilot.press("c")
                await wait_until(pilot, lambda: ws.state.conversations[conv.id].assignee == "advisor" and not ws.state.pending, what="claimed")
                await pilot.press("r", *"Good evening")
                await page.locator("#typing").filter(has_text="Aiko Mori is typing").wait_for()
                await pilot.press(*", yes: two pairs in 37 in Ginza.", "ctrl+s")
                reply = page.locator("#messages li.reply")
                await reply.wait_for()
                text = await reply.inner_text()
                assert "Good evening, yes: two pairs in 37 in Ginza." in text and "Aiko Mori" in text
                # Her page showed it: the workstation's thread says it was read, live.
                def mine() -> Any:
                    return next((m for m in ws.state.threads.get(conv.id, []) if m.kind.value == "reply"), None)

                await wait_until(pilot, lambda: mine() is not None and mine().delivery == "read", timeout=15, what="read receipt")
                await wait_until(pilot, lambda: "✓✓ read" in screen_text(app), what="✓✓ read in the thread")
            await context.close()
        finally:
            await browser.close()
