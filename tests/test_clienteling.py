"""Client 360, lookbook and clienteling (issue 5), against real servers: the client 360's
extras, outreach under consent and the monthly contact cap, lookbook filters and product
detail, try-on selections and their outcome, call lists, appointments and the day's tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from support import api_client as _client, assert_error as _error
from conftest import BOTH_DATABASES, LiveServer




def _now() -> datetime:
    return datetime.now(timezone.utc)


def _db(server: LiveServer) -> Any:
    from advisor_console.server.db import make_engine

    return make_engine(server.database_url, pool_size=1)


def _set(server: LiveServer, table: Any, row_id: int, **values: Any) -> None:
    """Change a row straight in the database (tests only)."""
    engine = _db(server)
    try:
        with Session(engine) as s:
            s.execute(update(table).where(table.id == row_id).values(**values))
            s.commit()
    finally:
        engine.dispose()


def _rows(server: LiveServer, *columns: Any, join: Any = None) -> list[Any]:
    stmt = select(*columns)
    if join is not None:
        stmt = stmt.join(*join)
    engine = _db(server)
    try:
        with Session(engine) as s:
            return list(s.execute(stmt).all())
    finally:
        engine.dispose()


def _new_client(server: LiveServer, channel: str = "chat") -> dict[str, Any]:
    """A fresh Tokyo client writes on `channel`: her client id and conversation id."""
    tag = uuid.uuid4().hex[:10]
    contact = {"name": f"Test Client {tag}", "locale": "ja-JP", "country": "JP", "email": f"{tag}@example.com", "phone": f"+81{int(tag, 16) % 10**10:010d}"}
    with _client(server, "channel-sim") as ch:
        r = ch.post("/api/v1/inbound", json={"channel": channel, "contact": contact, "body": "Hello, some advice please.", "external_id": f"x-{tag}"})
        assert r.status_code == 201, r.text
        return r.json()


def _events(c: httpx.Client, after: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = c.get("/api/v1/events", params={"after": after, "limit": 5000}).json()
        out += page["events"]
        if page["last_seq"] == after:
            return out
        after = page["last_seq"]


def _head(c: httpx.Client) -> int:
    events = _events(c, 0)
    return events[-1]["seq"] if events else 0


# ---- 1. The client 360's extras -----------------------------------------------------------


def test_client_360_extras(live_server: LiveServer) -> None:
    from babel.numbers import format_currency

    from advisor_console.server.tables import AdvisorRow, ClientRow

    advisors = dict(_rows(live_server, AdvisorRow.id, AdvisorRow.username))
    with _client(live_server, "supervisor") as c:
        convs = c.get("/api/v1/conversations", params={"limit": 200}).json()["items"]
        by_client: dict[int, list[dict[str, Any]]] = {}
        for conv in convs:
            by_client.setdefault(conv["client_id"], []).append(conv)
        busiest = next(conv["client_id"] for conv in convs if conv["status"] == "assigned" and conv["channel"] != "whatsapp")
        with _client(live_server, "channel-sim") as ch:  # she writes on WhatsApp too
            r = ch.post("/api/v1/inbound", json={"channel": "whatsapp", "client_id": busiest, "body": "Also: is the bag back in stock?"})
            assert r.status_code == 201, r.text
        by_client[busiest].append(c.get(f"/api/v1/conversations/{r.json()['conversation_id']}").json())
        client = c.get(f"/api/v1/clients/{busiest}").json()
        recent = client["recent_conversations"]
        assert {r["id"] for r in recent} == {conv["id"] for conv in by_client[busiest]} and len(by_client[busiest]) >= 2
        assert [r["last_activity_at"] for r in recent] == sorted((r["last_activity_at"] for r in recent), reverse=True)
        assert set(recent[0]) == {"id", "channel", "status", "last_activity_at", "preview"}
        locale = client["locale"].replace("-", "_")
        assert client["lifetime_spend_formatted"] == format_currency(client["lifetime_spend"], client["currency"], locale=locale)
        if client["personal_advisor_id"]:
            assert client["personal_advisor"]["username"] == advisors[client["personal_advisor_id"]] and client["personal_advisor"]["name"]
        else:
            assert client["personal_advisor"] is None
        assert client["tryon_selections"] == [] and isinstance(client["history"], list)
        # Contacts: the advisors' replies in her conversations.
        replies = [m for conv in by_client[busiest] for m in c.get(f"/api/v1/conversations/{conv['id']}").json()["messages"] if m["kind"] == "reply"]
        if replies:
            assert client["last_contacted_at"] == max(m["at"] for m in replies)
        month = _now().strftime("%Y-%m")
        contacts = {(m["conversation_id"], m["at"][:10]) for m in replies if m["at"].startswith(month)}
        assert client["contacts_this_month"] == len(contacts)
        # Most demo clients have a birthday; it is deterministic (the template was seeded with seed 7).
        birthdays = [b for (b,) in _rows(live_server, ClientRow.birthday)]
        assert 0.7 < sum(b is not None for b in birthdays) / len(birthdays) < 0.95
        assert all(isinstance(b, date) and 1940 < b.year < 2010 for b in birthdays if b)


# ---- 2. Outreach: consent and the monthly contact cap ------------------------------------


@BOTH_DATABASES
def test_outreach_consent_and_frequency(live_server: LiveServer) -> None:
    from advisor_console.server.tables import ClientRow, ConversationRow

    adv = live_server.account("advisor", "TYO")
    started = _new_client(live_server, "whatsapp")  # she wrote on WhatsApp: her conversation
    cid = started["client_id"]
    _set(live_server, ClientRow, cid, consent={"chat": True, "whatsapp": True, "email": True, "phone": False}, contact_max_per_month=2)
    with _client(live_server, adv["username"]) as c:
        head = _head(c)
        check = c.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "phone"}).json()
        assert check["allowed"] is False and check["code"] == "consent_refused" and "phone" in check["reason"]
        _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "phone", "body": "May I call you?"}), 422, "consent_refused")
        _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "video", "body": "Video?"}), 422, "consent_refused")
        check = c.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "email"}).json()
        assert check == {
            "allowed": True, "code": None, "reason": check["reason"], "channel": "email", "contacts_this_month": 0,
            "max_per_month": 2, "next_allowed_at": None, "last_contacted_at": None,
        }

        # The first contact: a new email thread, assigned to the advisor; idempotent.
        key = str(uuid.uuid4())
        body = {"channel": "email", "body": "The new Cipresso loafers have arrived.", "subject": "New arrivals"}
        r1 = c.post(f"/api/v1/clients/{cid}/outreach", json=body, headers={"Idempotency-Key": key})
        r2 = c.post(f"/api/v1/clients/{cid}/outreach", json=body, headers={"Idempotency-Key": key})
        assert r1.status_code == r2.status_code == 201, r1.text
        assert r1.json() == r2.json()
        out = r1.json()
        assert out["created_conversation"] is True
        conv = out["conversation"]
        assert conv["channel"] == "email" and conv["assignee"] == adv["username"] and conv["status"] == "assigned" and "outreach" in conv["tags"]
        assert conv["subject"] == "New arrivals" and out["message"]["subject"] == "New arrivals" and out["message"]["kind"] == "reply"
        # The same day, the same thread: the same contact.
        again = c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "email", "body": "And the matching bag."})
        assert again.status_code == 201 and again.json()["created_conversation"] is False and again.json()["conversation"]["id"] == conv["id"]
        assert again.json()["message"]["subject"] == "Re: New arrivals"
        client = c.get(f"/api/v1/clients/{cid}").json()
        assert client["contacts_this_month"] == 1 and client["last_contacted_at"] == again.json()["message"]["at"]
        # A second thread is a second contact; then the cap refuses a third.
        assert c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "chat", "body": "Hello from Tokyo"}).status_code == 201
        refused = _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "whatsapp", "body": "x"}), 422, "contact_frequency_exceeded")
        nxt = (_now().replace(day=1) + timedelta(days=32)).replace(day=1)
        assert "2 times this month" in refused["error"]["message"] and f"{nxt:%Y-%m-%d}" in refused["error"]["message"]
        check = c.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "email"}).json()
        assert check["allowed"] is False and check["code"] == "contact_frequency_exceeded" and check["contacts_this_month"] == 2
        assert check["next_allowed_at"].startswith(f"{nxt:%Y-%m-%d}T00:00:00")
        # Replies where she wrote stay allowed, at the cap too; so does a reply in today's thread.
        assert c.post(f"/api/v1/conversations/{started['conversation_id']}/messages", json={"body": "Of course!"}).status_code == 201
        assert c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "P.S. in black too."}).status_code == 201
        # Without her consent, a reply in a thread she never wrote in is refused (a note is not a contact).
        _set(live_server, ClientRow, cid, consent={"chat": True, "whatsapp": True, "email": False, "phone": False})
        _error(c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "One more"}), 422, "consent_refused")
        assert c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "noted", "kind": "note"}).status_code == 201
        # Yesterday's thread: a reply there today is a new contact, refused at the cap.
        _set(live_server, ClientRow, cid, consent={"chat": True, "whatsapp": True, "email": True, "phone": False})
        chat_conv = next(r for r in c.get(f"/api/v1/clients/{cid}").json()["recent_conversations"] if r["channel"] == "chat")
        from advisor_console.server.tables import MessageRow

        _set_messages_back(live_server, MessageRow, chat_conv["id"])
        check = c.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "chat"}).json()
        if _now().day > 1:  # moved to yesterday, still this month: counted once
            _error(c.post(f"/api/v1/conversations/{chat_conv['id']}/messages", json={"body": "Hello again"}), 422, "contact_frequency_exceeded")
        assert check["last_contacted_at"] is not None
        # Another hub's advisor cannot reach her; a trainer may check but not write.
    with _client(live_server, live_server.account("advisor", "SEL")["username"]) as other:
        _error(other.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "chat", "body": "x"}), 404, "not_found")
    with _client(live_server, "trainer") as t:
        assert t.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "chat"}).status_code == 200
        _error(t.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "chat", "body": "x"}), 403, "forbidden")
    with _client(live_server, "supervisor") as sup:
        events = [e for e in _events(sup, head) if e["data"].get("conversation", {}).get("id") == conv["id"]]
        assert [e["type"] for e in events[:3]] == ["conversation.created", "message.created", "message.created"]
        assert events[0]["actor"] == adv["username"]
    assert _rows(live_server, ConversationRow.id)  # the database is still readable


def _set_messages_back(server: LiveServer, table: Any, conv_id: int) -> None:
    """Move a conversation's messages to yesterday (or to the 1st when today is the 1st)."""
    now = _now()
    back = now - timedelta(days=1) if now.day > 1 else now.replace(hour=0, minute=0, second=1)
    engine = _db(server)
    try:
        with Session(engine) as s:
            s.execute(update(table).where(table.conversation_id == conv_id).values(at=back))
            s.commit()
    finally:
        engine.dispose()


