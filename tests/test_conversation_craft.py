"""The advisor's day (issue 4), against real servers: conversation updates, snoozes that
wake by themselves, scheduled replies, WhatsApp's 24-hour window and templates, canned
replies, email subjects, quoted replies, call notes and presence on the stream."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from support import wait_for, api_client as _client, assert_error as _error
from conftest import BOTH_DATABASES, LiveServer, start_live_server




def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_conversation(server: LiveServer, channel: str = "chat", *, country: str = "JP", locale: str = "ja-JP", subject: str | None = None) -> dict[str, Any]:
    """A fresh client (in Tokyo by default) writes on `channel`: a new queued conversation."""
    tag = uuid.uuid4().hex[:10]
    contact: dict[str, Any] = {"name": f"Test Client {tag}", "locale": locale, "country": country}
    if channel in ("whatsapp", "phone"):
        contact["phone"] = f"+81{int(tag, 16) % 10**10:010d}"
    else:
        contact["email"] = f"{tag}@example.com"
    payload: dict[str, Any] = {"channel": channel, "contact": contact, "body": "Hello, I would like some advice.", "external_id": f"x-{tag}"}
    if subject is not None:
        payload["subject"] = subject
    with _client(server, "channel-sim") as ch:
        r = ch.post("/api/v1/inbound", json=payload)
        assert r.status_code == 201, r.text
        assert r.json()["created_conversation"]
    with _client(server, "supervisor") as sup:
        return sup.get(f"/api/v1/conversations/{r.json()['conversation_id']}").json()


def _events(server: LiveServer, after: int = 0) -> list[dict[str, Any]]:
    with _client(server, "supervisor") as sup:
        return sup.get("/api/v1/events", params={"after": after, "limit": 5000}).json()["events"]


def _head(server: LiveServer) -> int:
    with _client(server, "supervisor") as sup:
        return _last_seq(sup)


def _last_seq(sup: httpx.Client) -> int:
    after = 0
    while True:
        page = sup.get("/api/v1/events", params={"after": after, "limit": 5000}).json()
        if page["last_seq"] == after:
            return after
        after = page["last_seq"]




def _set_columns(server: LiveServer, conv_id: int, **values: Any) -> None:
    """Move a conversation's clock (tests only): straight to the database."""
    from sqlmodel import Session

    from advisor_console.server.db import make_engine
    from advisor_console.server.tables import ConversationRow

    engine = make_engine(server.database_url, pool_size=1)
    try:
        with Session(engine) as s:
            s.execute(update(ConversationRow).where(ConversationRow.id == conv_id).values(**values))
            s.commit()
    finally:
        engine.dispose()


