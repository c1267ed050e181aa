"""Every endpoint of shared/API.md against a real server on loopback, with 401/403/404/409."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from conftest import LiveServer


def _client(server: LiveServer, username: str | None = None) -> httpx.Client:
    headers = server.headers(username) if username else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


def _assert_error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"] and "Traceback" not in r.text
    if code:
        assert body["error"]["code"] == code
    return body


def _queued_in_hub(c: httpx.Client, hub: str) -> dict:
    items = c.get("/api/v1/conversations", params={"status": "queued", "hub": hub, "limit": 100}).json()["items"]
    assert items, f"no queued conversation in {hub}"
    return items[0]


# ---- auth ---------------------------------------------------------------------------------


def test_token_and_me(live_server: LiveServer) -> None:
    adv = live_server.account("advisor")
    r = httpx.post(f"{live_server.url}/api/v1/auth/token", json={"username": adv["username"], "password": "demo"})
    assert r.status_code == 200
    body = r.json()
    assert body["token"] and body["advisor"]["username"] == adv["username"]
    assert "password" not in json.dumps(body["advisor"]) and "password_hash" not in body["advisor"]
    me = httpx.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).json()
    assert me["role"] == "advisor" and me["hub"] == adv["hub"]


def test_wrong_password_and_unknown_user_are_401(live_server: LiveServer) -> None:
    adv = live_server.account("advisor")
    r = httpx.post(f"{live_server.url}/api/v1/auth/token", json={"username": adv["username"], "password": "nope"})
    _assert_error(r, 401, "invalid_credentials")
    r = httpx.post(f"{live_server.url}/api/v1/auth/token", json={"username": "nobody", "password": "demo"})
    _assert_error(r, 401, "invalid_credentials")


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/conversations"),
        ("GET", "/api/v1/conversations/1"),
        ("GET", "/api/v1/clients/1"),
        ("GET", "/api/v1/products"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/events/stream"),
        ("POST", "/api/v1/conversations/1/claim"),
        ("POST", "/api/v1/conversations/1/messages"),
        ("POST", "/api/v1/conversations/1/resolve"),
        ("POST", "/api/v1/conversations/1/transfer"),
        ("POST", "/api/v1/conversations/1/snooze"),
        ("POST", "/api/v1/inbound"),
    ],
)
def test_every_endpoint_needs_a_token(live_server: LiveServer, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        r = httpx.request(method, f"{live_server.url}{path}", headers=headers, json={})
        _assert_error(r, 401)


# ---- reading --------------------------------------------------------------------------------


def test_list_conversations_filters_and_pages(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        first = c.get("/api/v1/conversations", params={"limit": 5}).json()
        assert len(first["items"]) == 5 and first["next_cursor"]
        second = c.get("/api/v1/conversations", params={"limit": 5, "cursor": first["next_cursor"]}).json()
        assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
        for field, value in (("channel", "whatsapp"), ("language", "ja"), ("status", "queued"), ("hub", "TYO")):
            items = c.get("/api/v1/conversations", params={field: value, "limit": 500}).json()["items"]
            assert all(i[field] == value for i in items)
        _assert_error(c.get("/api/v1/conversations", params={"cursor": "@@@"}), 400, "invalid_cursor")
        _assert_error(c.get("/api/v1/conversations", params={"limit": 0}), 422)


def test_advisor_sees_only_their_hub_or_their_own(live_server: LiveServer) -> None:
    adv = live_server.account("advisor")
    with _client(live_server, adv["username"]) as c:
        items = c.get("/api/v1/conversations", params={"limit": 500}).json()["items"]
        assert items and all(i["hub"] == adv["hub"] or i["assignee"] == adv["username"] for i in items)
    with _client(live_server, "supervisor") as sup:
        other = next(i for i in sup.get("/api/v1/conversations", params={"limit": 500}).json()["items"] if i["hub"] != adv["hub"] and i["assignee"] != adv["username"])
    with _client(live_server, adv["username"]) as c:
        _assert_error(c.get(f"/api/v1/conversations/{other['id']}"), 404)


def test_conversation_detail_and_404(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        conv = c.get("/api/v1/conversations", params={"limit": 1}).json()["items"][0]
        detail = c.get(f"/api/v1/conversations/{conv['id']}").json()
        assert detail["id"] == conv["id"] and detail["messages"]
        assert all(m["conversation_id"] == conv["id"] for m in detail["messages"])
        datetime.fromisoformat(detail["created_at"]).utcoffset()  # times carry an offset
        assert detail["created_at"].endswith(("Z", "+00:00"))
        _assert_error(c.get("/api/v1/conversations/999999"), 404, "not_found")
        _assert_error(c.get("/api/v1/conversations/abc"), 422)
        # An id has one spelling: digits alone (pydantic's integers take these too).
        for spelling in ("%09" + str(conv["id"]), "%20" + str(conv["id"]), "+" + str(conv["id"]), str(conv["id"]) + "%20"):
            _assert_error(c.get(f"/api/v1/conversations/{spelling}"), 422)
            _assert_error(c.get(f"/api/v1/clients/{spelling}"), 422)


def test_client_360(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        conv = c.get("/api/v1/conversations", params={"limit": 1}).json()["items"][0]
        client = c.get(f"/api/v1/clients/{conv['client_id']}").json()
        for key in ("name", "native_name", "vic_tier", "sizes", "taste", "consent", "purchases", "tasks", "lifetime_spend"):
            assert key in client
        _assert_error(c.get("/api/v1/clients/999999"), 404, "not_found")


def test_products_search(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        page = c.get("/api/v1/products", params={"limit": 3}).json()
        assert len(page["items"]) == 3 and page["next_cursor"]
        product = page["items"][0]
        word = product["name"].split()[0]
        found = c.get("/api/v1/products", params={"q": word.lower()}).json()["items"]
        assert product["sku"] in {p["sku"] for p in found}
        by_sku = c.get("/api/v1/products", params={"q": product["sku"]}).json()["items"]
        assert [p["sku"] for p in by_sku] == [product["sku"]]
        cat = c.get("/api/v1/products", params={"category": product["category"], "limit": 200}).json()["items"]
        assert cat and all(p["category"] == product["category"] for p in cat)
        assert c.get("/api/v1/products", params={"q": "%_%' OR 1=1 --"}).json()["items"] == []


# ---- writing ----------------------------------------------------------------------------------


def test_claim_then_409_for_another_advisor(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    with _client(live_server, a["username"]) as ca, _client(live_server, b["username"]) as cb:
        conv = _queued_in_hub(ca, "TYO")
        r = ca.post(f"/api/v1/conversations/{conv['id']}/claim")
        assert r.status_code == 200 and r.json()["assignee"] == a["username"] and r.json()["status"] == "assigned"
        assert ca.post(f"/api/v1/conversations/{conv['id']}/claim").status_code == 200  # already mine: fine
        body = _assert_error(cb.post(f"/api/v1/conversations/{conv['id']}/claim"), 409, "already_claimed")
        assert a["username"] in body["error"]["message"]
        _assert_error(cb.post("/api/v1/conversations/999999/claim"), 404)


def test_messages_reply_note_and_idempotency(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    with _client(live_server, a["username"]) as c:
        conv = _queued_in_hub(c, "TYO")
        key = str(uuid.uuid4())
        r1 = c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "Bonjour Madame", "kind": "reply"}, headers={"Idempotency-Key": key})
        r2 = c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "Bonjour Madame", "kind": "reply"}, headers={"Idempotency-Key": key})
        assert r1.status_code == r2.status_code == 201 and r1.json() == r2.json()
        note = c.post(
            f"/api/v1/conversations/{conv['id']}/messages",
            json={"body": "prefers no calls", "kind": "note", "attachments": [{"type": "product_card", "sku": "X", "name": "Bag", "price": "1 €"}]},
        )
        assert note.status_code == 201 and note.json()["kind"] == "note" and note.json()["attachments"][0]["sku"] == "X"
        detail = c.get(f"/api/v1/conversations/{conv['id']}").json()
        bodies = [m["body"] for m in detail["messages"]]
        assert bodies.count("Bonjour Madame") == 1 and "prefers no calls" in bodies
        assert detail["assignee"] == a["username"] and detail["first_response_at"]
        # Same key, different request: refused rather than silently replayed.
        _assert_error(c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "other", "kind": "reply"}, headers={"Idempotency-Key": key}), 422, "idempotency_key_reused")
        _assert_error(c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": " ", "kind": "reply"}), 422, "empty_message")
        _assert_error(c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "x", "kind": "inbound"}), 422)
        _assert_error(c.post(f"/api/v1/conversations/{conv['id']}/messages", content=b"{not json", headers={"content-type": "application/json"}), 400, "malformed_json")
        _assert_error(c.post("/api/v1/conversations/999999/messages", json={"body": "x"}), 404)


def test_reply_to_a_conversation_held_by_another_is_409(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    with _client(live_server, a["username"]) as ca, _client(live_server, b["username"]) as cb:
        conv = _queued_in_hub(ca, "TYO")
        ca.post(f"/api/v1/conversations/{conv['id']}/claim").raise_for_status()
        _assert_error(cb.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "hi"}), 409, "already_claimed")
        # A note from a colleague is fine.
        assert cb.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "fyi", "kind": "note"}).status_code == 201


def test_resolve_transfer_snooze(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    with _client(live_server, a["username"]) as c:
        conv = _queued_in_hub(c, "TYO")
        cid = conv["id"]
        until = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
        r = c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": until})
        assert r.status_code == 200 and r.json()["status"] == "snoozed"
        _assert_error(c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": "2000-01-01T00:00:00+00:00"}), 422, "invalid_time")
        _assert_error(c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": "soon"}), 422)
        r = c.post(f"/api/v1/conversations/{cid}/resolve")
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        _assert_error(c.post(f"/api/v1/conversations/{cid}/messages", json={"body": "hi"}), 409, "conversation_resolved")
        assert c.post(f"/api/v1/conversations/{cid}/reopen").json()["status"] == "assigned"
        _assert_error(c.post(f"/api/v1/conversations/{cid}/transfer", json={"to_hub": "XXX"}), 422, "unknown_hub")
        _assert_error(c.post(f"/api/v1/conversations/{cid}/transfer", json={}), 422, "invalid_transfer")
        r = c.post(f"/api/v1/conversations/{cid}/transfer", json={"to_hub": "SEL", "note": "Korean speaker needed"})
        assert r.status_code == 200 and r.json()["hub"] == "SEL" and r.json()["status"] == "queued" and r.json()["assignee"] is None
        # Out of the advisor's hub now: no longer visible.
        _assert_error(c.get(f"/api/v1/conversations/{cid}"), 404)
    seoul = live_server.account("advisor", "SEL")
    with _client(live_server, seoul["username"]) as c:
        assert c.get(f"/api/v1/conversations/{cid}").json()["hub"] == "SEL"
        r = c.post(f"/api/v1/conversations/{cid}/transfer", json={"to_advisor": seoul["username"]})
        assert r.json()["assignee"] == seoul["username"]
        _assert_error(c.post(f"/api/v1/conversations/{cid}/transfer", json={"to_advisor": "ghost"}), 422, "unknown_advisor")


def test_inbound_creates_then_appends_and_dedupes(live_server: LiveServer) -> None:
    with _client(live_server, "channel-sim") as ch, _client(live_server, "supervisor") as sup:
        conv = sup.get("/api/v1/conversations", params={"limit": 1}).json()["items"][0]
        payload = {"channel": "email", "client_id": conv["client_id"], "body": "Is the bag still available?", "external_id": f"m-{uuid.uuid4()}"}
        r1 = ch.post("/api/v1/inbound", json=payload)
        r2 = ch.post("/api/v1/inbound", json=payload)
        assert r1.status_code == r2.status_code == 201 and r1.json() == r2.json()
        cid = r1.json()["conversation_id"]
        r3 = ch.post("/api/v1/inbound", json={**payload, "external_id": f"m-{uuid.uuid4()}", "body": "And in black?"})
        assert r3.json()["conversation_id"] == cid and not r3.json()["created_conversation"]
        msgs = [m["body"] for m in sup.get(f"/api/v1/conversations/{cid}").json()["messages"]]
        assert msgs.count("Is the bag still available?") == 1 and "And in black?" in msgs
        new = ch.post("/api/v1/inbound", json={"channel": "chat", "contact": {"name": "Mia Rossi", "email": "mia@example.com", "country": "IT"}, "body": "Ciao!"})
        assert new.status_code == 201 and new.json()["created_conversation"]
        _assert_error(ch.post("/api/v1/inbound", json={"channel": "pigeon", "client_id": 1, "body": "x"}), 422)
        _assert_error(ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": 999999, "body": "x"}), 422, "unknown_client")
        _assert_error(ch.post("/api/v1/inbound", json={"channel": "chat", "body": "x"}), 422)


@pytest.mark.parametrize("role", ["advisor", "supervisor", "trainer"])
def test_only_channel_accounts_post_inbound(live_server: LiveServer, role: str) -> None:
    acc = live_server.account(role)
    with _client(live_server, acc["username"]) as c:
        _assert_error(c.post("/api/v1/inbound", json={"channel": "chat", "client_id": 1, "body": "x"}), 403, "forbidden")


def test_channel_accounts_read_nothing(live_server: LiveServer) -> None:
    with _client(live_server, "channel-sim") as c:
        for path in ("/api/v1/conversations", "/api/v1/conversations/1", "/api/v1/clients/1", "/api/v1/products", "/api/v1/events"):
            _assert_error(c.get(path), 403)
        _assert_error(c.post("/api/v1/conversations/1/claim"), 403)


def test_trainer_reads_but_does_not_write(live_server: LiveServer) -> None:
    with _client(live_server, "trainer") as c:
        assert c.get("/api/v1/conversations").status_code == 200
        _assert_error(c.post("/api/v1/conversations/1/claim"), 403)
        _assert_error(c.post("/api/v1/conversations/1/messages", json={"body": "x"}), 403)


# ---- events ----------------------------------------------------------------------------------


def test_events_catch_up_is_ordered_and_gapless(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        seqs: list[int] = []
        after = 0
        while True:
            page = c.get("/api/v1/events", params={"after": after, "limit": 100}).json()
            seqs += [e["seq"] for e in page["events"]]
            if page["last_seq"] == after:
                break
            after = page["last_seq"]
        assert seqs == list(range(1, len(seqs) + 1))
        e = c.get("/api/v1/events", params={"after": 0, "limit": 1}).json()["events"][0]
        assert set(e) == {"seq", "type", "at", "actor", "data"}


def test_advisor_events_are_filtered_but_cursor_advances(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    with _client(live_server, adv["username"]) as c, _client(live_server, "supervisor") as sup:
        head = sup.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["last_seq"]
        page = c.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()
        assert page["last_seq"] == head
        for e in page["events"]:
            conv = e["data"].get("conversation")
            if conv:
                assert conv["hub"] == "TYO" or conv["assignee"] == adv["username"]


def test_sse_stream_resumes_after_last_event_id(live_server: LiveServer) -> None:
    with _client(live_server, "supervisor") as c:
        head = c.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["last_seq"]
    with _client(live_server, "channel-sim") as ch:
        ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": 1, "body": "stream me"}).raise_for_status()
    headers = {**live_server.headers("supervisor"), "Last-Event-ID": str(head)}
    got: list[tuple[str, str]] = []
    with httpx.stream("GET", f"{live_server.url}/api/v1/events/stream", headers=headers, timeout=10) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event_id = None
        for line in r.iter_lines():
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: ") and event_id:
                got.append((event_id, line[6:]))
                if json.loads(line[6:])["type"] == "message.created":
                    break
    assert int(got[0][0]) == head + 1
    assert json.loads(got[-1][1])["data"]["message"]["body"] == "stream me"


def test_openapi_and_health(live_server: LiveServer) -> None:
    schema = httpx.get(f"{live_server.url}/openapi.json").json()
    for path in ("/api/v1/auth/token", "/api/v1/conversations", "/api/v1/conversations/{conversation_id}/claim", "/api/v1/inbound", "/api/v1/events/stream", "/api/v1/products", "/api/v1/clients/{client_id}"):
        assert path in schema["paths"]
    assert httpx.get(f"{live_server.url}/api/v1/health").json()["status"] == "ok"
    _assert_error(httpx.get(f"{live_server.url}/api/v1/nothing-here"), 404)


def test_client_notes_and_tasks(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    with _client(live_server, a["username"]) as c, _client(live_server, "supervisor") as sup:
        conv = _queued_in_hub(c, "TYO")
        cid = conv["client_id"]
        r = c.post(f"/api/v1/clients/{cid}/notes", json={"notes": "Prefers WhatsApp; wears 36.5"})
        assert r.status_code == 200 and r.json()["notes"] == "Prefers WhatsApp; wears 36.5"
        due = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
        key = str(uuid.uuid4())
        t1 = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "appointment", "title": "Video try-on", "due": due, "place": "video"}, headers={"Idempotency-Key": key})
        t2 = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "appointment", "title": "Video try-on", "due": due, "place": "video"}, headers={"Idempotency-Key": key})
        assert t1.status_code == 201 and t1.json() == t2.json()
        task_id = t1.json()["id"]
        assert task_id in [t["id"] for t in c.get(f"/api/v1/clients/{cid}").json()["tasks"]]
        done = c.post(f"/api/v1/tasks/{task_id}", json={"done": True, "outcome": "kept the loafers"})
        assert done.json()["done"] and done.json()["outcome"] == "kept the loafers"
        assert task_id not in [t["id"] for t in c.get(f"/api/v1/clients/{cid}").json()["tasks"]]
        _assert_error(c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "dance", "title": "x", "due": due}), 422)
        _assert_error(c.post("/api/v1/tasks/999999", json={"done": True}), 404)
        events = sup.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["events"]
        types = [e["type"] for e in events if e["data"].get("client_id") == cid]
        assert {"client.updated", "task.created", "task.updated"} <= set(types)
    with _client(live_server, "trainer") as t:
        _assert_error(t.post(f"/api/v1/clients/{cid}/notes", json={"notes": "x"}), 403)


def test_advisor_status_and_capacity(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    with _client(live_server, a["username"]) as c, _client(live_server, "supervisor") as sup:
        team = c.get("/api/v1/advisors", params={"hub": "TYO"}).json()
        assert a["username"] in {t["username"] for t in team} and all(t["role"] != "channel" for t in team)
        conv = _queued_in_hub(c, "TYO")
        c.post(f"/api/v1/conversations/{conv['id']}/claim").raise_for_status()
        assert c.post(f"/api/v1/advisors/{a['username']}", json={"status": "busy"}).json()["status"] == "busy"
        _assert_error(c.post(f"/api/v1/advisors/{a['username']}", json={"capacity": 99}), 422)
        _assert_error(c.post(f"/api/v1/advisors/{a['username']}", json={"capacity": 9}), 403)
        _assert_error(c.post(f"/api/v1/advisors/{b['username']}", json={"status": "away"}), 403)
        _assert_error(c.post("/api/v1/advisors/ghost", json={"status": "away"}), 404)
        assert sup.post(f"/api/v1/advisors/{a['username']}", json={"capacity": 3}).json()["capacity"] == 3
        # Going away hands the open conversation back to the queue.
        c.post(f"/api/v1/advisors/{a['username']}", json={"status": "away"}).raise_for_status()
        back = sup.get(f"/api/v1/conversations/{conv['id']}").json()
        assert back["status"] == "queued" and back["assignee"] is None


def test_audit_log_records_views_and_changes_for_supervisors(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    with _client(live_server, a["username"]) as c, _client(live_server, "supervisor") as sup:
        conv = _queued_in_hub(c, "TYO")
        cid = conv["client_id"]
        c.get(f"/api/v1/clients/{cid}").raise_for_status()
        c.post(f"/api/v1/clients/{cid}/notes", json={"notes": "audited"}).raise_for_status()
        entries = sup.get("/api/v1/audit", params={"client_id": cid}).json()["items"]
        mine = [(e["actor"], e["action"]) for e in entries if e["actor"] == a["username"]]
        assert (a["username"], "client.view") in mine and (a["username"], "client.notes") in mine
        assert entries[0]["at"] >= entries[-1]["at"]
        _assert_error(c.get("/api/v1/audit"), 403)
    with _client(live_server, "trainer") as t:
        _assert_error(t.get("/api/v1/audit"), 403)


def test_digits_int_cannot_read_are_not_numbers(live_server: LiveServer) -> None:
    """"³" (a superscript) is a digit to str.isdigit but not to int(): a product key made
    of it is an unknown product, never a 500."""
    h = live_server.headers("advisor")
    for path in ("/api/v1/products/%C2%B3%0C", "/api/v1/products/%C2%B3/image"):
        r = httpx.get(f"{live_server.url}{path}", headers=h)
        assert r.status_code == 404, (path, r.status_code, r.text)
