"""The role matrix: every endpoint x every role (and no token), allowed or 401/403, enforced
by the server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from conftest import LiveServer

ROLES = ["none", "advisor", "supervisor", "trainer", "channel"]
READ = {"none": 401, "advisor": 200, "supervisor": 200, "trainer": 200, "channel": 403}
WRITE = {"none": 401, "advisor": 200, "supervisor": 200, "trainer": 403, "channel": 403}
INBOUND = {"none": 401, "advisor": 403, "supervisor": 403, "trainer": 403, "channel": 201}
ME = {"none": 401, "advisor": 200, "supervisor": 200, "trainer": 200, "channel": 200}


def _username(server: LiveServer, role: str) -> str | None:
    if role == "none":
        return None
    if role == "channel":
        return "channel-sim"
    return server.account(role, "TYO" if role in ("advisor", "supervisor") else None)["username"]


@pytest.fixture
def world(live_server: LiveServer) -> dict[str, Any]:
    """Tokens per role and fresh Tokyo conversations to act on."""
    headers = {role: (live_server.headers(u) if (u := _username(live_server, role)) else {}) for role in ROLES}
    convs = httpx.get(f"{live_server.url}/api/v1/conversations", params={"hub": "TYO", "status": "queued", "limit": 100}, headers=headers["supervisor"]).json()["items"]
    assert len(convs) >= len(ROLES)
    products = httpx.get(f"{live_server.url}/api/v1/products", params={"size": "OS", "limit": 1}, headers=headers["supervisor"]).json()["items"]
    consents = {c["client_id"]: httpx.get(f"{live_server.url}/api/v1/clients/{c['client_id']}", headers=headers["supervisor"]).json()["consent"] for c in convs[: len(ROLES)]}
    return {"headers": headers, "convs": convs, "one_size_sku": products[0]["sku"], "consents": consents}


def _outreach(world: dict[str, Any], conv: dict[str, Any]) -> dict[str, Any]:
    """An outreach on a channel the client consented to (not WhatsApp: its window)."""
    consent = world["consents"][conv["client_id"]]
    channel = next(ch for ch in ("email", "chat", "phone") if consent.get(ch))
    return {"channel": channel, "body": "The piece you asked about is back."}


def _tryon(world: dict[str, Any], conv: dict[str, Any]) -> dict[str, Any]:
    return {"items": [{"sku": world["one_size_sku"]}], "note": "To try at home"}


ENDPOINTS: list[tuple[str, str, dict[str, int], Any]] = [
    ("GET", "/api/v1/me", ME, None),
    ("GET", "/api/v1/conversations", READ, None),
    ("GET", "/api/v1/conversations/{cid}", READ, None),
    ("GET", "/api/v1/clients/{client}", READ, None),
    ("GET", "/api/v1/products", READ, None),
    ("GET", "/api/v1/events", READ, None),
    ("GET", "/api/v1/advisors", READ, None),
    ("GET", "/api/v1/audit", {"none": 401, "advisor": 403, "supervisor": 200, "trainer": 403, "channel": 403}, None),
    ("POST", "/api/v1/conversations/{cid}/claim", WRITE, None),
    ("POST", "/api/v1/conversations/{cid}/messages", {**WRITE, "advisor": 201, "supervisor": 201}, {"body": "hello", "kind": "note"}),
    ("POST", "/api/v1/conversations/{cid}/snooze", WRITE, {"until": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()}),
    ("POST", "/api/v1/conversations/{cid}/resolve", WRITE, None),
    ("POST", "/api/v1/conversations/{cid}/transfer", WRITE, {"to_hub": "SEL"}),
    ("POST", "/api/v1/inbound", INBOUND, {"channel": "chat", "client_id": 1, "body": "hi"}),
    ("PATCH", "/api/v1/conversations/{cid}", WRITE, {"priority": 1, "tags": ["vip"]}),
    ("GET", "/api/v1/conversations/{cid}/scheduled", READ, None),
    ("GET", "/api/v1/canned-replies", READ, None),
    ("GET", "/api/v1/conversations/{cid}/presence", READ, None),
    ("POST", "/api/v1/conversations/{cid}/presence", {**READ, "advisor": 204, "supervisor": 204, "trainer": 204}, {"state": "viewing"}),
    # Clienteling (issue 5)
    ("GET", "/api/v1/clients/{client}/contact-check?channel=email", READ, None),
    ("POST", "/api/v1/clients/{client}/outreach", {**WRITE, "advisor": 201, "supervisor": 201}, _outreach),
    ("POST", "/api/v1/conversations/{cid}/tryon", {**WRITE, "advisor": 201, "supervisor": 201}, _tryon),
    ("GET", "/api/v1/products/1", READ, None),
    ("GET", "/api/v1/clienteling/call-list", READ, None),
    ("GET", "/api/v1/tasks", READ, None),
    ("GET", "/api/v1/tasks/today", READ, None),
]


@pytest.mark.parametrize("method,path,expected,body", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_role_matrix(live_server: LiveServer, world: dict[str, Any], method: str, path: str, expected: dict[str, int], body: Any) -> None:
    for i, role in enumerate(ROLES):
        conv = world["convs"][i]  # each role acts on its own conversation
        url = live_server.url + path.format(cid=conv["id"], client=conv["client_id"])
        payload = body(world, conv) if callable(body) else body
        r = httpx.request(method, url, headers=world["headers"][role], json=payload if payload is not None else ({} if method in ("POST", "PATCH") else None))
        assert r.status_code == expected[role], f"{role}: {method} {path} -> {r.status_code} {r.text[:200]}"
        if r.status_code >= 400:
            assert r.json()["error"]["code"] in ("unauthorized", "forbidden")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_for_the_stream(live_server: LiveServer, world: dict[str, Any], role: str) -> None:
    with httpx.stream("GET", f"{live_server.url}/api/v1/events/stream", headers=world["headers"][role], timeout=10) as r:
        assert r.status_code == READ[role]


def test_role_matrix_for_cancelling_a_scheduled_message(live_server: LiveServer, world: dict[str, Any]) -> None:
    """DELETE /scheduled-messages/{id}: the role is checked before the message is looked up."""
    conv = world["convs"][0]
    send_at = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    r = httpx.post(f"{live_server.url}/api/v1/conversations/{conv['id']}/messages", headers=world["headers"]["supervisor"], json={"body": "later", "send_at": send_at})
    assert r.status_code == 202, r.text
    url = f"{live_server.url}/api/v1/scheduled-messages/{r.json()['id']}"
    expected = {"none": 401, "trainer": 403, "channel": 403, "advisor": 403, "supervisor": 200}  # an advisor: not the author
    for role in ("none", "trainer", "channel", "advisor", "supervisor"):
        assert httpx.delete(url, headers=world["headers"][role]).status_code == expected[role], role


def test_role_matrix_for_a_tryon_outcome(live_server: LiveServer, world: dict[str, Any]) -> None:
    """PATCH /tryon/{id}: staff who may see the client; the role is checked first."""
    conv = world["convs"][0]
    r = httpx.post(f"{live_server.url}/api/v1/conversations/{conv['id']}/tryon", headers=world["headers"]["supervisor"], json=_tryon(world, conv))
    assert r.status_code == 201, r.text
    url = f"{live_server.url}/api/v1/tryon/{r.json()['selection']['id']}"
    body = {"kept": [{"sku": world["one_size_sku"], "size": "OS"}]}
    expected = {"none": 401, "trainer": 403, "channel": 403, "advisor": 200, "supervisor": 200}
    for role in ("none", "trainer", "channel", "advisor", "supervisor"):
        assert httpx.patch(url, headers=world["headers"][role], json=body).status_code == expected[role], role
