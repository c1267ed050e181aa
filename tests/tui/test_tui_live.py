"""The workstation driven with Pilot against the REAL server (uvicorn on loopback over a
seeded SQLite file) and a real Workspace (HTTP, SSE, outbox): what the advisor does with
keys goes to the server and comes back through the event stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from advisor_console.tui.screens.confirm import ConfirmScreen
from advisor_console.tui.screens.workspace import WorkspaceScreen
from advisor_console.tui.widgets.composer import Composer
from advisor_console.tui.widgets.lookbook import LookbookResults
from advisor_console.tui.widgets.queue import QueueList
from advisor_console.tui.widgets.thread import ThreadView
from conftest import LiveServer
from tui_helpers import notifications, wait_until

SIZE = (160, 48)


def _app(ws: Any) -> AdvisorApp:
    return AdvisorApp(ws, Settings())


def _screen(app: AdvisorApp) -> WorkspaceScreen:
    screen = app.screen
    assert isinstance(screen, WorkspaceScreen)
    return screen


async def _post_inbound(server: LiveServer, client_id: int, body: str, channel: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await http.post("/api/v1/auth/token", json={"username": "channel-sim", "password": "demo"})).json()["token"]
        r = await http.post("/api/v1/inbound", json={"channel": channel, "client_id": client_id, "body": body}, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()


async def _open_first_queued(pilot: Any, app: AdvisorApp) -> int:
    """Hub tab, move down and up (j/k), open the top row (the longest-waiting queued one)."""
    screen = _screen(app)
    await wait_until(pilot, lambda: app.workspace.state.connection == "live", what="live connection")
    await pilot.press("2")
    await wait_until(pilot, lambda: screen.queue.tab == "hub" and screen.queue.list.option_count > 1, what="hub tab rows")
    qlist = screen.queue.list
    first = screen.queue.highlighted_id
    await pilot.press("j")
    assert screen.queue.highlighted_id != first
    await pilot.press("k")
    assert screen.queue.highlighted_id == first
    conv = app.workspace.state.conversations[first]
    assert conv.status.value == "queued", "queued conversations come first in the hub tab"
    assert isinstance(app.focused, QueueList) and qlist is app.focused
    await pilot.press("enter")
    await wait_until(pilot, lambda: screen.open_id == first and screen.query_one(ThreadView).blocks, what="thread shown")
    assert isinstance(app.focused, ThreadView)
    return first


async def test_claim_reply_and_note_round_trip(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = _app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = _screen(app)
        cid = await _open_first_queued(pilot, app)
        thread = screen.query_one(ThreadView)
        inbound = [m for m in ws.state.threads[cid] if m.kind.value == "inbound"]
        assert inbound and any(inbound[-1].body.splitlines()[0][:20] in line for line in thread.plain_lines())

        # claim: goes to the server, comes back as conversation.claimed
        await pilot.press("c")
        await wait_until(pilot, lambda: ws.state.conversations[cid].assignee == ws.me.username and not ws.state.pending, what="claim applied")
        assert "yours" in str(screen.query_one("#conversation-title").render())

        # reply: multi-line (enter types a newline), sent with ctrl+s
        await pilot.press("r")
        composer = screen.query_one(Composer)
        assert app.focused is composer and composer.mode == "reply"
        await pilot.press(*"Bonjour", "enter", *"Merci")
        assert composer.text == "Bonjour\nMerci"
        await pilot.press("ctrl+s")
        assert composer.text == ""
        await wait_until(pilot, lambda: any(m.body == "Bonjour\nMerci" and m.kind.value == "reply" for m in ws.state.threads[cid]), what="reply back from the event stream")
        await wait_until(pilot, lambda: not ws.state.pending_for(cid), what="outbox drained")
        lines = thread.plain_lines()
        assert "▎ Bonjour" in lines and "▎ Merci" in lines
        assert not any("sending…" in line for line in lines)

        # internal note: composer in note mode, shown with the NOTE label
        await pilot.press("escape", "n")
        assert app.focused is composer and composer.mode == "note" and composer.has_class("-note")
        await pilot.press(*"VIP gift")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any(m.body == "VIP gift" and m.kind.value == "note" for m in ws.state.threads[cid]), what="note back")
        await wait_until(pilot, lambda: not ws.state.pending_for(cid), what="outbox drained")
        lines = thread.plain_lines()
        note_at = lines.index("▌ VIP gift")
        assert "NOTE" in lines[note_at - 1]
        assert thread.blocks[-1].kind == "note"


async def test_lookbook_share_then_resolve(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = _app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = _screen(app)
        cid = await _open_first_queued(pilot, app)
        await pilot.press("c")
        await wait_until(pilot, lambda: ws.state.conversations[cid].assignee == ws.me.username, what="claimed")

        await pilot.press("l")
        assert screen.lookbook_open and app.focused is screen.query_one("#lookbook-input")
        results = screen.query_one(LookbookResults)
        await wait_until(pilot, lambda: results.option_count > 0 and not screen.lookbook.searching, what="first results")
        target = screen.lookbook.products[3]
        await pilot.press(*target.name[:6])
        await wait_until(pilot, lambda: screen.lookbook.products and screen.lookbook.products[0].name.startswith(target.name[:6]) and not screen.lookbook.searching, what="search results")
        product = screen.lookbook.products[0]
        await pilot.press("enter")  # to the results
        assert app.focused is results
        await pilot.press("s")
        await wait_until(
            pilot,
            lambda: any(a.sku == product.sku and a.type == "product_card" for m in ws.state.threads[cid] for a in m.attachments),
            what="product card back from the server",
        )
        await wait_until(pilot, lambda: not ws.state.pending_for(cid), what="outbox drained")
        lines = screen.query_one(ThreadView).plain_lines()
        assert any("◆ product" in line for line in lines) and any(product.sku in line for line in lines)
        await pilot.press("escape")
        assert not screen.lookbook_open

        # resolve asks first; "n" keeps it open, "y" resolves
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspaceScreen), what="back")
        assert not ws.state.pending
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: ws.state.conversations[cid].status.value == "resolved", what="resolved by the server")
        await wait_until(pilot, lambda: cid not in screen.queue._ids, what="gone from the hub tab")


async def test_live_inbound_appears_without_a_key(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = _app(ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = _screen(app)
        cid = await _open_first_queued(pilot, app)
        conv = ws.state.conversations[cid]
        await _post_inbound(live_server, conv.client_id, "Vorrei vedere la borsa 👜 in blu", conv.channel.value)
        thread = screen.query_one(ThreadView)
        await wait_until(pilot, lambda: "▎ Vorrei vedere la borsa 👜 in blu" in thread.plain_lines(), what="inbound in the open thread")
        option = screen.queue.list.get_option(str(cid))
        assert "Vorrei vedere la borsa" in str(option.prompt)


async def test_refused_claim_shows_a_toast(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = _app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = _screen(app)
        cid = await _open_first_queued(pilot, app)
        other = live_server.account("advisor", "TYO", exclude=("advisor",))["username"]
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            r = await http.post(f"/api/v1/conversations/{cid}/claim", headers=live_server.headers(other))
            assert r.status_code == 200
        await wait_until(pilot, lambda: ws.state.conversations[cid].assignee == other, what="colleague's claim seen")
        assert f"with {other}" in str(screen.query_one("#conversation-title").render()) or "with " in str(screen.query_one("#conversation-title").render())
        await pilot.press("c")
        await wait_until(pilot, lambda: any("Claim refused" in n for n in notifications(app)), what="refusal toast")
        assert ws.state.conversations[cid].assignee == other


@pytest.fixture(autouse=True)
def _no_sleepy_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Debounces stay short in tests (they are waited for, never slept through)."""
    from advisor_console.tui.widgets import composer

    monkeypatch.setattr(composer, "DRAFT_DELAY", 0.05)