def _sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parse SSE lines into {"id", "event", "data"} (id None when the event has none)."""
    current: dict[str, Any] = {"id": None, "event": None, "data": None}
    for line in lines:
        if not line:
            if current["data"] is not None:
                yield current
            current = {"id": None, "event": None, "data": None}
        elif line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])


# ---- 1. PATCH a conversation -------------------------------------------------------------


def test_update_priority_tags_and_stage(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server)
    cid = conv["id"]
    head = _head(live_server)
    with _client(live_server, adv["username"]) as c:
        key = str(uuid.uuid4())
        body = {"priority": 2, "tags": ["  VIP ", "Gift", "vip", "anniversary"], "stage": "purchase"}
        r1 = c.patch(f"/api/v1/conversations/{cid}", json=body, headers={"Idempotency-Key": key})
        r2 = c.patch(f"/api/v1/conversations/{cid}", json=body, headers={"Idempotency-Key": key})
        assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
        summary = r1.json()
        assert summary["priority"] == 2 and summary["tags"] == ["vip", "gift", "anniversary"] and summary["stage"] == "purchase"
        # Only what is given changes; an unchanged request appends nothing.
        assert c.patch(f"/api/v1/conversations/{cid}", json={"priority": 3}).json()["tags"] == ["vip", "gift", "anniversary"]
        assert c.patch(f"/api/v1/conversations/{cid}", json={"priority": 3}).status_code == 200
        assert c.patch(f"/api/v1/conversations/{cid}", json={"tags": []}).json()["tags"] == []
        for bad in ({"priority": 4}, {"priority": -1}, {"tags": ["x" * 41]}, {"tags": ["  "]}, {"tags": ["a\u0007b"]}, {"tags": ["bi\u202edi"]},
                    {"tags": [f"t{i}" for i in range(21)]}, {"stage": "delivered"}):
            _error(c.patch(f"/api/v1/conversations/{cid}", json=bad), 422, "invalid_request")
        _error(c.patch("/api/v1/conversations/999999", json={"priority": 1}), 404, "not_found")
    updates = [e for e in _events(live_server, head) if e["type"] == "conversation.updated" and e["data"]["conversation"]["id"] == cid]
    assert [e["data"]["fields"] for e in updates] == [
        {"priority": 2, "tags": ["vip", "gift", "anniversary"], "stage": "purchase"},
        {"priority": 3},
        {"tags": []},
    ]
    assert updates[-1]["data"]["conversation"]["tags"] == [] and updates[-1]["actor"] == adv["username"]
    # Another hub's advisor does not see it; a trainer may not write.
    with _client(live_server, live_server.account("advisor", "SEL")["username"]) as other:
        _error(other.patch(f"/api/v1/conversations/{cid}", json={"priority": 1}), 404, "not_found")
    with _client(live_server, "trainer") as t:
        _error(t.patch(f"/api/v1/conversations/{cid}", json={"priority": 1}), 403, "forbidden")


# ---- 2 and 3. Snoozes wake by themselves; scheduled replies go out once ---------------------


@BOTH_DATABASES
def test_snooze_wakes_and_scheduled_reply_is_sent(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server)
    cid = conv["id"]
    head = _head(live_server)
    with _client(live_server, adv["username"]) as c:
        c.post(f"/api/v1/conversations/{cid}/claim").raise_for_status()
        r = c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": (_now() + timedelta(seconds=1)).isoformat()})
        assert r.json()["status"] == "snoozed"
        send_at = _now() + timedelta(seconds=1.5)
        key = str(uuid.uuid4())
        body = {"body": "Your sandals are ready for collection.", "kind": "reply", "send_at": send_at.isoformat()}
        r1 = c.post(f"/api/v1/conversations/{cid}/messages", json=body, headers={"Idempotency-Key": key})
        r2 = c.post(f"/api/v1/conversations/{cid}/messages", json=body, headers={"Idempotency-Key": key})
        assert r1.status_code == r2.status_code == 202 and r1.json() == r2.json()
        scheduled = r1.json()
        assert set(scheduled) == {"id", "conversation_id", "body", "kind", "attachments", "author", "send_at", "created_at"}
        assert scheduled["conversation_id"] == cid and scheduled["author"] == adv["username"] and scheduled["kind"] == "reply"
        assert [s["id"] for s in c.get(f"/api/v1/conversations/{cid}/scheduled").json()["items"]] == [scheduled["id"]]
        assert all(m["body"] != body["body"] for m in c.get(f"/api/v1/conversations/{cid}").json()["messages"])

        woken = wait_for(lambda: (d := c.get(f"/api/v1/conversations/{cid}").json())["status"] == "assigned" and d)
        assert woken["snoozed_until"] is None and woken["assignee"] == adv["username"]
        detail = wait_for(lambda: (d := c.get(f"/api/v1/conversations/{cid}").json()) and any(m["body"] == body["body"] for m in d["messages"]) and d)
        sent = [m for m in detail["messages"] if m["body"] == body["body"]]
        assert len(sent) == 1 and sent[0]["scheduled_id"] == scheduled["id"] and sent[0]["author"] == adv["username"] and sent[0]["kind"] == "reply"
        assert datetime.fromisoformat(sent[0]["at"]) >= send_at
        assert c.get(f"/api/v1/conversations/{cid}/scheduled").json()["items"] == []
        _error(c.delete(f"/api/v1/scheduled-messages/{scheduled['id']}"), 404, "not_found")  # sent already
    time.sleep(1.2)  # another turn of the loop: nothing twice
    mine = [e for e in _events(live_server, head) if e["data"].get("conversation", {}).get("id") == cid]
    types = [e["type"] for e in mine]
    assert types.count("conversation.woken") == 1 and types.count("message.scheduled") == 1
    woke = next(e for e in mine if e["type"] == "conversation.woken")
    assert woke["data"]["reason"] == "timer" and woke["data"]["conversation"]["status"] == "assigned"
    created = [e for e in mine if e["type"] == "message.created" and e["data"]["message"].get("scheduled_id") == scheduled["id"]]
    assert len(created) == 1 and created[0]["actor"] == adv["username"]
    assert next(e for e in mine if e["type"] == "message.scheduled")["data"]["scheduled"]["id"] == scheduled["id"]


def test_snoozed_queue_conversation_wakes_to_the_queue_and_inbound_wakes_too(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server)
    cid = conv["id"]
    with _client(live_server, adv["username"]) as c, _client(live_server, "channel-sim") as ch:
        c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": (_now() + timedelta(hours=3)).isoformat()}).raise_for_status()
        head = _head(live_server)
        r = ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": conv["client_id"], "body": "Are you there?"})
        assert r.json()["conversation_id"] == cid
        after = c.get(f"/api/v1/conversations/{cid}").json()
        assert after["status"] == "assigned" and after["snoozed_until"] is None
        types = [(e["type"], e["data"].get("reason")) for e in _events(live_server, head)]
        assert types == [("conversation.woken", "inbound"), ("message.created", None)]
        # A snooze with no assignee left (handed back to the queue) wakes to "queued".
        c.post(f"/api/v1/conversations/{cid}/snooze", json={"until": (_now() + timedelta(seconds=0.5)).isoformat()}).raise_for_status()
        _set_columns(live_server, cid, assignee_id=None)
        wait_for(lambda: c.get(f"/api/v1/conversations/{cid}").json()["status"] == "queued")


def test_scheduled_message_validation_and_cancel(live_server: LiveServer) -> None:
    a = live_server.account("advisor", "TYO")
    b = live_server.account("advisor", "TYO", exclude=(a["username"],))
    conv = _new_conversation(live_server)
    cid = conv["id"]
    url = f"/api/v1/conversations/{cid}/messages"
    with _client(live_server, a["username"]) as c, _client(live_server, b["username"]) as cb, _client(live_server, "supervisor") as sup:
        for send_at in ((_now() - timedelta(minutes=1)).isoformat(), (_now() + timedelta(days=31)).isoformat(), "2030-01-01T10:00:00"):
            _error(c.post(url, json={"body": "later", "send_at": send_at}), 422, "invalid_send_at")
        _error(c.post(url, json={"body": "later", "kind": "note", "send_at": (_now() + timedelta(hours=1)).isoformat()}), 422, "invalid_send_at")
        later = (_now() + timedelta(days=2)).isoformat()
        first = c.post(url, json={"body": "See you on Thursday.", "send_at": later})
        assert first.status_code == 202
        assert c.get(f"/api/v1/conversations/{cid}").json()["assignee"] == a["username"]  # scheduling a reply claims
        second = c.post(url, json={"body": "A reminder for Thursday.", "send_at": later}).json()
        head = _head(live_server)
        _error(cb.delete(f"/api/v1/scheduled-messages/{first.json()['id']}"), 403, "forbidden")  # not the author
        r = c.delete(f"/api/v1/scheduled-messages/{first.json()['id']}")
        assert r.status_code == 200 and r.json() == first.json()
        _error(c.delete(f"/api/v1/scheduled-messages/{first.json()['id']}"), 404, "not_found")
        assert sup.delete(f"/api/v1/scheduled-messages/{second['id']}").status_code == 200  # a team lead may
        assert c.get(f"/api/v1/conversations/{cid}/scheduled").json()["items"] == []
        _error(c.delete("/api/v1/scheduled-messages/999999"), 404, "not_found")
    unscheduled = [e["data"] for e in _events(live_server, head) if e["type"] == "message.unscheduled"]
    assert [(d["scheduled_id"], d["reason"], d["conversation"]["id"]) for d in unscheduled] == [
        (first.json()["id"], "cancelled", cid),
        (second["id"], "cancelled", cid),
    ]
    with _client(live_server, "trainer") as t:
        _error(t.delete(f"/api/v1/scheduled-messages/{second['id']}"), 403, "forbidden")
        assert t.get(f"/api/v1/conversations/{cid}/scheduled").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_send_each_scheduled_message_once(live_server: LiveServer) -> None:
    other = start_live_server(live_server.database_url, live_server.accounts)
    try:
        adv = live_server.account("advisor", "TYO")
        conv = _new_conversation(live_server)
        cid = conv["id"]
        with _client(live_server, adv["username"]) as c:
            send_at = (_now() + timedelta(seconds=1)).isoformat()
            ids = [c.post(f"/api/v1/conversations/{cid}/messages", json={"body": f"note {i}", "send_at": send_at}).json()["id"] for i in range(5)]
            wait_for(lambda: not c.get(f"/api/v1/conversations/{cid}/scheduled").json()["items"])
            time.sleep(1.2)
            messages = c.get(f"/api/v1/conversations/{cid}").json()["messages"]
        assert sorted(m["scheduled_id"] for m in messages if m["scheduled_id"]) == sorted(ids)
    finally:
        other.stop()


# ---- 4. WhatsApp: the 24-hour window and approved templates --------------------------------


def test_whatsapp_window_and_templates(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server, "whatsapp")
    cid = conv["id"]
    last_in = datetime.fromisoformat(conv["last_inbound_at"])
    assert datetime.fromisoformat(conv["window_closes_at"]) == last_in + timedelta(hours=24)
    assert _new_conversation(live_server, "chat")["window_closes_at"] is None
    url = f"/api/v1/conversations/{cid}/messages"
    with _client(live_server, adv["username"]) as c:
        assert c.post(url, json={"body": "Inside the window: anything goes."}).status_code == 201
        _set_columns(live_server, cid, last_inbound_at=_now() - timedelta(hours=25))
        closes = c.get(f"/api/v1/conversations/{cid}").json()["window_closes_at"]
        assert datetime.fromisoformat(closes) < _now()
        refused = _error(c.post(url, json={"body": "Any news?"}), 422, "whatsapp_window_closed")
        assert "template" in refused["error"]["message"]
        assert c.post(url, json={"body": "Internal: window closed, send a template.", "kind": "note"}).status_code == 201
        assert c.post(url, json={"body": "", "kind": "call_note", "outcome": "no_answer"}).status_code == 201

        template = next(t for t in c.get("/api/v1/canned-replies", params={"language": "ja"}).json()["items"] if t["whatsapp_approved"] and "{product}" in t["body"])
        not_approved = next(t for t in c.get("/api/v1/canned-replies", params={"language": "ja"}).json()["items"] if not t["whatsapp_approved"])
        english = next(t for t in c.get("/api/v1/canned-replies", params={"language": "en"}).json()["items"] if t["whatsapp_approved"])
        filled = template["body"].replace("{address}", "田中様").replace("{product}", "バレエシューズ").replace("{size}", "23.5").replace("{advisor}", "由美")
        _error(c.post(url, json={"body": filled, "template": not_approved["id"]}), 422, "template_not_approved")
        _error(c.post(url, json={"body": filled, "template": english["id"]}), 422, "template_not_approved")  # not her language
        _error(c.post(url, json={"body": filled, "template": "nope"}), 422, "template_not_approved")
        _error(c.post(url, json={"body": filled + " ついでにセールもご案内します。", "template": template["id"]}), 422, "template_mismatch")
        _error(c.post(url, json={"body": template["body"].replace("ご返信", "ご連絡"), "template": template["id"]}), 422, "template_mismatch")
        sent = c.post(url, json={"body": filled, "template": template["id"]})
        assert sent.status_code == 201 and sent.json()["body"] == filled
        # A reply scheduled past the window's end is refused up front (without a template).
        _set_columns(live_server, cid, last_inbound_at=_now() - timedelta(hours=23))
        _error(c.post(url, json={"body": "Tomorrow", "send_at": (_now() + timedelta(hours=2)).isoformat()}), 422, "whatsapp_window_closed")
        assert c.post(url, json={"body": "In an hour", "send_at": (_now() + timedelta(minutes=30)).isoformat()}).status_code == 202


# ---- 5. Canned replies ---------------------------------------------------------------------


def test_canned_replies(live_server: LiveServer) -> None:
    with _client(live_server, "trainer") as c:
        everything = c.get("/api/v1/canned-replies").json()["items"]
        ids = [r["id"] for r in everything]
        assert len(ids) == len(set(ids))
        for language in ("en", "fr", "it", "ja", "ko", "zh", "de", "es"):
            items = c.get("/api/v1/canned-replies", params={"language": language}).json()["items"]
            assert len(items) >= 6 and all(r["language"] == language for r in items), language
            assert sum(r["whatsapp_approved"] for r in items) >= 2
            for r in items:
                assert set(r) == {"id", "language", "title", "body", "whatsapp_approved", "channels"} and r["body"] and r["title"] and r["channels"]
        # Traditional Chinese has its own; a regional variant without any falls back to its language.
        assert {r["language"] for r in c.get("/api/v1/canned-replies", params={"language": "zh-Hant"}).json()["items"]} == {"zh-Hant"}
        assert {r["language"] for r in c.get("/api/v1/canned-replies", params={"language": "fr-CA"}).json()["items"]} == {"fr"}
        assert c.get("/api/v1/canned-replies", params={"language": "xx"}).json()["items"] == []
    with _client(live_server, "channel-sim") as ch:
        _error(ch.get("/api/v1/canned-replies"), 403, "forbidden")
    _error(httpx.get(f"{live_server.url}/api/v1/canned-replies"), 401, "unauthorized")


# ---- 6. Email subjects ---------------------------------------------------------------------


def test_email_subject_and_reply_subject(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server, "email", subject="Re: RE: The Horsebit loafers in 38")
    assert conv["subject"] == "Re: RE: The Horsebit loafers in 38"
    assert conv["messages"][0]["subject"] == "Re: RE: The Horsebit loafers in 38"
    with _client(live_server, adv["username"]) as c, _client(live_server, "channel-sim") as ch:
        reply = c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "They are available in 38."}).json()
        assert reply["subject"] == "Re: The Horsebit loafers in 38"
        note = c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "vip", "kind": "note"}).json()
        assert note["subject"] is None
        ch.post("/api/v1/inbound", json={"channel": "email", "client_id": conv["client_id"], "body": "Wonderful", "subject": "Another subject"}).raise_for_status()
        assert c.get(f"/api/v1/conversations/{conv['id']}").json()["subject"] == "Re: RE: The Horsebit loafers in 38"  # the first email's
        _error(ch.post("/api/v1/inbound", json={"channel": "email", "client_id": conv["client_id"], "body": "x", "subject": "s" * 501}), 422, "invalid_request")
    chat = _new_conversation(live_server, "chat", subject="ignored")
    assert chat["subject"] is None
    with _client(live_server, adv["username"]) as c:
        assert c.post(f"/api/v1/conversations/{chat['id']}/messages", json={"body": "Hello"}).json()["subject"] is None


# ---- 7. Quoted replies ----------------------------------------------------------------------


def test_quoted_reply(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server)
    other = _new_conversation(live_server)
    url = f"/api/v1/conversations/{conv['id']}/messages"
    inbound = conv["messages"][0]
    with _client(live_server, adv["username"]) as c:
        long = c.post(url, json={"body": "x" * 500, "kind": "note"}).json()
        r = c.post(url, json={"body": "With pleasure.", "quote_message_id": inbound["id"]})
        assert r.status_code == 201
        quote = r.json()["attachments"][-1]
        assert quote == {"type": "quote", "sku": None, "name": None, "price": None,
                         "data": {"message_id": inbound["id"], "author": "client", "kind": "inbound", "excerpt": inbound["body"]}}
        _error(c.post(url, json={"body": "No.", "quote_message_id": long["id"]}), 422, "invalid_quote")  # a note, in a reply
        note = c.post(url, json={"body": "see above", "kind": "note", "quote_message_id": long["id"]}).json()
        assert note["attachments"][0]["data"]["excerpt"] == "x" * 300
        _error(c.post(url, json={"body": "x", "quote_message_id": other["messages"][0]["id"]}), 422, "invalid_quote")
        _error(c.post(url, json={"body": "x", "quote_message_id": 2**31 - 1}), 422, "invalid_quote")


# ---- 8. Phone: call notes and callbacks ------------------------------------------------------


def test_call_notes_and_callback_tasks(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    conv = _new_conversation(live_server, "phone")
    url = f"/api/v1/conversations/{conv['id']}/messages"
    with _client(live_server, adv["username"]) as c:
        r = c.post(url, json={"body": "Asked for the 2026 cruise lookbook; call back Friday.", "kind": "call_note", "outcome": "callback_requested"})
        assert r.status_code == 201
        m = r.json()
        assert m["kind"] == "call_note" and m["delivery"] == "internal"
        assert m["attachments"] == [{"type": "call", "sku": None, "name": None, "price": None, "data": {"outcome": "callback_requested"}}]
        assert c.get(f"/api/v1/conversations/{conv['id']}").json()["assignee"] is None  # a call note does not claim
        _error(c.post(url, json={"body": "x", "kind": "call_note"}), 422, "invalid_outcome")
        _error(c.post(url, json={"body": "x", "kind": "call_note", "outcome": "hung_up"}), 422, "invalid_outcome")
        _error(c.post(url, json={"body": "x", "kind": "system"}), 422, "invalid_kind")
        _error(c.post(url, json={"body": "No.", "quote_message_id": m["id"]}), 422, "invalid_quote")  # never in a reply
        due = (_now() + timedelta(days=3)).isoformat()
        t = c.post(f"/api/v1/clients/{conv['client_id']}/tasks", json={"kind": "callback", "title": "Call back about the lookbook", "due": due})
        assert t.status_code == 201 and t.json()["kind"] == "callback"


# ---- 9. Presence ---------------------------------------------------------------------------


@BOTH_DATABASES
def test_presence_reaches_streams_without_ids_and_resumption_still_works(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    seoul = live_server.account("advisor", "SEL")
    conv = _new_conversation(live_server)
    cid = conv["id"]
    with _client(live_server, "supervisor") as sup:
        head = _last_seq(sup)
    url = f"{live_server.url}/api/v1/events/stream"
    with _client(live_server, adv["username"]) as c, _client(live_server, "channel-sim") as ch, \
            httpx.stream("GET", url, headers={**live_server.headers("supervisor"), "Last-Event-ID": str(head)}, timeout=10) as stream, \
            httpx.stream("GET", url, headers={**live_server.headers(seoul["username"]), "Last-Event-ID": str(head)}, timeout=10) as elsewhere:
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")  # subscribed
        other_lines = elsewhere.iter_lines()
        assert next(other_lines).startswith("retry:")
        assert c.post(f"/api/v1/conversations/{cid}/presence", json={"state": "viewing"}).status_code == 204
        events = _sse(lines)
        first = next(events)
        assert first["event"] == "presence" and first["id"] is None
        assert first["data"]["conversation_id"] == cid
        [entry] = first["data"]["advisors"]
        assert entry["username"] == adv["username"] and entry["state"] == "viewing" and entry["name"] and entry["since"]
        assert c.post(f"/api/v1/conversations/{cid}/presence", json={"state": "typing"}).status_code == 204
        assert next(events)["data"]["advisors"][0]["state"] == "typing"
        got = c.get(f"/api/v1/conversations/{cid}/presence").json()
        assert got["conversation_id"] == cid and [a["state"] for a in got["advisors"]] == ["typing"]
        # A logged event after presence: its id follows the log, as if presence were not there.
        ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": conv["client_id"], "body": "still there?"}).raise_for_status()
        logged = next(events)
        assert logged["id"] == str(head + 1) and logged["event"] == "message.created"
        assert c.post(f"/api/v1/conversations/{cid}/presence", json={"state": "left"}).status_code == 204
        left = next(events)
        assert left["event"] == "presence" and left["id"] is None and left["data"]["advisors"] == []
        # Seoul may not see this Tokyo conversation: its stream got neither (only the cursor).
        seen = next(_sse(other_lines))
        assert seen["event"] == "cursor" and seen["id"] == str(head + 1)
    # Resuming from the last id seen replays nothing twice and misses nothing.
    with _client(live_server, "channel-sim") as ch:
        ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": conv["client_id"], "body": "after reconnect"}).raise_for_status()
    with httpx.stream("GET", url, headers={**live_server.headers("supervisor"), "Last-Event-ID": str(head + 1)}, timeout=10) as again:
        resumed = next(_sse(again.iter_lines()))
        assert resumed["id"] == str(head + 2) and resumed["data"]["data"]["message"]["body"] == "after reconnect"
    with _client(live_server, seoul["username"]) as other, _client(live_server, "channel-sim") as ch:
        _error(other.post(f"/api/v1/conversations/{cid}/presence", json={"state": "viewing"}), 404, "not_found")
        _error(other.get(f"/api/v1/conversations/{cid}/presence"), 404, "not_found")
        _error(other.post(f"/api/v1/conversations/{cid}/presence", json={"state": "dancing"}), 422, "invalid_request")
        _error(ch.post(f"/api/v1/conversations/{cid}/presence", json={"state": "viewing"}), 403, "forbidden")


def test_presence_expires(live_server: LiveServer) -> None:
    from advisor_console.server.app import create_app
    from advisor_console.server.runner import start_in_thread

    app = create_app(live_server.database_url, background_period=0.2)
    app.state.server.presence.ttl = 1.0
    running = start_in_thread(app)
    try:
        server = LiveServer(url=running.url, database_url=live_server.database_url, accounts=live_server.accounts, _stop=running.stop)
        adv = live_server.account("advisor", "TYO")
        conv = _new_conversation(server)
        with _client(server, adv["username"]) as c, httpx.stream("GET", f"{server.url}/api/v1/events/stream?after=999999999", headers=server.headers("supervisor"), timeout=10) as stream:
            lines = stream.iter_lines()
            next(lines)
            c.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "viewing"}).raise_for_status()
            events = _sse(lines)
            assert len(next(events)["data"]["advisors"]) == 1
            started = time.monotonic()
            expired = next(events)  # pushed by the sweeper, no POST needed
            assert expired["event"] == "presence" and expired["data"] == {"conversation_id": conv["id"], "advisors": []}
            assert 0.5 < time.monotonic() - started < 5
            assert c.get(f"/api/v1/conversations/{conv['id']}/presence").json()["advisors"] == []
    finally:
        running.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_presence_crosses_server_processes(live_server: LiveServer) -> None:
    other = start_live_server(live_server.database_url, live_server.accounts)
    try:
        adv = live_server.account("advisor", "TYO")
        conv = _new_conversation(live_server)
        with _client(live_server, adv["username"]) as c, httpx.stream("GET", f"{other.url}/api/v1/events/stream?after=999999999", headers=other.headers("supervisor"), timeout=10) as stream:
            lines = stream.iter_lines()
            next(lines)
            time.sleep(0.3)  # the other process's LISTEN is up
            c.post(f"/api/v1/conversations/{conv['id']}/presence", json={"state": "typing"}).raise_for_status()
            event = next(_sse(lines))
            assert event["event"] == "presence" and event["data"]["advisors"][0]["username"] == adv["username"]
            with _client(other, adv["username"]) as c2:
                assert c2.get(f"/api/v1/conversations/{conv['id']}/presence").json()["advisors"][0]["state"] == "typing"
    finally:
        other.stop()
