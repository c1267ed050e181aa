"""WhatsApp Cloud API (issue 10) against the real server and a local HTTP server that
speaks the Graph API's messages endpoint: the verification handshake, signed webhooks (a
bad signature refused), text, image and interactive messages, a redelivered webhook that
creates nothing, replies sent to the Graph API with their wamid, statuses moving delivery
to delivered and read, a refusal kept with its reason and a retry that goes through."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor_console.server.channels.whatsapp import WhatsAppConfig
from conftest import LiveServer, start_live_server
from support import api_client, wait_for, assert_error

SECRET = "app-secret-for-tests"


class GraphAPI:
    """A local stand-in for graph.facebook.com/{version}/{phone_number_id}/messages."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.refuse: set[str] = set()  # recipients it answers 400 for
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                graph.requests.append({"path": self.path, "auth": self.headers.get("authorization"), "body": body})
                if body.get("to") in graph.refuse:
                    out, code = {"error": {"message": "(#131026) Message undeliverable", "type": "OAuthException", "code": 131026}}, 400
                else:
                    out, code = {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}], "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]}, 200
                raw = json.dumps(out).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def graph() -> Iterator[GraphAPI]:
    g = GraphAPI()
    yield g
    g.stop()


@pytest.fixture
def wa_server(seeded_template: tuple[Path, list[dict[str, Any]]], tmp_path: Path, graph: GraphAPI) -> Iterator[LiveServer]:
    path = tmp_path / "server.sqlite"
    shutil.copyfile(seeded_template[0], path)
    config = WhatsAppConfig(app_secret=SECRET, verify_token="verify-me", graph_url=graph.url, token="graph-token", phone_number_id="1098765")
    server = start_live_server(f"sqlite:///{path}", seeded_template[1], whatsapp=config, background_period=0.1)
    yield server
    server.stop()


def _sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _webhook(value: dict[str, Any]) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1098765"}, **value}}]}]}).encode()


def _post(server: LiveServer, body: bytes, signature: str | None = "auto") -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature == "auto":
        headers["x-hub-signature-256"] = _sign(body)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    return httpx.post(f"{server.url}/webhooks/whatsapp", content=body, headers=headers, timeout=20)


def _message(sender: str, wamid: str, **content: Any) -> dict[str, Any]:
    return {"contacts": [{"profile": {"name": "Sora Aoki"}, "wa_id": sender}], "messages": [{"from": sender, "id": wamid, "timestamp": str(int(time.time())), **content}]}




def test_verification_handshake_and_signatures(wa_server: LiveServer) -> None:
    r = httpx.get(f"{wa_server.url}/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert r.status_code == 200 and r.text == "1158201444"
    assert_error(httpx.get(f"{wa_server.url}/webhooks/whatsapp", params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "x"}), 403, "verification_failed")
    body = _webhook(_message("819012345678", "wamid.sig1", type="text", text={"body": "hello"}))
    assert_error(_post(wa_server, body, signature=None), 401, "bad_signature")
    assert_error(_post(wa_server, body, signature="sha256=" + "0" * 64), 401, "bad_signature")
    assert_error(_post(wa_server, body + b" ", signature=_sign(body)), 401, "bad_signature")  # the body changed
    bad = b"{not json"
    assert_error(_post(wa_server, bad), 400, "invalid_json")


