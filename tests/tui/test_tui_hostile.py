"""Hostile client text through the whole chain: posted to the real server as a client's
messages and names, synced by a real Workspace, drawn by the workstation. What reaches the
terminal holds no markup effect, escape sequence, control character or reordering trick."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import httpx

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from conftest import LiveServer
from hostile import HOSTILE
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)
BIDI_AND_INVISIBLE = {0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200B, 0x2060, 0xFEFF, 0x200E, 0x200F}


def _offending(text: str) -> list[str]:
    bad = []
    for ch in text:
        cp = ord(ch)
        if ch == "\n":
            continue
        if cp < 0x20 or cp == 0x7F or 0x80 <= cp <= 0x9F or cp in BIDI_AND_INVISIBLE or 0xE0000 <= cp <= 0xE007F and cp != 0xE007F:
            bad.append(f"U+{cp:04X}")
        elif unicodedata.category(ch) == "Cs":
            bad.append(f"surrogate U+{cp:04X}")
    return bad


async def test_hostile_text_never_reaches_the_terminal_raw(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    advisor = live_server.account("advisor", "TYO")
    sup = live_server.headers("supervisor")
    conv = httpx.get(f"{live_server.url}/api/v1/conversations", params={"hub": "TYO", "status": "queued", "channel": "chat", "limit": 1}, headers=sup).json()["items"][0]
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("channel-sim"), timeout=30) as ch:
        for text in HOSTILE:
            if "\x00" in text:
                continue  # refused by the server (tested in test_limits)
            ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": conv["client_id"], "body": text}).raise_for_status()
        for i, text in enumerate(HOSTILE[:12]):  # hostile names too, as new contacts of the Tokyo hub
            ch.post("/api/v1/inbound", json={"channel": "whatsapp", "contact": {"name": text[:200], "phone": f"+8190{i:07d}", "country": "JP"}, "body": "hello"}).raise_for_status()

    ws = make_workspace(advisor["username"])
    app = AdvisorApp(ws, Settings())
    screens: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: ws.state.connection == "live" and len(ws.state.threads.get(conv["id"], [])) >= len(HOSTILE) - 1, timeout=20, what="synced")
        await pilot.press("2")
        await pilot.pause()
        await open_conversation(pilot, conv["id"])
        screens.append(screen_text(app))
        # Read the whole thread, page by page, as the advisor would.
        for _ in range(60):
            await pilot.press("pageup")
            await pilot.pause()
            screens.append(screen_text(app))
        # Walk the queue, where hostile names and previews are listed.
        await pilot.press("ctrl+o")
        for _ in range(40):
            await pilot.press("j")
            screens.append(screen_text(app))
    everything = "\n".join(screens)
    offending = sorted(set(_offending(everything)))
    assert not offending, f"raw controls reached the screen: {offending}"
    # Markup is shown as text, not applied; controls show as visible placeholders.
    assert "[bold red]URGENT[/bold red]" in everything
    assert "[link=https://evil.example]click me[/link]" in everything
    assert "␛" in everything and "⟨U+202E⟩" in everything
    assert "👩‍👩‍👧" in everything and "田中 由紀" in everything
