"""The live visitors pane (issue 10) against the REAL server, by Pilot: a visitor arrives
on the chat page's API and views products; the pane (F2) shows her, what she looks at and
what she viewed; `i` invites her, and her page gets the invitation from the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from advisor_console.tui.screens.prompts import TextPromptScreen
from advisor_console.tui.screens.visitors import VisitorsScreen
from conftest import LiveServer
from tui_helpers import screen_text, wait_until

SIZE = (160, 48)


async def test_live_visitors_and_an_invitation(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("advisor"), timeout=20) as adv:
        products = adv.get("/api/v1/products", params={"limit": 2}).json()["items"]
    session = httpx.post(f"{live_server.url}/api/v1/visitor/session", json={"locale": "ja-JP"}, timeout=20).json()
    visitor = httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {session['token']}"}, timeout=20)
    for p in products:
        visitor.post("/api/v1/visitor/view", json={"sku": p["sku"]}).raise_for_status()

    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, VisitorsScreen) and app.screen.visitors, what="visitors")
        screen = app.screen
        me = next(i for i, v in enumerate(screen.visitors) if v.id == session["visitor_id"])
        await wait_until(pilot, lambda: products[1]["name"][:20] in screen_text(app), what="her product on screen")
        assert "first visit" in screen_text(app)
        screen.query_one("#visitors-list").highlighted = me
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="invitation prompt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not ws.state.pending, what="invitation sent")
        answer = httpx.post(f"{live_server.url}/api/v1/visitor/session", json={}, headers={"Authorization": f"Bearer {session['token']}"}, timeout=20).json()
        assert answer["invitation"]["status"] == "pending" and answer["invitation"]["message"] == "May I help you? — Aiko"
        await wait_until(pilot, lambda: "invited by Aiko Mori (pending)" in screen_text(app), timeout=10, what="the invitation on the pane")
    visitor.close()
