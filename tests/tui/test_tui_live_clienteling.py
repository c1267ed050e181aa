"""Clienteling against the REAL server (uvicorn on loopback, seeded SQLite) with a real
Workspace: the lookbook narrowed to her size at her hub, a piece's detail with the picture
the server draws, a try-on selection sent and its outcome recorded, a call list that
matches the server's own answer, a refusal explained, a call planned. Keys in, server
state and screen out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from advisor_console.tui.screens.call_list import CallListScreen
from advisor_console.tui.screens.prompts import ChoicesScreen, TextPromptScreen
from advisor_console.tui.screens.tryon import TryonOutcomeScreen
from conftest import LiveServer
from tui_helpers import notifications, open_conversation, screen_text, wait_until

SIZE = (160, 48)


async def _choose(pilot: Any, facet: str, value: str) -> None:
    """Click an answer of a ChoicesScreen, as the advisor would with the mouse."""
    button = next(b for b in pilot.app.screen.query_one(f"#choice-{facet}").query("RadioButton") if b.name == value)
    button.scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(button)
    await pilot.pause()
    assert button.value, f"{facet}={value} not chosen"


def _api(server: LiveServer, username: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=server.headers(username), timeout=20)


async def test_lookbook_in_her_size_detail_picture_and_tryon_outcome(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings(images="blocks"))
    api = _api(live_server, "advisor")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
        await pilot.press("2")
        await pilot.pause()
        # A queued conversation whose client gave her shoe size.
        chosen = None
        for conv in app.screen.queue.conversations():
            client = api.get(f"/api/v1/clients/{conv.client_id}").json()
            if conv.status.value == "queued" and client["sizes"].get("shoes_eu"):
                chosen, her = conv, client
                break
        assert chosen is not None, "no queued conversation in the hub with a client's shoe size"
        size, hub = her["sizes"]["shoes_eu"], her["hub"]
        await open_conversation(pilot, chosen.id)
        await pilot.press("c")
        await wait_until(pilot, lambda: ws.state.conversations[chosen.id].assignee == ws.me.username and not ws.state.pending, what="claimed")
        await wait_until(pilot, lambda: ws.cached_client_360(chosen.client_id) is not None, what="her profile")

        # The lookbook, filtered to shoes in her size at her hub.
        await pilot.press("l")
        lookbook = app.screen.lookbook
        await wait_until(pilot, lambda: lookbook._searched == "" and not lookbook.searching, what="first results")
        await pilot.press("enter")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoicesScreen), what="filters")
        await _choose(pilot, "category", "shoes")
        await _choose(pilot, "stock", "her_size")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: lookbook.filters.stock == "her_size" and not lookbook.searching and lookbook._searched is not None, what="filtered")
        await wait_until(pilot, lambda: not lookbook.searching, what="filtered results")
        assert lookbook.products, f"no shoes in {size} at {hub}"
        assert all(p.category == "shoes" and p.stock.get(size, {}).get(hub, 0) > 0 for p in lookbook.products)
        assert f"in her size at {hub}" in screen_text(app)

        # The first piece's detail: stock per hub from the server, the server's picture.
        piece = lookbook.products[0]
        lookbook.query_one("LookbookResults").focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: lookbook.has_class("-detail") and lookbook.detail is not None and lookbook.detail.sku == piece.sku, what="detail")
        server_detail = api.get(f"/api/v1/products/{piece.sku}").json()
        assert lookbook.detail.stock_by_hub == server_detail["stock_by_hub"]
        assert lookbook.picture_drawn == ("blocks" if server_detail["image"] else "text")
        text = screen_text(app)
        assert f"✓ In her size {size} at her hub {hub}" in text and f"{size}  ◂ her size" in text and f"[{hub}]" in text

        # Add it to a try-on in her size (offered first) and send the selection.
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="sizes prompt")
        assert app.screen.query_one("#prompt-input").value == size
        await pilot.press("enter")
        await pilot.press("T")
        await wait_until(pilot, lambda: not ws.state.pending, what="selection sent")

        def selections() -> list[dict[str, Any]]:
            return api.get(f"/api/v1/clients/{chosen.client_id}").json()["tryon_selections"]

        sent = selections()
        assert sent and sent[0]["status"] == "sent" and sent[0]["items"][0]["sku"] == piece.sku and sent[0]["items"][0]["sizes"] == [size]

        # What she kept: recorded from the palette's action, on the server and in her history.
        await app.run_action("screen.tryon_outcome")
        await wait_until(pilot, lambda: isinstance(app.screen, TryonOutcomeScreen), what="outcome dialog")
        await pilot.press("space", "ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, TryonOutcomeScreen) and not ws.state.pending, what="outcome saved")
        done = selections()[0]
        assert done["status"] == "kept" and done["kept"] == [{"sku": piece.sku, "size": size}]
    api.close()


async def test_call_list_matches_the_server_refuses_with_reason_and_plans_a_call(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    api = _api(live_server, "advisor")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: isinstance(app.screen, CallListScreen) and "may be contacted" in str(app.screen.query_one("#call-list-segment").render()), what="call list")
        screen = app.screen
        expected = api.get("/api/v1/clienteling/call-list", params={**{k: v for k, v in screen.segment.params(app.clock()).items() if v is not None}, "include_blocked": "true"}).json()["items"]
        assert [i.client_id for i in screen.items] == [i["client_id"] for i in expected]
        assert [i.contactable for i in screen.items] == [i["contactable"] for i in expected]

        # Widen the segment until it holds a refusal and a client who may be contacted (by
        # phone: some clients never consented to calls, whatever the day of the month).
        if all(i.contactable for i in screen.items) or not any(i.contactable for i in screen.items):
            screen.segment = type(screen.segment)(bought="365", channel="phone")
            screen.refresh_list()
            await wait_until(pilot, lambda: "may be contacted" in str(screen.query_one("#call-list-segment").render()) and "bought" in str(screen.query_one("#call-list-segment").render()), what="wider list")
            await pilot.pause(0.2)
        blocked = next(i for i, item in enumerate(screen.items) if not item.contactable)
        allowed = next(i for i, item in enumerate(screen.items) if item.contactable)

        options = screen.query_one("#call-list")
        options.highlighted = blocked
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(screen.items[blocked].reason in n for n in notifications(app)), what="reason told")
        assert isinstance(app.screen, CallListScreen)

        options.highlighted = allowed
        client = screen.items[allowed]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="when prompt")
        await pilot.press("ctrl+a", "ctrl+k", *"tomorrow 10:00", "enter")
        await wait_until(pilot, lambda: not ws.state.pending and not isinstance(app.screen, TextPromptScreen), what="task created")
        tasks = api.get(f"/api/v1/clients/{client.client_id}").json()["tasks"]
        assert any(t["kind"] == "call" and t["title"] == f"Call {client.name}" for t in tasks)
    api.close()
