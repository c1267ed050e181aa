"""The client simulator against a real server over HTTP (tests/conftest.py's live_server:
a uvicorn server on loopback over a copy of a small seeded SQLite database)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from advisor_console.demo import corpus
from advisor_console.demo.seed import client_profiles
from advisor_console.demo.simulator import Simulator, SimulatorError

from conftest import DEMO_PASSWORD, LiveServer


def _events(server: LiveServer, after: int = 0) -> list[dict[str, Any]]:
    headers = server.headers("supervisor")
    out: list[dict[str, Any]] = []
    while True:
        r = httpx.get(f"{server.url}/api/v1/events", params={"after": after, "limit": 1000}, headers=headers)
        r.raise_for_status()
        page = r.json()
        out.extend(page["events"])
        if not page["events"] or page["last_seq"] == after:
            return out
        after = page["last_seq"]


def _head(server: LiveServer) -> int:
    return max(e["seq"] for e in _events(server))


async def test_send_one_writes_in_the_clients_language(live_server: LiveServer) -> None:
    head = await asyncio.to_thread(_head, live_server)
    profiles = client_profiles(7, 300)
    # A Japanese, a Korean and a French client of the seeded database.
    wanted = {}
    for lang in ("ja", "ko", "fr"):
        wanted[lang] = next(cid for cid, (lng, _hub) in profiles.items() if lng == lang)
    async with Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, seed=3, data_seed=7, client_ids=list(wanted.values()), new_contact_share=0) as sim:
        answers = [await sim.send_one() for _ in range(6)]
    assert sim.sent == 6
    events = await asyncio.to_thread(_events, live_server, head)
    messages = [e for e in events if e["type"] == "message.created"]
    assert len(messages) == 6
    by_client = {lang: cid for lang, cid in wanted.items()}
    for e in messages:
        conv, msg = e["data"]["conversation"], e["data"]["message"]
        assert msg["kind"] == "inbound" and msg["author"] == "client" and e["actor"] == "client"
        lang = next(lng for lng, cid in by_client.items() if cid == conv["client_id"])
        body = msg["body"]
        if lang == "ja":
            assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in body), body
        elif lang == "ko":
            assert any("\uac00" <= ch <= "\ud7a3" for ch in body), body
    keys = [a["message"]["idempotency_key"] for a in answers]
    assert len(set(keys)) == 6 and all(k.startswith("sim-") for k in keys)


async def test_run_posts_at_the_rate_and_stops_on_cancel(live_server: LiveServer) -> None:
    sim = Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, rate_per_minute=600, client_ids=list(range(1, 50)))
    task = asyncio.create_task(sim.run())
    deadline = asyncio.get_running_loop().time() + 30  # a busy machine posts slower; never wait on a fixed sleep
    while sim.sent < 5 and sim.errors == 0 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sim.sent >= 5, (sim.sent, sim.last_error)
    assert sim.errors == 0, sim.last_error


async def test_rate_zero_does_nothing_until_raised(live_server: LiveServer) -> None:
    sim = Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, rate_per_minute=0, client_ids=[1, 2, 3])
    task = asyncio.create_task(sim.run())
    await asyncio.sleep(0.8)
    assert sim.sent == 0 and sim.errors == 0
    sim.rate_per_minute = 1200
    # The first post signs in first; a busy machine takes a while: wait on the count, not a fixed sleep.
    deadline = asyncio.get_running_loop().time() + 30
    while sim.sent < 1 and sim.errors == 0 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sim.sent >= 1, (sim.sent, sim.last_error)
    assert sim.errors == 0, sim.last_error


async def test_errors_are_logged_not_raised(live_server: LiveServer) -> None:
    # Wrong password: every attempt fails, run() keeps going.
    sim = Simulator(live_server.url, "channel-sim", "not-the-password", rate_per_minute=1200, client_ids=[1])
    task = asyncio.create_task(sim.run())
    await asyncio.sleep(1.0)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sim.sent == 0 and sim.errors >= 1 and "sign-in" in (sim.last_error or "")

    # An advisor account may not post inbound messages (403): dropped, not raised.
    sim = Simulator(live_server.url, "advisor", DEMO_PASSWORD, client_ids=[1])
    with pytest.raises(SimulatorError):
        await sim.send_one()
    await sim.aclose()


async def test_unknown_clients_are_dropped(live_server: LiveServer) -> None:
    async with Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, client_ids=[999_999, 1], new_contact_share=0) as sim:
        for _ in range(12):
            try:
                await sim.send_one()
            except SimulatorError:
                pass
        assert sim.client_ids == [1]
        assert sim.sent >= 1


async def test_a_failed_message_goes_again_with_the_same_external_id(live_server: LiveServer) -> None:
    real = httpx.AsyncHTTPTransport()
    seen: list[str] = []
    fail = {"next": False}

    class Flaky(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/inbound"):
                seen.append(request.content.decode())
                if fail["next"]:
                    fail["next"] = False
                    raise httpx.ConnectError("network down", request=request)
            return await real.handle_async_request(request)

    async with Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, client_ids=[1, 2], transport=Flaky()) as sim:
        fail["next"] = True
        with pytest.raises(httpx.ConnectError):
            await sim.send_one()
        answer = await sim.send_one()
    assert len(seen) == 2 and seen[0] == seen[1]
    assert answer["message"]["body"]


async def test_prospects_write_with_a_contact(live_server: LiveServer) -> None:
    async with Simulator(live_server.url, "channel-sim", DEMO_PASSWORD, client_ids=[], new_contact_share=1.0) as sim:
        answer = await sim.send_one()
    assert answer["client_id"] > 300  # a new client, made from the contact
    assert answer["message"]["body"]


def test_corpus_covers_every_language() -> None:
    import random

    rng = random.Random(1)
    for lang in corpus.LANGUAGES:
        for kind in ("intent", "purchase", "after_sales", "appointment", "followup"):
            assert corpus.INBOUND[lang][kind]
            assert corpus.REPLIES[lang][kind]
        text = corpus.client_message(rng, lang)
        assert text and "{" not in text
    assert len(corpus.LANGUAGES) >= 6
