"""Supervision and routing (issue 6), against real servers: only team leads get in (the
server refuses the rest); under simulated traffic the board's figures equal figures
computed here straight from the server's tables; routing never exceeds a capacity (also
with concurrent arrivals, on SQLite and PostgreSQL) and prefers the personal advisor;
an advisor who goes away hands conversations back; whispers reach one advisor only; the
day's report and its CSV."""

from __future__ import annotations

import csv
import io
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select, update
from sqlmodel import Session

from advisor_console.server.db import make_engine
from advisor_console.server.tables import AdvisorRow, ClientRow, ConversationRow, MessageRow
from conftest import BOTH_DATABASES, LiveServer
from support import api_client, assert_error

ALL_DAY = {h: [0, 24] for h in ("FLR", "NYC", "TYO", "SEL", "SHA", "SIN")}


def _inbound(server: LiveServer, ch: httpx.Client, *, country: str = "JP", locale: str = "ja-JP", channel: str = "chat", body: str = "Hello", client_id: int | None = None) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:10]
    payload: dict[str, Any] = {"channel": channel, "body": body, "external_id": f"sup-{tag}"}
    if client_id is None:
        payload["contact"] = {"name": f"Client {tag}", "locale": locale, "country": country, "email": f"{tag}@example.com"}
    else:
        payload["client_id"] = client_id
    r = ch.post("/api/v1/inbound", json=payload)
    assert r.status_code == 201, r.text
    return r.json()


def _tables(server: LiveServer) -> Any:
    engine = make_engine(server.database_url)
    return engine


def test_only_team_leads_get_in(live_server: LiveServer) -> None:
    paths = ["/api/v1/supervision/board", "/api/v1/supervision/series", "/api/v1/supervision/rules", "/api/v1/supervision/report?day=2026-11-23&hub=TYO"]
    for who in ("advisor", "trainer"):
        with api_client(live_server, who) as c:
            for path in paths:
                assert_error(c.get(path), 403, "forbidden")
            r = c.put("/api/v1/supervision/rules", json={"routing": {"enabled": True}})
            assert r.status_code == 403 and "Only a team lead" in r.json()["error"]["message"]
    with api_client(live_server, "supervisor") as c:
        for path in paths:
            assert c.get(path).status_code == 200, path
        assert_error(c.get("/api/v1/supervision/board?hub=XXX"), 422, "unknown_hub")
        assert_error(c.put("/api/v1/supervision/rules", json={"routing": {"enabled": "yes"}}), 422, "invalid_routing")
        assert_error(c.put("/api/v1/supervision/rules", json={"first_response_targets": {"fax": 10}}), 422, "invalid_targets")
        assert_error(c.put("/api/v1/supervision/rules", json={"routing": {"business_hours": {"TYO": [22, 8]}}}), 422, "invalid_routing")