async def test_expired_session_prompts_and_resumes_with_nothing_lost(database_url: str, seeded_template: Any, tmp_path: Any) -> None:
    import asyncio

    from advisor_console.client.session import open_workspace
    from advisor_console.tui.screens.signin import SignInScreen
    from conftest import start_live_server

    server = start_live_server(database_url, seeded_template[1], token_ttl_seconds=2)
    try:
        ws = open_workspace(server.url, server.token("advisor"), root=tmp_path / "client")
        app = _app(ws)
        async with app.run_test(size=SIZE) as pilot:
            cid = await _open_first_queued(pilot, app)
            await asyncio.sleep(2.2)  # the server's token TTL is 2 s: inherent to what is tested
            await pilot.press("r", *"still here", "ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, SignInScreen), what="sign-in prompt")
            assert "signed out" in str(app.screen_stack[0].query_one("#header").render())
            await pilot.press(*"wrong", "enter")
            await wait_until(pilot, lambda: str(app.screen.query_one("#signin-error").render()) not in ("", "Signing in…"), what="refusal")
            await pilot.press(*"demo", "enter")
            await wait_until(pilot, lambda: any(m.body == "still here" for m in ws.state.threads.get(cid, [])), what="delivered after signing in")
            assert ws.state.connection == "live" and not isinstance(app.screen, SignInScreen)
        ws.cache.close()
    finally:
        server.stop()


async def test_opens_from_the_cache_while_the_server_is_down(live_server: LiveServer, tmp_path: Any) -> None:
    """The second start shows the last known queue, thread and client profile before (and
    without) any answer from the server, with the outage in the header."""
    from advisor_console.client.session import open_workspace
    from advisor_console.tui.widgets.client360 import Client360Pane
    from advisor_console.tui.widgets.header import AdvisorHeader

    token = live_server.token("advisor")
    root = tmp_path / "client"
    ws = open_workspace(live_server.url, token, root=root)
    app = _app(ws)
    async with app.run_test(size=SIZE) as pilot:
        cid = await _open_first_queued(pilot, app)
        client_id = ws.state.conversations[cid].client_id
        await wait_until(pilot, lambda: ws.cached_client_360(client_id) is not None, what="profile cached")
        name = ws.state.conversations[cid].client_name
    ws.cache.close()
    live_server.stop()

    offline = open_workspace(live_server.url, token, root=root)
    app = _app(offline)
    async with app.run_test(size=SIZE) as pilot:
        screen = _screen(app)
        await pilot.press("2")
        await wait_until(pilot, lambda: screen.queue.list.option_count > 1, what="queue from the cache")
        await wait_until(pilot, lambda: offline.state.connection in ("reconnecting", "offline"), what="outage noticed")
        header = str(screen.query_one(AdvisorHeader).render())
        assert "reconnecting" in header or "offline" in header
        from tui_helpers import open_conversation

        await open_conversation(pilot, cid)
        assert screen.query_one(ThreadView).blocks
        pane = screen.query_one(Client360Pane)
        assert pane.client is not None and pane.client.id == client_id and pane.client.name == name
        await pilot.pause()
        from tui_helpers import screen_text

        assert screen_text(app).count(name) >= 2  # the thread's title and the client 360
    offline.cache.close()


async def test_refused_send_is_discarded_from_the_palette(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    from textual.command import CommandPalette

    ws = make_workspace("advisor")
    app = _app(ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        cid = await _open_first_queued(pilot, app)
        other = live_server.account("advisor", "TYO", exclude=("advisor",))["username"]
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            (await http.post(f"/api/v1/conversations/{cid}/claim", headers=live_server.headers(other))).raise_for_status()
        await wait_until(pilot, lambda: ws.state.conversations[cid].assignee == other)
        ws.send_message(cid, "refused reply")
        await wait_until(pilot, lambda: bool(ws.failed_sends()), what="refused")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Discard failed", "enter")
        await wait_until(pilot, lambda: not ws.state.pending, what="discarded")
        assert ws.cache.unsent_count() == 0
