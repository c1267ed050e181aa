"""Training scenarios (issue 7): the shipped scenarios parse; a scripted client plays
against a real server while a scripted trainee answers through the API; the debrief
scores what the server holds, check by check. Also: bad scenario files refused with a
sentence, and the workstation in training mode driven by Pilot to its debrief."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor_console.server.db import make_engine
from advisor_console.training.coach import Coach, setup_client
from advisor_console.training.scenario import ScenarioError, builtin, find, load
from conftest import LiveServer


def test_shipped_scenarios_cover_channels_languages_and_situations() -> None:
    shipped = builtin()
    assert len(shipped) >= 5
    assert {s.channel for s in shipped.values()} >= {"whatsapp", "email", "chat"}
    assert len({s.language for s in shipped.values()}) >= 5
    assert {"purchase-intent-ja", "return-en", "size-exchange-ko", "vic-appointment-zh", "complaint-fr"} <= set(shipped)
    for s in shipped.values():
        assert s.turns[0].trigger == "start" and s.total_points > 0 and s.brief.strip()


@pytest.mark.parametrize(
    "content, message",
    [
        ("id = ", "not valid TOML"),
        ('id = "x"\ntitle = "t"\nchannel = "fax"\n', "channel 'fax' is not one of"),
        ('id = "x"\ntitle = "t"\nchannel = "chat"\n[client]\nname = "A"\nlocale = "en"\n', "`country` is required"),
        ('id = "x"\ntitle = "t"\nchannel = "chat"\n[client]\nname = "A"\nlocale = "en"\ncountry = "US"\n', "at least one [[turns]]"),
        ('id = "x"\ntitle = "t"\nchannel = "chat"\n[client]\nname = "A"\nlocale = "en"\ncountry = "US"\n[[turns]]\ntrigger = "after_reply"\nbody = "hi"\n', "first turn's trigger is start"),
        ('id = "x"\ntitle = "t"\nchannel = "chat"\n[client]\nname = "A"\nlocale = "en"\ncountry = "US"\n[[turns]]\nbody = "hi"\n[[checks]]\nkind = "vibes"\n', "kind 'vibes' is not one of"),
        ('id = "x"\ntitle = "t"\nchannel = "chat"\n[client]\nname = "A"\nlocale = "en"\ncountry = "US"\n[[turns]]\nbody = "hi"\n[[turns]]\ntrigger = "reply_mentions"\nbody = "b"\n[[checks]]\nkind = "greeted_by_name"\n', "reply_mentions needs `mentions`"),
    ],
)
def test_bad_scenarios_are_refused_with_a_sentence(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        load(path)
    with pytest.raises(ScenarioError, match="No scenario 'nope'"):
        find("nope")


async def _answer_when(coach: Coach, turn: int, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while coach.sent < turn:
        assert loop.time() < deadline, f"turn {turn} never came"
        await asyncio.sleep(0.05)


def _in_stock_shoe(http: httpx.Client, hub: str, size: str) -> dict[str, Any]:
    items = http.get("/api/v1/products", params={"category": "shoes", "in_stock_hub": hub, "size": size, "limit": 5}).json()["items"]
    assert items, f"no shoes in {size} at {hub} in the seeded catalogue"
    return items[0]


def _not_in_her_size(http: httpx.Client, hub: str, size: str) -> dict[str, Any]:
    for p in http.get("/api/v1/products", params={"category": "shoes", "limit": 200}).json()["items"]:
        if p["stock"].get(size, {}).get(hub, 0) == 0:
            return p
    raise AssertionError("every shoe is in her size at her hub")


async def _play(live_server: LiveServer, good: bool) -> Any:
    scenario = builtin()["purchase-intent-ja"]
    engine = make_engine(live_server.database_url)
    client_id = setup_client(engine, scenario)
    engine.dispose()
    coach = Coach(live_server.url, scenario, client_id, channel_token=live_server.token("channel-sim"), reader_token=live_server.token("supervisor"), trainee="advisor")
    runner = asyncio.create_task(coach.run())
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("advisor"), timeout=20) as http:
        await _answer_when(coach, 1)
        cid = coach.conversation_id
        assert http.post(f"/api/v1/conversations/{cid}/claim").status_code == 200
        if good:
            shoe = _in_stock_shoe(http, "TYO", "36.5")
            card = {"type": "product_card", "sku": shoe["sku"], "name": shoe["name"], "price": "¥"}
            assert http.post(f"/api/v1/conversations/{cid}/messages", json={"body": "田中由紀様、いつもありがとうございます。こちらはいかがでしょうか。", "attachments": [card]}).status_code == 201
            await _answer_when(coach, 2)
            assert http.post(f"/api/v1/conversations/{cid}/messages", json={"body": "36.5のご用意がございます。"}).status_code == 201
            await _answer_when(coach, 3)
            assert http.post(f"/api/v1/conversations/{cid}/messages", json={"body": "どうぞごゆっくりご検討くださいませ。"}).status_code == 201
        else:
            shoe = _not_in_her_size(http, "TYO", "36.5")
            card = {"type": "product_card", "sku": shoe["sku"], "name": shoe["name"], "price": "¥"}
            assert http.post(f"/api/v1/conversations/{cid}/messages", json={"body": "Hello! How about this one?", "attachments": [card]}).status_code == 201
            await _answer_when(coach, 2)
            assert http.post(f"/api/v1/clients/{client_id}/tasks", json={"kind": "call", "title": "Call her", "due": "2030-01-01T10:00:00+09:00"}).status_code == 201
            assert http.post(f"/api/v1/conversations/{cid}/messages", json={"body": "I will call you tomorrow."}).status_code == 201
            await _answer_when(coach, 3)
            coach.stop()
        await asyncio.wait_for(coach.finished.wait(), 20)
    await asyncio.wait_for(runner, 20)
    debrief = await coach.score()
    await coach.close()
    return debrief


async def test_a_good_trainee_scores_everything(live_server: LiveServer) -> None:
    debrief = await _play(live_server, good=True)
    assert [(c.kind, ok) for c, ok, _ in debrief.results if not ok] == []
    assert debrief.score == debrief.scenario.total_points == 10
    why = {c.kind: w for c, _, w in debrief.results}
    assert "田中由紀" in why["greeted_by_name"] and "36.5" in why["offered_size"] and "at TYO" in why["shared_in_stock"]


async def test_a_careless_trainee_is_told_what_went_wrong(live_server: LiveServer) -> None:
    debrief = await _play(live_server, good=False)
    failed = {c.kind: why for c, ok, why in debrief.results if not ok}
    assert set(failed) == {"greeted_by_name", "offered_size", "shared_in_stock", "respected_contact_preference", "answered_within_patience"}
    assert "e.g. 田中 由紀様" in failed["greeted_by_name"]
    assert "36.5 was never mentioned" in failed["offered_size"]
    assert "not to be called" in failed["respected_contact_preference"]
    assert "never answered" in failed["answered_within_patience"]
    assert debrief.score == 0
    assert debrief.lines()[0] == "Purchase intent on WhatsApp (Japanese): loafers in her size: 0/10"
