"""The sync engine over real HTTP: live round trips, offline outbox, cache-first start,
resume after a disconnect, refused commands."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor_console.client.api import ApiClient, ApiError
from advisor_console.client.sync import backoff_delay
from conftest import BOTH_DATABASES, LiveServer, start_live_server


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def inbound(server: LiveServer, client_id: int, body: str, channel: str = "chat") -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/v1/inbound", json={"channel": channel, "client_id": client_id, "body": body}, headers=server.headers("channel-sim"))
    r.raise_for_status()
    return r.json()


def queued_conversation(ws: Any) -> int:
    return next(c.id for c in ws.state.conversations.values() if c.status == "queued" and c.hub == ws.me.hub)


@BOTH_DATABASES
async def test_catch_up_then_live_reply_round_trip(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace(live_server.account("advisor", "TYO")["username"])
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: ws.state.connection == "live", what="live")
        assert ws.state.conversations and all(c.hub == "TYO" or c.assignee == ws.me.username for c in ws.state.conversations.values())
        cid = queued_conversation(ws)
        ws.claim(cid)
        ws.send_message(cid, "Bonjour, je regarde tout de suite.")
        assert ws.state.pending_for(cid)  # shown as sending before the server answers
        await wait_for(lambda: any(m.body.startswith("Bonjour, je") for m in ws.state.threads.get(cid, [])), what="reply in thread")
        await wait_for(lambda: not ws.state.pending, what="outbox drained")
        assert ws.state.conversations[cid].assignee == ws.me.username
        # A client's message arrives live, without asking.
        conv = ws.state.conversations[cid]
        inbound(live_server, conv.client_id, "Merci !", channel=conv.channel.value)
        await wait_for(lambda: ws.state.threads[cid][-1].body == "Merci !", what="live inbound")
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)


@BOTH_DATABASES
async def test_refused_claim_tells_the_advisor(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    wa, wb = make_workspace(a["username"]), make_workspace(b["username"])
    tasks = [asyncio.create_task(wa.start()), asyncio.create_task(wb.start())]
    try:
        await wait_for(lambda: wa.state.connection == wb.state.connection == "live")
        cid = queued_conversation(wa)
        wa.claim(cid)
        await wait_for(lambda: wb.state.conversations[cid].assignee == a["username"], what="claim seen by b")
        wb.claim(cid)
        await wait_for(lambda: bool(wb.state.notices), what="notice")
        level, text = wb.state.pop_notices()[0]
        assert level == "error" and "already holds" in text and a["username"] in text
        assert wb.state.pending and wb.state.pending[0].error  # kept visibly as failed, not silently dropped
    finally:
        for ws in (wa, wb):
            await ws.stop()
        await asyncio.gather(*tasks)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@BOTH_DATABASES
async def test_offline_outbox_delivers_after_the_server_returns(database_url: str, seeded_template: Any, tmp_path: Path) -> None:
    from advisor_console.client.session import open_workspace
    from advisor_console.server.app import create_app
    from advisor_console.server.runner import start_in_thread

    accounts = seeded_template[1]
    port = _free_port()
    server = start_in_thread(create_app(database_url), port=port)
    live = LiveServer(url=server.url, database_url=database_url, accounts=accounts, _stop=server.stop)
    username = live.account("advisor", "TYO")["username"]
    ws = open_workspace(server.url, live.token(username), root=tmp_path / "client")
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: ws.state.connection == "live")
        cid = queued_conversation(ws)
        seen = ws.state.last_seq
        server.stop()
        await wait_for(lambda: ws.state.connection in ("reconnecting", "offline"), what="notices the server is gone")
        ws.claim(cid)
        ws.send_message(cid, "Written while offline")
        await asyncio.sleep(0.3)
        assert len(ws.state.pending) == 2 and ws.cache.unsent_count() == 2
        # Meanwhile the client writes (through another server process on the same file).
        server = start_in_thread(create_app(database_url, run_migrations=False), port=port)
        conv = ws.state.conversations[cid]
        inbound(live, conv.client_id, "Are you there?", channel=conv.channel.value)
        await wait_for(lambda: ws.state.connection == "live" and not ws.state.pending, timeout=40, what="reconnect and drain")
        await wait_for(lambda: any(m.body == "Written while offline" for m in ws.state.threads[cid]), what="offline write delivered")
        bodies = [m.body for m in ws.state.threads[cid]]
        assert bodies.count("Written while offline") == 1 and "Are you there?" in bodies
        assert ws.state.last_seq > seen
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)
        server.stop()


async def _live_workspace(url: str, token: str, root: Path) -> tuple[Any, asyncio.Task[None]]:
    """A workspace on a local cache under `root`, synced until live (stop it, then await the task)."""
    from advisor_console.client.session import open_workspace

    ws = open_workspace(url, token, root=root)
    task = asyncio.create_task(ws.start())
    await wait_for(lambda: ws.state.connection == "live")
    return ws, task


@BOTH_DATABASES
async def test_cache_first_start_works_with_the_server_down(live_server: LiveServer, tmp_path: Path) -> None:
    from advisor_console.client.session import open_workspace

    token, root = live_server.token(live_server.account("advisor", "TYO")["username"]), tmp_path / "client"
    ws, task = await _live_workspace(live_server.url, token, root)
    known = set(ws.state.conversations)
    cid = next(iter(ws.state.complete_threads))
    thread = [m.id for m in ws.state.threads[cid]]
    ws.save_draft(cid, "half-written")
    await ws.stop()
    await task
    ws.cache.close()
    live_server.stop()

    again = open_workspace(live_server.url, token, root=root)  # server down: identity remembered
    assert set(again.state.conversations) == known
    assert [m.id for m in again.state.threads[cid]] == thread
    assert again.draft(cid) == "half-written"
    again.cache.close()


async def test_start_from_the_snapshot_equals_folding_every_event(live_server: LiveServer, tmp_path: Path) -> None:
    """Once caught up, the workspace keeps its folded state in the cache; the next start
    reads it and folds only the events after it. The result is the state a fold of every
    cached event gives; a snapshot of another version, or a damaged one, is not used."""
    from advisor_console.client.session import open_workspace
    from advisor_console.client.workspace import SNAPSHOT_FIELDS, Workspace

    token, root = live_server.token(live_server.account("advisor", "TYO")["username"]), tmp_path / "client"
    ws, task = await _live_workspace(live_server.url, token, root)
    snapshot = ws.cache.load_snapshot()
    assert snapshot is not None and snapshot[1] == ws.state.last_seq  # kept once caught up
    # Events after the snapshot: in the cache, not in it (the next start folds them).
    conv = ws.state.conversations[queued_conversation(ws)]
    inbound(live_server, conv.client_id, "Encore une question", channel=conv.channel.value)
    await wait_for(lambda: ws.state.threads.get(conv.id, [{}])[-1].body == "Encore une question", what="live inbound")
    assert ws.cache.load_snapshot()[1] < ws.state.last_seq
    ws._since_snapshot = 0  # noqa: SLF001 - stop without keeping a newer snapshot
    await ws.stop()
    await task
    ws.cache.close()

    def folded(workspace: Workspace) -> dict[str, Any]:
        return {name: getattr(workspace.state, name) for name in SNAPSHOT_FIELDS}

    again = open_workspace(live_server.url, token, root=root)
    from_snapshot = folded(again)
    after = again.cache.load_snapshot()[1]
    assert len(again.cache.load_events(after)) >= 1  # some events were folded on top of it
    again.cache.drop_snapshot()
    full = Workspace(again.api, again.cache, again.me)
    full.load_cached()
    assert from_snapshot == folded(full)
    assert from_snapshot["threads"][conv.id][-1].body == "Encore une question"

    # Another version's snapshot, or a damaged one: every event is folded, nothing breaks.
    again.cache.save_snapshot("another-version", full.state.last_seq, b"\x80\x05not a pickle")
    other = Workspace(again.api, again.cache, again.me)
    other.load_cached()
    assert folded(other) == folded(full)
    full.save_snapshot()
    version, seq, _ = again.cache.load_snapshot()
    again.cache.save_snapshot(version, seq, b"\x80\x05damaged")
    damaged = Workspace(again.api, again.cache, again.me)
    damaged.load_cached()
    assert folded(damaged) == folded(full)
    again.cache.close()


async def test_api_client_reports_unreachable_and_bad_answers() -> None:
    api = ApiClient(f"http://127.0.0.1:{_free_port()}", "t")
    with pytest.raises(ApiError) as info:
        await api.get_json("/api/v1/me")
    assert info.value.unreachable and info.value.retryable
    await api.aclose()


def test_backoff_is_capped_and_jittered() -> None:
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, rng=rng) for n in range(1, 40)]
    assert max(delays) <= 30.0 and min(delays) >= 0.05
    assert len({round(d, 3) for d in delays}) > 30  # jitter: not one fixed schedule


@BOTH_DATABASES
async def test_expired_token_asks_to_sign_in_again_and_loses_nothing(database_url: str, seeded_template: Any, tmp_path: Path) -> None:
    from advisor_console.client.session import open_workspace

    server = start_live_server(database_url, seeded_template[1], token_ttl_seconds=2)
    username = server.account("advisor", "TYO")["username"]
    ws = open_workspace(server.url, server.token(username), root=tmp_path / "client")
    renewed: list[str] = []
    ws.on_new_token = renewed.append
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: ws.state.connection == "live")
        cid = queued_conversation(ws)
        await asyncio.sleep(2.2)  # the token expires (the server's TTL is 2 s)
        ws.send_message(cid, "after expiry")
        await wait_for(lambda: ws.state.connection == "signed-out", what="signed-out state")
        assert ws.signed_out and "login" in ws.state.connection_detail and ws.cache.unsent_count() == 1
        with pytest.raises(ApiError) as info:
            await ws.sign_in_again("wrong password")
        assert info.value.code == "invalid_credentials"
        await ws.sign_in_again("demo")
        await wait_for(lambda: any(m.body == "after expiry" for m in ws.state.threads.get(cid, [])), what="delivered after sign-in")
        assert renewed and not ws.signed_out
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)
        server.stop()


@BOTH_DATABASES
async def test_profile_notes_and_tasks_go_through_the_outbox(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    from datetime import datetime, timedelta, timezone

    ws = make_workspace(live_server.account("advisor", "TYO")["username"])
    seen_clients: set[int] = set()
    ws.subscribe(lambda changes: seen_clients.update(changes.clients))
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: ws.state.connection == "live")
        client_id = ws.state.conversations[queued_conversation(ws)].client_id
        ws.set_client_notes(client_id, "Allergic to nickel")
        ws.create_task(client_id, "call", "Call about the bag", (datetime.now(timezone.utc) + timedelta(days=1)).isoformat())
        assert all(p.conversation_id is None and p.target_id == client_id for p in ws.state.pending)
        await wait_for(lambda: not ws.state.pending and client_id in seen_clients, what="delivered and announced")
        profile = await ws.client_360(client_id)
        assert profile is not None and profile.notes == "Allergic to nickel"
        (t,) = [t for t in profile.tasks if t.title == "Call about the bag"]
        ws.update_task(t.id, done=True, outcome="reached her")
        await wait_for(lambda: not ws.state.pending)
        profile = await ws.client_360(client_id)
        assert profile is not None and all(x.id != t.id for x in profile.tasks)
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)


async def test_refused_items_can_be_retried_or_discarded(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    ws = make_workspace(b["username"])
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: ws.state.connection == "live")
        cid = queued_conversation(ws)
        httpx.post(f"{live_server.url}/api/v1/conversations/{cid}/claim", headers=live_server.headers(a["username"])).raise_for_status()
        ws.send_message(cid, "too late")
        await wait_for(lambda: bool(ws.failed_sends()), what="refused")
        # The colleague hands it back; retrying now succeeds.
        httpx.post(f"{live_server.url}/api/v1/conversations/{cid}/transfer", json={"to_hub": "TYO"}, headers=live_server.headers(a["username"])).raise_for_status()
        assert ws.retry_failed() == 1
        await wait_for(lambda: not ws.state.pending and any(m.body == "too late" for m in ws.state.threads[cid]), what="retried and delivered")
        httpx.post(f"{live_server.url}/api/v1/conversations/{cid}/resolve", headers=live_server.headers(b["username"])).raise_for_status()
        ws.send_message(cid, "after resolve")
        await wait_for(lambda: bool(ws.failed_sends()))
        assert ws.discard_failed() == 1 and not ws.state.pending and ws.cache.unsent_count() == 0
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)