def test_whatsapp_outreach_needs_a_template(live_server: LiveServer) -> None:
    from advisor_console.server.tables import ClientRow

    started = _new_client(live_server, "chat")
    cid = started["client_id"]
    _set(live_server, ClientRow, cid, consent={"whatsapp": True}, contact_max_per_month=None)
    with _client(live_server, live_server.account("advisor", "TYO")["username"]) as c:
        _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "whatsapp", "body": "Hello"}), 422, "whatsapp_window_closed")
        template = next(t for t in c.get("/api/v1/canned-replies", params={"language": "ja"}).json()["items"] if t["whatsapp_approved"])
        filled = template["body"].replace("{address}", "田中様").replace("{product}", "バレエシューズ").replace("{size}", "23.5").replace("{advisor}", "由美")
        r = c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "whatsapp", "body": filled, "template": template["id"]})
        assert r.status_code == 201, r.text
        assert r.json()["created_conversation"] and r.json()["conversation"]["window_closes_at"] is None
        _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "email", "body": "x"}), 422, "consent_refused")
        _set(live_server, ClientRow, cid, consent={"whatsapp": True, "email": True})
        _error(c.post(f"/api/v1/clients/{cid}/outreach", json={"channel": "email", "body": "  "}), 422, "empty_message")
        _error(c.post(f"/api/v1/clients/999999/outreach", json={"channel": "email", "body": "x"}), 404, "not_found")
        _error(c.get(f"/api/v1/clients/{cid}/contact-check", params={"channel": "fax"}), 422, "invalid_request")