def test_board_equals_figures_computed_from_the_tables(live_server: LiveServer) -> None:
    """Simulated traffic (new clients on several channels, claims, replies), then the board
    against an independent count over the conversation and message tables."""
    with api_client(live_server, "supervisor") as sup, api_client(live_server, "channel-sim") as ch:
        sup.put("/api/v1/supervision/rules", json={"first_response_targets": {"chat": 1, "whatsapp": 1, "email": 3600}}).raise_for_status()
        arrivals = [_inbound(live_server, ch, channel=channel, country=country, locale=locale)
                    for channel, country, locale in [("chat", "JP", "ja-JP"), ("whatsapp", "JP", "ja-JP"), ("email", "KR", "ko-KR"), ("chat", "IT", "it-IT"), ("whatsapp", "US", "en-US"), ("chat", "JP", "en-US")]]
        advisors = ["advisor", "kenji.watanabe"]
        for i, arrival in enumerate(arrivals[:4]):
            with api_client(live_server, advisors[i % 2] if arrival["message"] else "advisor") as adv:
                conv = sup.get(f"/api/v1/conversations/{arrival['conversation_id']}").json()
                if conv["hub"] != "TYO":
                    continue
                adv.post(f"/api/v1/conversations/{arrival['conversation_id']}/claim").raise_for_status()
                if i % 2 == 0:
                    adv.post(f"/api/v1/conversations/{arrival['conversation_id']}/messages", json={"body": "Good morning"}).raise_for_status()
        time.sleep(1.2)  # past the 1-second chat and WhatsApp targets
        board = sup.get("/api/v1/supervision/board").json()

    now = datetime.fromisoformat(board["at"])
    engine = _tables(live_server)
    with Session(engine) as s:
        convs = s.execute(select(ConversationRow).where(ConversationRow.status.in_(("queued", "assigned")))).scalars().all()
        names = {a.id: a.username for a in s.execute(select(AdvisorRow)).scalars()}
        last_reply = dict(s.execute(select(MessageRow.conversation_id, func.max(MessageRow.at)).where(MessageRow.kind == "reply").group_by(MessageRow.conversation_id)).all())
    engine.dispose()

    def aware(dt: datetime | None) -> datetime | None:
        return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)

    queued = [c for c in convs if c.status == "queued"]
    assert board["queue_depth"]["total"] == len(queued)
    for facet in ("hub", "channel", "language"):
        expected: dict[str, int] = {}
        for c in queued:
            expected[getattr(c, facet)] = expected.get(getattr(c, facet), 0) + 1
        assert board["queue_depth"][facet] == expected, facet
    for row in board["advisors"]:
        mine = [c for c in convs if c.status == "assigned" and names.get(c.assignee_id) == row["username"]]
        assert row["load"] == len(mine), row["username"]
        waits = [aware(c.last_inbound_at) for c in mine if c.last_inbound_at and not (last_reply.get(c.id) and aware(last_reply[c.id]) >= aware(c.last_inbound_at))]
        assert row["oldest_unanswered_seconds"] == (round((now - min(waits)).total_seconds()) if waits else None), row["username"]
    targets = board["first_response_targets"]
    past = {c.id for c in convs if c.first_response_at is None and (now - aware(c.created_at)).total_seconds() > targets[c.channel]}
    assert {p["conversation_id"] for p in board["past_target"]} == past
    assert {a["conversation_id"] for a in arrivals if a["message"]} & past  # some of ours are late
    assert all(p["channel"] != "email" for p in board["past_target"] if p["conversation_id"] in {a["conversation_id"] for a in arrivals})
    waits_all = [now - aware(c.last_inbound_at) for c in convs if c.last_inbound_at and not (last_reply.get(c.id) and aware(last_reply[c.id]) >= aware(c.last_inbound_at))]
    assert board["longest_wait"]["seconds"] == round(max(waits_all).total_seconds())


def _set_staff(server: LiveServer, hub: str, capacity: int, available: tuple[str, ...]) -> list[str]:
    """Every advisor offline but `available` (in `hub`, with `capacity`)."""
    engine = _tables(server)
    with Session(engine) as s:
        s.execute(update(AdvisorRow).where(AdvisorRow.role == "advisor").values(status="offline"))
        s.execute(update(AdvisorRow).where(AdvisorRow.username.in_(available)).values(status="available", capacity=capacity))
        # Their current conversations go back to the queue so loads start at zero.
        ids = [a.id for a in s.execute(select(AdvisorRow).where(AdvisorRow.username.in_(available))).scalars()]
        s.execute(update(ConversationRow).where(ConversationRow.assignee_id.in_(ids)).values(assignee_id=None, status="queued"))
        s.commit()
    engine.dispose()
    return list(available)


def _loads(server: LiveServer) -> dict[str, int]:
    engine = _tables(server)
    with Session(engine) as s:
        rows = s.execute(select(AdvisorRow.username, func.count(ConversationRow.id)).join(ConversationRow, ConversationRow.assignee_id == AdvisorRow.id).where(ConversationRow.status == "assigned").group_by(AdvisorRow.username)).all()
    engine.dispose()
    return dict(rows)


