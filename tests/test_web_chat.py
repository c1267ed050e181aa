"""Web chat and live visitors (issue 10), through the real API of a real server: the
visitor's token and session, her messages in the advisors' queues, her stream (only her
conversation, only her messages and replies, the advisor typing, invitations), products
viewed in the live visitors list, invitations, linking to a client by email, departures,
rate limits and bad input."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text, update

from conftest import BOTH_DATABASES, LiveServer, start_live_server
from support import api_client, assert_error, wait_for

from advisor_console.server.tables import WebVisitorRow


# ---- helpers ---------------------------------------------------------------------------------


def _start(server: LiveServer, token: str | None = None, **body: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.url}/api/v1/visitor/session", json={"locale": "ja-JP", **body}, headers=headers, timeout=20)


def _visitor(server: LiveServer, **body: Any) -> tuple[httpx.Client, dict[str, Any]]:
    r = _start(server, **body)
    assert r.status_code == 201, r.text
    session = r.json()
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {session['token']}"}, timeout=20), session


def _skus(server: LiveServer, n: int = 3) -> list[str]:
    with api_client(server, "advisor") as adv:
        return [p["sku"] for p in adv.get("/api/v1/products", params={"limit": n}).json()["items"]]


def _say(visitor: httpx.Client, body: str) -> dict[str, Any]:
    r = visitor.post("/api/v1/visitor/messages", json={"body": body}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


def _stream(visitor: httpx.Client, after: int, until: Callable[[list[tuple[str, Any]]], bool], timeout: float = 10) -> list[tuple[str, Any]]:
    """Read her SSE stream from `after` until `until(events)` holds: [(event, data), ...]."""
    got: list[tuple[str, Any]] = []
    deadline = time.monotonic() + timeout
    with visitor.stream("GET", "/api/v1/visitor/stream", params={"after": after}, timeout=httpx.Timeout(timeout, read=timeout)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        event, data = None, ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()
            elif line == "" and event:
                got.append((event, json.loads(data)))
                event, data = None, ""
                if until(got):
                    return got
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"the stream did not deliver what was expected: {got}")


def _live(server: LiveServer, visitor_id: int, username: str = "advisor") -> dict[str, Any] | None:
    with api_client(server, username) as adv:
        r = adv.get("/api/v1/visitors")
        assert r.status_code == 200, r.text
        return next((v for v in r.json()["items"] if v["id"] == visitor_id), None)


def _visitor_events(server: LiveServer, visitor_id: int) -> list[dict[str, Any]]:
    with api_client(server, "advisor") as adv:
        events = adv.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["events"]
    return [e for e in events if e["type"] == "visitor.updated" and e["data"]["visitor"]["id"] == visitor_id]


def _engine(server: LiveServer) -> Any:
    return create_engine(server.database_url.replace("postgresql://", "postgresql+psycopg://") if server.database_url.startswith("postgresql://") else server.database_url)


# ---- the page -------------------------------------------------------------------------------


def test_the_page_the_embed_script_and_the_demo_shop(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/chat")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "AdvisorChat" in page.text and "/api/v1/visitor/session" in page.text
    assert "innerHTML" not in page.text  # client text goes in with textContent only
    script = httpx.get(f"{live_server.url}/chat/embed.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "advisor-chat:viewed" in script.text
    demo = httpx.get(f"{live_server.url}/chat/demo")
    assert demo.status_code == 200 and '<script src="/chat/embed.js">' in demo.text
    skus = re.findall(r'class="product" data-sku="([^"]+)"', demo.text)
    assert len(skus) >= 3 and skus[0] in _skus(live_server, 20)
    chosen = httpx.get(f"{live_server.url}/chat/demo", params={"sku": skus[2]})
    assert f'id="product-detail" data-sku="{skus[2]}"' in chosen.text
    hostile = httpx.get(f"{live_server.url}/chat/demo", params={"sku": "<script>x</script>"})
    assert hostile.status_code == 200 and "<script>x</script>" not in hostile.text


# ---- the visitor's session and token ----------------------------------------------------------


@BOTH_DATABASES
def test_a_visitor_token_is_issued_resumed_and_kept_apart_from_advisor_tokens(live_server: LiveServer) -> None:
    visitor, first = _visitor(live_server)
    assert first["token"] and first["visitor_id"] >= 1 and first["messages"] == [] and not first["linked"]
    again = _start(live_server, first["token"])
    assert again.status_code == 200 and again.json()["visitor_id"] == first["visitor_id"] and again.json()["token"] == first["token"]
    # An unknown token is not an error for the page: she gets a new visitor.
    fresh = _start(live_server, "not-a-token")
    assert fresh.status_code == 201 and fresh.json()["visitor_id"] != first["visitor_id"]
    # A visitor token is no advisor token, and the other way round.
    assert_error(visitor.get("/api/v1/conversations"), 401, "unauthorized")
    assert_error(visitor.get("/api/v1/visitors"), 401, "unauthorized")
    with api_client(live_server, "advisor") as adv:
        assert_error(adv.post("/api/v1/visitor/messages", json={"body": "hi"}), 401, "unknown_visitor")
    assert_error(httpx.post(f"{live_server.url}/api/v1/visitor/messages", json={"body": "hi"}), 401, "unauthorized")
    visitor.close()


# ---- messages, the stream, typing ------------------------------------------------------------------


@BOTH_DATABASES
def test_her_message_reaches_the_queue_and_her_stream_carries_only_her_messages_and_replies(live_server: LiveServer) -> None:
    visitor, session = _visitor(live_server)
    mine = _say(visitor, "Bonjour, is the <b>Cipresso</b> bag available?")
    assert mine["kind"] == "inbound" and mine["author_name"] == "You"
    conv_id = mine["conversation_id"]
    with api_client(live_server, "advisor") as adv:  # Tokyo: her locale is ja-JP
        queue = adv.get("/api/v1/conversations", params={"channel": "chat", "limit": 200}).json()["items"]
        conv = next(c for c in queue if c["id"] == conv_id)
        assert conv["status"] == "queued" and conv["hub"] == "TYO" and conv["client_name"] == f"Web visitor {session['visitor_id']}"
        events = adv.get("/api/v1/events", params={"after": session["last_seq"]}).json()["events"]
        assert any(e["type"] == "message.created" and e["data"]["message"]["id"] == mine["id"] for e in events)
        assert adv.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "A note the client must never see", "kind": "note"}).status_code == 201
        call = {"body": "Called her back", "kind": "call_note", "outcome": "answered"}
        assert adv.post(f"/api/v1/conversations/{conv_id}/messages", json=call).status_code == 201
        reply = adv.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "Yes, in black and in tan.", "kind": "reply"})
        assert reply.status_code == 201, reply.text
    # Another visitor's conversation never shows in hers.
    other, _ = _visitor(live_server)
    _say(other, "Someone else's question")
    got = _stream(visitor, session["last_seq"], lambda evs: any(e == "message" and d["kind"] == "reply" for e, d in evs))
    messages = [d for e, d in got if e == "message"]
    assert [m["body"] for m in messages] == ["Bonjour, is the <b>Cipresso</b> bag available?", "Yes, in black and in tan."]
    assert messages[1]["author_name"] == "Aiko Mori" and messages[1]["kind"] == "reply"
    assert "never see" not in json.dumps(got) and "Called her back" not in json.dumps(got)
    # A resumed page gets the same thread back, notes left out.
    resumed = _start(live_server, session["token"]).json()
    assert [m["body"] for m in resumed["messages"]] == [m["body"] for m in messages]
    # A repeated Idempotency-Key creates nothing new.
    key = {"Idempotency-Key": "same-key"}
    a = visitor.post("/api/v1/visitor/messages", json={"body": "once"}, headers=key).json()
    b = visitor.post("/api/v1/visitor/messages", json={"body": "once"}, headers=key).json()
    assert a["id"] == b["id"]
    visitor.close()
    other.close()


def test_typing_goes_both_ways_through_presence(live_server: LiveServer) -> None:
    visitor, session = _visitor(live_server)
    conv_id = _say(visitor, "Hello?")["conversation_id"]
    with api_client(live_server, "advisor") as adv:
        assert adv.post(f"/api/v1/conversations/{conv_id}/presence", json={"state": "typing"}).status_code == 204
        got = _stream(visitor, session["last_seq"], lambda evs: any(e == "typing" for e, _ in evs))
        assert ("typing", {"typing": True, "name": "Aiko Mori"}) in got
        assert visitor.post("/api/v1/visitor/typing", json={"typing": True}).status_code == 204
        entries = adv.get(f"/api/v1/conversations/{conv_id}/presence").json()["advisors"]
        assert {"username": "client", "state": "typing"}.items() <= next(e for e in entries if e["username"] == "client").items()
        assert visitor.post("/api/v1/visitor/typing", json={"typing": False}).status_code == 204
        assert all(e["username"] != "client" for e in adv.get(f"/api/v1/conversations/{conv_id}/presence").json()["advisors"])
        assert adv.post(f"/api/v1/conversations/{conv_id}/presence", json={"state": "left"}).status_code == 204
    got = _stream(visitor, session["last_seq"], lambda evs: any(e == "typing" for e, _ in evs))
    assert ("typing", {"typing": False, "name": None}) in got
    visitor.close()


# ---- live visitors and invitations -----------------------------------------------------------------


@BOTH_DATABASES
def test_products_viewed_show_in_live_visitors_and_in_the_log(live_server: LiveServer) -> None:
    skus = _skus(live_server, 3)
    visitor, session = _visitor(live_server, sku=skus[0], page="https://shop.example/bags")
    vid = session["visitor_id"]
    assert visitor.post("/api/v1/visitor/view", json={"sku": skus[1], "page": "https://shop.example/p/2"}).status_code == 200
    assert visitor.post("/api/v1/visitor/view", json={"sku": skus[2]}).status_code == 200
    assert_error(visitor.post("/api/v1/visitor/view", json={"sku": "NO-SUCH-SKU"}), 422, "unknown_product")
    seen = _live(live_server, vid)
    assert seen is not None and seen["live"] and seen["label"] == f"Visitor {vid}"
    assert seen["current_sku"] == skus[2] and seen["current_product"]
    assert [v["sku"] for v in seen["viewed"]] == [skus[2], skus[1], skus[0]] and all(v["name"] for v in seen["viewed"])
    assert seen["current_page"] == "https://shop.example/p/2" and not seen["returning"] and not seen["vic"]
    changes = [e["data"]["change"] for e in _visitor_events(live_server, vid)]
    assert changes == ["arrived", "viewed", "viewed"]
    # A ping changes nothing in the log.
    assert visitor.post("/api/v1/visitor/ping", json={}).status_code == 204
    assert len(_visitor_events(live_server, vid)) == 3
    with api_client(live_server, "trainer") as trainer:  # readers see the list
        assert any(v["id"] == vid for v in trainer.get("/api/v1/visitors").json()["items"])
    visitor.close()


@BOTH_DATABASES
def test_an_invitation_shows_on_her_page_and_accepting_assigns_her_chat_to_the_advisor(live_server: LiveServer) -> None:
    visitor, session = _visitor(live_server)
    vid = session["visitor_id"]
    with api_client(live_server, "advisor") as adv, api_client(live_server, "olivia.bennett") as other, api_client(live_server, "trainer") as trainer:
        assert_error(trainer.post(f"/api/v1/visitors/{vid}/invite"), 403, "forbidden")
        assert_error(adv.post("/api/v1/visitors/999999/invite"), 404, "not_found")
        assert_error(visitor.post("/api/v1/visitor/invitation", json={"accept": True}), 409, "no_invitation")
        r = adv.post(f"/api/v1/visitors/{vid}/invite", json={})
        assert r.status_code == 200, r.text
        assert r.json()["invitation"] == {**r.json()["invitation"], "advisor": "advisor", "advisor_name": "Aiko Mori", "message": "May I help you?", "status": "pending"}
        assert_error(other.post(f"/api/v1/visitors/{vid}/invite", json={}), 409, "already_invited")
        got = _stream(visitor, session["last_seq"], lambda evs: any(e == "invitation" and d for e, d in evs))
        invitation = next(d for e, d in got if e == "invitation" and d)
        assert invitation["advisor_name"] == "Aiko Mori" and invitation["status"] == "pending"
        assert _start(live_server, session["token"]).json()["invitation"]["status"] == "pending"
        accepted = visitor.post("/api/v1/visitor/invitation", json={"accept": True})
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        conv_id = _say(visitor, "Yes please, I am looking for a gift.")["conversation_id"]
        conv = adv.get(f"/api/v1/conversations/{conv_id}").json()
        assert conv["assignee"] == "advisor" and conv["status"] == "assigned"
        changes = [e["data"]["change"] for e in _visitor_events(live_server, vid)]
        assert changes == ["arrived", "invited", "invitation_accepted", "chat"]
    # Dismissed: nothing is assigned.
    second, s2 = _visitor(live_server)
    with api_client(live_server, "advisor") as adv:
        assert adv.post(f"/api/v1/visitors/{s2['visitor_id']}/invite", json={"message": "Can I help you find a size?"}).status_code == 200
    assert second.post("/api/v1/visitor/invitation", json={"accept": False}).json()["status"] == "dismissed"
    conv_id = _say(second, "Just looking")["conversation_id"]
    with api_client(live_server, "supervisor") as sup:
        assert sup.get(f"/api/v1/conversations/{conv_id}").json()["assignee"] is None
    visitor.close()
    second.close()


# ---- linking to a client ------------------------------------------------------------------------


@BOTH_DATABASES
def test_her_email_links_her_to_the_existing_client_and_her_chat_moves_there(live_server: LiveServer) -> None:
    engine = _engine(live_server)
    with engine.connect() as conn:
        client_id, email, name, tier = conn.execute(
            text("SELECT id, email, name, vic_tier FROM client WHERE email IS NOT NULL AND vic_tier <> 'none' AND hub = 'TYO' ORDER BY id LIMIT 1")
        ).one()
    engine.dispose()
    visitor, session = _visitor(live_server)
    conv_id = _say(visitor, "Hello, it's me again")["conversation_id"]
    assert_error(visitor.post("/api/v1/visitor/identify", json={"email": "not an email"}), 422, "invalid_email")
    r = visitor.post("/api/v1/visitor/identify", json={"email": f"  {email.upper()} "})
    assert r.status_code == 200 and r.json() == {"linked": True, "name": None}  # the stored name is not revealed
    with api_client(live_server, "advisor") as adv:
        conv = adv.get(f"/api/v1/conversations/{conv_id}").json()
        assert conv["client_id"] == client_id and conv["client_name"] == name and conv["vic_tier"] == tier
    seen = _live(live_server, session["visitor_id"])
    assert seen is not None and seen["client_id"] == client_id and seen["label"] == name and seen["vic"] and seen["returning"]
    # Another, unknown email: a new client takes her chat; the client she was linked to keeps its email.
    other = f"{uuid.uuid4().hex[:8]}@example.net"
    assert visitor.post("/api/v1/visitor/identify", json={"email": other, "name": "Someone Else"}).status_code == 200
    with api_client(live_server, "advisor") as adv:
        assert adv.get(f"/api/v1/clients/{client_id}").json()["email"] == email
        moved = adv.get(f"/api/v1/conversations/{conv_id}").json()
        assert moved["client_id"] != client_id and moved["client_name"] == "Someone Else"
        assert adv.get(f"/api/v1/clients/{moved['client_id']}").json()["email"] == other
    visitor.close()
    # A new email: her anonymous client takes it, with the name she gave.
    newcomer, s2 = _visitor(live_server)
    conv2 = _say(newcomer, "First time here")["conversation_id"]
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    assert newcomer.post("/api/v1/visitor/identify", json={"email": address, "name": "Hana Sato"}).json() == {"linked": True, "name": "Hana Sato"}
    with api_client(live_server, "advisor") as adv:
        conv = adv.get(f"/api/v1/conversations/{conv2}").json()
        assert conv["client_name"] == "Hana Sato"
        assert adv.get(f"/api/v1/clients/{conv['client_id']}").json()["email"] == address
    assert _start(live_server, s2["token"]).json()["name"] == "Hana Sato"
    newcomer.close()


# ---- departures, limits, bad input -------------------------------------------------------------------


def test_a_silent_page_has_left_and_comes_back_as_live(live_server: LiveServer) -> None:
    visitor, session = _visitor(live_server)
    vid = session["visitor_id"]
    engine = _engine(live_server)
    with engine.begin() as conn:
        conn.execute(update(WebVisitorRow).where(WebVisitorRow.id == vid).values(last_seen_at=datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=2)))
    engine.dispose()
    deadline = time.monotonic() + 10
    while _live(live_server, vid) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live(live_server, vid) is None
    assert [e["data"]["change"] for e in _visitor_events(live_server, vid)][-1] == "left"
    with api_client(live_server, "advisor") as adv:
        assert_error(adv.post(f"/api/v1/visitors/{vid}/invite"), 409, "visitor_gone")
    assert visitor.post("/api/v1/visitor/ping", json={"page": "https://shop.example/"}).status_code == 204
    back = _live(live_server, vid)
    assert back is not None and back["live"] and back["current_page"] == "https://shop.example/"
    assert [e["data"]["change"] for e in _visitor_events(live_server, vid)][-2:] == ["left", "arrived"]
    visitor.close()


def test_bad_input_and_anonymous_rate_limit(live_server: LiveServer, seeded_template: Any) -> None:
    visitor, _ = _visitor(live_server)
    assert_error(visitor.post("/api/v1/visitor/messages", json={"body": "   "}), 422, "empty_message")
    assert_error(visitor.post("/api/v1/visitor/messages", json={"body": "x" * 20001}), 413, "message_too_large")
    assert_error(visitor.post("/api/v1/visitor/messages", content=b"{nope", headers={"Content-Type": "application/json"}), 400, "malformed_json")
    assert_error(visitor.post("/api/v1/visitor/typing", json={"typing": "maybe"}), 422, "invalid_request")
    assert_error(visitor.get("/api/v1/visitor/stream", headers={"Last-Event-ID": "abc"}), 400, "invalid_last_event_id")
    assert visitor.post("/api/v1/visitor/typing", json={"typing": True}).status_code == 204  # no conversation yet: nothing to show
    visitor.close()
    from advisor_console.server.limits import Limits

    limited = start_live_server(live_server.database_url, seeded_template[1], limits=Limits(anonymous_per_second=0.01, anonymous_burst=3))
    try:
        statuses = [_start(limited).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        assert_error(_start(limited), 429, "rate_limited")
    finally:
        limited.stop()


def test_receipts_from_her_page_reach_the_advisors(live_server: LiveServer) -> None:
    """Her feed carrying a reply marks it delivered; her page showing it marks it read; a
    visitor can mark only replies of her own conversations."""
    visitor, session = _visitor(live_server)
    stranger, _ = _visitor(live_server)
    conv_id = _say(visitor, "Do you ship to Osaka?")["conversation_id"]
    with api_client(live_server, "advisor") as adv:
        adv.post(f"/api/v1/conversations/{conv_id}/claim").raise_for_status()
        reply = adv.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "Yes, in two days."}).json()

        def delivery() -> str:
            return next(m for m in adv.get(f"/api/v1/conversations/{conv_id}").json()["messages"] if m["id"] == reply["id"])["delivery"]

        assert delivery() == "sent"
        _stream(visitor, session["last_seq"], lambda evs: any(e == "message" and d.get("kind") == "reply" for e, d in evs))
        wait_for(lambda: delivery() == "delivered", "delivered")
        assert stranger.post("/api/v1/visitor/read", json={"upto": reply["id"]}).status_code == 204
        assert delivery() == "delivered"  # not hers
        assert visitor.post("/api/v1/visitor/read", json={"upto": reply["id"]}).status_code == 204
        assert delivery() == "read"
        assert visitor.post("/api/v1/visitor/read", json={"upto": 0}).status_code == 422
    visitor.close()
    stranger.close()