# ---- 3. The lookbook: filters and detail -----------------------------------------------------


def _catalogue(c: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = c.get("/api/v1/products", params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def _pages(c: httpx.Client, limit: int, **params: Any) -> list[str]:
    skus: list[str] = []
    cursor = None
    while True:
        r = c.get("/api/v1/products", params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, (params, r.text)
        skus += [p["sku"] for p in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return skus


@BOTH_DATABASES
def test_lookbook_filters_and_product_detail(live_server: LiveServer) -> None:
    with _client(live_server, "advisor") as c:
        cat = _catalogue(c)
        shoe = next(p for p in cat if len(p["stock"]) > 3 and any(u > 0 for u in p["stock"][list(p["stock"])[3]].values()))
        size = list(shoe["stock"])[3]
        hub = next(h for h, u in shoe["stock"][size].items() if u > 0)

        def text(p: dict[str, Any]) -> str:
            return " ".join([p["name"], p["sku"], p["line"], *p["colours"], *p["materials"]]).lower()

        def want(q: str = "", line: str | None = None, season: str | None = None, iconic: bool | None = None, in_stock_hub: str | None = None, size: str | None = None) -> list[str]:
            out = []
            for p in cat:
                if not all(w in text(p) for w in q.lower().split()):
                    continue
                if (line and p["line"] != line) or (season and p["season"] != season) or (iconic is not None and p["iconic"] != iconic):
                    continue
                if in_stock_hub and size and not p["stock"].get(size, {}).get(in_stock_hub, 0) > 0:
                    continue
                if in_stock_hub and not size and not any(per.get(in_stock_hub, 0) > 0 for per in p["stock"].values()):
                    continue
                if size and not in_stock_hub and not any(u > 0 for u in p["stock"].get(size, {}).values()):
                    continue
                out.append(p["sku"])
            return out

        cases: list[dict[str, Any]] = [
            {"line": shoe["line"]},
            {"season": shoe["season"]},
            {"season": "Permanent", "iconic": True},
            {"iconic": False},
            {"iconic": True},
            {"in_stock_hub": hub},
            {"in_stock_hub": hub, "size": size},
            {"size": size},
            {"size": "OS", "in_stock_hub": "SIN"},
            {"q": shoe["colours"][0], "in_stock_hub": hub},
            {"q": shoe["name"].split()[-1][:4], "line": shoe["line"], "in_stock_hub": hub, "size": size},
            {"q": "le", "iconic": True},
            {"size": "%"},
            {"size": "_", "in_stock_hub": hub},
        ]
        for case in cases:
            expected = want(**case)
            params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in case.items()}
            assert _pages(c, 200, **params) == expected, case
            if len(expected) > 6:
                assert _pages(c, 5, **params) == expected, case  # paging with filters
        assert shoe["sku"] in _pages(c, 200, in_stock_hub=hub.lower(), size=size)
        _error(c.get("/api/v1/products", params={"in_stock_hub": "XXX"}), 422, "unknown_hub")

        detail = c.get(f"/api/v1/products/{shoe['id']}").json()
        assert detail == c.get(f"/api/v1/products/{shoe['sku']}").json() == c.get(f"/api/v1/products/{shoe['sku'].lower()}").json()
        assert {k: detail[k] for k in shoe} == shoe
        assert detail["sizes"] == list(shoe["stock"]) and set(detail["stock_by_hub"]) == {"FLR", "NYC", "TYO", "SEL", "SHA", "SIN"}
        assert detail["stock_by_hub"][hub][size] == shoe["stock"][size][hub] > 0
        assert detail["total_by_hub"][hub] == sum(per[hub] for per in shoe["stock"].values())
        assert hub in detail["in_stock_hubs"] and all(detail["total_by_hub"][h] > 0 for h in detail["in_stock_hubs"])
        _error(c.get("/api/v1/products/NO-SUCH-SKU"), 404, "not_found")
        _error(c.get("/api/v1/products/99999999999"), 404, "not_found")


# ---- 4. Try-on selections ----------------------------------------------------------------------


@BOTH_DATABASES
def test_tryon_selection_and_outcome(live_server: LiveServer) -> None:
    from advisor_console.server.tables import ClientRow

    adv = live_server.account("advisor", "TYO")
    started = _new_client(live_server, "chat")
    cid, conv_id = started["client_id"], started["conversation_id"]
    _set(live_server, ClientRow, cid, currency="JPY")
    with _client(live_server, adv["username"]) as c:
        head = _head(c)
        cat = _catalogue(c)
        shoe = next(p for p in cat if len(p["stock"]) >= 4)
        one = next(p for p in cat if list(p["stock"]) == ["OS"])
        s1, s2 = list(shoe["stock"])[2:4]
        # Refusals first: nothing is written by them.
        bad = [
            ({"items": []}, "invalid_request"),
            ({"items": [{"sku": one["sku"]}] * 11}, "invalid_request"),
            ({"items": [{"sku": shoe["sku"], "sizes": list(shoe["stock"])[:4]}]}, "invalid_request"),
            ({"items": [{"sku": "NO-SUCH"}]}, "unknown_sku"),
            ({"items": [{"sku": shoe["sku"], "sizes": ["99"]}]}, "invalid_size"),
            ({"items": [{"sku": shoe["sku"]}]}, "invalid_size"),
            ({"items": [{"sku": one["sku"]}, {"sku": one["sku"]}]}, "duplicate_item"),
            ({"items": [{"sku": one["sku"]}], "due": "2020-01-01T00:00:00Z"}, "invalid_time"),
        ]
        for body, code in bad:
            _error(c.post(f"/api/v1/conversations/{conv_id}/tryon", json=body), 422, code)
        due = (_now() + timedelta(days=3)).replace(microsecond=0)
        body = {"items": [{"sku": shoe["sku"], "sizes": [s1, s2]}, {"sku": one["sku"].lower()}], "note": "Two pieces to try at home.", "due": due.isoformat()}
        key = str(uuid.uuid4())
        r1 = c.post(f"/api/v1/conversations/{conv_id}/tryon", json=body, headers={"Idempotency-Key": key})
        r2 = c.post(f"/api/v1/conversations/{conv_id}/tryon", json=body, headers={"Idempotency-Key": key})
        assert r1.status_code == r2.status_code == 201, r1.text
        assert r1.json() == r2.json()
        out = r1.json()
        sel, msg, task = out["selection"], out["message"], out["task"]
        assert msg["kind"] == "reply" and msg["body"] == "Two pieces to try at home." and len(msg["attachments"]) == 1
        att = msg["attachments"][0]
        assert att["type"] == "tryon" and att["data"]["selection_id"] == sel["id"] and att["name"] == "Try-on selection: 2 pieces"
        items = att["data"]["items"]
        assert [(i["sku"], i["sizes"]) for i in items] == [(shoe["sku"], [s1, s2]), (one["sku"], ["OS"])]
        assert items[0]["name"] == shoe["name"] and items[0]["currency"] == "JPY" and items[0]["amount"] == shoe["prices"]["JPY"]
        assert items[0]["price"].startswith("￥") and sel["items"] == items
        assert sel["status"] == "sent" and sel["client_id"] == cid and sel["conversation_id"] == conv_id and sel["advisor"] == adv["username"]
        assert sel["message_id"] == msg["id"] and sel["task_id"] == task["id"]
        assert task["kind"] == "follow_up" and task["title"].startswith("Confirm what Test Client") and task["title"].endswith("keeps from the try-on selection")
        assert datetime.fromisoformat(task["due"]) == due and task["tryon_selection_id"] == sel["id"] and not task["done"]
        client = c.get(f"/api/v1/clients/{cid}").json()
        assert [s["id"] for s in client["tryon_selections"]] == [sel["id"]] and task["id"] in [t["id"] for t in client["tasks"]]
        conv = c.get(f"/api/v1/conversations/{conv_id}").json()
        assert conv["assignee"] == adv["username"] and conv["preview"] == "Two pieces to try at home."
        # The default due: in a week.
        other = c.post(f"/api/v1/conversations/{conv_id}/tryon", json={"items": [{"sku": one["sku"]}]}).json()
        assert abs(datetime.fromisoformat(other["task"]["due"]) - (_now() + timedelta(days=7))) < timedelta(minutes=1)
        assert other["message"]["body"] == "" and c.get(f"/api/v1/conversations/{conv_id}").json()["preview"] == "Try-on selection: 1 piece"

        # The outcome.
        _error(c.patch(f"/api/v1/tryon/{sel['id']}", json={}), 422, "empty_outcome")
        _error(c.patch(f"/api/v1/tryon/{sel['id']}", json={"kept": [{"sku": shoe["sku"], "size": "99"}]}), 422, "invalid_pick")
        _error(c.patch(f"/api/v1/tryon/{sel['id']}", json={"kept": [{"sku": one["sku"], "size": "OS"}], "returned": [{"sku": one["sku"], "size": "OS"}]}), 422, "invalid_pick")
        _error(c.patch("/api/v1/tryon/999999", json={"kept": [{"sku": one["sku"], "size": "OS"}]}), 404, "not_found")
        outcome = {"kept": [{"sku": shoe["sku"], "size": s2}], "returned": [{"sku": shoe["sku"], "size": s1}, {"sku": one["sku"], "size": "OS"}]}
        done = c.patch(f"/api/v1/tryon/{sel['id']}", json=outcome)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "partly_kept" and done.json()["kept"] == outcome["kept"] and done.json()["decided_at"]
        assert c.patch(f"/api/v1/tryon/{other['selection']['id']}", json={"returned": [{"sku": one["sku"], "size": "OS"}]}).json()["status"] == "returned"
        client = c.get(f"/api/v1/clients/{cid}").json()
        assert task["id"] not in [t["id"] for t in client["tasks"]]
        entry = next(h for h in client["history"] if h["task_id"] == task["id"])
        assert entry["tryon_selection_id"] == sel["id"] and entry["outcome"].startswith(f"Kept: {shoe['name']} ({shoe['sku']}, {s2}); Returned: ")
        assert {s["id"]: s["status"] for s in client["tryon_selections"]} == {sel["id"]: "partly_kept", other["selection"]["id"]: "returned"}
        events = [e for e in _events(c, head) if e["data"].get("client_id") == cid or e["data"].get("conversation", {}).get("client_id") == cid]
        types = [e["type"] for e in events]
        assert types.count("tryon.created") == 2 and types.count("tryon.updated") == 2 and types.count("task.created") == 2 and types.count("task.updated") == 2
        first = types.index("message.created")
        assert types[first : first + 3] == ["message.created", "task.created", "tryon.created"]
        updated = next(e for e in events if e["type"] == "tryon.updated")
        assert updated["data"]["selection"]["status"] == "partly_kept" and updated["data"]["outcome"] == entry["outcome"]
    with _client(live_server, "trainer") as t:
        _error(t.post(f"/api/v1/conversations/{conv_id}/tryon", json={"items": [{"sku": one["sku"]}]}), 403, "forbidden")
    with _client(live_server, live_server.account("advisor", "SEL")["username"]) as other_hub:
        _error(other_hub.patch(f"/api/v1/tryon/{sel['id']}", json=outcome), 404, "not_found")


# ---- 5. Call lists ---------------------------------------------------------------------------------


def _call_list(c: httpx.Client, limit: int = 200, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = c.get("/api/v1/clienteling/call-list", params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


def test_call_lists(live_server: LiveServer) -> None:
    from advisor_console.server.tables import ClientRow, ProductRow, PurchaseRow

    clients = {row[0]: row for row in _rows(live_server, ClientRow.id, ClientRow.hub, ClientRow.vic_tier, ClientRow.taste, ClientRow.birthday, ClientRow.consent, ClientRow.preferred_channel)}
    purchases = _rows(live_server, PurchaseRow.client_id, PurchaseRow.at, PurchaseRow.returned, ProductRow.line, join=(ProductRow, ProductRow.id == PurchaseRow.product_id))
    now = _now()
    with _client(live_server, "supervisor") as sup:
        everyone = _call_list(sup, include_blocked="true")
        assert [i["client_id"] for i in everyone] == sorted(clients)  # no criterion: every client, id order
        item = everyone[0]
        assert set(item) >= {"client_id", "name", "hub", "vic_tier", "preferred_channel", "channel", "contactable", "code", "reason", "why", "contacts_this_month", "max_per_month", "last_contacted_at", "birthday", "personal_advisor"}
        blocked = [i for i in everyone if not i["contactable"]]
        assert blocked and all(i["code"] in ("consent_refused", "contact_frequency_exceeded") and i["reason"] for i in blocked)
        contactable = _call_list(sup)
        assert [i["client_id"] for i in contactable] == [i["client_id"] for i in everyone if i["contactable"]]
        assert _call_list(sup, limit=7) == contactable  # paging

        tiers = _call_list(sup, vic_tier=["gold", "platinum"], include_blocked="true")
        assert [i["client_id"] for i in tiers] == [k for k, r in sorted(clients.items()) if r[2] in ("gold", "platinum")]
        assert _call_list(sup, vic_tier="gold,platinum", include_blocked="true") == tiers
        assert all(w["criterion"] == "vic_tier" for i in tiers for w in i["why"])

        recent = _call_list(sup, bought_within_days=90, include_blocked="true")
        expected = sorted({cid for cid, at, returned, _line in purchases if not returned and at.replace(tzinfo=timezone.utc) >= now - timedelta(days=90)})
        assert [i["client_id"] for i in recent] == expected and recent
        assert all(i["why"][0]["criterion"] == "bought_within_days" and i["why"][0]["text"].startswith("Bought ") for i in recent)

        line = clients[expected[0]][3]["lines"][0]
        liked = _call_list(sup, line=line, include_blocked="true")
        bought_line = {cid for cid, _at, _r, ln in purchases if ln == line}
        assert [i["client_id"] for i in liked] == sorted(k for k, r in clients.items() if line in r[3].get("lines", []) or k in bought_line)

        month = now.month
        bday = _call_list(sup, birthday_month=month, hub="TYO", include_blocked="true")
        assert [i["client_id"] for i in bday] == sorted(k for k, r in clients.items() if r[4] and r[4].month == month and r[1] == "TYO")
        assert all({w["criterion"] for w in i["why"]} == {"birthday_month", "hub"} for i in bday)

        quiet = _call_list(sup, no_contact_days=2, include_blocked="true")
        contacted = {i["client_id"] for i in everyone if i["last_contacted_at"] and datetime.fromisoformat(i["last_contacted_at"]) > now - timedelta(days=2)}
        assert contacted and [i["client_id"] for i in quiet] == sorted(set(clients) - contacted)

        by_email = _call_list(sup, channel="email", include_blocked="true")
        assert all(i["channel"] == "email" for i in by_email)
        assert [i["client_id"] for i in by_email if i["code"] == "consent_refused"] == sorted(k for k, r in clients.items() if not r[5].get("email"))
        _error(sup.get("/api/v1/clienteling/call-list", params={"vic_tier": "diamond"}), 422, "invalid_vic_tier")
        _error(sup.get("/api/v1/clienteling/call-list", params={"cursor": "nope"}), 400, "invalid_cursor")
    # An advisor sees her hub's clients and those she serves, nobody else.
    adv = live_server.account("advisor", "NYC")
    with _client(live_server, adv["username"]) as c:
        mine = _call_list(c, include_blocked="true")
        ids = {i["client_id"] for i in mine}
        assert {k for k, r in clients.items() if r[1] == "NYC"} <= ids
        for other in ids - {k for k, r in clients.items() if r[1] == "NYC"}:
            assert c.get(f"/api/v1/clients/{other}").status_code == 200  # visible: she serves them
        hidden = next(k for k in clients if k not in ids)
        assert c.get(f"/api/v1/clients/{hidden}").status_code == 404


# ---- 6. Appointments and the day's tasks -------------------------------------------------------


def test_appointments_and_tasks_today(live_server: LiveServer) -> None:
    adv = live_server.account("advisor", "TYO")
    cid = _new_client(live_server)["client_id"]
    tokyo = ZoneInfo("Asia/Tokyo")
    with _client(live_server, adv["username"]) as c:
        soon = (_now() + timedelta(minutes=2)).isoformat()
        for body, code in (
            ({"kind": "appointment", "title": "Try-on", "due": soon, "appointment_kind": "video"}, "invalid_video_link"),
            ({"kind": "appointment", "title": "Try-on", "due": soon, "appointment_kind": "video", "video_link": "http://x"}, "invalid_video_link"),
            ({"kind": "appointment", "title": "Try-on", "due": soon, "appointment_kind": "in_store"}, "place_required"),
            ({"kind": "call", "title": "Call", "due": soon, "appointment_kind": "in_store", "place": "Ginza"}, "invalid_appointment"),
            ({"kind": "appointment", "title": "Try-on", "due": soon, "appointment_kind": "salon", "place": "Ginza"}, "invalid_request"),
        ):
            _error(c.post(f"/api/v1/clients/{cid}/tasks", json=body), 422, code)
        video = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "appointment", "title": "Video try-on", "due": soon, "appointment_kind": "video", "video_link": "https://meet.example.com/abc"})
        assert video.status_code == 201 and video.json()["appointment_kind"] == "video" and video.json()["video_link"] == "https://meet.example.com/abc"
        store = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "appointment", "title": "Ginza salon", "due": soon, "appointment_kind": "in_store", "place": "Ginza, private salon"})
        assert store.status_code == 201 and store.json()["place"] == "Ginza, private salon"
        overdue = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "call", "title": "Call back", "due": (_now() - timedelta(days=2)).isoformat()}).json()
        later = c.post(f"/api/v1/clients/{cid}/tasks", json={"kind": "follow_up", "title": "Next week", "due": (_now() + timedelta(days=3)).isoformat()}).json()

        today = c.get("/api/v1/tasks/today").json()["items"]
        ids = [t["id"] for t in today]
        assert {video.json()["id"], store.json()["id"], overdue["id"]} <= set(ids) and later["id"] not in ids
        assert [t["due"] for t in today] == sorted(t["due"] for t in today)
        end = (datetime.now(tokyo) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        assert all(datetime.fromisoformat(t["due"]) < end and not t["done"] and t["advisor_id"] == 1 for t in today)
        row = next(t for t in today if t["id"] == overdue["id"])
        assert row["overdue"] and row["client_name"].startswith("Test Client") and row["client_hub"] == "TYO" and row["client_hub_tz"] == "Asia/Tokyo"
        _error(c.get("/api/v1/tasks/today", params={"tz": "Mars/Olympus"}), 422, "invalid_timezone")

        week = c.get("/api/v1/tasks", params={"due_before": (_now() + timedelta(days=4)).isoformat(), "client_id": cid}).json()["items"]
        assert [t["id"] for t in week] == [overdue["id"], video.json()["id"], store.json()["id"], later["id"]]
        paged, cursor = [], None
        while True:
            page = c.get("/api/v1/tasks", params={"client_id": cid, "limit": 1, **({"cursor": cursor} if cursor else {})}).json()
            paged += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert paged == [t["id"] for t in week]
        _error(c.get("/api/v1/tasks", params={"assignee": "nobody"}), 422, "unknown_advisor")
        _error(c.get("/api/v1/tasks", params={"cursor": "bad"}), 400, "invalid_cursor")

        # Done with an outcome: the client's history.
        done = c.post(f"/api/v1/tasks/{video.json()['id']}", json={"done": True, "outcome": "Loved the Ondina slingbacks"}).json()
        assert done["done"] and done["completed_at"]
        history = c.get(f"/api/v1/clients/{cid}").json()["history"]
        assert history[0]["task_id"] == done["id"] and history[0]["outcome"] == "Loved the Ondina slingbacks" and history[0]["at"] == done["completed_at"]
        assert done["id"] in [t["id"] for t in c.get("/api/v1/tasks", params={"status": "done", "client_id": cid}).json()["items"]]
        assert done["id"] not in [t["id"] for t in c.get("/api/v1/tasks/today").json()["items"]]
    with _client(live_server, "supervisor") as sup:
        assert [t["id"] for t in sup.get("/api/v1/tasks", params={"assignee": adv["username"], "client_id": cid}).json()["items"]] == [overdue["id"], store.json()["id"], later["id"]]


# ---- 7. Short words on PostgreSQL: an index of one- and two-character pieces ------------------


@pytest.mark.postgres
def test_short_words_use_the_grams_index_on_postgresql(request: pytest.FixtureRequest) -> None:
    from sqlalchemy import insert, text

    from advisor_console.server import search
    from advisor_console.server.db import make_engine, migrate, writer
    from advisor_console.server.tables import ProductRow

    url = request.getfixturevalue("pg_url")
    migrate(url)
    engine = make_engine(url)
    table = ProductRow.__table__
    base = {"line": "Test", "category": "bags", "season": "SS26", "iconic": False, "colours": [], "materials": [], "prices": {}, "stock": {}, "image": None}
    try:
        with writer(engine).begin() as conn:
            texts = {i: f"piece {i} emerald calfskin" for i in range(1, 201)} | {300: "東京 xq-7 bag", 301: "a_b 100% q"}
            conn.execute(insert(table), [{**base, "id": i, "sku": f"T-{i}", "name": f"T {i}", "search_text": t} for i, t in texts.items()])
        with Session(engine) as s:
            def find(q: str) -> list[int]:
                return [r.id for r in s.execute(search.product_query(s, q, None, None, 500)).scalars()]

            for q in ("xq", "京", "q", "_", "%", "0%", "b_", "xq-7", "-7", "calfskin xq", "em", "zz", "emerald em", "東京 bag"):
                want = sorted(i for i, t in texts.items() if all(w in t for w in q.split()))
                assert find(q) == want, q
            s.execute(update(table).where(table.c.id == 5).values(search_text="now with xq"))
            assert find("xq") == [5, 300]
            s.execute(text("ANALYZE product"))
            s.execute(text("SET LOCAL enable_seqscan = off"))
            s.execute(text("SET LOCAL enable_indexscan = off"))
            stmt = search.product_query(s, "zq", None, None, 51)
            plan = " ".join(str(r) for r in s.execute(text("EXPLAIN " + str(stmt.compile(engine, compile_kwargs={"literal_binds": True})).replace("%%", "%"))))
            assert "ix_product_search_grams" in plan, plan
    finally:
        engine.dispose()


def test_product_pictures_and_facets(live_server: LiveServer) -> None:
    """GET /products/{sku}/image: the server's PNG of the piece, the same bytes each time;
    404 no_image for a piece without one; GET /products/facets lists the filters' values."""
    from PIL import Image
    import io

    from advisor_console.server.tables import ProductRow

    rows = _rows(live_server, ProductRow.sku, ProductRow.image, ProductRow.category, ProductRow.line, ProductRow.season)
    with_image = next(r for r in rows if r.image)
    without = next(r for r in rows if not r.image)
    with _client(live_server, "advisor") as c:
        first = c.get(f"/api/v1/products/{with_image.sku}/image")
        assert first.status_code == 200 and first.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(first.content)) as img:
            assert img.size == (160, 160)
        assert c.get(f"/api/v1/products/{with_image.sku}/image").content == first.content
        _error(c.get(f"/api/v1/products/{without.sku}/image"), 404, "no_image")
        _error(c.get("/api/v1/products/NOPE-404/image"), 404, "not_found")
        facets = c.get("/api/v1/products/facets").json()
        assert facets == {
            "categories": sorted({r.category for r in rows}),
            "lines": sorted({r.line for r in rows}),
            "seasons": sorted({r.season for r in rows}),
        }
    with httpx.Client(base_url=live_server.url) as anonymous:
        assert anonymous.get(f"/api/v1/products/{with_image.sku}/image").status_code == 401