def test_messages_in_once_replies_out_with_statuses_and_a_retry(wa_server: LiveServer, graph: GraphAPI) -> None:
    sender = "81" + str(uuid.uuid4().int)[:10]
    r = _post(wa_server, _webhook(_message(sender, "wamid.in1", type="text", text={"body": "こんにちは、ローファーを探しています"})))
    assert r.status_code == 200 and r.json() == {"messages": 1, "duplicates": 0, "statuses": 0}
    assert _post(wa_server, _webhook(_message(sender, "wamid.in1", type="text", text={"body": "こんにちは、ローファーを探しています"}))).json()["duplicates"] == 1
    _post(wa_server, _webhook(_message(sender, "wamid.in2", type="image", image={"id": "media-77", "mime_type": "image/jpeg", "caption": "This one?"}))).raise_for_status()
    _post(wa_server, _webhook(_message(sender, "wamid.in3", type="interactive", interactive={"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes, book it"}}))).raise_for_status()
    with api_client(wa_server, "supervisor") as sup, api_client(wa_server, "advisor") as adv:
        convs = sup.get("/api/v1/conversations", params={"channel": "whatsapp", "limit": 500}).json()["items"]
        conv = next(c for c in convs if c["client_name"] == "Sora Aoki")
        detail = sup.get(f"/api/v1/conversations/{conv['id']}").json()
        inbound = [m for m in detail["messages"] if m["kind"] == "inbound"]
        assert [m["body"] for m in inbound] == ["こんにちは、ローファーを探しています", "This one?", "Yes, book it"]  # once each
        assert inbound[1]["attachments"][0]["data"]["media_id"] == "media-77"
        last_in = datetime.fromisoformat(inbound[-1]["at"])
        assert abs(datetime.fromisoformat(detail["window_closes_at"]) - (last_in + timedelta(hours=24))) < timedelta(seconds=1)

        # A reply leaves through the Graph API; its wamid comes back; statuses move it on.
        adv_conv = conv["id"]
        sup.post(f"/api/v1/conversations/{adv_conv}/transfer", json={"to_advisor": "advisor"}).raise_for_status()
        reply = adv.post(f"/api/v1/conversations/{adv_conv}/messages", json={"body": "Good afternoon, Ms Aoki."}).json()
        assert reply["delivery"] == "pending"
        sent = wait_for(lambda: next((m for m in sup.get(f"/api/v1/conversations/{adv_conv}").json()["messages"] if m["id"] == reply["id"] and m["delivery"] == "sent"), None), "sent")
        request = graph.requests[-1]
        assert request["path"] == "/v21.0/1098765/messages" and request["auth"] == "Bearer graph-token"
        assert request["body"] == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": sender, "type": "text", "text": {"preview_url": False, "body": "Good afternoon, Ms Aoki."}}
        engine_wamid = _wamid(wa_server, reply["id"])
        for state in ("delivered", "read", "delivered"):  # a late "delivered" does not undo "read"
            _post(wa_server, _webhook({"statuses": [{"id": engine_wamid, "status": state, "timestamp": str(int(time.time())), "recipient_id": sender}]})).raise_for_status()
        final = next(m for m in sup.get(f"/api/v1/conversations/{adv_conv}").json()["messages"] if m["id"] == reply["id"])
        assert final["delivery"] == "read" and sent

        # Refused by WhatsApp: failed with the reason; retried once it accepts again.
        graph.refuse.add(sender)
        second = adv.post(f"/api/v1/conversations/{adv_conv}/messages", json={"body": "Shall I hold a pair?"}).json()
        failed = wait_for(lambda: next((m for m in sup.get(f"/api/v1/conversations/{adv_conv}").json()["messages"] if m["id"] == second["id"] and m["delivery"] == "failed"), None), "failed")
        assert "Message undeliverable" in failed["delivery_error"] and "131026" in failed["delivery_error"]
        assert_error(adv.post(f"/api/v1/messages/{reply['id']}/retry"), 409, "not_failed")
        graph.refuse.clear()
        assert adv.post(f"/api/v1/messages/{second['id']}/retry").json()["delivery"] == "pending"
        wait_for(lambda: next((m for m in sup.get(f"/api/v1/conversations/{adv_conv}").json()["messages"] if m["id"] == second["id"] and m["delivery"] == "sent"), None), "sent after retry")
        # A status "failed" from WhatsApp keeps its reason too.
        _post(wa_server, _webhook({"statuses": [{"id": _wamid(wa_server, second["id"]), "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}]})).raise_for_status()
        again = next(m for m in sup.get(f"/api/v1/conversations/{adv_conv}").json()["messages"] if m["id"] == second["id"])
        assert again["delivery"] == "failed" and again["delivery_error"] == "Re-engagement message (code 131047)"
        # The delivery changes reached the event log (workstations update live).
        events = sup.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["events"]
        assert {e["data"]["message"]["delivery"] for e in events if e["type"] == "message.delivery" and e["data"]["message"]["id"] == reply["id"]} >= {"sent", "delivered", "read"}


def _wamid(server: LiveServer, message_id: int) -> str:
    from sqlmodel import Session

    from advisor_console.server.db import make_engine
    from advisor_console.server.tables import MessageRow

    engine = make_engine(server.database_url)
    with Session(engine) as s:
        wamid = s.get(MessageRow, message_id).external_id  # type: ignore[union-attr]
    engine.dispose()
    assert wamid and wamid.startswith("wamid.")
    return wamid


def test_without_configuration_the_webhook_says_so(live_server: LiveServer) -> None:
    assert_error(httpx.post(f"{live_server.url}/webhooks/whatsapp", content=b"{}"), 404, "channel_disabled")


def test_outside_the_window_a_reply_leaves_as_its_template(wa_server: LiveServer, graph: GraphAPI) -> None:
    import re

    from sqlmodel import Session
    from sqlalchemy import update

    from advisor_console.server.db import make_engine
    from advisor_console.server.tables import ConversationRow

    sender = "81" + str(uuid.uuid4().int)[:10]
    _post(wa_server, _webhook(_message(sender, f"wamid.{uuid.uuid4().hex}", type="text", text={"body": "こんにちは"}))).raise_for_status()
    with api_client(wa_server, "supervisor") as sup, api_client(wa_server, "advisor") as adv:
        conv = next(c for c in sup.get("/api/v1/conversations", params={"channel": "whatsapp", "limit": 500}).json()["items"] if c["client_name"] == "Sora Aoki" and c["status"] != "resolved")
        sup.post(f"/api/v1/conversations/{conv['id']}/transfer", json={"to_advisor": "advisor"}).raise_for_status()
        engine = make_engine(wa_server.database_url)
        with Session(engine) as s:  # her last message was 25 hours ago: the window is closed
            s.execute(update(ConversationRow).where(ConversationRow.id == conv["id"]).values(last_inbound_at=datetime.now() - timedelta(hours=25)))
            s.commit()
        engine.dispose()
        replies = adv.get("/api/v1/canned-replies", params={"language": conv["language"]}).json()
        replies = replies.get("items", replies) if isinstance(replies, dict) else replies
        template = next(r for r in replies if r["whatsapp_approved"] and "{" in r["body"])
        values = iter(["田中様", "Aiko", "37", "Duomo", "x", "y"])
        body = re.sub(r"\{(\w+)\}", lambda m: next(values), template["body"])
        assert adv.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": "just text"}).status_code == 422
        reply = adv.post(f"/api/v1/conversations/{conv['id']}/messages", json={"body": body, "template": template["id"]}).json()
        sent = wait_for(lambda: next((r for r in graph.requests if r["body"].get("type") == "template" and r["body"]["to"] == sender), None), "the template at the Graph API")
        t = sent["body"]["template"]
        assert t["name"] == template["id"] and t["language"] == {"code": conv["language"]}
        used = re.findall(r"\{\w+\}", template["body"])
        assert [p["text"] for p in t["components"][0]["parameters"]] == ["田中様", "Aiko", "37", "Duomo", "x", "y"][: len(used)]
        wait_for(lambda: next((m for m in sup.get(f"/api/v1/conversations/{conv['id']}").json()["messages"] if m["id"] == reply["id"] and m["delivery"] == "sent"), None), "sent")
