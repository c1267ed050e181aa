"""The advisor's day against the REAL server (uvicorn on loopback, seeded SQLite) with a real
Workspace: priority and tags, a snooze that wakes by itself, a reply scheduled with the
keyboard and sent by the server once, a canned reply from the server's catalogue, a
colleague's presence and reply seen live (and the collision warning), a notification for a
client message elsewhere. Keys in, server state and screen out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from advisor_console.tui.screens.confirm import ConfirmScreen
from advisor_console.tui.screens.prompts import ChoiceScreen, TextPromptScreen
from advisor_console.tui.widgets.composer import Composer
from conftest import LiveServer
from tui_helpers import notifications, open_conversation, screen_text, wait_until

SIZE = (160, 48)


async def _queued_conversation(pilot: Any, app: AdvisorApp, channel: str | None = None) -> int:
    """Open a queued conversation of the hub (of `channel`) that has a client message."""
    ws = app.workspace
    await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
    await pilot.press("2")
    await pilot.pause()
    queued = [c for c in app.screen.queue.conversations() if c.status.value == "queued" and (channel is None or c.channel.value == channel)]
    assert queued, f"no queued {channel or ''} conversation in the hub"
    await open_conversation(pilot, queued[0].id)
    return queued[0].id


async def _claimed_conversation(pilot: Any, app: AdvisorApp, channel: str | None = None) -> int:
    """Open a queued conversation of the hub (of `channel`), claim it, wait until it is mine."""
    ws = app.workspace
    await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
    await pilot.press("2")
    await pilot.pause()
    queued = [c for c in app.screen.queue.conversations() if c.status.value == "queued" and (channel is None or c.channel.value == channel)]
    assert queued, f"no queued {channel or ''} conversation in the hub"
    cid = queued[0].id
    await open_conversation(pilot, cid)
    await pilot.press("c")
    await wait_until(pilot, lambda: ws.state.conversations[cid].assignee == ws.me.username and not ws.state.pending, what="claimed")
    return cid


async def _server_conversation(server: LiveServer, cid: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("supervisor")) as http:
        r = await http.get(f"/api/v1/conversations/{cid}")
        r.raise_for_status()
        return r.json()


async def test_priority_tags_and_a_snooze_that_wakes(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        cid = await _claimed_conversation(pilot, app)
        await pilot.press("p")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="tags prompt")
        await pilot.press(*"Gift, VIP-event", "enter")
        await wait_until(pilot, lambda: ws.state.conversations[cid].tags == ["gift", "vip-event"] and ws.state.conversations[cid].priority == 1, what="update back")
        server = await _server_conversation(live_server, cid)
        assert server["priority"] == 1 and server["tags"] == ["gift", "vip-event"]
        assert "#gift #vip-event" in screen_text(app)

        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="snooze prompt")
        await pilot.press("ctrl+a", "ctrl+k", *"2s", "enter")
        await wait_until(pilot, lambda: ws.state.conversations[cid].status.value == "snoozed", what="snoozed")
        await wait_until(pilot, lambda: ws.state.conversations[cid].status.value == "assigned", timeout=15, what="woken by the server")
        assert (await _server_conversation(live_server, cid))["snoozed_until"] is None


async def test_scheduled_reply_is_sent_once_by_the_server(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        cid = await _claimed_conversation(pilot, app, "email")
        await pilot.press("r", *"See you at the boutique", "ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="when")
        await pilot.press("ctrl+a", "ctrl+k", *"3s", "enter")
        await wait_until(pilot, lambda: ws.state.scheduled.get(cid), what="scheduled on the server")
        await wait_until(pilot, lambda: "⏱ scheduled for" in screen_text(app), what="shown as scheduled")
        await wait_until(pilot, lambda: any(m.body == "See you at the boutique" for m in ws.state.threads[cid]), timeout=15, what="sent by the server")
        await wait_until(pilot, lambda: not ws.state.scheduled.get(cid), what="no longer scheduled")
        sent = [m for m in (await _server_conversation(live_server, cid))["messages"] if m["body"] == "See you at the boutique"]
        assert len(sent) == 1 and sent[0]["author"] == "advisor" and sent[0]["scheduled_id"]


async def test_canned_reply_from_the_server_filled_for_the_client(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        cid = await _claimed_conversation(pilot, app, "chat")
        conv = ws.state.conversations[cid]
        await pilot.press("r", "slash")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="canned replies")
        await pilot.press("enter")
        composer = app.screen.query_one(Composer)
        await wait_until(pilot, lambda: composer.text.strip(), what="text in the composer")
        assert "{" not in composer.text and "Aiko" in composer.text or conv.language not in ("en", "fr", "it", "es", "de")
        body = composer.text.strip()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(m.body == body for m in ws.state.threads[cid]), what="canned reply accepted by the server")


async def test_colleague_presence_and_reply_are_live(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        cid = await _queued_conversation(pilot, app, "chat")  # not claimed: anyone in the hub may answer
        await pilot.press("r", *"Let me check")
        async with httpx.AsyncClient(base_url=live_server.url, headers=live_server.headers("kenji.watanabe")) as kenji:
            r = await kenji.post(f"/api/v1/conversations/{cid}/presence", json={"state": "typing"})
            assert r.status_code == 204
            try:
                await wait_until(pilot, lambda: "Kenji Watanabe typing…" in screen_text(app), what="colleague typing, live")
            except AssertionError:
                print(screen_text(app)[:1500])
                raise
            r = await kenji.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Je vous réponds tout de suite.", "kind": "reply"})
            assert r.status_code == 201, r.text
            await wait_until(pilot, lambda: any(m.body == "Je vous réponds tout de suite." for m in ws.state.threads[cid]), what="colleague's reply")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="collision warning")
            assert "has just answered" in screen_text(app)
            await pilot.press("n")
            assert not any(m.body == "Let me check" for m in ws.state.threads[cid])
            r = await kenji.post(f"/api/v1/conversations/{cid}/presence", json={"state": "left"})
            await wait_until(pilot, lambda: "Kenji Watanabe" not in screen_text(app).split("\n")[2], what="presence gone")


async def test_client_message_elsewhere_is_notified(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        first = await _claimed_conversation(pilot, app)
        await pilot.press("ctrl+o")
        second = await _claimed_conversation(pilot, app)
        assert app.screen.open_id == second
        client_id = ws.state.conversations[first].client_id
        async with httpx.AsyncClient(base_url=live_server.url, headers=live_server.headers("channel-sim")) as sim:
            r = await sim.post("/api/v1/inbound", json={"channel": ws.state.conversations[first].channel.value, "client_id": client_id, "body": "Are you still there?"})
            assert r.status_code in (200, 201), r.text
        await wait_until(pilot, lambda: bells and any("Are you still there?" in n for n in notifications(app)), what="bell and toast")
        assert ws.unread(first) >= 1