@BOTH_DATABASES
def test_routing_never_exceeds_capacity_under_concurrent_arrivals(live_server: LiveServer) -> None:
    staff = _set_staff(live_server, "TYO", 2, ("advisor", "yui.tanaka", "kenji.watanabe"))
    with api_client(live_server, "supervisor") as sup:
        sup.put("/api/v1/supervision/rules", json={"routing": {"enabled": True, "business_hours": ALL_DAY}}).raise_for_status()
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def arrive() -> None:
        try:
            with api_client(live_server, "channel-sim") as ch:
                results.append(_inbound(live_server, ch, country="JP", locale="ja-JP"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=arrive) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    loads = _loads(live_server)
    assert all(loads.get(u, 0) <= 2 for u in staff), loads
    assert sum(loads.get(u, 0) for u in staff) == 6  # every slot taken, the rest queued
    with api_client(live_server, "supervisor") as sup:
        states = [sup.get(f"/api/v1/conversations/{r['conversation_id']}").json()["status"] for r in results]
    assert states.count("assigned") == 6 and states.count("queued") == 4


def test_routing_prefers_the_personal_advisor_and_requeues_when_away(live_server: LiveServer) -> None:
    _set_staff(live_server, "TYO", 3, ("advisor", "yui.tanaka"))
    engine = _tables(live_server)
    with Session(engine) as s:
        kenji = s.execute(select(AdvisorRow).where(AdvisorRow.username == "kenji.watanabe")).scalar_one()
        s.execute(update(AdvisorRow).where(AdvisorRow.id == kenji.id).values(status="available", capacity=3))
        client = ClientRow(name="Sato Aya", locale="ja-JP", country="JP", hub="TYO", personal_advisor_id=kenji.id)
        s.add(client)
        s.commit()
        client_id = client.id
    engine.dispose()
    with api_client(live_server, "supervisor") as sup, api_client(live_server, "channel-sim") as ch:
        sup.put("/api/v1/supervision/rules", json={"routing": {"enabled": True, "business_hours": ALL_DAY}}).raise_for_status()
        # Kenji is busier than the others, yet his own client goes to him.
        for _ in range(2):
            first = _inbound(live_server, ch)
            sup.post(f"/api/v1/conversations/{first['conversation_id']}/transfer", json={"to_advisor": "kenji.watanabe"}).raise_for_status()
        mine = _inbound(live_server, ch, client_id=client_id)
        assert sup.get(f"/api/v1/conversations/{mine['conversation_id']}").json()["assignee"] == "kenji.watanabe"
        other = _inbound(live_server, ch)
        assert sup.get(f"/api/v1/conversations/{other['conversation_id']}").json()["assignee"] in ("advisor", "yui.tanaka")
        # Kenji goes away: his conversations go to someone who is there.
        sup.post("/api/v1/advisors/kenji.watanabe", json={"status": "away"}).raise_for_status()
        after = sup.get(f"/api/v1/conversations/{mine['conversation_id']}").json()
        assert after["assignee"] in ("advisor", "yui.tanaka") and after["status"] == "assigned"
        assert _loads(live_server).get("kenji.watanabe", 0) == 0
        # Routing off: a new conversation waits in the queue.
        sup.put("/api/v1/supervision/rules", json={"routing": {"enabled": False}}).raise_for_status()
        assert sup.get(f"/api/v1/conversations/{_inbound(live_server, ch)['conversation_id']}").json()["status"] == "queued"


def test_whisper_reaches_the_advisor_only(live_server: LiveServer) -> None:
    with api_client(live_server, "channel-sim") as ch, api_client(live_server, "advisor") as aiko, api_client(live_server, "yui.tanaka") as yui, api_client(live_server, "supervisor") as sup:
        conv = _inbound(live_server, ch)["conversation_id"]
        assert_error(sup.post(f"/api/v1/supervision/conversations/{conv}/whisper", json={"body": "Offer the Duomo"}), 409, "not_assigned")
        aiko.post(f"/api/v1/conversations/{conv}/claim").raise_for_status()
        head_yui = yui.get("/api/v1/events", params={"after": 0, "limit": 1}).json()
        r = sup.post(f"/api/v1/supervision/conversations/{conv}/whisper", json={"body": "Offer the Duomo in 37"})
        assert r.status_code == 201 and r.json()["kind"] == "whisper" and r.json()["whisper_to"] == "advisor" and r.json()["delivery"] == "internal"
        assert [m["body"] for m in aiko.get(f"/api/v1/conversations/{conv}").json()["messages"] if m["kind"] == "whisper"] == ["Offer the Duomo in 37"]
        assert [m for m in yui.get(f"/api/v1/conversations/{conv}").json()["messages"] if m["kind"] == "whisper"] == []
        assert any(m["kind"] == "whisper" for m in sup.get(f"/api/v1/conversations/{conv}").json()["messages"])

        def whispers(c: httpx.Client) -> list[Any]:
            out, after = [], 0
            while True:
                page = c.get("/api/v1/events", params={"after": after, "limit": 5000}).json()
                out += [e for e in page["events"] if e["type"] == "message.created" and e["data"]["message"]["kind"] == "whisper"]
                if page["last_seq"] == after:
                    return out
                after = page["last_seq"]

        assert len(whispers(aiko)) == 1 and whispers(yui) == [] and head_yui is not None
        assert_error(aiko.post(f"/api/v1/conversations/{conv}/messages", json={"body": "psst", "kind": "whisper"}), 422, "invalid_kind")


def test_day_report_and_csv(live_server: LiveServer) -> None:
    with api_client(live_server, "channel-sim") as ch, api_client(live_server, "advisor") as aiko, api_client(live_server, "supervisor") as sup:
        shoe, other = aiko.get("/api/v1/products", params={"category": "shoes", "limit": 2}).json()["items"]
        arrival = _inbound(live_server, ch)
        conv, client_id = arrival["conversation_id"], arrival["client_id"]
        aiko.post(f"/api/v1/conversations/{conv}/claim").raise_for_status()
        aiko.post(f"/api/v1/conversations/{conv}/messages", json={"body": "This one?", "attachments": [{"type": "product_card", "sku": shoe["sku"], "name": shoe["name"], "price": "¥1"}]}).raise_for_status()
        aiko.post(f"/api/v1/conversations/{conv}/resolve").raise_for_status()
        today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
        before = sup.get("/api/v1/supervision/report", params={"day": today.isoformat(), "hub": "TYO"}).json()
        engine = _tables(live_server)
        from advisor_console.server.tables import PurchaseRow

        with Session(engine) as s:
            s.add(PurchaseRow(client_id=client_id, product_id=shoe["id"], sku=shoe["sku"], product_name=shoe["name"], size="37", price=115000, currency="JPY", at=datetime.now(timezone.utc), channel="store"))
            s.add(PurchaseRow(client_id=client_id, product_id=other["id"], sku=other["sku"], product_name=other["name"], size=None, price=5000, currency="JPY", at=datetime.now(timezone.utc), channel="store"))
            s.commit()
        engine.dispose()
        report = sup.get("/api/v1/supervision/report", params={"day": today.isoformat(), "hub": "TYO"}).json()
        assert report["purchases_attributed"] == before["purchases_attributed"] + 1
        assert any(a["sku"] == shoe["sku"] and a["shared_by"] == "advisor" for a in report["attributed"])
        assert report["conversations_handled"] >= 1 and report["resolved"] >= 1 and report["first_response_median_seconds"] is not None
        assert report["first_response_p90_seconds"] >= report["first_response_median_seconds"]
        r = sup.get("/api/v1/supervision/report", params={"day": today.isoformat(), "hub": "TYO", "format": "csv"})
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows[0]["hub"] == "TYO" and int(rows[0]["purchases_attributed"]) == report["purchases_attributed"] and int(rows[0]["resolved"]) == report["resolved"]
        assert_error(sup.get("/api/v1/supervision/report", params={"day": "yesterday", "hub": "TYO"}), 422, "invalid_request")


def test_targets_typed_by_a_team_lead() -> None:
    import pytest

    from advisor_console.tui.screens.supervisor import parse_targets

    assert parse_targets("chat=2m whatsapp=15m email=4h phone=600 video=1m30s") == {"chat": 120, "whatsapp": 900, "email": 14400, "phone": 600, "video": 90}
    for bad, why in (("fax=1m", "not a channel"), ("chat=soon", "a time like"), ("chat=0s", "between 1 second"), ("", "at least one")):
        with pytest.raises(ValueError, match=why):
            parse_targets(bad)
